// Quantization in MLX v0.31.2's modes and packed layout (engine ops in
// native/capi/src/ops/quantized.cpp): quantize, dequantize,
// quantizedMatmul, and gatherQmm over selected batches. affine keeps a
// scale and a bias per group in the weights' dtype; mxfp4, mxfp8 and nvfp4
// keep one uint8 scale per group and no biases.
import { type ArrayLike, MxArray } from './array.js';
import { checkStream, type StreamOrDevice } from './device.js';
import { bfloat16, type Dtype, promoteTypes, uint32, uint8 } from './dtype.js';
import { MxError } from './errors.js';
import { apply, apply1, asArray, broadcastShapes } from './node.js';
import { take } from './ops/indexing.js';
import { reshape } from './ops/shape.js';

export type FloatQuantizationMode = 'mxfp4' | 'mxfp8' | 'nvfp4';
export type QuantizationMode = 'affine' | FloatQuantizationMode;

interface Quant {
  groupSize: number;
  bits: number;
  mode: QuantizationMode;
}

// The mode's group size and bits (its defaults where not given), checked as MLX checks them.
function quantOf(op: string, groupSize: number | null | undefined, bits: number | null | undefined, mode: string): Quant {
  if (mode !== 'affine' && mode !== 'mxfp4' && mode !== 'mxfp8' && mode !== 'nvfp4') throw new MxError(op, 'mode', `invalid quantization mode "${mode}" (affine, mxfp4, mxfp8 or nvfp4)`);
  const defaultGroup = mode === 'affine' ? 64 : mode === 'nvfp4' ? 16 : 32, defaultBits = mode === 'mxfp8' ? 8 : 4;
  const gs = groupSize ?? defaultGroup, b = bits ?? defaultBits;
  if (mode === 'affine') {
    if (![32, 64, 128].includes(gs)) throw new MxError(op, 'groupSize', `${gs} is not supported: the supported group sizes are 32, 64 and 128`);
    if (![2, 3, 4, 5, 6, 8].includes(b)) throw new MxError(op, 'bits', `${b} is not supported: the supported bits are 2, 3, 4, 5, 6 and 8`);
  } else {
    if (gs !== defaultGroup) throw new MxError(op, 'groupSize', `${mode} quantization requires group size ${defaultGroup} but got ${gs}`);
    if (b !== defaultBits) throw new MxError(op, 'bits', `${mode} quantization requires bits to be ${defaultBits} but got ${b}`);
  }
  return { groupSize: gs, bits: b, mode };
}

const attrsOf = (q: Quant) => ({ group_size: q.groupSize, bits: q.bits, mode: q.mode });

/**
 * Quantizes w's groups along its last axis: [packed uint32 values, scales,
 * biases] in affine mode, [packed values, uint8 scales] in the others.
 * groupSize and bits default to the mode's (affine 64 and 4, mxfp4 32 and
 * 4, mxfp8 32 and 8, nvfp4 16 and 4).
 */
export function quantize(w: ArrayLike, groupSize?: number | null, bits?: number | null, mode?: 'affine', stream?: StreamOrDevice): [MxArray, MxArray, MxArray];
export function quantize(w: ArrayLike, groupSize: number | null | undefined, bits: number | null | undefined, mode: FloatQuantizationMode, stream?: StreamOrDevice): [MxArray, MxArray];
export function quantize(w: ArrayLike, groupSize: number | null | undefined, bits: number | null | undefined, mode: QuantizationMode, stream?: StreamOrDevice): [MxArray, MxArray, MxArray] | [MxArray, MxArray];
export function quantize(w: ArrayLike, groupSize?: number | null, bits?: number | null, mode: QuantizationMode = 'affine', stream?: StreamOrDevice): [MxArray, MxArray, MxArray] | [MxArray, MxArray] {
  checkStream('quantize', stream);
  const q = quantOf('quantize', groupSize, bits, mode);
  const a = asArray(w);
  if (a.ndim < 2 || a.shape[a.ndim - 1] % q.groupSize) throw new MxError('quantize', 'w', `needs a matrix whose last dimension is a multiple of ${q.groupSize}, got (${a.shape})`);
  if (a.dtype.category !== 'floating' || a.dtype.name === 'float64') throw new MxError('quantize', 'w', `${a.dtype.name} is not float32, float16 or bfloat16`);
  const lead = a.shape.slice(0, -1), k = a.shape[a.ndim - 1];
  const packed = { dtype: uint32, shape: [...lead, (k * q.bits) / 32] };
  const scales = { dtype: mode === 'affine' ? a.dtype : uint8, shape: [...lead, k / q.groupSize] };
  if (mode !== 'affine') {
    const [p, s] = apply('quantize', [a], attrsOf(q), [packed, scales]);
    return [p, s];
  }
  const [p, s, b] = apply('quantize', [a], attrsOf(q), [packed, scales, scales]);
  return [p, s, b];
}

