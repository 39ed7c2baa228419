// Evaluation: the part of the graph not yet evaluated goes to the engine as
// one request; results stay resident as handles, released when their arrays
// are collected, disposed or left behind by tidy().
import { constants as bufferConstants } from 'node:buffer';
import { type CompactResponse, type DType, DTYPES, type EvalResponse, MlxBridgeError, type BackendName, type Receipt, Session, type TypedArray } from 'mlx-capi-bridge';
import { dropHolders, flushHolds, MxArray, Value, type GraphNode } from './array.js';
import type { Dtype } from './dtype.js';
import { flightsBehind, inFlight } from './flight.js';
import { NO_ATTRS, releaseNode } from './node.js';
import { knownPlan, type PendingGraph, type RequestParts, runPlan, sendRequest } from './request-plans.js';
import { CountedRegistry } from './registrations.js';

let shared: Session | undefined;
let chosen: BackendName | undefined;

/**
 * The engine backend that evaluates from now on: 'native' (the engine's own
 * kernels) or 'mlx' (real MLX through mlx-c, where libmlxc loads); undefined
 * goes back to the process default (MLXCOMPAT_BACKEND, else 'native').
 * Arrays already evaluated stay valid on either backend.
 */
export function setBackend(name: BackendName | undefined): void {
  if (name !== undefined && name !== 'native' && name !== 'mlx') throw new MlxBridgeError(`setBackend: unknown backend ${String(name)} (native or mlx)`);
  chosen = name;
}

/** The backend setBackend chose, or undefined for the process default. */
export function getBackend(): BackendName | undefined {
  return chosen;
}

/** @internal The engine session every array of this process lives in. */
export function session(): Session {
  shared ??= new Session({ validate: false });
  return shared;
}

// Handles are released behind the evaluations in flight (which may read
// them), without waiting for them, and in one call for all that one
// collection found gone: a decoding step's intermediates were 64 calls.
// Nothing can read a handle waiting here (its arrays were collected or
// disposed); it goes when the batch it was found in ends (an evaluation's
// sweep, a dispose), or once the current job ends. A synchronous loop
// queues no microtask for it.
const unreleased: string[] = [];
let releaseQueued = false;
let batching = false;
function releaseHandle(handle: string): void {
  unreleased.push(handle);
  if (batching || releaseQueued) return;
  releaseQueued = true;
  queueMicrotask(releaseHandles);
}

function releaseHandles(): void {
  releaseQueued = false;
  if (!unreleased.length) return;
  try {
    session().releaseAllAfterJobs(unreleased);
  } catch {
    // the session is gone at exit; nothing to release
  }
  unreleased.length = 0;
}

/** Runs fn; the handles it releases go in one call when it ends. */
function releasingAfter(fn: () => void): void {
  if (batching) return fn();
  batching = true;
  try {
    fn();
  } finally {
    batching = false;
    releaseHandles();
  }
}

const finalizer = new CountedRegistry<string>(releaseHandle);

// V8 collects garbage when its own heap or its external memory grows; the
// engine's memory is invisible to it, so a loop that drops large arrays
// could grow engine memory for a long time before a collection releases
// them. The arrays of at least BALLAST_FROM bytes that an evaluation returns
// therefore share a buffer of their total size that is never touched: V8
// counts it as external memory, and it costs address space, not memory. It
// is allocated without zeroing (allocUnsafeSlow): zeroing would write every
// page of it. One buffer an evaluation, not one an array: every allocation
// that grows external memory runs V8's pressure check and steps of its
// collector (22 arrays of 4 MB: 15.6 ms one by one, 3.1 ms as one buffer).
// It is allocated when the arrays land: allocated when an asyncEval was sent,
// the collection it starts ran beside the engine's threads and paused the
// event loop longer (max delay 10-12 ms against 4.7-6.7, session 10). The
// buffer lives as long as the last array that holds it.
const BALLAST_FROM = 64 * 1024;

