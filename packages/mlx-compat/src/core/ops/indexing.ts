// Indexing: take, takeAlongAxis, putAlongAxis, and a.index(...) /
// a.indexPut_(...) / a.at(...) with numbers, Slice, '...', null (new axis)
// and integer arrays, as MLX (and NumPy) index; asStrided; and MLX's slice
// and sliceUpdate, whose start indices are an array.
import { type ArrayLike, MxArray } from '../array.js';
import { int32, isInteger } from '../dtype.js';
import { MxError } from '../errors.js';
import { apply1, asArray, broadcastShapes, normAxis } from '../node.js';
import { checkStream, type StreamOrDevice } from '../device.js';
import { broadcastTo, expandDims, reshape, transpose } from './shape.js';
import { astype, binaryOps, unaryOps, where } from './elementwise.js';
import { fromValue } from '../creation-data.js';
import { describe, shapeArg } from '../args.js';
import { arange } from './creation.js';

/** A slice, as Python's start:stop:step; null or undefined bounds are open. */
export class SliceIndex {
  constructor(readonly start: number | null = null, readonly stop: number | null = null, readonly step: number | null = null) {
    if (step === 0) throw new MxError('Slice', 'step', 'a slice step cannot be 0');
  }
}

type SliceFactory = {
  new (start?: number | null, stop?: number | null, step?: number | null): SliceIndex;
  (start?: number | null, stop?: number | null, step?: number | null): SliceIndex;
};
/** mx.Slice(start, stop, step), with or without `new` (node-mlx calls it without). */
export const Slice = function (start?: number | null, stop?: number | null, step?: number | null) {
  return new SliceIndex(start, stop, step);
} as unknown as SliceFactory;

export type Index = number | SliceIndex | '...' | null | MxArray | number[];

function checkIndices(op: string, idx: MxArray, argument = 'indices'): void {
  if (!isInteger(idx.dtype)) throw new MxError(op, argument, `indices must be integers, not ${idx.dtype.name}`);
}

function wholeNumbers(v: unknown): boolean {
  return typeof v === 'number' ? Number.isInteger(v) : Array.isArray(v) && v.every(wholeNumbers);
}

// Indices as MLX Python reads them: whole JS numbers (alone or in nested
// lists) are int32, as Python ints are (node-mlx refuses them: JS numbers
// become float32 there); arrays keep their dtype, which must be integral.
function indexArray(op: string, indices: ArrayLike): MxArray {
  if (!(indices instanceof MxArray) && wholeNumbers(indices)) return fromValue(indices, int32, op, 'indices');
  const idx = asArray(indices, int32, op, 'indices');
  checkIndices(op, idx);
  return idx;
}

export function take(a: ArrayLike, indices: ArrayLike, axis?: number, stream?: StreamOrDevice): MxArray {
  checkStream('take', stream);
  const x = asArray(a), idx = indexArray('take', indices);
  if (axis === undefined) return apply1('take', [x, idx], {}, { dtype: x.dtype, shape: idx.shape });
  const ax = normAxis('take', axis, x.ndim);
  return apply1('take', [x, idx], { axis: ax }, { dtype: x.dtype, shape: [...x.shape.slice(0, ax), ...idx.shape, ...x.shape.slice(ax + 1)] });
}

function alongShape(op: string, x: MxArray, idx: MxArray, ax: number): number[] {
  if (idx.ndim !== x.ndim) throw new MxError(op, 'indices', `rank ${idx.ndim} differs from the array's rank ${x.ndim}`);
  const a2 = x.shape.map((d, i) => (i === ax ? 1 : d)), i2 = idx.shape.map((d, i) => (i === ax ? 1 : d));
  const out = broadcastShapes(op, a2, i2);
  out[ax] = idx.shape[ax];
  return out;
}

export function takeAlongAxis(a: ArrayLike, indices: ArrayLike, axis?: number | null, stream?: StreamOrDevice): MxArray {
  checkStream('takeAlongAxis', stream);
  const x = asArray(a), idx = indexArray('takeAlongAxis', indices);
  if (axis === undefined || axis === null) return takeAlongAxis(reshape(x, [-1]), reshape(idx, [-1]), 0);
  const ax = normAxis('takeAlongAxis', axis, x.ndim);
  return apply1('take_along_axis', [x, idx], { axis: ax }, { dtype: x.dtype, shape: alongShape('takeAlongAxis', x, idx, ax) });
}

type Reduce = 'none' | 'add' | 'prod' | 'max' | 'min';

