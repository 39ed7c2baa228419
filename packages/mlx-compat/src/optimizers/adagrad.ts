// Adagrad(learningRate, eps = 1e-8).
import { MxArray } from '../core/array.js';
import { MxError } from '../core/errors.js';
import { zerosLike } from '../core/ops/creation.js';
import { Optimizer, type ParamState, type Scheduled } from './optimizer.js';

export class Adagrad extends Optimizer {
  constructor(learningRate: Scheduled, public eps = 1e-8) {
    super();
    if (eps < 0) throw new MxError('Adagrad', 'eps', `must be non-negative, got ${eps}`);
    this.maybeSchedule('learning_rate', learningRate);
  }
  initSingle(parameter: MxArray, state: ParamState): void {
    state.v = zerosLike(parameter);
  }
  applySingle(gradient: MxArray, parameter: MxArray, state: ParamState): MxArray {
    const v = state.v.add(gradient.square());
    state.v = v;
    return parameter.subtract(this.lr(gradient.dtype).multiply(gradient).divide(v.sqrt().add(this.eps)));
  }
}
