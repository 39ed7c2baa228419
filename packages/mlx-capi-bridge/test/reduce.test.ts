// Reductions, scans, softmax and matmul against real MLX and the math.
import { describe, expect, it } from 'vitest';
import { type DType, type EvalRequest } from '../src/index.js';
import { expectClose, inputSpec, mx, oracle, randomArr, rng, run, session, size, type Arr, type Result } from './helpers.js';

const SEED = Number(process.env.MLXCOMPAT_SEED ?? 20261122);
const CASES = Number(process.env.MLXCOMPAT_CASES ?? 40);
console.log(`reduce tests: seed ${SEED}, ${CASES} random cases per op`);

function randomShape(r: () => number, maxDims = 4): number[] {
  const nd = 1 + Math.floor(r() * maxDims);
  return Array.from({ length: nd }, () => 1 + Math.floor(r() * 4));
}

// A random non-empty subset of axes, some written negatively.
function randomAxes(r: () => number, nd: number): number[] {
  const axes = Array.from({ length: nd }, (_, i) => i).filter(() => r() < 0.5);
  if (!axes.length) axes.push(Math.floor(r() * nd));
  return axes.map((a) => (r() < 0.3 ? a - nd : a));
}

const REDUCTIONS: Array<[string, (x: unknown, axes: number[], keep: boolean) => unknown, DType[]]> = [
  ['sum', (x, a, k) => mx.sum(x, a, k), ['float32', 'float16', 'int32', 'uint8', 'bool']],
  ['prod', (x, a, k) => mx.prod(x, a, k), ['float32', 'int32']],
  ['max', (x, a, k) => mx.max(x, a, k), ['float32', 'bfloat16', 'int8', 'uint32']],
  ['min', (x, a, k) => mx.min(x, a, k), ['float32', 'float16', 'int16']],
  ['mean', (x, a, k) => mx.mean(x, a, k), ['float32', 'int32', 'float16']],
  ['all', (x, a, k) => mx.all(x, a, k), ['bool', 'float32']],
  ['any', (x, a, k) => mx.any(x, a, k), ['bool', 'int32']],
  ['logsumexp', (x, a, k) => mx.logsumexp(x, a, k), ['float32']],
  ['var', (x, a, k) => mx.variance(x, a, k), ['float32']],
  ['std', (x, a, k) => mx.std(x, a, k), ['float32']],
];

