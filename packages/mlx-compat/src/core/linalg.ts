// mlx.core.linalg. The factorizations are engine ops (native/capi/src/ops/
// linalg.cpp, LAPACK): inv, tri_inv, cholesky, qr, svd, lu_factor, solve,
// solve_triangular, eig, eigh. norm, pinv, cholesky_inv, lu and cross are
// composed from them and ordinary ops, as MLX composes them. Gradients:
// transforms/gradients/linalg.ts.
import { type ArrayLike, MxArray } from './array.js';
import { describe } from './args.js';
import { checkStream, type StreamOrDevice } from './device.js';
import { complex64, finfo, float32, float64, promoteTypes, uint32, type Dtype } from './dtype.js';
import { MxError } from './errors.js';
import { apply, apply1, asArray, broadcastShapes, normAxis } from './node.js';
import { eye } from './ops/creation.js';
import { astype, binaryOps, unaryOps, where } from './ops/elementwise.js';
import { matmul, tril, triu } from './ops/linalg.js';
import { max, min, sum } from './ops/reduce.js';
import { broadcastTo, concatenate, expandDims, moveaxis, pad, squeeze, swapaxes } from './ops/shape.js';

/** The float32 or float64 operand of a linalg call (MLX's linalg takes no other type). */
function floatArg(op: string, a: ArrayLike, name = 'a', like?: Dtype): MxArray {
  const x = asArray(a, like, op, name);
  if (x.dtype !== float32 && x.dtype !== float64)
    throw new MxError(op, name, `arrays must be float32 or float64, not ${x.dtype.name}`);
  return x;
}

function matrixArg(op: string, a: ArrayLike, square: boolean, name = 'a'): MxArray {
  const x = floatArg(op, a, name);
  if (x.ndim < 2) throw new MxError(op, name, `needs an array of at least two dimensions, got shape (${x.shape})`);
  if (square && x.shape[x.ndim - 1] !== x.shape[x.ndim - 2])
    throw new MxError(op, name, `needs square matrices in its last two axes, got shape (${x.shape})`);
  return x;
}

const lastTwo = (x: MxArray) => [x.shape[x.ndim - 2], x.shape[x.ndim - 1]];
const batchOf = (x: MxArray) => x.shape.slice(0, -2);

/** The inverse of each square matrix; a singular one raises when evaluated (code singular_matrix). */
export function inv(a: ArrayLike, stream?: StreamOrDevice): MxArray {
  checkStream('inv', stream);
  const x = matrixArg('inv', a, true);
  return apply1('inv', [x], {}, { dtype: x.dtype, shape: x.shape });
}

/** The inverse of each triangular matrix (lower unless `upper`). */
export function triInv(a: ArrayLike, upper = false, stream?: StreamOrDevice): MxArray {
  checkStream('triInv', stream);
  const x = matrixArg('triInv', a, true);
  return apply1('tri_inv', [x], { upper: Boolean(upper) }, { dtype: x.dtype, shape: x.shape });
}

/** L with L L^T = a (or U with U^T U = a when `upper`) of symmetric positive-definite matrices. */
export function cholesky(a: ArrayLike, upper = false, stream?: StreamOrDevice): MxArray {
  checkStream('cholesky', stream);
  const x = matrixArg('cholesky', a, true);
  return apply1('cholesky', [x], { upper: Boolean(upper) }, { dtype: x.dtype, shape: x.shape });
}

/** The inverse of A from its Cholesky factor (L, or U when `upper`). */
export function choleskyInv(a: ArrayLike, upper = false, stream?: StreamOrDevice): MxArray {
  checkStream('choleskyInv', stream);
  const f = triInv(matrixArg('choleskyInv', a, true), upper);
  return upper ? matmul(f, swapaxes(f, -1, -2)) : matmul(swapaxes(f, -1, -2), f);
}

/** [Q, R], the reduced factorization: Q (..., m, k) orthonormal columns, R (..., k, n) upper triangular, k = min(m, n). */
export function qr(a: ArrayLike, stream?: StreamOrDevice): [MxArray, MxArray] {
  checkStream('qr', stream);
  const x = matrixArg('qr', a, false);
  const [m, n] = lastTwo(x), k = Math.min(m, n);
  const [q, r] = apply('qr', [x], {}, [{ dtype: x.dtype, shape: [...batchOf(x), m, k] }, { dtype: x.dtype, shape: [...batchOf(x), k, n] }]);
  return [q, r];
}

