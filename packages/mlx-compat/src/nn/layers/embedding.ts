// Embedding(numEmbeddings, dims): a table of vectors drawn from N(0, 1/dims),
// looked up by integer index; asLinear(x) multiplies by its transpose (tied weights).
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, matmul, random, take } from '../ops.js';
import { asArray } from '../../core/node.js';
import { isInteger } from '../../core/dtype.js';
import type { QuantizationMode } from '../../core/quantized.js';
import { QuantizedEmbedding } from './quantized.js';

export class Embedding extends Module {
  weight: MxArray;
  constructor(numEmbeddings: number, dims: number) {
    super();
    this.weight = random.normal([numEmbeddings, dims], undefined, 0, Math.sqrt(1 / dims));
  }
  protected extraRepr(): string {
    return `${this.weight.shape[0]}, ${this.weight.shape[1]}`;
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    if (!isInteger(x.dtype)) throw new MxError('Embedding', 'x', `indices must be integers, got ${x.dtype.name}`);
    return take(this.weight, x, 0);
  }
  asLinear(x: ArrayLike): MxArray {
    return matmul(x, this.weight.T);
  }
  /** This layer as a QuantizedEmbedding (what nn.quantize puts in its place). */
  toQuantized(groupSize?: number, bits?: number, mode: QuantizationMode = 'affine'): QuantizedEmbedding {
    return QuantizedEmbedding.fromEmbedding(this, groupSize, bits, mode);
  }
}
