// grad and valueAndGrad replay the backward graph of a forward graph they
// differentiated before (src/core/transforms/retrace.ts). Each case calls
// the same transformed function several times, and checks every call's
// gradients against the math in float64 (or against real MLX,
// @frost-beta/mlx, where named), and that calls after the first were
// replayed, or were not where the structure changed.
import { describe, expect, it } from 'vitest';
import mlx, { type MxArray } from '../src/index.js';
import { replayCount } from '../src/core/transforms/retrace.js';
import { real, rng } from './oracle.js';

const mx = mlx.core;
const f64 = (v: number[] | number[][]) => mx.array(v, mx.float64);
const list = (a: MxArray) => a.tolist() as number[];
const close = (got: number[], want: number[], tol = 1e-9) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i]))));
};
// replays counted over fn's calls
function replaysIn(fn: () => void): number {
  const before = replayCount();
  fn();
  return replayCount() - before;
}

describe('backward graphs replayed', () => {
  it('gives each step of a linear regression its own gradient: X^T (X w - y) / n', () => {
    const r = rng(7);
    const n = 6, d = 3;
    const Xv = Array.from({ length: n }, () => Array.from({ length: d }, () => r() * 2 - 1));
    const yv = Array.from({ length: n }, () => r() * 2 - 1);
    const X = f64(Xv), y = f64(yv);
    // y is still a graph at the first call and evaluated after: both are leaves the replay binds
    const yLazy = mx.multiply(y, 1);
    const gradFn = mx.grad((w: MxArray) => mx.multiply(0.5, mx.mean(mx.square(mx.subtract(mx.matmul(X, w), yLazy)))));
    let w = [0.1, -0.2, 0.3];
    const replays = replaysIn(() => {
      for (let step = 0; step < 6; step++) {
        const g = list(gradFn(f64(w)));
        const residual = Xv.map((row, i) => row.reduce((s, x, j) => s + x * w[j], 0) - yv[i]);
        close(g, w.map((_, j) => residual.reduce((s, e, i) => s + e * Xv[i][j], 0) / n));
        w = w.map((v, j) => v - 0.1 * g[j]);
        mx.eval(yLazy);
      }
    });
    expect(replays).toBeGreaterThanOrEqual(4);
  });

  it('reads a captured array that changes between calls as the new one, and the argument captured too as a constant', () => {
    let c = f64([1, 2, 3]);
    const g = mx.grad((x: MxArray) => mx.sum(mx.multiply(x, c)));
    const replays = replaysIn(() => {
      for (let k = 0; k < 4; k++) {
        c = f64([k, 2 * k, -k]);
        expect(list(g(f64([5, 6, 7])))).toEqual([k, 2 * k, -k]);
        // the same array as argument and captured: d/dx sum(x * c) is still c (MLX)
        expect(list(g(c))).toEqual([k, 2 * k, -k]);
      }
    });
    expect(replays).toBeGreaterThanOrEqual(6);
    const a = mx.array([1, 2, 3]);
    const add = mx.grad((x: MxArray) => mx.sum(mx.add(a, x)));
    const ra = real.array([1, 2, 3]);
    const theirs = real.grad((x: never) => real.sum(real.add(ra, x)))(ra).tolist();
    for (let k = 0; k < 3; k++) expect(add(a).tolist()).toEqual(theirs);
  });

  it('binds an argument and a captured array by what they are, not where they sit', () => {
    // the first calls read the argument where later ones read a captured array: the structure differs
    let useArg = true;
    const c = f64([2, 3]);
    const g = mx.grad((x: MxArray) => mx.sum(mx.multiply(mx.square(useArg ? x : c), x)));
    const x = f64([1, -1]);
    expect(list(g(x))).toEqual([3, 3]); // d/dx x^3 = 3x^2
    expect(list(g(x))).toEqual([3, 3]);
    useArg = false;
    expect(list(g(x))).toEqual([4, 9]); // d/dx c^2 x = c^2
    expect(list(g(x))).toEqual([4, 9]);
    useArg = true;
    expect(list(g(x))).toEqual([3, 3]);
  });

  it('runs fn on every call: its side effects happen each time', () => {
    const seen: number[] = [];
    const vg = mx.valueAndGrad((x: MxArray) => {
      const loss = mx.sum(mx.exp(x));
      seen.push(loss.item() as number);
      return loss;
    });
    for (let k = 0; k < 4; k++) {
      const [value, grad] = vg(f64([k, 0]));
      close([value.item() as number], [Math.exp(k) + 1]);
      close(list(grad), [Math.exp(k), 1]);
    }
    close(seen, [0, 1, 2, 3].map((k) => Math.exp(k) + 1));
  });

  it('reads arrays fn makes from host data that changes each call, and random draws with each call\'s key', () => {
    let s = 0;
    const g = mx.grad((x: MxArray) => mx.sum(mx.multiply(x, mx.array([s, s + 1], mx.float64))));
    for (s = 1; s < 5; s++) expect(list(g(f64([1, 1])))).toEqual([s, s + 1]);
    let key = mx.random.key(1);
    const noisy = mx.grad((x: MxArray) => mx.sum(mx.multiply(x, mx.random.normal([3], mx.float32, 0, 1, key))));
    for (let k = 1; k < 5; k++) {
      key = mx.random.key(k);
      const want = list(mx.random.normal([3], mx.float32, 0, 1, mx.random.key(k)));
      expect(list(noisy(mx.array([1, 1, 1])))).toEqual(want);
    }
  });

  it('keeps stop_gradient a constant in every call', () => {
    const g = mx.grad((x: MxArray) => mx.sum(mx.multiply(x, mx.stopGradient(x))));
    for (let k = 1; k < 4; k++) expect(list(g(f64([k, -k])))).toEqual([k, -k]);
  });

  it('traces again when shapes, dtypes or attrs change, and replays each again', () => {
    const g = mx.grad((x: MxArray) => mx.sum(mx.mean(mx.square(x), -1)));
    const want = (rows: number[][]) => rows.flatMap((r) => r.map((v) => (2 * v) / r.length));
    const shapes = [[[1, 2]], [[1, 2, 3]], [[1, 2], [3, 4]], [[1, 2]]];
    for (const rows of [...shapes, ...shapes]) close(g(f64(rows)).tolist().flat() as number[], want(rows));
    const h = mx.grad((x: MxArray, axis: number) => mx.sum(mx.cumsum(x, axis)));
    const m = f64([[1, 2], [3, 4]]);
    for (let k = 0; k < 2; k++) {
      expect(h(m, 0).tolist()).toEqual([[2, 2], [1, 1]]);
      expect(h(m, 1).tolist()).toEqual([[2, 1], [2, 1]]);
    }
  });

  it('gives an MLP trained with valueAndGrad the gradients a fresh trace gives, and real MLX gives', () => {
    const r = rng(11);
    const rand = (rows: number, cols: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => r() - 0.5));
    const x = rand(8, 4), w1 = rand(4, 5), w2 = rand(5, 3);
    const labels = [0, 1, 2, 0, 1, 2, 1, 0];
    const loss = (lib: typeof mx, p: MxArray[], inputs: MxArray, t: MxArray) => {
      const h = lib.maximum(lib.matmul(inputs, p[0]), 0);
      const logits = lib.matmul(h, p[1]);
      return lib.mean(lib.subtract(lib.logsumexp(logits, -1, true), lib.takeAlongAxis(logits, lib.expandDims(t, -1), -1)));
    };
    const ours = mx.valueAndGrad((p: MxArray[], inputs: MxArray, t: MxArray) => loss(mx, p, inputs, t));
    const theirs = real.valueAndGrad((p: never, inputs: never, t: never) => loss(real as never, p, inputs, t));
    let p = [mx.array(w1), mx.array(w2)];
    let q = [real.array(w1), real.array(w2)];
    const X = mx.array(x), T = mx.array(labels, mx.int32), RX = real.array(x), RT = real.array(labels, real.int32);
    const replays = replaysIn(() => {
      for (let step = 0; step < 4; step++) {
        const [value, grads] = ours(p, X, T);
        const [, fresh] = mx.valueAndGrad((ps: MxArray[], inputs: MxArray, t: MxArray) => loss(mx, ps, inputs, t))(p, X, T);
        const [rValue, rGrads] = theirs(q as never, RX as never, RT as never) as unknown as [{ item(): number }, Array<{ tolist(): number[][] }>];
        close([value.item() as number], [rValue.item()], 1e-5);
        grads.forEach((gr, i) => {
          expect(gr.tolist()).toEqual(fresh[i].tolist());
          close(gr.tolist().flat() as number[], rGrads[i].tolist().flat(), 1e-5);
        });
        p = p.map((w, i) => mx.subtract(w, mx.multiply(0.5, grads[i])));
        q = q.map((w, i) => real.subtract(w, real.multiply(0.5, rGrads[i] as never)));
        mx.eval(p);
      }
    });
    expect(replays).toBeGreaterThanOrEqual(3);
  });

  it('replays nothing under another transform, and gives nested gradients right', () => {
    // the outer grad replays its calls after the first (two); the inner one, under it, traces every time
    const g = mx.grad((x: MxArray) => mx.sum(mx.multiply(mx.square(x), x)));
    const gg = mx.grad((x: MxArray) => mx.sum(g(x)));
    const replays = replaysIn(() => {
      for (let k = 1; k < 4; k++) expect(list(gg(f64([k, -k])))).toEqual([6 * k, -6 * k]); // d/dx sum(3x^2) = 6x
    });
    expect(replays).toBe(2);
  });

  it('returns gradients the program may dispose without harming later calls', () => {
    // d/dx sum(x) is ones: a constant of the backward graph
    const g = mx.grad((x: MxArray) => mx.sum(x));
    for (let k = 0; k < 3; k++) {
      const grad = g(f64([k, k]));
      expect(list(grad)).toEqual([1, 1]);
      mx.dispose(grad);
    }
    const t = mx.tidy(() => list(g(f64([1, 2]))));
    expect(t).toEqual([1, 1]);
    expect(list(g(f64([3, 4])))).toEqual([1, 1]);
  });
});
