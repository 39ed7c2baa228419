// Shape and data movement: reshape, transpose, squeeze, expandDims,
// broadcastTo, flatten, concatenate, stack, split, tile, repeat, pad,
// moveaxis, swapaxes, atleast1d/2d/3d, unflatten, contiguous, view.
import { type ArrayLike, MxArray } from '../array.js';
import { MxError } from '../errors.js';
import { apply, apply1, asArray, broadcastShapes, normAxes, normAxis, promoteAll } from '../node.js';
import { checkStream, type StreamOrDevice } from '../device.js';
import { describe, dtypeArg, type DtypeLike, intArg, shapeArg } from '../args.js';

export function reshape(a: ArrayLike, shape: number[], stream?: StreamOrDevice): MxArray {
  checkStream('reshape', stream);
  const x = asArray(a);
  const known = shape.filter((d) => d !== -1).reduce((p, q) => p * q, 1);
  const free = shape.filter((d) => d === -1).length;
  if (free > 1 || shape.some((d) => !Number.isInteger(d) || d < -1)) throw new MxError('reshape', 'shape', `invalid shape (${shape})`);
  const out = free ? shape.map((d) => (d === -1 ? (known ? x.size / known : NaN) : d)) : [...shape];
  if (out.some((d) => !Number.isInteger(d)) || out.reduce((p, q) => p * q, 1) !== x.size)
    throw new MxError('reshape', 'shape', `cannot reshape an array of shape (${x.shape}) into (${shape})`);
  if (out.join() === x.shape.join()) return x;
  return apply1('reshape', [x], { shape: out }, { dtype: x.dtype, shape: out });
}

export function transpose(a: ArrayLike, axes?: number[], stream?: StreamOrDevice): MxArray {
  checkStream('transpose', stream);
  const x = asArray(a);
  const perm = axes ? axes.map((ax) => normAxis('transpose', ax, x.ndim, 'axes')) : x.shape.map((_, i) => x.ndim - 1 - i);
  if (perm.length !== x.ndim || new Set(perm).size !== x.ndim)
    throw new MxError('transpose', 'axes', `(${axes}) is not a permutation of ${x.ndim} axes`);
  return apply1('transpose', [x], { axes: perm }, { dtype: x.dtype, shape: perm.map((p) => x.shape[p]) });
}

export function squeeze(a: ArrayLike, axis?: number | number[] | null, stream?: StreamOrDevice): MxArray {
  checkStream('squeeze', stream);
  const x = asArray(a, undefined, 'squeeze', 'a');
  const axes = axis === undefined || axis === null ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normAxes('squeeze', axis, x.ndim);
  for (const ax of axes) if (x.shape[ax] !== 1) throw new MxError('squeeze', 'axis', `cannot squeeze axis ${ax} of size ${x.shape[ax]}`);
  return apply1('squeeze', [x], { axes }, { dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)) });
}

export function expandDims(a: ArrayLike, axis: number | number[], stream?: StreamOrDevice): MxArray {
  checkStream('expandDims', stream);
  const x = asArray(a);
  const list = Array.isArray(axis) ? axis : [axis];
  const nd = x.ndim + list.length;
  const axes = normAxes('expandDims', list, nd);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < nd; i++) out.push(axes.includes(i) ? 1 : x.shape[k++]);
  return apply1('expand_dims', [x], { axes }, { dtype: x.dtype, shape: out });
}

export function broadcastTo(a: ArrayLike, shapeOrSize: number | number[], stream?: StreamOrDevice): MxArray {
  checkStream('broadcastTo', stream);
  const x = asArray(a, undefined, 'broadcastTo', 'a');
  const shape = shapeArg('broadcastTo', shapeOrSize);
  if (x.ndim > shape.length || broadcastShapes('broadcastTo', x.shape, shape).join() !== shape.join())
    throw new MxError('broadcastTo', 'shape', `cannot broadcast (${x.shape}) to (${shape})`);
  if (x.shape.join() === shape.join()) return x;
  return apply1('broadcast_to', [x], { shape }, { dtype: x.dtype, shape });
}

