// RMSNorm(dims, eps = 1e-5): x / sqrt(mean(x^2) + eps) * weight over the last
// axis (MLX's mx.fast.rms_norm, composed here from core ops).
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, ones } from '../ops.js';
import { asArray } from '../../core/node.js';

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
    return x.multiply(x.square().mean(-1, true).add(this.eps).rsqrt()).multiply(this.weight);
  }
}