describe('reductions over random axes', () => {
  for (const [op, fn, dtypes] of REDUCTIONS) {
    it(`${op} matches MLX`, () => {
      const r = rng(SEED + op.charCodeAt(0) * 13 + op.length);
      for (let c = 0; c < CASES; c++) {
        const dtype = dtypes[c % dtypes.length];
        const shape = randomShape(r);
        let a = randomArr(r, dtype, shape);
        if (op === 'prod') a = { ...a, data: a.data.map((v) => (v % 3) + (dtype === 'float32' ? 0.5 : 0)) };
        if (op === 'all' && dtype === 'float32') a.data = a.data.map((v) => (r() < 0.1 ? 0 : v || 1));
        const axes = randomAxes(r, shape.length), keepdims = r() < 0.5;
        // MLX 0.13 reduces integer max/min over inner axes wrongly (checked by hand), so integers
        // go through its float32 path, exact for these small values, and back.
        const viaFloat = (op === 'max' || op === 'min') && dtype !== 'float32' && dtype !== 'bfloat16' && dtype !== 'float16';
        // MLX v0.31.2 sums and multiplies uint8 and uint16 in uint32 (int8, int16 in int32); 0.13
        // kept the narrow type, so it is asked for the reduction of the input widened first
        const widened = (op === 'sum' || op === 'prod') && (dtype === 'uint8' || dtype === 'uint16') ? 'uint32' : (op === 'sum' || op === 'prod') && (dtype === 'int8' || dtype === 'int16') ? 'int32' : undefined;
        type Castable = { astype(d: unknown): unknown };
        const want = oracle((x) => (viaFloat ? (fn((x as Castable).astype(mx.float32), axes, keepdims) as Castable).astype(mx[dtype]) : fn(widened ? (x as Castable).astype(mx[widened]) : x, axes, keepdims)), [a]);
        expectClose(run(op, [a], { axes, keepdims }), want as never, `${op}(${dtype}${JSON.stringify(shape)}, axes ${axes}, keepdims ${keepdims})`);
      }
    });
  }

  it('reduces over all axes when none are given, and 0-d inputs', () => {
    const a: Arr = { dtype: 'float32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] };
    expect(run('sum', [a]).values).toEqual([21]);
    expect(run('mean', [{ dtype: 'int32', shape: [], data: [7] }])).toEqual({ dtype: 'float32', shape: [], values: [7] });
    expect(run('sum', [{ dtype: 'float32', shape: [0, 3], data: [] }], { axes: [0] }).values).toEqual([0, 0, 0]);
  });

  it('honours ddof (by hand: var([1,2,3,4], ddof=1) = 5/3)', () => {
    const got = run('var', [{ dtype: 'float32', shape: [4], data: [1, 2, 3, 4] }], { ddof: 1 }).values[0];
    expect(got).toBeCloseTo(5 / 3, 6);
  });

  it('argmax and argmin match MLX along each axis, first occurrence winning', () => {
    const r = rng(SEED + 77);
    for (let c = 0; c < CASES; c++) {
      const shape = randomShape(r);
      const a = randomArr(r, c % 2 ? 'int32' : 'float32', shape, -2, 2);
      const axis = Math.floor(r() * shape.length) - (r() < 0.3 ? shape.length : 0);
      for (const op of ['argmax', 'argmin']) {
        const want = oracle((x) => mx[op](x, axis, false), [a]);
        expectClose(run(op, [a], { axis }), want as never, `${op} axis ${axis}`);
      }
    }
  });

  it('sums 16M float32 values accurately (the math: n(n-1)/2 scaled)', () => {
    // Large reductions split across threads; the exact sum of i/2^24 over 2^24 items.
    const n = 1 << 24;
    const s = runGraph(n);
    expect(Math.abs(s - (n - 1) / 2) / ((n - 1) / 2)).toBeLessThan(1e-5);
  });
});

// sum(arange(n)/n) through the engine: one request, no big JSON.
function runGraph(n: number): number {
  return runNodes([
    { id: 'i', op: 'arange', attrs: { stop: n, dtype: 'float32' } },
    { id: 'k', op: 'full', inputs: ['c'], attrs: { shape: [] } },
    { id: 'x', op: 'divide', inputs: ['i', 'k'] },
    { id: 'y', op: 'sum', inputs: ['x'] },
  ], [{ id: 'c', dtype: 'float32', shape: [], data: n }], 'y');
}

function runNodes(nodes: object[], inputs: object[], out: string): number {
  const res = session().evalJson({ schema_version: 1, inputs: inputs as never, nodes: nodes as never, outputs: [out] });
  return Number(res.outputs[0].data?.[0]);
}

// A scan written directly from its definition, as the reference.
function handScan(op: string, a: Arr, axis: number, reverse: boolean, inclusive: boolean): number[] {
  const f: Record<string, [(x: number, y: number) => number, number]> = {
    cumsum: [(x, y) => x + y, 0], cumprod: [(x, y) => x * y, 1], cummax: [Math.max, -Infinity], cummin: [Math.min, Infinity],
  };
  const [combine, unbounded] = f[op];
  // Integers have no infinities: their extremes stand in (int32 is the only integer type used here).
  const identity = a.dtype === 'int32' && !Number.isFinite(unbounded) ? (unbounded < 0 ? -(2 ** 31) : 2 ** 31 - 1) : unbounded;
  const n = a.shape[axis], inner = a.shape.slice(axis + 1).reduce((p, q) => p * q, 1), outer = a.data.length / (n * inner);
  const out = new Array<number>(a.data.length);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      let acc = identity;
      for (let s = 0; s < n; s++) {
        const i = o * n * inner + (reverse ? n - 1 - s : s) * inner + j;
        if (inclusive) out[i] = acc = combine(acc, a.data[i]);
        else {
          out[i] = acc;
          acc = combine(acc, a.data[i]);
        }
      }
    }
  return out;
}

