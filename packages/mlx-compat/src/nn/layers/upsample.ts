// Upsample(scaleFactor, mode = 'nearest', alignCorners = false) over
// channels-last inputs (N, spatial..., C). Nearest repeats each element by an
// integer factor; linear interpolates axis by axis between the two nearest
// source positions (MLX's index mapping, with or without aligned corners).
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, arange, broadcastTo, clip, take } from '../ops.js';
import { asArray } from '../../core/node.js';
import { int32 } from '../../core/dtype.js';

export type UpsampleMode = 'nearest' | 'linear' | 'cubic';

function nearest(x: MxArray, factors: number[]): MxArray {
  if (factors.some((f) => !Number.isInteger(f)))
    throw new MxError('Upsample', 'scaleFactor', `nearest upsampling by a non-integer factor (${factors}) is not supported yet`);
  const expanded = [x.shape[0]];
  x.shape.slice(1, -1).forEach((n) => expanded.push(n, 1));
  expanded.push(x.shape[x.ndim - 1]);
  const target = [...expanded];
  factors.forEach((f, d) => (target[2 + 2 * d] = f));
  const out = [x.shape[0], ...x.shape.slice(1, -1).map((n, d) => n * factors[d]), x.shape[x.ndim - 1]];
  return broadcastTo(x.reshape(...expanded), target).reshape(...out);
}

function linear(x: MxArray, factors: number[], alignCorners: boolean): MxArray {
  let y = x;
  factors.forEach((scale, d) => {
    const axis = d + 1, n = x.shape[axis], m = Math.floor(scale * n);
    let pos: MxArray;
    if (alignCorners) pos = arange(m).multiply(m > 1 ? (n - 1) / (m - 1) : 0);
    else {
      const step = 1 / scale;
      pos = arange(m).multiply(step).subtract(((m - 1) * step - n + 1) / 2);
    }
    pos = clip(pos, 0, n - 1);
    const lo = pos.floor(), hi = pos.ceil();
    const shape = Array(x.ndim).fill(1);
    shape[axis] = m;
    const w = pos.subtract(lo).reshape(...shape);
    const left = take(y, lo.astype(int32), axis), right = take(y, hi.astype(int32), axis);
    y = left.multiply(w.multiply(-1).add(1)).add(right.multiply(w));
  });
  return y;
}

export class Upsample extends Module {
  #factors: number | number[];
  constructor(scaleFactor: number | number[], public mode: UpsampleMode = 'nearest', public alignCorners = false) {
    super();
    if (!['nearest', 'linear', 'cubic'].includes(mode)) throw new MxError('Upsample', 'mode', `"${mode}" is not one of nearest, linear, cubic`);
    if (mode === 'cubic') throw new MxError('Upsample', 'mode', 'cubic upsampling is not supported yet');
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
    return this.mode === 'nearest' ? nearest(x, factors) : linear(x, factors, this.alignCorners);
  }
}
