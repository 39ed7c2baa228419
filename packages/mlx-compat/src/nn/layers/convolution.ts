// Conv1d/2d/3d and ConvTranspose1d/2d/3d over channels-last inputs
// (N, spatial..., C), with MLX v0.31.2's constructor arguments: weights
// (out, kernel..., in / groups) drawn uniformly from +-sqrt(1 / (in * kernel
// size)), a zero bias. Groups are in Conv1d and Conv2d only; the transposed
// layers take an output padding instead, as in MLX.
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, random, zeros } from '../ops.js';
import { asArray } from '../../core/node.js';
import { conv1d, conv2d, conv3d, convTranspose1d, convTranspose2d, convTranspose3d } from '../../core/ops/conv.js';

type Size = number | number[];

function expand(layer: string, arg: string, v: Size, dims: number): number[] {
  const list = typeof v === 'number' ? new Array(dims).fill(v) : [...v];
  if (list.length !== dims || list.some((n) => !Number.isInteger(n) || n < 0)) throw new MxError(layer, arg, `expected ${dims === 1 ? 'a non-negative integer' : `${dims} non-negative integers`}, got ${JSON.stringify(v)}`);
  return list;
}

const tuple = (v: number[]) => (v.length === 1 ? `${v[0]}` : `(${v.join(', ')})`);

/** A layer's settings, a value per spatial axis (private: a module's own arrays are its members). */
interface Settings {
  stride: number[];
  padding: number[];
  dilation: number[];
  groups: number;
  outputPadding?: number[];
}

abstract class ConvBase extends Module {
  weight: MxArray;
  bias?: MxArray;
  readonly #layer: string;
  readonly #dims: number;
  readonly #s: Settings;

  constructor(layer: string, dims: number, inChannels: number, outChannels: number, kernelSize: Size, stride: Size, padding: Size, dilation: Size, groups: number, bias: boolean, outputPadding?: Size) {
    super();
    this.#layer = layer;
    this.#dims = dims;
    for (const [arg, v] of [['inChannels', inChannels], ['outChannels', outChannels], ['groups', groups]] as const)
      if (!Number.isInteger(v) || v < 1) throw new MxError(layer, arg, `must be a positive integer, got ${v}`);
    if (inChannels % groups) throw new MxError(layer, 'groups', `the ${inChannels} input channels are not divisible by groups ${groups}`);
    if (outChannels % groups) throw new MxError(layer, 'groups', `the ${outChannels} output channels are not divisible by groups ${groups}`);
    const kernel = expand(layer, 'kernelSize', kernelSize, dims);
    if (kernel.some((k) => k === 0)) throw new MxError(layer, 'kernelSize', `must be positive, got ${JSON.stringify(kernelSize)}`);
    this.#s = {
      stride: expand(layer, 'stride', stride, dims),
      padding: expand(layer, 'padding', padding, dims),
      dilation: expand(layer, 'dilation', dilation, dims),
      groups,
      outputPadding: outputPadding === undefined ? undefined : expand(layer, 'outputPadding', outputPadding, dims),
    };
    const scale = Math.sqrt(1 / (inChannels * kernel.reduce((a, b) => a * b, 1)));
    this.weight = random.uniform(-scale, scale, [outChannels, ...kernel, inChannels / groups]);
    if (bias) this.bias = zeros([outChannels]);
  }

  protected extraRepr(): string {
    const w = this.weight.shape, s = this.#s;
    const parts = [`${w[w.length - 1] * s.groups}, ${w[0]}`, `kernel_size=${tuple(w.slice(1, -1))}`, `stride=${tuple(s.stride)}`, `padding=${tuple(s.padding)}`, `dilation=${tuple(s.dilation)}`];
    if (s.outputPadding) parts.push(`output_padding=${tuple(s.outputPadding)}`);
    else parts.push(`groups=${s.groups}`);
    return [...parts, `bias=${this.has('bias')}`].join(', ');
  }

  protected abstract convolve(x: MxArray, s: Settings): MxArray;

  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    const c = this.weight.shape[this.weight.ndim - 1] * this.#s.groups;
    if (x.ndim !== this.#dims + 2 || x.shape[x.ndim - 1] !== c)
      throw new MxError(this.#layer, 'x', `expected (N, ${this.#dims} spatial axes, ${c} channels), got shape (${x.shape})`);
    const y = this.convolve(x, this.#s);
    return this.bias ? y.add(this.bias) : y;
  }
}

/** Conv1d(inChannels, outChannels, kernelSize, stride = 1, padding = 0, dilation = 1, groups = 1, bias = true) over (N, L, C). */
export class Conv1d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: number, stride = 1, padding = 0, dilation = 1, groups = 1, bias = true) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias);
  }
  protected convolve(x: MxArray, s: Settings): MxArray {
    return conv1d(x, this.weight, s.stride[0], s.padding[0], s.dilation[0], s.groups);
  }
}

/** Conv2d(inChannels, outChannels, kernelSize, stride = 1, padding = 0, dilation = 1, groups = 1, bias = true) over (N, H, W, C). */
export class Conv2d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1, groups = 1, bias = true) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias);
  }
  protected convolve(x: MxArray, s: Settings): MxArray {
    return conv2d(x, this.weight, s.stride, s.padding, s.dilation, s.groups);
  }
}

/** Conv3d(inChannels, outChannels, kernelSize, stride = 1, padding = 0, dilation = 1, bias = true) over (N, D, H, W, C). */
export class Conv3d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1, bias = true) {
    super('Conv3d', 3, inChannels, outChannels, kernelSize, stride, padding, dilation, 1, bias);
  }
  protected convolve(x: MxArray, s: Settings): MxArray {
    return conv3d(x, this.weight, s.stride, s.padding, s.dilation);
  }
}

/** ConvTranspose1d(inChannels, outChannels, kernelSize, stride = 1, padding = 0, dilation = 1, outputPadding = 0, bias = true) over (N, L, C). */
export class ConvTranspose1d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: number, stride = 1, padding = 0, dilation = 1, outputPadding = 0, bias = true) {
    super('ConvTranspose1d', 1, inChannels, outChannels, kernelSize, stride, padding, dilation, 1, bias, outputPadding);
  }
  protected convolve(x: MxArray, s: Settings): MxArray {
    return convTranspose1d(x, this.weight, s.stride[0], s.padding[0], s.dilation[0], s.outputPadding![0]);
  }
}

/** ConvTranspose2d(inChannels, outChannels, kernelSize, stride = 1, padding = 0, dilation = 1, outputPadding = 0, bias = true) over (N, H, W, C). */
export class ConvTranspose2d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1, outputPadding: Size = 0, bias = true) {
    super('ConvTranspose2d', 2, inChannels, outChannels, kernelSize, stride, padding, dilation, 1, bias, outputPadding);
  }
  protected convolve(x: MxArray, s: Settings): MxArray {
    return convTranspose2d(x, this.weight, s.stride, s.padding, s.dilation, s.outputPadding);
  }
}

/** ConvTranspose3d(inChannels, outChannels, kernelSize, stride = 1, padding = 0, dilation = 1, outputPadding = 0, bias = true) over (N, D, H, W, C). */
export class ConvTranspose3d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1, outputPadding: Size = 0, bias = true) {
    super('ConvTranspose3d', 3, inChannels, outChannels, kernelSize, stride, padding, dilation, 1, bias, outputPadding);
  }
  protected convolve(x: MxArray, s: Settings): MxArray {
    return convTranspose3d(x, this.weight, s.stride, s.padding, s.dilation, s.outputPadding);
  }
}
