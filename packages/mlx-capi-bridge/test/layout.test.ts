// Shape, indexing, creation and sort ops against real MLX, and by hand where MLX 0.13 lacks them.
import { describe, expect, it } from 'vitest';
import { MlxRequestError, type DType } from '../src/index.js';
import { expectClose, mx, oracle, randomArr, rng, run, session, type Arr, type Result } from './helpers.js';

const SEED = Number(process.env.MLXCOMPAT_SEED ?? 20261122);
const r = rng(SEED + 1001);
const a234 = randomArr(r, 'float32', [2, 3, 4]);
const i234 = randomArr(r, 'int16', [2, 3, 4]);

describe('shape ops', () => {
  const cases: Array<[string, Arr, Record<string, unknown>, (x: never) => unknown]> = [
    ['reshape', a234, { shape: [4, -1] }, (x) => mx.reshape(x, [4, 6])],
    ['reshape', i234, { shape: [24] }, (x) => mx.reshape(x, [24])],
    ['transpose', a234, {}, (x) => mx.transpose(x)],
    ['transpose', i234, { axes: [1, -1, 0] }, (x) => mx.transpose(x, [1, 2, 0])],
    ['squeeze', randomArr(r, 'float32', [1, 3, 1]), {}, (x) => mx.squeeze(x)],
    ['squeeze', randomArr(r, 'int32', [1, 3, 1]), { axes: [-1] }, (x) => mx.squeeze(x, [2])],
    ['expand_dims', a234, { axes: [0, -1] }, (x) => mx.expandDims(x, [0, 4])],
    ['broadcast_to', randomArr(r, 'float16', [3, 1]), { shape: [2, 3, 5] }, (x) => mx.broadcastTo(x, [2, 3, 5])],
    ['flatten', a234, { start_axis: 1 }, (x) => mx.flatten(x, 1)],
    ['flatten', i234, {}, (x) => mx.flatten(x)],
    ['tile', randomArr(r, 'int32', [2, 3]), { reps: [2, 1, 2] }, (x) => mx.tile(x, [2, 1, 2])],
    ['repeat', randomArr(r, 'float32', [2, 3]), { repeats: 3, axis: 1 }, (x) => mx.repeat(x, 3, 1)],
    ['repeat', randomArr(r, 'uint8', [2, 3]), { repeats: 2 }, (x) => mx.repeat(x, 2)],
    ['pad', randomArr(r, 'float32', [2, 3]), { pad_width: [1, 2], value: 7 }, (x) => mx.pad(x, [[1, 2], [1, 2]], mx.array(7))],
    ['pad', randomArr(r, 'int32', [2, 3]), { pad_width: [0, 1, 2, 0] }, (x) => mx.pad(x, [[0, 1], [2, 0]])],
  ];
  for (const [op, a, attrs, fn] of cases) {
    it(`${op}(${a.dtype}${JSON.stringify(a.shape)}, ${JSON.stringify(attrs)}) matches MLX`, () => {
      expectClose(run(op, [a], attrs), oracle(fn as never, [a]) as never, op);
    });
  }

  it('concatenate and stack promote and join along any axis', () => {
    const x = randomArr(r, 'float32', [2, 3]), y = randomArr(r, 'int32', [2, 3]), z = randomArr(r, 'float16', [2, 1]);
    expectClose(run('concatenate', [x, y], { axis: 0 }), oracle((p, q) => mx.concatenate([p, q], 0), [x, y]) as never, 'concat 0');
    expectClose(run('concatenate', [x, z, y], { axis: -1 }), oracle((p, q, s) => mx.concatenate([p, q, s], 1), [x, z, y]) as never, 'concat -1');
    expectClose(run('stack', [x, y], { axis: 1 }), oracle((p, q) => mx.stack([p, q], 1), [x, y]) as never, 'stack 1');
    expect(() => run('concatenate', [x, randomArr(r, 'float32', [3, 3])], { axis: 1 })).toThrow(/invalid_shape at \/nodes\/0\/inputs\/1/);
  });

  it('split by sections and by indices, each output named id:k', () => {
    const x = randomArr(r, 'float32', [6, 2]);
    for (const [arg, parts] of [[3, 3], [[1, 4], 3]] as Array<[number | number[], number]>) {
      const want = mx.split(mx.reshape(mx.array(x.data), [6, 2]), arg, 0);
      for (let k = 0; k < parts; k++) expectClose(run('split', [x], { indices_or_sections: arg, axis: 0 }, k), oracle(() => want[k], []) as never, `split ${arg} #${k}`);
    }
    expect(() => run('split', [x], { indices_or_sections: 4 })).toThrow(/invalid_attr/);
  });

  it('rejects bad reshapes and axes with paths into the attributes', () => {
    expect(() => run('reshape', [a234], { shape: [5, -1] })).toThrow(/invalid_shape at \/nodes\/0\/attrs\/shape/);
    expect(() => run('transpose', [a234], { axes: [0, 0, 1] })).toThrow(/invalid_axis/);
    expect(() => run('squeeze', [a234], { axes: [0] })).toThrow(/cannot squeeze axis 0/);
    expect(() => run('expand_dims', [a234], { axes: [7] })).toThrow(/invalid_axis at \/nodes\/0\/attrs\/axes/);
  });
});

