// GRU(inputSize, hiddenSize, bias = true): MLX's gated recurrent unit, weights
// Wx (3h, in), Wh (3h, h), b (3h), bhn (h) drawn in that order.
import { Module } from './base.js';
import { at, sequenceInput } from './rnn.js';
import { type ArrayLike, MxArray, Slice, addmm, matmul, random, sigmoid, split, stack, tanh } from '../ops.js';

export class GRU extends Module {
  Wx: MxArray;
  Wh: MxArray;
  b?: MxArray;
  bhn?: MxArray;
  constructor(public inputSize: number, public hiddenSize: number, bias = true) {
    super();
    const scale = 1 / Math.sqrt(hiddenSize);
    this.Wx = random.uniform(-scale, scale, [3 * hiddenSize, inputSize]);
    this.Wh = random.uniform(-scale, scale, [3 * hiddenSize, hiddenSize]);
    if (bias) {
      this.b = random.uniform(-scale, scale, [3 * hiddenSize]);
      this.bhn = random.uniform(-scale, scale, [hiddenSize]);
    }
  }
  protected extraRepr(): string {
    return `input_dims=${this.inputSize}, hidden_size=${this.hiddenSize}, bias=${this.has('b')}`;
  }
  forward(input: ArrayLike, hidden?: MxArray): MxArray {
    const raw = sequenceInput('GRU', input, this.inputSize);
    const H = this.hiddenSize;
    const x = this.b ? addmm(this.b, raw, this.Wx.T) : matmul(raw, this.Wx.T);
    const xRz = x.index('...', new Slice(null, -H)), xN = x.index('...', new Slice(-H));
    const all: MxArray[] = [];
    let h = hidden;
    for (let t = 0; t < x.shape[x.ndim - 2]; t++) {
      let rz = at(xRz, t);
      let hProjN: MxArray | undefined;
      if (h) {
        const hProj = matmul(h, this.Wh.T);
        hProjN = hProj.index('...', new Slice(-H));
        if (this.bhn) hProjN = hProjN.add(this.bhn);
        rz = rz.add(hProj.index('...', new Slice(null, -H)));
      }
      const [r, z] = split(sigmoid(rz), 2, -1);
      let n = at(xN, t);
      if (h) n = n.add(r.multiply(hProjN!));
      n = tanh(n);
      const keep = z.multiply(-1).add(1).multiply(n);
      h = h ? keep.add(z.multiply(h)) : keep;
      all.push(h);
    }
    return stack(all, -2);
  }
}
