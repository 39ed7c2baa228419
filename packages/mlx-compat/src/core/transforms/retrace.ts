// Backward graphs replayed. grad(fn) traces fn on every call, as MLX does
// (fn's side effects happen each time), but a training loop's fn builds the
// same graph every step over new arrays, and running the vjp rules over it
// in JavaScript again was half of the step's tracing, and most of the
// distinct functions V8 had to compile before the loop ran fast. So
// grad(fn) and valueAndGrad(fn) keep, for the last few forward graphs they
// differentiated, the backward graph they built, as positions; when a
// call's forward graph has the same structure, its backward graph is built
// over the call's own values without the rules.
//
// The structure compared is the forward graph's part that leads to the
// differentiated arguments (the only nodes whose rules run): ops, attrs,
// output counts and wiring, with the dtypes and shapes of the arguments and
// of every other value that part reads (its leaves: captured arrays,
// constants, random keys, the output of a subgraph that does not lead to an
// argument). The leaves are bound by position, whatever their values or how
// they were made, so a captured array that changes between calls is read as
// the new one. The rules depend on that structure only (ops, attrs, dtypes,
// shapes), never on values; the constants they make (host data of a dtype
// and shape) are kept and read again. Custom functions (their rules are the
// program's own) and nested transforms are not replayed.
import { type GraphNode, MxArray, Value } from '../array.js';
import type { Dtype } from '../dtype.js';
import { isTracingShapeless, isUncounted, nextWalk } from '../graph.js';
import { applyValues, type Out } from '../node.js';
import { sameAttrs } from '../request-plans.js';

// A value's code is a pair (a, b): a >= 0 output b of the forward part's
// node a; argument b; leaf b of the forward part; constant b of the
// backward graph; a <= BACKWARD: output b of the backward graph's node
// BACKWARD - a.
const ARG = -1, LEAF = -2, CONSTANT = -3, BACKWARD = -4;

/** The forward part of one call: its nodes (inputs before users), its leaves, and codes of the nodes' inputs and of the loss. */
interface Forward {
  mark: number;
  nodes: GraphNode[];
  leaves: Value[];
  /** Per node, its input count then a pair per input; the loss's pair last. */
  codes: number[];
}

interface Step {
  op: string;
  attrs: Record<string, unknown>;
  outs: Out[];
  inputs: number[];
}

/** A forward structure and the backward graph built over it. */
interface Trace {
  ops: string[];
  outputCounts: number[];
  attrs: Array<Record<string, unknown>>;
  codes: number[];
  argTypes: Array<[Dtype, readonly number[]]>;
  leafTypes: Array<[Dtype, readonly number[]]>;
  steps: Step[];
  constants: Value[];
  /** A pair per gradient. */
  grads: number[];
}

// A constant kept by a trace is data of a few elements (the rules' scalars);
// larger host data is not kept alive by a cache.
const CONSTANT_BYTES = 4096;
// The forward graphs a function is seen with: a loop's first step (whose
// captured inputs may still be unevaluated graphs) and the steps after it.
const TRACES = 4;

let replays = 0;
/** @internal How many backward graphs were replayed, in this process (tests tell a replay from a trace). */
export const replayCount = (): number => replays;

/** @internal Backward graphs of one grad(fn) or valueAndGrad(fn), by forward structure. */
export class Retracer {
  private traces: Trace[] = [];

  /** Whether this call may use or record a trace: not under another transform or a shapeless compile. */
  static applies(): boolean {
    return !isUncounted() && !isTracingShapeless();
  }

  /** The forward part behind `loss` for the arguments `args`, or undefined where it has a custom function. */
  forward(loss: Value, args: Value[]): Forward | undefined {
    const mark = nextWalk();
    for (let k = 0; k < args.length; k++) {
      args[k].walk = mark;
      args[k].pos = k;
    }
    // post-order walk that stops at the arguments; a node is in the part when an input of it leads to an argument
    const nodes: GraphNode[] = [];
    const stack: Value[] = [loss];
    while (stack.length) {
      const v = stack[stack.length - 1];
      const node = v.node;
      if (v.walk === mark || !node || node.done === mark) {
        stack.pop();
        continue;
      }
      if (node.custom) return undefined;
      if (node.open === mark) {
        stack.pop();
        node.done = mark;
        node.pos = -1;
        for (const u of node.inputs)
          if (u.walk === mark || (u.node !== undefined && u.node.done === mark && u.node.pos! >= 0)) {
            node.pos = nodes.length;
            nodes.push(node);
            break;
          }
        continue;
      }
      node.open = mark;
      for (const u of node.inputs) if (u.walk !== mark && u.node && u.node.done !== mark) stack.push(u);
    }
    const fwd: Forward = { mark, nodes, leaves: [], codes: [] };
    for (const n of nodes) {
      fwd.codes.push(n.inputs.length);
      for (const u of n.inputs) codeForward(fwd, u);
    }
    codeForward(fwd, loss);
    return fwd;
  }

  /** The gradients of `args` replayed from a trace of the same structure, or undefined. */
  replay(fwd: Forward, args: Value[]): MxArray[] | undefined {
    for (let t = 0; t < this.traces.length; t++) {
      const trace = this.traces[t];
      if (!matches(trace, fwd, args)) continue;
      if (t) this.traces = [trace, ...this.traces.filter((x) => x !== trace)];
      replays++;
      return rebuild(trace, fwd, args);
    }
    return undefined;
  }

