// Convolutions, all on the engine's one conv_general op as in MLX: conv1d,
// conv2d, conv3d, convGeneral, the transposed convolutions (input dilation by
// the stride, flipped kernel) and NumPy's 1-D convolve (a flipped conv of the
// two vectors, padded for its mode). Layouts are MLX's: input
// (N, spatial..., C), weight (O, spatial..., C / groups).
import type { ArrayLike, MxArray } from '../array.js';
import { checkStream, type StreamOrDevice } from '../device.js';
import { promoteTypes } from '../dtype.js';
import { MxError } from '../errors.js';
import { apply1, asArray } from '../node.js';
import { reshape } from './shape.js';

export type Size = number | number[];
/** A padding: one amount for every side, one per axis, or [low per axis, high per axis]. */
export type Padding = number | number[] | [number[], number[]];

/** The attributes of one conv_general node, a value per spatial axis. */
export interface ConvAttrs {
  stride: number[];
  padding_lo: number[];
  padding_hi: number[];
  kernel_dilation: number[];
  input_dilation: number[];
  groups: number;
  flip: boolean;
}

function perAxis(op: string, arg: string, v: Size, nsp: number, min: number): number[] {
  const list = typeof v === 'number' ? new Array(nsp).fill(v) : [...v];
  if (list.length !== nsp) throw new MxError(op, arg, `has ${list.length} values for ${nsp} spatial axes`);
  for (const x of list) if (!Number.isInteger(x) || x < min) throw new MxError(op, arg, `must be integers of at least ${min}, got ${x}`);
  return list;
}

function paddingPair(op: string, p: Padding, nsp: number): [number[], number[]] {
  if (Array.isArray(p) && p.length === 2 && Array.isArray(p[0]) && Array.isArray(p[1]))
    return [perAxis(op, 'padding', p[0], nsp, -Infinity), perAxis(op, 'padding', p[1], nsp, -Infinity)];
  const both = perAxis(op, 'padding', p as Size, nsp, -Infinity);
  return [both, [...both]];
}

/** The output shape of conv_general, with MLX's checks raised as MxError by `op`. */
export function convShape(op: string, x: MxArray, w: MxArray, a: ConvAttrs): number[] {
  const nsp = x.ndim - 2;
  if (x.ndim < 3 || x.ndim > 5) throw new MxError(op, 'input', `must be (N, spatial..., C) with 1 to 3 spatial axes, got shape (${x.shape})`);
  if (w.ndim !== x.ndim) throw new MxError(op, 'weight', `shape (${w.shape}) must have the input's rank ${x.ndim}: (O, spatial..., C / groups)`);
  const c = x.shape[x.ndim - 1], o = w.shape[0], ig = w.shape[w.ndim - 1], g = a.groups;
  if (!Number.isInteger(g) || g < 1) throw new MxError(op, 'groups', `must be a positive integer, got ${g}`);
  if (c % g) throw new MxError(op, 'groups', `the input's ${c} channels are not divisible by groups ${g}`);
  if (ig * g !== c) throw new MxError(op, 'weight', `its ${ig} input channels times groups ${g} must equal the input's ${c} channels`);
  if (o % g) throw new MxError(op, 'weight', `its ${o} output channels are not divisible by groups ${g}`);
  const out = [x.shape[0]];
  for (let i = 0; i < nsp; i++) {
    const k = w.shape[1 + i], len = x.shape[1 + i];
    if (k < 1) throw new MxError(op, 'weight', `shape (${w.shape}) has an empty spatial axis`);
    const dilated = len ? (len - 1) * a.input_dilation[i] + 1 : 0;
    const padded = dilated + a.padding_lo[i] + a.padding_hi[i], span = (k - 1) * a.kernel_dilation[i] + 1;
    if (padded < span)
      throw new MxError(op, 'input', `spatial axis ${i} is ${padded} long after dilation and padding, shorter than the dilated kernel's ${span}`);
    out.push(Math.floor((padded - span) / a.stride[i]) + 1);
  }
  out.push(o);
  return out;
}

