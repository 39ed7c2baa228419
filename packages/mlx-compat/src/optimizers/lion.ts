// Lion(learningRate, betas = [0.9, 0.99], weightDecay = 0): steps by the sign
// of an interpolated momentum.
import { MxArray } from '../core/array.js';
import { zerosLike } from '../core/ops/creation.js';
import { Optimizer, type ParamState, type Scheduled } from './optimizer.js';

export class Lion extends Optimizer {
  constructor(learningRate: Scheduled, public betas: [number, number] = [0.9, 0.99], public weightDecay = 0.0) {
    super();
    this.maybeSchedule('learning_rate', learningRate);
  }
  initSingle(parameter: MxArray, state: ParamState): void {
    state.m = zerosLike(parameter);
  }
  applySingle(gradient: MxArray, parameter: MxArray, state: ParamState): MxArray {
    const lr = this.lr(gradient.dtype);
    const [b1, b2] = this.betas;
    const c = state.m.multiply(b1).add(gradient.multiply(1 - b1));
    state.m = state.m.multiply(b2).add(gradient.multiply(1 - b2));
    const p = this.weightDecay > 0 ? parameter.multiply(lr.multiply(-this.weightDecay).add(1)) : parameter;
    return p.subtract(lr.multiply(c.sign()));
  }
}