export function flatten(a: ArrayLike, startAxis?: number | null, endAxis?: number | null, stream?: StreamOrDevice): MxArray {
  checkStream('flatten', stream);
  const x = asArray(a, undefined, 'flatten', 'a');
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normAxis('flatten', startAxis ?? 0, x.ndim, 'startAxis'), e = normAxis('flatten', endAxis ?? -1, x.ndim, 'endAxis');
  if (s > e) throw new MxError('flatten', 'startAxis', 'startAxis is after endAxis');
  return reshape(x, [...x.shape.slice(0, s), x.shape.slice(s, e + 1).reduce((p, q) => p * q, 1), ...x.shape.slice(e + 1)]);
}

export function concatenate(arrays: ArrayLike[], axis?: number | null, stream?: StreamOrDevice): MxArray {
  checkStream('concatenate', stream);
  if (!Array.isArray(arrays)) throw new MxError('concatenate', 'arrays', `expected a list of arrays, got ${describe(arrays)}`);
  const xs = arrays.map((a, i) => asArray(a, undefined, 'concatenate', `arrays[${i}]`));
  if (axis === null) return concatenate(xs.map((x) => reshape(x, [-1])), 0);
  axis ??= 0;
  if (!xs.length) throw new MxError('concatenate', 'arrays', 'needs at least one array');
  const first = xs[0].shape;
  const ax = normAxis('concatenate', axis, first.length);
  xs.forEach((x, k) => {
    if (x.ndim !== first.length || x.shape.some((d, i) => i !== ax && d !== first[i]))
      throw new MxError('concatenate', `arrays[${k}]`, `shape (${x.shape}) does not match (${first}) outside axis ${ax}`);
  });
  const shape = [...first];
  shape[ax] = xs.reduce((s, x) => s + x.shape[ax], 0);
  return apply1('concatenate', xs, { axis: ax }, { dtype: promoteAll(xs), shape });
}

export function stack(arrays: ArrayLike[], axis?: number | null, stream?: StreamOrDevice): MxArray {
  checkStream('stack', stream);
  if (!Array.isArray(arrays)) throw new MxError('stack', 'arrays', `expected a list of arrays, got ${describe(arrays)}`);
  const xs = arrays.map((a, i) => asArray(a, undefined, 'stack', `arrays[${i}]`));
  axis ??= 0;
  if (!xs.length) throw new MxError('stack', 'arrays', 'needs at least one array');
  xs.forEach((x, k) => {
    if (x.shape.join() !== xs[0].shape.join()) throw new MxError('stack', `arrays[${k}]`, `shape (${x.shape}) differs from (${xs[0].shape})`);
  });
  const ax = normAxis('stack', axis, xs[0].ndim + 1);
  const shape = [...xs[0].shape];
  shape.splice(ax, 0, xs.length);
  return apply1('stack', xs, { axis: ax }, { dtype: promoteAll(xs), shape });
}

/** split(a, indicesOrSections, axis = 0): equal parts, or cuts before the given indices. */
export function split(a: ArrayLike, indicesOrSections: number | number[], axis?: number | null, stream?: StreamOrDevice): MxArray[] {
  checkStream('split', stream);
  const x = asArray(a, undefined, 'split', 'a');
  const ax = normAxis('split', axis ?? 0, x.ndim);
  if (typeof indicesOrSections === 'number') intArg('split', 'indicesOrSections', indicesOrSections);
  else if (!Array.isArray(indicesOrSections) || indicesOrSections.some((v) => !Number.isInteger(v)))
    throw new MxError('split', 'indicesOrSections', `expected a number of sections or a list of integer indices, got ${describe(indicesOrSections)}`);
  const n = x.shape[ax];
  let cuts: number[];
  if (typeof indicesOrSections === 'number') {
    if (indicesOrSections <= 0 || n % indicesOrSections !== 0)
      throw new MxError('split', 'indicesOrSections', `cannot split ${n} into ${indicesOrSections} equal parts`);
    cuts = Array.from({ length: indicesOrSections - 1 }, (_, i) => ((i + 1) * n) / indicesOrSections);
  } else {
    cuts = indicesOrSections.map((c) => Math.min(Math.max(c < 0 ? c + n : c, 0), n));
  }
  const bounds: number[] = [0];
  for (const c of cuts) bounds.push(Math.max(bounds[bounds.length - 1], c));
  bounds.push(n);
  const outs = bounds.slice(1).map((e, i) => {
    const shape = [...x.shape];
    shape[ax] = e - bounds[i];
    return { dtype: x.dtype, shape };
  });
  return apply('split', [x], { indices_or_sections: indicesOrSections, axis: ax }, outs);
}