// The values an asyncEval keeps besides its targets are mostly arrays the
// program has dropped and V8 has not collected yet (the products of a chain
// the program reassigned): weighed when they landed, 17 of 4 MiB started a
// full collection at every landing, 3-5 ms of the event loop for garbage.
// They are weighed when they outlive the next collection instead (a sentinel
// dies in it), or at once when the engine memory waiting so would pass
// UNWEIGHED_MAX. Only landings on the event loop wait: a WeakRef keeps its
// target until the current job ends, which a synchronous loop never does.
const UNWEIGHED_MAX = 256 * 1024 * 1024;
type Unweighed = { values: Array<WeakRef<Value>>; bytes: number };
const unweighed = new Set<Unweighed>();
let unweighedBytes = 0;
const collections = new FinalizationRegistry<Unweighed>((batch) => {
  if (!unweighed.delete(batch)) return;
  unweighedBytes -= batch.bytes;
  weigh(survivors(batch));
});

/** The values of `batch` the program still holds and has not disposed. */
function survivors(batch: Unweighed): Value[] {
  const alive: Value[] = [];
  for (const ref of batch.values) {
    const v = ref.deref();
    if (v && !v.disposed && v.handle) alive.push(v);
  }
  return alive;
}

function weigh(values: Value[]): void {
  const live = values.filter((v) => !v.disposed);
  if (!live.length) return;
  const bytes = live.reduce((n, v) => n + bytesOf(v), 0);
  const shared = spare(bytes) ?? ballast(bytes);
  if (!shared) return;
  holders.set(shared, live.length);
  for (const v of live) v.ballast = shared;
}

// The ballasts of disposed arrays, kept by size for the next evaluation of
// that size, as the engine keeps their freed buffers for reuse: a loop that
// disposes each step's large outputs then allocates no new external memory,
// and V8 starts no collection for it (a new 64 MiB ballast a call took 0.4
// ms, and 6.7 ms in one call of ten, a collection). At most SPARE_MAX bytes;
// clearCache() drops them with the engine's cache.
const SPARE_MAX = 256 * 1024 * 1024;
const spares = new Map<number, Uint8Array[]>();
let spareBytes = 0;
// how many undisposed arrays hold each ballast
const holders = new WeakMap<Uint8Array, number>();

function spare(bytes: number): Uint8Array | undefined {
  const list = spares.get(bytes);
  const b = list?.pop();
  if (!b) return undefined;
  if (!list!.length) spares.delete(bytes);
  spareBytes -= b.length;
  return b;
}

function release(b: Uint8Array): void {
  const left = (holders.get(b) ?? 1) - 1;
  if (left > 0) return void holders.set(b, left);
  holders.delete(b);
  if (spareBytes + b.length > SPARE_MAX) return;
  const list = spares.get(b.length);
  if (list) list.push(b);
  else spares.set(b.length, [b]);
  spareBytes += b.length;
}

/** @internal Drops the ballasts kept for reuse (with the engine's cache). */
export function dropSpareBallasts(): void {
  spares.clear();
  spareBytes = 0;
}

/** @internal The bytes of ballast kept for reuse. */
export const spareBallastBytes = (): number => spareBytes;

const bytesOf = (v: Value) => v.shape.reduce((n, d) => n * d, 1) * v.dtype.size;

function attach(v: Value, handle: string): void {
  v.handle = handle;
  dropHolders(v);
  finalizer.register(v, handle, v);
}

/**
 * @internal An evaluated array over a handle the engine made outside a
 * request (a mapped file). It holds no ballast: its pages are the file's,
 * read when used, and count as no engine memory.
 */
export function adopt(dtype: Dtype, shape: number[], handle: string): MxArray {
  const v = new Value(dtype, shape);
  v.handle = handle;
  finalizer.register(v, handle, v);
  return track(v);
}

function disposeValue(v: Value): void {
  if (v.handle && !v.owner) {
    finalizer.unregister(v);
    releaseHandle(v.handle);
    v.handle = undefined;
  }
  dropHolders(v);
  v.disposed = true;
  // a node whose outputs are all evaluated or disposed will not run again
  const node = v.node;
  if (node && !node.released && node.values.every((o) => o.disposed || o.handle)) releaseNode(node);
  v.node = undefined;
  v.host = undefined;
  v.cache = undefined;
  if (v.ballast) release(v.ballast);
  v.ballast = undefined;
}

/** Releases the engine memory of arrays now; using them afterwards raises. */
export function dispose(...arrays: unknown[]): void {
  releasingAfter(() => {
    for (const a of collectArrays(arrays)) disposeValue(a._v);
  });
}

