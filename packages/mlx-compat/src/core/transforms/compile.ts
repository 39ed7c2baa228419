// compile: fn is traced once per signature (the dtypes and shapes of its array
// arguments, their ranks when shapeless, and the values of the others) into a
// plan the engine keeps; later calls send only the inputs, as handles or
// buffers, and get handles back.
import { MxArray, Value } from '../array.js';
import { buildRequest, evalValues, finish, isTracing, ref, session, track, whileTracingShapeless } from '../graph.js';
import { MxError } from '../errors.js';
import { engineOp } from '../registry.js';
import { leaves, rebuild } from './tree.js';
import { walk } from './walk.js';

let enabled = true;
/** Calls of compiled functions run them directly until enableCompile(). */
export const disableCompile = (): void => {
  enabled = false;
};
export const enableCompile = (): void => {
  enabled = true;
};

let nextPlan = 1;

// A compiled function's plans live in the engine until the function is
// collected (a shapeless one has a plan per set of input shapes).
const plansOf = new FinalizationRegistry<Map<string, Entry>>((cache) => {
  try {
    for (const entry of cache.values()) for (const name of entry.plans.values()) session().releasePlan(name);
  } catch {
    // the session is gone at exit; nothing to release
  }
});

// What one tracing of fn gave: its graph, from placeholders to outputs, and
// the engine plans made of it, one per set of input shapes (a shapeless
// compile keeps one tracing for inputs of other shapes and only plans anew).
interface Entry {
  placeholders: Value[];
  outputs: Value[];
  tree: unknown;
  plans: Map<string, string>;
}

type AnyFn = (...args: never[]) => unknown;
/** A compiled function; `traces` counts how often fn was traced (once per new signature). */
export type Compiled<F extends AnyFn> = ((...args: Parameters<F>) => ReturnType<F>) & { readonly traces: number };

// Array arguments by dtype and shape, or by dtype and rank when shapeless;
// other arguments by value.
function signature(args: unknown[], shapeless: boolean): string {
  return JSON.stringify(args, (_, v) => (v instanceof MxArray ? `${v.dtype.name}[${shapeless ? `rank ${v.ndim}` : v.shape}]` : v));
}

const shapesOf = (inputs: MxArray[]) => inputs.map((x) => x.shape.join(',')).join(';');

// A shapeless graph may hold only ops whose output shapes follow from their
// inputs' (the engine's registry says which); as in MLX, another op refuses
// the compile rather than give wrong shapes later.
function checkShapeless(outputs: Value[], placeholders: Value[]): void {
  const { order } = walk(outputs, (v) => placeholders.includes(v) || !!v.handle);
  const fixed = order.find((n) => !engineOp(n.op).shapeless);
  if (fixed) throw new MxError('compile', 'shapeless', `the function uses ${fixed.op}, whose attributes fix its output's shape, so it cannot be compiled shapeless`);
}

/**
 * compile(fn, shapeless = false). With shapeless, inputs of new shapes (same
 * dtypes and ranks) reuse the tracing: the engine plans the same graph for
 * them, and output shapes come back from it.
 */
export function compile<F extends AnyFn>(fn: F, shapeless = false): Compiled<F> {
  const call = fn as unknown as (...a: unknown[]) => unknown;
  const cache = new Map<string, Entry>();
  let traces = 0;
  const plan = (entry: Entry, inputs: MxArray[]): string => {
    const name = `compiled${nextPlan++}`;
    const shapes = new Map(entry.placeholders.map((p, i) => [p, inputs[i].shape]));
    const { text, buffers } = buildRequest(entry.outputs, new Set(entry.placeholders), name, shapes);
    session().evalText(text, buffers);
    entry.plans.set(shapesOf(inputs), name);
    return name;
  };
  const trace = (args: unknown[], inputs: MxArray[]): Entry => {
    const placeholders = inputs.map((x) => {
      const v = new Value(x.dtype, x.shape);
      v.placeholder = true;
      return v;
    });
    const traced = rebuild(args, placeholders.map((p) => track(p)));
    const tree = shapeless ? whileTracingShapeless(() => call(...(traced as unknown[]))) : call(...(traced as unknown[]));
    const outputs = leaves(tree).map((o) => o._v);
    if (shapeless) checkShapeless(outputs, placeholders);
    traces++;
    return { placeholders, outputs, tree, plans: new Map() };
  };
  const compiled = (...args: unknown[]) => {
    const inputs = leaves(args);
    // under a transform (or a vmap trace) the function is inlined, so the transform sees through it
    if (!enabled || isTracing() || inputs.some((x) => x._v.placeholder)) return call(...args);
    const key = signature(args, shapeless);
    let entry = cache.get(key);
    if (!entry) cache.set(key, (entry = trace(args, inputs)));
    const planName = entry.plans.get(shapesOf(inputs)) ?? plan(entry, inputs);
    evalValues(inputs.map((x) => x._v));
    const buffers: ArrayBufferView[] = [];
    const request = {
      schema_version: 1 as const,
      run_plan: planName,
      inputs: inputs.map((x, i) => {
        const id = `a${entry!.placeholders[i].id}`;
        if (x._v.handle) return { id, handle: x._v.handle };
        buffers.push(x._v.host!);
        return { id, buffer: buffers.length - 1 };
      }),
      outputs: entry.outputs.map((v) => ({ ref: ref(v), as: 'handle' as const })),
    };
    const res = session().eval(request, buffers);
    // shapes as traced (finish checks them) or, shapeless, as the engine found them
    const results = entry.outputs.map((o, k) => new Value(o.dtype, shapeless ? res.outputs[k].shape : o.shape));
    finish(results, res.outputs);
    return rebuild(entry.tree, results.map((v) => track(v)));
  };
  Object.defineProperty(compiled, 'traces', { get: () => traces });
  plansOf.register(compiled, cache);
  return compiled as unknown as Compiled<F>;
}
