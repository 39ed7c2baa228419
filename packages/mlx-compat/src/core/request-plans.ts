// Repeated evaluations as engine plans. A training loop sends the same
// graph every step with only its inputs changed (new weights, new scalars);
// the engine's parse, validation, inference and scheduling of that graph are
// most of what a small step costs. An evaluation whose graph the facade has
// sent before therefore becomes a plan of the session (define_plan, every
// input a placeholder), and later ones run it with only the inputs
// (run_plan): the same ops, receipts and results as the full request.
import type { CompactResponse, EvalResponse } from 'mlx-capi-bridge';
import type { GraphNode, Value } from './array.js';
import { session } from './graph.js';

/**
 * An evaluation request in parts, with the request's own ids (leaves i0,
 * i1, ..., nodes n0, n1, ... in order), so that the same graph over other
 * inputs gives the same `graph` text.
 */
export interface RequestParts {
  /** `"backend":"mlx",` or empty. */
  backend: string;
  /** Each input's `"dtype":...,"shape":[...]`, in order. */
  types: string[];
  /** Each input's source: `"handle":"h3"` or `"buffer":0` (its type follows from `types`). */
  sources: string[];
  /** `"nodes":[...],"outputs":[...]`. */
  graph: string;
  buffers: ArrayBufferView[];
}

// A graph is made a plan the second time it is sent, so one-off evaluations
// cost no plan. Both tables are bounded: the graphs seen once (oldest
// forgotten first) and the plans (least recently run released first).
const SEEN_LIMIT = 256;
const PLAN_LIMIT = 64;
const seen = new Set<string>();
const plans = new Map<string, string>();
let nextPlan = 1;

/** @internal How many plans the request cache holds in the session (tests tell them from compile's). */
export const requestPlanCount = (): number => plans.size;

const full = (p: RequestParts) =>
  `{"schema_version":1,${p.backend}"inputs":[${p.types.map((t, i) => `{"id":"i${i}",${t},${p.sources[i]}}`).join(',')}],${p.graph}}`;

/**
 * A graph about to be sent, its nodes and leaves numbered by position
 * (`pos`), inputs before users; `outputs` every value it returns, in order.
 */
export interface PendingGraph {
  backend: string;
  nodes: GraphNode[];
  leaves: Value[];
  outputs: Value[];
}

// The structure of a graph sent as a plan, kept to recognise the graph
// again without writing its text: a training loop sends the same one every
// step, and writing and hashing its text was a tenth of the facade's time
// in a step. Inputs are coded as (node position, output index), a leaf as
// (-1 - its position, 0).
interface Structure {
  key: string;
  name: string;
  backend: string;
  ops: string[];
  outputCounts: number[];
  attrs: Array<Record<string, unknown>>;
  inputs: number[];
  dtypes: string[];
  shapes: Array<readonly number[]>;
  outputs: number[];
}
// The structures of the plans run last, most recent first.
const RECENT_LIMIT = 8;
let recent: Structure[] = [];

function code(v: Value, into: number[]): void {
  if (!v.node || v.handle) into.push(-1 - v.pos, 0);
  else into.push(v.node.pos!, v.index);
}

/** @internal Attributes are JSON values (numbers, strings, booleans, null, lists and objects of them). */
export function sameAttrs(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameAttrs(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++)
    if (ka[i] !== kb[i] || !sameAttrs((a as Record<string, unknown>)[ka[i]], (b as Record<string, unknown>)[kb[i]])) return false;
  return true;
}

// Whether value `v` has code (into[k], into[k + 1]) (see code()).
function hasCode(v: Value, into: number[], k: number): boolean {
  if (!v.node || v.handle) return into[k] === -1 - v.pos && into[k + 1] === 0;
  return into[k] === v.node.pos && into[k + 1] === v.index;
}

