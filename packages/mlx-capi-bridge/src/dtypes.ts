// The engine's dtypes and the TypedArray each one is read into.
export const DTYPES = [
  'bool', 'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64',
  'float16', 'bfloat16', 'float32', 'float64', 'complex64',
] as const;
export type DType = (typeof DTYPES)[number];

export type TypedArray =
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Float32Array | Float64Array;

type Ctor = { new (buffer: ArrayBuffer, offset?: number, length?: number): TypedArray; BYTES_PER_ELEMENT: number };

// float16 and bfloat16 travel as their raw 16 bits; complex64 as (re, im) float pairs.
const STORAGE: Record<DType, Ctor> = {
  bool: Uint8Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
  int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  float16: Uint16Array, bfloat16: Uint16Array, float32: Float32Array, float64: Float64Array, complex64: Float32Array,
};

export function itemSize(dtype: DType): number {
  return dtype === 'complex64' ? 8 : STORAGE[dtype].BYTES_PER_ELEMENT;
}

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && (DTYPES as readonly string[]).includes(s);
}

/** A TypedArray of the dtype's storage over a copy of `bytes`. */
export function typedFromBytes(dtype: DType, bytes: Uint8Array): TypedArray {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return new STORAGE[dtype](copy);
}

export function storageOf(dtype: DType): Ctor {
  return STORAGE[dtype];
}
