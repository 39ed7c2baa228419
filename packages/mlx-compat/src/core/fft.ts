// mlx.core.fft: the engine's `fft` op (native/capi/src/ops/fft.cpp), with
// MLX's sizes, axes and norm: the input is cast (complex64, or float32 for
// rfft), then padded with zeros or truncated to the requested sizes here, as
// MLX does, so the op transforms whole axes. Gradients: transforms/gradients/fft.ts.
import { type ArrayLike, MxArray } from './array.js';
import { describe } from './args.js';
import { checkStream, Device, Stream, type StreamOrDevice } from './device.js';
import { complex64, float32 } from './dtype.js';
import { MxError } from './errors.js';
import { apply1, asArray, normAxis } from './node.js';
import { arange } from './ops/creation.js';
import { astype, binaryOps } from './ops/elementwise.js';
import { concatenate, pad } from './ops/shape.js';

/** MLX's normalizations: backward scales the inverse by 1/n, forward the forward transform, ortho both by 1/sqrt(n). */
export type FFTNorm = 'backward' | 'ortho' | 'forward';
type Kind = 'complex' | 'rfft' | 'irfft';

// node-mlx passes the stream where MLX 0.31 has norm: either is accepted there.
function normAndStream(op: string, norm: FFTNorm | StreamOrDevice | null | undefined, stream: StreamOrDevice | undefined): FFTNorm {
  if (norm instanceof Stream || norm instanceof Device) {
    checkStream(op, norm);
    return 'backward';
  }
  checkStream(op, stream);
  if (norm === undefined || norm === null) return 'backward';
  if (norm !== 'backward' && norm !== 'ortho' && norm !== 'forward')
    throw new MxError(op, 'norm', `expected "backward", "ortho" or "forward", got ${describe(norm)}`);
  return norm;
}

/** x's axis `axis` sliced to [0, n) or padded with zeros to n. */
function resize(x: MxArray, axis: number, n: number): MxArray {
  const have = x.shape[axis];
  if (have === n) return x;
  if (have < n) return pad(x, x.shape.map((_, i) => (i === axis ? [0, n - have] : [0, 0]) as [number, number]));
  const start = x.shape.map(() => 0), stop = [...x.shape], strides = x.shape.map(() => 1);
  stop[axis] = n;
  return apply1('slice', [x], { start, stop, strides }, { dtype: x.dtype, shape: stop });
}

function sizesAndAxes(op: string, x: MxArray, s: number[] | null | undefined, axes: number[] | null | undefined, kind: Kind) {
  if (s !== undefined && s !== null && !Array.isArray(s)) throw new MxError(op, 's', `expected a list of sizes, got ${describe(s)}`);
  if (axes !== undefined && axes !== null && !Array.isArray(axes)) throw new MxError(op, 'axes', `expected a list of axes, got ${describe(axes)}`);
  const ax = (axes ?? (s ? s.map((_, i) => x.ndim - s.length + i) : x.shape.map((_, i) => i))).map((a) => normAxis(op, a, x.ndim, 'axes'));
  if (new Set(ax).size !== ax.length) throw new MxError(op, 'axes', `axes ${JSON.stringify(axes)} contain a duplicate`);
  if (!ax.length) throw new MxError(op, 'axes', 'at least one axis is needed');
  if (s && s.length !== ax.length) throw new MxError(op, 's', `${s.length} sizes for ${ax.length} axes`);
  const last = ax.length - 1;
  const n = s ? [...s] : ax.map((a, i) => (kind === 'irfft' && i === last ? 2 * (x.shape[a] - 1) : x.shape[a]));
  n.forEach((v, i) => {
    if (!Number.isInteger(v) || v <= 0) throw new MxError(op, s ? 's' : 'a', `invalid FFT size ${v} along axis ${ax[i]}: sizes must be positive`);
  });
  return { ax, n };
}

function transform(op: string, a: ArrayLike, s: number[] | null | undefined, axes: number[] | null | undefined, kind: Kind, inverse: boolean, norm: FFTNorm): MxArray {
  let x = asArray(a, undefined, op, 'a');
  const { ax, n } = sizesAndAxes(op, x, s, axes, kind);
  if (kind === 'rfft' && x.dtype === complex64) throw new MxError(op, 'a', 'the input must be real, not complex64');
  x = astype(x, kind === 'rfft' ? float32 : complex64);
  const last = ax.length - 1;
  ax.forEach((axis, i) => (x = resize(x, axis, kind === 'irfft' && i === last ? Math.floor(n[i] / 2) + 1 : n[i])));
  const shape = [...x.shape];
  if (kind === 'rfft') shape[ax[last]] = Math.floor(n[last] / 2) + 1;
  if (kind === 'irfft') shape[ax[last]] = n[last];
  const attrs = { axes: ax, inverse, real: kind !== 'complex', n: kind === 'irfft' ? n[last] : -1, norm };
  return apply1('fft', [x], attrs, { dtype: kind === 'irfft' ? float32 : complex64, shape });
}

