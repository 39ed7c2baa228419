// Edge values where MLX v0.31.2 answers otherwise than MLX 0.13 (@frost-beta/mlx,
// the older oracle) or than NumPy: the facade follows 0.31.2. The expected values
// were measured on MLX v0.31.2 through mlx-c (the engine's mlx backend, session 5)
// or follow from the rule MLX applies, computed here; the differential test
// (packages/compat-reports/test/differential.test.ts) checks the same ops against
// the running MLX v0.31.2 when ../shared/mlx-runtime is present.
import { describe, expect, it } from 'vitest';
import mlx from '../src/index.js';

const mx = mlx.core;

describe('reductions and scans as MLX v0.31.2', () => {
  it('sums and multiplies integers narrower than 32 bits in 32 bits (0.13 kept int8)', () => {
    const s = mx.sum(mx.array([100, 100, 4], mx.int8));
    expect(s.dtype).toBe(mx.int32);
    expect(s.item()).toBe(204);
    expect(mx.prod(mx.array([200, 300], mx.uint16)).dtype).toBe(mx.uint32);
    expect(mx.prod(mx.array([200, 300], mx.uint16)).item()).toBe(60000);
    expect(mx.sum(mx.array([true, true, false])).dtype).toBe(mx.int32);
    expect(mx.sum(mx.array([1, 2], mx.int64)).dtype).toBe(mx.int64);
  });

  it('returns the input as it is over no axes, dtype included', () => {
    const b = mx.sum(mx.array(true));
    expect(b.dtype).toBe(mx.bool);
    expect(b.item()).toBe(true);
    const x = mx.array([1, 0, 3], mx.int8);
    const same = mx.prod(x, []);
    expect(same.dtype).toBe(mx.int8);
    expect(same.tolist()).toEqual([1, 0, 3]);
  });

  it('cumprod keeps bool (a running and; 0.13 gave int32), cumsum of bools counts in int32', () => {
    const p = mx.cumprod(mx.array([true, false, true]));
    expect(p.dtype).toBe(mx.bool);
    expect(p.tolist()).toEqual([true, false, false]);
    expect(mx.cumsum(mx.array([true, true])).dtype).toBe(mx.int32);
  });

  it('argmax and argmin let a value win only by comparing greater or less: NaNs never win unless first', () => {
    expect(mx.argmax(mx.array([1, NaN, 3, NaN, 2])).item()).toBe(2);
    expect(mx.argmin(mx.array([1, NaN, 0, NaN, 2])).item()).toBe(2);
    expect(mx.argmax(mx.array([NaN, 1, 3])).item()).toBe(0);
    const long = Array.from({ length: 40 }, (_, i) => (i === 19 ? NaN : i === 31 ? 1 : 3));
    expect(mx.argmin(mx.array(long)).item()).toBe(31);
  });

  it('cummax passes a NaN on until a number follows; cummin keeps a NaN only in first place', () => {
    // the running value r and the next x: cummax takes r > x ? r : x, cummin x < r ? x : r
    const scan = (xs: number[], op: (r: number, x: number) => number) => {
      const out: number[] = [];
      xs.forEach((x, i) => out.push(i === 0 ? x : op(out[i - 1], x)));
      return out;
    };
    const max = (r: number, x: number) => (r > x ? r : x);
    const min = (r: number, x: number) => (x < r ? x : r);
    for (const xs of [[NaN, 5, 1, NaN, 9, 2], [5, NaN, 1, NaN, 9, -2]]) {
      expect(mx.cummax(mx.array(xs)).tolist()).toEqual(scan(xs, max));
      expect(mx.cummin(mx.array(xs)).tolist()).toEqual(scan(xs, min));
    }
    expect(mx.cummin(mx.array([5, NaN, 1])).tolist()).toEqual([5, 5, 1]);
    // exclusive scans fold the first value into the identity with the same comparison,
    // so cummin drops a NaN even in first place (measured on MLX v0.31.2)
    const exclusive = (xs: number[], op: (r: number, x: number) => number, identity: number) => {
      const out: number[] = [];
      let r = identity;
      for (const x of xs) {
        out.push(r);
        r = op(r, x);
      }
      return out;
    };
    for (const xs of [[NaN, 2, -3, 5], [2, NaN, -3, 5]]) {
      expect(mx.cummin(mx.array(xs), 0, false, false).tolist()).toEqual(exclusive(xs, min, Infinity));
      expect(mx.cummax(mx.array(xs), 0, false, false).tolist()).toEqual(exclusive(xs, max, -Infinity));
      expect(mx.cummin(mx.array([...xs].reverse()), 0, true, false).tolist()).toEqual(exclusive(xs, min, Infinity).reverse());
    }
    expect(mx.cummin(mx.array([NaN, 2, -3, 5]), 0, false, false).tolist()).toEqual([Infinity, Infinity, 2, -3]);
  });

  it('var and std with no degrees of freedom left: NaN without spread, inf with it', () => {
    expect(mx.std(mx.array([3]), null, false, 1).item()).toBeNaN();
    expect(mx.variance(mx.array([3, 5]), null, false, 3).item()).toBe(Infinity);
  });

  it('logcumsumexp past two infinities stays infinite (log(e^inf + e^inf) = inf, not inf - inf)', () => {
    expect(mx.logcumsumexp(mx.array([Infinity, -2, Infinity]), 0, true).tolist()).toEqual([Infinity, Infinity, Infinity]);
    expect(mx.logcumsumexp(mx.array([Infinity, Infinity, 1]), 0, false, false).tolist()).toEqual([-Infinity, Infinity, Infinity]);
    expect(mx.logcumsumexp(mx.array([-Infinity, -Infinity, 1]), 0, true).tolist()).toEqual([1, 1, 1]);
  });

  it('logsumexp of a row with +inf and a NaN is NaN', () => {
    expect(mx.logsumexp(mx.array([0, NaN, 2, Infinity])).item()).toBeNaN();
    expect(mx.logsumexp(mx.array([0, Infinity, 2])).item()).toBe(Infinity);
  });
});

