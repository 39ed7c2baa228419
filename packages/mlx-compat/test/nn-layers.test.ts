// Upsample's cubic mode and nearest by a factor that is not an integer, and
// the Transformer's checkpoint option. Upsample against float64 references
// written here from MLX's definitions (nn/layers/upsample.py: its source
// positions, Keys' kernel with a = -0.75, edges repeated; its nearest
// index): MLX 0.13 is no oracle there (its cubic weights do not sum to one,
// and it floors i / scale for nearest), and MLX v0.31.2's Upsample is Python
// composed of core ops, not reachable through mlx-c. Checkpointed layers
// against the same model without checkpoints and against MLX 0.13's
// Transformer (gradients through the recomputed layers, parameters
// included).
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import mlx, { type MxArray } from '../src/index.js';

const require = createRequire(import.meta.url);
const R = require('@frost-beta/mlx');
const mx = mlx.core, { nn, utils } = mlx;
type Lib = typeof mlx;
const real = R as Lib;

const flat = (a: { tolist(): unknown }): number[] => [a.tolist()].flat(Infinity).map(Number);
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const values = (shape: number[], k = 0) => Array.from({ length: size(shape) }, (_, i) => Math.sin(i * (0.37 + k)) * 2);
function expectClose(got: number[], want: number[], tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  got.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - want[i]) / (1 + Math.abs(want[i])))));
  expect(worst, what).toBeLessThanOrEqual(tol);
}

// Keys' cubic kernel, a = -0.75
function keys(t: number): number {
  const a = -0.75, x = Math.abs(t);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return a * (((x - 5) * x + 8) * x - 4);
  return 0;
}
/** Cubic upsampling of a channels-last array (N, spatial..., C), axis by axis, in float64. */
function cubicReference(v: number[], shape: number[], scales: number[], alignCorners: boolean): { values: number[]; shape: number[] } {
  let cur = v, curShape = [...shape];
  scales.forEach((scale, d) => {
    const axis = d + 1, n = curShape[axis], m = Math.floor(scale * n);
    const outer = size(curShape.slice(0, axis)), inner = size(curShape.slice(axis + 1));
    const out = new Array<number>(outer * m * inner).fill(0);
    for (let j = 0; j < m; j++) {
      const step = 1 / scale;
      const pos = alignCorners ? (m > 1 ? (j * (n - 1)) / (m - 1) : 0) : j * step - ((m - 1) * step - n + 1) / 2;
      const base = Math.floor(pos);
      for (let o = -1; o <= 2; o++) {
        const w = keys(pos - (base + o)), src = Math.min(Math.max(base + o, 0), n - 1);
        for (let a = 0; a < outer; a++) for (let b = 0; b < inner; b++) out[(a * m + j) * inner + b] += w * cur[(a * n + src) * inner + b];
      }
    }
    cur = out;
    curShape = [...curShape.slice(0, axis), m, ...curShape.slice(axis + 1)];
  });
  return { values: cur, shape: curShape };
}

describe('Upsample, cubic', () => {
  const cases: Array<[number[], number | number[], boolean]> = [
    [[1, 5, 2], 2, false], [[2, 4, 3], 1.5, true], [[1, 3, 4, 2], 2, false], [[2, 3, 4, 1], [2, 1.5], true], [[1, 4, 3, 2], [0.5, 3], false], [[1, 2, 3, 2, 1], 2, false],
  ];
  for (const [shape, scale, align] of cases)
    it(`(${shape}) by ${JSON.stringify(scale)}, alignCorners ${align}: MLX v0.31.2's definition in float64`, () => {
      const scales = typeof scale === 'number' ? Array(shape.length - 2).fill(scale) : scale;
      const got = new nn.Upsample(scale, 'cubic', align).forward(mx.reshape(mx.array(values(shape)), shape));
      const want = cubicReference(values(shape), shape, scales, align);
      expect(got.shape).toEqual(want.shape);
      expectClose(flat(got), want.values, 2e-6, 'cubic');
    });
});

// MLX's nearest index for a factor that is not an integer: float32 arithmetic, rounded half to even upward, truncated downward.
function nearestReference(n: number, scale: number): number[] {
  const m = Math.floor(scale * n), r = Math.fround(n / m);
  return Array.from({ length: m }, (_, i) => {
    if (m <= n) return Math.trunc(Math.fround(i * r));
    const p = Math.fround(Math.fround(Math.fround(i + 0.5) * r) - 0.5), f = Math.floor(p);
    return p - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(p);
  });
}

describe('Upsample, nearest by a factor that is not an integer', () => {
  it('picks the source MLX\'s nearest index picks, axis by axis', () => {
    for (const [h, w, sh, sw] of [[4, 5, 1.5, 0.6], [3, 6, 2.5, 0.5], [6, 2, 1.25, 3]]) {
      const shape = [1, h, w, 2];
      const v = values(shape);
      const got = new nn.Upsample([sh, sw], 'nearest').forward(mx.reshape(mx.array(v), shape));
      const ri = nearestReference(h, sh), rj = nearestReference(w, sw);
      const want = ri.flatMap((i) => rj.flatMap((j) => [0, 1].map((c) => v[(i * w + j) * 2 + c])));
      expect(got.shape).toEqual([1, ri.length, rj.length, 2]);
      expect(flat(got)).toEqual(want.map(Math.fround));
    }
  });
});

