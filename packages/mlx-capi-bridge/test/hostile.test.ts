// Malformed and hostile requests: each gets a typed error or refusal and the
// test process (which hosts the engine) survives all of them.
import { describe, expect, it } from 'vitest';
import { MlxRefusedError, MlxRequestError, Session, type EvalRequest } from '../src/index.js';
import { rng } from './helpers.js';
import { HAVE_MLX } from './mlx-runtime.js';

// The engine's own checks, without ajv in front of them.
const raw = new Session({ validate: false });
// The same on the mlx backend (real MLX v0.31.2 through mlx-c), when it loads.
const rawMlx = HAVE_MLX ? new Session({ validate: false, backend: 'mlx' }) : raw;

function answer(req: unknown, session = raw): { status: string; code: string; path?: string } {
  try {
    session.evalJson(typeof req === 'string' ? req : JSON.stringify(req));
    return { status: 'ok', code: '' };
  } catch (e) {
    if (e instanceof MlxRequestError) return { status: 'error', code: e.code, path: e.path };
    if (e instanceof MlxRefusedError) return { status: 'refused', code: e.code, path: e.subject };
    throw e;
  }
}

const valid: EvalRequest = {
  schema_version: 1,
  inputs: [
    { id: 'x', dtype: 'float32', shape: [2, 2], data: [[1, 2], [3, 4]] },
    { id: 'y', dtype: 'int32', shape: [2], data: [5, 6] },
  ],
  nodes: [
    { id: 'a', op: 'add', inputs: ['x', 'y'] },
    { id: 'b', op: 'sum', inputs: ['a'], attrs: { axes: [0], keepdims: true } },
    { id: 'c', op: 'split', inputs: ['a'], attrs: { indices_or_sections: 2, axis: 1 } },
  ],
  outputs: ['b', 'c:1'],
};

