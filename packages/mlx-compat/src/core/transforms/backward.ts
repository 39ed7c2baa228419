// Reverse mode over the lazy graph: from outputs and their cotangents back to
// target values, each node's cotangents given by its op's vjp rule. The
// backward graph is made of ordinary ops, so it can be differentiated again.
import { MxArray, type CustomRule, type GraphNode, type Value } from '../array.js';
import { MxError } from '../errors.js';
import { binaryOps } from '../ops/elementwise.js';
import { zerosLike } from '../ops/creation.js';
import { isInexact } from '../dtype.js';

const isDifferentiable = (v: Value) => isInexact(v.dtype);
import { vjpRule } from './gradients/index.js';
import { walk } from './walk.js';

// A custom function's outputs each pass through an identity node marked with
// its rule; for the walk, those nodes lead straight to the function's primals.
const inputsOf = (node: GraphNode): Value[] => node.custom?.primals ?? node.inputs;

function customStep(rule: CustomRule, ct: Map<Value, MxArray>, reaches: Set<Value>, accumulate: (v: Value, g: MxArray) => void): void {
  const outputs = rule.outputs.map((v) => new MxArray(v));
  const cotangents = rule.outputs.map((v, i) => ct.get(v) ?? zerosLike(outputs[i]));
  const grads = rule.vjp(rule.primals.map((v) => new MxArray(v)), cotangents, outputs, rule.primals.map((v) => reaches.has(v)));
  rule.primals.forEach((v, i) => {
    if (reaches.has(v) && grads[i]) accumulate(v, grads[i]);
  });
}

export function backward(outputs: Value[], cotangents: MxArray[], targets: Value[], transform = 'vjp'): MxArray[] {
  const isTarget = new Set(targets);
  const { order, outputsOf } = walk(outputs, (v) => isTarget.has(v), inputsOf);
  // Which values lie on a path to a target: only their cotangents are needed.
  const reaches = new Set<Value>(targets);
  for (const node of order) if (inputsOf(node).some((i) => reaches.has(i))) for (const v of outputsOf.get(node)!) reaches.add(v);

  const pendingCustom = new Map<CustomRule, number>();
  for (const node of order) if (node.custom) pendingCustom.set(node.custom, (pendingCustom.get(node.custom) ?? 0) + 1);
  const ct = new Map<Value, MxArray>();
  const accumulate = (v: Value, g: MxArray) => {
    const prev = ct.get(v);
    ct.set(v, prev ? binaryOps.add(prev, g) : g);
  };
  outputs.forEach((v, i) => accumulate(v, cotangents[i]));
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    if (!inputsOf(node).some((i) => reaches.has(i))) continue;
    if (node.custom) {
      // a custom rule runs once, after the last of its outputs has its cotangent
      const left = pendingCustom.get(node.custom)! - 1;
      pendingCustom.set(node.custom, left);
      if (left === 0) customStep(node.custom, ct, reaches, accumulate);
      continue;
    }
    const outs = outputsOf.get(node)!;
    if (!outs.some((v) => ct.has(v))) continue;
    const rule = vjpRule(node.op);
    if (!rule) throw new MxError(node.op, transform, `the op has no vjp rule, so ${transform} cannot pass through it`);
    // cotangents for every output of the node, in output order (undefined where none arrived)
    const byIndex: Array<MxArray | undefined> = [];
    for (let i = 0; i < node.outputCount; i++) {
      const v = outs.find((o) => o.index === i);
      byIndex.push(v ? ct.get(v) : undefined);
    }
    const primals = node.inputs.map((v) => new MxArray(v));
    const results = outs.length === node.outputCount ? outs.sort((a, b) => a.index - b.index).map((v) => new MxArray(v)) : [];
    const grads = rule({ primals, outputs: results, cotangents: byIndex, attrs: node.attrs, needed: node.inputs.map((v) => reaches.has(v)) });
    // a rule answers undefined for an input that is differentiable but that it cannot handle
    node.inputs.forEach((v, i) => {
      if (reaches.has(v) && grads[i] === undefined && isDifferentiable(v))
        throw new MxError(node.op, transform, 'the op has no vjp rule for this variant of it (reverse or exclusive scans, max or min scatters)');
    });
    node.inputs.forEach((v, i) => {
      if (reaches.has(v) && grads[i]) accumulate(v, grads[i]!);
    });
  }
  return targets.map((t) => ct.get(t) ?? zerosLike(new MxArray(t)));
}