// Python slicing, written out independently of the engine.
function pySlice(n: number, start: number, stop: number, step: number): number[] {
  const norm = (x: number, lo: number, hi: number) => Math.min(Math.max(x < 0 ? x + n : x, lo), hi);
  const out: number[] = [];
  if (step > 0) for (let i = norm(start, 0, n); i < norm(stop, 0, n); i += step) out.push(i);
  else for (let i = norm(start, -1, n - 1); i > norm(stop, -1, n - 1); i += step) out.push(i);
  return out;
}

describe('indexing', () => {
  it('slice follows Python semantics for negative, clamped and reversed ranges', () => {
    const x: Arr = { dtype: 'int32', shape: [4, 5], data: Array.from({ length: 20 }, (_, i) => i) };
    const specs: Array<[number[], number[], number[]]> = [
      [[0, 0], [4, 5], [1, 1]], [[1, -4], [3, 100], [1, 2]], [[3, 4], [-10, 0], [-1, -2]], [[-1, 2], [-5, 2], [-2, 1]], [[2, 0], [2, 5], [1, 1]],
    ];
    for (const [start, stop, strides] of specs) {
      const rows = pySlice(4, start[0], stop[0], strides[0]), cols = pySlice(5, start[1], stop[1], strides[1]);
      const got = run('slice', [x], { start, stop, strides });
      expect(got.shape).toEqual([rows.length, cols.length]);
      expect(got.values).toEqual(rows.flatMap((i) => cols.map((j) => i * 5 + j)));
    }
  });

  it('slice_update writes a broadcast update into the slice only', () => {
    const x: Arr = { dtype: 'float32', shape: [3, 4], data: Array(12).fill(0) };
    const got = run('slice_update', [x, { dtype: 'int32', shape: [1], data: [5] }], { start: [0, 3], stop: [3, 0], strides: [2, -2] });
    const want = Array(12).fill(0);
    for (const i of [0, 2]) for (const j of [3, 1]) want[i * 4 + j] = 5;
    expect(got).toEqual({ dtype: 'float32', shape: [3, 4], values: want });
  });

  it('take matches MLX with and without an axis, negative indices wrapping', () => {
    const x = randomArr(r, 'float32', [3, 4]);
    const idx: Arr = { dtype: 'int32', shape: [2, 2], data: [0, -1, 2, 1] };
    const pos: Arr = { ...idx, data: [0, 3, 2, 1] };
    expectClose(run('take', [x, idx], { axis: 1 }), oracle((p, q) => mx.take(p, q, 1), [x, pos]) as never, 'take axis 1');
    const flat: Arr = { ...idx, data: [0, 11, 5, 7] };
    expectClose(run('take', [x, flat]), oracle((p, q) => mx.take(p, q), [x, flat]) as never, 'take flat');
  });

  it('take_along_axis matches MLX; put_along_axis writes where it reads (by hand)', () => {
    const x = randomArr(r, 'int32', [3, 4]);
    const idx: Arr = { dtype: 'uint32', shape: [3, 2], data: [3, 0, 1, 1, 2, 3] };
    expectClose(run('take_along_axis', [x, idx], { axis: 1 }), oracle((p, q) => mx.takeAlongAxis(p, q, 1), [x, idx]) as never, 'take_along_axis');
    const v: Arr = { dtype: 'int32', shape: [3, 2], data: [10, 20, 30, 40, 50, 60] };
    const got = run('put_along_axis', [x, idx, v], { axis: 1 });
    const want = [...x.data];
    for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) want[i * 4 + idx.data[i * 2 + k]] = v.data[i * 2 + k];
    expect(got.values).toEqual(want);
  });

  it('raises index_out_of_range with the path of the indices', () => {
    const x = randomArr(r, 'float32', [3]);
    try {
      run('take', [x, { dtype: 'int32', shape: [1], data: [3] }], { axis: 0 });
      expect.unreachable();
    } catch (e) {
      expect((e as MlxRequestError).code).toBe('index_out_of_range');
      expect((e as MlxRequestError).path).toBe('/nodes/0/inputs/1');
    }
    expect(() => run('take', [x, { dtype: 'float32', shape: [1], data: [0] }])).toThrow(/indices must be integers/);
  });
});