describe('malformed requests', () => {
  const cases: Array<[string, unknown, string, string, string?]> = [
    ['truncated JSON', JSON.stringify(valid).slice(0, 40), 'error', 'invalid_json'],
    ['empty body', '', 'error', 'invalid_json'],
    ['not an object', '[1, 2]', 'error', 'invalid_type'],
    ['wrong version', { ...valid, schema_version: 2 }, 'error', 'unsupported_version', '/schema_version'],
    ['unknown top-level field', { ...valid, extra: 1 }, 'error', 'unknown_field', '/extra'],
    ['unknown node field', { ...valid, nodes: [{ id: 'a', op: 'exp', inputs: ['x'], bogus: 1 }], outputs: ['a'] }, 'error', 'unknown_field', '/nodes/0/bogus'],
    ['inputs of the wrong type', { ...valid, inputs: 7 }, 'error', 'invalid_type', '/inputs'],
    ['duplicate id', { ...valid, nodes: [{ id: 'x', op: 'exp', inputs: ['x'] }], outputs: ['x'] }, 'error', 'duplicate_id', '/nodes/0/id'],
    ['missing reference', { ...valid, nodes: [{ id: 'a', op: 'exp', inputs: ['nope'] }], outputs: ['a'] }, 'error', 'missing_reference', '/nodes/0/inputs/0'],
    ['cycle', { ...valid, nodes: [{ id: 'a', op: 'exp', inputs: ['b'] }, { id: 'b', op: 'exp', inputs: ['a'] }], outputs: ['a'] }, 'error', 'cycle'],
    ['self loop', { ...valid, nodes: [{ id: 'a', op: 'add', inputs: ['a', 'x'] }], outputs: ['a'] }, 'error', 'cycle', '/nodes/0'],
    ['unknown op', { ...valid, nodes: [{ id: 'a', op: 'frobnicate', inputs: ['x'] }], outputs: ['a'] }, 'refused', 'unsupported_op', '/nodes/0/op'],
    ['wrong arity', { ...valid, nodes: [{ id: 'a', op: 'add', inputs: ['x'] }], outputs: ['a'] }, 'error', 'invalid_arity', '/nodes/0/inputs'],
    ['bad attribute type', { ...valid, nodes: [{ id: 'a', op: 'sum', inputs: ['x'], attrs: { keepdims: 'yes' } }], outputs: ['a'] }, 'error', 'invalid_attr', '/nodes/0/attrs/keepdims'],
    ['unknown attribute', { ...valid, nodes: [{ id: 'a', op: 'sum', inputs: ['x'], attrs: { axis: 0 } }], outputs: ['a'] }, 'error', 'unknown_field', '/nodes/0/attrs/axis'],
    ['axis out of range', { ...valid, nodes: [{ id: 'a', op: 'sum', inputs: ['x'], attrs: { axes: [2] } }], outputs: ['a'] }, 'error', 'invalid_axis', '/nodes/0/attrs/axes'],
    ['data of the wrong length', { ...valid, inputs: [{ id: 'x', dtype: 'float32', shape: [3], data: [1, 2] }], nodes: [], outputs: ['x'] }, 'error', 'invalid_data', '/inputs/0/data'],
    ['data that is not a number', { ...valid, inputs: [{ id: 'x', dtype: 'float32', shape: [2], data: [1, 'two'] }], nodes: [], outputs: ['x'] }, 'error', 'invalid_data', '/inputs/0/data/1'],
    ['unknown dtype', { ...valid, inputs: [{ id: 'x', dtype: 'float8', shape: [1], data: [1] }], nodes: [], outputs: ['x'] }, 'error', 'invalid_dtype', '/inputs/0/dtype'],
    ['negative dimension', { ...valid, inputs: [{ id: 'x', dtype: 'float32', shape: [-1], data: [] }], nodes: [], outputs: ['x'] }, 'error', 'invalid_shape', '/inputs/0/shape/0'],
    ['bad base64', { ...valid, inputs: [{ id: 'x', dtype: 'float32', shape: [1], base64: 'AAA*' }], nodes: [], outputs: ['x'] }, 'error', 'invalid_data', '/inputs/0/base64'],
    ['buffer index with no buffers', { ...valid, inputs: [{ id: 'x', dtype: 'float32', shape: [1], buffer: 0 }], nodes: [], outputs: ['x'] }, 'error', 'invalid_buffer', '/inputs/0/buffer'],
    ['unknown handle', { ...valid, inputs: [{ id: 'x', handle: 'h999' }], nodes: [], outputs: ['x'] }, 'error', 'unknown_handle', '/inputs/0/handle'],
    ['two data sources', { ...valid, inputs: [{ id: 'x', dtype: 'float32', shape: [1], data: [1], base64: 'AACAPw==' }], nodes: [], outputs: ['x'] }, 'error', 'invalid_input', '/inputs/0'],
    ['multi-output node named without :k', { ...valid, outputs: ['c'] }, 'error', 'invalid_reference', '/outputs/0'],
    ['output index past the end', { ...valid, outputs: ['c:5'] }, 'error', 'invalid_reference', '/outputs/0'],
    ['gpu device', { ...valid, device: 'gpu' }, 'refused', 'unsupported_device', '/device'],
    ['huge shape', { ...valid, nodes: [{ id: 'z', op: 'zeros', attrs: { shape: [1e9, 1e9, 1e9] } }], outputs: ['z'] }, 'refused', 'resource_limit'],
    ['huge input shape', { ...valid, inputs: [{ id: 'x', dtype: 'float32', shape: [4e9, 4e9], data: [] }], nodes: [], outputs: ['x'] }, 'refused', 'resource_limit'],
    ['huge arange', { ...valid, nodes: [{ id: 'z', op: 'arange', attrs: { stop: 1e300 } }], outputs: ['z'] }, 'refused', 'resource_limit'],
    ['nesting deeper than the shape', { ...valid, inputs: [{ id: 'x', dtype: 'float32', shape: [1], data: [[[[1]]]] }], nodes: [], outputs: ['x'] }, 'error', 'invalid_data'],
  ];
  for (const [what, req, status, code, path] of cases) {
    it(`${what} -> ${status} ${code}`, () => {
      const got = answer(req);
      expect(got.status).toBe(status);
      expect(got.code).toBe(code);
      if (path !== undefined) expect(got.path).toBe(path);
    });
    it.skipIf(!HAVE_MLX)(`on the mlx backend: ${what} -> ${status} ${code}`, () => {
      const got = answer(req, rawMlx);
      expect(got.status).toBe(status);
      expect(got.code).toBe(code);
      if (path !== undefined) expect(got.path).toBe(path);
    });
  }

  it('the valid request itself evaluates', () => {
    const res = raw.evalJson(valid);
    // by hand: a = [[6, 8], [8, 10]]; column sums [14, 18]; the second half of split(a, 2, axis 1) is [[8], [10]]
    expect(res.outputs.map((o) => o.data)).toEqual([[14, 18], [8, 10]]);
  });

  it('a million nodes are refused before they are built', () => {
    const nodes = Array.from({ length: 1_000_000 }, (_, i) => `{"id":"n${i}","op":"exp","inputs":["${i ? `n${i - 1}` : 'x'}"]}`);
    const text = `{"schema_version":1,"inputs":[{"id":"x","dtype":"float32","shape":[1],"data":[0]}],"nodes":[${nodes.join(',')}],"outputs":["n999999"]}`;
    const got = answer(text);
    expect(got).toMatchObject({ status: 'refused', code: 'resource_limit', path: '/nodes' });
  });

  it('session limits are configurable and refuse before allocating', () => {
    const tight = new Session({ limits: { max_elements: 100, max_nodes: 2 } });
    expect(() => tight.evalJson({ schema_version: 1, nodes: [{ id: 'z', op: 'zeros', attrs: { shape: [11, 10] } }], outputs: ['z'] })).toThrow(/resource_limit/);
    expect(() => tight.evalJson({ schema_version: 1, nodes: [1, 2, 3].map((i) => ({ id: `z${i}`, op: 'zeros', attrs: { shape: [1] } })), outputs: ['z1'] })).toThrow(/max_nodes/);
    expect(() => new Session({ limits: { max_bogus: 1 } as never })).toThrow(/unknown limit/);
    tight.close();
  });

  // max_bytes bounds the arrays alive at once, as the engine frees each value
  // after its last reader: a chain of 4 scans of 200,000 bytes each holds two
  // of them at a time, 400,000 bytes with the ones they start from.
  it('max_bytes bounds the arrays alive at once, not all a request makes', () => {
    const n = 50_000;
    const s = new Session({ limits: { max_bytes: 800_000 } });
    const nodes = [
      { id: 'c0', op: 'ones', attrs: { shape: [n] } },
      ...[1, 2, 3, 4].map((k) => ({ id: `c${k}`, op: 'cumsum', inputs: [`c${k - 1}`], attrs: { axis: 0 } })),
      { id: 'head', op: 'slice', inputs: ['c4'], attrs: { start: [0], stop: [10] } },
    ];
    const res = s.evalJson({ schema_version: 1, nodes, outputs: ['head'] });
    // the fourth running sum of ones: C(i + 4, 4)
    const binom = (i: number) => ((i + 1) * (i + 2) * (i + 3) * (i + 4)) / 24;
    expect(res.outputs[0].data).toEqual(Array.from({ length: 10 }, (_, i) => binom(i)));
    // every running sum asked for stays alive: 1,000,000 bytes and their handles
    const all = { schema_version: 1, nodes, outputs: [1, 2, 3, 4].map((k) => ({ ref: `c${k}`, as: 'handle' })) };
    expect(answer(all, s)).toMatchObject({ status: 'refused', code: 'resource_limit' });
    expect(() => s.evalJson(JSON.stringify(all))).toThrow(/alive at once.*max_bytes 800000/);
    s.close();
  });

  it('deeply nested JSON is an error, not a stack overflow', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(answer(`{"schema_version":1,"inputs":[{"id":"x","dtype":"float32","shape":[1],"data":${deep}}],"outputs":["x"]}`)).toEqual({ status: 'error', code: 'invalid_json', path: '' });
  });

  it('NaN and infinities round-trip through inline, base64 and buffers', () => {
    const req: EvalRequest = {
      schema_version: 1,
      inputs: [{ id: 'x', dtype: 'float64', shape: [4], data: ['nan', 'inf', '-inf', 1.5] }],
      nodes: [{ id: 'y', op: 'negative', inputs: ['x'] }],
      outputs: ['y', { ref: 'y', as: 'base64' }],
    };
    const res = raw.evalJson(req);
    expect(res.outputs[0].data).toEqual(['nan', '-inf', 'inf', -1.5]);
    const back = new Float64Array(Uint8Array.from(Buffer.from(res.outputs[1].base64!, 'base64')).buffer);
    expect(Number.isNaN(back[0]) && back[1] === -Infinity && back[2] === Infinity && back[3] === -1.5).toBe(true);
  });
});

