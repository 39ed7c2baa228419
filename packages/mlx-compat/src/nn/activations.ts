// The activation functions of mlx.nn and their module forms, with MLX's
// formulas and default arguments.
import { Module } from './layers/base.js';
import {
  type ArrayLike, MxArray, MxError, abs, erf, exp, full, logaddexp, logsumexp, maximum, minimum, multiply, sign, sigmoid as mxSigmoid,
  softmax as mxSoftmax, split, square, tanh as mxTanh, where, greater, subtract, add, negative,
} from './ops.js';
import { asArray } from '../core/node.js';

const arr = (x: ArrayLike) => asArray(x);

export const sigmoid = (x: ArrayLike): MxArray => mxSigmoid(x);
export const tanh = (x: ArrayLike): MxArray => mxTanh(x);
export const relu = (x: ArrayLike): MxArray => maximum(x, 0);
export const relu2 = (x: ArrayLike): MxArray => square(relu(x));
export const relu6 = (x: ArrayLike): MxArray => minimum(maximum(x, 0), 6);
export const leakyRelu = (x: ArrayLike, negativeSlope = 0.01): MxArray => maximum(multiply(negativeSlope, x), x);
export const logSoftmax = (x: ArrayLike, axis = -1): MxArray => subtract(x, logsumexp(x, axis, true));
export const elu = (x: ArrayLike, alpha = 1.0): MxArray => where(greater(x, 0), x, multiply(alpha, subtract(exp(x), 1)));
export const softmax = (x: ArrayLike, axis = -1): MxArray => mxSoftmax(x, axis);
export const softplus = (x: ArrayLike): MxArray => logaddexp(x, 0);
export const softsign = (x: ArrayLike): MxArray => arr(x).divide(add(1, abs(x)));
export const softshrink = (x: ArrayLike, lambd = 0.5): MxArray => where(greater(abs(x), lambd), subtract(x, multiply(sign(x), lambd)), 0);
export const celu = (x: ArrayLike, alpha = 1.0): MxArray => add(maximum(x, 0), multiply(alpha, subtract(exp(minimum(x, 0).divide(alpha)), 1)));
export const silu = (x: ArrayLike): MxArray => multiply(x, mxSigmoid(x));
export const logSigmoid = (x: ArrayLike): MxArray => negative(softplus(negative(x)));
export const gelu = (x: ArrayLike): MxArray => multiply(x, add(1, erf(arr(x).divide(Math.SQRT2)))).divide(2);
export const geluApprox = (x: ArrayLike): MxArray =>
  multiply(multiply(0.5, x), add(1, mxTanh(multiply(Math.sqrt(2 / Math.PI), add(x, multiply(0.044715, arr(x).power(3)))))));
export const geluFastApprox = (x: ArrayLike): MxArray => multiply(x, mxSigmoid(multiply(1.702, x)));
export function glu(x: ArrayLike, axis = -1): MxArray {
  const [a, b] = split(x, 2, axis);
  return multiply(a, mxSigmoid(b));
}
export const step = (x: ArrayLike, threshold = 0.0): MxArray => where(greater(x, threshold), 1, 0);
export const selu = (x: ArrayLike): MxArray => multiply(elu(x, 1.67326), 1.0507);
export const prelu = (x: ArrayLike, alpha: ArrayLike): MxArray => add(maximum(0, x), multiply(alpha, minimum(0, x)));
export const mish = (x: ArrayLike): MxArray => multiply(x, mxTanh(softplus(x)));
export const hardswish = (x: ArrayLike): MxArray => multiply(x, minimum(maximum(add(x, 3), 0), 6)).divide(6);
export const hardTanh = (x: ArrayLike, minVal = -1.0, maxVal = 1.0): MxArray => minimum(maximum(x, minVal), maxVal);
export const hardShrink = (x: ArrayLike, lambd = 0.5): MxArray => where(greater(abs(x), lambd), x, 0);
export const softmin = (x: ArrayLike, axis = -1): MxArray => mxSoftmax(negative(x), axis);

