// mlx.core.fast: rmsNorm, layerNorm, rope and scaledDotProductAttention,
// each one fused engine op (native/capi/src/ops/fast.cpp) with a vjp rule
// (transforms/gradients/fast.ts); metalKernel and cudaKernel are refused.
import { MlxRefusedError } from 'mlx-capi-bridge';
import { type ArrayLike, MxArray } from './array.js';
import { checkStream, type StreamOrDevice } from './device.js';
import { bool, isInexact, promoteTypes, type Dtype } from './dtype.js';
import { MxError } from './errors.js';
import { apply1, asArray, broadcastShapes } from './node.js';

function floating(op: string, dtypes: Dtype[]): Dtype {
  const t = dtypes.reduce(promoteTypes);
  if (!isInexact(t) || t.category === 'complexfloating') throw new MxError(op, 'dtype', `${t.name} is not a floating type`);
  return t;
}

function lastAxisVector(op: string, name: string, v: MxArray, d: number): void {
  if (v.ndim !== 1 || v.shape[0] !== d) throw new MxError(op, name, `must have shape (${d},), got (${v.shape})`);
}

/** x / sqrt(mean(x^2, -1) + eps), times weight (shape (D,)) when given. */
export function rmsNorm(x: ArrayLike, weight: ArrayLike | null, eps: number, stream?: StreamOrDevice): MxArray {
  checkStream('rmsNorm', stream);
  const a = asArray(x);
  if (a.ndim < 1) throw new MxError('rmsNorm', 'x', 'needs at least one dimension');
  const inputs = [a];
  if (weight !== null && weight !== undefined) {
    const w = asArray(weight, a.dtype);
    lastAxisVector('rmsNorm', 'weight', w, a.shape[a.ndim - 1]);
    inputs.push(w);
  }
  return apply1('rms_norm', inputs, { eps }, { dtype: floating('rmsNorm', inputs.map((i) => i.dtype)), shape: a.shape });
}

/** (x - mean) / sqrt(var + eps) over the last axis, times weight, plus bias (each optional, shape (D,)). */
export function layerNorm(x: ArrayLike, weight: ArrayLike | null, bias: ArrayLike | null, eps: number, stream?: StreamOrDevice): MxArray {
  checkStream('layerNorm', stream);
  const a = asArray(x);
  if (a.ndim < 1) throw new MxError('layerNorm', 'x', 'needs at least one dimension');
  const inputs = [a];
  const d = a.shape[a.ndim - 1];
  const hasWeight = weight !== null && weight !== undefined, hasBias = bias !== null && bias !== undefined;
  if (hasWeight) inputs.push(asArray(weight, a.dtype));
  if (hasBias) inputs.push(asArray(bias, a.dtype));
  if (hasWeight) lastAxisVector('layerNorm', 'weight', inputs[1], d);
  if (hasBias) lastAxisVector('layerNorm', 'bias', inputs[inputs.length - 1], d);
  return apply1('layer_norm', inputs, { eps, has_weight: hasWeight, has_bias: hasBias }, { dtype: floating('layerNorm', inputs.map((i) => i.dtype)), shape: a.shape });
}

/**
 * Rotary positional encoding of the last axis of x (..., L, D), at least 3-d:
 * the first `dims` features rotate in pairs by (offset + l) * scale * f_i,
 * f_i = base^(-2i/dims), or 1 / freqs[i] when freqs (shape (dims/2,)) is
 * given (base is then null). offset is a number, a scalar array or one per
 * batch (shape (B,)). traditional pairs features (2i, 2i+1), else (i, i + dims/2).
 */