describe('Transformer with checkpoint', () => {
  const build = (lib: Lib, checkpoint: boolean) => {
    lib.core.random.seed(13);
    const m = new lib.nn.Transformer(16, 2, 2, 2, 32, 0, lib.nn.relu, undefined, undefined, true, checkpoint);
    // node-mlx 0.0.7's LayerNorm bias starts at ones (MLX: zeros)
    for (const sub of m.modules()) if (sub instanceof lib.nn.LayerNorm) sub.bias = lib.core.zeros([16]);
    return m;
  };
  const src = (lib: Lib) => lib.core.reshape(lib.core.array(values([2, 3, 16], 1)), [2, 3, 16]);
  const tgt = (lib: Lib) => lib.core.reshape(lib.core.array(values([2, 4, 16], 2)), [2, 4, 16]);
  const gradients = (lib: Lib, checkpoint: boolean) => {
    const m = build(lib, checkpoint);
    const mask = lib.nn.MultiHeadAttention.createAdditiveCausalMask(4);
    const vg = lib.nn.valueAndGrad(m, (a: MxArray, b: MxArray) => lib.core.sum(lib.core.square(m.forward(a, b, undefined, mask))));
    const [loss, grads] = vg(src(lib), tgt(lib));
    return { loss: flat(loss), grads: utils.treeFlatten(grads).map(([k, g]) => [k, flat(g as MxArray)] as [string, number[]]), model: m };
  };

  it('gives the gradients of the layers kept, recomputing each layer in the backward pass', () => {
    const plain = gradients(mlx, false);
    let calls = 0;
    const m = build(mlx, true);
    for (const l of [...(m.encoder as unknown as { layers: Array<{ forward: (...a: never[]) => unknown }> }).layers]) {
      const f = l.forward.bind(l);
      l.forward = (...a: never[]) => (calls++, f(...a));
    }
    const vg = nn.valueAndGrad(m, (a: MxArray, b: MxArray) => mx.sum(mx.square(m.forward(a, b, undefined, nn.MultiHeadAttention.createAdditiveCausalMask(4)))));
    const [loss, grads] = vg(src(mlx), tgt(mlx));
    mx.eval(loss, grads);
    // two encoder layers: each run forward once, then again by the backward pass
    expect(calls).toBe(4);
    expectClose(flat(loss), plain.loss, 1e-6, 'loss');
    const g = utils.treeFlatten(grads).map(([k, a]) => [k, flat(a as MxArray)] as [string, number[]]);
    expect(g.map(([k]) => k)).toEqual(plain.grads.map(([k]) => k));
    g.forEach(([k, v], i) => expectClose(v, plain.grads[i][1], 1e-5, k));
    // the module holds its own parameters again afterwards
    expect(utils.treeFlatten(m.parameters()).every(([, a]) => (a as MxArray).shape.length > 0)).toBe(true);
  });

  // node-mlx 0.0.7's binary lacks mx.checkpoint (its Transformer's checkpoint fails): a checkpoint changes no value, so MLX's gradients without one are the reference.
  // The LayerNorms' own gradients are left out: MLX 0.13 gave the final one's different values in two runs in one process (the test above covers them).
  it('as MLX 0.13\'s Transformer', () => {
    const ours = gradients(mlx, true), theirs = gradients(real, false);
    expectClose(ours.loss, theirs.loss, 1e-4, 'loss');
    const snake = (k: string) => k.replace(/([a-z])([A-Z])/g, (_, a: string, b: string) => `${a}_${b.toLowerCase()}`);
    const want = new Map(theirs.grads.map(([k, v]) => [snake(k), v]));
    expect(ours.grads.map(([k]) => k)).toEqual([...want.keys()]);
    for (const [k, v] of ours.grads) if (!/(^|\.)ln\d?\.(weight|bias)$/.test(k)) expectClose(v, want.get(k)!, 1e-4, k);
  });
});

// RoPE runs mx.fast.rope as MLX's layer does; a 2-d input (L, D), which
// fast.rope does not take, gets a leading axis for the call.
describe('RoPE', () => {
  it('rotates a 2-d input by the definition, the offset a number or an array', () => {
    const L = 5, D = 8, dims = 6, half = dims / 2, offset = 3;
    const x = values([L, D], 0.2);
    const want = x.slice();
    for (let l = 0; l < L; l++)
      for (let i = 0; i < half; i++) {
        const theta = (offset + l) * 10000 ** (-(2 * i) / dims), a = x[l * D + i], b = x[l * D + i + half];
        want[l * D + i] = a * Math.cos(theta) - b * Math.sin(theta);
        want[l * D + i + half] = a * Math.sin(theta) + b * Math.cos(theta);
      }
    const rope = new nn.RoPE(dims);
    const input = mx.array(x).reshape(L, D);
    const got = rope.forward(input, offset);
    expect(got.shape).toEqual([L, D]);
    expectClose(flat(got), want, 1e-5, 'number offset');
    expectClose(flat(rope.forward(input, mx.array(offset, mx.int32))), want, 1e-5, 'array offset');
  });
});
