// vjp rules of the fused fast ops, made of ordinary ops (so they compose).
// rms_norm differentiates the normalization in the output dtype; layer_norm's
// cotangents are the engine's layer_norm_vjp (one pass over the rows, in
// float), whose own vjp differentiates the same formulas composed of ordinary
// ops; rope is a rotation, so its vjp is rope by the opposite angle;
// attention's cotangents are the engine's scaled_dot_product_attention_vjp
// (per head in cache), but with sinks, and that op's own vjp, composed of
// ordinary ops (sdpaComposed).
import type { MxArray } from '../../array.js';
import { float32, promoteTypes } from '../../dtype.js';
import { apply } from '../../node.js';
import { arange, zeros } from '../../ops/creation.js';
import { astype, binaryOps, unaryOps, where } from '../../ops/elementwise.js';
import { matmul } from '../../ops/linalg.js';
import { logsumexp, mean, sum } from '../../ops/reduce.js';
import { broadcastTo, reshape, swapaxes } from '../../ops/shape.js';
import { rope } from '../../fast.js';
import { vjp } from '../index.js';
import type { VjpRule } from './index.js';
import { scalar } from './util.js';

const { multiply, subtract, add, greaterEqual } = binaryOps;
const { rsqrt, exp, negative } = unaryOps;

// Sums a (..., D) array over every axis but the last.
const overRows = (a: MxArray) => sum(a, Array.from({ length: a.ndim - 1 }, (_, i) => i));

// The dtypes and shapes of layer_norm_vjp's outputs: x's cotangent, then the weight's and bias's where present.
function layerNormOuts(x: MxArray, w: MxArray | undefined, g: MxArray, attrs: Record<string, unknown>) {
  const dtype = promoteTypes(promoteTypes(x.dtype, g.dtype), w ? w.dtype : x.dtype);
  const d = [x.shape[x.ndim - 1]];
  return [{ dtype, shape: x.shape }, ...(w ? [{ dtype, shape: d }] : []), ...(attrs.has_bias ? [{ dtype, shape: d }] : [])];
}

// layer_norm_vjp's formulas composed of ordinary ops, for its own vjp.
function layerNormComposed(x: MxArray, w: MxArray | undefined, g: MxArray, attrs: Record<string, unknown>): MxArray[] {
  const xc = subtract(x, mean(x, -1, true));
  const r = rsqrt(add(mean(multiply(xc, xc), -1, true), scalar(attrs.eps as number, x)));
  const xhat = multiply(xc, r);
  const gy = w ? multiply(g, w) : g;
  const gx = multiply(r, subtract(subtract(gy, mean(gy, -1, true)), multiply(xhat, mean(multiply(gy, xhat), -1, true))));
  const out: MxArray[] = [gx];
  if (w) out.push(overRows(multiply(g, xhat)));
  if (attrs.has_bias) out.push(overRows(g));
  return out;
}

export const fastRules: Record<string, VjpRule> = {
  rms_norm: ({ primals: [x, w], cotangents: [g], attrs }) => {
    const gw = w ? multiply(g!, w) : g!;
    const r = rsqrt(add(mean(multiply(x, x), -1, true), scalar(attrs.eps as number, x)));
    const gx = subtract(multiply(gw, r), multiply(x, multiply(multiply(r, multiply(r, r)), mean(multiply(gw, x), -1, true))));
    return w ? [gx, overRows(multiply(g!, multiply(x, r)))] : [gx];
  },
  layer_norm: ({ primals, cotangents: [g], attrs }) => {
    const [x] = primals;
    const w = attrs.has_weight ? primals[1] : undefined;
    const grads = apply('layer_norm_vjp', w ? [x, w, g!] : [x, g!], attrs, layerNormOuts(x, w, g!, attrs));
    return grads.map((c, i) => (c.dtype === primals[i].dtype ? c : astype(c, primals[i].dtype)));
  },
  layer_norm_vjp: ({ primals, cotangents, attrs }) => {
    const w = attrs.has_weight ? primals[1] : undefined;
    const f = (...a: MxArray[]) => layerNormComposed(a[0], w ? a[1] : undefined, a[a.length - 1], attrs);
    const outs = layerNormOuts(primals[0], w, primals[primals.length - 1], attrs);
    const cts = cotangents.map((c, i) => c ?? zeros(outs[i].shape, outs[i].dtype));
    return vjp(f, primals, cts)[1];
  },
  rope: ({ primals, cotangents: [g], attrs }) => {
    const offset = attrs.has_offset_array ? primals[1] : (attrs.offset as number);
    const freqs = attrs.has_freqs ? primals[primals.length - 1] : null;
    const back = rope(g!, attrs.dims as number, attrs.traditional as boolean, attrs.base as number | null, -(attrs.scale as number), offset, freqs);
    return [back, ...primals.slice(1).map(() => undefined)];
  },
  scaled_dot_product_attention: ({ primals, cotangents: [g], attrs }) => {
    if (attrs.has_sinks) return sdpaComposed(primals, g!, attrs);
    const [q, k, v] = primals;
    const outs = [q, k, v].map((a) => ({ dtype: a.dtype, shape: a.shape }));
    const grads: Array<MxArray | undefined> = apply('scaled_dot_product_attention_vjp', [...primals, g!], { scale: attrs.scale, mask_mode: attrs.mask_mode }, outs);
    if (attrs.mask_mode === 'array') grads.push(undefined);
    return grads;
  },
  scaled_dot_product_attention_vjp: ({ primals, cotangents, attrs }) => {
    // the composed cotangents differentiated in q, k, v and g; the mask (when given) held fixed
    const masked = attrs.mask_mode === 'array';
    const mask = masked ? [primals[3]] : [];
    const f = (q: MxArray, k: MxArray, v: MxArray, g: MxArray) => sdpaComposed([q, k, v, ...mask], g, attrs).slice(0, 3) as MxArray[];
    const [q, k, v] = primals, g = primals[primals.length - 1];
    const cts = cotangents.map((c, i) => c ?? zeros(primals[i].shape, primals[i].dtype));
    const [gq, gk, gv, gg] = vjp(f, [q, k, v, g], cts)[1];
    return masked ? [gq, gk, gv, undefined, gg] : [gq, gk, gv, gg];
  },
};