export function tile(a: ArrayLike, reps: number | number[], stream?: StreamOrDevice): MxArray {
  checkStream('tile', stream);
  const x = asArray(a);
  const r = Array.isArray(reps) ? reps : [reps];
  if (r.some((v) => !Number.isInteger(v) || v < 0)) throw new MxError('tile', 'reps', 'reps are non-negative integers');
  const nd = Math.max(x.ndim, r.length);
  const s = [...new Array(nd - x.ndim).fill(1), ...x.shape], rr = [...new Array(nd - r.length).fill(1), ...r];
  return apply1('tile', [x], { reps: r }, { dtype: x.dtype, shape: s.map((d, i) => d * rr[i]) });
}

export function repeat(a: ArrayLike, repeats: number, axis?: number | null, stream?: StreamOrDevice): MxArray {
  checkStream('repeat', stream);
  const x = asArray(a, undefined, 'repeat', 'a');
  if (!Number.isInteger(repeats) || repeats < 0) throw new MxError('repeat', 'repeats', `expected a non-negative integer, got ${describe(repeats)}`);
  if (axis === undefined || axis === null) return apply1('repeat', [x], { repeats }, { dtype: x.dtype, shape: [x.size * repeats] });
  const ax = normAxis('repeat', axis, x.ndim);
  const shape = [...x.shape];
  shape[ax] *= repeats;
  // MLX v0.31.2 gives a flat empty array for no repeats, whatever the axis (0.13 kept the other axes)
  if (repeats === 0) shape.splice(0, shape.length, 0);
  return apply1('repeat', [x], { repeats, axis: ax }, { dtype: x.dtype, shape });
}

/**
 * pad(a, padWidth, constantValue = 0) as node-mlx calls it, or MLX's
 * pad(a, padWidth, mode = 'constant', constantValues = 0): a string third
 * argument is the mode. padWidth is n, [n], [before, after] or one pair per axis.
 */
export function pad(
  a: ArrayLike,
  padWidth: number | [number] | [number, number] | Array<[number, number]>,
  modeOrValue?: 'constant' | number | boolean | MxArray | null,
  constantValues?: number | boolean | MxArray | null,
  stream?: StreamOrDevice,
): MxArray {
  checkStream('pad', stream);
  const mode = typeof modeOrValue === 'string' ? modeOrValue : 'constant';
  if (mode !== 'constant') throw new MxError('pad', 'mode', `only "constant" padding is supported, not "${mode}"`);
  const given = typeof modeOrValue === 'string' ? constantValues : modeOrValue;
  const value = given === undefined || given === null ? 0 : given instanceof MxArray ? given.item() : given;
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new MxError('pad', 'constantValues', `expected a number, got ${describe(given)}`);
  if (typeof padWidth === 'object' && padWidth.length === 1 && typeof padWidth[0] === 'number') padWidth = padWidth[0];
  const x = asArray(a, undefined, 'pad', 'a');
  const pairs: Array<[number, number]> =
    typeof padWidth === 'number' ? x.shape.map(() => [padWidth, padWidth])
      : typeof padWidth[0] === 'number' ? x.shape.map(() => padWidth as [number, number])
        : (padWidth as Array<[number, number]>);
  if (pairs.length !== x.ndim || pairs.flat().some((v) => !Number.isInteger(v) || v < 0))
    throw new MxError('pad', 'padWidth', `needs ${x.ndim} pairs of non-negative integers`);
  return apply1('pad', [x], { pad_width: pairs.flat(), value: Number(value) }, { dtype: x.dtype, shape: x.shape.map((d, i) => d + pairs[i][0] + pairs[i][1]) });
}

/** moveaxis(a, source, destination): one axis, or lists of axes moved in order. */
export function moveaxis(a: ArrayLike, source: number | number[], destination: number | number[], stream?: StreamOrDevice): MxArray {
  checkStream('moveaxis', stream);
  const x = asArray(a, undefined, 'moveaxis', 'a');
  const src = (Array.isArray(source) ? source : [source]).map((v) => normAxis('moveaxis', v, x.ndim, 'source'));
  const dst = (Array.isArray(destination) ? destination : [destination]).map((v) => normAxis('moveaxis', v, x.ndim, 'destination'));
  if (src.length !== dst.length) throw new MxError('moveaxis', 'destination', `${dst.length} destinations for ${src.length} sources`);
  if (new Set(src).size !== src.length || new Set(dst).size !== dst.length) throw new MxError('moveaxis', 'source', 'axes repeat');
  const rest = x.shape.map((_, i) => i).filter((i) => !src.includes(i));
  const perm = new Array<number>(x.ndim);
  src.forEach((s, k) => (perm[dst[k]] = s));
  for (let i = 0, r = 0; i < x.ndim; i++) if (perm[i] === undefined) perm[i] = rest[r++];
  return transpose(x, perm);
}

