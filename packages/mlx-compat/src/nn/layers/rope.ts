// RoPE(dims, traditional = false, base = 10000, scale = 1): rotary positional
// encoding of the first `dims` features, positions along the second-last
// axis, by mx.fast.rope as MLX's layer does (one op with its own kernel and
// vjp). Traditional rotates consecutive pairs; otherwise the first half
// against the second.
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError } from '../ops.js';
import { asArray } from '../../core/node.js';
import { rope } from '../../core/fast.js';

export class RoPE extends Module {
  constructor(public dims: number, public traditional = false, public base = 10000, public scale = 1.0) {
    super();
    if (dims % 2 !== 0) throw new MxError('RoPE', 'dims', `must be even, got ${dims}`);
  }
  protected extraRepr(): string {
    return `${this.dims}, traditional=${this.traditional}`;
  }
  /** offset: the position of the first row, a number, a scalar array or one per batch. */
  forward(input: ArrayLike, offset: number | MxArray = 0): MxArray {
    const x = asArray(input);
    if (x.ndim < 2 || x.shape[x.ndim - 1] < this.dims) throw new MxError('RoPE', 'x', `expected (..., L, D) with D >= ${this.dims}, got shape (${x.shape})`);
    // fast.rope takes (..., L, D) with at least one leading axis; a 2-d input gets one for the call
    if (x.ndim === 2) return rope(x.reshape(1, ...x.shape), this.dims, this.traditional, this.base, this.scale, offset).reshape(...x.shape);
    return rope(x, this.dims, this.traditional, this.base, this.scale, offset);
  }
}