describe('creation and shape ops as MLX v0.31.2', () => {
  it('an integer arange steps by T(start + step) - T(start) from T(start)', () => {
    const trunc = (start: number, stop: number, step: number) => {
      const n = Math.ceil((stop - start) / step);
      const first = Math.trunc(start), by = Math.trunc(start + step) - first;
      return Array.from({ length: n }, (_, i) => first + i * by);
    };
    for (const [a, b, s] of [[0, 5, 1.5], [0.5, 5, 0.7], [5, -2, -1.5]]) expect(mx.arange(a, b, s, mx.int32).tolist()).toEqual(trunc(a, b, s));
  });

  it('a float32 arange adds the float32 step to the last value', () => {
    const f = Math.fround;
    const by = f(f(0.1 + 0.1) - f(0.1));
    const want: number[] = [];
    for (let i = 0, v = f(0.1); i < 9; i++, v = f(v + by)) want.push(v);
    expect(mx.arange(0.1, 1, 0.1, mx.float32).tolist()).toEqual(want);
  });

  it('linspace of one value is start', () => {
    expect(mx.linspace(2, 1, 1).tolist()).toEqual([2]);
  });

  it('linspace rounds as MLX v0.31.2: start (1 - t) + stop t, in float32 below float64', () => {
    // measured on MLX v0.31.2 (the mlx backend); start + i step would give 0 exactly at i = 3
    expect(mx.linspace(-3, 2, 6, mx.float64).tolist()).toEqual([-3, -2.0000000000000004, -0.9999999999999998, -2.220446049250313e-16, 1.0000000000000002, 2]);
    expect(mx.linspace(-3, 2, 6).tolist()).toEqual([-3, -2, -1, 1.1920928955078125e-7, 1, 2]);
    expect(mx.linspace(0, 1, 11, mx.float64).tolist()).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  });

  it('repeat with no repeats gives a flat empty array, whatever the axis (0.13 kept the other axes)', () => {
    const r = mx.repeat(mx.ones([2, 3]), 0, 1);
    expect(r.shape).toEqual([0]);
    expect(r.tolist()).toEqual([]);
  });

  it('floor_divide of bools gives the dividend', () => {
    const a = [true, true, false, false], b = [true, false, true, false];
    expect(mx.floorDivide(mx.array(a), mx.array(b)).tolist()).toEqual(a);
  });
});