/** One conv_general node (the attributes already per axis): the gradients build on it too. */
export function convNode(op: string, input: MxArray, weight: MxArray, a: ConvAttrs): MxArray {
  const dtype = promoteTypes(input.dtype, weight.dtype);
  if (dtype.category !== 'floating') throw new MxError(op, 'input', `convolutions take real floating types, not ${dtype.name}`);
  return apply1('conv_general', [input, weight], { ...a }, { dtype, shape: convShape(op, input, weight, a) });
}

function general(
  op: string, input: ArrayLike, weight: ArrayLike, nsp: number | null, stride: Size, padding: Padding, kernelDilation: Size, inputDilation: Size, groups: number, flip: boolean,
): MxArray {
  const x = asArray(input, undefined, op, 'input'), w = asArray(weight, undefined, op, 'weight');
  const n = nsp ?? x.ndim - 2;
  if (x.ndim !== n + 2) throw new MxError(op, 'input', `must have ${n + 2} dimensions (N, ${n === 1 ? 'L' : n === 2 ? 'H, W' : 'D, H, W'}, C), got shape (${x.shape})`);
  if (w.ndim !== n + 2) throw new MxError(op, 'weight', `must have ${n + 2} dimensions (O, spatial..., C / groups), got shape (${w.shape})`);
  const [lo, hi] = paddingPair(op, padding, n);
  return convNode(op, x, w, {
    stride: perAxis(op, 'stride', stride, n, 1),
    padding_lo: lo,
    padding_hi: hi,
    kernel_dilation: perAxis(op, 'dilation', kernelDilation, n, 1),
    input_dilation: perAxis(op, 'inputDilation', inputDilation, n, 1),
    groups,
    flip,
  });
}

/** 1-D convolution: input (N, L, C), weight (O, K, C / groups). */
export function conv1d(input: ArrayLike, weight: ArrayLike, stride = 1, padding = 0, dilation = 1, groups = 1, stream?: StreamOrDevice): MxArray {
  checkStream('conv1d', stream);
  return general('conv1d', input, weight, 1, stride, padding, dilation, 1, groups, false);
}

/** 2-D convolution: input (N, H, W, C), weight (O, KH, KW, C / groups). */
export function conv2d(input: ArrayLike, weight: ArrayLike, stride: Size = 1, padding: Size = 0, dilation: Size = 1, groups = 1, stream?: StreamOrDevice): MxArray {
  checkStream('conv2d', stream);
  return general('conv2d', input, weight, 2, stride, padding, dilation, 1, groups, false);
}

/** 3-D convolution: input (N, D, H, W, C), weight (O, KD, KH, KW, C / groups). */
export function conv3d(input: ArrayLike, weight: ArrayLike, stride: Size = 1, padding: Size = 0, dilation: Size = 1, groups = 1, stream?: StreamOrDevice): MxArray {
  checkStream('conv3d', stream);
  return general('conv3d', input, weight, 3, stride, padding, dilation, 1, groups, false);
}

/**
 * convGeneral(input, weight, stride, padding, kernelDilation, inputDilation,
 * groups, flip): any number of spatial axes from 1 to 3; padding may be
 * [low per axis, high per axis].
 */
export function convGeneral(
  input: ArrayLike, weight: ArrayLike, stride: Size = 1, padding: Padding = 0, kernelDilation: Size = 1, inputDilation: Size = 1, groups = 1, flip = false, stream?: StreamOrDevice,
): MxArray {
  checkStream('convGeneral', stream);
  return general('convGeneral', input, weight, null, stride, padding, kernelDilation, inputDilation, groups, flip);
}