/** [U, S, Vt] with a = U[:, :k] diag(S) Vt[:k], S descending; S alone when computeUv is false. */
export function svd(a: ArrayLike, computeUv?: true, stream?: StreamOrDevice): [MxArray, MxArray, MxArray];
export function svd(a: ArrayLike, computeUv: false, stream?: StreamOrDevice): MxArray;
export function svd(a: ArrayLike, computeUv?: boolean, stream?: StreamOrDevice): [MxArray, MxArray, MxArray] | MxArray;
export function svd(a: ArrayLike, computeUv: boolean = true, stream?: StreamOrDevice): [MxArray, MxArray, MxArray] | MxArray {
  checkStream('svd', stream);
  const x = matrixArg('svd', a, false);
  const [m, n] = lastTwo(x), b = batchOf(x);
  const s = { dtype: x.dtype, shape: [...b, Math.min(m, n)] };
  if (!computeUv) return apply1('svd', [x], { compute_uv: false }, s);
  const [u, sv, vt] = apply('svd', [x], { compute_uv: true }, [{ dtype: x.dtype, shape: [...b, m, m] }, s, { dtype: x.dtype, shape: [...b, n, n] }]);
  return [u, sv, vt];
}

/** The Moore-Penrose pseudo-inverse, from the SVD (singular values below eps * max(m, n) * max(S) count as zero). */
export function pinv(a: ArrayLike, stream?: StreamOrDevice): MxArray {
  checkStream('pinv', stream);
  const x = matrixArg('pinv', a, false);
  const [m, n] = lastTwo(x), k = Math.min(m, n);
  const [u, s, vt] = svd(x);
  const cutoff = binaryOps.multiply(max(s, -1, true), finfo(x.dtype).eps * Math.max(m, n));
  const kept = binaryOps.greater(s, cutoff);
  const rs = where(kept, binaryOps.divide(asArray(1, x.dtype), where(kept, s, asArray(1, x.dtype))), asArray(0, x.dtype));
  const uk = k === m ? u : sliceLast(u, -1, k), vk = k === n ? vt : sliceLast(vt, -2, k);
  // pinv = V_k diag(1/S) U_k^T
  return matmul(binaryOps.multiply(swapaxes(vk, -1, -2), expandDims(rs, -2)), swapaxes(uk, -1, -2));
}

/** x's axis `axis` (negative) cut to its first `k` entries. */
function sliceLast(x: MxArray, axis: number, k: number): MxArray {
  const ax = x.ndim + axis;
  const start = x.shape.map(() => 0), stop = [...x.shape], strides = x.shape.map(() => 1);
  stop[ax] = k;
  return apply1('slice', [x], { start, stop, strides }, { dtype: x.dtype, shape: stop });
}

function luParts(op: string, a: ArrayLike): MxArray[] {
  const x = matrixArg(op, a, false);
  const [m, n] = lastTwo(x), b = batchOf(x);
  return apply('lu_factor', [x], {}, [
    { dtype: x.dtype, shape: x.shape },
    { dtype: uint32, shape: [...b, Math.min(m, n)] },
    { dtype: uint32, shape: [...b, m] },
  ]);
}

/** [LU, pivots]: L (unit diagonal, below) and U packed, and the rows LAPACK swapped (uint32, 0-based). */
export function luFactor(a: ArrayLike, stream?: StreamOrDevice): [MxArray, MxArray] {
  checkStream('luFactor', stream);
  const [lu, pivots] = luParts('luFactor', a);
  return [lu, pivots];
}

/** [P, L, U] with a = L[P] @ U: P the row indices (uint32), L (m, k) unit lower, U (k, n) upper. */
export function lu(a: ArrayLike, stream?: StreamOrDevice): [MxArray, MxArray, MxArray] {
  checkStream('lu', stream);
  const [packed, , perm] = luParts('lu', a);
  const [m, n] = lastTwo(packed), k = Math.min(m, n);
  const lower = k === n ? packed : sliceLast(packed, -1, k), upper = k === m ? packed : sliceLast(packed, -2, k);
  const l = binaryOps.add(tril(lower, -1), eye(m, k, 0, packed.dtype));
  return [perm, l, triu(upper)];
}

// a and b with their batch dimensions broadcast; b as a matrix (a vector b gets a column).
function systems(op: string, a: ArrayLike, b: ArrayLike): { x: MxArray; y: MxArray; vector: boolean } {
  let x = matrixArg(op, a, true, 'a');
  let y = floatArg(op, b, 'b', x.dtype);
  const t = promoteTypes(x.dtype, y.dtype);
  x = astype(x, t);
  y = astype(y, t);
  const vector = y.ndim === 1 || y.ndim === x.ndim - 1;
  if (vector) y = expandDims(y, -1);
  const n = x.shape[x.ndim - 1];
  if (y.ndim < 2 || y.shape[y.ndim - 2] !== n)
    throw new MxError(op, 'b', `shape (${asArray(b).shape}) does not match the ${n} x ${n} matrices of a`);
  const batch = broadcastShapes(op, batchOf(x), batchOf(y));
  x = broadcastTo(x, [...batch, n, n]);
  y = broadcastTo(y, [...batch, n, y.shape[y.ndim - 1]]);
  return { x, y, vector };
}