function scatterAlong(op: string, x: MxArray, idx: MxArray, values: ArrayLike, ax: number, reduce: Reduce): MxArray {
  checkIndices(op, idx);
  const v = asArray(values, x.dtype);
  const s = alongShape(op, x, idx, ax);
  if (v.ndim > s.length || broadcastShapes(op, v.shape, s).join() !== s.join())
    throw new MxError(op, 'values', `shape (${v.shape}) does not broadcast to (${s})`);
  return apply1('put_along_axis', [x, idx, v], { axis: ax, reduce }, { dtype: x.dtype, shape: x.shape });
}

export function putAlongAxis(a: ArrayLike, indices: ArrayLike, values: ArrayLike, axis?: number | null, stream?: StreamOrDevice): MxArray {
  checkStream('putAlongAxis', stream);
  const x = asArray(a), idx = indexArray('putAlongAxis', indices);
  if (axis === undefined || axis === null)
    return reshape(putAlongAxis(reshape(x, [-1]), reshape(idx, [-1]), reshape(asArray(values, x.dtype), [-1]), 0), x.shape);
  return scatterAlong('putAlongAxis', x, idx, values, normAxis('putAlongAxis', axis, x.ndim), 'none');
}

// ---- a.index(...): basic indexing first (slices, integers, new axes), then arrays.

interface Plan {
  start: number[];
  stop: number[];
  strides: number[];
  squeeze: number[]; // axes of the sliced array indexed by an integer
  newAxes: number[]; // positions in the result of null indices
  arrays: Array<{ axis: number; idx: MxArray }>; // axes of the sliced array indexed by arrays
}

function expandIndex(op: string, x: MxArray, index: Index[]): Plan {
  const consumed = index.filter((i) => i !== null && i !== '...').length;
  const ellipses = index.filter((i) => i === '...').length;
  if (ellipses > 1) throw new MxError(op, 'index', "an index can hold one '...'");
  if (consumed > x.ndim) throw new MxError(op, 'index', `${consumed} indices for an array of rank ${x.ndim}`);
  const full: Index[] = [];
  for (const i of index) {
    if (i === '...') for (let k = 0; k < x.ndim - consumed; k++) full.push(new SliceIndex());
    else full.push(i);
  }
  while (full.filter((i) => i !== null).length < x.ndim) full.push(new SliceIndex());
  const plan: Plan = { start: [], stop: [], strides: [], squeeze: [], newAxes: [], arrays: [] };
  let axis = 0, outPos = 0;
  for (const i of full) {
    if (i === null) {
      plan.newAxes.push(outPos++);
      continue;
    }
    const n = x.shape[axis];
    if (typeof i === 'number') {
      if (!Number.isInteger(i)) throw new MxError(op, 'index', `expected an integer, a Slice, '...', null or an integer array, got ${i}`);
      if (i < -n || i >= n) throw new MxError(op, `index ${i}`, `out of range for axis ${axis} of size ${n}`);
      const k = i < 0 ? i + n : i;
      plan.start.push(k);
      plan.stop.push(k + 1);
      plan.strides.push(1);
      plan.squeeze.push(axis);
    } else if (i instanceof SliceIndex) {
      const step = i.step ?? 1;
      plan.start.push(i.start ?? (step > 0 ? 0 : n - 1));
      plan.stop.push(i.stop ?? (step > 0 ? n : -n - 1));
      plan.strides.push(step);
      outPos++;
    } else {
      if (!(i instanceof MxArray) && !Array.isArray(i))
        throw new MxError(op, 'index', `expected an integer, a Slice, '...', null or an integer array, got ${describe(i)}`);
      const idx = asArray(i as ArrayLike, int32, op, 'index');
      checkIndices(op, idx, 'index');
      plan.start.push(0);
      plan.stop.push(n);
      plan.strides.push(1);
      plan.arrays.push({ axis, idx });
      outPos++;
    }
    axis++;
  }
  return plan;
}

function pySliceLength(n: number, start: number, stop: number, step: number): number {
  const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  if (step > 0) {
    const b = norm(start, 0, n), e = norm(stop, 0, n);
    return e > b ? Math.ceil((e - b) / step) : 0;
  }
  const b = norm(start, -1, n - 1), e = norm(stop, -1, n - 1);
  return b > e ? Math.ceil((b - e) / -step) : 0;
}

function sliced(x: MxArray, p: Plan): MxArray {
  const trivial = p.start.every((s, i) => s === 0 && p.stop[i] === x.shape[i] && p.strides[i] === 1);
  if (trivial) return x;
  const shape = x.shape.map((n, i) => pySliceLength(n, p.start[i], p.stop[i], p.strides[i]));
  return apply1('slice', [x], { start: p.start, stop: p.stop, strides: p.strides }, { dtype: x.dtype, shape });
}

