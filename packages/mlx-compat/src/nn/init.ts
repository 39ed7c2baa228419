// mlx.nn.init: initializers. Each returns a function that takes an array and
// returns a new one of its shape (MLX's formulas; random draws through
// mx.random, so a seed gives MLX's values).
import { type Dtype, MxArray, MxError, eye, float32, full, random } from './ops.js';

export type Initializer = (a: MxArray) => MxArray;

export const constant = (value: number, dtype: Dtype = float32): Initializer => (a) => full(a.shape, value, dtype);

export const normal = (mean = 0.0, std = 1.0, dtype: Dtype = float32): Initializer => (a) => random.normal(a.shape, dtype, mean, std);

export const uniform = (low = 0.0, high = 1.0, dtype: Dtype = float32): Initializer => (a) => random.uniform(low, high, a.shape, dtype);

export const identity = (dtype: Dtype = float32): Initializer => (a) => {
  if (a.ndim !== 2 || a.shape[0] !== a.shape[1]) throw new MxError('init.identity', 'a', `the identity initializer needs a square matrix, got shape (${a.shape})`);
  return eye(a.shape[0], undefined, undefined, dtype);
};

// fan in: the last axis times the receptive field (the axes between the first and last); fan out: the first axis times it
function fans(op: string, a: MxArray): [number, number] {
  if (a.ndim < 2) throw new MxError(op, 'a', `glorot and he initializers need at least 2 dimensions, got shape (${a.shape})`);
  const field = a.shape.slice(1, -1).reduce((p, n) => p * n, 1);
  return [a.shape[a.ndim - 1] * field, a.shape[0] * field];
}

/** MLX's 'fan_in' / 'fan_out', or node-mlx's 'fanIn' / 'fanOut'. */
export type FanMode = 'fan_in' | 'fan_out' | 'fanIn' | 'fanOut';
const fanOf = (op: string, a: MxArray, mode: FanMode) => {
  if (!['fan_in', 'fan_out', 'fanIn', 'fanOut'].includes(mode)) throw new MxError(op, 'mode', `"${mode}" is not fan_in or fan_out`);
  return fans(op, a)[mode === 'fan_in' || mode === 'fanIn' ? 0 : 1];
};

/** glorotNormal(dtype)(a, gain = 1): N(0, gain^2 * 2 / (fanIn + fanOut)). */
export const glorotNormal = (dtype: Dtype = float32) => (a: MxArray, gain = 1.0): MxArray => {
  const [fanIn, fanOut] = fans('init.glorotNormal', a);
  return random.normal(a.shape, dtype).multiply(gain * Math.sqrt(2.0 / (fanIn + fanOut)));
};

/** glorotUniform(dtype)(a, gain = 1): U(-l, l), l = gain * sqrt(6 / (fanIn + fanOut)). */
export const glorotUniform = (dtype: Dtype = float32) => (a: MxArray, gain = 1.0): MxArray => {
  const [fanIn, fanOut] = fans('init.glorotUniform', a);
  const limit = gain * Math.sqrt(6.0 / (fanIn + fanOut));
  return random.uniform(-limit, limit, a.shape, dtype);
};

/** heNormal(dtype)(a, mode = 'fan_in', gain = 1): N(0, gain^2 / fan). */
export const heNormal = (dtype: Dtype = float32) => (a: MxArray, mode: FanMode = 'fan_in', gain = 1.0): MxArray => {
  const fan = fanOf('init.heNormal', a, mode);
  return random.normal(a.shape, dtype).multiply(gain / Math.sqrt(fan));
};

/** heUniform(dtype)(a, mode = 'fan_in', gain = 1): U(-l, l), l = gain * sqrt(3 / fan). */
export const heUniform = (dtype: Dtype = float32) => (a: MxArray, mode: FanMode = 'fan_in', gain = 1.0): MxArray => {
  const limit = gain * Math.sqrt(3.0 / fanOf('init.heUniform', a, mode));
  return random.uniform(-limit, limit, a.shape, dtype);
};
