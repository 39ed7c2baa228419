// vjp rules of reductions, scans and softmax.
import type { MxArray } from '../../array.js';
import { binaryOps, unaryOps, where } from '../../ops/elementwise.js';
import { zerosLike } from '../../ops/creation.js';
import { cumsum, sum } from '../../ops/reduce.js';
import { expandDims, reshape } from '../../ops/shape.js';
import type { VjpRule } from './index.js';
import { broadcastLike, countOf, scalar } from './util.js';

const { multiply, divide, subtract, equal } = binaryOps;

// A reduced value with its reduced axes back, as size 1: it broadcasts
// against the input (with no op that fixes a shape).
const kept = (g: MxArray, axes: number[], keepdims: boolean) => (keepdims ? g : expandDims(g, axes));

const axesOf = (attrs: Record<string, unknown>, x: MxArray) => (attrs.axes as number[] | undefined) ?? x.shape.map((_, i) => i);

// max and min: the cotangent goes to every element equal to the extreme, shared among ties.
const extreme: VjpRule = ({ primals: [x], outputs: [out], cotangents: [g], attrs }) => {
  const axes = axesOf(attrs, x), keep = attrs.keepdims as boolean;
  const hit = unaryOps.stopGradient(where(equal(x, kept(out, axes, keep)), scalar(1, x), scalar(0, x)));
  const count = sum(hit, axes, true);
  return [multiply(kept(g!, axes, keep), divide(hit, count))];
};

// var and std: d var / dx = 2 (x - mean) / (n - ddof), over the reduced axes.
function centeredOver(x: MxArray, axes: number[], ddof: number) {
  const n = countOf(x, axes, x);
  return { centered: subtract(x, divide(sum(x, axes, true), n)), dof: subtract(n, scalar(ddof, x)) };
}

export const reductionRules: Record<string, VjpRule> = {
  sum: ({ primals: [x], cotangents: [g], attrs }) => {
    const axes = axesOf(attrs, x);
    return [broadcastLike(kept(g!, axes, attrs.keepdims as boolean), x)];
  },
  mean: ({ primals: [x], cotangents: [g], attrs }) => {
    const axes = axesOf(attrs, x);
    return [broadcastLike(divide(kept(g!, axes, attrs.keepdims as boolean), countOf(x, axes, g!)), x)];
  },
  max: extreme,
  min: extreme,
  prod: ({ primals: [x], outputs: [out], cotangents: [g], attrs }) => {
    const axes = axesOf(attrs, x), keep = attrs.keepdims as boolean;
    return [divide(multiply(kept(g!, axes, keep), kept(out, axes, keep)), x)];
  },
  logsumexp: ({ primals: [x], outputs: [out], cotangents: [g], attrs }) => {
    const axes = axesOf(attrs, x), keep = attrs.keepdims as boolean;
    return [multiply(kept(g!, axes, keep), unaryOps.exp(subtract(x, kept(out, axes, keep))))];
  },
  var: ({ primals: [x], cotangents: [g], attrs }) => {
    const axes = axesOf(attrs, x), { centered, dof } = centeredOver(x, axes, attrs.ddof as number);
    return [multiply(kept(g!, axes, attrs.keepdims as boolean), divide(multiply(scalar(2, x), centered), dof))];
  },
  std: ({ primals: [x], outputs: [out], cotangents: [g], attrs }) => {
    const axes = axesOf(attrs, x), keep = attrs.keepdims as boolean, { centered, dof } = centeredOver(x, axes, attrs.ddof as number);
    return [multiply(divide(kept(g!, axes, keep), kept(out, axes, keep)), divide(centered, dof))];
  },
  // the cotangent of a cumulative sum is the cumulative sum the other way
  cumsum: ({ primals: [x], cotangents: [g], attrs }) => {
    if (attrs.axis === undefined) return [reshape(cumsum(g!, 0, !attrs.reverse, attrs.inclusive as boolean), x.shape)];
    return [cumsum(g!, attrs.axis as number, !attrs.reverse, attrs.inclusive as boolean)];
  },
  softmax: ({ outputs: [out], cotangents: [g], attrs }) => {
    const axes = attrs.axes as number[];
    const dot = sum(multiply(g!, out), axes, true);
    return [multiply(out, subtract(g!, dot))];
  },
  argmax: ({ primals }) => primals.map((p) => zerosLike(p)),
  argmin: ({ primals }) => primals.map((p) => zerosLike(p)),
};

// Scans with closed forms over a reverse cumulative sum. Inclusive forward
// scans only; other variants have no rule (a typed error, not a wrong answer).
function scanAxis(attrs: Record<string, unknown>, x: MxArray): number | undefined {
  if (attrs.reverse || attrs.inclusive === false) return undefined;
  return attrs.axis === undefined ? -1 : (attrs.axis as number);
}
const flatIfNoAxis = (attrs: Record<string, unknown>, a: MxArray) => (attrs.axis === undefined ? reshape(a, [-1]) : a);

export const scanRules: Record<string, VjpRule> = {
  // d y_i / d x_j = y_i / x_j for j <= i
  cumprod: ({ primals: [x], outputs: [out], cotangents: [g], attrs }) => {
    const axis = scanAxis(attrs, x);
    if (axis === undefined) return [undefined];
    const xs = flatIfNoAxis(attrs, x);
    return [reshape(divide(cumsum(multiply(g!, out), axis, true, true), xs), x.shape)];
  },
  // d y_i / d x_j = exp(x_j - y_i) for j <= i
  logcumsumexp: ({ primals: [x], outputs: [out], cotangents: [g], attrs }) => {
    const axis = scanAxis(attrs, x);
    if (axis === undefined) return [undefined];
    const xs = flatIfNoAxis(attrs, x);
    return [reshape(multiply(unaryOps.exp(xs), cumsum(multiply(g!, unaryOps.exp(unaryOps.negative(out))), axis, true, true)), x.shape)];
  },
};
