// The lazy array: a graph node until evaluated, then a resident handle in the
// engine. Shape and dtype are known at construction.
import type { TypedArray } from 'mlx-capi-bridge';
import { type Dtype } from './dtype.js';
import { evalArrays, readBack } from './graph.js';
import { formatArray } from './print.js';

/** One op application; arrays that are its outputs point at it. */
export interface GraphNode {
  id: number;
  op: string;
  inputs: MxArray[];
  attrs: Record<string, unknown>;
  outputCount: number;
}

let nextId = 1;

export type Scalar = number | boolean;
export type NestedArray = Scalar | NestedArray[];
export type ArrayLike = MxArray | NestedArray | TypedArray;

export class MxArray {
  /** @internal */ readonly id = nextId++;
  /** @internal */ _node?: GraphNode;
  /** @internal */ _index = 0;
  /** @internal */ _handle?: string;
  /** @internal */ _host?: TypedArray; // data not yet uploaded, in the dtype's storage
  /** @internal */ _cache?: TypedArray; // data read back after evaluation
  /** @internal */ _disposed = false;

  /** @internal */
  constructor(readonly dtype: Dtype, readonly shape: readonly number[]) {}

  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get itemsize(): number {
    return this.dtype.size;
  }
  get nbytes(): number {
    return this.size * this.dtype.size;
  }
  /** True once the array's value lives in the engine (or is host data). */
  get evaluated(): boolean {
    return this._node === undefined;
  }

  /** The values as a TypedArray of the dtype's storage (float16 as raw bits). */
  toTypedArray(): TypedArray {
    evalArrays([this]);
    this._cache ??= readBack(this);
    return this._cache;
  }

  /** The value of a one-element array. */
  item(): number | boolean | bigint {
    if (this.size !== 1) throw new TypeError(`[item] the array has ${this.size} elements, item() needs exactly one`);
    return this.values()[0];
  }

  /** Nested JavaScript arrays of the values. */
  tolist(): unknown {
    const flat = this.values();
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.ndim) return flat[offset];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** @internal Row-major values decoded to JS numbers (bool as boolean). */
  values(): Array<number | boolean | bigint> {
    const raw = this.toTypedArray();
    return decode(this.dtype.name, raw);
  }

  toString(): string {
    return formatArray(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 31) return man ? NaN : sign * Infinity;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

function decode(dtype: string, raw: TypedArray): Array<number | boolean | bigint> {
  const out: Array<number | boolean | bigint> = [];
  if (dtype === 'bool') raw.forEach((v) => out.push(v !== 0));
  else if (dtype === 'float16') raw.forEach((v) => out.push(halfToFloat(Number(v))));
  else if (dtype === 'bfloat16') {
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    raw.forEach((v) => {
      u[0] = Number(v) << 16;
      out.push(f[0]);
    });
  } else if (dtype === 'complex64') {
    for (let i = 0; i < raw.length; i += 2) out.push(Number(raw[i])); // real parts; see toTypedArray for both
  } else raw.forEach((v) => out.push(typeof v === 'bigint' ? Number(v) : v));
  return out;
}