describe.skipIf(!HAVE_MLX)("MLX's own errors on the mlx backend", () => {
  // Requests the registry lets through but MLX v0.31.2 rejects: MLX's message
  // comes back as an mlx_error response at the node, and the process lives on.
  const cases: Array<[string, unknown, RegExp]> = [
    ['bitwise_and of floats', { schema_version: 1, inputs: [{ id: 'x', dtype: 'float32', shape: [2], data: [1, 2] }], nodes: [{ id: 'y', op: 'bitwise_and', inputs: ['x', 'x'] }], outputs: ['y'] }, /MLX: \[bitwise_and\] Only allowed on integer or boolean types/],
    ['random_bits with a batch of keys', { schema_version: 1, inputs: [{ id: 'k', dtype: 'uint32', shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }], nodes: [{ id: 'y', op: 'random_bits', inputs: ['k'], attrs: { shape: [2] } }], outputs: ['y'] }, /MLX: \[bits\] Expected key shape \(2\)/],
  ];
  for (const [what, req, message] of cases) {
    it(`${what} -> error mlx_error with MLX's message`, () => {
      expect(answer(req, rawMlx)).toEqual({ status: 'error', code: 'mlx_error', path: '/nodes/0' });
      expect(() => rawMlx.evalJson(JSON.stringify(req))).toThrow(message);
    });
  }
  it('the session still answers afterwards', () => {
    expect(rawMlx.evalJson(valid).outputs.map((o) => o.data)).toEqual([[14, 18], [8, 10]]);
  });
  it('1,000 random mutations get a typed answer on the mlx backend too', () => {
    const r = rng(20261130);
    const junk = [null, true, -1, 0, 2 ** 40, 'x', [], {}, [1, [2]], 'float32', 3.5];
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const req = JSON.parse(JSON.stringify(valid));
      const node = req.nodes[Math.floor(r() * req.nodes.length)];
      const keys = ['inputs', 'attrs', 'op'];
      node[keys[Math.floor(r() * keys.length)]] = junk[Math.floor(r() * junk.length)];
      const got = answer(req, rawMlx);
      counts[`${got.status}:${got.code}`] = (counts[`${got.status}:${got.code}`] ?? 0) + 1;
    }
    console.log('mlx mutation outcomes', counts);
    expect(counts['error:internal'] ?? 0).toBe(0);
  });
});

