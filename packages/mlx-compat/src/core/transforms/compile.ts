// compile: fn is traced once per signature (the dtypes and shapes of its array
// arguments, their ranks when shapeless, and the values of the others) into a
// plan the engine keeps; later calls send only the inputs, as handles or
// buffers, and get handles back.
import { MxArray, Value } from '../array.js';
import { buildRequest, evalValues, finish, isTracing, ref, session, track, untidied, whileTracingShapeless } from '../graph.js';
import { MxError } from '../errors.js';
import { engineOp } from '../registry.js';
import { leafSlots, leaves, rebuild } from './tree.js';
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
  /** How many of the outputs are fn's result; the rest are the leaves of the outputs tree. */
  results: number;
}

/**
 * Trees a compiled function reads and writes besides its arguments, as MLX's
 * compile(fn, inputs=, outputs=): their array leaves (a model's parameters, an
 * optimizer's state) enter each call as inputs, and the outputs tree's leaves
 * are replaced by what the call computed, resident in the engine.
 */
export interface CompileOptions {
  inputs?: unknown;
  outputs?: unknown;
  shapeless?: boolean;
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

function stateTree(tree: unknown, argument: string): unknown {
  if (tree instanceof MxArray) throw new MxError('compile', argument, 'must be a tree (a list or a dict) of arrays, not an array');
  return tree;
}

const OPTION_NAMES = new Set(['inputs', 'outputs', 'shapeless']);

// What follows fn: shapeless, the options, or MLX's positional inputs (a
// list), outputs and shapeless. Anything else is refused, rather than read
// as no state: a step traced without its state would leave traced arrays in
// the model.
function compileOptions(options: unknown, rest: unknown[]): CompileOptions {
  if (Array.isArray(options)) {
    const [outputs, shapeless = false] = rest;
    if (typeof shapeless !== 'boolean' || rest.length > 2) throw new MxError('compile', 'shapeless', 'compile(fn, inputs, outputs, shapeless) takes a boolean last');
    return { inputs: options, outputs, shapeless };
  }
  if (rest.length) throw new MxError('compile', 'options', 'only a list of inputs may be followed by outputs and shapeless');
  if (options === undefined || typeof options === 'boolean') return { shapeless: options ?? false };
  if (options !== null && typeof options === 'object' && !(options instanceof MxArray) && Object.keys(options).every((k) => OPTION_NAMES.has(k))) return options as CompileOptions;
  throw new MxError('compile', 'options', 'must be shapeless (a boolean), {inputs, outputs, shapeless}, or the inputs as a list of trees');
}

/**
 * compile(fn, shapeless = false), compile(fn, {inputs, outputs, shapeless})
 * or compile(fn, inputs, outputs, shapeless).
 * With shapeless, inputs of new shapes (same dtypes and ranks) reuse the
 * tracing: the engine plans the same graph for them, and output shapes come
 * back from it. With inputs/outputs, the leaves of those trees are implicit
 * inputs and outputs (see CompileOptions).
 */
export function compile<F extends AnyFn>(fn: F, options?: boolean | CompileOptions): Compiled<F>;
/** compile(fn, inputs, outputs, shapeless), MLX's positional order: the state trees as a list. */
export function compile<F extends AnyFn>(fn: F, inputs: unknown[], outputs?: unknown, shapeless?: boolean): Compiled<F>;
export function compile<F extends AnyFn>(fn: F, options?: boolean | CompileOptions | unknown[], ...rest: unknown[]): Compiled<F> {
  const { shapeless = false, inputs: stateIn, outputs: stateOut } = compileOptions(options, rest);
  stateTree(stateIn, 'inputs');
  stateTree(stateOut, 'outputs');
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
  // fn runs on placeholders: its arguments' arrays, and the inputs tree's
  // leaves put in place for the tracing and put back after it
  const trace = (args: unknown[], inputs: MxArray[], argCount: number): Entry => {
    const placeholders = inputs.map((x) => {
      const v = new Value(x.dtype, x.shape);
      v.placeholder = true;
      return v;
    });
    const tracked = placeholders.map((p) => track(p));
    const traced = rebuild(args, tracked.slice(0, argCount));
    const slots = leafSlots(stateIn);
    const saved = slots.map(([c, k]) => c[k]);
    slots.forEach(([c, k], i) => (c[k] = tracked[argCount + i]));
    let tree: unknown, stateOutputs: Value[];
    try {
      tree = shapeless ? whileTracingShapeless(() => call(...(traced as unknown[]))) : call(...(traced as unknown[]));
      stateOutputs = leaves(stateOut).map((o) => o._v);
    } finally {
      slots.forEach(([c, k], i) => (c[k] = saved[i]));
    }
    const results = leaves(tree).map((o) => o._v);
    const outputs = [...results, ...stateOutputs];
    if (shapeless) checkShapeless(outputs, placeholders);
    traces++;
    return { placeholders, outputs, tree, plans: new Map(), results: results.length };
  };
  const compiled = (...args: unknown[]) => {
    const argInputs = leaves(args);
    const inputs = [...argInputs, ...leaves(stateIn)];
    // under a transform (or a vmap trace) the function is inlined, so the transform sees through it
    if (!enabled || isTracing() || inputs.some((x) => x._v.placeholder)) return call(...args);
    const key = signature([args, inputs.slice(argInputs.length)], shapeless);
    let entry = cache.get(key);
    if (!entry) cache.set(key, (entry = untidied(() => trace(args, inputs, argInputs.length))));
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
    const arrays = results.map((v) => track(v));
    const slots = leafSlots(stateOut);
    if (slots.length !== arrays.length - entry.results)
      throw new MxError('compile', 'outputs', `the outputs tree has ${slots.length} arrays where the traced function left ${arrays.length - entry.results}`);
    slots.forEach(([c, k], i) => (c[k] = arrays[entry!.results + i]));
    return rebuild(entry.tree, arrays.slice(0, entry.results));
  };
  Object.defineProperty(compiled, 'traces', { get: () => traces });
  plansOf.register(compiled, cache);
  return compiled as unknown as Compiled<F>;
}
