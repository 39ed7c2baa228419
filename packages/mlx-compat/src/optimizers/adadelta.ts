// AdaDelta(learningRate, rho = 0.9, eps = 1e-6).
import { MxArray } from '../core/array.js';
import { MxError } from '../core/errors.js';
import { zerosLike } from '../core/ops/creation.js';
import { Optimizer, type ParamState, type Scheduled } from './optimizer.js';

export class AdaDelta extends Optimizer {
  constructor(learningRate: Scheduled, public rho = 0.9, public eps = 1e-6) {
    super();
    if (rho < 0) throw new MxError('AdaDelta', 'rho', `must be non-negative, got ${rho}`);
    if (eps < 0) throw new MxError('AdaDelta', 'eps', `must be non-negative, got ${eps}`);
    this.maybeSchedule('learning_rate', learningRate);
  }
  initSingle(parameter: MxArray, state: ParamState): void {
    state.v = zerosLike(parameter);
    state.u = zerosLike(parameter);
  }
  applySingle(gradient: MxArray, parameter: MxArray, state: ParamState): MxArray {
    const v = state.v.multiply(this.rho).add(gradient.square().multiply(1 - this.rho));
    const d = state.u.add(this.eps).sqrt().divide(v.add(this.eps).sqrt()).multiply(gradient);
    state.v = v;
    state.u = state.u.multiply(this.rho).add(d.square().multiply(1 - this.rho));
    return parameter.subtract(this.lr(gradient.dtype).multiply(d));
  }
}