// Integer arrays at several axes broadcast together; the result's indexed
// dimensions go where the arrays were if they were adjacent, else first.
function gather(op: string, x: MxArray, arrays: Plan['arrays']): MxArray {
  const axes = arrays.map((a) => a.axis);
  const bshape = broadcastShapes(op, ...arrays.map((a) => a.idx.shape));
  const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const moved = transpose(x, [...axes, ...rest]);
  const lead = axes.map((a) => x.shape[a]);
  const flat = reshape(moved, [lead.reduce((p, q) => p * q, 1), ...rest.map((i) => x.shape[i])]);
  // linear index over the indexed axes, negative indices wrapped
  let linear: MxArray | undefined;
  arrays.forEach(({ idx }, k) => {
    const n = lead[k];
    const i32 = astype(idx, int32);
    const wrapped = where(binaryOps.less(i32, fromValue(0, int32)), binaryOps.add(i32, fromValue(n, int32)), i32);
    linear = linear ? binaryOps.add(binaryOps.multiply(linear, fromValue(n, int32)), wrapped) : wrapped;
  });
  const lin = broadcastTo(linear!, bshape);
  const taken = take(flat, lin, 0);
  const adjacent = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  if (!adjacent || axes[0] === 0) return taken;
  // move the broadcast dims back to where the first indexed axis was
  const nb = bshape.length, first = axes[0];
  const perm = [...Array.from({ length: first }, (_, i) => nb + i), ...Array.from({ length: nb }, (_, i) => i), ...Array.from({ length: taken.ndim - nb - first }, (_, i) => nb + first + i)];
  return transpose(taken, perm);
}

export function index(a: ArrayLike, ...idx: Index[]): MxArray {
  const x = asArray(a);
  const p = expandIndex('index', x, idx);
  let r = sliced(x, p);
  if (p.arrays.length) r = gather('index', r, p.arrays);
  // integer indices drop their axes
  if (p.squeeze.length) {
    const shift = p.arrays.length ? gatherShift(x, p) : (ax: number) => ax;
    const sq = p.squeeze.map(shift);
    r = apply1('squeeze', [r], { axes: sq }, { dtype: r.dtype, shape: r.shape.filter((_, i) => !sq.includes(i)) });
  }
  if (p.newAxes.length) r = expandDims(r, p.newAxes);
  return r;
}

// Where an integer-indexed axis lands after gather moved array dims.
function gatherShift(x: MxArray, p: Plan): (ax: number) => number {
  const axes = p.arrays.map((a) => a.axis);
  const nb = broadcastShapes('index', ...p.arrays.map((a) => a.idx.shape)).length;
  const adjacent = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  return (ax: number) => {
    const r = rest.indexOf(ax);
    if (!adjacent || axes[0] === 0) return nb + r;
    return ax < axes[0] ? ax : nb + r;
  };
}

// An update may carry leading size-1 axes beyond the indexed shape's rank;
// MLX drops them.
function fitUpdate(v: MxArray, ndim: number): MxArray {
  let lead = 0;
  while (v.ndim - lead > ndim && v.shape[lead] === 1) lead++;
  return lead ? reshape(v, v.shape.slice(lead)) : v;
}

