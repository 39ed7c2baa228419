// Checking and reading the arguments of facade calls: each mistake raises
// MxError at the call, naming the op and the argument and saying what was
// expected. null and undefined mean "the default" for every optional argument.
import { ALL_DTYPES, Dtype, type DtypeName } from './dtype.js';
import { MxError } from './errors.js';

/** A dtype, or its MLX name as a string ('float32', 'int8', 'bool_', ...). */
export type DtypeLike = Dtype | DtypeName | 'bool_';

const BY_NAME = new Map<string, Dtype>([...ALL_DTYPES.map((d) => [d.name as string, d] as const), ['bool_', ALL_DTYPES[0]]]);

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return (v as object).constructor?.name ?? typeof v;
};
export { show as describe };

/** The dtype an argument names; `fallback` when it is absent. */
export function dtypeArg(op: string, arg: string, d: unknown, fallback: Dtype): Dtype;
export function dtypeArg(op: string, arg: string, d: unknown): Dtype | undefined;
export function dtypeArg(op: string, arg: string, d: unknown, fallback?: Dtype): Dtype | undefined {
  if (d === undefined || d === null) return fallback;
  if (d instanceof Dtype) return d;
  if (typeof d === 'string' && BY_NAME.has(d)) return BY_NAME.get(d)!;
  throw new MxError(op, arg, `expected a dtype (mx.float32, or a name such as 'float32'), got ${show(d)}`);
}

/** An integer argument (an axis, a count, an offset). */
export function intArg(op: string, arg: string, v: unknown, fallback?: number): number {
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new MxError(op, arg, `expected an integer, got ${show(v)}`);
  return v;
}

/** A finite number argument. */
export function numArg(op: string, arg: string, v: unknown, fallback?: number): number {
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new MxError(op, arg, `expected a number, got ${show(v)}`);
  return v;
}

export function boolArg(op: string, arg: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new MxError(op, arg, `expected a boolean, got ${show(v)}`);
  return v;
}

/** A shape: a non-negative integer or a list of them. */
export function shapeArg(op: string, shape: unknown, arg = 'shape'): number[] {
  const s = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(s) || s.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0))
    throw new MxError(op, arg, `expected a shape (a non-negative integer or a list of them), got ${show(shape)}`);
  // A copy of small integers built by push: the caller's list may hold
  // doubles (a literal beside a fraction: [n, 0.01] stores n as one) or
  // change later, and the code comparing shapes each step (request plans,
  // retrace) was deoptimized by each new kind of array it met.
  const out: number[] = [];
  for (const d of s as number[]) out.push(d <= 0x3fffffff ? d | 0 : d);
  return out;
}

/** An axis or a list of axes (integers); null or undefined for all. */
export function axesArg(op: string, v: unknown, arg = 'axis'): number | number[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (Array.isArray(v) && v.every((a) => typeof a === 'number' && Number.isInteger(a))) return v as number[];
  throw new MxError(op, arg, `expected an integer axis or a list of them, got ${show(v)}`);
}
