// BatchNorm(numFeatures, eps = 1e-5, momentum = 0.1, affine = true,
// trackRunningStats = true): in training, batch statistics over every axis but
// the last (and running averages of them); in eval, the running averages.
// The running statistics are frozen members named as in MLX (running_mean,
// running_var), so that MLX's weight files load.
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, ones, zeros } from '../ops.js';
import { asArray } from '../../core/node.js';

export class BatchNorm extends Module {
  weight?: MxArray;
  bias?: MxArray;
  running_mean?: MxArray;
  running_var?: MxArray;
  constructor(public numFeatures: number, public eps = 1e-5, public momentum = 0.1, affine = true, public trackRunningStats = true) {
    super();
    if (affine) {
      this.weight = ones([numFeatures]);
      this.bias = zeros([numFeatures]);
    }
    if (trackRunningStats) {
      this.running_mean = zeros([numFeatures]);
      this.running_var = ones([numFeatures]);
      this.freeze(false, ['running_mean', 'running_var']);
    }
  }
  protected extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.has('weight')}, track_running_stats=${this.trackRunningStats}`;
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    if (x.ndim < 2 || x.ndim > 4) throw new MxError('BatchNorm', 'x', `expected 2, 3 or 4 dimensions, got ${x.ndim}`);
    if (x.shape[x.ndim - 1] !== this.numFeatures) throw new MxError('BatchNorm', 'x', `the last axis must have ${this.numFeatures} features, got shape (${x.shape})`);
    let mean: MxArray, v: MxArray;
    if (this.training || !this.trackRunningStats) {
      const axes = Array.from({ length: x.ndim - 1 }, (_, i) => i);
      mean = x.mean(axes);
      v = x.variance(axes);
      if (this.training && this.trackRunningStats) {
        const mu = this.momentum;
        this.running_mean = this.running_mean!.multiply(1 - mu).add(mean.multiply(mu));
        this.running_var = this.running_var!.multiply(1 - mu).add(v.multiply(mu));
      }
    } else {
      mean = this.running_mean!;
      v = this.running_var!;
    }
    const y = x.subtract(mean).multiply(v.add(this.eps).rsqrt());
    return this.weight ? this.weight.multiply(y).add(this.bias!) : y;
  }
}