export function swapaxes(a: ArrayLike, axis1: number, axis2: number, stream?: StreamOrDevice): MxArray {
  checkStream('swapaxes', stream);
  const x = asArray(a);
  const p = normAxis('swapaxes', axis1, x.ndim, 'axis1'), q = normAxis('swapaxes', axis2, x.ndim, 'axis2');
  const perm = x.shape.map((_, i) => (i === p ? q : i === q ? p : i));
  return transpose(x, perm);
}

function atleast(n: number) {
  return (a: ArrayLike): MxArray => {
    const x = asArray(a);
    if (x.ndim >= n) return x;
    if (n === 3 && x.ndim === 2) return reshape(x, [...x.shape, 1]);
    if (n === 3 && x.ndim === 1) return reshape(x, [1, x.shape[0], 1]);
    return reshape(x, [...new Array(n - x.ndim).fill(1), ...x.shape]);
  };
}
export const atleast1d = atleast(1);
export const atleast2d = atleast(2);
export const atleast3d = atleast(3);

/** unflatten(a, axis, shape): the axis split into `shape` (one entry may be -1), as MLX's. */
export function unflatten(a: ArrayLike, axis: number, shape: number[], stream?: StreamOrDevice): MxArray {
  checkStream('unflatten', stream);
  const x = asArray(a, undefined, 'unflatten', 'a');
  const ax = normAxis('unflatten', axis, x.ndim);
  if (!Array.isArray(shape) || !shape.length || shape.some((d) => !Number.isInteger(d) || d < -1) || shape.filter((d) => d === -1).length > 1)
    throw new MxError('unflatten', 'shape', `expected a non-empty list of sizes with at most one -1, got ${describe(shape)}`);
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1), n = x.shape[ax];
  const sizes = shape.map((d) => (d === -1 ? (known ? n / known : NaN) : d));
  if (sizes.some((d) => !Number.isInteger(d)) || sizes.reduce((p, d) => p * d, 1) !== n)
    throw new MxError('unflatten', 'shape', `(${shape}) does not fill axis ${axis} of size ${n}`);
  return reshape(x, [...x.shape.slice(0, ax), ...sizes, ...x.shape.slice(ax + 1)]);
}

/** contiguous(a, allowColMajor = false): the values in row-major order (the engine's arrays always are). */
export function contiguous(a: ArrayLike, allowColMajor = false, stream?: StreamOrDevice): MxArray {
  checkStream('contiguous', stream);
  const x = asArray(a, undefined, 'contiguous', 'a');
  if (typeof allowColMajor !== 'boolean') throw new MxError('contiguous', 'allowColMajor', `expected a boolean, got ${describe(allowColMajor)}`);
  return apply1('contiguous', [x], { allow_col_major: allowColMajor }, { dtype: x.dtype, shape: x.shape });
}

/**
 * view(a, dtype): the same bytes read as another dtype; the last axis scales
 * by the ratio of the item sizes (a scalar needs the same item size).
 */
export function view(a: ArrayLike, dtype: DtypeLike, stream?: StreamOrDevice): MxArray {
  checkStream('view', stream);
  const x = asArray(a, undefined, 'view', 'a');
  const to = dtypeArg('view', 'dtype', dtype);
  if (!to) throw new MxError('view', 'dtype', 'a dtype is required');
  const ib = x.dtype.size, ob = to.size;
  const shape = [...x.shape];
  if (ib !== ob) {
    if (!x.ndim) throw new MxError('view', 'dtype', `a scalar can only be viewed as a dtype of its item size (${x.dtype.name} as ${to.name})`);
    const bytes = shape[shape.length - 1] * ib;
    if (bytes % ob) throw new MxError('view', 'dtype', `the last axis (${shape[shape.length - 1]} x ${ib} bytes) is not a multiple of ${to.name}'s ${ob} bytes`);
    shape[shape.length - 1] = bytes / ob;
  }
  return apply1('view', [x], { dtype: to.name }, { dtype: to, shape });
}