/** The array with `value` written at `idx` (a new array; indexPut_ replaces in place). */
export function indexUpdate(a: ArrayLike, idx: Index[], value: ArrayLike, reduce: Reduce = 'none'): MxArray {
  const x = asArray(a, undefined, 'indexPut_', 'array');
  const p = expandIndex('indexPut_', x, idx);
  const v = fitUpdate(asArray(value, x.dtype, 'indexPut_', 'value'), index(x, ...idx).ndim);
  if (!p.arrays.length && reduce === 'none') {
    const target = index(x, ...idx);
    if (v.ndim > target.ndim || broadcastShapes('indexPut_', v.shape, target.shape).join() !== target.shape.join())
      throw new MxError('indexPut_', 'value', `shape (${v.shape}) does not broadcast to the indexed shape (${target.shape})`);
    const region = x.shape.map((n, i) => pySliceLength(n, p.start[i], p.stop[i], p.strides[i]));
    const upd = reshape(broadcastTo(v, target.shape), region);
    return apply1('slice_update', [x, astype(upd, x.dtype)], { start: p.start, stop: p.stop, strides: p.strides }, { dtype: x.dtype, shape: x.shape });
  }
  if (p.arrays.length === 1 && p.newAxes.length === 0 && p.squeeze.length === 0 && p.arrays[0].idx.ndim <= 1 && p.start.every((s, i) => s === 0 && p.stop[i] === x.shape[i] && p.strides[i] === 1)) {
    // one 1-d integer array on one axis: a scatter along that axis, duplicates combining by `reduce`
    const { axis, idx } = p.arrays[0];
    const k = idx.ndim === 0 ? reshape(idx, [1]) : idx;
    const target = x.shape.map((d, i) => (i === axis ? k.shape[0] : d));
    const idxShape = x.shape.map((_, i) => (i === axis ? k.shape[0] : 1));
    const vals = broadcastTo(asArray(v, x.dtype), target);
    return scatterAlong('indexPut_', x, reshape(k, idxShape), vals, axis, reduce);
  }
  if (!p.arrays.length) {
    // basic index with an accumulating update: read, combine, write back
    const current = index(x, ...idx);
    const combined = combine(reduce, current, v);
    return indexUpdate(x, idx, combined, 'none');
  }
  // Any other index: the flat positions it selects, read the same way from
  // the positions of all elements, take one scatter on the flattened array.
  const positions = index(reshape(arangeOf(x.size), x.shape), ...idx);
  if (v.ndim > positions.ndim || broadcastShapes('indexPut_', v.shape, positions.shape).join() !== positions.shape.join())
    throw new MxError('indexPut_', 'value', `shape (${v.shape}) does not broadcast to the indexed shape (${positions.shape})`);
  const vals = reshape(broadcastTo(astype(v, x.dtype), positions.shape), [-1]);
  return reshape(scatterAlong('indexPut_', reshape(x, [-1]), reshape(positions, [-1]), vals, 0, reduce), x.shape);
}

const arangeOf = (n: number) => apply1('arange', [], { start: 0, stop: n, step: 1, dtype: 'int32' }, { dtype: int32, shape: [n] });

function combine(reduce: Reduce, a: MxArray, b: MxArray): MxArray {
  const op = { none: binaryOps.add, add: binaryOps.add, prod: binaryOps.multiply, max: binaryOps.maximum, min: binaryOps.minimum }[reduce];
  return astype(op(a, b), a.dtype);
}

/** a.at(index): MLX's functional updates, add / subtract / multiply / divide / maximum / minimum / set. */
export class AtIndexer {
  constructor(private readonly a: MxArray, private readonly idx: Index[]) {}
  set(v: ArrayLike): MxArray {
    return indexUpdate(this.a, this.idx, v, 'none');
  }
  add(v: ArrayLike): MxArray {
    return indexUpdate(this.a, this.idx, v, 'add');
  }
  subtract(v: ArrayLike): MxArray {
    return indexUpdate(this.a, this.idx, unaryOps.negative(asArray(v, this.a.dtype)), 'add');
  }
  multiply(v: ArrayLike): MxArray {
    return indexUpdate(this.a, this.idx, v, 'prod');
  }
  divide(v: ArrayLike): MxArray {
    return indexUpdate(this.a, this.idx, unaryOps.reciprocal(asArray(v, this.a.dtype)), 'prod');
  }
  maximum(v: ArrayLike): MxArray {
    return indexUpdate(this.a, this.idx, v, 'max');
  }
  minimum(v: ArrayLike): MxArray {
    return indexUpdate(this.a, this.idx, v, 'min');
  }
}


/**
 * asStrided(a, shape = a.shape, strides = row-major, offset = 0): the view of
 * the flattened array with these element strides. Unlike MLX, a view that
 * reads outside the array is an error (MLX reads whatever memory is there).
 */
export function asStrided(a: ArrayLike, shape?: number[] | null, strides?: number[] | null, offset = 0, stream?: StreamOrDevice): MxArray {
  checkStream('asStrided', stream);
  const x = asArray(a, undefined, 'asStrided', 'a');
  const s = shape === undefined || shape === null ? [...x.shape] : shapeArg('asStrided', shape);
  const st = strides ?? s.map((_, i) => s.slice(i + 1).reduce((p, q) => p * q, 1));
  if (!Array.isArray(st) || st.length !== s.length || st.some((v) => !Number.isInteger(v)))
    throw new MxError('asStrided', 'strides', `expected ${s.length} integer strides, got ${describe(strides)}`);
  if (!Number.isInteger(offset) || offset < 0) throw new MxError('asStrided', 'offset', `expected a non-negative integer, got ${describe(offset)}`);
  if (s.every((d) => d > 0)) {
    let lo = offset, hi = offset;
    s.forEach((d, i) => (st[i] < 0 ? (lo += (d - 1) * st[i]) : (hi += (d - 1) * st[i])));
    if (lo < 0 || hi >= x.size) throw new MxError('asStrided', 'strides', `the view reads elements ${lo} to ${hi} of an array of ${x.size}`);
  }
  return apply1('as_strided', [x], { shape: s, strides: st, offset }, { dtype: x.dtype, shape: s });
}

