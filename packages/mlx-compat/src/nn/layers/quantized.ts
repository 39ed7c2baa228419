// Quantized layers need the engine's quantize and quantized_matmul ops, which
// it does not have yet: each raises a typed error naming them.
import { Module } from './base.js';
import { MxError } from '../ops.js';

function refuse(layer: string): never {
  throw new MxError(layer, 'engine', 'needs the quantize and quantized_matmul ops, which the mlx-compat engine does not have yet');
}

abstract class Refused extends Module {
  forward(): never {
    return refuse(this.constructor.name);
  }
}

/* eslint-disable @typescript-eslint/no-unused-vars */
export class QuantizedLinear extends Refused {
  constructor(inputDims: number, outputDims: number, bias = true, groupSize = 64, bits = 4, mode = 'affine') {
    super();
    refuse('QuantizedLinear');
  }
}
export class QuantizedEmbedding extends Refused {
  constructor(numEmbeddings: number, dims: number, groupSize = 64, bits = 4, mode = 'affine') {
    super();
    refuse('QuantizedEmbedding');
  }
}
/** quantize(model, groupSize = 64, bits = 4, ...): refused until the engine quantizes. */
export function quantize(model: Module, groupSize = 64, bits = 4): never {
  return refuse('quantize');
}
