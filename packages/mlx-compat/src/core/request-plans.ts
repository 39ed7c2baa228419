// Repeated evaluations as engine plans. A training loop sends the same
// graph every step with only its inputs changed (new weights, new scalars);
// the engine's parse, validation, inference and scheduling of that graph are
// most of what a small step costs. An evaluation whose graph the facade has
// sent before therefore becomes a plan of the session (define_plan, every
// input a placeholder), and later ones run it with only the inputs
// (run_plan): the same ops, receipts and results as the full request.
import type { EvalResponse } from 'mlx-capi-bridge';
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

/** Evaluates a request built as parts: a plan's run when this graph was sent before. */
export function sendRequest(p: RequestParts): EvalResponse {
  const key = `${p.backend}${p.types.join(';')}|${p.graph}`;
  let name = plans.get(key);
  if (name === undefined) {
    if (!seen.has(key)) {
      if (seen.size >= SEEN_LIMIT) seen.delete(seen.values().next().value!);
      seen.add(key);
      return session().evalText(full(p), p.buffers);
    }
    seen.delete(key);
    name = `request${nextPlan++}`;
    const inputs = p.types.map((t, i) => `{"id":"i${i}",${t},"placeholder":true}`).join(',');
    session().evalText(`{"schema_version":1,${p.backend}"define_plan":"${name}","inputs":[${inputs}],${p.graph}}`);
    if (plans.size >= PLAN_LIMIT) {
      const [oldKey, oldName] = plans.entries().next().value!;
      plans.delete(oldKey);
      session().releasePlan(oldName);
    }
  } else {
    plans.delete(key); // re-inserted last: the most recently run
  }
  plans.set(key, name);
  return session().evalText(`{"schema_version":1,"run_plan":"${name}","inputs":[${p.sources.map((s, i) => `{"id":"i${i}",${s}}`).join(',')}]}`, p.buffers);
}
