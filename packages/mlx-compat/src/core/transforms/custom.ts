// customFunction and checkpoint: functions that bring their own derivative.
import { type ArrayLike, MxArray } from '../array.js';
import { apply1, asArray } from '../node.js';
import { vjp as vjpTransform } from './index.js';
import { zerosLike } from '../ops/creation.js';
import type { CustomRule } from '../array.js';

type ArrayFn = (...args: MxArray[]) => MxArray | MxArray[];
type VjpFn = (primals: MxArray[], cotangents: MxArray[], outputs: MxArray[]) => MxArray | MxArray[];
type JvpFn = (primals: MxArray[], tangents: MxArray[]) => MxArray | MxArray[];

/** fn with its own derivative rules; called as fn is, with fn's argument and result types. */
export interface CustomFunction<F extends ArrayFn = ArrayFn> {
  (...args: Parameters<F>): ReturnType<F>;
  /** Sets the vector-Jacobian product: (primals, cotangents, outputs) => cotangents of the primals. */
  vjp(fn: VjpFn): CustomFunction<F>;
  /** Sets the Jacobian-vector product: (primals, tangents) => tangents of the outputs. */
  jvp(fn: JvpFn): CustomFunction<F>;
}

const asList = (x: MxArray | MxArray[]) => (Array.isArray(x) ? x : [x]);

/**
 * customFunction(fn): fn, whose derivative comes from the rules given with
 * .vjp(...) and .jvp(...) (and from fn itself where none is given). The
 * outputs pass through identity nodes carrying the rule, so the engine
 * computes fn as usual and the backward pass skips its body.
 */
export function customFunction<F extends ArrayFn>(fn: F): CustomFunction<F> {
  let vjpRule: VjpFn | undefined;
  let jvpRule: JvpFn | undefined;
  const call = (...args: ArrayLike[]) => {
    const primals = args.map((a) => asArray(a));
    const raw = fn(...primals);
    const outs = asList(raw);
    const rule: CustomRule = {
      primals: primals.map((p) => p._v),
      outputs: [],
      vjp: (ps, cts, os, needed) => {
        if (vjpRule) return asList(vjpRule(ps, cts, os));
        // a jvp is linear in its tangents: its transpose is the vjp
        if (jvpRule) {
          const rule = jvpRule;
          return vjpTransform((...ts: MxArray[]) => rule(ps, ts), ps.map((p) => zerosLike(p)), cts)[1];
        }
        return recomputedVjp(fn, ps, cts, needed);
      },
    };
    const wrapped = outs.map((o) => {
      const w = apply1('stop_gradient', [o], {}, { dtype: o.dtype, shape: o.shape });
      w._v.node!.custom = rule;
      return w;
    });
    rule.outputs = wrapped.map((w) => w._v);
    return Array.isArray(raw) ? wrapped : wrapped[0];
  };
  const f = call as unknown as CustomFunction<F>;
  f.vjp = (rule: VjpFn) => {
    vjpRule = rule;
    return f;
  };
  f.jvp = (rule: JvpFn) => {
    jvpRule = rule;
    return f;
  };
  return f;
}

// fn differentiated again, with respect to the primals the backward pass
// needs only: the others are constants of it (an attention mask, say, whose
// own derivative may not exist).
function recomputedVjp(fn: ArrayFn, primals: MxArray[], cotangents: MxArray[], needed: boolean[]): MxArray[] {
  const at = needed.flatMap((n, i) => (n ? [i] : []));
  const partial = (...xs: MxArray[]) => fn(...primals.map((p, i) => (needed[i] ? xs[at.indexOf(i)] : p)));
  const grads = vjpTransform(partial, at.map((i) => primals[i]), cotangents)[1];
  return primals.map((p, i) => (needed[i] ? grads[at.indexOf(i)] : zerosLike(p)));
}

/** checkpoint(fn): fn whose intermediates are recomputed in the backward pass instead of kept. */
export function checkpoint<F extends ArrayFn>(fn: F): CustomFunction<F> {
  // without rules of its own, a custom function's derivative is fn's, recomputed
  return customFunction(fn);
}

