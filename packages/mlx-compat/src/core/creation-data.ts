// Arrays from JavaScript values: scalars, complex literals, nested lists, TypedArrays.
import type { TypedArray } from 'mlx-capi-bridge';
import { MxArray, Value, type ArrayLike, type Complex, type NestedArray } from './array.js';
import { bool, complex64, float32, float64, int16, int32, int64, int8, isInteger, uint16, uint32, uint64, uint8, type Dtype } from './dtype.js';
import { MxError } from './errors.js';
import { track } from './graph.js';
import { apply1 } from './node.js';
import { describe } from './args.js';

const TYPED: Array<[new (n: number) => TypedArray, Dtype]> = [
  [Float32Array, float32], [Float64Array, float64], [Int8Array, int8], [Int16Array, int16], [Int32Array, int32],
  [Uint8Array, uint8], [Uint16Array, uint16], [Uint32Array, uint32], [BigInt64Array, int64], [BigUint64Array, uint64],
];

/** mx.Complex(re, im = 0): a complex literal, as node-mlx writes one. */
export function Complex(re: number, im = 0): Complex {
  if (typeof re !== 'number' || typeof im !== 'number') throw new MxError('Complex', 're', `expected numbers, got ${describe(re)} and ${describe(im)}`);
  return { re, im };
}

export const isComplex = (v: unknown): v is Complex =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as Complex).re === 'number' && !(v instanceof MxArray) && !ArrayBuffer.isView(v);

function leaf(host: TypedArray, dtype: Dtype, shape: number[]): MxArray {
  const v = new Value(dtype, shape);
  v.host = host;
  return track(v);
}

// Host storage for a dtype that has a TypedArray of its own.
function storage(dtype: Dtype, values: number[]): TypedArray | undefined {
  switch (dtype.name) {
    case 'bool': return Uint8Array.from(values, (v) => (v ? 1 : 0));
    case 'int64': return BigInt64Array.from(values, (v) => BigInt(Math.trunc(v)));
    case 'uint64': return BigUint64Array.from(values, (v) => BigInt(Math.trunc(v)));
    default: {
      const entry = TYPED.find(([, d]) => d === dtype);
      return entry ? (entry[0] as unknown as { from(v: number[]): TypedArray }).from(values) : undefined;
    }
  }
}

function shapeOf(x: NestedArray, path: string, op: string, arg: string): number[] {
  if (!Array.isArray(x)) return [];
  if (x.length === 0) return [0];
  const inner = shapeOf(x[0], `${path}[0]`, op, arg);
  x.forEach((e, i) => {
    const s = shapeOf(e, `${path}[${i}]`, op, arg);
    if (s.join() !== inner.join()) throw new MxError(op, `${arg}${path}[${i}]`, `ragged nesting: shape (${s}) where (${inner}) was expected`);
  });
  return [x.length, ...inner];
}

/**
 * mx.array(value, dtype?): a JS number makes float32, a boolean bool, a
 * Complex complex64. `op` and `arg` name the call a mistake is blamed on.
 */
export function fromValue(x: ArrayLike, dtype?: Dtype, op = 'array', arg = 'value'): MxArray {
  if (x instanceof MxArray) return dtype && dtype !== x.dtype ? apply1('astype', [x], { dtype: dtype.name }, { dtype, shape: x.shape }) : x;
  if (ArrayBuffer.isView(x)) {
    const entry = TYPED.find(([ctor]) => x instanceof ctor);
    if (!entry) throw new MxError(op, arg, `unsupported TypedArray ${x.constructor.name}`);
    // MLX's default float is float32: a Float64Array becomes float32 unless float64 is asked for.
    const own = entry[1];
    const a = leaf((x as TypedArray).slice(), own, [(x as TypedArray).length]);
    const want = dtype ?? (own === float64 ? float32 : own);
    return want === own ? a : fromValue(a, want);
  }
  const shape = shapeOf(x as NestedArray, '', op, arg);
  const flat = (Array.isArray(x) ? (x as unknown[]).flat(Infinity) : [x]) as Array<number | boolean | Complex>;
  let complex = false;
  flat.forEach((v, i) => {
    if (isComplex(v)) complex = true;
    else if (typeof v !== 'number' && typeof v !== 'boolean')
      throw new MxError(op, Array.isArray(x) ? `${arg} (item ${i})` : arg, `expected a number, a boolean or an array, got ${describe(v)}`);
  });
  if (complex || dtype === complex64) {
    if (dtype && dtype !== complex64) throw new MxError(op, 'dtype', `complex values cannot be stored as ${dtype.name}`);
    const pairs = new Float32Array(flat.length * 2);
    flat.forEach((v, i) => {
      pairs[2 * i] = isComplex(v) ? v.re : Number(v);
      pairs[2 * i + 1] = isComplex(v) ? (v.im ?? 0) : 0;
    });
    return leaf(pairs, complex64, shape);
  }
  const natural = flat.length > 0 && flat.every((v) => typeof v === 'boolean') ? bool : float32;
  const target = dtype ?? natural;
  const nums = flat.map(Number);
  if (isInteger(target)) {
    const bad = nums.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new MxError(op, Array.isArray(x) ? `${arg} (item ${bad})` : arg, `${nums[bad]} cannot be stored in ${target.name} (integers are finite)`);
  }
  const direct = storage(target, nums);
  if (direct) return leaf(direct, target, shape);
  // float16 and bfloat16 are rounded by the engine from float32.
  return fromValue(leaf(storage(float32, nums)!, float32, shape), target);
}
