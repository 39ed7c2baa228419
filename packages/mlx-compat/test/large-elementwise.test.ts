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