/** x with a x = b for square a; b is a vector (..., n) or matrices (..., n, k), batches broadcast. */
export function solve(a: ArrayLike, b: ArrayLike, stream?: StreamOrDevice): MxArray {
  checkStream('solve', stream);
  const { x, y, vector } = systems('solve', a, b);
  const r = apply1('solve', [x, y], {}, { dtype: y.dtype, shape: y.shape });
  return vector ? squeeze(r, -1) : r;
}

/** x with a x = b for triangular a (lower unless `upper`). */
export function solveTriangular(a: ArrayLike, b: ArrayLike, upper = false, stream?: StreamOrDevice): MxArray {
  checkStream('solveTriangular', stream);
  const { x, y, vector } = systems('solveTriangular', a, b);
  const r = apply1('solve_triangular', [x, y], { upper: Boolean(upper) }, { dtype: y.dtype, shape: y.shape });
  return vector ? squeeze(r, -1) : r;
}

function uploArg(op: string, uplo: string): string {
  if (uplo !== 'L' && uplo !== 'U') throw new MxError(op, 'UPLO', `expected "L" or "U", got ${describe(uplo)}`);
  return uplo;
}

/** [eigenvalues ascending, eigenvectors as columns] of symmetric matrices, read from the UPLO triangle. */
export function eigh(a: ArrayLike, UPLO = 'L', stream?: StreamOrDevice): [MxArray, MxArray] {
  checkStream('eigh', stream);
  const x = matrixArg('eigh', a, true);
  const [w, v] = apply('eigh', [x], { uplo: uploArg('eigh', UPLO), compute_vectors: true }, [
    { dtype: x.dtype, shape: x.shape.slice(0, -1) },
    { dtype: x.dtype, shape: x.shape },
  ]);
  return [w, v];
}

export function eigvalsh(a: ArrayLike, UPLO = 'L', stream?: StreamOrDevice): MxArray {
  checkStream('eigvalsh', stream);
  const x = matrixArg('eigvalsh', a, true);
  return apply1('eigh', [x], { uplo: uploArg('eigvalsh', UPLO), compute_vectors: false }, { dtype: x.dtype, shape: x.shape.slice(0, -1) });
}

/** [eigenvalues, unit eigenvectors as columns] of general square matrices, complex64. */
export function eig(a: ArrayLike, stream?: StreamOrDevice): [MxArray, MxArray] {
  checkStream('eig', stream);
  const x = matrixArg('eig', a, true);
  const [w, v] = apply('eig', [x], { compute_vectors: true }, [
    { dtype: complex64, shape: x.shape.slice(0, -1) },
    { dtype: complex64, shape: x.shape },
  ]);
  return [w, v];
}

export function eigvals(a: ArrayLike, stream?: StreamOrDevice): MxArray {
  checkStream('eigvals', stream);
  const x = matrixArg('eigvals', a, true);
  return apply1('eig', [x], { compute_vectors: false }, { dtype: complex64, shape: x.shape.slice(0, -1) });
}

/** The cross product of 3-vectors (or 2-vectors, with z = 0) along `axis`, broadcast. */
export function cross(a: ArrayLike, b: ArrayLike, axis = -1, stream?: StreamOrDevice): MxArray {
  checkStream('cross', stream);
  let x = asArray(a, undefined, 'cross', 'a'), y = asArray(b, x.dtype, 'cross', 'b');
  if (x.ndim !== y.ndim) throw new MxError('cross', 'b', `a and b must have the same number of dimensions, got (${x.shape}) and (${y.shape})`);
  const ax = normAxis('cross', axis, x.ndim);
  for (const [v, name] of [[x, 'a'], [y, 'b']] as const)
    if (v.shape[ax] !== 2 && v.shape[ax] !== 3) throw new MxError('cross', name, `axis ${axis} must have size 2 or 3, got ${v.shape[ax]}`);
  const widen = (v: MxArray) => (v.shape[ax] === 3 ? v : pad(v, v.shape.map((_, i) => (i === ax ? [0, 1] : [0, 0]) as [number, number])));
  x = moveaxis(widen(x), ax, -1);
  y = moveaxis(widen(y), ax, -1);
  const part = (v: MxArray, i: number) => {
    const start = v.shape.map(() => 0), stop = [...v.shape], strides = v.shape.map(() => 1);
    start[v.ndim - 1] = i;
    stop[v.ndim - 1] = i + 1;
    return apply1('slice', [v], { start, stop, strides }, { dtype: v.dtype, shape: [...v.shape.slice(0, -1), 1] });
  };
  const [a0, a1, a2] = [0, 1, 2].map((i) => part(x, i)), [b0, b1, b2] = [0, 1, 2].map((i) => part(y, i));
  const { subtract: sub, multiply: mul } = binaryOps;
  const c = concatenate([sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2)), sub(mul(a0, b1), mul(a1, b0))], -1);
  return moveaxis(c, -1, ax);
}

