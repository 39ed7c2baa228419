// vmap: fn is traced once on placeholders of one example's shape; its graph is
// then replayed on the batched arrays (batch axis first) through per-op
// batching rules. Ops without a rule batch by looping over the examples.
import { MxArray, Value, type GraphNode } from '../array.js';
import { MxError } from '../errors.js';
import { track } from '../graph.js';
import { apply, apply1, asArray } from '../node.js';
import { moveaxis, reshape, split, stack, broadcastTo, expandDims } from '../ops/shape.js';
import { take, takeAlongAxis } from '../ops/indexing.js';
import { fromValue } from '../creation-data.js';
import { int32 } from '../dtype.js';
import { engineOp } from '../registry.js';
import { walk } from './walk.js';

type Axis = number | null;
/** A value in the replayed graph: its batched array, or the original when unbatched. */
interface Batched {
  array: MxArray;
  batched: boolean;
}

// Batched inputs get size-1 axes after the batch axis so that every input has
// the same rank per example: broadcasting then lines up example dimensions.
function aligned(inputs: Batched[], B: number): MxArray[] {
  const rank = Math.max(...inputs.map((i) => (i.batched ? i.array.ndim - 1 : i.array.ndim)));
  return inputs.map((i) => {
    if (!i.batched) return i.array;
    const s = i.array.shape;
    return reshape(i.array, [B, ...new Array(rank - (s.length - 1)).fill(1), ...s.slice(1)]);
  });
}

const shift = (axes: number[]) => axes.map((a) => a + 1);

type Rule = (node: GraphNode, inputs: Batched[], outs: Value[], B: number) => MxArray[];

const RULES: Record<string, Rule> = {
  reshape: (n, [x], outs, B) => [reshape(x.array, [B, ...outs[0].shape])],
  squeeze: (n, [x], outs, B) => [reshape(x.array, [B, ...outs[0].shape])],
  expand_dims: (n, [x], outs, B) => [reshape(x.array, [B, ...outs[0].shape])],
  broadcast_to: (n, [x], outs, B) => {
    const s = x.array.shape.slice(1), target = outs[0].shape;
    return [broadcastTo(reshape(x.array, [B, ...new Array(target.length - s.length).fill(1), ...s]), [B, ...target])];
  },
  // keys may carry leading dimensions: one draw per key
  random_bits: (n, [k], outs, B) => [apply1('random_bits', [k.array], n.attrs, { dtype: outs[0].dtype, shape: [B, ...outs[0].shape] })],
  transpose: (n, [x], outs, B) => [apply1('transpose', [x.array], { axes: [0, ...shift(n.attrs.axes as number[])] }, { dtype: outs[0].dtype, shape: [B, ...outs[0].shape] })],
  softmax: (n, [x], outs, B) => [apply1('softmax', [x.array], { ...n.attrs, axes: shift(n.attrs.axes as number[]) }, { dtype: outs[0].dtype, shape: [B, ...outs[0].shape] })],
  matmul: (n, [a, b], outs, B) => {
    // 1-d operands become matrices; batched ones are rank-aligned with the other operand
    const ea = a.array.ndim - (a.batched ? 1 : 0), eb = b.array.ndim - (b.batched ? 1 : 0);
    const A = ea === 1 ? { array: expandDims(a.array, a.batched ? 1 : 0), batched: a.batched } : a;
    const Bm = eb === 1 ? { array: expandDims(b.array, b.array.ndim), batched: b.batched } : b;
    const [x, y] = aligned([A, Bm], B);
    const out = apply1('matmul', [x, y], {}, { dtype: outs[0].dtype, shape: matmulShape(x.shape, y.shape) });
    return [reshape(out, [B, ...outs[0].shape])];
  },
};

function matmulShape(a: number[], b: number[]): number[] {
  const batch = broadcast(a.slice(0, -2), b.slice(0, -2));
  return [...batch, a[a.length - 2], b[b.length - 1]];
}
function broadcast(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => Math.max(a[i - n + a.length] ?? 1, b[i - n + b.length] ?? 1));
}

