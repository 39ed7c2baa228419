// SinusoidalPositionalEncoding(dims, minFreq = 1e-4, maxFreq = 1, scale?,
// cosFirst = false, fullTurns = false): sin and cos of the input times dims/2
// frequencies spaced geometrically from maxFreq down to minFreq.
import { Module } from './base.js';
import { type ArrayLike, MxArray, arange, concatenate, cos, exp, sin } from '../ops.js';
import { asArray } from '../../core/node.js';

export class SinusoidalPositionalEncoding extends Module {
  _sigmas: MxArray;
  scale: number;
  constructor(dims: number, minFreq = 0.0001, maxFreq = 1, scale?: number, public cosFirst = false, fullTurns = false) {
    super();
    const half = Math.floor(dims / 2);
    const oneZero = arange(0, half).divide(half - 1).multiply(-1).add(1);
    const lo = Math.log(minFreq), hi = Math.log(maxFreq);
    this._sigmas = exp(oneZero.multiply(hi - lo).add(lo));
    if (fullTurns) this._sigmas = this._sigmas.multiply(2 * Math.PI);
    this.scale = scale ?? Math.sqrt(2 / dims);
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    const y = x.reshape(...x.shape, 1).multiply(this._sigmas);
    const out = this.cosFirst ? concatenate([cos(y), sin(y)], -1) : concatenate([sin(y), cos(y)], -1);
    return this.scale !== 1 ? out.multiply(this.scale) : out;
  }
}
