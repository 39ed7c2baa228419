// The lazy array: a graph node until evaluated, then a resident handle in the
// engine. Shape and dtype are known at construction.
import type { TypedArray } from 'mlx-capi-bridge';
import { type Dtype } from './dtype.js';
import type { Flight } from './flight.js';
import { evalValues, isUncounted, readBack } from './graph.js';
import { flushNodes } from './node.js';
import { formatArray } from './print.js';
import { MxError } from './errors.js';
import { CountedRegistry } from './registrations.js';

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
  /** Set once the node will not run again: it no longer holds its inputs (node.ts). */
  released?: boolean;
  /** Its position in the request being built (the request's own ids, graph.ts). */
  pos?: number;
  /** The holder counts of what it reads, once registered and while it holds them (node.ts). */
  counts?: RefCount[];
  /** The group it was registered with, when made in an uncounted scope (node.ts). */
  group?: NodeGroup;
}

/** Nodes registered together; `left` of them still hold what they read. */
export interface NodeGroup {
  left: number;
}

/** A custom function's own derivative: the backward pass skips its body. */
export interface CustomRule {
  primals: Value[];
  /** All the custom function's outputs, in order. */
  outputs: Value[];
  /** needed[i]: whether the backward pass wants primal i's cotangent (the others may be left out). */
  vjp: (primals: MxArray[], cotangents: MxArray[], outputs: MxArray[], needed: boolean[]) => MxArray[];
}

let nextId = 1;

/**
 * How many wrappers and graph nodes hold a value; `wrappers` of them are
 * wrappers, `registered` of those registered to tell when they go (the
 * others wait in deferred holds); `epoch` changes when they all stop counting.
 */
export interface RefCount {
  n: number;
  wrappers: number;
  registered: number;
  epoch: number;
}

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
  /** Set on a transform's copy of an evaluated argument: it reads this value's data, which it keeps alive and never releases. */
  owner?: Value;
  /** A stand-in traced by vmap: it has a shape but no data. */
  placeholder = false;
  /** Mark of the last request-building walk that met this value as a leaf. */
  walk = 0;
  /** Its position among the leaves of the request being built (graph.ts). */
  pos = 0;
  /** Untouched memory that makes V8 count an evaluated array's size (graph.ts). */
  ballast?: Uint8Array;
  /** The evaluation in flight that computes it (flight.ts). */
  flight?: Flight;
  /**
   * What holds this value: its MxArray wrappers and the graph nodes that read
   * it, until they are collected. An evaluation keeps the result of every
   * value it computes that something outside its own graph holds, so no later
   * evaluation computes it again; a value nothing else holds is not kept.
   */
  readonly refs: RefCount = { n: 0, wrappers: 0, registered: 0, epoch: 0 };
  /** How many nodes of the request being built read this value (valid while `usedWalk` is that walk's mark). */
  used = 0;
  usedWalk = 0;
  constructor(readonly dtype: Dtype, readonly shape: readonly number[]) {}
}

/** A complex literal, as node-mlx writes one (mx.Complex(re, im)). */
export interface Complex {
  re: number;
  im?: number;
}
export type Scalar = number | boolean | Complex;
export type NestedArray = Scalar | NestedArray[];
export type ArrayLike = MxArray | NestedArray | TypedArray;

// A wrapper counts as a holder of its value until it is collected, while the
// value is still to be computed (an evaluated, host or disposed value is no
// node's output any more, and nothing asks who holds it). Wrappers made while
// a transform traces fn, or a composite op builds its temporaries, do not
// count (graph.ts, isUncounted); what they return counts once they return.
// The count is an object of its own so that the finalizers hold
// it, not the value: a value goes as soon as its last wrapper and reader
// do. It is also the unregister token of all its value's wrappers: once
// the value is evaluated or disposed they are unregistered at once.
const holders = new CountedRegistry<RefCount>((count) => {
  count.n--;
  count.wrappers--;
  count.registered--;
});

// A wrapper's registration is put off until the evaluation that follows it
// ends (or the event loop turns, or many wait): most wrappers of a training
// step hold values that evaluation computes, which stop counting them then,
// so they are never registered. Until it is registered a wrapper is held
// here, which changes nothing a program can see: a finalizer runs only
// when the event loop turns, and that registers what waits first.
const DEFER_LIMIT = 256;
const deferredWrappers: MxArray[] = [];
const deferredCounts: RefCount[] = [];
const deferredEpochs: number[] = [];
let flushQueued = false;