describe('random mutations of valid requests', () => {
  const SEED = Number(process.env.MLXCOMPAT_SEED ?? 20261122);
  const N = Number(process.env.MLXCOMPAT_FUZZ ?? 5000);
  it(`${N} mutations all get a typed answer (seed ${SEED})`, () => {
    const r = rng(SEED);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
    const junk = () => pick<unknown>([null, true, -1, 0, 1e308, -1e308, 2 ** 63, 'x', '', 'nan', [], {}, [[]], [1, [2]], { id: 'q' }, 'add', 'float32', 3.5, -0]);
    const counts: Record<string, number> = {};
    for (let i = 0; i < N; i++) {
      const req = JSON.parse(JSON.stringify(valid));
      for (let m = 1 + Math.floor(r() * 3); m > 0; m--) {
        // Walk to a random container and replace, delete or add a member.
        let node: Record<string, unknown> | unknown[] = req;
        for (let depth = 0; depth < 6; depth++) {
          const keys = Object.keys(node);
          if (!keys.length) break;
          const k = pick(keys);
          const child = (node as Record<string, unknown>)[k];
          if (child && typeof child === 'object' && r() < 0.7) node = child as Record<string, unknown>;
          else {
            const op = r();
            if (op < 0.5) (node as Record<string, unknown>)[k] = junk();
            else if (op < 0.75) delete (node as Record<string, unknown>)[k];
            else (node as Record<string, unknown>)[pick(['id', 'op', 'inputs', 'attrs', 'shape', 'data', 'axes', 'zz'])] = junk();
            break;
          }
        }
      }
      let text = JSON.stringify(req);
      if (r() < 0.1) text = text.slice(0, Math.floor(r() * text.length));
      const got = answer(text);
      counts[`${got.status}:${got.code}`] = (counts[`${got.status}:${got.code}`] ?? 0) + 1;
    }
    console.log('mutation outcomes', counts);
    expect(Object.keys(counts).every((k) => /^(ok|error|refused):/.test(k))).toBe(true);
    expect(counts['error:internal'] ?? 0).toBe(0);
  });
});

