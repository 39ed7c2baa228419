// Reductions, arg-reductions, cumulative ops and softmax.
import { type ArrayLike, MxArray } from '../array.js';
import { bool, complex64, int32, toInexact, uint32, type Dtype } from '../dtype.js';
import { MxError } from '../errors.js';
import { apply1, asArray, normAxes, normAxis, reducedShape } from '../node.js';
import { checkStream, type StreamOrDevice } from '../device.js';
import { reshape } from './shape.js';

export type Axis = number | number[] | null | undefined;

function reduction(op: string, name: string, result: (d: Dtype) => Dtype) {
  return (a: ArrayLike, axis?: Axis, keepdims = false, stream?: StreamOrDevice): MxArray => {
    checkStream(name, stream);
    const x = asArray(a);
    const axes = normAxes(name, axis, x.ndim);
    if ((op === 'max' || op === 'min') && x.size === 0) throw new MxError(name, 'a', 'cannot reduce an empty array');
    if ((op === 'max' || op === 'min') && x.dtype === complex64) throw new MxError(name, 'a', 'complex64 is not ordered');
    return apply1(op, [x], { axes, keepdims }, { dtype: result(x.dtype), shape: reducedShape(x.shape, axes, keepdims) });
  };
}

const countable = (d: Dtype) => (d === bool ? int32 : d);
export const sum = reduction('sum', 'sum', countable);
export const prod = reduction('prod', 'prod', countable);
export const max = reduction('max', 'max', (d) => d);
export const min = reduction('min', 'min', (d) => d);
export const all = reduction('all', 'all', () => bool);
export const any = reduction('any', 'any', () => bool);
export const mean = reduction('mean', 'mean', toInexact);
export const logsumexp = reduction('logsumexp', 'logsumexp', toInexact);

function moment(op: 'var' | 'std', name: string) {
  return (a: ArrayLike, axis?: Axis, keepdims = false, ddof = 0, stream?: StreamOrDevice): MxArray => {
    checkStream(name, stream);
    const x = asArray(a);
    const axes = normAxes(name, axis, x.ndim);
    return apply1(op, [x], { axes, keepdims, ddof }, { dtype: toInexact(x.dtype), shape: reducedShape(x.shape, axes, keepdims) });
  };
}
/** MLX's var, renamed because `var` is reserved in JavaScript. */
export const variance = moment('var', 'variance');
export const std = moment('std', 'std');

function argReduction(op: string) {
  return (a: ArrayLike, axis?: number | null, keepdims = false, stream?: StreamOrDevice): MxArray => {
    checkStream(op, stream);
    const x = asArray(a);
    if (x.size === 0) throw new MxError(op, 'a', 'cannot reduce an empty array');
    if (axis === undefined || axis === null)
      return apply1(op, [x], { keepdims }, { dtype: uint32, shape: keepdims ? x.shape.map(() => 1) : [] });
    const ax = normAxis(op, axis, x.ndim);
    return apply1(op, [x], { axis: ax, keepdims }, { dtype: uint32, shape: reducedShape(x.shape, [ax], keepdims) });
  };
}
export const argmax = argReduction('argmax');
export const argmin = argReduction('argmin');

function scan(op: string, name: string, result: (d: Dtype) => Dtype) {
  return (a: ArrayLike, axis?: number | null, reverse = false, inclusive = true, stream?: StreamOrDevice): MxArray => {
    checkStream(name, stream);
    const x = asArray(a);
    if (axis === undefined || axis === null)
      return apply1(op, [x], { reverse, inclusive }, { dtype: result(x.dtype), shape: [x.size] });
    const ax = normAxis(name, axis, x.ndim);
    return apply1(op, [x], { axis: ax, reverse, inclusive }, { dtype: result(x.dtype), shape: x.shape });
  };
}
export const cumsum = scan('cumsum', 'cumsum', countable);
export const cumprod = scan('cumprod', 'cumprod', countable);
export const cummax = scan('cummax', 'cummax', (d) => d);
export const cummin = scan('cummin', 'cummin', (d) => d);
export const logcumsumexp = scan('logcumsumexp', 'logcumsumexp', toInexact);

/** softmax over `axis` (all axes when absent, as in MLX). */
export function softmax(a: ArrayLike, axis?: Axis, precise = false, stream?: StreamOrDevice): MxArray {
  checkStream('softmax', stream);
  const x = asArray(a);
  if (x.ndim === 0) return reshape(softmax(reshape(x, [1]), 0, precise), []);
  const axes = normAxes('softmax', axis, x.ndim);
  return apply1('softmax', [x], { axes, precise }, { dtype: toInexact(x.dtype), shape: x.shape });
}
