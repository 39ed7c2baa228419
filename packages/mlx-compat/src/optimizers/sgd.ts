// SGD(learningRate, momentum = 0, weightDecay = 0, dampening = 0, nesterov = false).
import { MxArray } from '../core/array.js';
import { MxError } from '../core/errors.js';
import { zerosLike } from '../core/ops/creation.js';
import { Optimizer, type ParamState, type Scheduled } from './optimizer.js';

export class SGD extends Optimizer {
  constructor(learningRate: Scheduled, public momentum = 0.0, public weightDecay = 0.0, public dampening = 0.0, public nesterov = false) {
    super();
    if (nesterov && (momentum <= 0 || dampening !== 0)) throw new MxError('SGD', 'nesterov', 'Nesterov momentum requires a momentum and zero dampening');
    this.maybeSchedule('learning_rate', learningRate);
  }
  initSingle(parameter: MxArray, state: ParamState): void {
    state.v = zerosLike(parameter);
  }
  applySingle(gradient: MxArray, parameter: MxArray, state: ParamState): MxArray {
    let g = gradient;
    if (this.weightDecay !== 0) g = g.add(parameter.multiply(this.weightDecay));
    const lr = this.lr(g.dtype);
    if (this.momentum <= 0) return parameter.subtract(lr.multiply(g));
    let v = state.v.multiply(this.momentum);
    v = v.add(this.dampening > 0 ? g.multiply(1 - this.dampening) : g);
    state.v = v;
    const update = this.nesterov ? g.add(v.multiply(this.momentum)) : v;
    return parameter.subtract(lr.multiply(update));
  }
}