/** @internal Registers the wrappers whose holds were put off and still count. */
export function flushHolds(): void {
  for (let i = 0; i < deferredWrappers.length; i++) {
    const c = deferredCounts[i];
    if (c.epoch !== deferredEpochs[i]) continue;
    c.registered++;
    holders.register(deferredWrappers[i], c, c);
  }
  deferredWrappers.length = deferredCounts.length = deferredEpochs.length = 0;
  flushNodes();
}

// One microtask at most waits at a time: a synchronous loop flushes at each
// evaluation and never reaches it, and must not queue one per step.
function flushQueuedHolds(): void {
  flushQueued = false;
  flushHolds();
}

/** @internal Registers what was put off once the event loop turns (graph nodes too: node.ts). */
export function queueFlush(): void {
  if (flushQueued) return;
  flushQueued = true;
  queueMicrotask(flushQueuedHolds);
}

/** @internal The value is evaluated or disposed: its wrappers stop counting, and their registrations go. */
export function dropHolders(v: Value): void {
  const refs = v.refs;
  if (!refs.wrappers) return;
  if (refs.registered) holders.unregister(refs, refs.registered);
  refs.registered = 0;
  refs.n -= refs.wrappers;
  refs.wrappers = 0;
  refs.epoch++;
}

export class MxArray {
  #v: Value;
  #holds = false;
  /** @internal */
  constructor(v: Value) {
    this.#v = v;
    if (!isUncounted()) this._hold();
  }

  /** @internal The value this array holds; indexPut_ replaces it. */
  get _v(): Value {
    return this.#v;
  }
  set _v(v: Value) {
    // the old value's wrappers all stop counting: nearly always this one
    // alone (a second one makes that value computed again if it is needed)
    if (this.#holds) dropHolders(this.#v);
    this.#holds = false;
    this.#v = v;
    if (!isUncounted()) this._hold();
  }

  /** @internal Counts this wrapper as a holder of its value (once). */
  _hold(): void {
    if (this.#holds) return;
    this.#holds = true;
    const v = this.#v;
    if (!v.node || v.handle || v.disposed) return;
    v.refs.n++;
    v.refs.wrappers++;
    deferredWrappers.push(this);
    deferredCounts.push(v.refs);
    deferredEpochs.push(v.refs.epoch);
    if (deferredWrappers.length >= DEFER_LIMIT) flushHolds();
    else queueFlush();
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
  /** The size of the first axis (node-mlx's length); a 0-d array has none. */
  get length(): number {
    if (!this._v.shape.length) throw new MxError('array', 'length', 'a 0-dimensional array has no length');
    return this._v.shape[0];
  }

  /** The rows along the first axis, as `for (const row of a)` reads them. */
  *[Symbol.iterator](): IterableIterator<MxArray> {
    const n = this.length;
    for (let i = 0; i < n; i++) yield (this as unknown as { index(i: number): MxArray }).index(i);
  }

  /** The values as a TypedArray of the dtype's storage (float16 as raw bits, complex as re, im pairs). */
  toTypedArray(): TypedArray {
    evalValues([this._v]);
    this._v.cache ??= readBack(this._v);
    return this._v.cache;
  }

  /** The value of a one-element array (a Complex for complex64). */
  item(): Scalar {
    if (this.size !== 1) throw new MxError('item', 'array', `the array has ${this.size} elements, item() needs exactly one`);
    return this.values()[0];
  }

  /** Nested JavaScript arrays of the values. */
  tolist(): NestedArray {
    const flat = this.values();
    const shape = this._v.shape;
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === shape.length) return flat[offset];
      const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** @internal Row-major values decoded to JS numbers (bool as boolean, complex64 as Complex). */
  values(): Scalar[] {
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

function decode(dtype: string, raw: TypedArray): Scalar[] {
  const out: Scalar[] = [];
  if (dtype === 'bool') raw.forEach((v) => out.push(v !== 0));
  else if (dtype === 'float16') raw.forEach((v) => out.push(halfToFloat(Number(v))));
  else if (dtype === 'bfloat16') {
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    raw.forEach((v) => {
      u[0] = Number(v) << 16;
      out.push(f[0]);
    });
  } else if (dtype === 'complex64') {
    for (let i = 0; i < raw.length; i += 2) out.push({ re: Number(raw[i]), im: Number(raw[i + 1]) });
  } else raw.forEach((v) => out.push(Number(v)));
  return out;
}
