// Function transforms: grad, valueAndGrad, vjp and jvp over functions of
// arrays and trees of arrays, by reverse mode on the lazy graph.
import { type ArrayLike, MxArray } from '../array.js';
import { MxError } from '../errors.js';
import { isTracing, whileTracing } from '../graph.js';
import { asArray } from '../node.js';
import { onesLike, zerosLike } from '../ops/creation.js';
import { backward } from './backward.js';
import { leaves, rebuild } from './tree.js';

type Fn = (...args: never[]) => unknown;

function outputsOf(op: string, out: unknown): MxArray[] {
  const list = Array.isArray(out) ? out : [out];
  if (!list.every((o) => o instanceof MxArray)) throw new MxError(op, 'fn', 'must return an array or a list of arrays');
  return list as MxArray[];
}

// The arrays a transform differentiates reach fn as wrappers of their own,
// as MLX passes copies: an in-place update in fn (indexPut_) replaces the
// wrapper's value, not the caller's array nor the value differentiated.
const ownCopies = (xs: MxArray[]) => xs.map((x) => new MxArray(x._v));

// What a transform returns is the caller's: its wrappers, made while
// tracing, count as holders from now on (graph.ts keeps what they hold).
function held<T>(result: T): T {
  if (!isTracing()) for (const a of leaves(result)) a._hold();
  return result;
}

/** vjp(fn, primals, cotangents): [fn(...primals) as a list, cotangents of the primals]. */
export function vjp(fn: (...args: MxArray[]) => MxArray | MxArray[], primals: ArrayLike[], cotangents: ArrayLike[]): [MxArray[], MxArray[]] {
  return held(whileTracing(() => {
    const xs = primals.map((p) => asArray(p));
    const outs = outputsOf('vjp', fn(...ownCopies(xs)));
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
  return held(whileTracing(() => {
    const xs = primals.map((p) => asArray(p));
    if (tangents.length !== xs.length) throw new MxError('jvp', 'tangents', `${tangents.length} given for ${xs.length} primals`);
    const ts = tangents.map((t, i) => asArray(t, xs[i].dtype));
    const outs = outputsOf('jvp', fn(...ownCopies(xs)));
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

/** valueAndGrad(fn, argnums = 0): (...args) => [fn(...args), gradients shaped like the differentiated arguments]. */
export function valueAndGrad<F extends Fn>(fn: F, argnums: number | number[] = 0) {
  return (...args: Parameters<F>): [ReturnType<F>, unknown] =>
    held(whileTracing(() => {
      const nums = normArgnums(argnums, args.length);
      const targets = nums.map((i) => leaves(args[i]));
      const own: unknown[] = [...args];
      nums.forEach((i, n) => (own[i] = rebuild(args[i], ownCopies(targets[n]))));
      const value = fn(...(own as Parameters<F>)) as ReturnType<F>;
      const loss = Array.isArray(value) ? value[0] : value;
      if (!(loss instanceof MxArray)) throw new MxError('grad', 'fn', 'must return an array, or a list whose first item is one');
      if (loss.size !== 1) throw new MxError('grad', 'fn', `must return a scalar, got an array of shape (${loss.shape})`);
      const flat = targets.flat();
      const grads = backward([loss._v], [onesLike(loss)], flat.map((t) => t._v), 'grad');
      let k = 0;
      const trees = nums.map((i, n) => rebuild(args[i], grads.slice(k, (k += targets[n].length))));
      return [value, Array.isArray(argnums) ? trees : trees[0]] as [ReturnType<F>, unknown];
    }));
}

/** grad(fn, argnums = 0): (...args) => gradients of fn's scalar output. */
export function grad<F extends Fn>(fn: F, argnums: number | number[] = 0) {
  const vg = valueAndGrad(fn, argnums);
  return (...args: Parameters<F>): unknown => vg(...args)[1];
}