// Module forms: each holds its arguments and applies its function.
export class Sigmoid extends Module {
  forward(x: ArrayLike) { return sigmoid(x); }
}
export class Tanh extends Module {
  forward(x: ArrayLike) { return tanh(x); }
}
export class ReLU extends Module {
  forward(x: ArrayLike) { return relu(x); }
}
export class ReLU2 extends Module {
  forward(x: ArrayLike) { return relu2(x); }
}
export class ReLU6 extends Module {
  forward(x: ArrayLike) { return relu6(x); }
}
export class LeakyReLU extends Module {
  constructor(public negativeSlope = 0.01) { super(); }
  forward(x: ArrayLike) { return leakyRelu(x, this.negativeSlope); }
}
export class ELU extends Module {
  constructor(public alpha = 1.0) { super(); }
  forward(x: ArrayLike) { return elu(x, this.alpha); }
}
export class CELU extends Module {
  constructor(public alpha = 1.0) { super(); }
  forward(x: ArrayLike) { return celu(x, this.alpha); }
}
export class SELU extends Module {
  forward(x: ArrayLike) { return selu(x); }
}
export class SiLU extends Module {
  forward(x: ArrayLike) { return silu(x); }
}
export class Mish extends Module {
  forward(x: ArrayLike) { return mish(x); }
}
export class Softmax extends Module {
  forward(x: ArrayLike) { return softmax(x); }
}
export class Softmin extends Module {
  forward(x: ArrayLike) { return softmin(x); }
}
export class Softplus extends Module {
  forward(x: ArrayLike) { return softplus(x); }
}
export class Softsign extends Module {
  forward(x: ArrayLike) { return softsign(x); }
}
export class Softshrink extends Module {
  constructor(public lambd = 0.5) { super(); }
  forward(x: ArrayLike) { return softshrink(x, this.lambd); }
}
export class HardShrink extends Module {
  constructor(public lambd = 0.5) { super(); }
  forward(x: ArrayLike) { return hardShrink(x, this.lambd); }
}
export class HardTanh extends Module {
  forward(x: ArrayLike) { return hardTanh(x); }
}
export class Hardswish extends Module {
  forward(x: ArrayLike) { return hardswish(x); }
}
export class LogSoftmax extends Module {
  forward(x: ArrayLike) { return logSoftmax(x); }
}
export class LogSigmoid extends Module {
  forward(x: ArrayLike) { return logSigmoid(x); }
}
export class Step extends Module {
  constructor(public threshold = 0.0) { super(); }
  forward(x: ArrayLike) { return step(x, this.threshold); }
}
export class GLU extends Module {
  constructor(public axis = -1) { super(); }
  forward(x: ArrayLike) { return glu(x, this.axis); }
}
/** PReLU(numParameters = 1, init = 0.25): a learned slope per channel. */
export class PReLU extends Module {
  weight: MxArray;
  constructor(numParameters = 1, init = 0.25) {
    super();
    this.weight = full([numParameters], init);
  }
  forward(x: ArrayLike) { return prelu(x, this.weight); }
}
const GELU_APPROX = { none: gelu, precise: geluApprox, tanh: geluApprox, fast: geluFastApprox } as const;
/** GELU(approx = 'none' | 'precise' | 'tanh' | 'fast'). */
export class GELU extends Module {
  #fn: (x: ArrayLike) => MxArray;
  constructor(approx: keyof typeof GELU_APPROX = 'none') {
    super();
    if (!(approx in GELU_APPROX)) throw new MxError('GELU', 'approx', `"${approx}" is not one of ${Object.keys(GELU_APPROX).join(', ')}`);
    this.#fn = GELU_APPROX[approx];
  }
  forward(x: ArrayLike) { return this.#fn(x); }
}