describe('scans', () => {
  for (const op of ['cumsum', 'cumprod', 'cummax', 'cummin']) {
    it(`${op} matches its definition with axis, reverse and inclusive, and MLX where its binding is right`, () => {
      const r = rng(SEED + op.length * 5);
      for (let c = 0; c < CASES / 2; c++) {
        const shape = randomShape(r, 3);
        const dtype: DType = (['float32', 'int32', 'float16'] as DType[])[c % 3];
        let a = randomArr(r, dtype, shape, -2, 2);
        if (op === 'cumprod') a = { ...a, data: a.data.map((v) => (v % 2) + 1) };
        const axis = Math.floor(r() * shape.length), reverse = r() < 0.5, inclusive = r() < 0.5;
        const got = run(op, [a], { axis, reverse, inclusive });
        const what = `${op}(${dtype}${JSON.stringify(shape)}, ${axis}, ${reverse}, ${inclusive})`;
        expectClose(got, { dtype, shape, values: handScan(op, a, axis, reverse, inclusive) }, what);
        // @frost-beta/mlx 0.0.7 ignores `inclusive` (forward scans come out exclusive, reverse
        // ones inclusive) and seeds exclusive integer cummax with INT_MAX: only reverse inclusive
        // scans are comparable.
        if (reverse && inclusive) expectClose(got, oracle((x) => mx[op](x, axis, reverse, inclusive), [a]) as never, `${what} vs MLX`);
      }
    });
  }

  it('cumsum of bool counts in int32 and flattens without an axis', () => {
    const b: Arr = { dtype: 'bool', shape: [2, 2], data: [1, 0, 1, 1] };
    expectClose(run('cumsum', [b], { reverse: true }), oracle((x) => mx.cumsum(mx.flatten(x), 0, true, true), [b]) as never, 'cumsum(bool)');
  });

  it('logcumsumexp equals log of cumsum of exp (the math)', () => {
    const data = [0.5, -1, 2, 0.25, 3];
    const got = run('logcumsumexp', [{ dtype: 'float32', shape: [5], data }], { axis: 0 }).values;
    let acc = 0;
    data.forEach((v, i) => {
      acc += Math.exp(v);
      expect(got[i]).toBeCloseTo(Math.log(acc), 5);
    });
  });
});

describe('softmax', () => {
  it('matches MLX over the last axis, several axes and a non-contiguous pair', () => {
    const r = rng(SEED + 11);
    for (const [shape, axes] of [[[3, 5], [-1]], [[2, 3, 4], [1, 2]], [[2, 3, 4], [0, 2]], [[4, 2], [0]]] as Array<[number[], number[]]>) {
      const a = randomArr(r, 'float32', shape);
      expectClose(run('softmax', [a], { axes }), oracle((x) => mx.softmax(x, axes), [a]) as never, `softmax ${axes}`);
    }
  });
  it('rows of a float16 softmax sum to 1', () => {
    const a = randomArr(rng(3), 'float16', [4, 8]);
    const v = run('softmax', [a]).values;
    for (let i = 0; i < 4; i++) expect(v.slice(i * 8, i * 8 + 8).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 2);
  });
});

describe('matmul', () => {
  const shapes: Array<[number[], number[]]> = [
    [[3, 4], [4, 5]], [[4], [4, 2]], [[2, 4], [4]], [[4], [4]], [[2, 1, 3, 4], [5, 4, 2]], [[1, 7], [7, 1]], [[0, 3], [3, 2]], [[3, 0], [0, 2]],
  ];
  for (const dtype of ['float32', 'float16', 'bfloat16'] as DType[]) {
    for (const [sa, sb] of shapes) {
      it(`${dtype} ${JSON.stringify(sa)} @ ${JSON.stringify(sb)} matches MLX`, () => {
        const r = rng(SEED + size(sa) + size(sb));
        const a = randomArr(r, dtype, sa, -1, 1), b = randomArr(r, dtype, sb, -1, 1);
        // MLX 0.13's CPU matmul is float32 only (half inputs abort its process), so the
        // reference for half types is its float32 product rounded to the half type.
        const ref = dtype === 'float32' ? (x: unknown, y: unknown) => mx.matmul(x, y)
          : (x: { astype(d: unknown): unknown }, y: { astype(d: unknown): unknown }) => mx.matmul(x.astype(mx.float32), y.astype(mx.float32)).astype(mx[dtype]);
        expectClose(run('matmul', [a, b]), oracle(ref as never, [a, b]) as never, 'matmul');
      });
    }
  }
  it('multiplies float64 exactly on small integers (by hand)', () => {
    const a: Arr = { dtype: 'float64', shape: [2, 2], data: [1, 2, 3, 4] };
    expect(run('matmul', [a, a]).values).toEqual([7, 10, 15, 22]);
  });
  it('refuses integer matmul as MLX does, and rejects mismatched inner dims', () => {
    const i: Arr = { dtype: 'int32', shape: [2, 2], data: [1, 2, 3, 4] };
    expect(() => run('matmul', [i, i])).toThrow(/unsupported_dtype/);
    expect(() => run('matmul', [{ dtype: 'float32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, { dtype: 'float32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }])).toThrow(/invalid_shape/);
  });
});

