// Creation ops: array, zeros, ones, full, arange, linspace, eye, identity, tri and the *Like forms.
import { type ArrayLike, MxArray } from '../array.js';
import { float32 } from '../dtype.js';
import { MxError } from '../errors.js';
import { apply1, asArray, broadcastShapes } from '../node.js';
import { checkStream, type StreamOrDevice } from '../device.js';
import { fromValue } from '../creation-data.js';
import { isTracingShapeless } from '../graph.js';
import { describe, dtypeArg, type DtypeLike, intArg, numArg, shapeArg } from '../args.js';

/** mx.array: a function and a class at once, as in node-mlx (`new mx.array(v)`, `x instanceof mx.array`). */
export interface ArrayConstructor {
  (value: ArrayLike, dtype?: DtypeLike | null): MxArray;
  new (value: ArrayLike, dtype?: DtypeLike | null): MxArray;
  readonly prototype: MxArray;
}
// Called with `new`, the function's returned object is the result; its
// prototype is MxArray's, so instanceof holds for every array.
export const array = function (value: ArrayLike, dtype?: DtypeLike | null): MxArray {
  return fromValue(value, dtypeArg('array', 'dtype', dtype));
} as unknown as ArrayConstructor;
Object.defineProperty(array, 'prototype', { value: MxArray.prototype });

export function zeros(shape: number | number[], dtype?: DtypeLike | null, stream?: StreamOrDevice): MxArray {
  checkStream('zeros', stream);
  const s = shapeArg('zeros', shape), d = dtypeArg('zeros', 'dtype', dtype, float32);
  return apply1('zeros', [], { shape: s, dtype: d.name }, { dtype: d, shape: s });
}

export function ones(shape: number | number[], dtype?: DtypeLike | null, stream?: StreamOrDevice): MxArray {
  checkStream('ones', stream);
  const s = shapeArg('ones', shape), d = dtypeArg('ones', 'dtype', dtype, float32);
  return apply1('ones', [], { shape: s, dtype: d.name }, { dtype: d, shape: s });
}

export function full(shape: number | number[], vals: ArrayLike, dtype?: DtypeLike | null, stream?: StreamOrDevice): MxArray {
  checkStream('full', stream);
  const s = shapeArg('full', shape);
  const v = asArray(vals, undefined, 'full', 'vals');
  if (v.ndim > s.length || broadcastShapes('full', v.shape, s).join() !== s.join())
    throw new MxError('full', 'vals', `shape (${v.shape}) does not broadcast to (${s})`);
  const asked = dtypeArg('full', 'dtype', dtype);
  const d = asked ?? v.dtype;
  return apply1('full', [v], asked ? { shape: s, dtype: d.name } : { shape: s }, { dtype: d, shape: s });
}

// zeros(x.shape), which does not need x computed; in a shapeless compile's
// trace, the engine's zeros_like, which follows x's shape instead of fixing it.
function filledLike(op: 'zeros_like' | 'ones_like', a: ArrayLike, stream?: StreamOrDevice): MxArray {
  const name = op === 'zeros_like' ? 'zerosLike' : 'onesLike';
  checkStream(name, stream);
  const x = asArray(a, undefined, name, 'a');
  if (!isTracingShapeless()) return op === 'zeros_like' ? zeros(x.shape, x.dtype) : ones(x.shape, x.dtype);
  return apply1(op, [x], {}, { dtype: x.dtype, shape: x.shape });
}
export const zerosLike = (a: ArrayLike, stream?: StreamOrDevice) => filledLike('zeros_like', a, stream);
export const onesLike = (a: ArrayLike, stream?: StreamOrDevice) => filledLike('ones_like', a, stream);

/**
 * arange(stop), arange(start, stop), arange(start, stop, step); a dtype may
 * end any form. As in MLX, the count comes from the values given, and an
 * integer dtype takes start and start + step in that dtype first (so
 * arange(0, 3, 0.2, mx.int32) is fifteen zeros).
 */
export function arange(start: number, stop?: number | DtypeLike | null, step?: number | DtypeLike | null, dtype?: DtypeLike | null, stream?: StreamOrDevice): MxArray;
export function arange(...args: unknown[]): MxArray {
  const firstDtype = args.findIndex((a) => typeof a !== 'number' && a !== undefined && a !== null);
  const nums = (firstDtype < 0 ? args : args.slice(0, firstDtype)).filter((a) => a !== undefined && a !== null);
  nums.forEach((n, i) => numArg('arange', ['start', 'stop', 'step'][i] ?? 'arguments', n));
  const d = dtypeArg('arange', 'dtype', firstDtype < 0 ? undefined : args[firstDtype], float32);
  if (firstDtype >= 0) checkStream('arange', args[firstDtype + 1] as StreamOrDevice | undefined);
  if (nums.length === 0 || nums.length > 3) throw new MxError('arange', 'arguments', `takes stop, or start and stop, or start, stop and step; got ${describe(args)}`);
  const [start, stop, step] = (nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1]) as number[];
  if (step === 0 || ![start, stop, step].every(Number.isFinite)) throw new MxError('arange', 'step', 'needs finite bounds and a non-zero step');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return apply1('arange', [], { start, stop, step, dtype: d.name }, { dtype: d, shape: [n] });
}

export function linspace(start: number, stop: number, num?: number | null, dtype?: DtypeLike | null, stream?: StreamOrDevice): MxArray {
  checkStream('linspace', stream);
  numArg('linspace', 'start', start);
  numArg('linspace', 'stop', stop);
  const count = intArg('linspace', 'num', num, 50);
  if (count < 0) throw new MxError('linspace', 'num', `${count} is not a count`);
  const d = dtypeArg('linspace', 'dtype', dtype, float32);
  // one point is the start, as in MLX v0.31.2
  if (count === 1) return full([1], start, d);
  return apply1('linspace', [], { start, stop, num: count, dtype: d.name }, { dtype: d, shape: [count] });
}

function matrix(op: 'eye' | 'tri') {
  return (n: number, m?: number | null, k?: number | null, dtype?: DtypeLike | null, stream?: StreamOrDevice): MxArray => {
    checkStream(op, stream);
    const rows = intArg(op, 'n', n), cols = intArg(op, 'm', m, rows), diag = intArg(op, 'k', k, 0);
    if (rows < 0 || cols < 0) throw new MxError(op, 'n', `n and m are non-negative integers, got ${rows} and ${cols}`);
    // MLX v0.31.2 refuses an empty identity ("N and M must be positive integers")
    if (op === 'eye' && (rows === 0 || cols === 0)) throw new MxError(op, 'n', `n and m must be positive (as in MLX), got ${rows} and ${cols}`);
    const d = dtypeArg(op, 'dtype', dtype, float32);
    return apply1(op, [], { n: rows, m: cols, k: diag, dtype: d.name }, { dtype: d, shape: [rows, cols] });
  };
}
export const eye = matrix('eye');
export const tri = matrix('tri');

export function identity(n: number, dtype?: DtypeLike | null, stream?: StreamOrDevice): MxArray {
  return eye(n, n, 0, dtype, stream);
}
