// Ops MLX defines in terms of others: allclose, isclose, arrayEqual, clip,
// meshgrid, nanToNum, divmod, roll, kron, broadcastArrays.
import { type ArrayLike, MxArray } from '../array.js';
import { finfo, isInexact } from '../dtype.js';
import { MxError } from '../errors.js';
import { asArray, broadcastShapes, normAxis, operands } from '../node.js';
import { binaryOps, unaryOps, where } from './elementwise.js';
import { all } from './reduce.js';
import { broadcastTo, concatenate, reshape } from './shape.js';
import { index, SliceIndex } from './indexing.js';
import { describe } from '../args.js';
import { fromValue } from '../creation-data.js';
import { type StreamOrDevice } from '../device.js';

const { abs, isnan, isinf, isposinf, isneginf } = unaryOps;
const { add, subtract, multiply, lessEqual, logicalAnd, logicalOr, equal, maximum, minimum, floorDivide } = binaryOps;

/** |a - b| <= atol + rtol * |b| elementwise; infinities are close only to themselves. */
export function isclose(a: ArrayLike, b: ArrayLike, rtol = 1e-5, atol = 1e-8, equalNan = false, stream?: StreamOrDevice): MxArray {
  const [x, y] = operands(a, b);
  const close = lessEqual(abs(subtract(x, y)), add(atol, multiply(rtol, abs(y))), stream);
  const anyInf = logicalOr(isinf(x), isinf(y));
  const result = logicalOr(logicalAnd(close, unaryOps.logicalNot(anyInf)), logicalAnd(anyInf, equal(x, y)));
  return equalNan ? logicalOr(result, logicalAnd(isnan(x), isnan(y))) : result;
}

export function allclose(a: ArrayLike, b: ArrayLike, rtol = 1e-5, atol = 1e-8, equalNan = false, stream?: StreamOrDevice): MxArray {
  return all(isclose(a, b, rtol, atol, equalNan, stream));
}

/** True when shapes and values are equal (dtypes may differ). */
export function arrayEqual(a: ArrayLike, b: ArrayLike, equalNan = false, stream?: StreamOrDevice): MxArray {
  const [x, y] = operands(a, b);
  if (x.shape.join() !== y.shape.join()) return fromValue(false);
  const eq = equal(x, y, stream);
  return all(equalNan && (isInexact(x.dtype) || isInexact(y.dtype)) ? logicalOr(eq, logicalAnd(isnan(x), isnan(y))) : eq);
}

/** clip(a, min, max): either bound may be null, not both. */
export function clip(a: ArrayLike, aMin: ArrayLike | null, aMax: ArrayLike | null, stream?: StreamOrDevice): MxArray {
  if (aMin === null && aMax === null) throw new MxError('clip', 'aMin', 'one of aMin and aMax must be given');
  let x = asArray(a);
  if (aMin !== null) x = maximum(x, aMin, stream);
  if (aMax !== null) x = minimum(x, aMax, stream);
  return x;
}

/**
 * meshgrid(...arrays, sparse = false, indexing = 'xy'), as MLX's
 * meshgrid(*arrays, sparse, indexing); the arrays may also come as one list.
 */
export function meshgrid(...args: Array<ArrayLike | ArrayLike[] | boolean | string>): MxArray[] {
  const list = args.length && Array.isArray(args[0]) && !(args[0] as unknown[]).every((v) => typeof v === 'number') ? (args.shift() as ArrayLike[]) : [];
  while (args.length && typeof args[0] !== 'boolean' && typeof args[0] !== 'string') list.push(args.shift() as ArrayLike);
  const sparse = (args[0] as boolean | undefined) ?? false, indexing = (args[1] as string | undefined) ?? 'xy';
  if (indexing !== 'xy' && indexing !== 'ij') throw new MxError('meshgrid', 'indexing', `"${indexing}" is not "xy" or "ij"`);
  const xs = list.map((a) => reshape(asArray(a), [-1]));
  const n = xs.length;
  const shapes = xs.map((x, i) => {
    const s = new Array<number>(n).fill(1);
    s[i] = x.shape[0];
    if (indexing === 'xy' && n >= 2 && i < 2) [s[0], s[1]] = [s[1], s[0]];
    return s;
  });
  const grids = xs.map((x, i) => reshape(x, shapes[i]));
  if (sparse) return grids;
  const full = shapes.reduce((acc, s) => acc.map((d, i) => Math.max(d, s[i])));
  return grids.map((g) => broadcastTo(g, full));
}