export function rope(
  x: ArrayLike, dims: number, traditional: boolean, base: number | null, scale: number, offset: number | MxArray,
  freqs: MxArray | null = null, stream?: StreamOrDevice,
): MxArray {
  checkStream('rope', stream);
  const a = asArray(x);
  if (a.ndim < 3) throw new MxError('rope', 'x', `needs at least 3 dimensions (..., L, D), got (${a.shape})`);
  floating('rope', [a.dtype]);
  const d = a.shape[a.ndim - 1];
  if (!Number.isInteger(dims) || dims <= 0 || dims % 2 || dims > d) throw new MxError('rope', 'dims', `must be even, positive and at most ${d}, got ${dims}`);
  if ((base === null || base === undefined) === (freqs === null || freqs === undefined)) throw new MxError('rope', 'base', 'give exactly one of base and freqs');
  const inputs = [a];
  const attrs: Record<string, unknown> = { dims, traditional, base: base ?? null, scale, offset: 0, has_offset_array: false, has_freqs: !!freqs };
  if (offset instanceof MxArray) {
    if (!(offset.ndim === 0 || (offset.ndim === 1 && (offset.shape[0] === 1 || offset.shape[0] === a.shape[0]))))
      throw new MxError('rope', 'offset', `must be a scalar or have shape (${a.shape[0]},), got (${offset.shape})`);
    if (offset.dtype === bool || offset.dtype.category === 'complexfloating') throw new MxError('rope', 'offset', `${offset.dtype.name} is not a number type`);
    inputs.push(offset);
    attrs.has_offset_array = true;
  } else {
    if (!Number.isInteger(offset)) throw new MxError('rope', 'offset', `must be an integer, got ${offset}`);
    attrs.offset = offset;
  }
  if (freqs) {
    lastAxisVector('rope', 'freqs', freqs, dims / 2);
    inputs.push(freqs);
  }
  return apply1('rope', inputs, attrs, { dtype: a.dtype, shape: a.shape });
}

export type AttentionMask = 'causal' | MxArray | null;

/**
 * softmax(q k^T scale + mask) v over q (B, H, Lq, D), k (B, Hk, Lk, D), v
 * (B, Hk, Lk, Dv), H a multiple of Hk (grouped-query attention). mask is
 * "causal" (query l sees keys up to l + Lk - Lq), a boolean array (true
 * keeps) or an additive one, broadcast to (B, H, Lq, Lk); sinks (shape (H,))
 * add one logit per head to each softmax's denominator.
 */
export function scaledDotProductAttention(
  queries: ArrayLike, keys: ArrayLike, values: ArrayLike, scale: number, mask: AttentionMask | undefined = null,
  sinks: MxArray | null = null, stream?: StreamOrDevice,
): MxArray {
  const op = 'scaledDotProductAttention';
  checkStream(op, stream);
  const [q, k, v] = [asArray(queries), asArray(keys), asArray(values)];
  [q, k, v].forEach((t, i) => {
    if (t.ndim !== 4) throw new MxError(op, ['queries', 'keys', 'values'][i], `must have 4 dimensions (B, heads, L, D), got (${t.shape})`);
  });
  const [B, H, Lq, D] = q.shape, [Bk, Hk, Lk, Dk] = k.shape, [Bv, Hv, Lv, Dv] = v.shape;
  if (Bk !== B || Bv !== B || Hv !== Hk || Lv !== Lk || Dk !== D || Hk === 0 || H % Hk)
    throw new MxError(op, 'keys', `shapes (${q.shape}), (${k.shape}), (${v.shape}) do not fit: keys and values need the batch, keys the head size of queries, and the query heads a multiple of the key/value heads`);
  const dtype = floating(op, [q.dtype, k.dtype, v.dtype]);
  const inputs = [q, k, v];
  let maskMode = 'none';
  if (mask === 'causal') maskMode = 'causal';
  else if (mask instanceof MxArray) {
    if (mask.dtype !== bool && !isInexact(mask.dtype)) throw new MxError(op, 'mask', `must be boolean or floating, got ${mask.dtype.name}`);
    if (mask.ndim > 4 || broadcastShapes(op, mask.shape, [B, H, Lq, Lk]).join() !== [B, H, Lq, Lk].join())
      throw new MxError(op, 'mask', `(${mask.shape}) does not broadcast to the scores (${[B, H, Lq, Lk]})`);
    inputs.push(mask);
    maskMode = 'array';
  } else if (mask !== null && mask !== undefined) throw new MxError(op, 'mask', 'must be "causal", an array or null');
  if (sinks) {
    if (sinks.ndim !== 1 || sinks.shape[0] !== H) throw new MxError(op, 'sinks', `must have shape (${H},), got (${sinks.shape})`);
    inputs.push(sinks);
  }
  return apply1('scaled_dot_product_attention', inputs, { scale, mask_mode: maskMode, has_sinks: !!sinks }, { dtype, shape: [B, H, Lq, Dv] });
}

function refuseKernels(name: string): never {
  throw new MlxRefusedError('unsupported_device', 'device', name, `${name} compiles ${name === 'metalKernel' ? 'Metal' : 'CUDA'} source for a GPU; the mlx-compat engine runs on cpu only`);
}

/** Refused: custom Metal kernels need a GPU. */
export function metalKernel(..._args: unknown[]): never {
  return refuseKernels('metalKernel');
}

/** Refused: custom CUDA kernels need a GPU. */
export function cudaKernel(..._args: unknown[]): never {
  return refuseKernels('cudaKernel');
}
