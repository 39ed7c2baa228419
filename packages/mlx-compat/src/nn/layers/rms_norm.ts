// RMSNorm(dims, eps = 1e-5): x / sqrt(mean(x^2) + eps) * weight over the last
// axis, with mx.fast.rmsNorm as MLX.
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, ones } from '../ops.js';
import { asArray } from '../../core/node.js';
import { rmsNorm } from '../../core/fast.js';

export class RMSNorm extends Module {
  weight: MxArray;
  constructor(dims: number, public eps = 1e-5) {
    super();
    this.weight = ones([dims]);
  }
  protected extraRepr(): string {
    return `${this.weight.shape[0]}, eps=${this.eps}`;
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    const dims = this.weight.shape[0];
    if (x.shape[x.ndim - 1] !== dims) throw new MxError('RMSNorm', 'x', `the last axis must have ${dims} features, got shape (${x.shape})`);
    return rmsNorm(x, this.weight, this.eps);
  }
}
