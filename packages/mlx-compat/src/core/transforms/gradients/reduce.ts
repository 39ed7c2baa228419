// vjp rules of reductions, scans and softmax.
import type { MxArray } from '../../array.js';
import { binaryOps, unaryOps, where } from '../../ops/elementwise.js';
import { zerosLike } from '../../ops/creation.js';
import { cumsum, sum } from '../../ops/reduce.js';
import { broadcastTo, reshape } from '../../ops/shape.js';
import type { VjpRule } from './index.js';
import { scalar } from './util.js';

const { multiply, divide, subtract, equal } = binaryOps;

// A reduced cotangent put back in the input's shape (axes kept as size 1 first).
function expandBack(g: MxArray, x: MxArray, axes: number[], keepdims: boolean): MxArray {
  const kept = keepdims ? g : reshape(g, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  return broadcastTo(kept, x.shape);
}

const countOf = (x: MxArray, axes: number[]) => axes.reduce((n, a) => n * x.shape[a], 1);
const axesOf = (attrs: Record<string, unknown>, x: MxArray) => (attrs.axes as number[] | undefined) ?? x.shape.map((_, i) => i);

// max and min: the cotangent goes to every element equal to the extreme, shared among ties.
const extreme: VjpRule = ({ primals: [x], outputs: [out], cotangents: [g], attrs }) => {
  const axes = axesOf(attrs, x), keep = attrs.keepdims as boolean;
  const hit = unaryOps.stopGradient(where(equal(x, expandBack(out, x, axes, keep)), scalar(1, x), scalar(0, x)));
  const count = sum(hit, axes, true);
  return [multiply(expandBack(g!, x, axes, keep), divide(hit, count))];
};

export const reductionRules: Record<string, VjpRule> = {
  sum: ({ primals: [x], cotangents: [g], attrs }) => [expandBack(g!, x, axesOf(attrs, x), attrs.keepdims as boolean)],
  mean: ({ primals: [x], cotangents: [g], attrs }) => {
    const axes = axesOf(attrs, x);
    return [divide(expandBack(g!, x, axes, attrs.keepdims as boolean), scalar(countOf(x, axes), g!))];
  },
  max: extreme,
  min: extreme,
  prod: ({ primals: [x], outputs: [out], cotangents: [g], attrs }) => {
    const axes = axesOf(attrs, x), keep = attrs.keepdims as boolean;
    return [divide(multiply(expandBack(g!, x, axes, keep), expandBack(out, x, axes, keep)), x)];
  },
  logsumexp: ({ primals: [x], outputs: [out], cotangents: [g], attrs }) => {
    const axes = axesOf(attrs, x), keep = attrs.keepdims as boolean;
    return [multiply(expandBack(g!, x, axes, keep), unaryOps.exp(subtract(x, expandBack(out, x, axes, keep))))];
  },
  var: ({ primals: [x], cotangents: [g], attrs }) => {
    const axes = axesOf(attrs, x), n = countOf(x, axes) - (attrs.ddof as number);
    const centered = subtract(x, divide(sum(x, axes, true), scalar(countOf(x, axes), x)));
    return [multiply(expandBack(g!, x, axes, attrs.keepdims as boolean), multiply(scalar(2 / n, x), centered))];
  },
  std: ({ primals: [x], outputs: [out], cotangents: [g], attrs }) => {
    const axes = axesOf(attrs, x), keep = attrs.keepdims as boolean, n = countOf(x, axes) - (attrs.ddof as number);
    const centered = subtract(x, divide(sum(x, axes, true), scalar(countOf(x, axes), x)));
    return [multiply(divide(expandBack(g!, x, axes, keep), expandBack(out, x, axes, keep)), multiply(scalar(1 / n, x), centered))];
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
