// Adamax(learningRate, betas = [0.9, 0.999], eps = 1e-8): Adam with the infinity norm.
import { MxArray } from '../core/array.js';
import { MxError } from '../core/errors.js';
import { zerosLike } from '../core/ops/creation.js';
import { Optimizer, type ParamState, type Scheduled } from './optimizer.js';

export class Adamax extends Optimizer {
  constructor(learningRate: Scheduled, public betas: [number, number] = [0.9, 0.999], public eps = 1e-8) {
    super();
    if (eps < 0) throw new MxError('Adamax', 'eps', `must be non-negative, got ${eps}`);
    this.maybeSchedule('learning_rate', learningRate);
  }
  initSingle(parameter: MxArray, state: ParamState): void {
    state.m = zerosLike(parameter);
    state.v = zerosLike(parameter);
  }
  applySingle(gradient: MxArray, parameter: MxArray, state: ParamState): MxArray {
    const [b1, b2] = this.betas;
    const m = state.m.multiply(b1).add(gradient.multiply(1 - b1));
    const v = state.v.multiply(b2).maximum(gradient.abs());
    state.m = m;
    state.v = v;
    return parameter.subtract(this.lr(gradient.dtype).multiply(m).divide(v.add(this.eps)));
  }
}
