// Creation ops: zeros, ones, full, arange, linspace, eye, identity, tri and the *Like forms.
import { type ArrayLike, MxArray } from '../array.js';
import { float32, type Dtype } from '../dtype.js';
import { MxError } from '../errors.js';
import { apply1, asArray, broadcastShapes } from '../node.js';
import { checkStream, type StreamOrDevice } from '../device.js';
import { fromValue } from '../creation-data.js';
import { isTracingShapeless } from '../graph.js';

const shapeArg = (op: string, shape: number | number[]) => {
  const s = typeof shape === 'number' ? [shape] : shape;
  if (s.some((d) => !Number.isInteger(d) || d < 0)) throw new MxError(op, 'shape', `(${s}) is not a shape`);
  return s;
};

export const array = (value: ArrayLike, dtype?: Dtype): MxArray => fromValue(value, dtype);

export function zeros(shape: number | number[], dtype: Dtype = float32, stream?: StreamOrDevice): MxArray {
  checkStream('zeros', stream);
  const s = shapeArg('zeros', shape);
  return apply1('zeros', [], { shape: s, dtype: dtype.name }, { dtype, shape: s });
}

export function ones(shape: number | number[], dtype: Dtype = float32, stream?: StreamOrDevice): MxArray {
  checkStream('ones', stream);
  const s = shapeArg('ones', shape);
  return apply1('ones', [], { shape: s, dtype: dtype.name }, { dtype, shape: s });
}

export function full(shape: number | number[], vals: ArrayLike, dtype?: Dtype, stream?: StreamOrDevice): MxArray {
  checkStream('full', stream);
  const s = shapeArg('full', shape);
  const v = asArray(vals);
  if (v.ndim > s.length || broadcastShapes('full', v.shape, s).join() !== s.join())
    throw new MxError('full', 'vals', `shape (${v.shape}) does not broadcast to (${s})`);
  const d = dtype ?? v.dtype;
  return apply1('full', [v], dtype ? { shape: s, dtype: d.name } : { shape: s }, { dtype: d, shape: s });
}

// zeros(x.shape), which does not need x computed; in a shapeless compile's
// trace, the engine's zeros_like, which follows x's shape instead of fixing it.
function filledLike(op: 'zeros_like' | 'ones_like', a: ArrayLike, stream?: StreamOrDevice): MxArray {
  checkStream(op === 'zeros_like' ? 'zerosLike' : 'onesLike', stream);
  const x = asArray(a);
  if (!isTracingShapeless()) return op === 'zeros_like' ? zeros(x.shape, x.dtype) : ones(x.shape, x.dtype);
  return apply1(op, [x], {}, { dtype: x.dtype, shape: x.shape });
}
export const zerosLike = (a: ArrayLike, stream?: StreamOrDevice) => filledLike('zeros_like', a, stream);
export const onesLike = (a: ArrayLike, stream?: StreamOrDevice) => filledLike('ones_like', a, stream);

/** arange(stop), arange(start, stop), arange(start, stop, step); a dtype may end any form. */
export function arange(...args: Array<number | Dtype | StreamOrDevice | undefined>): MxArray {
  const nums = args.filter((a): a is number => typeof a === 'number');
  const dtype = (args.find((a) => a instanceof Object && 'category' in a) as Dtype | undefined) ?? float32;
  const [start, stop, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  if (nums.length === 0 || nums.length > 3) throw new MxError('arange', 'arguments', 'takes stop, or start and stop, or start, stop and step');
  if (step === 0 || ![start, stop, step].every(Number.isFinite)) throw new MxError('arange', 'step', 'needs finite bounds and a non-zero step');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return apply1('arange', [], { start, stop, step, dtype: dtype.name }, { dtype, shape: [n] });
}

export function linspace(start: number, stop: number, num = 50, dtype: Dtype = float32, stream?: StreamOrDevice): MxArray {
  checkStream('linspace', stream);
  if (!Number.isInteger(num) || num < 0) throw new MxError('linspace', 'num', `${num} is not a count`);
  return apply1('linspace', [], { start, stop, num, dtype: dtype.name }, { dtype, shape: [num] });
}

function matrix(op: 'eye' | 'tri') {
  return (n: number, m?: number | null, k = 0, dtype: Dtype = float32, stream?: StreamOrDevice): MxArray => {
    checkStream(op, stream);
    const cols = m ?? n;
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(cols) || cols < 0) throw new MxError(op, 'n', 'n and m are non-negative integers');
    return apply1(op, [], { n, m: cols, k, dtype: dtype.name }, { dtype, shape: [n, cols] });
  };
}
export const eye = matrix('eye');
export const tri = matrix('tri');

export function identity(n: number, dtype: Dtype = float32, stream?: StreamOrDevice): MxArray {
  return eye(n, n, 0, dtype, stream);
}

