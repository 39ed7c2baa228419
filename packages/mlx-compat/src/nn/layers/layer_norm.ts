// LayerNorm(dims, eps = 1e-5, affine = true, bias = true): normalizes over the
// last axis (MLX's mx.fast.layer_norm, composed here from core ops).
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, ones, zeros } from '../ops.js';
import { asArray } from '../../core/node.js';

/** (x - mean) / sqrt(var + eps) over the last axis, then weight and bias when given. */
export function layerNorm(x: MxArray, weight: MxArray | undefined, bias: MxArray | undefined, eps: number): MxArray {
  const mu = x.mean(-1, true);
  const centered = x.subtract(mu);
  let y = centered.multiply(centered.square().mean(-1, true).add(eps).rsqrt());
  if (weight) y = y.multiply(weight);
  if (bias) y = y.add(bias);
  return y;
}

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
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}
