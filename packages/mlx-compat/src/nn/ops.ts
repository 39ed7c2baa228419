// The mlx.core functions the nn layers are composed of, typed, in one place.
export { MxArray } from '../core/array.js';
export type { ArrayLike } from '../core/array.js';
export { MxError } from '../core/errors.js';
export { float32, type Dtype, finfo } from '../core/dtype.js';
export { where, astype } from '../core/ops/elementwise.js';
export { sum, mean, max, logsumexp, variance, softmax } from '../core/ops/reduce.js';
export { reshape, transpose, expandDims, concatenate, stack, split, pad, broadcastTo, squeeze, swapaxes } from '../core/ops/shape.js';
export { zeros, ones, full, zerosLike, onesLike, arange, eye } from '../core/ops/creation.js';
export { take, takeAlongAxis, Slice } from '../core/ops/indexing.js';
export { matmul, addmm } from '../core/ops/linalg.js';
export { clip } from '../core/ops/composite.js';
export * as random from '../core/random.js';
import { binaryOps, unaryOps } from '../core/ops/elementwise.js';

export const { add, subtract, multiply, divide, maximum, minimum, power, logaddexp, greater, less, equal } = binaryOps;
export const { exp, log, sqrt, rsqrt, square, abs, sign, tanh, sigmoid, erf, negative, cos, sin, stopGradient } = unaryOps;