// Values created inside tidy() scopes, innermost last.
const scopes: Set<Value>[] = [];

// V8 keeps the map its objects of a class reach (once the class's fields
// are added) only while some object has it: a full collection that finds no
// array alive (between two loops that each make and drop their own) frees
// it, and every optimized function that embedded it is thrown away ("weak
// objects" deopts: the whole step path at once, then compiled again). One
// array that lives as long as the module, holding nothing, keeps the maps.
let mapAnchor: MxArray | undefined;

/** @internal Every new array passes through here. */
export function track(v: Value): MxArray {
  trackValue(v);
  mapAnchor ??= new MxArray(new Value(v.dtype, []));
  return new MxArray(v);
}

/** @internal Puts a new value in the innermost tidy() scope (track() without a wrapper). */
export function trackValue(v: Value): void {
  scopes[scopes.length - 1]?.add(v);
}

/** Runs fn and disposes every array it created except those it returns. */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Value>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const keep = new Set(collectArrays([result]).map((a) => a._v));
  // Kept arrays still need what their unevaluated graphs read.
  evalValues([...keep].filter((v) => scope.has(v)));
  releasingAfter(() => {
    for (const v of scope) {
      if (keep.has(v)) scopes[scopes.length - 1]?.add(v);
      else disposeValue(v);
    }
  });
  return result;
}

/**
 * @internal Runs fn outside any tidy() scope: what it creates outlives the
 * caller's scope (a compiled function's traced graph belongs to its cache).
 */
export function untidied<T>(fn: () => T): T {
  scopes.push(new Set<Value>());
  try {
    return fn();
  } finally {
    scopes.pop();
  }
}

/**
 * Every MxArray in a tree of arrays, objects and Maps. Plain loops, no
 * callbacks: a training step calls it once or twice, mostly before V8 has
 * optimized it, and the callbacks made its optimized code large to compile.
 */
export function collectArrays(tree: unknown, out: MxArray[] = []): MxArray[] {
  if (!tree || typeof tree !== 'object') return out;
  if (tree instanceof MxArray) out.push(tree);
  else if (Array.isArray(tree)) for (let i = 0; i < tree.length; i++) collectArrays(tree[i], out);
  else if (tree instanceof Map) for (const t of tree.values()) collectArrays(t, out);
  else if (!ArrayBuffer.isView(tree)) for (const t of Object.values(tree)) collectArrays(t, out);
  return out;
}

/**
 * The values of `arrays`, in a list built by push: Array.prototype.map's
 * result is packed in V8's interpreter and holey once optimized, and the
 * functions that read it were deoptimized ("wrong map") when it changed.
 */
export function valuesOf(arrays: MxArray[]): Value[] {
  const values: Value[] = [];
  for (let i = 0; i < arrays.length; i++) values.push(arrays[i]._v);
  return values;
}

export function ref(v: Value): string {
  if (!v.node || v.handle || v.placeholder) return `a${v.id}`;
  return v.node.outputCount > 1 ? `n${v.node.id}:${v.index}` : `n${v.node.id}`;
}

/** @internal Throws for a disposed array and for one a transform traces. */
export function checkUsable(v: Value): void {
  if (v.disposed) throw new MlxBridgeError(`an array of ${v.dtype.name}[${v.shape}] was disposed and cannot be used`);
  if (v.placeholder) throw new MlxBridgeError('a function under vmap or compile cannot evaluate or read its inputs (they are traced, not computed)');
}

/** Evaluates the arrays: one engine request for everything they still need. */
export function evalArrays(targets: MxArray[]): void {
  evalValues(valuesOf(targets));
}

// How deeply transforms are tracing (evaluated arrays then keep their graph
// nodes: the backward pass walks through them), how deeply a shapeless
// compile is (vjp rules then avoid constants taken from shapes), and how
// deeply a composite op builds its temporaries.
const depth = { tracing: 0, shapeless: 0, internal: 0 };
function within<T>(kind: keyof typeof depth, fn: () => T): T {
  if (!isUncounted()) uncountedNodes.length = 0;
  depth[kind]++;
  try {
    return fn();
  } finally {
    depth[kind]--;
  }
}
/** @internal Runs fn with graph nodes kept through evaluation. */
export const whileTracing = <T>(fn: () => T): T => within('tracing', fn);
/** @internal Runs fn as a shapeless compile traces it. */
export const whileTracingShapeless = <T>(fn: () => T): T => within('shapeless', fn);
/** @internal True while a shapeless compile traces a function. */
export const isTracingShapeless = () => depth.shapeless > 0;

