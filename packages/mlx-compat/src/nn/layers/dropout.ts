// Dropout(p = 0.5), Dropout2d(p) and Dropout3d(p): in training, zero elements
// (or whole channels of 2-D/3-D feature maps, channels last) with probability
// p and scale the rest by 1/(1-p); in eval, the identity.
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, random } from '../ops.js';
import { asArray } from '../../core/node.js';

abstract class DropoutBase extends Module {
  protected p1: number;
  constructor(p: number, name: string) {
    super();
    if (!(p >= 0 && p < 1)) throw new MxError(name, 'p', `the dropout probability ${p} is not in [0, 1)`);
    this.p1 = 1 - p;
  }
  protected extraRepr(): string {
    return `p=${1 - this.p1}`;
  }
  /** x with the elements the mask drops zeroed, kept ones scaled; maskShape broadcasts against x. */
  protected drop(x: MxArray, maskShape: number[]): MxArray {
    if (this.p1 === 1 || !this.training) return x;
    const mask = random.bernoulli(this.p1, maskShape);
    return mask.multiply(x).multiply(1 / this.p1);
  }
}

export class Dropout extends DropoutBase {
  constructor(p = 0.5) {
    super(p, 'Dropout');
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    return this.drop(x, x.shape);
  }
}

/** Zeroes whole channels of (N, H, W, C) or (H, W, C) inputs. */
export class Dropout2d extends DropoutBase {
  constructor(p = 0.5) {
    super(p, 'Dropout2d');
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    if (x.ndim !== 3 && x.ndim !== 4) throw new MxError('Dropout2d', 'x', `expected 3 or 4 dimensions, got ${x.ndim}`);
    const shape = x.shape;
    shape[x.ndim - 2] = shape[x.ndim - 3] = 1;
    return this.drop(x, shape);
  }
}

/** Zeroes whole channels of (N, D, H, W, C) or (D, H, W, C) inputs. */
export class Dropout3d extends DropoutBase {
  constructor(p = 0.5) {
    super(p, 'Dropout3d');
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    if (x.ndim !== 4 && x.ndim !== 5) throw new MxError('Dropout3d', 'x', `expected 4 or 5 dimensions, got ${x.ndim}`);
    const shape = x.shape;
    shape[x.ndim - 2] = shape[x.ndim - 3] = shape[x.ndim - 4] = 1;
    return this.drop(x, shape);
  }
}
