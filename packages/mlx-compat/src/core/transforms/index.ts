// Function transforms: grad, valueAndGrad, vjp and jvp over functions of
// arrays and trees of arrays, by reverse mode on the lazy graph.
import { type ArrayLike, MxArray, Value } from '../array.js';
import { apply1 } from '../node.js';
import { MxError } from '../errors.js';
import { counted, isTracing, uncountedCount, uncountedSince, whileTracing } from '../graph.js';
import { asArray } from '../node.js';
import { onesLike, zerosLike } from '../ops/creation.js';
import { backward } from './backward.js';
import { Retracer } from './retrace.js';
import { leaves, rebuild } from './tree.js';

type Fn = (...args: never[]) => unknown;

function outputsOf(op: string, out: unknown): MxArray[] {
  const list = Array.isArray(out) ? out : [out];
  if (!list.every((o) => o instanceof MxArray)) throw new MxError(op, 'fn', 'must return an array or a list of arrays');
  return list as MxArray[];
}

// The arrays a transform differentiates reach fn as copies, as in MLX: a
// value of their own, so that the same array captured by fn stays a
// constant, and an in-place update in fn (indexPut_) replaces the copy's
// value, not the caller's array nor the value differentiated. An evaluated
// array's copy reads its data; an unevaluated one's is an identity op (which
// the engine fuses). Under an outer transform, which must see through it,
// the copy is only a wrapper of its own: a nested transform of an array its
// function also captures is the one case that still differs from MLX.
function ownCopy(x: MxArray, nested: boolean): MxArray {
  const v = x._v;
  if (nested) return new MxArray(v);
  if (v.node || v.placeholder || v.disposed || (!v.handle && !v.host)) return apply1('astype', [x], { dtype: v.dtype.name }, { dtype: v.dtype, shape: v.shape });
  const c = new Value(v.dtype, v.shape);
  c.handle = v.handle;
  c.host = v.host;
  c.cache = v.cache;
  c.owner = v;
  return new MxArray(c);
}
const ownCopies = (xs: MxArray[], nested: boolean) => xs.map((x) => ownCopy(x, nested));

// What a transform returns is the caller's: its wrappers, made while
// tracing, count as holders from now on (graph.ts keeps what they hold).
const held = counted;

/** vjp(fn, primals, cotangents): [fn(...primals) as a list, cotangents of the primals]. */
export function vjp(fn: (...args: MxArray[]) => MxArray | MxArray[], primals: ArrayLike[], cotangents: ArrayLike[]): [MxArray[], MxArray[]] {
  const nested = isTracing();
  return held(whileTracing(() => {
    const xs = ownCopies(primals.map((p) => asArray(p)), nested);
    const outs = outputsOf('vjp', fn(...xs.map((x) => new MxArray(x._v))));
    if (cotangents.length !== outs.length) throw new MxError('vjp', 'cotangents', `${cotangents.length} given for ${outs.length} outputs`);
    const cts = cotangents.map((c, i) => asArray(c, outs[i].dtype));
    cts.forEach((c, i) => {
      if (c.shape.join() !== outs[i].shape.join()) throw new MxError('vjp', `cotangents[${i}]`, `shape (${c.shape}) differs from the output's (${outs[i].shape})`);
    });
    return [outs, backward(outs.map((o) => o._v), cts, xs.map((x) => x._v), 'vjp')] as [MxArray[], MxArray[]];
  }));
}

/**
 * jvp(fn, primals, tangents): [outputs, tangents of the outputs]. A vjp is
 * linear in its cotangents; differentiating it with respect to them gives
 * the jvp, so every op with a vjp rule has a jvp without a rule of its own.
 */
export function jvp(fn: (...args: MxArray[]) => MxArray | MxArray[], primals: ArrayLike[], tangents: ArrayLike[]): [MxArray[], MxArray[]] {
  const nested = isTracing();
  return held(whileTracing(() => {
    const xs = ownCopies(primals.map((p) => asArray(p)), nested);
    if (tangents.length !== xs.length) throw new MxError('jvp', 'tangents', `${tangents.length} given for ${xs.length} primals`);
    const ts = tangents.map((t, i) => asArray(t, xs[i].dtype));
    const outs = outputsOf('jvp', fn(...xs.map((x) => new MxArray(x._v))));
    const us = outs.map((o) => zerosLike(o)); // stand-in cotangents the vjp is linear in
    const pulled = backward(outs.map((o) => o._v), us, xs.map((x) => x._v), 'jvp');
    return [outs, backward(pulled.map((p) => p._v), ts, us.map((u) => u._v), 'jvp')] as [MxArray[], MxArray[]];
  }));
}