/**
 * @internal True while new wrappers do not count as holders of their values:
 * a transform traces its function, or a composite op (internal) builds its
 * temporaries. JavaScript cannot tell a dropped wrapper from a held one
 * until a collection, which a synchronous loop never reaches, so counting
 * those would keep every temporary's result.
 */
export const isUncounted = () => depth.tracing > 0 || depth.internal > 0;

// The nodes made while wrappers did not count, since the outermost such scope began.
const uncountedNodes: GraphNode[] = [];
/** @internal The nodes made since the outermost uncounted scope began, oldest first (a transform records the part it made). */
export const uncountedSince = (start: number): GraphNode[] => uncountedNodes.slice(start);
/** @internal How many nodes the current uncounted scope has made so far. */
export const uncountedCount = (): number => uncountedNodes.length;

/** @internal Notes a new node (graphNode calls it). */
export function noteNode(node: GraphNode): void {
  if (isUncounted()) uncountedNodes.push(node);
}

/**
 * @internal Ends the outermost uncounted scope (transforms and internal()
 * call it on what they return): the arrays of `result` count as held from
 * now on, and the nodes made in the scope that they do not read belonged to
 * its temporaries only, so they stop holding their inputs.
 */
export function counted<T>(result: T): T {
  if (isUncounted()) return result;
  const arrays = collectArrays(result);
  if (uncountedNodes.length) {
    const first = uncountedNodes[0].id;
    // the nodes read are marked done by a walk of their own
    const read = nextWalk();
    const stack = valuesOf(arrays);
    while (stack.length) {
      const v = stack.pop()!;
      const n = v.node;
      if (!n || v.handle || n.id < first || n.done === read) continue;
      n.done = read;
      for (const i of n.inputs) stack.push(i);
    }
    for (const n of uncountedNodes) if (n.done !== read) releaseNode(n);
    uncountedNodes.length = 0;
  }
  for (const a of arrays) a._hold();
  return result;
}

/** @internal A composite op: its temporaries do not count as held, what it returns does. */
export const internal = <T>(fn: () => T): T => counted(within('internal', fn));

/**
 * @internal Host data (arrays made from JS values) is never uploaded to stay:
 * it is passed by pointer, without a copy, to each request that reads it, so
 * constants such as the 1 of add(x, 1) hold no engine memory.
 *
 * MLX's evaluation model: the request returns, besides the targets, every
 * value it computes that something outside its graph still holds (a wrapper
 * the program has, or a node of a graph not being evaluated), so each node
 * runs once while anything can still need its result.
 */
export function evalValues(targets: Value[]): void {
  // what a synchronous loop dropped goes before it asks for more
  releasingAfter(CountedRegistry.sweep);
  // what is in flight lands first: its values are read by handle, never computed again
  // (a landing sends the flights that waited for it, which may take values of this graph)
  for (let behind = inFlight() ? flightsBehind(targets) : undefined; behind?.size; behind = flightsBehind(targets))
    for (const f of behind) f.join();
  const pending: Value[] = [];
  for (let i = 0; i < targets.length; i++) if (targets[i].node && !targets[i].handle) pending.push(targets[i]);
  if (!pending.length) {
    for (let i = 0; i < targets.length; i++) checkUsable(targets[i]);
    return;
  }
  // the observer sees the request with the graph's own ids (tests check that no node is sent twice)
  const observed = receiptObserver && buildRequest(pending, new Set(), undefined, undefined, true).text;
  const { nodes, leaves, kept } = pendingGraph(pending, NO_PLACEHOLDERS, true);
  const g: PendingGraph = { backend: chosen ? `"backend":"${chosen}",` : '', nodes, leaves, outputs: kept.length ? pending.concat(kept) : pending };
  for (let i = 0; i < leaves.length; i++) leaves[i].pos = i;
  for (let i = 0; i < nodes.length; i++) nodes[i].pos = i;
  const plan = knownPlan(g);
  let res: EvalResponse | CompactResponse;
  if (plan !== undefined) {
    const buffers: ArrayBufferView[] = [];
    const sources = new Array<string>(leaves.length);
    for (let i = 0; i < leaves.length; i++) sources[i] = source(leaves[i], buffers);
    res = runPlan(plan, sources, buffers);
  } else {
    res = sendRequest(requestParts(g), g);
  }
  if ('receipt' in res) {
    if (observed) noteReceipt(res.receipt, observed);
    finish(g.outputs, res.outputs);
  } else {
    if (observed) noteReceipt(res, observed);
    finish(g.outputs, res.outputs as string[], false, g.outputs.length, res.types);
  }
  ran(nodes);
  // what this evaluation did not compute or release still holds: registered now
  flushHolds();
}

