// Unary and binary elementwise ops, where and astype, under their MLX names.
import { type ArrayLike, MxArray } from '../array.js';
import { bool, complex64, float32, type Dtype, isInteger, promoteTypes, toInexact, uint8 } from '../dtype.js';
import { apply1, asArray, broadcastShapes, NO_ATTRS, operands, sameShape } from '../node.js';
import { checkKernelDtype } from '../registry.js';
import { checkStream, type StreamOrDevice } from '../device.js';
import { describe, dtypeArg, type DtypeLike, intArg } from '../args.js';
import { MxError } from '../errors.js';

/** MLX's snake_case name in camelCase, as a type too. */
export type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
export const camel = <S extends string>(s: S) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as Camel<S>;

type Unary = (a: ArrayLike, stream?: StreamOrDevice) => MxArray;
type Binary = (a: ArrayLike, b: ArrayLike, stream?: StreamOrDevice) => MxArray;

// dtype rules of each op's output
const inexact = (d: Dtype) => toInexact(d);
const same = (d: Dtype) => d;
const predicate = () => bool;

function unary(op: string, rule: (d: Dtype) => Dtype, attrs: (...rest: number[]) => Record<string, unknown> = () => NO_ATTRS) {
  const name = camel(op);
  return (a: ArrayLike, ...rest: unknown[]): MxArray => {
    const x = asArray(a, undefined, name, 'a');
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

type UnaryName = Camel<(typeof INEXACT_UNARY)[number] | (typeof SAME_UNARY)[number] | (typeof PREDICATES)[number]> | 'logicalNot' | 'abs' | 'real' | 'imag' | 'conjugate' | 'conj';
/** The unary ops by name (each one's type is named, so `mx.exp` is declared). */
export const unaryOps = {} as Record<UnaryName, Unary>;
for (const op of INEXACT_UNARY) unaryOps[camel(op)] = unary(op, inexact);
for (const op of SAME_UNARY) unaryOps[camel(op)] = unary(op, same);
for (const op of PREDICATES) unaryOps[camel(op)] = unary(op, predicate);
unaryOps.logicalNot = unary('logical_not', () => bool);
unaryOps.abs = unary('abs', (d) => (d === complex64 ? float32 : d));
unaryOps.real = unary('real', (d) => (d === complex64 ? float32 : d));
unaryOps.imag = unary('imag', (d) => (d === complex64 ? float32 : d));
unaryOps.conjugate = unary('conjugate', same);
unaryOps.conj = unaryOps.conjugate;

const roundOp = unary('round', same, (decimals = 0) => ({ decimals }));

/**
 * round(a, decimals = 0): half to even. An integer array with negative
 * decimals rounds to tens, hundreds, ... as MLX does: scaled in float32,
 * rounded, scaled back and cast to its type.
 */
export function round(a: ArrayLike, decimals?: number | null, stream?: StreamOrDevice): MxArray {
  const x = asArray(a, undefined, 'round', 'a');
  const d = intArg('round', 'decimals', decimals, 0);
  if (!isInteger(x.dtype) || d >= 0) return roundOp(x, d, stream);
  const scaled = binaryOps.multiply(astype(x, float32), 10 ** d, stream);
  return astype(binaryOps.multiply(roundOp(scaled), 10 ** -d), x.dtype);
}

function binary(op: string, result: (d: Dtype) => Dtype, compute: (a: Dtype, b: Dtype) => Dtype = promoteTypes): Binary {
  const name = camel(op);
  return (a, b, stream) => {
    checkStream(name, stream);
    const [x, y] = operands(a, b, name);
    checkKernelDtype(op, name, promoteTypes(x.dtype, y.dtype));
    const xs = x._v.shape, ys = y._v.shape;
    // a value's own shape, or a new one: either way no caller holds it
    const shape = sameShape(xs, ys) ? xs : broadcastShapes(name, xs, ys);
    return apply1(op, [x, y], NO_ATTRS, { dtype: result(compute(x.dtype, y.dtype)), shape, owned: true });
  };
}

const SAME_BINARY = ['add', 'subtract', 'multiply', 'floor_divide', 'remainder', 'power', 'maximum', 'minimum', 'bitwise_and', 'bitwise_or', 'bitwise_xor'] as const;
const INEXACT_BINARY = ['divide', 'logaddexp', 'arctan2'] as const;
const COMPARISONS = ['equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal'] as const;
const LOGICAL = ['logical_and', 'logical_or'] as const;
const SHIFTS = ['left_shift', 'right_shift'] as const;
type BinaryName = Camel<(typeof SAME_BINARY | typeof INEXACT_BINARY | typeof COMPARISONS | typeof LOGICAL | typeof SHIFTS)[number]>;
/** The binary ops by name (each one's type is named, so `mx.add` is declared). */
export const binaryOps = {} as Record<BinaryName, Binary>;
for (const op of SAME_BINARY) binaryOps[camel(op)] = binary(op, same);
for (const op of INEXACT_BINARY) binaryOps[camel(op)] = binary(op, inexact, (a, b) => toInexact(promoteTypes(a, b)));
for (const op of COMPARISONS) binaryOps[camel(op)] = binary(op, predicate);
for (const op of LOGICAL) binaryOps[camel(op)] = binary(op, predicate, () => bool);
for (const op of SHIFTS)
  binaryOps[camel(op)] = binary(op, same, (a, b) => {
    const t = promoteTypes(a, b);
    return t === bool ? uint8 : t;
  });

/** where(condition, x, y): x where condition holds, else y. */
export function where(condition: ArrayLike, x: ArrayLike, y: ArrayLike, stream?: StreamOrDevice): MxArray {
  checkStream('where', stream);
  const c = asArray(condition, undefined, 'where', 'condition');
  const [a, b] = operands(x, y, 'where');
  const shape = broadcastShapes('where', c.shape, a.shape, b.shape);
  return apply1('where', [c, a, b], {}, { dtype: promoteTypes(a.dtype, b.dtype), shape });
}

export function astype(a: ArrayLike, dtype: DtypeLike, stream?: StreamOrDevice): MxArray {
  checkStream('astype', stream);
  const x = asArray(a, undefined, 'astype', 'a');
  const d = dtypeArg('astype', 'dtype', dtype);
  if (!d) throw new MxError('astype', 'dtype', `expected a dtype, got ${describe(dtype)}`);
  if (x.dtype === d) return x;
  return apply1('astype', [x], { dtype: d.name }, { dtype: d, shape: x.shape });
}
