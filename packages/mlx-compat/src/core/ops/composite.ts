// Ops MLX defines in terms of others: allclose, isclose, arrayEqual, clip,
// meshgrid, nanToNum, divmod.
import { type ArrayLike, MxArray } from '../array.js';
import { finfo, isInexact } from '../dtype.js';
import { MxError } from '../errors.js';
import { asArray, operands } from '../node.js';
import { binaryOps, unaryOps, where } from './elementwise.js';
import { all } from './reduce.js';
import { broadcastTo, reshape } from './shape.js';
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

