// MultiHeadAttention(dims, numHeads, queryInputDims?, keyInputDims?,
// valueInputDims?, valueDims?, valueOutputDims?, bias = false): projections
// named as MLX's (query_proj, key_proj, value_proj, out_proj) and scaled dot
// product attention per head with mx.fast.scaledDotProductAttention, as MLX.
import { Module } from './base.js';
import { Linear } from './linear.js';
import { type ArrayLike, type Dtype, MxArray, MxError, arange, finfo, float32 } from '../ops.js';
import { scaledDotProductAttention } from '../../core/fast.js';

export class MultiHeadAttention extends Module {
  query_proj: Linear;
  key_proj: Linear;
  value_proj: Linear;
  out_proj: Linear;
  constructor(
    dims: number,
    public numHeads: number,
    queryInputDims?: number,
    keyInputDims?: number,
    valueInputDims?: number,
    valueDims?: number,
    valueOutputDims?: number,
    bias = false,
  ) {
    super();
    if (dims % numHeads !== 0) throw new MxError('MultiHeadAttention', 'dims', `the input feature dimensions (${dims}) should be divisible by the number of heads (${numHeads})`);
    const qIn = queryInputDims ?? dims, kIn = keyInputDims ?? dims, vIn = valueInputDims ?? kIn;
    const vDims = valueDims ?? dims, vOut = valueOutputDims ?? dims;
    this.query_proj = new Linear(qIn, dims, bias);
    this.key_proj = new Linear(kIn, dims, bias);
    this.value_proj = new Linear(vIn, vDims, bias);
    this.out_proj = new Linear(vDims, vOut, bias);
  }
  forward(queries: ArrayLike, keys: ArrayLike, values: ArrayLike, mask?: MxArray): MxArray {
    const heads = (x: MxArray) => {
      const [b, l, d] = x.shape;
      return x.reshape(b, l, this.numHeads, d / this.numHeads).transpose(0, 2, 1, 3);
    };
    const q = heads(this.query_proj.forward(queries)), k = heads(this.key_proj.forward(keys)), v = heads(this.value_proj.forward(values));
    const out = scaledDotProductAttention(q, k, v, Math.sqrt(1 / q.shape[3]), mask ?? null);
    const [b, , l, d] = out.shape;
    return this.out_proj.forward(out.transpose(0, 2, 1, 3).reshape(b, l, this.numHeads * d));
  }
  /** An additive mask that hides later positions: 0 on and below the diagonal, the dtype's lowest value above it. */
  static createAdditiveCausalMask(n: number, dtype: Dtype = float32): MxArray {
    const indices = arange(n);
    const mask = indices.reshape(n, 1).less(indices.reshape(1, n));
    return mask.astype(dtype).multiply(finfo(dtype).min);
  }
}