const NO_PLACEHOLDERS = new Set<Value>();

// An input's source in a request: its handle, or the next of `buffers`.
function source(l: Value, buffers: ArrayBufferView[]): string {
  if (l.handle) return `"handle":"${l.handle}"`;
  buffers.push(l.host!);
  return `"buffer":${buffers.length - 1}`;
}

/** The request that computes graph `g` (numbered by position), in parts and with the request's own ids (see RequestParts). */
function requestParts(g: PendingGraph): RequestParts {
  const { nodes, leaves, outputs } = g;
  const buffers: ArrayBufferView[] = [];
  const types = new Array<string>(leaves.length), sources = new Array<string>(leaves.length);
  for (let i = 0; i < leaves.length; i++) {
    const l = leaves[i];
    types[i] = `"dtype":"${l.dtype.name}","shape":[${l.shape.join(',')}]`;
    sources[i] = source(l, buffers);
  }
  const local = (v: Value) => (!v.node || v.handle ? `i${v.pos}` : v.node.outputCount > 1 ? `n${v.node.pos}:${v.index}` : `n${v.node.pos}`);
  let graph = '"nodes":[';
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const attrs = n.attrs === NO_ATTRS || Object.keys(n.attrs).length === 0 ? '' : `,"attrs":${JSON.stringify(n.attrs)}`;
    graph += `${i ? ',' : ''}{"id":"n${i}","op":"${n.op}","inputs":[${n.inputs.length ? `"${n.inputs.map(local).join('","')}"` : ''}]${attrs}}`;
  }
  graph += '],"outputs":[';
  for (let i = 0; i < outputs.length; i++) graph += `${i ? ',' : ''}{"ref":"${local(outputs[i])}","as":"handle"}`;
  graph += ']';
  return { backend: g.backend, types, sources, graph, buffers };
}

/**
 * @internal The nodes of a request that ran: outside a transform's tracing
 * none runs again (what the program holds of them was returned), so they
 * stop holding what they read.
 */
export function ran(nodes: GraphNode[]): void {
  if (!depth.tracing) for (const n of nodes) releaseNode(n);
}

/** What every receipt says, the full one of a request and the compact one of a plan's run. */
type Counts = Pick<Receipt, 'op_count' | 'fused_groups' | 'elapsed_ms'>;
type ReceiptObserver = (receipt: Counts, request: string) => void;
let receiptObserver: ReceiptObserver | undefined;
/** @internal Sees every evaluation's request and the engine's receipt (tests count the ops it ran). */
export function observeReceipts(observer: ReceiptObserver | undefined): void {
  receiptObserver = observer;
}
/** @internal Shows an evaluation's request and receipt to the observer (asyncEval's land later). */
export const noteReceipt = (receipt: Counts, request: string) => receiptObserver?.(receipt, request);

// Walks mark what they met with their own number, instead of keeping sets:
// a graph of many small ops is walked on every evaluation.
let walks = 0;
/** @internal A number no walk has used, for marks on nodes and values (open, done, walk, pos). */
export const nextWalk = (): number => ++walks;

/**
 * The nodes behind `outputs` that must run, inputs before users, and the
 * leaves they read (evaluated values, host data, placeholders). Iterative:
 * long chains must not overflow the stack. With `keep`, also the values
 * besides `outputs` that the nodes compute and that something outside them
 * holds (more references than the nodes' own reads).
 */
