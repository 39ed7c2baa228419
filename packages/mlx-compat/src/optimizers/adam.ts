// Adam(learningRate, betas = [0.9, 0.999], eps = 1e-8, biasCorrection = false).
import { MxArray } from '../core/array.js';
import { zerosLike } from '../core/ops/creation.js';
import { binaryOps } from '../core/ops/elementwise.js';
import { Optimizer, type ParamState, type Scheduled } from './optimizer.js';

export class Adam extends Optimizer {
  constructor(learningRate: Scheduled, public betas: [number, number] = [0.9, 0.999], public eps = 1e-8, public biasCorrection = false) {
    super();
    this.maybeSchedule('learning_rate', learningRate);
  }
  initSingle(parameter: MxArray, state: ParamState): void {
    state.m = zerosLike(parameter);
    state.v = zerosLike(parameter);
  }
  applySingle(gradient: MxArray, parameter: MxArray, state: ParamState): MxArray {
    const lr = this.lr(gradient.dtype);
    const [b1, b2] = this.betas;
    const m = state.m.multiply(b1).add(gradient.multiply(1 - b1));
    const v = state.v.multiply(b2).add(gradient.square().multiply(1 - b2));
    state.m = m;
    state.v = v;
    if (!this.biasCorrection) return parameter.subtract(lr.multiply(m).divide(v.sqrt().add(this.eps)));
    const c1 = lr.divide(binaryOps.power(b1, this.step).multiply(-1).add(1)).astype(gradient.dtype);
    const c2 = binaryOps.power(b2, this.step).multiply(-1).add(1).rsqrt().astype(gradient.dtype);
    return parameter.subtract(c1.multiply(m).divide(v.sqrt().multiply(c2).add(this.eps)));
  }
}
