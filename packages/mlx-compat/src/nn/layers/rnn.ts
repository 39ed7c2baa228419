// RNN(inputSize, hiddenSize, bias = true, nonlinearity = tanh): an Elman
// recurrence over the second-last axis; Wxh, Whh and bias drawn uniformly
// from [-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)] in that order, as MLX.
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, Slice, addmm, matmul, random, stack, tanh } from '../ops.js';
import { asArray } from '../../core/node.js';

/** x (..., L, inputSize) checked, as an array. */
export function sequenceInput(layer: string, input: ArrayLike, inputSize: number): MxArray {
  const x = asArray(input);
  if (x.ndim < 2 || x.shape[x.ndim - 1] !== inputSize) throw new MxError(layer, 'x', `expected (..., L, ${inputSize}), got shape (${x.shape})`);
  return x;
}

/** Step t of a sequence: x[..., t, :]. */
export const at = (x: MxArray, t: number) => x.index('...', t, new Slice());

export class RNN extends Module {
  Wxh: MxArray;
  Whh: MxArray;
  bias?: MxArray;
  #nonlinearity: (x: MxArray) => MxArray;
  constructor(public inputSize: number, public hiddenSize: number, bias = true, nonlinearity: (x: MxArray) => MxArray = tanh) {
    super();
    const scale = 1 / Math.sqrt(hiddenSize);
    this.Wxh = random.uniform(-scale, scale, [hiddenSize, inputSize]);
    this.Whh = random.uniform(-scale, scale, [hiddenSize, hiddenSize]);
    if (bias) this.bias = random.uniform(-scale, scale, [hiddenSize]);
    this.#nonlinearity = nonlinearity;
  }
  protected extraRepr(): string {
    return `input_dims=${this.inputSize}, hidden_size=${this.hiddenSize}, nonlinearity=${this.#nonlinearity.name || 'fn'}, bias=${this.has('bias')}`;
  }
  forward(input: ArrayLike, hidden?: MxArray): MxArray {
    const raw = sequenceInput('RNN', input, this.inputSize);
    const x = this.bias ? addmm(this.bias, raw, this.Wxh.T) : matmul(raw, this.Wxh.T);
    const all: MxArray[] = [];
    let h = hidden;
    for (let t = 0; t < x.shape[x.ndim - 2]; t++) {
      h = this.#nonlinearity(h ? addmm(at(x, t), h, this.Whh.T) : at(x, t));
      all.push(h);
    }
    return stack(all, -2);
  }
}
