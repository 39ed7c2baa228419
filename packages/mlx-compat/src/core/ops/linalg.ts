// matmul and the products and diagonals MLX builds on it: addmm, inner,
// outer, tensordot, diagonal, diag, trace, tril, triu; the engine's other
// products: gatherMm, blockMaskedMm, hadamardTransform.
import { type ArrayLike, MxArray } from '../array.js';
import { bool, float32, int32, isFloating, isInexact, isInteger, promoteTypes, type Dtype } from '../dtype.js';
import { MxError } from '../errors.js';
import { apply1, asArray, broadcastShapes, normAxis } from '../node.js';
import { checkStream, type StreamOrDevice } from '../device.js';
import { reshape, transpose } from './shape.js';
import { sum } from './reduce.js';
import { astype, binaryOps, where } from './elementwise.js';
import { arange, tri, zeros, zerosLike } from './creation.js';
import { take, takeAlongAxis } from './indexing.js';
import { fromValue } from '../creation-data.js';

export function matmul(a: ArrayLike, b: ArrayLike, stream?: StreamOrDevice): MxArray {
  checkStream('matmul', stream);
  const x = asArray(a), y = asArray(b);
  const t = promoteTypes(x.dtype, y.dtype);
  if (!isInexact(t)) throw new MxError('matmul', 'dtype', `only floating and complex types are supported, not ${t.name}`);
  if (!x.ndim || !y.ndim) throw new MxError('matmul', 'a', 'operands need at least one dimension');
  const xs = x.ndim === 1 ? [1, ...x.shape] : x.shape, ys = y.ndim === 1 ? [...y.shape, 1] : y.shape;
  const k = xs[xs.length - 1], k2 = ys[ys.length - 2];
  if (k !== k2) throw new MxError('matmul', 'b', `inner dimensions differ: (${x.shape}) @ (${y.shape})`);
  const batch = broadcastShapes('matmul', xs.slice(0, -2), ys.slice(0, -2));
  const out = [...batch, ...(x.ndim > 1 ? [xs[xs.length - 2]] : []), ...(y.ndim > 1 ? [ys[ys.length - 1]] : [])];
  return apply1('matmul', [x, y], {}, { dtype: t, shape: out });
}

/**
 * addmm(c, a, b, alpha = 1, beta = 1): alpha (a @ b) + beta c, with c
 * broadcast to the product's shape. As in MLX, c is not read when beta is 0
 * (its NaNs do not reach the result).
 */
export function addmm(c: ArrayLike, a: ArrayLike, b: ArrayLike, alpha = 1, beta = 1, stream?: StreamOrDevice): MxArray {
  checkStream('addmm', stream);
  const z = asArray(c), product = matmul(a, b);
  const t = promoteTypes(product.dtype, z.dtype);
  if (!isFloating(t)) throw new MxError('addmm', 'c', `only real floating types are supported, not ${t.name}`);
  if (broadcastShapes('addmm', z.shape, product.shape).join() !== product.shape.join())
    throw new MxError('addmm', 'c', `shape (${z.shape}) does not broadcast to the product's (${product.shape})`);
  const scaled = alpha === 1 ? product : binaryOps.multiply(product, fromValue(alpha, product.dtype));
  if (beta === 0) return scaled.dtype === t ? scaled : astype(scaled, t);
  return binaryOps.add(scaled, beta === 1 ? z : binaryOps.multiply(z, fromValue(beta, z.dtype)));
}

export function tensordot(a: ArrayLike, b: ArrayLike, axes: number | [number[], number[]] = 2, stream?: StreamOrDevice): MxArray {
  checkStream('tensordot', stream);
  const x = asArray(a), y = asArray(b);
  const [ax, bx] = typeof axes === 'number'
    ? [Array.from({ length: axes }, (_, i) => x.ndim - axes + i), Array.from({ length: axes }, (_, i) => i)]
    : [axes[0].map((v) => normAxis('tensordot', v, x.ndim)), axes[1].map((v) => normAxis('tensordot', v, y.ndim))];
  if (ax.length !== bx.length || ax.some((v, i) => x.shape[v] !== y.shape[bx[i]]))
    throw new MxError('tensordot', 'axes', `contracted dimensions differ: (${ax.map((v) => x.shape[v])}) and (${bx.map((v) => y.shape[v])})`);
  const xr = x.shape.map((_, i) => i).filter((i) => !ax.includes(i)), yr = y.shape.map((_, i) => i).filter((i) => !bx.includes(i));
  const kk = ax.reduce((p, v) => p * x.shape[v], 1);
  const xm = reshape(transpose(x, [...xr, ...ax]), [-1, kk]);
  const ym = reshape(transpose(y, [...bx, ...yr]), [kk, -1]);
  return reshape(matmul(xm, ym), [...xr.map((i) => x.shape[i]), ...yr.map((i) => y.shape[i])]);
}

export function inner(a: ArrayLike, b: ArrayLike, stream?: StreamOrDevice): MxArray {
  const x = asArray(a), y = asArray(b);
  if (!x.ndim || !y.ndim) return binaryOps.multiply(x, y, stream);
  return tensordot(x, y, [[-1], [-1]], stream);
}