function normArgnums(argnums: number | number[], nargs: number): number[] {
  const list = Array.isArray(argnums) ? argnums : [argnums];
  for (const a of list) if (!Number.isInteger(a) || a < 0 || a >= nargs) throw new MxError('grad', 'argnums', `${a} is not an argument index (the function got ${nargs})`);
  return list;
}

/** The gradients of the arguments `N` picks: each shaped (and typed) like its argument. */
export type Gradients<F extends Fn, N> = N extends readonly number[] ? { -readonly [K in keyof N]: Parameters<F>[N[K] & number] } : Parameters<F>[N & number];

/** valueAndGrad(fn, argnums = 0): (...args) => [fn(...args), gradients shaped like the differentiated arguments]. */
export function valueAndGrad<F extends Fn, const N extends number | readonly number[] = 0>(
  fn: F,
  argnums?: N,
): (...args: Parameters<F>) => [ReturnType<F>, Gradients<F, N>];
export function valueAndGrad<F extends Fn>(fn: F, argnums: number | readonly number[] = 0) {
  const retracer = new Retracer();
  return (...args: Parameters<F>) => differentiate(fn, argnums, args, true, retracer);
}

// fn's value and gradients; without `keepValue` (grad) only the gradients
// are returned, and fn's value counts as one of its temporaries. The
// backward graph is replayed when `retracer` has one for the same forward
// graph (retrace.ts).
function differentiate<F extends Fn>(fn: F, argnums: number | readonly number[], args: Parameters<F>, keepValue: boolean, retracer: Retracer): [ReturnType<F>, unknown] {
  const nested = isTracing();
  const replayable = Retracer.applies();
  const [value, grads] = whileTracing(() => {
    const nums = normArgnums(argnums as number | number[], args.length);
    const targets = nums.map((i) => ownCopies(leaves(args[i]), nested));
    const own: unknown[] = [...args];
    // fn gets wrappers of its own: an indexPut_ in fn leaves the targets as they were
    nums.forEach((i, n) => (own[i] = rebuild(args[i], targets[n].map((t) => new MxArray(t._v)))));
    const value = fn(...(own as Parameters<F>)) as ReturnType<F>;
    const loss = Array.isArray(value) ? value[0] : value;
    if (!(loss instanceof MxArray)) throw new MxError('grad', 'fn', 'must return an array, or a list whose first item is one');
    if (loss.size !== 1) throw new MxError('grad', 'fn', `must return a scalar, got an array of shape (${loss.shape})`);
    const flat = targets.flat().map((t) => t._v);
    const fwd = replayable ? retracer.forward(loss._v, flat) : undefined;
    let grads = fwd && retracer.replay(fwd, flat);
    if (!grads) {
      const start = uncountedCount();
      grads = backward([loss._v], [onesLike(loss)], flat, 'grad');
      if (fwd) retracer.record(fwd, flat, uncountedSince(start), grads);
    }
    let k = 0;
    const trees = nums.map((i, n) => rebuild(args[i], grads.slice(k, (k += targets[n].length))));
    return [value, Array.isArray(argnums) ? trees : trees[0]] as [ReturnType<F>, unknown];
  });
  return keepValue ? held([value, grads]) : [value, held(grads)];
}

/** grad(fn, argnums = 0): (...args) => gradients of fn's scalar output, typed like the arguments. */
export function grad<F extends Fn, const N extends number | readonly number[] = 0>(fn: F, argnums?: N): (...args: Parameters<F>) => Gradients<F, N> {
  const retracer = new Retracer();
  return (...args: Parameters<F>) => differentiate(fn, argnums ?? 0, args, false, retracer)[1] as Gradients<F, N>;
}
