// float64 and complex64 (which MLX 0.13 lacks or barely has) against the
// math, and empty and 0-d arrays through every op family.
import { describe, expect, it } from 'vitest';
import { randomArr, rng, run, session, type Arr } from './helpers.js';

const SEED = Number(process.env.MLXCOMPAT_SEED ?? 20261122);

describe('float64 against JavaScript double math', () => {
  const r = rng(SEED + 64);
  const x = randomArr(r, 'float64', [17], 0.1, 3);
  x.data = x.data.map((v, i) => v + i * 1e-3 + 1e-9); // not exactly representable in float32
  const unary: Array<[string, (v: number) => number]> = [
    ['exp', Math.exp], ['log', Math.log], ['sqrt', Math.sqrt], ['sin', Math.sin], ['tanh', Math.tanh],
    ['log1p', Math.log1p], ['arctan', Math.atan], ['reciprocal', (v) => 1 / v], ['square', (v) => v * v],
  ];
  for (const [op, f] of unary) {
    it(`${op} keeps double precision`, () => {
      const got = run(op, [x]);
      expect(got.dtype).toBe('float64');
      got.values.forEach((v, i) => expect(Math.abs(v - f(x.data[i]))).toBeLessThanOrEqual(4e-16 * Math.max(1, Math.abs(f(x.data[i])))));
    });
  }
  it('add, divide, sum and cumsum in double', () => {
    const y = { ...x, data: x.data.map((v) => v * 1.0000001) };
    run('add', [x, y]).values.forEach((v, i) => expect(v).toBe(x.data[i] + y.data[i]));
    run('divide', [x, y]).values.forEach((v, i) => expect(v).toBe(x.data[i] / y.data[i]));
    const total = x.data.reduce((a, b) => a + b, 0);
    expect(Math.abs(run('sum', [x]).values[0] - total)).toBeLessThan(1e-13);
    let acc = 0;
    run('cumsum', [x], { axis: 0 }).values.forEach((v, i) => {
      acc += x.data[i];
      expect(Math.abs(v - acc)).toBeLessThan(1e-13);
    });
  });
});

type C = [number, number];
const cmul = ([a, b]: C, [c, d]: C): C => [a * c - b * d, a * d + b * c];
const cdiv = ([a, b]: C, [c, d]: C): C => [(a * c + b * d) / (c * c + d * d), (b * c - a * d) / (c * c + d * d)];
const cexp = ([a, b]: C): C => [Math.exp(a) * Math.cos(b), Math.exp(a) * Math.sin(b)];

describe('complex64 against complex arithmetic by hand', () => {
  const z: C[] = [[1, 2], [-0.5, 0.25], [3, -1], [0, 1]];
  const w: C[] = [[0.5, -1], [2, 2], [-1, 0], [1, 1]];
  const input = (id: string, v: C[]) => ({ id, dtype: 'complex64' as const, shape: [v.length], data: v });
  function complexRun(op: string, args: C[][]): { dtype: string; values: C[] } {
    const res = session().evalJson({
      schema_version: 1,
      inputs: args.map((a, i) => input(`z${i}`, a)),
      nodes: [{ id: 'o', op, inputs: args.map((_, i) => `z${i}`) }],
      outputs: ['o'],
    }).outputs[0];
    return { dtype: res.dtype, values: res.data as C[] };
  }
  const close = (got: C[], want: C[]) =>
    got.forEach((g, i) => {
      expect(Math.abs(g[0] - want[i][0])).toBeLessThan(1e-5 * (1 + Math.abs(want[i][0])));
      expect(Math.abs(g[1] - want[i][1])).toBeLessThan(1e-5 * (1 + Math.abs(want[i][1])));
    });
  it('add, multiply and divide', () => {
    close(complexRun('add', [z, w]).values, z.map((a, i) => [a[0] + w[i][0], a[1] + w[i][1]]));
    close(complexRun('multiply', [z, w]).values, z.map((a, i) => cmul(a, w[i])));
    close(complexRun('divide', [z, w]).values, z.map((a, i) => cdiv(a, w[i])));
  });
  it('exp, and abs into float32', () => {
    close(complexRun('exp', [z]).values, z.map(cexp));
    const abs = complexRun('abs', [z]);
    expect(abs.dtype).toBe('float32');
    (abs.values as unknown as number[]).forEach((v, i) => expect(v).toBeCloseTo(Math.hypot(...z[i]), 5));
  });
  it('sums complex values', () => {
    const res = session().evalJson({ schema_version: 1, inputs: [input('z', z)], nodes: [{ id: 's', op: 'sum', inputs: ['z'] }], outputs: ['s'] });
    close(res.outputs[0].data as C[], [[3.5, 2.25]]);
  });
});

describe('empty and 0-d arrays', () => {
  const empty: Arr = { dtype: 'float32', shape: [0, 3], data: [] };
  const scalar: Arr = { dtype: 'int32', shape: [], data: [7] };
  it('elementwise ops keep empty shapes and 0-d scalars', () => {
    expect(run('exp', [empty])).toEqual({ dtype: 'float32', shape: [0, 3], values: [] });
    expect(run('add', [empty, scalar])).toEqual({ dtype: 'float32', shape: [0, 3], values: [] });
    expect(run('multiply', [scalar, scalar])).toEqual({ dtype: 'int32', shape: [], values: [49] });
  });
  it('reductions of empty arrays give their identities, and max refuses', () => {
    expect(run('sum', [empty])).toEqual({ dtype: 'float32', shape: [], values: [0] });
    expect(run('prod', [empty], { axes: [0] })).toEqual({ dtype: 'float32', shape: [3], values: [1, 1, 1] });
    expect(run('all', [empty])).toEqual({ dtype: 'bool', shape: [], values: [1] });
    expect(() => run('max', [empty])).toThrow(/invalid_shape/);
    expect(run('sum', [scalar])).toEqual({ dtype: 'int32', shape: [], values: [7] });
  });
  it('shape ops, sorting, slicing and matmul on empty inputs', () => {
    expect(run('transpose', [empty]).shape).toEqual([3, 0]);
    expect(run('reshape', [empty], { shape: [3, -1, 2] }).shape).toEqual([3, 0, 2]);
    expect(run('concatenate', [empty, { dtype: 'float32', shape: [1, 3], data: [1, 2, 3] }], { axis: 0 }).values).toEqual([1, 2, 3]);
    expect(run('sort', [empty], { axis: 0 }).shape).toEqual([0, 3]);
    expect(run('slice', [empty], { start: [0, 1], stop: [0, 3] }).shape).toEqual([0, 2]);
    expect(run('expand_dims', [scalar], { axes: [0] })).toEqual({ dtype: 'int32', shape: [1], values: [7] });
    expect(run('broadcast_to', [scalar], { shape: [2, 2] }).values).toEqual([7, 7, 7, 7]);
  });
});