export type NormOrder = number | 'fro' | 'nuc';

/**
 * Vector norms (ord: any number, inf, -inf, 0) over one axis, matrix norms
 * (ord: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2) over two; without ord the
 * 2-norm of the flattened array or the Frobenius norm.
 */
export function norm(a: ArrayLike, ord?: NormOrder | null, axis?: number | number[] | null, keepdims = false, stream?: StreamOrDevice): MxArray {
  checkStream('norm', stream);
  const x = asArray(a, undefined, 'norm', 'a');
  if (ord !== undefined && ord !== null && typeof ord !== 'number' && ord !== 'fro' && ord !== 'nuc')
    throw new MxError('norm', 'ord', `expected a number, "fro" or "nuc", got ${describe(ord)}`);
  let axes: number[];
  if (axis === undefined || axis === null) {
    if (ord !== undefined && ord !== null && x.ndim !== 1 && x.ndim !== 2)
      throw new MxError('norm', 'a', `an ord needs a 1-D or 2-D array or an axis, got shape (${x.shape})`);
    axes = x.shape.map((_, i) => i);
    if (ord === undefined || ord === null) return twoNorm(x, axes, keepdims);
  } else {
    axes = (Array.isArray(axis) ? axis : [axis]).map((v) => normAxis('norm', v, x.ndim, 'axis'));
  }
  if (axes.length === 1) return vectorNorm(x, ord ?? 2, axes[0], keepdims);
  if (axes.length === 2) {
    if (axes[0] === axes[1]) throw new MxError('norm', 'axis', 'the two axes must differ');
    return matrixNorm(x, ord ?? 'fro', axes as [number, number], keepdims);
  }
  throw new MxError('norm', 'axis', `expected one or two axes, got ${axes.length}`);
}

// |x| in a floating type (abs of complex64 is float32; integers become float32)
const magnitude = (x: MxArray) => {
  const m = unaryOps.abs(x);
  return m.dtype.category === 'floating' ? m : astype(m, float32);
};

function twoNorm(x: MxArray, axes: number[], keepdims: boolean): MxArray {
  const m = magnitude(x);
  return unaryOps.sqrt(sum(binaryOps.multiply(m, m), axes, keepdims));
}

function vectorNorm(x: MxArray, ord: NormOrder, axis: number, keepdims: boolean): MxArray {
  if (typeof ord === 'string') throw new MxError('norm', 'ord', `"${ord}" is a matrix norm: it needs two axes`);
  const m = magnitude(x);
  if (ord === Infinity) return max(m, axis, keepdims);
  if (ord === -Infinity) return min(m, axis, keepdims);
  if (ord === 0) return sum(astype(binaryOps.notEqual(m, 0), m.dtype), axis, keepdims);
  if (ord === 1) return sum(m, axis, keepdims);
  if (ord === 2) return twoNorm(x, [axis], keepdims);
  return binaryOps.power(sum(binaryOps.power(m, ord), axis, keepdims), 1 / ord);
}

function matrixNorm(x: MxArray, ord: NormOrder, [r, c]: [number, number], keepdims: boolean): MxArray {
  if (ord === 'fro') return twoNorm(x, [r, c], keepdims);
  const putBack = (v: MxArray) => (keepdims ? expandDims(v, [r, c].sort((p, q) => p - q)) : v);
  if (ord === 'nuc' || ord === 2 || ord === -2) {
    const s = svd(moveaxis(floatArg('norm', x), [r, c], [-2, -1]), false);
    return putBack(ord === 'nuc' ? sum(s, -1) : ord === 2 ? max(s, -1) : min(s, -1));
  }
  const m = magnitude(x);
  // inf / -inf: over rows of absolute row sums; 1 / -1: over columns of column sums
  const [inner, outer] = ord === Infinity || ord === -Infinity ? [c, r] : ord === 1 || ord === -1 ? [r, c] : [-1, -1];
  if (inner < 0) throw new MxError('norm', 'ord', `${ord} is not a matrix norm (use "fro", "nuc", inf, -inf, 1, -1, 2 or -2)`);
  const sums = sum(m, inner, true);
  const pick = ord === Infinity || ord === 1 ? max(sums, outer, true) : min(sums, outer, true);
  return keepdims ? pick : squeeze(pick, [r, c]);
}