describe('random mutations of plan requests', () => {
  const SEED = Number(process.env.MLXCOMPAT_SEED ?? 20261122);
  const N = Number(process.env.MLXCOMPAT_FUZZ ?? 2000);
  it(`${N} mutated define_plan and run_plan requests all get a typed answer`, () => {
    const r = rng(SEED + 1);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
    const junk = () => pick<unknown>([null, true, -1, 0, 'p', '', 'x', [], {}, [1], { id: 'x' }, 'float32', [3], 2 ** 40]);
    const define = {
      schema_version: 1,
      define_plan: 'p',
      inputs: [{ id: 'x', dtype: 'float32', shape: [3], placeholder: true }, { id: 'c', dtype: 'float32', shape: [], data: 2 }],
      nodes: [{ id: 'y', op: 'multiply', inputs: ['x', 'c'] }],
      outputs: ['y'],
    };
    raw.evalJson(define as EvalRequest);
    const run = { schema_version: 1, run_plan: 'p', inputs: [{ id: 'x', data: [1, 2, 3] }], outputs: ['y'] };
    const counts: Record<string, number> = {};
    for (let i = 0; i < N; i++) {
      const req = JSON.parse(JSON.stringify(r() < 0.5 ? define : run));
      for (let m = 1 + Math.floor(r() * 3); m > 0; m--) {
        let node: Record<string, unknown> = req;
        for (let depth = 0; depth < 4; depth++) {
          const keys = Object.keys(node);
          if (!keys.length) break;
          const k = pick(keys);
          const child = node[k];
          if (child && typeof child === 'object' && r() < 0.6) node = child as Record<string, unknown>;
          else {
            if (r() < 0.6) node[k] = junk();
            else delete node[k];
            break;
          }
        }
      }
      const got = answer(JSON.stringify(req));
      counts[`${got.status}:${got.code}`] = (counts[`${got.status}:${got.code}`] ?? 0) + 1;
    }
    console.log('plan mutation outcomes', counts);
    expect(counts['error:internal'] ?? 0).toBe(0);
  });
});
