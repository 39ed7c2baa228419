// InstanceNorm(dims, eps = 1e-5, affine = false): each example and feature
// normalized over the spatial axes (all but the first and last).
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, ones, zeros } from '../ops.js';
import { asArray } from '../../core/node.js';

export class InstanceNorm extends Module {
  weight?: MxArray;
  bias?: MxArray;
  constructor(public dims: number, public eps = 1e-5, affine = false) {
    super();
    if (affine) {
      this.weight = ones([dims]);
      this.bias = zeros([dims]);
    }
  }
  protected extraRepr(): string {
    return `${this.dims}, eps=${this.eps}, affine=${this.has('weight')}`;
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    if (x.ndim < 3 || x.shape[x.ndim - 1] !== this.dims) throw new MxError('InstanceNorm', 'x', `expected (batch, ..., ${this.dims}) with a spatial axis, got shape (${x.shape})`);
    const axes = Array.from({ length: x.ndim - 2 }, (_, i) => i + 1);
    const y = x.subtract(x.mean(axes, true)).multiply(x.variance(axes, true).add(this.eps).rsqrt());
    return this.weight ? this.weight.multiply(y).add(this.bias!) : y;
  }
}
