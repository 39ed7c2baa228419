// GroupNorm(numGroups, dims, eps = 1e-5, affine = true, pytorchCompatible = false):
// the features split into groups, each normalized over the example's other
// axes. PyTorch-compatible groups are runs of consecutive features; MLX's
// default groups interleave them (feature f in group f % numGroups).
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, ones, zeros } from '../ops.js';
import { asArray } from '../../core/node.js';
import { layerNorm } from '../../core/fast.js';

export class GroupNorm extends Module {
  weight?: MxArray;
  bias?: MxArray;
  constructor(public numGroups: number, public dims: number, public eps = 1e-5, affine = true, public pytorchCompatible = false) {
    super();
    if (dims % numGroups !== 0) throw new MxError('GroupNorm', 'dims', `${dims} features do not split into ${numGroups} groups`);
    if (affine) {
      this.weight = ones([dims]);
      this.bias = zeros([dims]);
    }
  }
  protected extraRepr(): string {
    return `${this.numGroups}, ${this.dims}, eps=${this.eps}, affine=${this.has('weight')}, pytorch_compatible=${this.pytorchCompatible}`;
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    if (x.ndim < 2 || x.shape[x.ndim - 1] !== this.dims) throw new MxError('GroupNorm', 'x', `expected (batch, ..., ${this.dims}), got shape (${x.shape})`);
    const [batch, ...rest] = x.shape;
    const groupSize = this.dims / this.numGroups;
    let y: MxArray;
    if (this.pytorchCompatible) {
      const grouped = x.reshape(batch, -1, this.numGroups, groupSize).transpose(0, 2, 1, 3).reshape(batch, this.numGroups, -1);
      y = layerNorm(grouped, null, null, this.eps).reshape(batch, this.numGroups, -1, groupSize).transpose(0, 2, 1, 3).reshape(batch, ...rest);
    } else {
      const g = x.reshape(batch, -1, this.numGroups);
      y = g.subtract(g.mean(1, true)).multiply(g.variance(1, true).add(this.eps).rsqrt()).reshape(batch, ...rest);
    }
    return this.weight ? this.weight.multiply(y).add(this.bias!) : y;
  }
}
