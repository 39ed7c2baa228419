// vjp rules of shape, data-movement and indexing ops: the cotangent moves back
// the way the data came (indices get none).
import type { MxArray } from '../../array.js';
import { apply1 } from '../../node.js';
import { zerosLike, zeros } from '../../ops/creation.js';
import { concatenate, expandDims, reshape, split, squeeze, transpose } from '../../ops/shape.js';
import { putAlongAxis, takeAlongAxis } from '../../ops/indexing.js';
import { arange } from '../../ops/creation.js';
import { argpartition, argsort } from '../../ops/sort.js';
import { cummax, sum } from '../../ops/reduce.js';
import { astype, binaryOps, where } from '../../ops/elementwise.js';
import { int32 } from '../../dtype.js';
import type { VjpRule } from './index.js';
import { unbroadcast } from './util.js';

const back = ({ primals: [x], cotangents: [g] }: Parameters<VjpRule>[0]) => [reshape(g!, x.shape)];

// Adds g into zeros of x's shape at the positions a gather read.
function scatterAdd(x: MxArray, idx: MxArray, g: MxArray, axis: number): MxArray {
  return apply1('put_along_axis', [zerosLike(x), idx, g], { axis, reduce: 'add' }, { dtype: x.dtype, shape: x.shape });
}

// Positions along `axis` as an array broadcastable against x.
function positions(x: MxArray, axis: number): MxArray {
  const a = axis < 0 ? axis + x.ndim : axis;
  return reshape(arange(x.shape[a], int32), x.shape.map((d, i) => (i === a ? d : 1)));
}

// cummax and cummin: each output's cotangent goes to where its running extreme was set.
const runningExtreme: VjpRule = ({ primals: [x], outputs: [out], cotangents: [g], attrs }) => {
  if (attrs.reverse || attrs.inclusive === false) return [undefined];
  const flat = attrs.axis === undefined;
  const xs = flat ? reshape(x, [-1]) : x;
  const axis = flat ? 0 : (attrs.axis as number);
  const setHere = binaryOps.equal(xs, out);
  const where0 = where(setHere, positions(xs, axis), zeros([], int32));
  // the latest position where x equalled the running extreme set it
  const source = cummax(where0, axis);
  return [reshape(scatterAdd(xs, source, g!, axis), x.shape)];
};

// sort and topk gather through argsort: the cotangent scatters back the same way.
const sortedGather = (k?: (x: MxArray, attrs: Record<string, unknown>) => number, kth?: boolean): VjpRule => ({ primals: [x], cotangents: [g], attrs }) => {
  const flat = attrs.axis === null || attrs.axis === undefined;
  const xs = flat ? reshape(x, [-1]) : x;
  const axis = flat ? 0 : (attrs.axis as number);
  // partition's own order: argpartition with the same kth picks the same elements
  let idx = kth ? argpartition(xs, attrs.kth as number, axis) : argsort(xs, axis);
  if (k) {
    const a = axis < 0 ? axis + xs.ndim : axis;
    const n = xs.shape[a], kk = k(xs, attrs);
    idx = apply1('slice', [idx], { start: idx.shape.map((_, i) => (i === a ? n - kk : 0)), stop: idx.shape }, { dtype: idx.dtype, shape: idx.shape.map((d, i) => (i === a ? kk : d)) });
  }
  return [reshape(scatterAdd(xs, idx, g!, axis), x.shape)];
};

