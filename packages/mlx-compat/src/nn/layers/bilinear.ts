// Bilinear(input1Dims, input2Dims, outputDims, bias = true): y_i = x1^T W_i x2 + b_i.
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, matmul, random } from '../ops.js';
import { asArray } from '../../core/node.js';

export class Bilinear extends Module {
  weight: MxArray;
  bias?: MxArray;
  constructor(input1Dims: number, input2Dims: number, outputDims: number, bias = true) {
    super();
    const scale = Math.sqrt(1 / input1Dims);
    this.weight = random.uniform(-scale, scale, [outputDims, input2Dims, input1Dims]);
    if (bias) this.bias = random.uniform(-scale, scale, [outputDims]);
  }
  protected extraRepr(): string {
    const [out, in2, in1] = this.weight.shape;
    return `input1_dims=${in1}, input2_dims=${in2}, output_dims=${out}, bias=${this.has('bias')}`;
  }
  forward(a: ArrayLike, b: ArrayLike): MxArray {
    const x1 = asArray(a), x2 = asArray(b);
    const [out, in2, in1] = this.weight.shape;
    if (x1.shape[x1.ndim - 1] !== in1) throw new MxError('Bilinear', 'x1', `the last axis must have ${in1} features, got shape (${x1.shape})`);
    if (x2.shape[x2.ndim - 1] !== in2) throw new MxError('Bilinear', 'x2', `the last axis must have ${in2} features, got shape (${x2.shape})`);
    const lead = x1.shape.slice(0, -1);
    // x1 against every (output, input2) row of W, then each row against x2
    const y1 = matmul(x1.reshape(-1, in1), this.weight.reshape(out * in2, in1).T).reshape(-1, out, in2).swapaxes(-2, -1);
    let y = matmul(x2.reshape(-1, 1, in2), y1).squeeze(1).reshape(...lead, out);
    if (this.bias) y = y.add(this.bias);
    return y;
  }
}