function pendingGraph(outputs: Value[], placeholders: Set<Value>, keep: boolean): { nodes: GraphNode[]; leaves: Value[]; kept: Value[] } {
  const walk = ++walks;
  const nodes: GraphNode[] = [];
  const leaves: Value[] = [];
  const isLeaf = (v: Value) => !v.node || !!v.handle || placeholders.has(v);
  const stack = outputs.slice();
  while (stack.length) {
    const v = stack[stack.length - 1];
    if (!placeholders.has(v)) checkUsable(v);
    if (isLeaf(v)) {
      stack.pop();
      if (v.walk !== walk) {
        v.walk = walk;
        leaves.push(v);
      }
      continue;
    }
    const node = v.node!;
    if (node.done === walk) {
      stack.pop();
    } else if (node.open === walk) {
      // back on top once everything it reads is done
      stack.pop();
      node.done = walk;
      nodes.push(node);
    } else {
      node.open = walk;
      for (const input of node.inputs) {
        if (keep) {
          if (input.usedWalk !== walk) {
            input.usedWalk = walk;
            input.used = 0;
          }
          input.used++;
        }
        if (isLeaf(input) ? input.walk !== walk : input.node!.done !== walk) stack.push(input);
      }
    }
  }
  const kept: Value[] = [];
  if (keep) {
    for (const o of outputs) o.usedWalk = -walk; // the targets are returned anyway
    for (const n of nodes)
      for (const v of n.values) if (v.usedWalk !== -walk && v.refs.n > (v.usedWalk === walk ? v.used : 0)) kept.push(v);
  }
  return { nodes, leaves, kept };
}

/**
 * @internal The request that computes `outputs`, as JSON text: the
 * unevaluated graph behind them as nodes, evaluated values as handles, host
 * data as buffers, and the values in `placeholders` as placeholder inputs of
 * a plan kept under the name `plan` (of the shapes in `shapes`, where given:
 * a shapeless compile plans one tracing for several), or of a function
 * exported to a .mlxfn file (`plan` the request's export_function, which the
 * mlx backend runs), placeholders first, in their set's order. With `keep`, the
 * request also returns the values pendingGraph keeps; `outputs` lists every
 * value returned, in order. Written as text directly: for a graph of
 * many small ops, building objects to stringify costs as much as the engine.
 */
export function buildRequest(
  outputs: Value[],
  placeholders: Set<Value>,
  plan?: string | { export_function: { file: string; shapeless: boolean; traces?: Array<{ inputs: string[]; outputs: string[] }> } },
  shapes?: Map<Value, readonly number[]>,
  keep = false,
): { text: string; buffers: ArrayBufferView[]; outputs: Value[]; nodes: GraphNode[] } {
  const { nodes, leaves, kept } = pendingGraph(outputs, placeholders, keep);
  // a plan takes every placeholder, even one its outputs do not read; an
  // exported function takes them as its arguments, in order
  const all = placeholders.size ? [...placeholders, ...leaves.filter((l) => !placeholders.has(l))] : leaves;
  if (kept.length) outputs = outputs.concat(kept);
  const buffers: ArrayBufferView[] = [];
  const typed = (l: Value) => `"dtype":"${l.dtype.name}","shape":[${(shapes?.get(l) ?? l.shape).join(',')}]`;
  const inputs = all.map((l) => {
    if (placeholders.has(l)) return `{"id":"${ref(l)}",${typed(l)},"placeholder":true}`;
    if (l.handle) return `{"id":"${ref(l)}","handle":"${l.handle}"}`;
    buffers.push(l.host!);
    return `{"id":"${ref(l)}",${typed(l)},"buffer":${buffers.length - 1}}`;
  });
  // ids, refs, op names and dtype names are plain identifiers: no escaping needed
  const nodeTexts = nodes.map((n) => {
    const refs = n.inputs.length ? `"${n.inputs.map(ref).join('","')}"` : '';
    const attrs = Object.keys(n.attrs).length ? `,"attrs":${JSON.stringify(n.attrs)}` : '';
    return `{"id":"n${n.id}","op":"${n.op}","inputs":[${refs}]${attrs}}`;
  });
  const outs = outputs.map((a) => `{"ref":"${ref(a)}","as":"handle"}`);
  const backend = chosen ? `,"backend":"${chosen}"` : '';
  const head =
    plan === undefined
      ? `{"schema_version":1${backend}`
      : typeof plan === 'string'
        ? `{"schema_version":1${backend},"define_plan":${JSON.stringify(plan)}`
        : `{"schema_version":1,"backend":"mlx","export_function":${JSON.stringify(plan.export_function)}`;
  return { text: `${head},"inputs":[${inputs.join(',')}],"nodes":[${nodeTexts.join(',')}],"outputs":[${outs.join(',')}]}`, buffers, outputs, nodes };
}

