// Arrays from JavaScript values: scalars, nested lists, TypedArrays.
import type { TypedArray } from 'mlx-capi-bridge';
import { MxArray, Value, type ArrayLike, type NestedArray } from './array.js';
import { bool, float32, float64, int16, int32, int64, int8, uint16, uint32, uint64, uint8, type Dtype } from './dtype.js';
import { MxError } from './errors.js';
import { track } from './graph.js';
import { apply1 } from './node.js';

const TYPED: Array<[new (n: number) => TypedArray, Dtype]> = [
  [Float32Array, float32], [Float64Array, float64], [Int8Array, int8], [Int16Array, int16], [Int32Array, int32],
  [Uint8Array, uint8], [Uint16Array, uint16], [Uint32Array, uint32], [BigInt64Array, int64], [BigUint64Array, uint64],
];

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

function shapeOf(x: NestedArray, path: string): number[] {
  if (!Array.isArray(x)) return [];
  if (x.length === 0) return [0];
  const inner = shapeOf(x[0], `${path}[0]`);
  x.forEach((e, i) => {
    const s = shapeOf(e, `${path}[${i}]`);
    if (s.join() !== inner.join()) throw new MxError('array', `value${path}[${i}]`, `ragged nesting: shape (${s}) where (${inner}) was expected`);
  });
  return [x.length, ...inner];
}

/** mx.array(value, dtype?): a JS number makes float32, a boolean makes bool. */
export function fromValue(x: ArrayLike, dtype?: Dtype): MxArray {
  if (x instanceof MxArray) return dtype && dtype !== x.dtype ? apply1('astype', [x], { dtype: dtype.name }, { dtype, shape: x.shape }) : x;
  if (ArrayBuffer.isView(x)) {
    const entry = TYPED.find(([ctor]) => x instanceof ctor);
    if (!entry) throw new MxError('array', 'value', `unsupported TypedArray ${x.constructor.name}`);
    // MLX's default float is float32: a Float64Array becomes float32 unless float64 is asked for.
    const own = entry[1];
    const a = leaf((x as TypedArray).slice(), own, [(x as TypedArray).length]);
    const want = dtype ?? (own === float64 ? float32 : own);
    return want === own ? a : fromValue(a, want);
  }
  const shape = shapeOf(x as NestedArray, '');
  const flat = (Array.isArray(x) ? (x as unknown[]).flat(Infinity) : [x]) as Array<number | boolean>;
  flat.forEach((v, i) => {
    if (typeof v !== 'number' && typeof v !== 'boolean') throw new MxError('array', `value (item ${i})`, `expected a number or boolean, got ${typeof v}`);
  });
  const natural = flat.length > 0 && flat.every((v) => typeof v === 'boolean') ? bool : float32;
  const target = dtype ?? natural;
  const nums = flat.map(Number);
  const direct = storage(target, nums);
  if (direct) return leaf(direct, target, shape);
  // float16, bfloat16 and complex64 are rounded by the engine from float32.
  return fromValue(leaf(storage(float32, nums)!, float32, shape), target);
}
