// vjp rules of elementwise ops. Comparisons, rounding and bit ops have no
// gradient (they are piecewise constant): their inputs get zeros.
import type { MxArray } from '../../array.js';
import { complex64, isInexact } from '../../dtype.js';
import { Complex, fromValue } from '../../creation-data.js';
import { astype, binaryOps, unaryOps, where } from '../../ops/elementwise.js';
import { zerosLike } from '../../ops/creation.js';
import type { VjpRule } from './index.js';
import { scalar, unbroadcast } from './util.js';

const { add, subtract, multiply, divide, greaterEqual, less, power, equal } = binaryOps;
const { negative, exp, cos, sin, sign, square, log, floor } = unaryOps;

// A unary rule from d(out)/d(x) as a function of x and out.
const unary = (derivative: (x: MxArray, out: MxArray) => MxArray): VjpRule => ({ primals: [x], outputs: [out], cotangents: [g] }) => [multiply(g!, derivative(x, out))];

// A binary rule from the two partial cotangents, before unbroadcasting.
const binary = (partials: (g: MxArray, x: MxArray, y: MxArray, out: MxArray) => [MxArray, MxArray]): VjpRule => ({ primals: [x, y], outputs: [out], cotangents: [g] }) => {
  const [gx, gy] = partials(g!, x, y, out);
  return [unbroadcast(gx, x.shape), unbroadcast(gy, y.shape)];
};

const zeroRule: VjpRule = ({ primals }) => primals.map((p) => zerosLike(p));

export const elementwiseRules: Record<string, VjpRule> = {
  negative: ({ cotangents: [g] }) => [negative(g!)],
  exp: unary((_, out) => out),
  expm1: unary((_, out) => add(out, scalar(1, out))),
  log: unary((x) => unaryOps.reciprocal(x)),
  log1p: unary((x) => unaryOps.reciprocal(add(x, scalar(1, x)))),
  log2: unary((x) => unaryOps.reciprocal(multiply(x, scalar(Math.LN2, x)))),
  log10: unary((x) => unaryOps.reciprocal(multiply(x, scalar(Math.LN10, x)))),
  sin: unary((x) => cos(x)),
  cos: unary((x) => negative(sin(x))),
  tan: unary((_, out) => add(scalar(1, out), square(out))),
  tanh: unary((_, out) => subtract(scalar(1, out), square(out))),
  sinh: unary((x) => unaryOps.cosh(x)),
  cosh: unary((x) => unaryOps.sinh(x)),
  arcsin: unary((x) => unaryOps.rsqrt(subtract(scalar(1, x), square(x)))),
  arccos: unary((x) => negative(unaryOps.rsqrt(subtract(scalar(1, x), square(x))))),
  arctan: unary((x) => unaryOps.reciprocal(add(scalar(1, x), square(x)))),
  arcsinh: unary((x) => unaryOps.rsqrt(add(square(x), scalar(1, x)))),
  arccosh: unary((x) => unaryOps.rsqrt(subtract(square(x), scalar(1, x)))),
  arctanh: unary((x) => unaryOps.reciprocal(subtract(scalar(1, x), square(x)))),
  sigmoid: unary((_, out) => multiply(out, subtract(scalar(1, out), out))),
  sqrt: unary((_, out) => divide(scalar(0.5, out), out)),
  rsqrt: unary((x, out) => multiply(scalar(-0.5, out), divide(out, x))),
  reciprocal: unary((_, out) => negative(square(out))),
  square: unary((x) => multiply(scalar(2, x), x)),
  abs: unary((x) => sign(x)),
  // MLX's: real's cotangent as complex, imag's times -i, conjugate's conjugated
  real: ({ primals: [x], cotangents: [g] }) => [x.dtype === complex64 ? astype(g!, complex64) : g!],
  imag: ({ primals: [x], cotangents: [g] }) => [x.dtype === complex64 ? multiply(astype(g!, complex64), fromValue(Complex(0, -1), complex64)) : zerosLike(x)],
  conjugate: ({ cotangents: [g] }) => [unaryOps.conjugate(g!)],
  erf: unary((x) => multiply(scalar(2 / Math.sqrt(Math.PI), x), exp(negative(square(x))))),
  erfinv: unary((_, out) => multiply(scalar(Math.sqrt(Math.PI) / 2, out), exp(square(out)))),
  degrees: unary((x) => scalar(180 / Math.PI, x)),
  radians: unary((x) => scalar(Math.PI / 180, x)),
  astype: ({ primals: [x], cotangents: [g] }) => [isInexact(x.dtype) ? astype(g!, x.dtype) : zerosLike(x)],
  stop_gradient: zeroRule,
  add: binary((g) => [g, g]),
  subtract: binary((g) => [g, negative(g)]),
  multiply: binary((g, x, y) => [multiply(g, y), multiply(g, x)]),
  divide: binary((g, x, y) => [divide(g, y), negative(divide(multiply(g, x), square(y)))]),
  power: binary((g, x, y, out) => [
    multiply(g, multiply(y, power(x, subtract(y, scalar(1, y))))),
    // d/dy x^y = x^y log x, taken as 0 where x = 0
    multiply(g, where(equal(x, scalar(0, x)), scalar(0, out), multiply(out, log(x)))),
  ]),
  // ties send the cotangent to the first operand, as MLX does
  maximum: binary((g, x, y) => {
    const first = greaterEqual(x, y);
    return [where(first, g, scalar(0, g)), where(first, scalar(0, g), g)];
  }),
  minimum: binary((g, x, y) => {
    const first = less(y, x);
    return [where(first, scalar(0, g), g), where(first, g, scalar(0, g))];
  }),
  // remainder(x, y) = x - floor(x / y) * y
  remainder: binary((g, x, y) => [g, negative(multiply(g, floor(divide(x, y))))]),
  logaddexp: binary((g, x, y, out) => [multiply(g, exp(subtract(x, out))), multiply(g, exp(subtract(y, out)))]),
  arctan2: binary((g, y, x) => {
    const denom = add(square(x), square(y));
    return [multiply(g, divide(x, denom)), negative(multiply(g, divide(y, denom)))];
  }),
  where: ({ primals: [c, x, y], cotangents: [g] }) => [
    zerosLike(c),
    unbroadcast(where(c, g!, scalar(0, g!)), x.shape),
    unbroadcast(where(c, scalar(0, g!), g!), y.shape),
  ],
};

for (const op of ['zeros_like', 'ones_like', 'sign', 'floor', 'ceil', 'round', 'isnan', 'isinf', 'isposinf', 'isneginf', 'isfinite', 'logical_not', 'bitwise_invert',
  'equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal', 'logical_and', 'logical_or', 'floor_divide',
  'bitwise_and', 'bitwise_or', 'bitwise_xor', 'left_shift', 'right_shift'])
  elementwiseRules[op] = zeroRule;
