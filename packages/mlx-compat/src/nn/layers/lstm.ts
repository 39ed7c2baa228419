// LSTM(inputSize, hiddenSize, bias = true): MLX's long short-term memory,
// gates in the order input, forget, cell, output; Wx (4h, in), Wh (4h, h),
// bias (4h) drawn in that order. forward returns [hidden states, cell states].
import { Module } from './base.js';
import { at, sequenceInput } from './rnn.js';
import { type ArrayLike, MxArray, addmm, matmul, random, sigmoid, split, stack, tanh } from '../ops.js';

export class LSTM extends Module {
  Wx: MxArray;
  Wh: MxArray;
  bias?: MxArray;
  constructor(public inputSize: number, public hiddenSize: number, bias = true) {
    super();
    const scale = 1 / Math.sqrt(hiddenSize);
    this.Wx = random.uniform(-scale, scale, [4 * hiddenSize, inputSize]);
    this.Wh = random.uniform(-scale, scale, [4 * hiddenSize, hiddenSize]);
    if (bias) this.bias = random.uniform(-scale, scale, [4 * hiddenSize]);
  }
  protected extraRepr(): string {
    return `input_dims=${this.inputSize}, hidden_size=${this.hiddenSize}, bias=${this.has('bias')}`;
  }
  forward(input: ArrayLike, hidden?: MxArray, cell?: MxArray): [MxArray, MxArray] {
    const raw = sequenceInput('LSTM', input, this.inputSize);
    const x = this.bias ? addmm(this.bias, raw, this.Wx.T) : matmul(raw, this.Wx.T);
    const hs: MxArray[] = [], cs: MxArray[] = [];
    let h = hidden, c = cell;
    for (let t = 0; t < x.shape[x.ndim - 2]; t++) {
      const ifgo = h ? addmm(at(x, t), h, this.Wh.T) : at(x, t);
      const [i, f, g, o] = split(ifgo, 4, -1);
      const ig = sigmoid(i).multiply(tanh(g));
      c = c ? sigmoid(f).multiply(c).add(ig) : ig;
      h = sigmoid(o).multiply(tanh(c));
      cs.push(c);
      hs.push(h);
    }
    return [stack(hs, -2), stack(cs, -2)];
  }
}