// A transposed convolution is the convolution whose input is dilated by the
// stride, with the kernel flipped and padded so that the output has
// (L - 1) stride - 2 padding + dilation (K - 1) + 1 + outputPadding positions.
function transposed(op: string, input: ArrayLike, weight: ArrayLike, nsp: number, stride: Size, padding: Size, dilation: Size, outputPadding: Size, groups: number): MxArray {
  const x = asArray(input, undefined, op, 'input'), w = asArray(weight, undefined, op, 'weight');
  if (x.ndim !== nsp + 2) throw new MxError(op, 'input', `must have ${nsp + 2} dimensions (N, spatial..., C), got shape (${x.shape})`);
  if (w.ndim !== nsp + 2) throw new MxError(op, 'weight', `must have ${nsp + 2} dimensions (O, spatial..., C / groups), got shape (${w.shape})`);
  const s = perAxis(op, 'stride', stride, nsp, 1), p = perAxis(op, 'padding', padding, nsp, 0);
  const d = perAxis(op, 'dilation', dilation, nsp, 1), op_ = perAxis(op, 'outputPadding', outputPadding, nsp, 0);
  const span = (i: number) => d[i] * (w.shape[1 + i] - 1);
  return convNode(op, x, w, {
    stride: new Array(nsp).fill(1),
    padding_lo: p.map((v, i) => span(i) - v),
    padding_hi: p.map((v, i) => span(i) - v + op_[i]),
    kernel_dilation: d,
    input_dilation: s,
    groups,
    flip: true,
  });
}

/** 1-D transposed convolution: input (N, L, C), weight (O, K, C / groups). */
export function convTranspose1d(input: ArrayLike, weight: ArrayLike, stride = 1, padding = 0, dilation = 1, outputPadding = 0, groups = 1, stream?: StreamOrDevice): MxArray {
  checkStream('convTranspose1d', stream);
  return transposed('convTranspose1d', input, weight, 1, stride, padding, dilation, outputPadding, groups);
}

/** 2-D transposed convolution: input (N, H, W, C), weight (O, KH, KW, C / groups). */
export function convTranspose2d(
  input: ArrayLike, weight: ArrayLike, stride: Size = 1, padding: Size = 0, dilation: Size = 1, outputPadding: Size = 0, groups = 1, stream?: StreamOrDevice,
): MxArray {
  checkStream('convTranspose2d', stream);
  return transposed('convTranspose2d', input, weight, 2, stride, padding, dilation, outputPadding, groups);
}

/** 3-D transposed convolution: input (N, D, H, W, C), weight (O, KD, KH, KW, C / groups). */
export function convTranspose3d(
  input: ArrayLike, weight: ArrayLike, stride: Size = 1, padding: Size = 0, dilation: Size = 1, outputPadding: Size = 0, groups = 1, stream?: StreamOrDevice,
): MxArray {
  checkStream('convTranspose3d', stream);
  return transposed('convTranspose3d', input, weight, 3, stride, padding, dilation, outputPadding, groups);
}

export type ConvolveMode = 'full' | 'same' | 'valid';

/**
 * convolve(a, v, mode = 'full'): NumPy's discrete convolution of two 1-D
 * arrays; 'full' has M + N - 1 values, 'same' max(M, N), 'valid'
 * max(M, N) - min(M, N) + 1.
 */
export function convolve(a: ArrayLike, v: ArrayLike, mode: ConvolveMode = 'full', stream?: StreamOrDevice): MxArray {
  checkStream('convolve', stream);
  const op = 'convolve';
  let x = asArray(a, undefined, op, 'a'), k = asArray(v, undefined, op, 'v');
  if (x.ndim !== 1 || k.ndim !== 1) throw new MxError(op, x.ndim !== 1 ? 'a' : 'v', `must be 1-D, got shapes (${x.shape}) and (${k.shape})`);
  if (!x.size || !k.size) throw new MxError(op, !x.size ? 'a' : 'v', 'cannot be empty');
  if (k.size > x.size) [x, k] = [k, x];
  const n = k.size;
  const pad = mode === 'full' ? [n - 1, n - 1] : mode === 'same' ? [n - 1 - Math.floor((n - 1) / 2), Math.floor((n - 1) / 2)] : mode === 'valid' ? [0, 0] : null;
  if (!pad) throw new MxError(op, 'mode', `must be 'full', 'same' or 'valid', got '${mode}'`);
  const y = convNode(op, reshape(x, [1, x.size, 1]), reshape(k, [1, n, 1]), {
    stride: [1], padding_lo: [pad[0]], padding_hi: [pad[1]], kernel_dilation: [1], input_dilation: [1], groups: 1, flip: true,
  });
  return reshape(y, [-1]);
}