/**
 * A ballast of `bytes`, or undefined. It is only a hint to the collector:
 * past the largest Buffer it is that size, and when the address space cannot
 * be had there is none (an evaluation never fails for it).
 */
function ballast(bytes: number): Uint8Array | undefined {
  try {
    return Buffer.allocUnsafeSlow(Math.min(bytes, bufferConstants.MAX_LENGTH));
  } catch {
    return undefined;
  }
}

const DTYPE_INDEX = new Map<string, number>(DTYPES.map((d, i) => [d, i]));

function mismatch(v: Value, dtype: string, shape: readonly number[]): MlxBridgeError {
  return new MlxBridgeError(`internal: the engine computed ${dtype}[${shape}] where the facade inferred ${v.dtype.name}[${v.shape}] (${ref(v)})`);
}

/** Checks a compact reply's `types` (dtype index, rank, dimensions, value after value) against the values' own. */
function checkTypes(values: Value[], types: readonly number[]): void {
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i], shape = v.shape, rank = types[k + 1];
    let same = types[k] === DTYPE_INDEX.get(v.dtype.name) && rank === shape.length;
    for (let d = 0; same && d < rank; d++) same = types[k + 2 + d] === shape[d];
    if (!same) throw mismatch(v, DTYPES[types[k]] ?? `dtype ${types[k]}`, types.slice(k + 2, k + 2 + (rank ?? 0)));
    k += 2 + rank;
  }
}

/**
 * @internal Gives `values` (the first `targets` of them asked for, the rest
 * kept) the handles the engine returned for them, checking the types it
 * gives (a full reply's outputs, or a compact reply's `types`);
 * `later` on the event loop, where their ballast waits for a turn of its own.
 */
export function finish(
  values: Value[],
  outputs: Array<{ dtype: string; shape: number[]; handle?: string } | string>,
  later = false,
  targets = values.length,
  types?: readonly number[],
): void {
  if (types) checkTypes(values, types);
  const weighty: Value[] = [];
  const keptWeighty: Value[] = [];
  for (let i = 0; i < outputs.length; i++) {
    const out = outputs[i], a = values[i];
    if (typeof out !== 'string' && (out.dtype !== a.dtype.name || out.shape.join() !== a.shape.join())) throw mismatch(a, out.dtype, out.shape);
    const handle = typeof out === 'string' ? out : out.handle!;
    // disposed while its evaluation was in flight
    if (a.disposed) {
      releaseHandle(handle);
      continue;
    }
    attach(a, handle);
    if (!depth.tracing) a.node = undefined;
    if (bytesOf(a) >= BALLAST_FROM) (later && i >= targets ? keptWeighty : weighty).push(a);
  }
  if (keptWeighty.length) {
    const batch: Unweighed = { values: keptWeighty.map((v) => new WeakRef(v)), bytes: keptWeighty.reduce((n, v) => n + bytesOf(v), 0) };
    unweighed.add(batch);
    unweighedBytes += batch.bytes;
    collections.register({}, batch);
    if (unweighedBytes > UNWEIGHED_MAX) {
      for (const b of unweighed) weighty.push(...survivors(b));
      unweighed.clear();
      unweighedBytes = 0;
    }
  }
  if (!weighty.length) return;
  // an evaluation that lands on the event loop weighs its arrays in a turn
  // of its own, so that the collector's steps do not lengthen this one
  if (later) setImmediate(() => weigh(weighty));
  else weigh(weighty);
}

/** @internal True while a transform traces a function. */
export const isTracing = () => depth.tracing > 0;

/** @internal Copies an evaluated array's data out of the engine (host data as it is). */
export function readBack(v: Value): TypedArray {
  if (v.host) return v.host;
  return session().read(v.handle!, v.dtype.name as DType, bytesOf(v));
}
