// ALiBi: attention scores (batch, heads, queries, keys) plus a linear penalty
// on the distance between query and key, with a slope per head.
import { Module } from './base.js';
import { type ArrayLike, type Dtype, MxArray, MxError, abs, arange, float32, power } from '../ops.js';
import { asArray } from '../../core/node.js';

export class ALiBi extends Module {
  static createAlibiMatrix(qSequenceLength: number, kSequenceLength: number, numHeads: number, offset: number, dtype: Dtype = float32): MxArray {
    const x1 = arange(offset, qSequenceLength), x2 = arange(0, kSequenceLength);
    const distance = abs(x1.reshape(-1, 1).subtract(x2.reshape(1, -1))).multiply(-1).reshape(1, 1, -1, kSequenceLength);
    return distance.multiply(ALiBi.createAlibiSlope(numHeads)).astype(dtype);
  }
  static createAlibiSlope(numHeads: number): MxArray {
    const x = (2 ** 8) ** (1 / numHeads);
    return power(x, arange(1, numHeads + 1).multiply(-1)).reshape(numHeads, 1, 1);
  }
  forward(scores: ArrayLike, offset = 0, mask?: MxArray): MxArray {
    const s = asArray(scores);
    if (s.ndim !== 4) throw new MxError('ALiBi', 'attentionScores', `expected (batch, heads, queries, keys), got shape (${s.shape})`);
    let m = ALiBi.createAlibiMatrix(s.shape[2] + offset, s.shape[3], s.shape[1], offset, s.dtype);
    if (mask) m = m.add(mask);
    return s.add(m);
  }
}
