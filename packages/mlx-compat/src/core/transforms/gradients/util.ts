// Helpers shared by the vjp rules.
import type { MxArray } from '../../array.js';
import { fromValue } from '../../creation-data.js';
import { isTracingShapeless } from '../../graph.js';
import { onesLike, zerosLike } from '../../ops/creation.js';
import { astype, binaryOps } from '../../ops/elementwise.js';
import { sum } from '../../ops/reduce.js';
import { broadcastTo, squeeze } from '../../ops/shape.js';

/** Sums a broadcast cotangent back down to `shape` (with no op that fixes a shape). */
export function unbroadcast(g: MxArray, shape: readonly number[]): MxArray {
  if (g.shape.join() === shape.join()) return g;
  const lead = g.ndim - shape.length;
  const leading = Array.from({ length: lead }, (_, i) => i);
  const ones: number[] = [];
  for (let i = lead; i < g.ndim; i++) if (shape[i - lead] === 1 && g.shape[i] !== 1) ones.push(i);
  const summed = sum(g, [...leading, ...ones], true);
  return lead ? squeeze(summed, leading) : summed;
}

/**
 * `a` broadcast to x's shape. In a shapeless trace, by adding zeros like x,
 * which follow x's shape where broadcast_to would fix it.
 */
export const broadcastLike = (a: MxArray, x: MxArray) => (isTracingShapeless() ? binaryOps.add(a, zerosLike(x)) : broadcastTo(a, x.shape));

/**
 * How many elements of x a reduction over `axes` takes, as an array of like's
 * dtype: a constant, or in a shapeless trace, counted when the graph runs.
 */
export function countOf(x: MxArray, axes: number[], like: MxArray): MxArray {
  if (!isTracingShapeless()) return scalar(axes.reduce((n, a) => n * x.shape[a], 1), like);
  return astype(sum(onesLike(x), axes, true), like.dtype);
}

/** A scalar of the cotangent's dtype (a JS number would promote integers to float32). */
export const scalar = (v: number, like: MxArray) => fromValue(v, like.dtype);
