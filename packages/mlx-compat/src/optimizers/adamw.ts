// AdamW(learningRate, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0.01,
// biasCorrection = false): Adam on parameters first decayed by lr * weightDecay.
import { MxArray } from '../core/array.js';
import { Adam } from './adam.js';
import type { ParamState, Scheduled } from './optimizer.js';

export class AdamW extends Adam {
  constructor(learningRate: Scheduled, betas: [number, number] = [0.9, 0.999], eps = 1e-8, public weightDecay = 0.01, biasCorrection = false) {
    super(learningRate, betas, eps, biasCorrection);
  }
  applySingle(gradient: MxArray, parameter: MxArray, state: ParamState): MxArray {
    const decayed = parameter.multiply(this.lr(gradient.dtype).multiply(-this.weightDecay).add(1));
    return super.applySingle(gradient, decayed, state);
  }
}
