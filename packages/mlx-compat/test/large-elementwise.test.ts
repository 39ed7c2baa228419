// Elementwise passes whose traffic passes half the last-level cache store
// their outputs non-temporally, a block at a time (EwParams::stream,
// ops/elementwise.h). These check such passes, in each loop shape (unary,
// either operand a scalar, both arrays, bool results, where, a conversion, a
// fused chain), against values computed here in JavaScript.
import { describe, expect, it } from 'vitest';
import mlx from '../src/index.js';
import { rng } from './oracle.js';

const mx = mlx.core;

// 64 MiB of float32 and then some: past half of any last-level cache up to
// 128 MiB with input and output counted, and not a whole number of blocks.
const N = (1 << 24) + 37;

function firstMismatch(got: ArrayLike<number | bigint>, want: (i: number) => number): string | null {
  if (got.length !== N) return `length ${got.length}, want ${N}`;
  for (let i = 0; i < N; i++) {
    const w = want(i);
    if (Number(got[i]) !== w) return `[${i}] ${Number(got[i])}, want ${w}`;
  }
  return null;
}

describe('elementwise passes past half the last-level cache', () => {
  const r = rng(20261202);
  const xs = new Float32Array(N), ys = new Float32Array(N), cs = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    xs[i] = (r() - 0.5) * 200;
    ys[i] = (r() - 0.5) * 200;
    cs[i] = r() < 0.5 ? 1 : 0;
  }
  const x = mx.array(xs, mx.float32), y = mx.array(ys, mx.float32);
  const f = Math.fround;

  it('computes unary and binary ops in every operand shape', () => {
    const cases: Array<[string, () => ReturnType<typeof mx.array>, (i: number) => number]> = [
      ['negative(x)', () => mx.negative(x), (i) => -xs[i]],
      ['x * 2.5', () => mx.multiply(x, 2.5), (i) => f(xs[i] * 2.5)],
      ['1.5 - x', () => mx.subtract(1.5, x), (i) => f(1.5 - xs[i])],
      ['x + y', () => mx.add(x, y), (i) => f(xs[i] + ys[i])],
      ['x > y', () => mx.greater(x, y), (i) => (xs[i] > ys[i] ? 1 : 0)],
      ['astype(x, int32)', () => x.astype(mx.int32), (i) => Math.trunc(xs[i])],
      ['-(x * x) + y, fused', () => mx.add(mx.negative(mx.multiply(x, x)), y), (i) => f(f(-f(xs[i] * xs[i])) + ys[i])],
    ];
    for (const [what, make, want] of cases) {
      const got = make();
      expect(firstMismatch(got.toTypedArray() as ArrayLike<number>, want), what).toBeNull();
      mx.dispose([got]);
    }
  });

  it('selects with where over arrays of that size', () => {
    const c = mx.array(cs, mx.bool);
    const got = mx.where(c, x, y);
    expect(firstMismatch(got.toTypedArray() as ArrayLike<number>, (i) => (cs[i] ? xs[i] : ys[i]))).toBeNull();
    mx.dispose([got, c]);
  });
});

// power with a scalar exponent of 2, 0.5 or -1 takes x x, sqrt x or 1/x in
// the vector kernels: the correctly rounded result (each is correctly
// rounded in float64 first, and float64 has more than 2 x 24 + 2 bits, so
// rounding that to float32 is the correctly rounded float), with pow's
// special values, in every element including a vector's tail, large and
// small.
const easyPowers: Array<[number, (v: number) => number]> = [
  [2, (v) => v * v],
  [0.5, (v) => (v === -Infinity ? Infinity : v === 0 ? 0 : Math.sqrt(v))],
  [-1, (v) => 1 / v],
];
describe('power(x, 2), power(x, 0.5), power(x, -1)', () => {
  const specials = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-40, 1.8e19, -1.9e19, 3.4e38, 1.5, -2.5, 3e-39, 1e-44];
  for (const [e, exact] of easyPowers) {
    it.each([N, 1003, 5])(`takes x^${e} of %i float32 values, special ones too`, (n) => {
      const r = rng(n);
      const xs = new Float32Array(n);
      for (let i = 0; i < n; i++) xs[i] = i < specials.length ? specials[i] : (r() - 0.5) * 2 ** Math.floor(r() * 60 - 30);
      const got = mx.power(mx.array(xs, mx.float32), e).toTypedArray() as Float32Array;
      for (let i = 0; i < n; i++) {
        const want = Math.fround(exact(xs[i]));
        if (!Object.is(got[i], want)) expect(`[${i}] ${xs[i]}^${e} = ${got[i]}`).toBe(`want ${want}`);
      }
    });
  }
  it.each(easyPowers)('takes x^%s of float16 values (the correctly rounded half)', (e, exact) => {
    const values = [0.1, -3.5, 255.9, 300, -0.0001, 65504, 6e-8, 0, -0, Infinity, -Infinity];
    const x = mx.array(values, mx.float16);
    const exacts = (x.astype(mx.float32).toTypedArray() as Float32Array).map((v) => exact(v));
    const want = mx.array(Array.from(exacts), mx.float32).astype(mx.float16).astype(mx.float32).toTypedArray() as Float32Array;
    const got = mx.power(x, e).astype(mx.float32).toTypedArray() as Float32Array;
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});
