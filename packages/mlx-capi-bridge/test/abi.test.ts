// The C ABI as callers see it: buffers by pointer, resident handles, memory
// figures, the C and Python examples, and half-precision rounding.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type CompactResponse, MlxBridgeError, MlxRequestError, Session, capabilities, clearCache, memory, version } from '../src/index.js';
import { mx, run } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('capabilities', () => {
  it('lists every op with its attributes, and validates against its schema', () => {
    const caps = capabilities();
    expect(caps.engine_version).toBe(version());
    expect(caps.dtypes).toHaveLength(14);
    const names = caps.ops.map((o) => o.name);
    for (const op of ['add', 'matmul', 'sum', 'take_along_axis', 'softmax', 'topk', 'cumsum', 'arange', 'where', 'astype', 'slice_update', 'pad'])
      expect(names).toContain(op);
    expect(caps.ops.find((o) => o.name === 'sum')!.attrs.map((a) => a.name)).toEqual(['axes', 'keepdims']);
  });
});

describe('binary buffers and resident handles', () => {
  it('reads inputs by pointer and returns outputs as TypedArrays', () => {
    const s = new Session();
    const x = new Float32Array(1000).map((_, i) => i);
    const res = s.eval(
      { schema_version: 1, inputs: [{ id: 'x', dtype: 'float32', shape: [1000], buffer: 0 }], nodes: [{ id: 'y', op: 'sqrt', inputs: ['x'] }], outputs: ['y', 'x'] },
      [x],
    );
    const y = res.outputs[0].array as Float32Array;
    expect(y).toBeInstanceOf(Float32Array);
    y.forEach((v, i) => expect(v).toBeCloseTo(Math.sqrt(i), 5));
    // an input returned as an output is copied out, so it survives the call
    expect(Array.from(res.outputs[1].array as Float32Array)).toEqual(Array.from(x));
    s.close();
  });

  it('keeps arrays resident between requests until released', () => {
    const s = new Session();
    const w = new Float32Array([1, 2, 3, 4]);
    const first = s.eval({ schema_version: 1, inputs: [{ id: 'w', dtype: 'float32', shape: [2, 2], buffer: 0 }], nodes: [], outputs: [{ ref: 'w', as: 'handle' }] }, [w]);
    const h = first.outputs[0].handle!;
    expect(h).toMatch(/^h\d+$/);
    w.fill(0); // the engine holds its own copy
    // a training-style loop: w <- w * 0.5, kept resident, never copied through JSON
    let handle = h;
    for (let step = 0; step < 3; step++) {
      const r = s.evalJson({
        schema_version: 1,
        inputs: [{ id: 'w', handle }, { id: 'k', dtype: 'float32', shape: [], data: 0.5 }],
        nodes: [{ id: 'n', op: 'multiply', inputs: ['w', 'k'] }],
        outputs: [{ ref: 'n', as: 'handle' }],
      });
      expect(s.release(handle)).toBe(true);
      handle = r.outputs[0].handle!;
    }
    expect(s.handleCount()).toBe(1);
    const out = s.evalJson({ schema_version: 1, inputs: [{ id: 'w', handle }], nodes: [], outputs: ['w'] });
    expect(out.outputs[0]).toMatchObject({ dtype: 'float32', shape: [2, 2], data: [0.125, 0.25, 0.375, 0.5] });
    expect(s.release(handle)).toBe(true);
    expect(s.release(handle)).toBe(false);
    expect(() => s.evalJson({ schema_version: 1, inputs: [{ id: 'w', handle }], nodes: [], outputs: ['w'] })).toThrow(MlxRequestError);
    s.close();
  });

  it('reads a resident array straight into a TypedArray, and names what is wrong with a read', () => {
    const s = new Session();
    const x = new Float64Array(37).map((_, i) => i / 3 - 5);
    const res = s.eval(
      { schema_version: 1, inputs: [{ id: 'x', dtype: 'float64', shape: [37], buffer: 0 }], nodes: [{ id: 'y', op: 'exp', inputs: ['x'] }, { id: 'k', op: 'astype', inputs: ['x'], attrs: { dtype: 'int16' } }], outputs: [{ ref: 'y', as: 'handle' }, { ref: 'k', as: 'handle' }] },
      [x],
    );
    const [y, k] = res.outputs.map((o) => o.handle!);
    const read = s.read(y, 'float64', 37 * 8) as Float64Array;
    expect(read).toBeInstanceOf(Float64Array);
    read.forEach((v, i) => expect(Math.abs(v - Math.exp(x[i])) / Math.exp(x[i])).toBeLessThan(1e-15));
    expect(Array.from(s.read(k, 'int16', 37 * 2))).toEqual(Array.from(x, (v) => Math.trunc(v) | 0));
    expect(() => s.read(y, 'float32', 37 * 4 + 4)).toThrow(/read: resident array h\d+ holds 296 bytes, not 152/);
    expect(() => s.read(y, 'float32', 6)).toThrow(/6 bytes is no whole number of float32 elements/);
    expect(() => s.read('h999999', 'float32', 4)).toThrow(/no resident array h999999/);
    s.release(y);
    expect(() => s.read(y, 'float64', 37 * 8)).toThrow(MlxBridgeError);
    s.close();
  });

  it('releases a list of handles in one call, counting those the session held', () => {
    const s = new Session({ validate: false });
    const made = () => s.evalJson({ schema_version: 1, nodes: [{ id: 'z', op: 'zeros', attrs: { shape: [4] } }], outputs: [{ ref: 'z', as: 'handle' }] }).outputs[0].handle!;
    const handles = Array.from({ length: 5 }, made);
    const before = s.handleCount();
    expect(s.releaseAllAfterJobs([handles[0], handles[3], 'h999999'])).toBe(2);
    expect(s.handleCount()).toBe(before - 2);
    expect(s.releaseAllAfterJobs([])).toBe(0);
    expect(s.releaseAllAfterJobs(handles)).toBe(3);
    expect(s.handleCount()).toBe(before - 5);
    s.close();
  });

  it('answers an evaluation compactly when asked: handles and buffers, and each type as numbers', () => {
    for (const validate of [true, false]) {
      const s = new Session({ validate });
      const x = new Float32Array([1, 4, 9, 16, 25, 36]);
      const text = JSON.stringify({
        schema_version: 1,
        inputs: [{ id: 'x', dtype: 'float32', shape: [2, 3], buffer: 0 }],
        nodes: [{ id: 'r', op: 'sqrt', inputs: ['x'] }, { id: 's', op: 'sum', inputs: ['x'], attrs: { axes: [1] } }, { id: 'c', op: 'astype', inputs: ['x'], attrs: { dtype: 'int64' } }],
        outputs: [{ ref: 'r', as: 'handle' }, { ref: 's', as: 'buffer' }, { ref: 'c', as: 'handle' }],
      });
      const res = s.evalText(text, [x], 'compact') as CompactResponse;
      // float32 is dtype 11, int64 dtype 8 (capabilities' order)
      expect(capabilities().dtypes.indexOf('float32')).toBe(11);
      expect(res.types).toEqual([11, 2, 2, 3, 11, 1, 2, 8, 2, 2, 3]);
      expect(res.op_count).toBe(3);
      const [r, sum, c] = res.outputs;
      expect(Array.from(s.read(r as string, 'float32', 24))).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Array.from(new Float32Array((sum as Uint8Array).slice().buffer))).toEqual([14, 77]);
      expect(Array.from(s.read(c as string, 'int64', 48))).toEqual([1n, 4n, 9n, 16n, 25n, 36n]);
      // the full reply by default
      expect(s.evalText(text, [x]).outputs.map((o) => o.shape)).toEqual([[2, 3], [2], [2, 3]]);
      // an inline output cannot come back compactly; errors are the full form's
      expect(() => s.evalText(text.replace('"as":"buffer"', '"as":"inline"'), [x], 'compact')).toThrow(/invalid_request at \/outputs/);
      expect(() => s.evalText(text.replace('"inputs":["x"]', '"inputs":["z"]'), [x], 'compact')).toThrow(/missing_reference at \/nodes\/0\/inputs\/0/);
      s.close();
    }
  });

  it("reads the engine's compact replies as JSON.parse does, and leaves any other text to it", async () => {
    const { scanCompact } = await import('../src/compact.js');
    const { native } = await import('../src/native.js');
    const s = new Session({ validate: false });
    const texts: string[] = [];
    const x = new Float32Array(12).fill(2);
    // replies of 0 to 7 outputs, handles and buffers mixed, of ranks 0 to 3
    for (let k = 0; k < 8; k++) {
      const nodes = Array.from({ length: k }, (_, i) => ({ id: `n${i}`, op: i % 2 ? 'exp' : 'sum', inputs: ['x'], ...(i % 2 ? {} : { attrs: { axes: [0, 1, 2].slice(0, i % 4) } }) }));
      const outputs = nodes.map((n, i) => ({ ref: n.id, as: i % 3 === 1 ? 'buffer' : 'handle' }));
      const text = JSON.stringify({ schema_version: 1, inputs: [{ id: 'x', dtype: 'float32', shape: [2, 3, 2], buffer: 0 }], nodes, outputs });
      const r = native().evalCompact(s['ptr' as keyof Session], text, text.length, [{ data: x, size: x.byteLength }], 1);
      texts.push(native().resultJson(r) as string);
      native().resultFree(r);
    }
    for (const t of texts) expect(scanCompact(t)).toEqual(JSON.parse(t).compact);
    expect(texts[7]).toContain('"h');
    // what is not a compact reply in the engine's form goes to JSON.parse
    const t = texts[5];
    for (const other of [
      t.replace('"outputs":[', '"outputs": ['), t.replace('"h', '"h\\u0041'), t.replace(/"elapsed_ms":[^}]*/, '"elapsed_ms":-1'), t.replace(/"elapsed_ms":[^}]*/, '"elapsed_ms":'),
      t.replace('"types":[', '"types":[-'), t.replace(',"op_count"', ',"op_counts"'), t.slice(0, -1), t.replace('],"types"', ',],"types"'), '{"schema_version":1,"status":"error","error":{"code":"x","path":"","message":"m"}}',
    ])
      expect(scanCompact(other), other).toBeUndefined();
    s.close();
  });

  it('rejects a buffer whose size does not fit its dtype and shape', () => {
    const s = new Session();
    expect(() => s.eval({ schema_version: 1, inputs: [{ id: 'x', dtype: 'float64', shape: [3], buffer: 0 }], nodes: [], outputs: ['x'] }, [new Float32Array(3)])).toThrow(
      /invalid_buffer at \/inputs\/0\/buffer: buffer holds 12 bytes, float64\[3\] needs 24/,
    );
    s.close();
  });

  it('reports real memory: resident arrays count as active until released', () => {
    const s = new Session();
    clearCache();
    const before = memory().active;
    const res = s.evalJson({ schema_version: 1, nodes: [{ id: 'z', op: 'zeros', attrs: { shape: [1024, 1024] } }], outputs: [{ ref: 'z', as: 'handle' }] });
    expect(memory().active - before).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    s.release(res.outputs[0].handle!);
    expect(memory().active - before).toBeLessThan(4 * 1024 * 1024);
    expect(memory().peak).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    s.close();
  });

  it('refuses handles without a session (NULL session in C)', async () => {
    const { native } = await import('../src/native.js');
    const req = JSON.stringify({ schema_version: 1, nodes: [{ id: 'z', op: 'zeros', attrs: { shape: [1] } }], outputs: [{ ref: 'z', as: 'handle' }] });
    const { takeString } = await import('../src/native.js');
    const res = JSON.parse(takeString(native().evalJson(null, req, req.length)));
    expect(res.refusal.code).toBe('unsupported_output');
  });

  it('serves several sessions from concurrent threads (worker_threads)', async () => {
    const { Worker } = await import('node:worker_threads');
    const src = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData).then(({ Session }) => {
        const s = new Session();
        let total = 0;
        // large enough to take the parallel paths, so the threads contend for the worker pool
        for (let i = 0; i < 30; i++) {
          const r = s.evalJson({ schema_version: 1, nodes: [{ id: 'a', op: 'ones', attrs: { shape: [1 << 20] } }, { id: 'b', op: 'exp', inputs: ['a'] }, { id: 'c', op: 'log', inputs: ['b'] }, { id: 's', op: 'sum', inputs: ['c'] }], outputs: ['s'] });
          total += r.outputs[0].data[0];
        }
        s.close();
        parentPort.postMessage(total);
      });`;
    const entry = join(root, 'packages/mlx-capi-bridge/dist/index.js');
    const totals = await Promise.all(
      [0, 1, 2].map(() => new Promise((resolve, reject) => {
        const w = new Worker(src, { eval: true, workerData: entry });
        w.once('message', resolve);
        w.once('error', reject);
      })),
    );
    // log(exp(1)) rounds to 1 or a hair off: each sum is 2^20 within float32 rounding
    for (const t of totals as number[]) expect(Math.abs(t - 30 * 2 ** 20)).toBeLessThan(30 * 2 ** 20 * 1e-5);
  });
});

describe('examples in other languages', () => {
  it('the C program prints y = [15, 33]', () => {
    const out = execFileSync(join(root, 'build/native/mlxcompat_example'), { encoding: 'utf8' });
    expect(out).toMatch(/y = \[15, 33\]/);
  });
  it("the engine's JSON reader agrees with nlohmann's parser on random and damaged texts", () => {
    const seed = process.env.MLXCOMPAT_SEED ?? '20261122';
    const out = execFileSync(join(root, 'build/native/mlxcompat_json_check'), [seed, '30000'], { encoding: 'utf8' });
    expect(out).toMatch(/^checked 30000 texts \(\d+ accepted\)/);
  });
  it("the engine's products leave an OpenBLAS the host loaded as it was (its own copy is private)", () => {
    // A host with the system OpenBLAS (as real MLX has) asks its thread count
    // before and after the engine has loaded and run a threaded matmul.
    const script = [
      'import ctypes, sys',
      'blas = ctypes.CDLL("libopenblas.so.0")',
      'before = blas.openblas_get_num_threads()',
      'lib = ctypes.CDLL(sys.argv[1])',
      'lib.mlxcompat_eval_json.restype = ctypes.c_void_p',
      'req = b\'{"schema_version":1,"nodes":[{"id":"a","op":"ones","attrs":{"shape":[256,256]}},{"id":"c","op":"matmul","inputs":["a","a"]},{"id":"s","op":"sum","inputs":["c"]}],"outputs":["s"]}\'',
      'out = lib.mlxcompat_eval_json(None, req, len(req))',
      'print(ctypes.string_at(out).decode())',
      'print(before, blas.openblas_get_num_threads())',
    ].join('\n');
    const out = execFileSync('python3', ['-c', script, join(root, 'build/native/libmlxcompat.so')], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '2' } }).trim().split('\n');
    expect(JSON.parse(out[0]).outputs[0].data).toEqual([256 ** 3]); // every entry of ones @ ones is 256
    expect(out[1]).toBe('2 2');
  });
  it("the engine's OpenBLAS starts no spinning threads: an idle process burns no CPU after a product", () => {
    // CPU time the process burns while idle for 0.3 s after a threaded matmul;
    // also: the OPENBLAS_NUM_THREADS the engine sets for its own OpenBLAS is put back.
    const script = [
      'import ctypes, os, sys, time',
      'libc = ctypes.CDLL(None); libc.getenv.restype = ctypes.c_char_p',
      'lib = ctypes.CDLL(sys.argv[1])',
      'lib.mlxcompat_eval_json.restype = ctypes.c_void_p',
      'req = b\'{"schema_version":1,"nodes":[{"id":"a","op":"ones","attrs":{"shape":[512,512]}},{"id":"c","op":"matmul","inputs":["a","a"]},{"id":"s","op":"sum","inputs":["c"]}],"outputs":["s"]}\'',
      'lib.mlxcompat_eval_json(None, req, len(req))',
      't = os.times(); time.sleep(0.3); u = os.times()',
      'print(round((u.user + u.system - t.user - t.system) * 1000), libc.getenv(b"OPENBLAS_NUM_THREADS"))',
    ].join('\n');
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '7' };
    const [burnt, timeout] = execFileSync('python3', ['-c', script, join(root, 'build/native/libmlxcompat.so')], { encoding: 'utf8', env }).trim().split(' ');
    // the engine's pool polls for up to 50 ms; OpenBLAS's own workers would add about 100 ms
    expect(Number(burnt)).toBeLessThan(90);
    expect(timeout).toBe("b'7'");
  });
  it('the Python ctypes script prints y = [15.0, 33.0]', () => {
    const out = execFileSync('python3', [join(root, 'native/capi/examples/eval_example.py')], { encoding: 'utf8' });
    expect(out).toMatch(/y = \[15\.0, 33\.0\]/);
  });
});

describe('half-precision rounding', () => {
  // Ties, subnormals, overflow and the largest finite values of each format.
  const values = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65519.99, 65520, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 1e-8, -0.1, 1 / 3, 3.3895313892515355e38, 1 + 2 ** -8, 1 + 3 * 2 ** -8];
  for (const dtype of ['float16', 'bfloat16'] as const) {
    it(`float32 -> ${dtype} rounds to nearest even like MLX`, () => {
      const got = run('astype', [{ dtype: 'float32', shape: [values.length], data: values }], { dtype });
      const want = mx.array(values, mx.float32).astype(mx[dtype]).tolist() as number[];
      expect(got.values).toEqual(want);
    });
  }
  it('float16 by hand: ties go to even, 65520 overflows, 2^-25 rounds to 0', () => {
    const got = run('astype', [{ dtype: 'float32', shape: [5], data: [1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 2 ** -25, 3 * 2 ** -26] }], { dtype: 'float16' }).values;
    expect(got).toEqual([1, 1 + 2 ** -9, Infinity, 0, 2 ** -24]);
  });
});

describe('plans: a graph defined once, run with new inputs', () => {
  it('runs a kept graph with only its placeholders sent, and checks them', () => {
    const s = new Session();
    s.evalJson({
      schema_version: 1,
      define_plan: 'affine',
      inputs: [{ id: 'x', dtype: 'float32', shape: [3], placeholder: true }, { id: 'w', dtype: 'float32', shape: [], data: 2 }],
      nodes: [{ id: 'y', op: 'multiply', inputs: ['x', 'w'] }, { id: 'z', op: 'add', inputs: ['y', 'x'] }],
      outputs: ['z'],
    });
    for (const v of [[1, 2, 3], [-1, 0, 0.5]]) {
      const r = s.eval({ schema_version: 1, run_plan: 'affine', inputs: [{ id: 'x', buffer: 0 }] }, [new Float32Array(v)]);
      expect(Array.from(r.outputs[0].array as Float32Array)).toEqual(v.map((x) => 3 * x));
    }
    const chosen = s.evalJson({ schema_version: 1, run_plan: 'affine', inputs: [{ id: 'x', data: [1, 1, 1] }], outputs: ['y'] });
    expect(chosen.outputs[0].data).toEqual([2, 2, 2]);
    const errors: Array<[object, string]> = [
      [{ run_plan: 'missing' }, 'unknown_plan'],
      [{ run_plan: 'affine' }, 'missing_field'],
      [{ run_plan: 'affine', inputs: [{ id: 'w', data: 1 }] }, 'unknown_input'],
      [{ run_plan: 'affine', inputs: [{ id: 'x', dtype: 'int32', data: [1, 2, 3] }] }, 'invalid_dtype'],
      [{ run_plan: 'affine', inputs: [{ id: 'x', data: [1, 2, 3] }], nodes: [] }, 'unknown_field'],
      [{ run_plan: 'affine', inputs: [{ id: 'x', data: [1, 2, 3] }], device: 'gpu' }, 'unsupported_device'],
      [{ run_plan: 'affine', inputs: [{ id: 'x', buffer: 3 }] }, 'invalid_buffer'],
    ];
    for (const [req, code] of errors) expect(() => s.evalJson({ schema_version: 1, ...req } as never)).toThrow(new RegExp(code));
    // placeholders belong to define_plan requests only
    expect(() => s.evalJson({ schema_version: 1, inputs: [{ id: 'x', dtype: 'float32', shape: [1], placeholder: true }], outputs: ['x'] })).toThrow(/invalid_input/);
    // released, the plan is gone: a run of it is an unknown plan, a second release says so
    expect(s.planCount()).toBe(1);
    expect(s.releasePlan('affine')).toBe(true);
    expect(s.planCount()).toBe(0);
    expect(() => s.evalJson({ schema_version: 1, run_plan: 'affine', inputs: [{ id: 'x', data: [1, 2, 3] }] })).toThrow(/unknown_plan/);
    expect(s.releasePlan('affine')).toBe(false);
    s.close();
  });

  it('a run that fails, or asks for other outputs, leaves the plan as it was', () => {
    const s = new Session();
    s.evalJson({
      schema_version: 1,
      define_plan: 'p',
      inputs: [{ id: 'x', dtype: 'float32', shape: [2], placeholder: true }, { id: 'i', dtype: 'int32', shape: [2], placeholder: true }],
      nodes: [{ id: 'e', op: 'exp', inputs: ['x'] }, { id: 't', op: 'take', inputs: ['e', 'i'] }, { id: 'n', op: 'negative', inputs: ['t'] }],
      outputs: ['n'],
    });
    const ok = (x: number[], i: number[]) => s.evalJson({ schema_version: 1, run_plan: 'p', inputs: [{ id: 'x', data: x }, { id: 'i', data: i }] }).outputs[0];
    expect(ok([0, 1], [1, 0]).data).toEqual([-Math.fround(Math.E), -1]);
    // an index out of range fails inside the run, after exp has run
    expect(() => ok([0, 1], [5, 0])).toThrow(/index/);
    const both = s.evalJson({ schema_version: 1, run_plan: 'p', inputs: [{ id: 'x', data: [0, 0] }, { id: 'i', data: [0, 0] }], outputs: ['e', { ref: 'n', as: 'inline' }] });
    expect(both.outputs.map((o) => o.data)).toEqual([[1, 1], [-1, -1]]);
    // the plan's own outputs again, and its placeholders must be sent again
    expect(ok([1, 0], [0, 0]).data).toEqual([-Math.fround(Math.E), -Math.fround(Math.E)]);
    expect(() => s.evalJson({ schema_version: 1, run_plan: 'p', inputs: [{ id: 'x', data: [0, 0] }] })).toThrow(/missing_field/);
    s.close();
  });
});