describe('creation', () => {
  const make = (op: string, attrs: Record<string, unknown>) => run(op, [], attrs);
  const cases: Array<[string, Record<string, unknown>, () => unknown]> = [
    ['zeros', { shape: [2, 3], dtype: 'int32' }, () => mx.zeros([2, 3], mx.int32)],
    ['ones', { shape: [4] }, () => mx.ones([4])],
    ['ones', { shape: [], dtype: 'bool' }, () => mx.ones([], mx.bool)],
    ['arange', { start: 1, stop: 10, step: 2.5 }, () => mx.arange(1, 10, 2.5)],
    ['arange', { start: 10, stop: 0, step: -3, dtype: 'int32' }, () => mx.arange(10, 0, -3, mx.int32)],
    ['linspace', { start: 0, stop: 1, num: 7 }, () => mx.linspace(0, 1, 7)],
    ['eye', { n: 3, m: 4, k: 1 }, () => mx.eye(3, 4, 1)],
    ['identity', { n: 3, dtype: 'float16' }, () => mx.identity(3, mx.float16)],
    ['tri', { n: 3, m: 5, k: -1 }, () => mx.tri(3, 5, -1)],
  ];
  for (const [op, attrs, fn] of cases) {
    it(`${op}(${JSON.stringify(attrs)}) matches MLX`, () => expectClose(make(op, attrs), oracle(fn as never, []) as never, op));
  }
  it('full broadcasts its value input and takes its dtype unless told', () => {
    const v: Arr = { dtype: 'int32', shape: [3], data: [1, 2, 3] };
    expectClose(run('full', [v], { shape: [2, 3] }), oracle((x) => mx.full([2, 3], x), [v]) as never, 'full');
    expect(run('full', [v], { shape: [2, 3], dtype: 'float16' }).dtype).toBe('float16');
    expect(() => run('full', [v], { shape: [2, 2] })).toThrow(/invalid_shape at \/nodes\/0\/inputs\/0/);
  });
});

describe('sorting', () => {
  for (const dtype of ['float32', 'int32', 'uint8', 'float16'] as DType[]) {
    it(`sort and argsort match MLX on ${dtype}, along each axis and flattened`, () => {
      const x = randomArr(rng(SEED + dtype.length), dtype, [3, 5], -3, 3);
      for (const axis of [0, 1, -1]) {
        expectClose(run('sort', [x], { axis }), oracle((p) => mx.sort(p, axis), [x]) as never, `sort ${axis}`);
        // argsort ties may order differently: check it sorts, and matches MLX where values are distinct.
        const idx = run('argsort', [x], { axis });
        expect(idx.dtype).toBe('uint32');
        const sorted = run('take_along_axis', [x, { dtype: 'uint32', shape: idx.shape, data: idx.values }], { axis });
        expect(sorted.values).toEqual(run('sort', [x], { axis }).values);
      }
      expectClose(run('sort', [x], { axis: null }), oracle((p) => mx.sort(p, null), [x]) as never, 'sort flat');
    });
  }
  it('sorts NaN last (NumPy order)', () => {
    const got = run('sort', [{ dtype: 'float32', shape: [4], data: ['nan', 3, -1, 'inf'] as unknown as number[] }]);
    expect(got.values.slice(0, 3)).toEqual([-1, 3, Infinity]);
    expect(Number.isNaN(got.values[3])).toBe(true);
  });
  it('topk returns the k largest (compared as sets with MLX)', () => {
    const x = randomArr(rng(SEED + 9), 'float32', [4, 6]);
    const got = run('topk', [x], { k: 3, axis: -1 });
    const want = oracle((p) => mx.topk(p, 3, -1), [x]) as { values: number[] };
    expect(got.shape).toEqual([4, 3]);
    for (let i = 0; i < 4; i++) {
      const g = got.values.slice(i * 3, i * 3 + 3).sort((p, q) => p - q), w = want.values.slice(i * 3, i * 3 + 3).sort((p, q) => p - q);
      expect(g).toEqual(w);
    }
    expect(() => run('topk', [x], { k: 7 })).toThrow(/outside/);
  });
});

