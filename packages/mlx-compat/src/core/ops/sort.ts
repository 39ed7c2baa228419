// sort, argsort and topk along an axis (the flattened array when axis is null).
import { type ArrayLike, MxArray } from '../array.js';
import { uint32, complex64 } from '../dtype.js';
import { MxError } from '../errors.js';
import { apply1, asArray, normAxis } from '../node.js';
import { checkStream, type StreamOrDevice } from '../device.js';

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
 * sorted place, smaller ones before it and larger after. A full sort meets
 * that contract; the order within each side may differ from MLX's.
 */
export function partition(a: ArrayLike, kth: number, axis: number | null = -1, stream?: StreamOrDevice): MxArray {
  checkKth('partition', asArray(a, undefined, 'partition', 'a'), kth, axis);
  return sort(a, axis, stream);
}
export function argpartition(a: ArrayLike, kth: number, axis: number | null = -1, stream?: StreamOrDevice): MxArray {
  checkKth('argpartition', asArray(a, undefined, 'argpartition', 'a'), kth, axis);
  return argsort(a, axis, stream);
}
function checkKth(op: string, x: MxArray, kth: number, axis: number | null): void {
  const n = axis === null ? x.size : x.shape[normAxis(op, axis, x.ndim)];
  if (!Number.isInteger(kth) || kth < -n || kth >= n) throw new MxError(op, 'kth', `expected an integer in [${-n}, ${n}), got ${kth}`);
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