// Ops that reduce or scan along axes given in their attributes: shift them past the batch axis.
for (const op of ['sum', 'prod', 'max', 'min', 'mean', 'all', 'any', 'logsumexp', 'var', 'std']) {
  RULES[op] = (n, [x], outs, B) => {
    const axes = (n.attrs.axes as number[] | undefined) ?? Array.from({ length: x.array.ndim - 1 }, (_, i) => i);
    return [apply1(op, [x.array], { ...n.attrs, axes: shift(axes) }, { dtype: outs[0].dtype, shape: [B, ...outs[0].shape] })];
  };
}
for (const op of ['argmax', 'argmin', 'cumsum', 'cumprod', 'cummax', 'cummin', 'logcumsumexp', 'sort', 'argsort', 'topk', 'partition', 'argpartition']) {
  RULES[op] = (n, [x], outs, B) => {
    // no axis means the flattened example
    const flat = n.attrs.axis === undefined || n.attrs.axis === null;
    const input = flat ? reshape(x.array, [B, -1]) : x.array;
    const axis = flat ? 1 : (n.attrs.axis as number) + 1;
    const arg = op === 'argmax' || op === 'argmin';
    const attrs = arg && flat ? { axis, keepdims: false } : { ...n.attrs, axis };
    const result = apply1(op, [input], attrs, { dtype: outs[0].dtype, shape: arg && flat ? [B] : [B, ...outs[0].shape] });
    return [reshape(result, [B, ...outs[0].shape])];
  };
}

// Ops on the last axis (or on every element alike): the batch axis first changes nothing.
for (const op of ['contiguous', 'hadamard_transform', 'view']) {
  RULES[op] = (n, [x], outs, B) => [apply1(op, [x.array], n.attrs, { dtype: outs[0].dtype, shape: [B, ...outs[0].shape] })];
}

// Every input batched: an unbatched one is broadcast along a new batch axis.
const allBatched = (inputs: Batched[], B: number) => inputs.map((i) => (i.batched ? i.array : broadcastTo(expandDims(i.array, 0), [B, ...i.array.shape])));
const outShape = (outs: Value[], B: number, k = 0) => [B, ...outs[k].shape];

Object.assign(RULES, {
  concatenate: (n, inputs, outs, B) => [apply1('concatenate', allBatched(inputs, B), { axis: (n.attrs.axis as number) + 1 }, { dtype: outs[0].dtype, shape: outShape(outs, B) })],
  stack: (n, inputs, outs, B) => [apply1('stack', allBatched(inputs, B), { axis: (n.attrs.axis as number) + 1 }, { dtype: outs[0].dtype, shape: outShape(outs, B) })],
  split: (n, [x], outs, B) => apply('split', [x.array], { ...n.attrs, axis: (n.attrs.axis as number) + 1 }, outs.map((o, k) => ({ dtype: o.dtype, shape: outShape(outs, B, k) }))),
  slice: (n, [x], outs, B) => {
    const a = n.attrs as { start: number[]; stop: number[]; strides?: number[] };
    return [apply1('slice', [x.array], { start: [0, ...a.start], stop: [B, ...a.stop], strides: [1, ...(a.strides ?? a.start.map(() => 1))] }, { dtype: outs[0].dtype, shape: outShape(outs, B) })];
  },
  pad: (n, [x], outs, B) => {
    const w = n.attrs.pad_width as number[], nd = x.array.ndim - 1;
    const pairs = Array.from({ length: nd }, (_, i) => (w.length === 1 ? [w[0], w[0]] : w.length === 2 ? [w[0], w[1]] : [w[2 * i], w[2 * i + 1]]));
    return [apply1('pad', [x.array], { ...n.attrs, pad_width: [0, 0, ...pairs.flat()] }, { dtype: outs[0].dtype, shape: outShape(outs, B) })];
  },
  tile: (n, [x], outs, B) => {
    const reps = n.attrs.reps as number[], s = x.array.shape.slice(1), r = Math.max(s.length, reps.length);
    const full = reshape(x.array, [B, ...new Array(r - s.length).fill(1), ...s]);
    return [apply1('tile', [full], { reps: [1, ...new Array(r - reps.length).fill(1), ...reps] }, { dtype: outs[0].dtype, shape: outShape(outs, B) })];
  },
  repeat: (n, [x], outs, B) => {
    const flat = n.attrs.axis === undefined;
    const input = flat ? reshape(x.array, [B, -1]) : x.array;
    const axis = flat ? 1 : (n.attrs.axis as number) + 1;
    return [apply1('repeat', [input], { repeats: n.attrs.repeats, axis }, { dtype: outs[0].dtype, shape: outShape(outs, B) })];
  },
  take: (n, inputs, outs, B) => {
    const [x, idx] = inputs;
    if (idx.batched) return [takePerExample(n, x, idx.array, outs, B)];
    const flat = n.attrs.axis === undefined;
    const input = flat ? reshape(x.array, [B, -1]) : x.array;
    const axis = flat ? 1 : (n.attrs.axis as number) + 1;
    return [apply1('take', [input, idx.array], { axis }, { dtype: outs[0].dtype, shape: outShape(outs, B) })];
  },
  put_along_axis: (n, [x, idx, v], outs, B) => {
    // indices have the array's rank: a fixed one gets a size-1 batch axis; values broadcast
    const [array] = allBatched([x], B);
    const indices = idx.batched ? idx.array : expandDims(idx.array, 0);
    const values = v.batched ? aligned([v, { array, batched: true }], B)[0] : v.array;
    return [apply1('put_along_axis', [array, indices, values], { ...n.attrs, axis: (n.attrs.axis as number) + 1 }, { dtype: outs[0].dtype, shape: outShape(outs, B) })];
  },
  slice_update: (n, [x, u], outs, B) => {
    const a = n.attrs as { start: number[]; stop: number[]; strides?: number[] };
    const [array] = allBatched([x], B);
    // a batched update gets size-1 axes after the batch axis, up to the array's rank
    const update = u.batched ? aligned([u, { array, batched: true }], B)[0] : u.array;
    const attrs = { start: [0, ...a.start], stop: [B, ...a.stop], strides: [1, ...(a.strides ?? a.start.map(() => 1))] };
    return [apply1('slice_update', [array, update], attrs, { dtype: outs[0].dtype, shape: outShape(outs, B) })];
  },
  // a batch of inputs under one weight is one convolution of B times the examples; batched weights loop
  conv_general: (n, inputs, outs, B) => {
    const [x, w] = inputs;
    if (w.batched || !x.batched) return loopRule(n, inputs, outs, B);
    const merged = reshape(x.array, [B * x.array.shape[1], ...x.array.shape.slice(2)]);
    const y = apply1('conv_general', [merged, w.array], n.attrs, { dtype: outs[0].dtype, shape: [B * outs[0].shape[0], ...outs[0].shape.slice(1)] });
    return [reshape(y, [B, ...outs[0].shape])];
  },
  take_along_axis: (n, inputs, outs, B) => {
    if (n.attrs.axis === undefined) return loopRule(n, inputs, outs, B);
    const [x, idx] = allBatched(inputs, B);
    return [apply1('take_along_axis', [x, idx], { axis: (n.attrs.axis as number) + 1 }, { dtype: outs[0].dtype, shape: outShape(outs, B) })];
  },
} satisfies Record<string, Rule>);