  /**
   * Keeps the backward graph a call built, `made` its nodes (in order) and
   * `grads` its gradients, unless it reads something a replay could not
   * bind (a value computed outside, large host data).
   */
  record(fwd: Forward, args: Value[], made: GraphNode[], grads: MxArray[]): void {
    const first = made.length ? made[0].id : Infinity;
    made.forEach((n, i) => (n.pos = i));
    const constants: Value[] = [];
    const code = (v: Value, into: number[]): boolean => {
      const node = v.node;
      if (v.walk === fwd.mark) into.push(v.pos >= 0 ? ARG : LEAF, v.pos >= 0 ? v.pos : -1 - v.pos);
      else if (node && node.id >= first) into.push(BACKWARD - node.pos!, v.index);
      else if (node && node.done === fwd.mark && node.pos! >= 0) into.push(node.pos!, v.index);
      else if (!node && v.host && !v.disposed && v.host.byteLength <= CONSTANT_BYTES) {
        let k = constants.findIndex((c) => c.host === v.host && c.dtype === v.dtype);
        if (k < 0) {
          const c = new Value(v.dtype, v.shape);
          c.host = v.host;
          k = constants.push(c) - 1;
        }
        into.push(CONSTANT, k);
      } else return false;
      return true;
    };
    const steps: Step[] = [];
    for (const n of made) {
      const inputs: number[] = [];
      for (const v of n.inputs) if (!code(v, inputs)) return;
      steps.push({ op: n.op, attrs: frozenCopy(n.attrs), outs: n.values.map((v) => ({ dtype: v.dtype, shape: v.shape, owned: true })), inputs });
    }
    const gradCodes: number[] = [];
    for (const g of grads) if (!code(g._v, gradCodes)) return;
    const trace: Trace = {
      ops: fwd.nodes.map((n) => n.op),
      outputCounts: fwd.nodes.map((n) => n.outputCount),
      attrs: fwd.nodes.map((n) => structuredClone(n.attrs)),
      codes: fwd.codes,
      argTypes: args.map((a) => [a.dtype, a.shape]),
      leafTypes: fwd.leaves.map((l) => [l.dtype, l.shape]),
      steps,
      constants,
      grads: gradCodes,
    };
    this.traces = [trace, ...this.traces].slice(0, TRACES);
  }
}

// The replayed nodes share their attrs, frozen (the request plans compare frozen attrs by identity first).
function frozenCopy(attrs: Record<string, unknown>): Record<string, unknown> {
  const freeze = (x: unknown): unknown => {
    if (typeof x === 'object' && x !== null) Object.values(Object.freeze(x)).forEach(freeze);
    return x;
  };
  return freeze(structuredClone(attrs)) as Record<string, unknown>;
}

// Leaves are numbered as the codes meet them, so that a value read twice is one leaf.
function codeForward(fwd: Forward, v: Value): void {
  const node = v.node;
  if (v.walk === fwd.mark) fwd.codes.push(v.pos >= 0 ? ARG : LEAF, v.pos >= 0 ? v.pos : -1 - v.pos);
  else if (node && node.done === fwd.mark && node.pos! >= 0) fwd.codes.push(node.pos!, v.index);
  else {
    v.walk = fwd.mark;
    v.pos = -1 - fwd.leaves.length;
    fwd.codes.push(LEAF, fwd.leaves.length);
    fwd.leaves.push(v);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameTypes(want: Array<[Dtype, readonly number[]]>, values: Value[]): boolean {
  if (want.length !== values.length) return false;
  for (let i = 0; i < values.length; i++) if (values[i].dtype !== want[i][0] || !sameShape(values[i].shape, want[i][1])) return false;
  return true;
}

function matches(trace: Trace, fwd: Forward, args: Value[]): boolean {
  const { nodes, codes } = fwd;
  if (trace.ops.length !== nodes.length || trace.codes.length !== codes.length) return false;
  if (!sameTypes(trace.argTypes, args) || !sameTypes(trace.leafTypes, fwd.leaves)) return false;
  for (let i = 0; i < codes.length; i++) if (codes[i] !== trace.codes[i]) return false;
  for (let i = 0; i < nodes.length; i++)
    if (nodes[i].op !== trace.ops[i] || nodes[i].outputCount !== trace.outputCounts[i] || !sameAttrs(nodes[i].attrs, trace.attrs[i])) return false;
  return true;
}

function rebuild(trace: Trace, fwd: Forward, args: Value[]): MxArray[] {
  const made: Value[][] = new Array(trace.steps.length);
  const resolve = (a: number, b: number): Value =>
    a >= 0 ? fwd.nodes[a].values[b] : a === ARG ? args[b] : a === LEAF ? fwd.leaves[b] : a === CONSTANT ? trace.constants[b] : made[BACKWARD - a][b];
  for (let s = 0; s < trace.steps.length; s++) {
    const step = trace.steps[s];
    // built by push, as every node's inputs are (graph.ts, valuesOf)
    const inputs: Value[] = [];
    for (let i = 0; i < step.inputs.length; i += 2) inputs.push(resolve(step.inputs[i], step.inputs[i + 1]));
    made[s] = applyValues(step.op, inputs, step.attrs, step.outs);
  }
  const grads: MxArray[] = [];
  for (let i = 0; i < trace.grads.length; i += 2) {
    const a = trace.grads[i];
    let v = resolve(a, trace.grads[i + 1]);
    if (a === CONSTANT) {
      // the program may dispose what it gets, or write to its data: never the trace's own constant
      const c = new Value(v.dtype, v.shape);
      c.host = v.host!.slice();
      v = c;
    }
    grads.push(new MxArray(v));
  }
  return grads;
}
