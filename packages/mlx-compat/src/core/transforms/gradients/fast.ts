// vjp rules of the fused fast ops, made of ordinary ops (so they compose).
// Norms differentiate the normalization in the output dtype; rope is a
// rotation, so its vjp is rope by the opposite angle; attention recomputes
// its probabilities and runs the usual products backwards, the query heads
// of each key/value head stacked as they lie in q.
import type { MxArray } from '../../array.js';
import { float32 } from '../../dtype.js';
import { arange } from '../../ops/creation.js';
import { astype, binaryOps, unaryOps, where } from '../../ops/elementwise.js';
import { matmul } from '../../ops/linalg.js';
import { logsumexp, mean, sum } from '../../ops/reduce.js';
import { broadcastTo, reshape, swapaxes } from '../../ops/shape.js';
import { rope } from '../../fast.js';
import type { VjpRule } from './index.js';
import { scalar } from './util.js';

const { multiply, subtract, add, greaterEqual } = binaryOps;
const { rsqrt, exp, negative } = unaryOps;

// Sums a (..., D) array over every axis but the last.
const overRows = (a: MxArray) => sum(a, Array.from({ length: a.ndim - 1 }, (_, i) => i));

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
    const xc = subtract(x, mean(x, -1, true));
    const r = rsqrt(add(mean(multiply(xc, xc), -1, true), scalar(attrs.eps as number, x)));
    const xhat = multiply(xc, r);
    const gy = w ? multiply(g!, w) : g!;
    const gx = multiply(r, subtract(subtract(gy, mean(gy, -1, true)), multiply(xhat, mean(multiply(gy, xhat), -1, true))));
    const out: MxArray[] = [gx];
    if (w) out.push(overRows(multiply(g!, xhat)));
    if (attrs.has_bias) out.push(overRows(g!));
    return out;
  },
  rope: ({ primals, cotangents: [g], attrs }) => {
    const offset = attrs.has_offset_array ? primals[1] : (attrs.offset as number);
    const freqs = attrs.has_freqs ? primals[primals.length - 1] : null;
    const back = rope(g!, attrs.dims as number, attrs.traditional as boolean, attrs.base as number | null, -(attrs.scale as number), offset, freqs);
    return [back, ...primals.slice(1).map(() => undefined)];
  },
  scaled_dot_product_attention: ({ primals, cotangents: [g], attrs }) => {
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
    const go = stack(f(g!));
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
  },
};
