// Upsample(scaleFactor, mode = 'nearest', alignCorners = false) over
// channels-last inputs (N, spatial..., C). Nearest picks a source element
// for each output; linear and cubic interpolate axis by axis between the two
// or four nearest source positions (MLX's index mapping, with or without
// aligned corners).
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, arange, broadcastTo, clip, take } from '../ops.js';
import { asArray } from '../../core/node.js';
import { int32, uint32 } from '../../core/dtype.js';

export type UpsampleMode = 'nearest' | 'linear' | 'cubic';

// Nearest: an integer factor repeats each element; otherwise each output
// takes the source MLX's nearest index picks (float32 arithmetic, truncated).
function nearest(x: MxArray, factors: number[]): MxArray {
  if (factors.some((f) => !Number.isInteger(f))) {
    let y = x;
    factors.forEach((scale, d) => {
      const n = x.shape[d + 1], m = Math.floor(scale * n);
      const i = arange(m);
      const src = m > n ? i.add(0.5).multiply(n / m).subtract(0.5).round() : i.multiply(n / m);
      y = take(y, src.astype(uint32), d + 1);
    });
    return y;
  }
  const expanded = [x.shape[0]];
  x.shape.slice(1, -1).forEach((n) => expanded.push(n, 1));
  expanded.push(x.shape[x.ndim - 1]);
  const target = [...expanded];
  factors.forEach((f, d) => (target[2 + 2 * d] = f));
  const out = [x.shape[0], ...x.shape.slice(1, -1).map((n, d) => n * factors[d]), x.shape[x.ndim - 1]];
  return broadcastTo(x.reshape(...expanded), target).reshape(...out);
}

// Source positions of the m outputs along an axis of n inputs (float32, MLX's mapping).
function positions(n: number, m: number, scale: number, alignCorners: boolean): MxArray {
  if (alignCorners) return arange(m).multiply(m > 1 ? (n - 1) / (m - 1) : 0);
  const step = 1 / scale;
  return arange(m).multiply(step).subtract(((m - 1) * step - n + 1) / 2);
}

// Each output along an axis as the sum of taps: [source index (float), its weight].
type Taps = (pos: MxArray, n: number) => Array<[MxArray, MxArray]>;

const linearTaps: Taps = (p, n) => {
  const pos = clip(p, 0, n - 1);
  const lo = pos.floor(), w = pos.subtract(lo);
  return [[lo, w.multiply(-1).add(1)], [pos.ceil(), w]];
};

// Keys' cubic convolution with a = -0.75 (PyTorch's and MLX's) over the four
// nearest sources; positions are not clamped, sources past an edge repeat it.
const A = -0.75;
const cubicTaps: Taps = (pos) => {
  const base = pos.floor();
  return [-1, 0, 1, 2].map((o): [MxArray, MxArray] => {
    const src = base.add(o), t = pos.subtract(src).abs();
    const w = o === 0 || o === 1 ? t.multiply(A + 2).subtract(A + 3).multiply(t).multiply(t).add(1) : t.subtract(5).multiply(t).add(8).multiply(t).subtract(4).multiply(A);
    return [src, w];
  });
};

// Interpolation axis by axis over the spatial axes.
function interpolate(x: MxArray, factors: number[], alignCorners: boolean, taps: Taps): MxArray {
  let y = x;
  factors.forEach((scale, d) => {
    const axis = d + 1, n = x.shape[axis], m = Math.floor(scale * n);
    const shape = Array(x.ndim).fill(1);
    shape[axis] = m;
    let sum: MxArray | undefined;
    for (const [src, w] of taps(positions(n, m, scale, alignCorners), n)) {
      const term = take(y, clip(src, 0, n - 1).astype(int32), axis).multiply(w.reshape(...shape));
      sum = sum ? sum.add(term) : term;
    }
    y = sum!;
  });
  return y;
}

export class Upsample extends Module {
  #factors: number | number[];
  constructor(scaleFactor: number | number[], public mode: UpsampleMode = 'nearest', public alignCorners = false) {
    super();
    if (!['nearest', 'linear', 'cubic'].includes(mode)) throw new MxError('Upsample', 'mode', `"${mode}" is not one of nearest, linear, cubic`);
    this.#factors = scaleFactor;
  }
  protected extraRepr(): string {
    return `scale_factor=${JSON.stringify(this.#factors)}, mode=${JSON.stringify(this.mode)}, align_corners=${this.alignCorners}`;
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    const dims = x.ndim - 2;
    if (dims < 1) throw new MxError('Upsample', 'x', `expected (N, spatial..., C), got shape (${x.shape})`);
    const factors = typeof this.#factors === 'number' ? Array(dims).fill(this.#factors) : this.#factors;
    if (factors.length !== dims) throw new MxError('Upsample', 'scaleFactor', `${factors.length} factors for ${dims} spatial axes`);
    if (this.mode === 'nearest') return nearest(x, factors);
    return interpolate(x, factors, this.alignCorners, this.mode === 'linear' ? linearTaps : cubicTaps);
  }
}