describe('graphs', () => {
  it('runs a fused elementwise chain and says so in the receipt', () => {
    const x = randomArr(r, 'float32', [64, 64]);
    const res = session().evalJson({
      schema_version: 1,
      inputs: [{ id: 'x', dtype: 'float32', shape: [64, 64], data: x.data }],
      nodes: [
        { id: 'a', op: 'exp', inputs: ['x'] },
        { id: 'b', op: 'multiply', inputs: ['a', 'x'] },
        { id: 'c', op: 'tanh', inputs: ['b'] },
        { id: 'd', op: 'add', inputs: ['c', 'x'] },
      ],
      outputs: ['d'],
    });
    expect(res.receipt.fused_groups).toBe(1);
    const want = x.data.map((v) => Math.tanh(Math.exp(v) * v) + v);
    res.outputs[0].data!.forEach((v, i) => expect(Math.abs(Number(v) - want[i])).toBeLessThan(1e-5 * (1 + Math.abs(want[i]))));
  });

  it('still fuses a chain whose intermediates are requested too, and returns each of them', () => {
    // the facade requests every value a program may still hold; over several
    // chunks and threads (1M elements) each requested member is written out whole
    for (const n of [5, 1 << 20]) {
      const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 2);
      const res = session().eval(
        {
          schema_version: 1,
          inputs: [{ id: 'x', dtype: 'float32', shape: [n], buffer: 0 }],
          nodes: [
            { id: 'a', op: 'exp', inputs: ['x'] },
            { id: 'b', op: 'multiply', inputs: ['a', 'x'] },
            { id: 'c', op: 'tanh', inputs: ['b'] },
            { id: 'd', op: 'add', inputs: ['c', 'x'] },
          ],
          outputs: ['d', 'a', 'b', 'c'].map((ref) => ({ ref, as: 'buffer' as const })),
        },
        [x],
      );
      expect(res.receipt.fused_groups).toBe(1);
      const [d, a, b, c] = res.outputs.map((o) => o.array as Float32Array);
      for (let i = 0; i < n; i += n > 100 ? 997 : 1) {
        const ea = Math.exp(x[i]), ec = Math.tanh(ea * x[i]);
        expect(Math.abs(a[i] - ea)).toBeLessThan(1e-5 * (1 + ea));
        expect(Math.abs(b[i] - ea * x[i])).toBeLessThan(1e-5 * (1 + Math.abs(ea * x[i])));
        expect(Math.abs(c[i] - ec)).toBeLessThan(1e-5);
        expect(Math.abs(d[i] - (ec + x[i]))).toBeLessThan(1e-5 * (1 + Math.abs(ec + x[i])));
      }
      expect(a[n - 1]).toBeCloseTo(Math.exp(x[n - 1]), 3);
    }
  });

  it('a fused tree of random elementwise ops over several chunks matches MLX', () => {
    // Each intermediate is read once, so the whole tree is one group and
    // reuses scratch slots as branches finish.
    const rt = rng(SEED + 77);
    const shape = [3, 1500];
    const leaves = [randomArr(rt, 'float32', shape, -1, 1), randomArr(rt, 'float32', shape, -1, 1), randomArr(rt, 'float32', [1], -1, 1)];
    const unary = ['sin', 'tanh', 'negative', 'square', 'abs'], binary = ['add', 'subtract', 'multiply', 'maximum', 'minimum'];
    const nodes: Array<{ id: string; op: string; inputs: string[] }> = [];
    let pool = leaves.flatMap((_, i) => [`in${i}`, `in${i}`, `in${i}`]);
    while (pool.length > 1 || nodes.length < 40) {
      const take = () => pool.splice(Math.floor(rt() * pool.length), 1)[0];
      const id = `t${nodes.length}`;
      if (pool.length > 1 && rt() < 0.6) nodes.push({ id, op: binary[Math.floor(rt() * binary.length)], inputs: [take(), take()] });
      else nodes.push({ id, op: unary[Math.floor(rt() * unary.length)], inputs: [take()] });
      pool.push(id);
    }
    const root = nodes[nodes.length - 1].id;
    const res = session().evalJson({ schema_version: 1, inputs: leaves.map((a, i) => ({ id: `in${i}`, dtype: 'float32', shape: a.shape, data: a.data })), nodes, outputs: [root] });
    expect(res.receipt.fused_groups).toBeGreaterThan(0);
    const want = oracle((...xs: unknown[]) => {
      const env: Record<string, unknown> = Object.fromEntries(xs.map((x, i) => [`in${i}`, x]));
      for (const n of nodes) env[n.id] = mx[n.op](...n.inputs.map((i) => env[i]));
      return env[root];
    }, leaves) as Result;
    expectClose({ dtype: 'float32', shape: res.outputs[0].shape, values: res.outputs[0].data!.map(Number) }, want, 'fused tree', { rtol: 1e-4, atol: 1e-5 });
  });

  it('fuses inputs broadcast along leading axes (bias rows), whatever their period', () => {
    // Periods 784 and 10 do not divide the 2,048-element chunk, 3,000 exceeds
    // it; 300 rows of
    // 784 make several parallel parts. The int32 row is converted per chunk.
    for (const [rows, cols, fused] of [[300, 784, 1], [129, 10, 1], [2, 3000, 1], [1, 5, 1], [2, 20000, 0]]) {
      const x = randomArr(r, 'float32', [rows, cols]), bias = randomArr(r, 'float32', [cols]), scale = randomArr(r, 'int32', [1, cols], -3, 3);
      const col = randomArr(r, 'float32', [rows, 1]);
      const res = session().evalJson({
        schema_version: 1,
        inputs: [
          { id: 'x', dtype: 'float32', shape: [rows, cols], data: x.data },
          { id: 'b', dtype: 'float32', shape: [cols], data: bias.data },
          { id: 's', dtype: 'int32', shape: [1, cols], data: scale.data },
          { id: 'c', dtype: 'float32', shape: [rows, 1], data: col.data },
        ],
        nodes: [
          { id: 'h', op: 'add', inputs: ['x', 'b'] },
          { id: 'm', op: 'multiply', inputs: ['h', 's'] },
          { id: 'y', op: 'maximum', inputs: ['m', 'b'] },
          { id: 'z', op: 'subtract', inputs: ['y', 'c'] }, // a column: broadcast, not fused
        ],
        outputs: ['z'],
      });
      const f = Math.fround;
      const want = x.data.map((v, i) => {
        const j = i % cols;
        return f(Math.max(f(f(v + bias.data[j]) * scale.data[j]), bias.data[j]) - col.data[Math.floor(i / cols)]);
      });
      expect(res.outputs[0].data, `${rows}x${cols}`).toEqual(want);
      expect(res.receipt.fused_groups, `${rows}x${cols}`).toBe(fused); // periods over 16,384 run unfused
    }
  });

  it('a fused chain of 2,000 ops over 5,000 elements (by the math, in float32)', () => {
    const n = 5000, x = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i)));
    // v -> v + x, -v, 0.999 v, over and over: nothing converges to a constant
    const step = [(p: string) => ['add', p, 'x'], (p: string) => ['negative', p], (p: string) => ['multiply', p, 'k']];
    const nodes = Array.from({ length: 2000 }, (_, i) => {
      const [op, ...inputs] = step[i % 3](i ? `c${i - 1}` : 'x');
      return { id: `c${i}`, op, inputs };
    });
    const res = session().evalJson({
      schema_version: 1,
      inputs: [{ id: 'x', dtype: 'float32', shape: [n], data: x }, { id: 'k', dtype: 'float32', shape: [], data: 0.999 }],
      nodes,
      outputs: ['c1999'],
    });
    expect(res.receipt.fused_groups).toBe(1);
    const k = Math.fround(0.999);
    const want = x.map((x0) => {
      let v = x0;
      for (let i = 0; i < 2000; i++) v = i % 3 === 0 ? Math.fround(v + x0) : i % 3 === 1 ? -v : Math.fround(v * k);
      return v;
    });
    expect(res.outputs[0].data).toEqual(want);
  });

  it('keeps a value that is also an output out of a fused group', () => {
    const res = session().evalJson({
      schema_version: 1,
      inputs: [{ id: 'x', dtype: 'float32', shape: [3], data: [1, 2, 3] }],
      nodes: [
        { id: 'a', op: 'square', inputs: ['x'] },
        { id: 'b', op: 'negative', inputs: ['a'] },
      ],
      outputs: ['a', 'b'],
    });
    expect(res.outputs.map((o) => o.data)).toEqual([[1, 4, 9], [-1, -4, -9]]);
  });
});
