// Building graph nodes, and the shape and dtype rules the facade applies
// at each call (the engine applies the same rules again and the evaluator
// checks that both agree).
import { type ArrayLike, type GraphNode, MxArray, type NodeGroup, queueFlush, type RefCount, Value } from './array.js';
import { CountedRegistry } from './registrations.js';
import { bool, float32, type Dtype, isInexact, promoteTypes } from './dtype.js';
import { MxError } from './errors.js';
import { noteNode, track, trackValue, valuesOf } from './graph.js';
import { fromValue } from './creation-data.js';
import { describe } from './args.js';

let nextNode = 1;

export interface Out {
  dtype: Dtype;
  shape: readonly number[];
  /** The shape array is no caller's: the new value may keep it without a copy. */
  owned?: boolean;
}

/** The attrs of ops that have none; shared, never changed. */
export const NO_ATTRS: Record<string, unknown> = Object.freeze({});

/** A node of `op` over `inputs`; returns its output arrays. */
export function apply(op: string, inputs: MxArray[], attrs: Record<string, unknown>, outs: Out[]): MxArray[] {
  const node = graphNode(op, valuesOf(inputs), attrs, outs.length);
  const arrays: MxArray[] = [];
  for (let i = 0; i < outs.length; i++) arrays.push(output(node, outs[i], i));
  return arrays;
}

// A node holds the values it reads until it has run outside a transform's
// tracing, or its outputs are all evaluated or disposed (releaseNode), or
// else until it is collected. Its registration, to tell when it is
// collected, is put off like a wrapper's (array.ts): most nodes run in the
// evaluation that follows them and are released, never registered. Those
// still holding when the registrations are made are registered as one
// group, which goes when they are all collected (those released before then
// hold nothing by then).
const groups = new CountedRegistry<RefCount[][]>((lists) => {
  for (const counts of lists) for (const c of counts) c.n--;
});
const NODE_DEFER_LIMIT = 1024;
const deferredNodes: GraphNode[] = [];

function graphNode(op: string, inputs: Value[], attrs: Record<string, unknown>, outputCount: number): GraphNode {
  const node: GraphNode = { id: nextNode++, op, inputs, attrs, outputCount, values: new Array<Value>(outputCount), custom: undefined, open: 0, done: 0, released: false, pos: 0, counts: undefined, group: undefined };
  noteNode(node);
  if (inputs.length) {
    for (let i = 0; i < inputs.length; i++) inputs[i].refs.n++;
    deferredNodes.push(node);
    if (deferredNodes.length >= NODE_DEFER_LIMIT) flushNodes();
    else queueFlush();
  }
  return node;
}

/** @internal Registers the nodes whose registration was put off and that still hold what they read, as one group. */
export function flushNodes(): void {
  let group: NodeGroup | undefined;
  const lists: RefCount[][] = [];
  for (const n of deferredNodes) {
    if (n.released) continue;
    group ??= { left: 0 };
    n.group = group;
    group.left++;
    // the finalizer holds the counts, not the values: it must not keep them alive
    const counts: RefCount[] = [];
    for (let i = 0; i < n.inputs.length; i++) counts.push(n.inputs[i].refs);
    n.counts = counts;
    lists.push(n.counts);
  }
  deferredNodes.length = 0;
  if (group) groups.register(group, lists, group);
}

/** @internal A node that will not run again stops holding what it reads (once). */
export function releaseNode(node: GraphNode): void {
  if (node.released) return;
  node.released = true;
  const counts = node.counts;
  if (!counts) {
    for (const v of node.inputs) v.refs.n--;
    return;
  }
  for (const c of counts) c.n--;
  // its group's finalizer must not count it again
  counts.length = 0;
  const group = node.group;
  if (group && --group.left === 0) groups.unregister(group);
}

// A caller's shape array is copied (it may change it later); values never
// change theirs, so they can share one.
function output(node: GraphNode, o: Out, index: number): MxArray {
  const v = new Value(o.dtype, o.owned ? o.shape : o.shape.slice());
  v.node = node;
  v.index = index;
  node.values[index] = v;
  return track(v);
}

/**
 * @internal A node over values, its outputs as values without wrappers (a
 * transform rebuilding a graph it recorded); their shapes are `outs`' own.
 */
