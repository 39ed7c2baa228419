// compile: fn is traced once per signature (the dtypes and shapes of its array
// arguments and the values of the others) into a plan the engine keeps; later
// calls send only the inputs, as handles or buffers, and get handles back.
import { MxArray, Value } from '../array.js';
import { buildRequest, evalValues, finish, isTracing, ref, session, track } from '../graph.js';
import { leaves, rebuild } from './tree.js';

let enabled = true;
/** Calls of compiled functions run them directly until enableCompile(). */
export const disableCompile = (): void => {
  enabled = false;
};
export const enableCompile = (): void => {
  enabled = true;
};

let nextPlan = 1;

interface Entry {
  plan: string;
  placeholders: Value[];
  outputs: Value[];
  tree: unknown;
}

type AnyFn = (...args: never[]) => unknown;
/** A compiled function; `traces` counts how often fn was traced (once per new signature). */
export type Compiled<F extends AnyFn> = ((...args: Parameters<F>) => unknown) & { readonly traces: number };

function signature(args: unknown[]): string {
  return JSON.stringify(args, (_, v) => (v instanceof MxArray ? `${v.dtype.name}[${v.shape}]` : v));
}

/**
 * compile(fn, shapeless = false). `shapeless` is accepted for MLX's signature;
 * a plan has fixed shapes, so new shapes are traced anew either way.
 */
export function compile<F extends AnyFn>(fn: F, shapeless = false): Compiled<F> {
  const call = fn as unknown as (...a: unknown[]) => unknown;
  const cache = new Map<string, Entry>();
  let traces = 0;
  const trace = (args: unknown[], inputs: MxArray[]): Entry => {
    const placeholders = inputs.map((x) => {
      const v = new Value(x.dtype, x.shape);
      v.placeholder = true;
      return v;
    });
    const traced = rebuild(args, placeholders.map((p) => track(p)));
    const tree = call(...(traced as unknown[]));
    const outputs = leaves(tree).map((o) => o._v);
    const plan = `compiled${nextPlan++}`;
    const { text, buffers } = buildRequest(outputs, new Set(placeholders), plan);
    session().evalText(text, buffers);
    traces++;
    return { plan, placeholders, outputs, tree };
  };
  const compiled = (...args: unknown[]) => {
    const inputs = leaves(args);
    // under a transform (or a vmap trace) the function is inlined, so the transform sees through it
    if (!enabled || isTracing() || inputs.some((x) => x._v.placeholder)) return call(...args);
    const key = signature(args);
    let entry = cache.get(key);
    if (!entry) cache.set(key, (entry = trace(args, inputs)));
    evalValues(inputs.map((x) => x._v));
    const buffers: ArrayBufferView[] = [];
    const request = {
      schema_version: 1 as const,
      run_plan: entry.plan,
      inputs: inputs.map((x, i) => {
        const id = `a${entry!.placeholders[i].id}`;
        if (x._v.handle) return { id, handle: x._v.handle };
        buffers.push(x._v.host!);
        return { id, buffer: buffers.length - 1 };
      }),
      outputs: entry.outputs.map((v) => ({ ref: ref(v), as: 'handle' as const })),
    };
    const res = session().eval(request, buffers);
    const results = entry.outputs.map((o) => new Value(o.dtype, o.shape));
    finish(results, res.outputs);
    return rebuild(entry.tree, results.map((v) => track(v)));
  };
  Object.defineProperty(compiled, 'traces', { get: () => traces });
  return compiled as unknown as Compiled<F>;
}
