// The engine's backends: native (its own kernels) and mlx (real MLX v0.31.2
// through mlx-c, loaded at run time). Requests, handles, plans, limits and
// errors work alike on both; without libmlxc, mlx requests are refused with
// the reason and nothing else changes.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlxBridgeError, MlxRefusedError, MlxRequestError, Session, capabilities, type EvalRequest } from '../src/index.js';
import { HAVE_MLX, root } from './mlx-runtime.js';

const dist = join(root, 'packages/mlx-capi-bridge/dist/index.js');

const softmaxRequest: EvalRequest = {
  schema_version: 1,
  inputs: [{ id: 'x', dtype: 'float32', shape: [2, 3], buffer: 0 }],
  nodes: [
    { id: 's', op: 'softmax', inputs: ['x'], attrs: { axes: [-1] } },
    { id: 't', op: 'transpose', inputs: ['s'] },
  ],
  outputs: ['t'],
};

/** softmax over rows of [[1, 2, 3], [4, 5, 6]], transposed, in float64. */
function softmaxByHand(): number[] {
  const row = [1, 2, 3].map((v) => Math.exp(v - 3));
  const z = row.reduce((a, b) => a + b);
  const p = row.map((v) => v / z); // both rows give the same (a softmax ignores a shift)
  return [p[0], p[0], p[1], p[1], p[2], p[2]];
}

describe('backends in capabilities', () => {
  it('lists native and mlx with availability and version (or the reason), and per op the backends with a kernel', () => {
    const caps = capabilities();
    expect(caps.backends.map((b) => b.name)).toEqual(['native', 'mlx']);
    expect(caps.backends[0]).toMatchObject({ available: true, version: caps.engine_version });
    const m = caps.backends[1];
    if (m.available) expect(m.version).toBe('0.31.2');
    else expect(m.reason).toMatch(/libmlxc/);
    // the ops the native backend lacks are MLX's other functions, by name, on the mlx backend (mlx-symbols.test.ts)
    expect(caps.ops.filter((o) => !o.backends.includes('native')).every((o) => o.family.startsWith('mlx.core'))).toBe(true);
    // the ops of the registry the mlx backend has no mlx-c call for yet (ops added since it was written)
    const lacking = caps.ops.filter((o) => !o.backends.includes('mlx')).map((o) => o.name);
    if (lacking.length) console.log(`ops without an mlx backend kernel yet: ${lacking.join(', ')}`);
    expect(lacking.every((n) => !['add', 'matmul', 'sum', 'softmax', 'split', 'take', 'sort'].includes(n))).toBe(true);
  });

  it('without libmlxc, mlx requests are refused with the reason and native ones still run', () => {
    const script = `import(${JSON.stringify(dist)}).then(({ Session, MlxRefusedError }) => {
      const s = new Session();
      const req = { schema_version: 1, inputs: [{ id: 'x', dtype: 'float32', shape: [2], data: [0, 1] }], nodes: [{ id: 'y', op: 'exp', inputs: ['x'] }], outputs: ['y'] };
      let refusal;
      try { s.evalJson({ ...req, backend: 'mlx' }); } catch (e) { refusal = e instanceof MlxRefusedError ? [e.code, e.subject, e.detail] : String(e); }
      console.log(JSON.stringify({ refusal, native: s.evalJson(req).outputs[0].data }));
    });`;
    const env = { ...process.env, MLXCOMPAT_MLXC_LIBRARY: '/nonexistent/libmlxc.so' };
    const got = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env }).trim().split('\n').pop()!);
    expect(got.refusal.slice(0, 2)).toEqual(['unsupported_backend', '/backend']);
    expect(got.refusal[2]).toMatch(/cannot load \/nonexistent\/libmlxc\.so/);
    expect(got.native[0]).toBe(1);
    expect(got.native[1]).toBeCloseTo(Math.E, 6);
  });

  it('an unknown backend is an error at the call that names it', () => {
    expect(() => new Session({ backend: 'tpu' as never })).toThrow(/backend must be "native" or "mlx"/);
    const s = new Session({ validate: false });
    expect(() => s.evalJson(JSON.stringify({ ...softmaxRequest, backend: 'tpu' }))).toThrow(MlxRequestError);
    try {
      s.evalJson(JSON.stringify({ schema_version: 1, backend: 7, outputs: [] }));
    } catch (e) {
      expect((e as MlxRequestError).code).toBe('invalid_type');
      expect((e as MlxRequestError).path).toBe('/backend');
    }
    s.close();
  });
});