export function applyValues(op: string, inputs: Value[], attrs: Record<string, unknown>, outs: readonly Out[]): Value[] {
  const node = graphNode(op, inputs, attrs, outs.length);
  for (let i = 0; i < outs.length; i++) {
    const v = new Value(outs[i].dtype, outs[i].shape);
    v.node = node;
    v.index = i;
    node.values[i] = v;
    trackValue(v);
  }
  return node.values;
}

/** apply() of a one-output op; the common case, so without the arrays. */
export function apply1(op: string, inputs: MxArray[], attrs: Record<string, unknown>, out: Out): MxArray {
  return output(graphNode(op, valuesOf(inputs), attrs, 1), out, 0);
}

/**
 * Turns an operand into an array; a JS number next to an array is weakly
 * typed. `op` and `arg` name the call and argument a mistake is blamed on.
 */
export function asArray(x: ArrayLike, like?: Dtype, op = 'array', arg = 'value'): MxArray {
  if (x instanceof MxArray) {
    if (x._v.disposed) throw new MxError(op, arg, `the array (${x.dtype.name}[${x._v.shape}]) was disposed and cannot be used`);
    return x;
  }
  if (typeof x === 'number' && like) return fromValue(x, isInexact(like) ? like : float32);
  if (typeof x === 'boolean' && like) return fromValue(x, bool);
  if (x === null || x === undefined || typeof x === 'string' || typeof x === 'function' || typeof x === 'bigint' || typeof x === 'symbol')
    throw new MxError(op, arg, `expected an array, a number, a boolean or a nested list of them, got ${describe(x)}`);
  return fromValue(x, undefined, op, arg);
}

/** Operands of a binary op, with JS scalars taking their type from the array. */
export function operands(a: ArrayLike, b: ArrayLike, op = 'array'): [MxArray, MxArray] {
  if (a instanceof MxArray) return [asArray(a, undefined, op, 'a'), asArray(b, a.dtype, op, 'b')];
  if (b instanceof MxArray) return [asArray(a, b.dtype, op, 'a'), asArray(b, undefined, op, 'b')];
  return [asArray(a, undefined, op, 'a'), asArray(b, undefined, op, 'b')];
}

// Shapes are built by push or copied from such (packed arrays of small
// integers in every tier of V8), so that code comparing them meets one kind
// of array (a holey one deoptimized request-plans.ts's matches).
export function broadcastShapes(op: string, ...shapes: (readonly number[])[]): number[] {
  if (shapes.length === 2 && sameShape(shapes[0], shapes[1])) return shapes[0].slice();
  let nd = 0;
  for (const s of shapes) nd = Math.max(nd, s.length);
  const out: number[] = [];
  for (let j = 0; j < nd; j++) out.push(1);
  for (const s of shapes)
    for (let i = 0; i < s.length; i++) {
      const d = s[i], j = nd - s.length + i;
      if (d === out[j] || d === 1) continue;
      if (out[j] === 1) out[j] = d;
      else throw new MxError(op, 'shapes', `${shapes.map((t) => `(${t.join(',')})`).join(' and ')} cannot be broadcast together`);
    }
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function normAxis(op: string, axis: number, ndim: number, argument = 'axis'): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis)) throw new MxError(op, argument, `expected an integer axis, got ${describe(axis)}`);
  if (axis < -ndim || axis >= ndim)
    throw new MxError(op, argument, `axis ${axis} is out of range for an array of rank ${ndim}`);
  return axis < 0 ? axis + ndim : axis;
}

/** Sorted, unique, non-negative axes; undefined or null means all. */
export function normAxes(op: string, axes: number | number[] | null | undefined, ndim: number): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: ndim }, (_, i) => i);
  if (typeof axes !== 'number' && !Array.isArray(axes)) throw new MxError(op, 'axis', `expected an integer axis or a list of them, got ${describe(axes)}`);
  const list = (Array.isArray(axes) ? axes : [axes]).map((a) => normAxis(op, a, ndim, 'axes'));
  const sorted = [...new Set(list)].sort((p, q) => p - q);
  if (sorted.length !== list.length) throw new MxError(op, 'axes', `axes ${JSON.stringify(axes)} contain a duplicate`);
  return sorted;
}

export function reducedShape(shape: readonly number[], axes: number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

export function promoteAll(arrays: MxArray[]): Dtype {
  return arrays.map((a) => a.dtype).reduce(promoteTypes);
}