// take with different indices per example, as one take_along_axis: the
// indices' dimensions go in place of the gathered axis (the first one on it,
// the others beside it, where the array gets size-1 axes), and every other
// axis broadcasts. Out-of-range indices still raise the engine's error.
function takePerExample(n: GraphNode, x: Batched, idx: MxArray, outs: Value[], B: number): MxArray {
  const example = x.batched ? x.array.shape.slice(1) : x.array.shape;
  const flat = n.attrs.axis === undefined;
  const shape = flat ? [example.reduce((p, d) => p * d, 1)] : example;
  const axis = flat ? 0 : (n.attrs.axis as number);
  const pre = shape.slice(0, axis), post = shape.slice(axis + 1);
  const ishape = idx.shape.slice(1), k = Math.max(1, ishape.length);
  const ones = (m: number) => new Array(m).fill(1);
  const xs = reshape(x.array, [x.batched ? B : 1, ...pre, shape[axis], ...ones(k - 1), ...post]);
  const is = reshape(idx, [B, ...ones(pre.length), ...(ishape.length ? ishape : [1]), ...ones(post.length)]);
  return reshape(takeAlongAxis(xs, is, axis + 1), [B, ...outs[0].shape]);
}

// The loop: each example on its own, stacked. Right for any op, slower.
function loopRule(n: GraphNode, inputs: Batched[], outs: Value[], B: number): MxArray[] {
  const perExample = Array.from({ length: B }, (_, b) => {
    const args = inputs.map((i) => (i.batched ? take(i.array, fromValue(b, int32), 0) : i.array));
    return apply(n.op, args, n.attrs, outs.map((o) => ({ dtype: o.dtype, shape: o.shape })));
  });
  return outs.map((_, k) => stack(perExample.map((r) => r[k]), 0));
}