describe.skipIf(!HAVE_MLX)('the mlx backend (MLX v0.31.2 through mlx-c)', () => {
  const x = new Float32Array([1, 2, 3, 4, 5, 6]);

  it('takes buffers in and gives buffers out, and its receipt names MLX and its version', () => {
    const s = new Session({ backend: 'mlx' });
    const res = s.eval(softmaxRequest, [x]);
    expect(res.receipt).toMatchObject({ backend: 'mlx', backend_version: '0.31.2', op_count: 2 });
    const want = softmaxByHand();
    expect(res.outputs[0].shape).toEqual([3, 2]);
    res.outputs[0].array!.forEach((v, i) => expect(Math.abs(Number(v) - want[i])).toBeLessThan(1e-6));
    // the same request on the native backend, in the same session
    const nat = s.eval({ ...softmaxRequest, backend: 'native' }, [x]);
    expect(nat.receipt.backend).toBe('native');
    nat.outputs[0].array!.forEach((v, i) => expect(Math.abs(Number(v) - want[i])).toBeLessThan(1e-6));
    s.close();
  });

  it('keeps resident handles (MLX arrays) that requests on either backend read', () => {
    const s = new Session();
    const held = s.eval({ ...softmaxRequest, backend: 'mlx', outputs: [{ ref: 't', as: 'handle' }] }, [x]).outputs[0].handle!;
    const sum = (backend: 'native' | 'mlx') =>
      s.evalJson({ schema_version: 1, backend, inputs: [{ id: 'h', handle: held }], nodes: [{ id: 'z', op: 'sum', inputs: ['h'], attrs: { axes: [0] } }], outputs: ['z'] }).outputs[0].data as number[];
    // each column of the transposed softmax holds one row's probabilities: they sum to 1
    for (const backend of ['native', 'mlx'] as const) for (const v of sum(backend)) expect(Math.abs(v - 1)).toBeLessThan(1e-6);
    expect(s.release(held)).toBe(true);
    s.close();
  });

  it('runs plans on the backend they were defined for', () => {
    const s = new Session({ backend: 'mlx' });
    s.evalJson({
      schema_version: 1,
      define_plan: 'p',
      inputs: [{ id: 'a', dtype: 'float32', shape: [3], placeholder: true }, { id: 'c', dtype: 'float32', shape: [], data: 10 }],
      nodes: [{ id: 'y', op: 'multiply', inputs: ['a', 'c'] }],
      outputs: ['y'],
    });
    for (const data of [[1, 2, 3], [-1, 0.5, 4]]) {
      const res = s.evalJson({ schema_version: 1, run_plan: 'p', inputs: [{ id: 'a', data }] });
      expect(res.receipt.backend).toBe('mlx');
      expect(res.outputs[0].data).toEqual(data.map((v) => v * 10));
    }
    expect(() => s.evalJson({ schema_version: 1, run_plan: 'p', backend: 'native', inputs: [{ id: 'a', data: [1, 2, 3] }] })).toThrow(/defined for the mlx backend/);
    s.close();
  });

  it('applies the session limits before MLX sees anything', () => {
    const s = new Session({ backend: 'mlx', limits: { max_elements: 100 } });
    expect(() => s.evalJson({ schema_version: 1, nodes: [{ id: 'z', op: 'zeros', attrs: { shape: [11, 10] } }], outputs: ['z'] })).toThrow(/max_elements/);
    s.close();
  });

  it('refuses integer power, makes empty scans itself, guards integer division and checks indices: MLX 0.31.2 never returns from a negative integer exponent and dies (SIGFPE) on an empty scan or a zero divisor, and reads past an array on an index out of range', () => {
    const s = new Session({ backend: 'mlx' });
    const power = { schema_version: 1, inputs: [{ id: 'a', dtype: 'int32', shape: [2], data: [2, 3] }, { id: 'b', dtype: 'int32', shape: [2], data: [-1, 2] }], nodes: [{ id: 'p', op: 'power', inputs: ['a', 'b'] }], outputs: ['p'] };
    try {
      s.evalJson(power);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MlxRefusedError);
      expect((e as MlxRefusedError).code).toBe('unsupported_dtype');
      expect((e as MlxRefusedError).detail).toMatch(/refuses integer power.*at \/nodes\/0/);
    }
    // the native backend computes it: 2^-1 truncates to 0, 3^2 is 9
    expect(s.evalJson({ ...power, backend: 'native' }).outputs[0].data).toEqual([0, 9]);
    for (const [shape, axis] of [[[0, 3], 0], [[2, 0], 1], [[0], null]] as const) {
      for (const op of ['cumsum', 'cumprod', 'cummax', 'cummin', 'logcumsumexp']) {
        const res = s.eval({ schema_version: 1, inputs: [{ id: 'x', dtype: 'float32', shape: [...shape], buffer: 0 }], nodes: [{ id: 'y', op, inputs: ['x'], attrs: axis === null ? {} : { axis } }], outputs: [{ ref: 'y', as: 'buffer' }] }, [new Float32Array(0)]);
        expect([op, res.outputs[0].shape]).toEqual([op, axis === null ? [0] : [...shape]]);
      }
    }
    // integer division by 0 and INT_MIN / -1 (a CPU trap in MLX): 0, the wrapped quotient, remainder 0, as native gives them
    const min = -(2 ** 31);
    const divide = (op: string, backend: 'native' | 'mlx') =>
      s.evalJson({ schema_version: 1, backend, inputs: [{ id: 'a', dtype: 'int32', shape: [4], data: [7, min, -7, 9] }, { id: 'b', dtype: 'int32', shape: [4], data: [0, -1, 2, -1] }], nodes: [{ id: 'q', op, inputs: ['a', 'b'] }], outputs: ['q'] }).outputs[0].data;
    expect(divide('floor_divide', 'mlx')).toEqual([0, min, -3, -9]);
    expect(divide('remainder', 'mlx')).toEqual([0, 0, 1, 0]);
    for (const op of ['floor_divide', 'remainder']) expect(divide(op, 'mlx')).toEqual(divide(op, 'native'));
    // indices out of range (MLX reads and writes past the array): the native backend's error, at the indices
    const gather = (op: string, attrs: Record<string, unknown>, idx: number[], backend: 'native' | 'mlx') => {
      const inputs = [{ id: 'a', dtype: 'float32', shape: [4], data: [1, 2, 3, 4] }, { id: 'i', dtype: 'int32', shape: [idx.length], data: idx }];
      if (op === 'put_along_axis') inputs.push({ id: 'v', dtype: 'float32', shape: [idx.length], data: idx.map(() => 9) });
      try {
        return s.evalJson({ schema_version: 1, backend, inputs, nodes: [{ id: 'y', op, inputs: inputs.map((x) => x.id), attrs }], outputs: ['y'] }).outputs[0].data;
      } catch (e) {
        return e instanceof MlxRequestError ? [e.code, e.path, e.message] : String(e);
      }
    };
    for (const [op, attrs, idx] of [['take', { axis: 0 }, [1, 2 ** 30]], ['take', {}, [-(10 ** 8)]], ['take_along_axis', { axis: 0 }, [4]], ['put_along_axis', { axis: 0, reduce: 'none' }, [-5]]] as const) {
      const got = gather(op, attrs, [...idx], 'mlx');
      expect(got.slice(0, 2)).toEqual(['index_out_of_range', '/nodes/0/inputs/1']);
      expect(got).toEqual(gather(op, attrs, [...idx], 'native'));
    }
    expect(gather('take', {}, [3, -4], 'mlx')).toEqual([4, 1]);
    // the process is alive and the session answers
    expect(s.evalJson({ schema_version: 1, nodes: [{ id: 'z', op: 'ones', attrs: { shape: [2] } }], outputs: ['z'] }).outputs[0].data).toEqual([1, 1]);
    s.close();
  });

  it('refuses the dtypes MLX 0.31.2 builds but cannot evaluate: hadamard_transform of float64, gather_mm with indices and block_masked_mm with masks of anything but float32 (failing, the first two corrupted its heap)', () => {
    const s = new Session({ backend: 'mlx' });
    type In = { dtype?: string; shape: number[]; data?: number[] | boolean[] };
    const seq = (shape: number[]) => Array.from({ length: shape.reduce((p, q) => p * q, 1) }, (_, i) => (i % 7) - 3);
    const run = (op: string, attrs: Record<string, unknown>, ins: In[], dtype: string, backend: 'native' | 'mlx') =>
      s.evalJson({
        schema_version: 1,
        backend,
        inputs: ins.map((x, k) => ({ id: `x${k}`, dtype: x.dtype ?? dtype, shape: x.shape, data: x.data ?? seq(x.shape) })),
        nodes: [{ id: 'y', op, inputs: ins.map((_, k) => `x${k}`), attrs }],
        outputs: ['y'],
      }).outputs[0].data as number[];
    const cases: [string, Record<string, unknown>, In[], boolean][] = [
      ['hadamard_transform', {}, [{ shape: [2, 4] }], true],
      ['gather_mm', { has_lhs_indices: true }, [{ shape: [2, 2, 4] }, { shape: [4, 2] }, { dtype: 'uint32', shape: [3], data: [1, 0, 1] }], true],
      ['gather_mm', {}, [{ shape: [2, 4] }, { shape: [4, 2] }], false],
      ['block_masked_mm', { block_size: 32, has_mask_out: true }, [{ shape: [32, 32] }, { shape: [32, 32] }, { dtype: 'bool', shape: [1, 1], data: [true] }], true],
      ['block_masked_mm', { block_size: 32 }, [{ shape: [32, 32] }, { shape: [32, 32] }], false],
    ];
    const near = (got: number[], want: number[]) => {
      expect(got.length).toBe(want.length);
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i]))));
    };
    for (const [op, attrs, ins, refused] of cases) {
      if (refused) {
        try {
          run(op, attrs, ins, 'float64', 'mlx');
          expect.unreachable();
        } catch (e) {
          expect(e).toBeInstanceOf(MlxRefusedError);
          expect([op, (e as MlxRefusedError).code, (e as MlxRefusedError).subject]).toEqual([op, 'unsupported_dtype', '/nodes/0']);
          expect((e as MlxRefusedError).detail).toMatch(new RegExp(`${op}.* of float64`));
        }
      } else {
        near(run(op, attrs, ins, 'float64', 'mlx'), run(op, attrs, ins, 'float64', 'native'));
      }
      // float32 runs on MLX, and agrees with the native backend
      near(run(op, attrs, ins, 'float32', 'mlx'), run(op, attrs, ins, 'float32', 'native'));
    }
    // the first row [-3, -2, -1, 0] by Sylvester's H4 (rows ++++, +-+-, ++--, +--+), scale 1/2, by hand
    expect(run('hadamard_transform', {}, [{ shape: [2, 4] }], 'float32', 'mlx').slice(0, 4)).toEqual([-3, -1, -2, 0]);
    s.close();
  });

  it('refuses the gpu with the reason (this MLX is built for the CPU only)', () => {
    const s = new Session({ backend: 'mlx' });
    try {
      s.eval({ ...softmaxRequest, device: 'gpu' }, [x]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MlxRefusedError);
      expect((e as MlxRefusedError).code).toBe('unsupported_device');
      expect((e as MlxRefusedError).detail).toMatch(/built without a GPU backend/);
    }
    s.close();
  });

  it('the C program and the Python script print the same with the mlx backend', () => {
    const c = execFileSync(join(root, 'build/native/mlxcompat_example'), ['mlx'], { encoding: 'utf8' });
    expect(c).toMatch(/y = \[15, 33\]/);
    expect(c).toMatch(/"backend":"mlx","backend_version":"0\.31\.2"/);
    const py = execFileSync('python3', [join(root, 'native/capi/examples/eval_example.py'), '--backend', 'mlx'], { encoding: 'utf8' });
    expect(py).toMatch(/y = \[15\.0, 33\.0\]/);
    expect(py).toMatch(/"backend": "mlx"/);
  });

  it('MLXCOMPAT_BACKEND=mlx makes mlx the backend of every session of the process', () => {
    const out = execFileSync(join(root, 'build/native/mlxcompat_example'), { encoding: 'utf8', env: { ...process.env, MLXCOMPAT_BACKEND: 'mlx' } });
    expect(out).toMatch(/"backend":"native"/); // the example names its backend explicitly: native
    const script = `import(${JSON.stringify(dist)}).then(({ Session }) => {
      const r = new Session().evalJson({ schema_version: 1, nodes: [{ id: 'z', op: 'ones', attrs: { shape: [2] } }], outputs: ['z'] });
      console.log(r.receipt.backend);
    });`;
    const env = { ...process.env, MLXCOMPAT_BACKEND: 'mlx' };
    expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env }).trim()).toBe('mlx');
  });

  it('sessions on both backends run at once from several threads', async () => {
    const { Worker } = await import('node:worker_threads');
    const src = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.entry).then(({ Session }) => {
        const s = new Session({ backend: workerData.backend });
        let total = 0;
        for (let i = 0; i < 20; i++) {
          const r = s.evalJson({ schema_version: 1, nodes: [{ id: 'a', op: 'ones', attrs: { shape: [1 << 18] } }, { id: 'b', op: 'exp', inputs: ['a'] }, { id: 'c', op: 'log', inputs: ['b'] }, { id: 's', op: 'sum', inputs: ['c'] }], outputs: ['s'] });
          if (r.receipt.backend !== workerData.backend) throw new Error('ran on ' + r.receipt.backend);
          total += r.outputs[0].data[0];
        }
        s.close();
        parentPort.postMessage(total);
      });`;
    const totals = await Promise.all(
      ['native', 'mlx', 'native', 'mlx'].map((backend) => new Promise((resolve, reject) => {
        const w = new Worker(src, { eval: true, workerData: { entry: dist, backend } });
        w.once('message', resolve);
        w.once('error', reject);
      })),
    );
    // log(exp(1)) is 1 within float32 rounding: each sum is 20 * 2^18
    for (const t of totals as number[]) expect(Math.abs(t - 20 * 2 ** 18)).toBeLessThan(20 * 2 ** 18 * 1e-5);
  });
});

// A plan's run may ask for the compact reply: each output's handle or buffer
// and the receipt's counts, nothing the caller knew from the plan.
describe.each(HAVE_MLX ? (['native', 'mlx'] as const) : (['native'] as const))('the compact reply of a plan run on the %s backend', (backend) => {
  const define = (s: Session) =>
    s.evalJson({
      schema_version: 1,
      backend,
      define_plan: 'p',
      inputs: [{ id: 'x', dtype: 'float32', shape: [3], placeholder: true }, { id: 'c', dtype: 'float32', shape: [], data: 3 }],
      nodes: [{ id: 'y', op: 'multiply', inputs: ['x', 'c'] }, { id: 'z', op: 'exp', inputs: ['y'] }],
      outputs: [{ ref: 'z', as: 'handle' }, { ref: 'y', as: 'buffer' }],
    });
  const readBack = (s: Session, handle: string) =>
    Array.from(s.eval({ schema_version: 1, inputs: [{ id: 'h', handle }], outputs: [{ ref: 'h', as: 'buffer' }] }).outputs[0].array as Float32Array);

  it('gives the handles and buffers of the full reply, in order, with the receipt counts', () => {
    for (const validate of [true, false]) {
      const s = new Session({ validate });
      define(s);
      const x = new Float32Array([0.5, -1, 2]);
      const run = `{"schema_version":1,"run_plan":"p","reply":"compact","inputs":[{"id":"x","buffer":0}]}`;
      const full = s.eval({ schema_version: 1, run_plan: 'p', inputs: [{ id: 'x', buffer: 0 }] }, [x]);
      const compact = s.runCompact(run, [x]);
      expect(compact.outputs).toHaveLength(2);
      expect(typeof compact.outputs[0]).toBe('string');
      expect(compact.op_count).toBe(full.receipt.op_count);
      expect(compact.fused_groups).toBe(full.receipt.fused_groups);
      expect(compact.elapsed_ms).toBeGreaterThanOrEqual(0);
      // 3x exactly, and exp(3x) within about an ulp of float64's
      const scaled = Array.from(x, (v) => Math.fround(3 * v));
      const bytes = compact.outputs[1] as Uint8Array;
      expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 3))).toEqual(scaled);
      const held = readBack(s, compact.outputs[0] as string);
      held.forEach((v, i) => expect(Math.abs(v - Math.exp(scaled[i])) / Math.exp(scaled[i])).toBeLessThan(3e-7));
      expect(held).toEqual(readBack(s, full.outputs[0].handle!));
      // both handles stay resident until released
      expect(s.release(compact.outputs[0] as string) && s.release(full.outputs[0].handle!)).toBe(true);
      s.close();
    }
  });

  it('answers the outputs a run chooses, and refuses what a compact reply cannot carry', () => {
    const s = new Session({ validate: false });
    define(s);
    const run = (extra: string) => s.runCompact(`{"schema_version":1,"run_plan":"p","reply":"compact","inputs":[{"id":"x","data":[1,2,3]}]${extra}}`);
    const chosen = run(',"outputs":[{"ref":"y","as":"handle"}]');
    expect(chosen.outputs).toHaveLength(1);
    expect(readBack(s, chosen.outputs[0] as string)).toEqual([3, 6, 9]);
    const fails = (text: string, code: string, path: string) => {
      try {
        s.runCompact(text);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(MlxRequestError);
        expect([(e as MlxRequestError).code, (e as MlxRequestError).path]).toEqual([code, path]);
      }
    };
    // an inline output has no handle or buffer to give
    fails('{"schema_version":1,"run_plan":"p","reply":"compact","inputs":[{"id":"x","data":[1,2,3]}],"outputs":[{"ref":"y","as":"inline"}]}', 'invalid_request', '/reply');
    fails('{"schema_version":1,"run_plan":"p","reply":"short","inputs":[{"id":"x","data":[1,2,3]}]}', 'invalid_attr', '/reply');
    fails('{"schema_version":1,"run_plan":"p","reply":true,"inputs":[{"id":"x","data":[1,2,3]}]}', 'invalid_attr', '/reply');
    // the reply is a run_plan's choice: other requests do not take it
    fails('{"schema_version":1,"reply":"compact","inputs":[{"id":"x","dtype":"float32","shape":[],"data":1}],"outputs":["x"]}', 'unknown_field', '/reply');
    // errors of the run itself come back as in the full form
    fails('{"schema_version":1,"run_plan":"q","reply":"compact","inputs":[]}', 'unknown_plan', '/run_plan');
    // a compact reply sent through the calls that read the full one: a typed error, the session usable after
    const compactText = '{"schema_version":1,"run_plan":"p","reply":"compact","inputs":[{"id":"x","data":[1,2,3]}]}';
    expect(() => s.evalText(compactText)).toThrow(MlxBridgeError);
    expect(() => s.evalText(compactText)).toThrow(/runCompact/);
    expect(() => s.evalJson(compactText)).toThrow(/runCompact/);
    expect(readBack(s, run(',"outputs":[{"ref":"y","as":"handle"}]').outputs[0] as string)).toEqual([3, 6, 9]);
    // "full" is the usual response
    expect(s.evalJson({ schema_version: 1, run_plan: 'p', reply: 'full', inputs: [{ id: 'x', data: [1, 2, 3] }] }).outputs[1].shape).toEqual([3]);
    s.close();
  });

  it('is checked against the schema when the session validates', () => {
    const s = new Session();
    define(s);
    expect(() => s.runCompact('{"schema_version":1,"run_plan":"p","inputs":[{"id":"x","data":[1,2,3]}]}')).toThrow(/reply.*compact/);
    expect(() => s.runCompact('{"schema_version":1,"run_plan":"p","reply":"brief","inputs":[{"id":"x","data":[1,2,3]}]}')).toThrow(/reply/);
    s.close();
  });
});
