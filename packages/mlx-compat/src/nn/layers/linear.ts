// Linear(inputDims, outputDims, bias = true): y = x W^T + b, W and b drawn
// uniformly from [-1/sqrt(inputDims), 1/sqrt(inputDims)] (weight first).
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, addmm, matmul, random } from '../ops.js';
import { asArray } from '../../core/node.js';
import type { QuantizationMode } from '../../core/quantized.js';
import { QuantizedLinear } from './quantized.js';

export class Linear extends Module {
  weight: MxArray;
  bias?: MxArray;
  constructor(inputDims: number, outputDims: number, bias = true) {
    super();
    const scale = Math.sqrt(1 / inputDims);
    this.weight = random.uniform(-scale, scale, [outputDims, inputDims]);
    if (bias) this.bias = random.uniform(-scale, scale, [outputDims]);
  }
  protected extraRepr(): string {
    return `input_dims=${this.weight.shape[1]}, output_dims=${this.weight.shape[0]}, bias=${this.has('bias')}`;
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    const inputDims = this.weight.shape[1];
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== inputDims) throw new MxError('Linear', 'x', `the last axis must have ${inputDims} features, got shape (${x.shape})`);
    return this.bias ? addmm(this.bias, x, this.weight.T) : matmul(x, this.weight.T);
  }
  /** This layer as a QuantizedLinear (what nn.quantize puts in its place). */
  toQuantized(groupSize?: number, bits?: number, mode: QuantizationMode = 'affine'): QuantizedLinear {
    return QuantizedLinear.fromLinear(this, groupSize, bits, mode);
  }
}
