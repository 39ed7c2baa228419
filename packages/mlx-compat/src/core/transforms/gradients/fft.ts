// vjp rule of the fft op, MLX's: a complex transform's is the same transform
// of the cotangent (the DFT matrix is symmetric); rfft's is the real part of
// the full complex transform of the cotangent padded to the input's sizes;
// irfft's is MLX's unnormalized forward transform of the cotangent, cut to
// the input's half spectrum and weighted 1, 2, ..., 2, 1 along the last axis.
// A norm other than "backward" scales each as it scales the transform.
import type { MxArray } from '../../array.js';
import { complex64, float32 } from '../../dtype.js';
import { fromValue } from '../../creation-data.js';
import { apply1 } from '../../node.js';
import { astype, binaryOps, unaryOps } from '../../ops/elementwise.js';
import { concatenate, pad } from '../../ops/shape.js';
import { full } from '../../ops/creation.js';
import type { VjpRule } from './index.js';

interface FftAttrs {
  axes: number[];
  inverse: boolean;
  real: boolean;
  n: number;
  norm: 'backward' | 'ortho' | 'forward';
}

const transform = (x: MxArray, attrs: FftAttrs): MxArray =>
  apply1('fft', [x], attrs as unknown as Record<string, unknown>, { dtype: attrs.real && attrs.inverse ? float32 : complex64, shape: x.shape });

export const fftRules: Record<string, VjpRule> = {
  fft: ({ primals: [x], cotangents: [g], attrs }) => {
    const a = attrs as unknown as FftAttrs;
    if (!a.real) return [transform(g!, a)];
    if (!a.inverse) {
      // pad the half spectrum back to the input's length along the last axis
      const last = a.axes[a.axes.length - 1];
      const widths = g!.shape.map((d, i) => (i === last ? [0, x.shape[i] - d] : [0, 0]) as [number, number]);
      const full_ = pad(g!, widths);
      return [astype(unaryOps.real(transform(full_, { ...a, real: false })), x.dtype)];
    }
    const last = a.axes[a.axes.length - 1];
    const n = a.n, h = x.shape[last];
    const spectrum = transform(g!, { ...a, real: false, inverse: false, n: -1, norm: 'backward' });
    const start = spectrum.shape.map(() => 0), stop = [...x.shape], strides = spectrum.shape.map(() => 1);
    const cut = apply1('slice', [spectrum], { start, stop, strides }, { dtype: complex64, shape: stop });
    const edge = x.shape.map((d, i) => (i === last ? 1 : d));
    const parts = h > 2 ? [full(edge, 1, float32), full(x.shape.map((d, i) => (i === last ? h - 2 : d)), 2, float32), full(edge, 1, float32)] : [full(x.shape, 1, float32)];
    const mask = parts.length > 1 ? concatenate(parts, last) : parts[0];
    const total = a.axes.reduce((p, ax) => p * (ax === last ? n : x.shape[ax]), 1);
    const scale = a.norm === 'backward' ? 1 : a.norm === 'ortho' ? Math.sqrt(total) : total;
    const weighted = binaryOps.multiply(cut, mask);
    return [scale === 1 ? weighted : binaryOps.multiply(weighted, fromValue(scale, float32))];
  },
};