export const shapeRules: Record<string, VjpRule> = {
  sort: sortedGather(),
  topk: sortedGather((_, attrs) => attrs.k as number),
  argsort: ({ primals }) => [zerosLike(primals[0])],
  partition: sortedGather(undefined, true),
  argpartition: ({ primals }) => [zerosLike(primals[0])],
  contiguous: ({ cotangents: [g] }) => [g!],
  // each element of the view reads one of x's: the cotangents add up there
  as_strided: ({ primals: [x], cotangents: [g], attrs }) => {
    const read = apply1('as_strided', [arange(x.size, int32)], attrs, { dtype: int32, shape: g!.shape });
    return [reshape(scatterAdd(reshape(x, [-1]), reshape(read, [-1]), reshape(g!, [-1]), 0), x.shape)];
  },
  cummax: runningExtreme,
  cummin: runningExtreme,
  random_bits: () => [undefined],
  full: ({ primals: [v], cotangents: [g] }) => [unbroadcast(astype(g!, v.dtype), v.shape)],
  // tile: the copies of each element sum back into it
  tile: ({ primals: [x], cotangents: [g], attrs }) => {
    const reps = attrs.reps as number[];
    const nd = Math.max(x.ndim, reps.length);
    const s = [...new Array(nd - x.ndim).fill(1), ...x.shape], r = [...new Array(nd - reps.length).fill(1), ...reps];
    const pairs = reshape(g!, s.flatMap((d, i) => [r[i], d]));
    return [reshape(sum(pairs, s.map((_, i) => 2 * i)), x.shape)];
  },
  repeat: ({ primals: [x], cotangents: [g], attrs }) => {
    const n = attrs.repeats as number;
    if (attrs.axis === undefined) return [reshape(sum(reshape(g!, [x.size, n]), 1), x.shape)];
    const axis = attrs.axis as number;
    const split2 = [...x.shape.slice(0, axis + 1), n, ...x.shape.slice(axis + 1)];
    return [sum(reshape(g!, split2), axis + 1)];
  },
  reshape: back,
  // by axes rather than by reshape, which would fix the shape
  squeeze: ({ cotangents: [g], attrs }) => [expandDims(g!, attrs.axes as number[])],
  expand_dims: ({ cotangents: [g], attrs }) => [squeeze(g!, attrs.axes as number[])],
  flatten: back,
  transpose: ({ cotangents: [g], attrs }) => {
    const perm = attrs.axes as number[];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [transpose(g!, inverse)];
  },
  broadcast_to: ({ primals: [x], cotangents: [g] }) => [unbroadcast(g!, x.shape)],
  concatenate: ({ primals, cotangents: [g], attrs }) => {
    const axis = attrs.axis as number;
    const cuts: number[] = [];
    let at = 0;
    for (const p of primals.slice(0, -1)) cuts.push((at += p.shape[axis]));
    return split(g!, cuts, axis).map((part, i) => astype(part, primals[i].dtype));
  },
  stack: ({ primals, cotangents: [g], attrs }) => {
    const axis = attrs.axis as number;
    return split(g!, primals.length, axis).map((part, i) => reshape(part, primals[i].shape));
  },
  split: ({ primals: [x], cotangents, attrs }) => {
    // unreached outputs contribute zeros of their own size
    const axis = attrs.axis as number;
    const parts = split(zerosLike(x), attrs.indices_or_sections as number | number[], axis);
    return [concatenate(cotangents.map((g, i) => g ?? parts[i]), axis)];
  },
  slice: ({ primals: [x], cotangents: [g], attrs }) => [apply1('slice_update', [zeros(x.shape, x.dtype), g!], attrs, { dtype: x.dtype, shape: x.shape })],
  slice_update: ({ primals: [x, u], cotangents: [g], attrs }) => [
    apply1('slice_update', [g!, zeros([], g!.dtype)], attrs, { dtype: g!.dtype, shape: g!.shape }),
    unbroadcast(apply1('slice', [g!], attrs, { dtype: g!.dtype, shape: sliceShape(x, attrs) }), u.shape),
  ],
  pad: ({ primals: [x], cotangents: [g], attrs }) => {
    const w = attrs.pad_width as number[];
    const pairs = x.shape.map((_, i) => (w.length === 1 ? [w[0], w[0]] : w.length === 2 ? [w[0], w[1]] : [w[2 * i], w[2 * i + 1]]));
    const start = pairs.map((p) => p[0]), stop = pairs.map((p, i) => p[0] + x.shape[i]);
    return [apply1('slice', [g!], { start, stop, strides: start.map(() => 1) }, { dtype: g!.dtype, shape: x.shape })];
  },
  take_along_axis: ({ primals: [x, idx], cotangents: [g], attrs }) => {
    if (attrs.axis === undefined) return [reshape(scatterAdd(reshape(x, [-1]), idx, g!, 0), x.shape), undefined];
    return [scatterAdd(x, idx, g!, attrs.axis as number), undefined];
  },
  take: ({ primals: [x, idx], cotangents: [g], attrs }) => {
    // a take along an axis is a take_along_axis of a broadcast index
    if (attrs.axis === undefined) return [reshape(scatterAdd(reshape(x, [-1]), reshape(idx, [-1]), reshape(g!, [-1]), 0), x.shape), undefined];
    const axis = attrs.axis as number;
    const k = idx.size;
    const before = x.shape.slice(0, axis), after = x.shape.slice(axis + 1);
    const g2 = reshape(g!, [...before, k, ...after]);
    const i2 = reshape(idx, [...before.map(() => 1), k, ...after.map(() => 1)]);
    return [scatterAdd(x, apply1('broadcast_to', [i2], { shape: g2.shape }, { dtype: i2.dtype, shape: g2.shape }), g2, axis), undefined];
  },
  put_along_axis: ({ primals: [x, idx, v], cotangents: [g], attrs }) => {
    if (attrs.reduce !== 'none' && attrs.reduce !== 'add') return [undefined, undefined, undefined];
    const axis = attrs.axis as number;
    const gv = takeAlongAxis(g!, idx, axis);
    const gx = attrs.reduce === 'add' ? g! : putAlongAxis(g!, idx, zeros([], g!.dtype), axis);
    return [gx, undefined, unbroadcast(gv, v.shape)];
  },
};

function sliceShape(x: MxArray, attrs: Record<string, unknown>): number[] {
  const start = attrs.start as number[], stop = attrs.stop as number[], strides = (attrs.strides as number[] | undefined) ?? start.map(() => 1);
  return x.shape.map((n, i) => {
    const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
    const s = strides[i];
    if (s > 0) {
      const b = norm(start[i], 0, n), e = norm(stop[i], 0, n);
      return e > b ? Math.ceil((e - b) / s) : 0;
    }
    const b = norm(start[i], -1, n - 1), e = norm(stop[i], -1, n - 1);
    return b > e ? Math.ceil((b - e) / -s) : 0;
  });
}