type One = (a: ArrayLike, n?: number | null, axis?: number | null, norm?: FFTNorm | StreamOrDevice | null, stream?: StreamOrDevice) => MxArray;
type Many = (a: ArrayLike, s?: number[] | null, axes?: number[] | null, norm?: FFTNorm | StreamOrDevice | null, stream?: StreamOrDevice) => MxArray;

function one(op: string, kind: Kind, inverse: boolean): One {
  return (a, n, axis, norm, stream) => {
    const nm = normAndStream(op, norm, stream);
    if (n !== undefined && n !== null && typeof n !== 'number') throw new MxError(op, 'n', `expected an integer size, got ${describe(n)}`);
    return transform(op, a, n === undefined || n === null ? null : [n], [axis ?? -1], kind, inverse, nm);
  };
}

function many(op: string, kind: Kind, inverse: boolean, twoD: boolean): Many {
  return (a, s, axes, norm, stream) => {
    const nm = normAndStream(op, norm, stream);
    return transform(op, a, s, axes ?? (twoD ? [-2, -1] : null), kind, inverse, nm);
  };
}

/** The 1-D discrete Fourier transform along `axis` (default -1), padded or truncated to n. */
export const fft = one('fft', 'complex', false);
export const ifft = one('ifft', 'complex', true);
export const rfft = one('rfft', 'rfft', false);
/** The inverse of rfft: n real outputs (default 2 (m - 1) for m inputs). */
export const irfft = one('irfft', 'irfft', true);
export const fft2 = many('fft2', 'complex', false, true);
export const ifft2 = many('ifft2', 'complex', true, true);
export const rfft2 = many('rfft2', 'rfft', false, true);
export const irfft2 = many('irfft2', 'irfft', true, true);
/** Over `axes` (default: the last len(s) axes, or all), with sizes s. */
export const fftn = many('fftn', 'complex', false, false);
export const ifftn = many('ifftn', 'complex', true, false);
export const rfftn = many('rfftn', 'rfft', false, false);
export const irfftn = many('irfftn', 'irfft', true, false);

function shift(op: string, sign: 1 | -1) {
  return (a: ArrayLike, axes?: number | number[] | null, stream?: StreamOrDevice): MxArray => {
    checkStream(op, stream);
    let x = asArray(a, undefined, op, 'a');
    const list = axes === undefined || axes === null ? x.shape.map((_, i) => i) : Array.isArray(axes) ? axes : [axes];
    for (const axis of list.map((v) => normAxis(op, v, x.ndim, 'axes'))) {
      const n = x.shape[axis];
      // a roll by n // 2 (fftshift) or -(n // 2) (ifftshift): the tail moves to the front
      const k = sign > 0 ? Math.floor(n / 2) : n - Math.floor(n / 2);
      if (n < 2 || k === 0 || k === n) continue;
      const cut = (from: number, to: number) => {
        const start = x.shape.map(() => 0), stop = [...x.shape], strides = x.shape.map(() => 1);
        start[axis] = from;
        stop[axis] = to;
        return apply1('slice', [x], { start, stop, strides }, { dtype: x.dtype, shape: stop.map((v, i) => v - start[i]) });
      };
      x = concatenate([cut(n - k, n), cut(0, n - k)], axis);
    }
    return x;
  };
}

/** Moves the zero frequency to the centre of `axes` (default all). */
export const fftshift = shift('fftshift', 1);
/** The inverse of fftshift. */
export const ifftshift = shift('ifftshift', -1);

function checkLength(op: string, n: number, d: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new MxError(op, 'n', `expected a positive integer, got ${describe(n)}`);
  if (typeof d !== 'number' || d === 0) throw new MxError(op, 'd', `expected a non-zero sample spacing, got ${describe(d)}`);
}

/** The sample frequencies of an n-point fft: [0, 1, ..., -(n // 2), ..., -1] / (d n), float32. */
export function fftfreq(n: number, d = 1.0, stream?: StreamOrDevice): MxArray {
  checkStream('fftfreq', stream);
  checkLength('fftfreq', n, d);
  const half = Math.floor((n - 1) / 2) + 1;
  const k = concatenate([arange(0, half, 1, float32), arange(-Math.floor(n / 2), 0, 1, float32)], 0);
  return binaryOps.divide(k, n * d);
}

/** The sample frequencies of an n-point rfft: [0, 1, ..., n // 2] / (d n), float32. */
export function rfftfreq(n: number, d = 1.0, stream?: StreamOrDevice): MxArray {
  checkStream('rfftfreq', stream);
  checkLength('rfftfreq', n, d);
  return binaryOps.divide(arange(0, Math.floor(n / 2) + 1, 1, float32), n * d);
}