function unpackedShape(op: string, w: MxArray, scales: MxArray, biases: MxArray | null, q: Quant): number[] {
  if (w.dtype !== uint32) throw new MxError(op, 'w', `must be uint32 (packed), got ${w.dtype.name}`);
  if (w.ndim < 2) throw new MxError(op, 'w', 'needs at least 2 dimensions');
  if (q.mode === 'affine' && !biases) throw new MxError(op, 'biases', 'must be given for affine quantization');
  if (q.mode !== 'affine' && biases) throw new MxError(op, 'biases', `must be null for quantization mode ${q.mode}`);
  const full = [...w.shape.slice(0, -1), (w.shape[w.ndim - 1] * 32) / q.bits];
  const sg = [...full.slice(0, -1), full[full.length - 1] / q.groupSize];
  if (scales.shape.join() !== sg.join() || (biases && biases.shape.join() !== sg.join()))
    throw new MxError(op, 'scales', `(${scales.shape})${biases ? ` and biases (${biases.shape})` : ''} do not fit w (${w.shape}) with groupSize ${q.groupSize}, bits ${q.bits}: expected (${sg})`);
  if (biases && (scales.dtype !== biases.dtype || scales.dtype.category !== 'floating')) throw new MxError(op, 'scales', 'scales and biases must share a floating dtype');
  if (!biases && scales.dtype !== uint8) throw new MxError(op, 'scales', `${q.mode} scales must be uint8, got ${scales.dtype.name}`);
  return full;
}

/**
 * Dequantizes: affine w = q * scale + bias in the scales' dtype; the other
 * modes each code's value times its group's scale, in bfloat16. `dtype`
 * asks for another floating type.
 */
export function dequantize(
  w: MxArray, scales: MxArray, biases: MxArray | null = null, groupSize?: number | null, bits?: number | null, mode: QuantizationMode = 'affine', dtype?: Dtype | null, stream?: StreamOrDevice,
): MxArray {
  checkStream('dequantize', stream);
  const q = quantOf('dequantize', groupSize, bits, mode);
  const shape = unpackedShape('dequantize', w, scales, biases, q);
  if (dtype && (dtype.category !== 'floating' || dtype.name === 'float64')) throw new MxError('dequantize', 'dtype', `must be float32, float16 or bfloat16, got ${dtype.name}`);
  const out = dtype ?? (biases ? scales.dtype : bfloat16);
  const attrs = dtype ? { ...attrsOf(q), dtype: dtype.name } : attrsOf(q);
  const inputs = biases ? [w, scales, biases] : [w, scales];
  return apply1('dequantize', inputs, attrs, { dtype: out, shape });
}

/** x @ dequantize(w)^T (transpose, the default) or x @ dequantize(w), reading the packed values directly. */
export function quantizedMatmul(
  x: ArrayLike, w: MxArray, scales: MxArray, biases: MxArray | null = null, transpose = true, groupSize?: number | null, bits?: number | null, mode: QuantizationMode = 'affine', stream?: StreamOrDevice,
): MxArray {
  const op = 'quantizedMatmul';
  checkStream(op, stream);
  const q = quantOf(op, groupSize, bits, mode);
  const a = asArray(x);
  const full = unpackedShape(op, w, scales, biases, q);
  if (a.ndim < 2) throw new MxError(op, 'x', 'needs at least 2 dimensions (..., M, K)');
  const k = transpose ? full[full.length - 1] : full[full.length - 2], n = transpose ? full[full.length - 2] : full[full.length - 1];
  if (a.shape[a.ndim - 1] !== k) throw new MxError(op, 'x', `last dimension ${a.shape[a.ndim - 1]} does not match the weights' ${k}${transpose ? ' (transposed)' : ''}`);
  const dtype = biases ? promoteTypes(a.dtype, scales.dtype) : a.dtype;
  if (dtype.category !== 'floating') throw new MxError(op, 'x', `${dtype.name} is not a floating type`);
  const batch = broadcastShapes(op, a.shape.slice(0, -2), full.slice(0, -2));
  const inputs = biases ? [a, w, scales, biases] : [a, w, scales];
  return apply1('quantized_matmul', inputs, { transpose, ...attrsOf(q) }, { dtype, shape: [...batch, a.shape[a.ndim - 2], n] });
}

/**
 * quantizedMatmul of x's batches picked by lhsIndices with w's picked by
 * rhsIndices (indices into the flattened batch dimensions, broadcast
 * together; absent means all, in order).
 */
export function gatherQmm(
  x: ArrayLike, w: MxArray, scales: MxArray, biases: MxArray | null = null, lhsIndices: MxArray | null = null, rhsIndices: MxArray | null = null,
  transpose = true, groupSize?: number | null, bits?: number | null, mode: QuantizationMode = 'affine', _sortedIndices = false, stream?: StreamOrDevice,
): MxArray {
  checkStream('gatherQmm', stream);
  const a = asArray(x);
  const pick = (t: MxArray, idx: MxArray | null) => {
    if (!idx) return t;
    const flat = reshape(t, [-1, ...t.shape.slice(-2)]);
    return take(flat, idx, 0);
  };
  return quantizedMatmul(pick(a, lhsIndices), pick(w, rhsIndices), pick(scales, rhsIndices), biases && pick(biases, rhsIndices), transpose, groupSize, bits, mode);
}
