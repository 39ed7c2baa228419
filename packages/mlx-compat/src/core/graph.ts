// Evaluation: the part of the graph not yet evaluated goes to the engine as
// one request; results stay resident as handles, released when their arrays
// are collected, disposed or left behind by tidy().
import { MlxBridgeError, Session, type EvalRequest, type TypedArray } from 'mlx-capi-bridge';
import type { GraphNode, MxArray } from './array.js';

let shared: Session | undefined;
/** @internal The engine session every array of this process lives in. */
export function session(): Session {
  shared ??= new Session({ validate: false });
  return shared;
}

const finalizer = new FinalizationRegistry<string>((handle) => {
  try {
    session().release(handle);
  } catch {
    // the session is gone at exit; nothing to release
  }
});

function attach(a: MxArray, handle: string): void {
  a._handle = handle;
  finalizer.register(a, handle, a);
}

/** Releases the engine memory of arrays now; using them afterwards raises. */
export function dispose(...arrays: unknown[]): void {
  for (const a of collectArrays(arrays)) {
    if (a._handle) {
      finalizer.unregister(a);
      session().release(a._handle);
      a._handle = undefined;
    }
    a._node = undefined;
    a._host = undefined;
    a._cache = undefined;
    a._disposed = true;
  }
}

// Arrays created inside tidy() scopes, innermost last.
const scopes: Set<MxArray>[] = [];

/** @internal Every new array passes through here. */
export function track(a: MxArray): MxArray {
  scopes[scopes.length - 1]?.add(a);
  return a;
}

/** Runs fn and disposes every array it created except those it returns. */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<MxArray>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const keep = new Set(collectArrays([result]));
  // Kept arrays still need what their unevaluated graphs read.
  evalArrays([...keep].filter((a) => scope.has(a)));
  for (const a of scope) {
    if (keep.has(a)) scopes[scopes.length - 1]?.add(a);
    else dispose(a);
  }
  return result;
}

/** Every MxArray in a tree of arrays, objects and Maps. */
export function collectArrays(tree: unknown, out: MxArray[] = []): MxArray[] {
  if (tree && typeof tree === 'object') {
    if ('_disposed' in tree && 'shape' in tree) out.push(tree as MxArray);
    else if (Array.isArray(tree)) tree.forEach((t) => collectArrays(t, out));
    else if (tree instanceof Map) tree.forEach((t) => collectArrays(t, out));
    else if (!ArrayBuffer.isView(tree)) Object.values(tree).forEach((t) => collectArrays(t, out));
  }
  return out;
}

function ref(a: MxArray): string {
  if (!a._node) return `a${a.id}`;
  return a._node.outputCount > 1 ? `n${a._node.id}:${a._index}` : `n${a._node.id}`;
}

function checkUsable(a: MxArray): void {
  if (a._disposed) throw new MlxBridgeError(`array ${a.id} (${a.dtype.name}[${a.shape}]) was disposed and cannot be used`);
}

/** Evaluates the arrays: one engine request for everything they still need. */
export function evalArrays(targets: MxArray[]): void {
  const pending = targets.filter((a) => a._node || a._host);
  if (!pending.length) {
    targets.forEach(checkUsable);
    return;
  }
  const nodes: GraphNode[] = [];
  const seenNodes = new Set<GraphNode>();
  const leaves: MxArray[] = [];
  const seenLeaves = new Set<MxArray>();
  // Iterative post-order walk: long chains must not overflow the stack.
  const stack: Array<[MxArray, boolean]> = pending.map((a) => [a, false]);
  while (stack.length) {
    const [a, expanded] = stack.pop()!;
    checkUsable(a);
    const node = a._node;
    if (!node) {
      if (!seenLeaves.has(a)) {
        seenLeaves.add(a);
        leaves.push(a);
      }
      continue;
    }
    if (seenNodes.has(node)) continue;
    if (expanded) {
      seenNodes.add(node);
      nodes.push(node);
      continue;
    }
    stack.push([a, true]);
    for (const input of node.inputs) if (input._node ? !seenNodes.has(input._node) : !seenLeaves.has(input)) stack.push([input, false]);
  }

  const buffers: ArrayBufferView[] = [];
  const uploads = leaves.filter((l) => l._host);
  const request: EvalRequest = {
    schema_version: 1,
    inputs: leaves.map((l) => {
      if (l._handle) return { id: ref(l), handle: l._handle };
      buffers.push(l._host!);
      return { id: ref(l), dtype: l.dtype.name, shape: [...l.shape], buffer: buffers.length - 1 };
    }),
    nodes: nodes.map((n) => ({
      id: `n${n.id}`,
      op: n.op,
      inputs: n.inputs.map(ref),
      attrs: n.attrs,
    })),
    outputs: [...uploads, ...pending.filter((a) => a._node)].map((a) => ({ ref: ref(a), as: 'handle' as const })),
  };
  const res = session().eval(request, buffers);
  const done = [...uploads, ...pending.filter((a) => a._node)];
  res.outputs.forEach((out, i) => {
    const a = done[i];
    if (out.dtype !== a.dtype.name || out.shape.join() !== a.shape.join())
      throw new MlxBridgeError(`internal: the engine computed ${out.dtype}[${out.shape}] where the facade inferred ${a.dtype.name}[${a.shape}] (${ref(a)})`);
    attach(a, out.handle!);
    a._node = undefined;
    a._host = undefined;
  });
}

/** @internal Copies an evaluated array's data out of the engine. */
export function readBack(a: MxArray): TypedArray {
  const res = session().eval({ schema_version: 1, inputs: [{ id: 'x', handle: a._handle! }], outputs: [{ ref: 'x', as: 'buffer' }] });
  return res.outputs[0].array!;
}