// Attention's cotangents composed of ordinary ops: recomputes the
// probabilities and runs the usual products backwards, the query heads of
// each key/value head stacked as they lie in q (the rule with sinks, and
// scaled_dot_product_attention_vjp's own vjp).
function sdpaComposed(primals: MxArray[], g: MxArray, attrs: Record<string, unknown>): Array<MxArray | undefined> {
  const [q, k, v] = primals;
  const [B, H, Lq, D] = q.shape, [, Hk, Lk] = k.shape, Dv = v.shape[3], G = H / Hk;
  const scale = attrs.scale as number;
  const f = (a: MxArray) => astype(a, float32);
  // (B, Hk, G*Lq, .): the query heads of each key/value head stacked
  const stack = (a: MxArray) => reshape(a, [B, Hk, G * Lq, a.shape[3]]);
  let s = multiply(matmul(stack(f(q)), swapaxes(f(k), -1, -2)), scalar(scale, f(q)));
  const full = [B, H, Lq, Lk];
  if (attrs.mask_mode === 'causal') {
    const keep = greaterEqual(reshape(arange(Lq), [Lq, 1]), subtract(reshape(arange(Lk), [1, Lk]), Lk - Lq));
    s = where(reshape(broadcastTo(keep, full), [B, Hk, G * Lq, Lk]), s, scalar(-Infinity, s));
  } else if (attrs.mask_mode === 'array') {
    const m = reshape(broadcastTo(primals[3], full), [B, Hk, G * Lq, Lk]);
    s = m.dtype.name === 'bool' ? where(m, s, scalar(-Infinity, s)) : add(s, f(m));
  }
  let lse = logsumexp(s, -1, true);
  let sinkLogits: MxArray | undefined;
  if (attrs.has_sinks) {
    // the sink of head kh*G + i, for each stacked row
    sinkLogits = reshape(broadcastTo(reshape(f(primals[primals.length - 1]), [1, Hk, G, 1]), [B, Hk, G, Lq]), [B, Hk, G * Lq, 1]);
    lse = add(lse, unaryOps.log1p(exp(subtract(sinkLogits, lse))));
  }
  const p = exp(subtract(s, lse));
  const go = stack(f(g));
  const gv = matmul(swapaxes(p, -1, -2), go);
  const dp = matmul(go, swapaxes(f(v), -1, -2));
  const rowDot = sum(multiply(dp, p), -1, true);
  const ds = multiply(p, subtract(dp, rowDot));
  const gq = multiply(matmul(ds, f(k)), scalar(scale, ds));
  const gk = multiply(matmul(swapaxes(ds, -1, -2), stack(f(q))), scalar(scale, ds));
  const out: Array<MxArray | undefined> = [astype(reshape(gq, [B, H, Lq, D]), q.dtype), astype(gk, k.dtype), astype(reshape(gv, [B, Hk, Lk, Dv]), v.dtype)];
  if (attrs.mask_mode === 'array') out.push(undefined);
  if (sinkLogits) {
    // d sink = -p_sink * sum_j p_j dp_j, summed over batch and rows of each head
    const pSink = exp(subtract(sinkLogits, lse));
    const perRow = negative(multiply(pSink, rowDot));
    out.push(astype(reshape(sum(reshape(perRow, [B, Hk, G, Lq]), [0, 3]), [H]), primals[primals.length - 1].dtype));
  }
  return out;
}