function replay(node: GraphNode, inputs: Batched[], outs: Value[], B: number): MxArray[] {
  if (engineOp(node.op).elementwise) {
    const args = aligned(inputs, B);
    return [apply1(node.op, args, node.attrs, { dtype: outs[0].dtype, shape: [B, ...outs[0].shape] })];
  }
  return (RULES[node.op] ?? loopRule)(node, inputs, outs, B);
}

/** vmap(fn, inAxes = 0, outAxes = 0): fn mapped over an axis of its array arguments. */
export function vmap<F extends (...args: MxArray[]) => MxArray | MxArray[]>(fn: F, inAxes: Axis | Axis[] = 0, outAxes: Axis | Axis[] = 0): (...args: Parameters<F>) => ReturnType<F> {
  return ((...args: unknown[]): MxArray | MxArray[] => {
    const xs = args.map((a) => asArray(a as MxArray));
    const ins = Array.isArray(inAxes) ? inAxes : xs.map(() => inAxes);
    if (ins.length !== xs.length) throw new MxError('vmap', 'inAxes', `${ins.length} axes for ${xs.length} arguments`);
    let B = -1;
    const moved = xs.map((x, i) => {
      const ax = ins[i];
      if (ax === null) return x;
      const a = ax < 0 ? ax + x.ndim : ax;
      if (a < 0 || a >= x.ndim) throw new MxError('vmap', `inAxes[${i}]`, `axis ${ax} is out of range for an argument of rank ${x.ndim}`);
      if (B >= 0 && x.shape[a] !== B) throw new MxError('vmap', `inAxes[${i}]`, `batch size ${x.shape[a]} differs from ${B}`);
      B = x.shape[a];
      return moveaxis(x, a, 0);
    });
    if (B < 0) throw new MxError('vmap', 'inAxes', 'at least one argument must be mapped');
    // trace on placeholders of one example
    const holders = moved.map((x, i) => {
      if (ins[i] === null) return new MxArray(x._v); // fn's own wrapper, as for the others
      const v = new Value(x.dtype, x.shape.slice(1));
      v.placeholder = true;
      return track(v);
    });
    // taken before fn runs: fn may replace an argument's value in place (indexPut_)
    const holderValues = holders.map((h) => h._v);
    const raw = fn(...holders);
    const outs = Array.isArray(raw) ? raw : [raw];
    const batchedOf = new Map<Value, Batched>();
    holderValues.forEach((v, i) => {
      if (ins[i] !== null) batchedOf.set(v, { array: moved[i], batched: true });
    });
    const resolved = replayGraph(outs.map((o) => o._v), batchedOf, B);
    const outList = Array.isArray(outAxes) ? outAxes : outs.map(() => outAxes);
    const results = resolved.map((r, k) => {
      const ax = outList[k];
      if (!r.batched) return ax === null ? r.array : broadcastTo(expandDims(r.array, 0), [B, ...r.array.shape]);
      if (ax === null) throw new MxError('vmap', 'outAxes', `output ${k} depends on the mapped inputs, so it needs an axis`);
      return ax === 0 ? r.array : moveaxis(r.array, 0, ax);
    });
    return Array.isArray(raw) ? results : results[0];
  }) as unknown as (...args: Parameters<F>) => ReturnType<F>;
}

// Replays the nodes between the placeholders and the outputs, in dependency order.
function replayGraph(outputs: Value[], batchedOf: Map<Value, Batched>, B: number): Batched[] {
  const { order, outputsOf } = walk(outputs, (v) => batchedOf.has(v));
  for (const node of order) {
    const inputs = node.inputs.map((v) => batchedOf.get(v) ?? { array: new MxArray(v), batched: false });
    if (!inputs.some((i) => i.batched)) continue; // a constant of the function: reused as it is
    const outs = allOutputs(node, outputsOf.get(node)!);
    const results = replay(node, inputs, outs, B);
    outs.forEach((v, k) => batchedOf.set(v, { array: results[k], batched: true }));
  }
  return outputs.map((v) => batchedOf.get(v) ?? { array: new MxArray(v), batched: false });
}

// Every output of a node; outputs the walk did not reach (only split has
// several) are rebuilt from the input to know their shapes.
function allOutputs(node: GraphNode, seen: Value[]): Value[] {
  if (node.outputCount === 1) return seen;
  const parts = split(new MxArray(node.inputs[0]), node.attrs.indices_or_sections as number | number[], node.attrs.axis as number);
  return Array.from({ length: node.outputCount }, (_, i) => seen.find((v) => v.index === i) ?? parts[i]._v);
}
