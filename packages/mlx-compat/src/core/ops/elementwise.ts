// Unary and binary elementwise ops, where and astype, under their MLX names.
import { type ArrayLike, MxArray } from '../array.js';
import { bool, complex64, float32, type Dtype, promoteTypes, toInexact, uint8 } from '../dtype.js';
import { apply1, asArray, broadcastShapes, NO_ATTRS, operands, sameShape } from '../node.js';
import { checkKernelDtype } from '../registry.js';
import { checkStream, type StreamOrDevice } from '../device.js';

export const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

type Unary = (a: ArrayLike, stream?: StreamOrDevice) => MxArray;
type Binary = (a: ArrayLike, b: ArrayLike, stream?: StreamOrDevice) => MxArray;

// dtype rules of each op's output
const inexact = (d: Dtype) => toInexact(d);
const same = (d: Dtype) => d;
const predicate = () => bool;

function unary(op: string, rule: (d: Dtype) => Dtype, attrs: (...rest: number[]) => Record<string, unknown> = () => NO_ATTRS) {
  const name = camel(op);
  return (a: ArrayLike, ...rest: unknown[]): MxArray => {
    const x = asArray(a);
    const nums = rest.filter((r) => typeof r === 'number') as number[];
    checkStream(name, rest.find((r) => typeof r === 'object') as StreamOrDevice | undefined);
    checkKernelDtype(op, name, x.dtype);
    return apply1(op, [x], attrs(...nums), { dtype: rule(x.dtype), shape: x._v.shape, owned: true });
  };
}

const INEXACT_UNARY = [
  'exp', 'log', 'sqrt', 'rsqrt', 'reciprocal', 'expm1', 'log1p', 'log2', 'log10', 'sin', 'cos', 'tan', 'arcsin', 'arccos',
  'arctan', 'sinh', 'cosh', 'tanh', 'arcsinh', 'arccosh', 'arctanh', 'sigmoid', 'erf', 'erfinv', 'degrees', 'radians',
] as const;
const SAME_UNARY = ['negative', 'square', 'sign', 'floor', 'ceil', 'stop_gradient', 'bitwise_invert'] as const;
const PREDICATES = ['isnan', 'isinf', 'isposinf', 'isneginf', 'isfinite'] as const;

export const unaryOps: Record<string, Unary> = {};
for (const op of INEXACT_UNARY) unaryOps[camel(op)] = unary(op, inexact);
for (const op of SAME_UNARY) unaryOps[camel(op)] = unary(op, same);
for (const op of PREDICATES) unaryOps[camel(op)] = unary(op, predicate);
unaryOps.logicalNot = unary('logical_not', () => bool);
unaryOps.abs = unary('abs', (d) => (d === complex64 ? float32 : d));

/** round(a, decimals = 0): half to even. */
export const round = unary('round', same, (decimals = 0) => ({ decimals })) as (a: ArrayLike, decimals?: number, stream?: StreamOrDevice) => MxArray;

function binary(op: string, result: (d: Dtype) => Dtype, compute: (a: Dtype, b: Dtype) => Dtype = promoteTypes): Binary {
  const name = camel(op);
  return (a, b, stream) => {
    checkStream(name, stream);
    const [x, y] = operands(a, b);
    checkKernelDtype(op, name, promoteTypes(x.dtype, y.dtype));
    const xs = x._v.shape, ys = y._v.shape;
    // a value's own shape, or a new one: either way no caller holds it
    const shape = sameShape(xs, ys) ? xs : broadcastShapes(name, xs, ys);
    return apply1(op, [x, y], NO_ATTRS, { dtype: result(compute(x.dtype, y.dtype)), shape, owned: true });
  };
}

export const binaryOps: Record<string, Binary> = {};
for (const op of ['add', 'subtract', 'multiply', 'floor_divide', 'remainder', 'power', 'maximum', 'minimum', 'bitwise_and', 'bitwise_or', 'bitwise_xor'])
  binaryOps[camel(op)] = binary(op, same);
for (const op of ['divide', 'logaddexp', 'arctan2']) binaryOps[camel(op)] = binary(op, inexact, (a, b) => toInexact(promoteTypes(a, b)));
for (const op of ['equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal']) binaryOps[camel(op)] = binary(op, predicate);
for (const op of ['logical_and', 'logical_or']) binaryOps[camel(op)] = binary(op, predicate, () => bool);
for (const op of ['left_shift', 'right_shift'])
  binaryOps[camel(op)] = binary(op, same, (a, b) => {
    const t = promoteTypes(a, b);
    return t === bool ? uint8 : t;
  });

/** where(condition, x, y): x where condition holds, else y. */
export function where(condition: ArrayLike, x: ArrayLike, y: ArrayLike, stream?: StreamOrDevice): MxArray {
  checkStream('where', stream);
  const c = asArray(condition);
  const [a, b] = operands(x, y);
  const shape = broadcastShapes('where', c.shape, a.shape, b.shape);
  return apply1('where', [c, a, b], {}, { dtype: promoteTypes(a.dtype, b.dtype), shape });
}

export function astype(a: ArrayLike, dtype: Dtype, stream?: StreamOrDevice): MxArray {
  checkStream('astype', stream);
  const x = asArray(a);
  if (x.dtype === dtype) return x;
  return apply1('astype', [x], { dtype: dtype.name }, { dtype, shape: x.shape });
}
