// LayerNorm(dims, eps = 1e-5, affine = true, bias = true): normalizes over the
// last axis with mx.fast.layerNorm, as MLX.
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, ones, zeros } from '../ops.js';
import { asArray } from '../../core/node.js';
import { layerNorm } from '../../core/fast.js';

export class LayerNorm extends Module {
  weight?: MxArray;
  bias?: MxArray;
  constructor(public dims: number, public eps = 1e-5, affine = true, bias = true) {
    super();
    if (affine) {
      this.weight = ones([dims]);
      if (bias) this.bias = zeros([dims]);
    }
  }
  protected extraRepr(): string {
    return `${this.dims}, eps=${this.eps}, affine=${this.has('weight')}`;
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    if (x.shape[x.ndim - 1] !== this.dims) throw new MxError('LayerNorm', 'x', `the last axis must have ${this.dims} features, got shape (${x.shape})`);
    return layerNorm(x, this.weight ?? null, this.bias ?? null, this.eps);
  }
}
