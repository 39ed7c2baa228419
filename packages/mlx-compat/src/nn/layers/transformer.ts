// Transformer(dims = 512, numHeads = 8, numEncoderLayers = 6,
// numDecoderLayers = 6, mlpDims?, dropout = 0, activation = relu,
// customEncoder?, customDecoder?, normFirst = true, checkpoint = false),
// with MLX's member names (encoder.layers.N.attention, ln1, linear1, ...).
// checkpoint: each layer's intermediates are recomputed in the backward pass
// (MLX's nn.utils.checkpoint) instead of kept.
import { Module } from './base.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './layer_norm.js';
import { Linear } from './linear.js';
import { MultiHeadAttention } from './multi_head_attention.js';
import { relu } from '../activations.js';
import { type ArrayLike, MxArray } from '../ops.js';
import { asArray } from '../../core/node.js';
import { checkpoint as checkpointed } from '../checkpoint.js';

type Activation = (x: MxArray) => MxArray;

export class TransformerEncoderLayer extends Module {
  attention: MultiHeadAttention;
  ln1: LayerNorm;
  ln2: LayerNorm;
  linear1: Linear;
  linear2: Linear;
  dropout1: Dropout;
  dropout2: Dropout;
  #activation: Activation;
  constructor(dims: number, numHeads: number, mlpDims?: number, dropout = 0.0, activation: Activation = relu, public normFirst = true) {
    super();
    const mlp = mlpDims ?? dims * 4;
    this.attention = new MultiHeadAttention(dims, numHeads);
    this.ln1 = new LayerNorm(dims);
    this.ln2 = new LayerNorm(dims);
    this.linear1 = new Linear(dims, mlp);
    this.linear2 = new Linear(mlp, dims);
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
    this.#activation = activation;
  }
  forward(input: ArrayLike, mask?: MxArray): MxArray {
    let x = asArray(input);
    const mlp = (y: MxArray) => this.linear2.forward(this.dropout2.forward(this.#activation(this.linear1.forward(y))));
    if (this.normFirst) {
      const y = this.ln1.forward(x);
      x = x.add(this.dropout1.forward(this.attention.forward(y, y, y, mask)));
      return x.add(mlp(this.ln2.forward(x)));
    }
    x = this.ln1.forward(x.add(this.dropout1.forward(this.attention.forward(x, x, x, mask))));
    return this.ln2.forward(x.add(mlp(x)));
  }
}

export class TransformerEncoder extends Module {
  layers: TransformerEncoderLayer[];
  ln: LayerNorm;
  constructor(numLayers: number, dims: number, numHeads: number, mlpDims?: number, dropout = 0.0, activation: Activation = relu, normFirst = true, public checkpoint = false) {
    super();
    this.layers = Array.from({ length: numLayers }, () => new TransformerEncoderLayer(dims, numHeads, mlpDims, dropout, activation, normFirst));
    this.ln = new LayerNorm(dims);
  }
  forward(input: ArrayLike, mask?: MxArray): MxArray {
    let x = asArray(input);
    for (const l of this.layers) x = this.checkpoint ? checkpointed(l)(x, mask) : l.forward(x, mask);
    return this.ln.forward(x);
  }
}

export class TransformerDecoderLayer extends Module {
  self_attention: MultiHeadAttention;
  cross_attention: MultiHeadAttention;
  ln1: LayerNorm;
  ln2: LayerNorm;
  ln3: LayerNorm;
  linear1: Linear;
  linear2: Linear;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  #activation: Activation;
  constructor(dims: number, numHeads: number, mlpDims?: number, dropout = 0.0, activation: Activation = relu, public normFirst = true) {
    super();
    const mlp = mlpDims ?? dims * 4;
    this.self_attention = new MultiHeadAttention(dims, numHeads);
    this.cross_attention = new MultiHeadAttention(dims, numHeads);
    this.ln1 = new LayerNorm(dims);
    this.ln2 = new LayerNorm(dims);
    this.ln3 = new LayerNorm(dims);
    this.linear1 = new Linear(dims, mlp);
    this.linear2 = new Linear(mlp, dims);
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
    this.dropout3 = new Dropout(dropout);
    this.#activation = activation;
  }
  forward(input: ArrayLike, memory: MxArray, xMask?: MxArray, memoryMask?: MxArray): MxArray {
    let x = asArray(input);
    const mlp = (y: MxArray) => this.linear2.forward(this.dropout3.forward(this.#activation(this.linear1.forward(y))));
    if (this.normFirst) {
      let y = this.ln1.forward(x);
      x = x.add(this.dropout1.forward(this.self_attention.forward(y, y, y, xMask)));
      y = this.ln2.forward(x);
      x = x.add(this.dropout2.forward(this.cross_attention.forward(y, memory, memory, memoryMask)));
      return x.add(mlp(this.ln3.forward(x)));
    }
    // as MLX: the cross attention reads the self attention's output
    const y = this.self_attention.forward(x, x, x, xMask);
    x = this.ln1.forward(x.add(this.dropout1.forward(y)));
    x = this.ln2.forward(x.add(this.dropout2.forward(this.cross_attention.forward(y, memory, memory, memoryMask))));
    return this.ln3.forward(x.add(mlp(x)));
  }
}

export class TransformerDecoder extends Module {
  layers: TransformerDecoderLayer[];
  ln: LayerNorm;
  constructor(numLayers: number, dims: number, numHeads: number, mlpDims?: number, dropout = 0.0, activation: Activation = relu, normFirst = true, public checkpoint = false) {
    super();
    this.layers = Array.from({ length: numLayers }, () => new TransformerDecoderLayer(dims, numHeads, mlpDims, dropout, activation, normFirst));
    this.ln = new LayerNorm(dims);
  }
  forward(input: ArrayLike, memory: MxArray, xMask?: MxArray, memoryMask?: MxArray): MxArray {
    let x = asArray(input);
    for (const l of this.layers) x = this.checkpoint ? checkpointed(l)(x, memory, xMask, memoryMask) : l.forward(x, memory, xMask, memoryMask);
    return this.ln.forward(x);
  }
}

interface Stack {
  forward(x: ArrayLike, ...rest: Array<MxArray | undefined>): MxArray;
}

export class Transformer extends Module {
  encoder: Module;
  decoder: Module;
  constructor(
    dims = 512,
    numHeads = 8,
    numEncoderLayers = 6,
    numDecoderLayers = 6,
    mlpDims?: number,
    dropout = 0.0,
    activation: Activation = relu,
    customEncoder?: Module,
    customDecoder?: Module,
    normFirst = true,
    checkpoint = false,
  ) {
    super();
    this.encoder = customEncoder ?? new TransformerEncoder(numEncoderLayers, dims, numHeads, mlpDims, dropout, activation, normFirst, checkpoint);
    this.decoder = customDecoder ?? new TransformerDecoder(numDecoderLayers, dims, numHeads, mlpDims, dropout, activation, normFirst, checkpoint);
  }
  forward(src: ArrayLike, tgt: ArrayLike, srcMask?: MxArray, tgtMask?: MxArray, memoryMask?: MxArray): MxArray {
    const memory = (this.encoder as unknown as Stack).forward(src, srcMask);
    return (this.decoder as unknown as Stack).forward(tgt, memory, tgtMask, memoryMask);
  }
}