// Compared in place: a step's graph is compared every step, and arrays of its codes were garbage.
function matches(s: Structure, g: PendingGraph): boolean {
  const { nodes, leaves, outputs } = g;
  if (s.backend !== g.backend || s.ops.length !== nodes.length || s.dtypes.length !== leaves.length || s.outputs.length !== 2 * outputs.length) return false;
  for (let i = 0; i < leaves.length; i++) {
    const shape = leaves[i].shape, want = s.shapes[i];
    if (leaves[i].dtype.name !== s.dtypes[i] || shape.length !== want.length) return false;
    for (let d = 0; d < shape.length; d++) if (shape[d] !== want[d]) return false;
  }
  const inputs = s.inputs;
  let k = 0;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (n.op !== s.ops[i] || n.outputCount !== s.outputCounts[i] || !sameAttrs(n.attrs, s.attrs[i])) return false;
    if (inputs[k++] !== n.inputs.length) return false;
    for (let j = 0; j < n.inputs.length; j++, k += 2) if (!hasCode(n.inputs[j], inputs, k)) return false;
  }
  if (k !== inputs.length) return false;
  for (let i = 0; i < outputs.length; i++) if (!hasCode(outputs[i], s.outputs, 2 * i)) return false;
  return true;
}

function structure(g: PendingGraph, key: string, name: string): Structure {
  const inputs: number[] = [], outputs: number[] = [];
  for (const n of g.nodes) {
    inputs.push(n.inputs.length);
    for (const v of n.inputs) code(v, inputs);
  }
  for (const v of g.outputs) code(v, outputs);
  return {
    key,
    name,
    backend: g.backend,
    ops: g.nodes.map((n) => n.op),
    outputCounts: g.nodes.map((n) => n.outputCount),
    // a copy: the structure outlives the graph, whose attrs are not ours to keep (frozen ones are nobody's to change)
    attrs: g.nodes.map((n) => (Object.isFrozen(n.attrs) ? n.attrs : (JSON.parse(JSON.stringify(n.attrs)) as Record<string, unknown>))),
    inputs,
    dtypes: g.leaves.map((l) => l.dtype.name),
    shapes: g.leaves.map((l) => l.shape.slice()),
    outputs,
  };
}

function noteRecent(s: Structure): void {
  recent = [s, ...recent.filter((r) => r !== s && r.name !== s.name)].slice(0, RECENT_LIMIT);
}

/**
 * The name of the plan of a graph with this structure, when it is one of
 * the plans run last (then the most recently run), else undefined: the
 * caller writes the request's text and calls sendRequest.
 */
export function knownPlan(g: PendingGraph): string | undefined {
  for (const s of recent) {
    if (!matches(s, g)) continue;
    if (plans.get(s.key) !== s.name) return undefined; // released since
    plans.delete(s.key); // re-inserted last: the most recently run
    plans.set(s.key, s.name);
    if (recent[0] !== s) noteRecent(s);
    return s.name;
  }
  return undefined;
}

/**
 * Runs a plan of the session with its inputs' sources (`"handle":"h3"` or
 * `"buffer":0`, in order). The reply is the compact one: the outputs'
 * handles, whose dtypes and shapes the plan fixed when its graph was checked.
 */
export function runPlan(name: string, sources: string[], buffers: ArrayBufferView[]): CompactResponse {
  let inputs = '';
  for (let i = 0; i < sources.length; i++) inputs += `${i ? ',' : ''}{"id":"i${i}",${sources[i]}}`;
  return session().runCompact(`{"schema_version":1,"run_plan":"${name}","reply":"compact","inputs":[${inputs}]}`, buffers);
}

/** Evaluates a request built as parts (of graph `g`): a plan's run when this graph was sent before. */
export function sendRequest(p: RequestParts, g: PendingGraph): EvalResponse | CompactResponse {
  const key = `${p.backend}${p.types.join(';')}|${p.graph}`;
  let name = plans.get(key);
  if (name === undefined) {
    if (!seen.has(key)) {
      if (seen.size >= SEEN_LIMIT) seen.delete(seen.values().next().value!);
      seen.add(key);
      // compact: the facade checks the outputs' types from numbers, not an object each
      return session().evalText(full(p), p.buffers, 'compact');
    }
    seen.delete(key);
    name = `request${nextPlan++}`;
    const inputs = p.types.map((t, i) => `{"id":"i${i}",${t},"placeholder":true}`).join(',');
    session().evalText(`{"schema_version":1,${p.backend}"define_plan":"${name}","inputs":[${inputs}],${p.graph}}`);
    if (plans.size >= PLAN_LIMIT) {
      const [oldKey, oldName] = plans.entries().next().value!;
      plans.delete(oldKey);
      recent = recent.filter((r) => r.name !== oldName);
      session().releasePlan(oldName);
    }
  } else {
    plans.delete(key); // re-inserted last: the most recently run
  }
  plans.set(key, name);
  noteRecent(structure(g, key, name));
  return runPlan(name, p.sources, p.buffers);
}
