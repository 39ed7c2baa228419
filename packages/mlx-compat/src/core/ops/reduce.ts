// Reductions, arg-reductions, cumulative ops and softmax, with node-mlx's
// call forms: keepdims may come second (sum(a, true)), and null or undefined
// stand for any optional argument.
import { type ArrayLike, MxArray } from '../array.js';
import { bool, complex64, int16, int32, int8, toInexact, uint16, uint32, uint8, type Dtype } from '../dtype.js';
import { MxError } from '../errors.js';
import { apply1, asArray, normAxes, normAxis, reducedShape } from '../node.js';
import { checkStream, type StreamOrDevice } from '../device.js';
import { axesArg, boolArg, intArg } from '../args.js';
import { reshape } from './shape.js';

export type Axis = number | number[] | null | undefined;

/** A reduction over axes: (a, keepdims?, stream?) or (a, axis?, keepdims?, stream?). */
export interface Reduction {
  (a: ArrayLike, keepdims?: boolean, stream?: StreamOrDevice): MxArray;
  (a: ArrayLike, axis?: Axis, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
}

// keepdims as the second argument (node-mlx's overload) moves the rest along.
function reductionArgs(name: string, rest: unknown[]): { axis: number | number[] | undefined; keepdims: boolean; stream: unknown; more: unknown[] } {
  if (typeof rest[0] === 'boolean') return { axis: undefined, keepdims: rest[0], stream: rest[1], more: [] };
  return { axis: axesArg(name, rest[0]), keepdims: boolArg(name, 'keepdims', rest[1], false), stream: rest[rest.length > 3 ? 3 : 2], more: rest.slice(2) };
}

function reduction(op: string, name: string, result: (d: Dtype, axes: number[]) => Dtype): Reduction {
  return (a: ArrayLike, ...rest: unknown[]): MxArray => {
    const { axis, keepdims, stream } = reductionArgs(name, rest);
    checkStream(name, stream as StreamOrDevice | undefined);
    const x = asArray(a, undefined, name, 'a');
    const axes = normAxes(name, axis, x.ndim);
    if ((op === 'max' || op === 'min') && x.size === 0) throw new MxError(name, 'a', 'cannot reduce an empty array');
    if (op === 'logsumexp' && x.size === 0) throw new MxError(name, 'a', 'cannot reduce an empty array (as in MLX)');
    if ((op === 'max' || op === 'min') && x.dtype === complex64) throw new MxError(name, 'a', 'complex64 is not ordered');
    return apply1(op, [x], { axes, keepdims }, { dtype: result(x.dtype, axes), shape: reducedShape(x.shape, axes, keepdims) });
  };
}

// MLX v0.31.2 sums and multiplies bools and integers narrower than 32 bits in
// 32 bits (unsigned stay unsigned); 0.13 kept int8, int16, uint8 and uint16.
// Over no axes (a 0-d array, or axis []) the input comes back as it is, dtype included.
const widened = (d: Dtype, axes: number[]) =>
  !axes.length ? d : d === bool || d === int8 || d === int16 ? int32 : d === uint8 || d === uint16 ? uint32 : d;
export const sum = reduction('sum', 'sum', widened);
export const prod = reduction('prod', 'prod', widened);
export const max = reduction('max', 'max', (d) => d);
export const min = reduction('min', 'min', (d) => d);
export const all = reduction('all', 'all', () => bool);
export const any = reduction('any', 'any', () => bool);
export const mean = reduction('mean', 'mean', toInexact);
export const logsumexp = reduction('logsumexp', 'logsumexp', toInexact);

/** variance and std: (a, keepdims?) or (a, axis?, keepdims?, ddof?, stream?). */
export interface Moment {
  (a: ArrayLike, keepdims?: boolean, stream?: StreamOrDevice): MxArray;
  (a: ArrayLike, axis?: Axis, keepdims?: boolean | null, ddof?: number | null, stream?: StreamOrDevice): MxArray;
}
function moment(op: 'var' | 'std', name: string): Moment {
  return (a: ArrayLike, ...rest: unknown[]): MxArray => {
    const { axis, keepdims, more } = reductionArgs(name, rest);
    const ddof = typeof rest[0] === 'boolean' ? 0 : intArg(name, 'ddof', more[0], 0);
    checkStream(name, (typeof rest[0] === 'boolean' ? rest[1] : more[1]) as StreamOrDevice | undefined);
    const x = asArray(a, undefined, name, 'a');
    const axes = normAxes(name, axis, x.ndim);
    return apply1(op, [x], { axes, keepdims, ddof }, { dtype: toInexact(x.dtype), shape: reducedShape(x.shape, axes, keepdims) });
  };
}
/** MLX's var, renamed because `var` is reserved in JavaScript. */
export const variance = moment('var', 'variance');
export const std = moment('std', 'std');

/** argmax and argmin: (a, keepdims?) or (a, axis?, keepdims?, stream?). */
export interface ArgReduction {
  (a: ArrayLike, keepdims?: boolean, stream?: StreamOrDevice): MxArray;
  (a: ArrayLike, axis?: number | null, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
}
function argReduction(op: string): ArgReduction {
  return (a: ArrayLike, ...rest: unknown[]): MxArray => {
    const keepFirst = typeof rest[0] === 'boolean';
    const axis = keepFirst || rest[0] === null || rest[0] === undefined ? undefined : intArg(op, 'axis', rest[0]);
    const keepdims = keepFirst ? (rest[0] as boolean) : boolArg(op, 'keepdims', rest[1], false);
    checkStream(op, rest[keepFirst ? 1 : 2] as StreamOrDevice | undefined);
    const x = asArray(a, undefined, op, 'a');
    if (x.size === 0) throw new MxError(op, 'a', 'cannot reduce an empty array');
    if (axis === undefined) {
      // MLX v0.31.2 cannot keep the dims of a 0-d array's arg-reduction
      if (keepdims && x.ndim === 0) throw new MxError(op, 'keepdims', 'a 0-d array has no axes to keep (as in MLX)');
      return apply1(op, [x], { keepdims }, { dtype: uint32, shape: keepdims ? x.shape.map(() => 1) : [] });
    }
    const ax = normAxis(op, axis, x.ndim);
    return apply1(op, [x], { axis: ax, keepdims }, { dtype: uint32, shape: reducedShape(x.shape, [ax], keepdims) });
  };
}
export const argmax = argReduction('argmax');
export const argmin = argReduction('argmin');

export type Scan = (a: ArrayLike, axis?: number | null, reverse?: boolean | null, inclusive?: boolean | null, stream?: StreamOrDevice) => MxArray;
function scan(op: string, name: string, result: (d: Dtype) => Dtype): Scan {
  return (a, axis, reverse, inclusive, stream) => {
    checkStream(name, stream);
    const x = asArray(a, undefined, name, 'a');
    const attrs = { reverse: boolArg(name, 'reverse', reverse, false), inclusive: boolArg(name, 'inclusive', inclusive, true) };
    if (axis === undefined || axis === null) return apply1(op, [x], attrs, { dtype: result(x.dtype), shape: [x.size] });
    const ax = normAxis(name, intArg(name, 'axis', axis), x.ndim);
    return apply1(op, [x], { axis: ax, ...attrs }, { dtype: result(x.dtype), shape: x.shape });
  };
}
export const cumsum = scan('cumsum', 'cumsum', (d) => (d === bool ? int32 : d));
// MLX v0.31.2 keeps bool (a running logical and); 0.13 gave int32
export const cumprod = scan('cumprod', 'cumprod', (d) => d);
export const cummax = scan('cummax', 'cummax', (d) => d);
export const cummin = scan('cummin', 'cummin', (d) => d);
export const logcumsumexp = scan('logcumsumexp', 'logcumsumexp', toInexact);

/** softmax over `axis` (all axes when absent, as in MLX). */
export function softmax(a: ArrayLike, axis?: Axis, precise?: boolean | null, stream?: StreamOrDevice): MxArray {
  checkStream('softmax', stream);
  const x = asArray(a, undefined, 'softmax', 'a');
  const p = boolArg('softmax', 'precise', precise, false);
  if (x.ndim === 0) return reshape(softmax(reshape(x, [1]), 0, p), []);
  const axes = normAxes('softmax', axesArg('softmax', axis), x.ndim);
  return apply1('softmax', [x], { axes, precise: p }, { dtype: toInexact(x.dtype), shape: x.shape });
}
