// RoPE(dims, traditional = false, base = 10000, scale = 1): rotary positional
// encoding of the first `dims` features, positions along the second-last axis
// (MLX's mx.fast.rope, composed here from core ops). Traditional rotates
// consecutive pairs; otherwise the first half against the second.
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, Slice, arange, concatenate, cos, exp, sin, stack } from '../ops.js';
import { asArray } from '../../core/node.js';

export function rope(x: MxArray, dims: number, traditional: boolean, base: number, scale: number, offset: number): MxArray {
  const half = dims / 2, L = x.shape[x.ndim - 2];
  const invFreq = exp(arange(0, half).multiply(-Math.log(base) / half));
  const theta = arange(offset, offset + L).multiply(scale).reshape(L, 1).multiply(invFreq.reshape(1, half));
  const c = cos(theta), s = sin(theta);
  const part = (start: number | null, stop: number | null, step: number | null = null) => x.index('...', new Slice(start, stop, step));
  const [x1, x2] = traditional ? [part(0, dims, 2), part(1, dims, 2)] : [part(0, half), part(half, dims)];
  const r1 = x1.multiply(c).subtract(x2.multiply(s)), r2 = x1.multiply(s).add(x2.multiply(c));
  const rotated = traditional ? stack([r1, r2], -1).reshape(...x.shape.slice(0, -1), dims) : concatenate([r1, r2], -1);
  return dims < x.shape[x.ndim - 1] ? concatenate([rotated, part(dims, null)], -1) : rotated;
}

export class RoPE extends Module {
  constructor(public dims: number, public traditional = false, public base = 10000, public scale = 1.0) {
    super();
    if (dims % 2 !== 0) throw new MxError('RoPE', 'dims', `must be even, got ${dims}`);
  }
  protected extraRepr(): string {
    return `${this.dims}, traditional=${this.traditional}`;
  }
  forward(input: ArrayLike, offset = 0): MxArray {
    const x = asArray(input);
    if (x.ndim < 2 || x.shape[x.ndim - 1] < this.dims) throw new MxError('RoPE', 'x', `expected (..., L, D) with D >= ${this.dims}, got shape (${x.shape})`);
    return rope(x, this.dims, this.traditional, this.base, this.scale, offset);
  }
}