export function outer(a: ArrayLike, b: ArrayLike, stream?: StreamOrDevice): MxArray {
  const x = reshape(asArray(a), [-1, 1]), y = reshape(asArray(b), [1, -1]);
  return binaryOps.multiply(x, y, stream);
}

const i32 = (v: number) => fromValue(v, int32);

/** diagonal(a, offset, axis1, axis2): the diagonal moved to the last axis. */
export function diagonal(a: ArrayLike, offset = 0, axis1 = 0, axis2 = 1, stream?: StreamOrDevice): MxArray {
  checkStream('diagonal', stream);
  const x = asArray(a);
  const p = normAxis('diagonal', axis1, x.ndim, 'axis1'), q = normAxis('diagonal', axis2, x.ndim, 'axis2');
  if (p === q) throw new MxError('diagonal', 'axis2', 'axis1 and axis2 must differ');
  const rest = x.shape.map((_, i) => i).filter((i) => i !== p && i !== q);
  const rows = x.shape[p], cols = x.shape[q];
  const n = Math.max(0, Math.min(rows - Math.max(0, -offset), cols - Math.max(0, offset)));
  // element i of the diagonal sits at flat position start + i * (cols + 1) of each matrix
  const flat = reshape(transpose(x, [...rest, p, q]), [...rest.map((i) => x.shape[i]), rows * cols]);
  const start = Math.max(0, -offset) * cols + Math.max(0, offset);
  const idx = reshape(arange(start, start + n * (cols + 1), cols + 1, int32), [...rest.map(() => 1), n]);
  return takeAlongAxis(flat, idx, -1);
}

/** diag(a, k): the k-th diagonal of a matrix, or a matrix with a vector on it. */
export function diag(a: ArrayLike, k = 0, stream?: StreamOrDevice): MxArray {
  const x = asArray(a);
  if (x.ndim === 2) return diagonal(x, k, 0, 1, stream);
  if (x.ndim !== 1) throw new MxError('diag', 'a', 'takes a 1-d or 2-d array');
  checkStream('diag', stream);
  const n = x.shape[0] + Math.abs(k);
  const rows = reshape(arange(n, int32), [-1, 1]), cols = reshape(arange(n, int32), [1, -1]);
  const onDiagonal = binaryOps.equal(binaryOps.subtract(cols, rows), i32(k));
  // row i holds x[i] above the main diagonal, x[i + k] below it
  const src = binaryOps.maximum(binaryOps.minimum(binaryOps.add(rows, i32(Math.min(k, 0))), i32(x.shape[0] - 1)), i32(0));
  return where(onDiagonal, take(x, src), zeros([], x.dtype));
}

export function trace(a: ArrayLike, offset = 0, axis1 = 0, axis2 = 1, dtype?: Dtype, stream?: StreamOrDevice): MxArray {
  const d = diagonal(a, offset, axis1, axis2, stream);
  const s = sum(d, -1);
  return dtype ? apply1('astype', [s], { dtype: dtype.name }, { dtype, shape: s.shape }) : s;
}

export function tril(a: ArrayLike, k = 0, stream?: StreamOrDevice): MxArray {
  const x = asArray(a);
  if (x.ndim < 2) throw new MxError('tril', 'a', 'needs at least two dimensions');
  const mask = tri(x.shape[x.ndim - 2], x.shape[x.ndim - 1], k, bool, stream);
  return where(mask, x, zerosLike(x));
}

export function triu(a: ArrayLike, k = 0, stream?: StreamOrDevice): MxArray {
  const x = asArray(a);
  if (x.ndim < 2) throw new MxError('triu', 'a', 'needs at least two dimensions');
  const mask = tri(x.shape[x.ndim - 2], x.shape[x.ndim - 1], k - 1, bool, stream);
  return where(mask, zerosLike(x), x);
}

function matrices(op: string, a: ArrayLike, b: ArrayLike): [MxArray, MxArray, Dtype] {
  const x = asArray(a, undefined, op, 'a'), y = asArray(b, undefined, op, 'b');
  const t = promoteTypes(x.dtype, y.dtype);
  if (!isFloating(t)) throw new MxError(op, 'dtype', `only real floating types are supported, not ${t.name}`);
  if (x.ndim < 2) throw new MxError(op, 'a', `needs at least two dimensions, got (${x.shape})`);
  if (y.ndim < 2) throw new MxError(op, 'b', `needs at least two dimensions, got (${y.shape})`);
  if (x.shape[x.ndim - 1] !== y.shape[y.ndim - 2]) throw new MxError(op, 'b', `inner dimensions differ: (${x.shape}) @ (${y.shape})`);
  return [x, y, t];
}

/**
 * gatherMm(a, b, lhsIndices?, rhsIndices?, sortedIndices = false): the
 * products a[lhs] @ b[rhs], the indices into the flattened batches of a and
 * b (each batch in order when absent), broadcast together.
 */
