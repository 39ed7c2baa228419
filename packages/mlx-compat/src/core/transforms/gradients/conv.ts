// vjp rule of conv_general, as convolutions themselves. Along a spatial axis
// with input length L, kernel K, output length Out, stride s, padding low p,
// kernel dilation kd and input dilation id:
// - the input's cotangent convolves the cotangent, dilated by s, with the
//   kernel flipped the other way and its channel axes swapped within each
//   group; stride id picks the undilated inputs, and padding
//   (K - 1) kd - p on the low side (what is left on the high side) gives L;
// - the weight's cotangent is the engine's conv_weight_grad, which sums the
//   forward's input patches weighted by the cotangent (a convolution of the
//   input by the cotangent, without transposing either).
import type { MxArray } from '../../array.js';
import { promoteTypes } from '../../dtype.js';
import { apply1 } from '../../node.js';
import { zerosLike } from '../../ops/creation.js';
import { convNode, type ConvAttrs } from '../../ops/conv.js';
import { astype } from '../../ops/elementwise.js';
import { reshape, transpose } from '../../ops/shape.js';
import type { VjpRule } from './index.js';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

function inputGrad(g: MxArray, x: MxArray, w: MxArray, a: ConvAttrs): MxArray {
  const nsp = x.ndim - 2, G = a.groups, O = w.shape[0], ig = w.shape[w.ndim - 1], ks = w.shape.slice(1, -1);
  if (!x.size) return zerosLike(x);
  // (G, O / G, K..., I) -> (G, I, K..., O / G) -> (G I, K..., O / G)
  const grouped = reshape(w, [G, O / G, ...ks, ig]);
  const swapped = reshape(transpose(grouped, [0, nsp + 2, ...range(nsp, 2), 1]), [G * ig, ...ks, O / G]);
  const lo = ks.map((k, i) => (k - 1) * a.kernel_dilation[i] - a.padding_lo[i]);
  const hi = ks.map((k, i) => {
    const L = x.shape[1 + i], out = g.shape[1 + i];
    return (L - 1) * a.input_dilation[i] + (k - 1) * a.kernel_dilation[i] - (out - 1) * a.stride[i] - lo[i];
  });
  return convNode('conv_general vjp', g, swapped, {
    stride: a.input_dilation, padding_lo: lo, padding_hi: hi, kernel_dilation: a.kernel_dilation, input_dilation: a.stride, groups: G, flip: !a.flip,
  });
}

function weightGrad(g: MxArray, x: MxArray, w: MxArray, a: ConvAttrs): MxArray {
  const dtype = promoteTypes(x.dtype, g.dtype);
  return apply1('conv_weight_grad', [x, g], { ...a, kernel_shape: w.shape.slice(1, -1) }, { dtype, shape: w.shape });
}

const cast = (v: MxArray, like: MxArray) => (v.dtype === like.dtype ? v : astype(v, like.dtype));
const convAttrs = (attrs: Record<string, unknown>): ConvAttrs => {
  const { stride, padding_lo, padding_hi, kernel_dilation, input_dilation, groups, flip } = attrs as unknown as ConvAttrs;
  return { stride, padding_lo, padding_hi, kernel_dilation, input_dilation, groups, flip };
};

export const convRules: Record<string, VjpRule> = {
  conv_general: ({ primals: [x, w], cotangents: [g], attrs }) => {
    const a = convAttrs(attrs);
    return [cast(inputGrad(g!, x, w, a), x), cast(weightGrad(g!, x, w, a), w)];
  },
  // The weight's cotangent is bilinear in the input x and the output's
  // cotangent g: <h, dw(x, g)> = <g, conv(x, h)>, so g's cotangent is the
  // convolution of x by h, and x's is the input cotangent of that convolution.
  conv_weight_grad: ({ primals: [x, g], cotangents: [h], attrs }) => {
    const a = convAttrs(attrs);
    return [cast(inputGrad(g, x, h!, a), x), cast(convNode('conv_general vjp', x, h!, a), g)];
  },
};
