// MaxPool1d/2d/3d and AvgPool1d/2d/3d(kernelSize, stride = kernelSize,
// padding = 0) over channels-last inputs (N, spatial..., C); max pooling pads
// with -inf, average pooling with 0 (counted, as MLX). Composed from strided
// slices: one per position in the window.
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, Slice, finfo, maximum, pad } from '../ops.js';
import { asArray } from '../../core/node.js';

type Size = number | number[];

abstract class Pool extends Module {
  #kernel: number[];
  #stride: number[];
  #padding: number[];
  constructor(private readonly layer: string, private readonly dims: number, kernelSize: Size, stride: Size | undefined, padding: Size, private readonly kind: 'max' | 'avg') {
    super();
    const expand = (v: Size, what: string) => {
      const list = typeof v === 'number' ? Array(dims).fill(v) : v;
      if (list.length !== dims || list.some((n) => !Number.isInteger(n) || n < 0)) throw new MxError(layer, what, `expected ${dims} non-negative integers, got ${JSON.stringify(v)}`);
      return list;
    };
    this.#kernel = expand(kernelSize, 'kernelSize');
    this.#stride = expand(stride ?? kernelSize, 'stride');
    this.#padding = expand(padding, 'padding');
    if (this.#kernel.some((k) => k === 0) || this.#stride.some((s) => s === 0)) throw new MxError(layer, 'kernelSize', 'kernel sizes and strides must be positive');
  }
  protected extraRepr(): string {
    return `kernel_size=(${this.#kernel}), stride=(${this.#stride}), padding=(${this.#padding})`;
  }
  forward(input: ArrayLike): MxArray {
    let x = asArray(input);
    if (x.ndim !== this.dims + 2) throw new MxError(this.layer, 'x', `expected (N, ${this.dims} spatial axes, C), got shape (${x.shape})`);
    // max pooling pads with the dtype's lowest value (MLX: -inf), which no window's maximum can pick over a real element
    if (this.#padding.some((p) => p > 0))
      x = pad(x, [[0, 0], ...this.#padding.map((p) => [p, p] as [number, number]), [0, 0]], 'constant', this.kind === 'max' ? finfo(x.dtype).min : 0);
    const spatial = x.shape.slice(1, -1);
    const out = spatial.map((n, i) => Math.floor((n - this.#kernel[i]) / this.#stride[i]) + 1);
    if (out.some((n) => n < 1)) throw new MxError(this.layer, 'x', `the window (${this.#kernel}) is larger than the padded input (${spatial})`);
    let acc: MxArray | undefined;
    const visit = (axis: number, offsets: number[]) => {
      if (axis === this.dims) {
        const idx = offsets.map((o, i) => new Slice(o, o + this.#stride[i] * (out[i] - 1) + 1, this.#stride[i]));
        const window = x.index(new Slice(), ...idx);
        acc = acc === undefined ? window : this.kind === 'max' ? maximum(acc, window) : acc.add(window);
        return;
      }
      for (let k = 0; k < this.#kernel[axis]; k++) visit(axis + 1, [...offsets, k]);
    };
    visit(0, []);
    return this.kind === 'max' ? acc! : acc!.divide(this.#kernel.reduce((a, b) => a * b, 1));
  }
}

export class MaxPool1d extends Pool {
  constructor(kernelSize: Size, stride?: Size, padding: Size = 0) {
    super('MaxPool1d', 1, kernelSize, stride, padding, 'max');
  }
}
export class MaxPool2d extends Pool {
  constructor(kernelSize: Size, stride?: Size, padding: Size = 0) {
    super('MaxPool2d', 2, kernelSize, stride, padding, 'max');
  }
}
export class MaxPool3d extends Pool {
  constructor(kernelSize: Size, stride?: Size, padding: Size = 0) {
    super('MaxPool3d', 3, kernelSize, stride, padding, 'max');
  }
}
export class AvgPool1d extends Pool {
  constructor(kernelSize: Size, stride?: Size, padding: Size = 0) {
    super('AvgPool1d', 1, kernelSize, stride, padding, 'avg');
  }
}
export class AvgPool2d extends Pool {
  constructor(kernelSize: Size, stride?: Size, padding: Size = 0) {
    super('AvgPool2d', 2, kernelSize, stride, padding, 'avg');
  }
}
export class AvgPool3d extends Pool {
  constructor(kernelSize: Size, stride?: Size, padding: Size = 0) {
    super('AvgPool3d', 3, kernelSize, stride, padding, 'avg');
  }
}
