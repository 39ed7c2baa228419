// Quantization in MLX's affine layout (engine ops in
// native/capi/src/ops/quantized.cpp): quantize, dequantize,
// quantizedMatmul, and gatherQmm over selected batches.
import { type ArrayLike, MxArray } from './array.js';
import { checkStream, type StreamOrDevice } from './device.js';
import { promoteTypes, uint32 } from './dtype.js';
import { MxError } from './errors.js';
import { apply, apply1, asArray, broadcastShapes } from './node.js';
import { take } from './ops/indexing.js';
import { reshape } from './ops/shape.js';

export type QuantizationMode = 'affine';

function checkMode(op: string, groupSize: number, bits: number, mode: string): void {
  if (mode !== 'affine') throw new MxError(op, 'mode', `"${mode}" is not supported by this engine (supported: affine)`);
  if (![32, 64, 128].includes(groupSize)) throw new MxError(op, 'groupSize', `must be 32, 64 or 128, got ${groupSize}`);
  if (![2, 3, 4, 5, 6, 8].includes(bits)) throw new MxError(op, 'bits', `must be 2, 3, 4, 5, 6 or 8, got ${bits}`);
}

/** [packed uint32 values, scales, biases] of w's groups along its last axis. */
export function quantize(w: ArrayLike, groupSize = 64, bits = 4, mode: QuantizationMode = 'affine', stream?: StreamOrDevice): [MxArray, MxArray, MxArray] {
  checkStream('quantize', stream);
  checkMode('quantize', groupSize, bits, mode);
  const a = asArray(w);
  if (a.ndim < 2 || a.shape[a.ndim - 1] % groupSize) throw new MxError('quantize', 'w', `needs a matrix whose last dimension is a multiple of ${groupSize}, got (${a.shape})`);
  if (a.dtype.category !== 'floating' || a.dtype.name === 'float64') throw new MxError('quantize', 'w', `${a.dtype.name} is not float32, float16 or bfloat16`);
  const lead = a.shape.slice(0, -1), k = a.shape[a.ndim - 1];
  const [q, s, b] = apply('quantize', [a], { group_size: groupSize, bits, mode }, [
    { dtype: uint32, shape: [...lead, (k * bits) / 32] },
    { dtype: a.dtype, shape: [...lead, k / groupSize] },
    { dtype: a.dtype, shape: [...lead, k / groupSize] },
  ]);
  return [q, s, b];
}

function unpackedShape(op: string, w: MxArray, scales: MxArray, biases: MxArray, groupSize: number, bits: number): number[] {
  if (w.dtype !== uint32) throw new MxError(op, 'w', `must be uint32 (packed), got ${w.dtype.name}`);
  if (w.ndim < 2) throw new MxError(op, 'w', 'needs at least 2 dimensions');
  const full = [...w.shape.slice(0, -1), (w.shape[w.ndim - 1] * 32) / bits];
  const sg = [...full.slice(0, -1), full[full.length - 1] / groupSize];
  if (scales.shape.join() !== sg.join() || biases.shape.join() !== sg.join())
    throw new MxError(op, 'scales', `(${scales.shape}) and biases (${biases.shape}) do not fit w (${w.shape}) with groupSize ${groupSize}, bits ${bits}: expected (${sg})`);
  if (scales.dtype !== biases.dtype || scales.dtype.category !== 'floating') throw new MxError(op, 'scales', 'scales and biases must share a floating dtype');
  return full;
}

/** w = q * scale + bias, in the scales' dtype. */
export function dequantize(w: MxArray, scales: MxArray, biases: MxArray, groupSize = 64, bits = 4, mode: QuantizationMode = 'affine', stream?: StreamOrDevice): MxArray {
  checkStream('dequantize', stream);
  checkMode('dequantize', groupSize, bits, mode);
  const shape = unpackedShape('dequantize', w, scales, biases, groupSize, bits);
  return apply1('dequantize', [w, scales, biases], { group_size: groupSize, bits, mode }, { dtype: scales.dtype, shape });
}

/** x @ dequantize(w)^T (transpose, the default) or x @ dequantize(w), reading the packed values directly. */
export function quantizedMatmul(
  x: ArrayLike, w: MxArray, scales: MxArray, biases: MxArray, transpose = true, groupSize = 64, bits = 4, mode: QuantizationMode = 'affine', stream?: StreamOrDevice,
): MxArray {
  const op = 'quantizedMatmul';
  checkStream(op, stream);
  checkMode(op, groupSize, bits, mode);
  const a = asArray(x);
  const full = unpackedShape(op, w, scales, biases, groupSize, bits);
  if (a.ndim < 2) throw new MxError(op, 'x', 'needs at least 2 dimensions (..., M, K)');
  const k = transpose ? full[full.length - 1] : full[full.length - 2], n = transpose ? full[full.length - 2] : full[full.length - 1];
  if (a.shape[a.ndim - 1] !== k) throw new MxError(op, 'x', `last dimension ${a.shape[a.ndim - 1]} does not match the weights' ${k}${transpose ? ' (transposed)' : ''}`);
  const dtype = promoteTypes(a.dtype, scales.dtype);
  if (dtype.category !== 'floating') throw new MxError(op, 'x', `${dtype.name} is not a floating type`);
  const batch = broadcastShapes(op, a.shape.slice(0, -2), full.slice(0, -2));
  return apply1('quantized_matmul', [a, w, scales, biases], { transpose, group_size: groupSize, bits, mode }, { dtype, shape: [...batch, a.shape[a.ndim - 2], n] });
}

/**
 * quantizedMatmul of x's batches picked by lhsIndices with w's picked by
 * rhsIndices (indices into the flattened batch dimensions, broadcast
 * together; absent means all, in order).
 */
export function gatherQmm(
  x: ArrayLike, w: MxArray, scales: MxArray, biases: MxArray, lhsIndices: MxArray | null = null, rhsIndices: MxArray | null = null,
  transpose = true, groupSize = 64, bits = 4, mode: QuantizationMode = 'affine', _sortedIndices = false, stream?: StreamOrDevice,
): MxArray {
  checkStream('gatherQmm', stream);
  const a = asArray(x);
  const pick = (t: MxArray, idx: MxArray | null) => {
    if (!idx) return t;
    const flat = reshape(t, [-1, ...t.shape.slice(-2)]);
    return take(flat, idx, 0);
  };
  return quantizedMatmul(pick(a, lhsIndices), pick(w, rhsIndices), pick(scales, rhsIndices), pick(biases, rhsIndices), transpose, groupSize, bits, mode);
}
