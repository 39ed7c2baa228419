// The lazy array: a graph node until evaluated, then a resident handle in the
// engine. Shape and dtype are known at construction.
import type { TypedArray } from 'mlx-capi-bridge';
import { type Dtype } from './dtype.js';
import { evalValues, isTracing, readBack } from './graph.js';
import { formatArray } from './print.js';

/** One op application; the values that are its outputs point at it. */
export interface GraphNode {
  id: number;
  op: string;
  inputs: Value[];
  attrs: Record<string, unknown>;
  outputCount: number;
  /** The node's output values, in order (an evaluation keeps those the program holds). */
  values: Value[];
  /** Set on the identity nodes a custom function's outputs pass through. */
  custom?: CustomRule;
  /** Marks of the last request-building walk that opened and finished the node. */
  open?: number;
  done?: number;
}

/** A custom function's own derivative: the backward pass skips its body. */
export interface CustomRule {
  primals: Value[];
  /** All the custom function's outputs, in order. */
  outputs: Value[];
  vjp: (primals: MxArray[], cotangents: MxArray[], outputs: MxArray[]) => MxArray[];
}

let nextId = 1;

/**
 * What an array holds: a graph node until evaluated, then a resident handle.
 * Graphs reference values, never the MxArray wrappers, so replacing an
 * array's value (indexPut_) leaves graphs built earlier as they were.
 */
export class Value {
  readonly id = nextId++;
  node?: GraphNode;
  index = 0;
  handle?: string;
  host?: TypedArray; // data not yet uploaded, in the dtype's storage
  cache?: TypedArray; // data read back after evaluation
  disposed = false;
  /** A stand-in traced by vmap: it has a shape but no data. */
  placeholder = false;
  /** Mark of the last request-building walk that met this value as a leaf. */
  walk = 0;
  /** Untouched memory that makes V8 count an evaluated array's size (graph.ts). */
  ballast?: Uint8Array;
  /**
   * What holds this value: its MxArray wrappers and the graph nodes that read
   * it, until they are collected. An evaluation keeps the result of every
   * value it computes that something outside its own graph holds, so no later
   * evaluation computes it again; a value nothing else holds is not kept.
   */
  refs = 0;
  /** How many nodes of the request being built read this value (valid while `usedWalk` is that walk's mark). */
  used = 0;
  usedWalk = 0;
  constructor(readonly dtype: Dtype, readonly shape: readonly number[]) {}
}

export type Scalar = number | boolean;
export type NestedArray = Scalar | NestedArray[];
export type ArrayLike = MxArray | NestedArray | TypedArray;

// A wrapper counts as a holder of its value until it is collected. Wrappers
// made while a transform traces fn are fn's temporaries and do not count
// (JavaScript cannot tell a dropped wrapper from a held one until a
// collection, which a synchronous loop never reaches); what the transform
// returns counts once it returns.
const holders = new FinalizationRegistry<Value>((v) => {
  v.refs--;
});

export class MxArray {
  #v: Value;
  #holds = false;
  /** @internal */
  constructor(v: Value) {
    this.#v = v;
    if (!isTracing()) this._hold();
  }

  /** @internal The value this array holds; indexPut_ replaces it. */
  get _v(): Value {
    return this.#v;
  }
  set _v(v: Value) {
    if (this.#holds) {
      this.#holds = false;
      holders.unregister(this);
      this.#v.refs--;
    }
    this.#v = v;
    if (!isTracing()) this._hold();
  }

  /** @internal Counts this wrapper as a holder of its value (once). */
  _hold(): void {
    if (this.#holds) return;
    this.#holds = true;
    this.#v.refs++;
    holders.register(this, this.#v, this);
  }

  get dtype(): Dtype {
    return this._v.dtype;
  }
  get shape(): number[] {
    return [...this._v.shape];
  }
  get ndim(): number {
    return this._v.shape.length;
  }
  get size(): number {
    return this._v.shape.reduce((a, b) => a * b, 1);
  }
  get itemsize(): number {
    return this.dtype.size;
  }
  get nbytes(): number {
    return this.size * this.dtype.size;
  }

  /** The values as a TypedArray of the dtype's storage (float16 as raw bits, complex as re, im pairs). */
  toTypedArray(): TypedArray {
    evalValues([this._v]);
    this._v.cache ??= readBack(this._v);
    return this._v.cache;
  }

  /** The value of a one-element array. */
  item(): number | boolean {
    if (this.size !== 1) throw new TypeError(`[item] the array has ${this.size} elements, item() needs exactly one`);
    return this.values()[0];
  }

  /** Nested JavaScript arrays of the values. */
  tolist(): unknown {
    const flat = this.values();
    const shape = this._v.shape;
    const build = (dim: number, offset: number): unknown => {
      if (dim === shape.length) return flat[offset];
      const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** @internal Row-major values decoded to JS numbers (bool as boolean). */
  values(): Array<number | boolean> {
    return decode(this.dtype.name, this.toTypedArray());
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

function decode(dtype: string, raw: TypedArray): Array<number | boolean> {
  const out: Array<number | boolean> = [];
  if (dtype === 'bool') raw.forEach((v) => out.push(v !== 0));
  else if (dtype === 'float16') raw.forEach((v) => out.push(halfToFloat(Number(v))));
  else if (dtype === 'bfloat16') {
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    raw.forEach((v) => {
      u[0] = Number(v) << 16;
      out.push(f[0]);
    });
  } else if (dtype === 'complex64') {
    for (let i = 0; i < raw.length; i += 2) out.push(Number(raw[i])); // real parts; toTypedArray has both
  } else raw.forEach((v) => out.push(Number(v)));
  return out;
}