/** nanToNum(a, nan = 0, posinf?, neginf?): infinities default to the dtype's extremes. */
export function nanToNum(a: ArrayLike, nan = 0, posinf?: number, neginf?: number, stream?: StreamOrDevice): MxArray {
  const x = asArray(a);
  if (!isInexact(x.dtype)) return x;
  const info = finfo(x.dtype);
  let r = where(isnan(x), fromValue(nan, x.dtype), x, stream);
  r = where(isposinf(x), fromValue(posinf ?? info.max, x.dtype), r);
  return where(isneginf(x), fromValue(neginf ?? info.min, x.dtype), r);
}

/** divmod(a, b): [q, a - q * b] with q = floorDivide(a, b), so a = q * b + r as in MLX. */
export function divmod(a: ArrayLike, b: ArrayLike, stream?: StreamOrDevice): [MxArray, MxArray] {
  const [x, y] = operands(a, b);
  const q = floorDivide(x, y, stream);
  return [q, subtract(x, multiply(q, y))];
}


/**
 * roll(a, shift, axis?): elements shifted along the axes, those pushed past
 * the end coming back at the start. With no axis the flattened array rolls
 * by the sum of the shifts; one shift may go with several axes.
 */
export function roll(a: ArrayLike, shift: number | number[], axis?: number | number[] | null, stream?: StreamOrDevice): MxArray {
  const x = asArray(a, undefined, 'roll', 'a');
  const shifts = Array.isArray(shift) ? shift : [shift];
  if (!shifts.length || shifts.some((v) => !Number.isInteger(v))) throw new MxError('roll', 'shift', `expected an integer or a list of them, got ${describe(shift)}`);
  if (axis === undefined || axis === null) return reshape(roll(reshape(x, [-1]), shifts.reduce((p, q) => p + q, 0), 0, stream), x.shape);
  const axes = (Array.isArray(axis) ? axis : [axis]).map((ax) => normAxis('roll', ax, x.ndim));
  if (shifts.length !== 1 && shifts.length !== axes.length) throw new MxError('roll', 'shift', `${shifts.length} shifts for ${axes.length} axes`);
  return axes.reduce((y, ax, k) => {
    const n = y.shape[ax];
    const by = n ? (((shifts.length === 1 ? shifts[0] : shifts[k]) % n) + n) % n : 0;
    if (!by) return y;
    const cut = (start: number | null, stop: number | null) => index(y, ...y.shape.map((_, i) => (i === ax ? new SliceIndex(start, stop) : new SliceIndex())));
    return concatenate([cut(n - by, null), cut(null, n - by)], ax, stream);
  }, x);
}

/** kron(a, b): the Kronecker product; the lower-rank operand gets leading axes of size 1. */
export function kron(a: ArrayLike, b: ArrayLike, stream?: StreamOrDevice): MxArray {
  const [x, y] = operands(a, b, 'kron');
  if (!x.ndim || !y.ndim) return multiply(x, y, stream);
  const nd = Math.max(x.ndim, y.ndim);
  const xs = [...new Array(nd - x.ndim).fill(1), ...x.shape], ys = [...new Array(nd - y.ndim).fill(1), ...y.shape];
  const product = multiply(reshape(x, xs.flatMap((d) => [d, 1])), reshape(y, ys.flatMap((d) => [1, d])), stream);
  return reshape(product, xs.map((d, i) => d * ys[i]));
}

/** broadcastArrays(...arrays) or broadcastArrays([arrays]): each broadcast to their common shape. */
export function broadcastArrays(...arrays: Array<ArrayLike | ArrayLike[]>): MxArray[] {
  const list = (arrays.length === 1 && Array.isArray(arrays[0]) && arrays[0].some((v) => v instanceof MxArray) ? arrays[0] : arrays) as ArrayLike[];
  const xs = list.map((v, i) => asArray(v, undefined, 'broadcastArrays', `arrays[${i}]`));
  if (!xs.length) return [];
  const shape = broadcastShapes('broadcastArrays', ...xs.map((v) => v.shape));
  return xs.map((v) => broadcastTo(v, shape));
}
