// Helpers shared by the vjp rules.
import type { MxArray } from '../../array.js';
import { fromValue } from '../../creation-data.js';
import { sum } from '../../ops/reduce.js';
import { reshape } from '../../ops/shape.js';

/** Sums a broadcast cotangent back down to `shape`. */
export function unbroadcast(g: MxArray, shape: readonly number[]): MxArray {
  if (g.shape.join() === shape.join()) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || shape[i - lead] === 1) axes.push(i);
  return reshape(sum(g, axes, true), [...shape]);
}

/** A scalar of the cotangent's dtype (a JS number would promote integers to float32). */
export const scalar = (v: number, like: MxArray) => fromValue(v, like.dtype);
