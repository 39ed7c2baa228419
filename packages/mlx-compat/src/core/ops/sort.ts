// sort, argsort, partition, argpartition and topk along an axis (the
// flattened array when axis is null), and median.
import { type ArrayLike, MxArray } from '../array.js';
import { uint32, complex64, float32, int32, isFloating } from '../dtype.js';
import { MxError } from '../errors.js';
import { apply1, asArray, normAxes, normAxis, reducedShape } from '../node.js';
import { checkStream, type StreamOrDevice } from '../device.js';
import { describe } from '../args.js';
import { fromValue } from '../creation-data.js';
import { reshape, transpose } from './shape.js';
import { take } from './indexing.js';
import { astype, binaryOps } from './elementwise.js';

function sorting(op: 'sort' | 'argsort') {
  return (a: ArrayLike, axis: number | null = -1, stream?: StreamOrDevice): MxArray => {
    checkStream(op, stream);
    const x = asArray(a);
    if (x.dtype === complex64) throw new MxError(op, 'a', 'complex64 is not ordered');
    const dtype = op === 'sort' ? x.dtype : uint32;
    if (axis === null) return apply1(op, [x], { axis: null }, { dtype, shape: [x.size] });
    return apply1(op, [x], { axis: normAxis(op, axis, x.ndim) }, { dtype, shape: x.shape });
  };
}
export const sort = sorting('sort');
export const argsort = sorting('argsort');

/**
 * partition(a, kth, axis = -1) and argpartition: the kth element in its
 * sorted place, none larger before it and none smaller after (the engine's
 * partition op; the order within each side is unspecified, as in MLX).
 */
export const partition = partitioning('partition');
export const argpartition = partitioning('argpartition');
function partitioning(op: 'partition' | 'argpartition') {
  return (a: ArrayLike, kth: number, axis: number | null = -1, stream?: StreamOrDevice): MxArray => {
    checkStream(op, stream);
    const x = asArray(a, undefined, op, 'a');
    if (x.dtype === complex64) throw new MxError(op, 'a', 'complex64 is not ordered');
    const ax = axis === null ? null : normAxis(op, axis, x.ndim);
    const n = ax === null ? x.size : x.shape[ax];
    if (!Number.isInteger(kth) || kth < -n || kth >= n) throw new MxError(op, 'kth', `expected an integer in [${-n}, ${n}), got ${describe(kth)}`);
    return apply1(op, [x], { kth, axis: ax }, { dtype: op === 'partition' ? x.dtype : uint32, shape: ax === null ? [x.size] : x.shape });
  };
}

/**
 * median(a, axis?, keepdims = false): the middle of the sorted values over
 * the axes (all when absent), the mean of the two middle ones for an even
 * count; integers give float32. A composite of sort, as in MLX.
 */
export function median(a: ArrayLike, axis?: number | number[] | null, keepdims = false, stream?: StreamOrDevice): MxArray {
  checkStream('median', stream);
  const x = asArray(a, undefined, 'median', 'a');
  if (x.dtype === complex64) throw new MxError('median', 'a', 'complex64 is not ordered');
  const axes = normAxes('median', axis, x.ndim);
  const n = axes.reduce((p, i) => p * x.shape[i], 1);
  if (n === 0) throw new MxError('median', 'a', `the axes (${axes}) hold no elements`);
  const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const lines = reshape(transpose(x, [...rest, ...axes]), [...rest.map((i) => x.shape[i]), n]);
  const sorted = sort(isFloating(x.dtype) ? lines : astype(lines, float32), -1);
  const at = (i: number) => take(sorted, fromValue(i, int32), -1);
  const mid = n % 2 ? at((n - 1) / 2) : binaryOps.multiply(binaryOps.add(at(n / 2 - 1), at(n / 2)), fromValue(0.5, sorted.dtype));
  return keepdims ? reshape(mid, reducedShape(x.shape, axes, true)) : mid;
}

/** topk(a, k, axis = -1): the k largest along the axis, in ascending order. */
export function topk(a: ArrayLike, k: number, axis: number | null = -1, stream?: StreamOrDevice): MxArray {
  checkStream('topk', stream);
  const x = asArray(a);
  const shape = axis === null ? [x.size] : [...x.shape];
  const ax = axis === null ? 0 : normAxis('topk', axis, x.ndim);
  if (!Number.isInteger(k) || k < 0 || k > shape[ax]) throw new MxError('topk', 'k', `${k} is outside [0, ${shape[ax]}]`);
  shape[ax] = k;
  return apply1('topk', [x], { k, axis: axis === null ? null : ax }, { dtype: x.dtype, shape });
}