// The start index of slice axis k, from an integer array of one per axis.
function startOf(op: string, start: ArrayLike, axes: number[], k: number): MxArray {
  // a JS list of whole numbers is read as int32 indices (a JS number is otherwise a float)
  const whole = Array.isArray(start) && start.every((v) => Number.isInteger(v));
  const st = whole ? fromValue(start, int32) : asArray(start, int32, op, 'startIndices');
  checkIndices(op, st, 'startIndices');
  if (st.size !== axes.length) throw new MxError(op, 'startIndices', `expected ${axes.length} start indices (one per axis), got ${st.size}`);
  return take(reshape(st, [-1]), fromValue(k, int32));
}

function sliceAxes(op: string, x: MxArray, axes: number[]): number[] {
  if (!Array.isArray(axes)) throw new MxError(op, 'axes', `expected a list of axes, got ${describe(axes)}`);
  const list = axes.map((ax) => normAxis(op, ax, x.ndim, 'axes'));
  if (new Set(list).size !== list.length) throw new MxError(op, 'axes', `axes (${axes}) contain a duplicate`);
  return list;
}

/**
 * slice(a, startIndices, axes, sliceSize): the block of sliceSize[k] elements
 * from startIndices[k] along each axes[k], the starts an array (so they may
 * be computed). A composite of take; a block past the end is an error.
 */
export function slice(a: ArrayLike, startIndices: ArrayLike, axes: number[], sliceSize: number[], stream?: StreamOrDevice): MxArray {
  checkStream('slice', stream);
  let x = asArray(a, undefined, 'slice', 'a');
  const list = sliceAxes('slice', x, axes);
  const size = shapeArg('slice', sliceSize, 'sliceSize');
  if (size.length !== list.length) throw new MxError('slice', 'sliceSize', `expected ${list.length} sizes (one per axis), got ${size.length}`);
  list.forEach((ax, k) => {
    if (size[k] > x.shape[ax]) throw new MxError('slice', 'sliceSize', `${size[k]} is larger than axis ${ax} (${x.shape[ax]})`);
    x = take(x, binaryOps.add(startOf('slice', startIndices, list, k), arange(size[k], int32)), ax);
  });
  return x;
}

/**
 * sliceUpdate(a, update, startIndices, axes): a with the block at the start
 * indices along the axes replaced by update (of a's rank; its sizes on the
 * axes are the block's). A composite of take and where.
 */
export function sliceUpdate(a: ArrayLike, update: ArrayLike, startIndices: ArrayLike, axes: number[], stream?: StreamOrDevice): MxArray {
  checkStream('sliceUpdate', stream);
  const x = asArray(a, undefined, 'sliceUpdate', 'a');
  const u = asArray(update, x.dtype, 'sliceUpdate', 'update');
  const list = sliceAxes('sliceUpdate', x, axes);
  if (u.ndim !== x.ndim) throw new MxError('sliceUpdate', 'update', `rank ${u.ndim} differs from the array's rank ${x.ndim}`);
  u.shape.forEach((d, i) => {
    if (list.includes(i) ? d > x.shape[i] : d !== x.shape[i] && d !== 1)
      throw new MxError('sliceUpdate', 'update', `shape (${u.shape}) does not fit the array's (${x.shape}) on axes (${list})`);
  });
  if (list.some((ax) => u.shape[ax] === 0)) return x;
  let values = u, inside: MxArray | undefined;
  list.forEach((ax, k) => {
    // position relative to the block along the axis, and whether it is inside
    const rel = binaryOps.subtract(arange(x.shape[ax], int32), startOf('sliceUpdate', startIndices, list, k));
    const last = u.shape[ax] - 1;
    const here = reshape(binaryOps.logicalAnd(binaryOps.greaterEqual(rel, fromValue(0, int32)), binaryOps.lessEqual(rel, fromValue(last, int32))), x.shape.map((d, i) => (i === ax ? d : 1)));
    values = take(values, binaryOps.minimum(binaryOps.maximum(rel, fromValue(0, int32)), fromValue(last, int32)), ax);
    inside = inside ? binaryOps.logicalAnd(inside, here) : here;
  });
  return where(inside!, values.dtype === x.dtype ? values : astype(values, x.dtype), x, stream);
}