export function gatherMm(a: ArrayLike, b: ArrayLike, lhsIndices?: ArrayLike | null, rhsIndices?: ArrayLike | null, sortedIndices = false, stream?: StreamOrDevice): MxArray {
  checkStream('gatherMm', stream);
  const [x, y, t] = matrices('gatherMm', a, b);
  const idx = (v: ArrayLike | null | undefined, arg: string) => {
    if (v === undefined || v === null) return undefined;
    const i = asArray(v, int32, 'gatherMm', arg);
    if (!isInteger(i.dtype)) throw new MxError('gatherMm', arg, `indices must be integers, not ${i.dtype.name}`);
    return i;
  };
  const li = idx(lhsIndices, 'lhsIndices'), ri = idx(rhsIndices, 'rhsIndices');
  const batch = broadcastShapes('gatherMm', li ? li.shape : x.shape.slice(0, -2), ri ? ri.shape : y.shape.slice(0, -2));
  const inputs = [x, y, ...(li ? [li] : []), ...(ri ? [ri] : [])];
  return apply1('gather_mm', inputs, { has_lhs_indices: !!li, has_rhs_indices: !!ri, sorted_indices: !!sortedIndices }, { dtype: t, shape: [...batch, x.shape[x.ndim - 2], y.shape[y.ndim - 1]] });
}

/**
 * blockMaskedMm(a, b, blockSize = 64, maskOut?, maskLhs?, maskRhs?): a @ b
 * with blocks of blockSize x blockSize (32 or 64) dropped where a bool mask
 * is false or scaled by a float mask: the operands' blocks before the
 * product, the output's after.
 */
export function blockMaskedMm(a: ArrayLike, b: ArrayLike, blockSize = 64, maskOut?: ArrayLike | null, maskLhs?: ArrayLike | null, maskRhs?: ArrayLike | null, stream?: StreamOrDevice): MxArray {
  checkStream('blockMaskedMm', stream);
  const [x, y, t] = matrices('blockMaskedMm', a, b);
  if (blockSize !== 32 && blockSize !== 64) throw new MxError('blockMaskedMm', 'blockSize', `must be 32 or 64, got ${blockSize}`);
  const m = x.shape[x.ndim - 2], k = x.shape[x.ndim - 1], n = y.shape[y.ndim - 1];
  const blocks = (d: number) => Math.ceil(d / blockSize);
  const batches = [x.shape.slice(0, -2), y.shape.slice(0, -2)];
  const masks: MxArray[] = [];
  const mask = (v: ArrayLike | null | undefined, arg: string, rows: number, cols: number) => {
    if (v === undefined || v === null) return false;
    const z = asArray(v, t, 'blockMaskedMm', arg);
    if (z.dtype !== bool && !isFloating(z.dtype)) throw new MxError('blockMaskedMm', arg, `a mask is bool or floating, not ${z.dtype.name}`);
    if (z.ndim < 2 || z.shape[z.ndim - 2] !== blocks(rows) || z.shape[z.ndim - 1] !== blocks(cols))
      throw new MxError('blockMaskedMm', arg, `shape (${z.shape}) needs (..., ${blocks(rows)}, ${blocks(cols)}) blocks of ${blockSize}`);
    batches.push(z.shape.slice(0, -2));
    masks.push(z);
    return true;
  };
  const has = { has_mask_out: mask(maskOut, 'maskOut', m, n), has_mask_lhs: mask(maskLhs, 'maskLhs', m, k), has_mask_rhs: mask(maskRhs, 'maskRhs', k, n) };
  const batch = broadcastShapes('blockMaskedMm', ...batches);
  return apply1('block_masked_mm', [x, y, ...masks], { block_size: blockSize, ...has }, { dtype: t, shape: [...batch, m, n] });
}

/**
 * hadamardTransform(a, scale = 1/sqrt(n)): scale * H a along the last axis
 * (n a power of two; MLX also takes 12, 20 or 28 times one, not here).
 * Integers give float32.
 */
export function hadamardTransform(a: ArrayLike, scale?: number | null, stream?: StreamOrDevice): MxArray {
  checkStream('hadamardTransform', stream);
  const x = asArray(a, undefined, 'hadamardTransform', 'a');
  if (!x.ndim) throw new MxError('hadamardTransform', 'a', 'needs at least one dimension');
  if (x.dtype.name === 'complex64') throw new MxError('hadamardTransform', 'a', 'complex64 is not supported');
  const n = x.shape[x.ndim - 1];
  if (n < 1 || (n & (n - 1)) !== 0) throw new MxError('hadamardTransform', 'a', `the last axis (${n}) must be a power of two (MLX's sizes m * 2^k with m = 12, 20 or 28 are not supported)`);
  if (scale !== undefined && scale !== null && typeof scale !== 'number') throw new MxError('hadamardTransform', 'scale', `expected a number, got ${typeof scale}`);
  return apply1('hadamard_transform', [x], { scale: scale ?? null }, { dtype: isFloating(x.dtype) ? x.dtype : float32, shape: x.shape });
}