// The engine reads a matmul operand made by a transpose of the last two axes
// straight from the transpose's input; the products must not change.
describe('matmul of transposed operands', () => {
  function graph(inputs: Arr[], nodes: NonNullable<EvalRequest['nodes']>, outputs: string[]): Result[] {
    const res = session().evalJson({ schema_version: 1, inputs: inputs.map((a, i) => inputSpec(`in${i}`, a)), nodes, outputs });
    return res.outputs.map((o) => ({ dtype: o.dtype, shape: o.shape, values: (o.data ?? []).map(Number) }));
  }
  const T = (id: string, of: string, axes?: number[]) => ({ id, op: 'transpose', inputs: [of], attrs: axes ? { axes } : {} });
  // [stored a, stored b, transpose a?, transpose b?]; sizes past 2^22 flops take the threaded split
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[4, 3], [4, 5], true, false], [[3, 4], [5, 4], false, true], [[4, 3], [5, 4], true, true],
    [[2, 1, 4, 3], [5, 4, 2], true, false], [[200, 96], [200, 160], true, false], [[96, 200], [300, 200], false, true],
    [[300, 200], [48, 300], true, true],
  ];
  for (const [sa, sb, ta, tb] of cases) {
    it(`${ta ? 'T' : ''}${JSON.stringify(sa)} @ ${tb ? 'T' : ''}${JSON.stringify(sb)} matches MLX`, () => {
      const r = rng(SEED + size(sa) * 7 + size(sb));
      const a = randomArr(r, 'float32', sa, -1, 1), b = randomArr(r, 'float32', sb, -1, 1);
      const swap = (n: number) => [...Array(n - 2).keys(), n - 1, n - 2];
      const [ours] = graph([a, b], [
        T('ta', 'in0', swap(sa.length)), T('tb', 'in1', swap(sb.length)),
        { id: 'c', op: 'matmul', inputs: [ta ? 'ta' : 'in0', tb ? 'tb' : 'in1'] },
      ], ['c']);
      const ref = (x: unknown, y: unknown) => mx.matmul(ta ? mx.swapaxes(x, -1, -2) : x, tb ? mx.swapaxes(y, -1, -2) : y);
      expectClose(ours, oracle(ref as never, [a, b]) as never, 'matmul', { rtol: 1e-4, atol: 1e-5 });
    });
  }
  it('a transposed transpose, a transpose also returned, half types and a 3-axis permutation', () => {
    const a: Arr = { dtype: 'float16', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] };
    const b: Arr = { dtype: 'float16', shape: [2, 2], data: [1, 0, 2, 1] };
    const [twice, aT, prod] = graph([a, b], [
      T('t1', 'in0'), T('t2', 't1'), { id: 'c', op: 'matmul', inputs: ['in1', 't2'] },
      { id: 'd', op: 'matmul', inputs: ['t1', 'in1'] },
    ], ['c', 't1', 'd']);
    expect(twice.values).toEqual([1, 2, 3, 6, 9, 12]); // [[1,0],[2,1]] @ a
    expect(aT.values).toEqual([1, 4, 2, 5, 3, 6]);
    expect(prod.values).toEqual([9, 4, 12, 5, 15, 6]); // a^T @ [[1,0],[2,1]]
    expect(prod.dtype).toBe('float16');
    // [2,3,4] permuted [1,0,2] is no matrix transpose: the copy is used
    const x = randomArr(rng(SEED), 'float32', [2, 3, 4]), y = randomArr(rng(SEED + 1), 'float32', [4, 2]);
    const [perm] = graph([x, y], [T('p', 'in0', [1, 0, 2]), { id: 'c', op: 'matmul', inputs: ['p', 'in1'] }], ['c']);
    expectClose(perm, oracle(((u: unknown, v: unknown) => mx.matmul(mx.transpose(u, [1, 0, 2]), v)) as never, [x, y]) as never, 'matmul');
  });
});
