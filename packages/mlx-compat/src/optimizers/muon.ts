// Muon(learningRate, momentum = 0.95, weightDecay = 0.01, nesterov = true,
// nsSteps = 5): momentum whose updates of matrices are orthogonalized by
// Newton-Schulz iterations in bfloat16 (other parameters step as SGD).
import { MxArray } from '../core/array.js';
import { bfloat16 } from '../core/dtype.js';
import { zerosLike } from '../core/ops/creation.js';
import { addmm, matmul } from '../core/ops/linalg.js';
import { Optimizer, type ParamState, type Scheduled } from './optimizer.js';

function newtonSchulz(g: MxArray, steps: number): MxArray {
  const [a, b, c] = [3.4445, -4.775, 2.0315];
  let x = g.astype(bfloat16);
  const transpose = x.shape[0] > x.shape[1];
  if (transpose) x = x.T;
  x = x.divide(x.square().sum(null, true).sqrt().add(1e-7));
  for (let i = 0; i < steps; i++) {
    const A = matmul(x, x.T);
    const B = addmm(A.multiply(b), A, A, c, 1.0);
    x = addmm(x.multiply(a), B, x, 1.0, 1.0);
  }
  return transpose ? x.T : x;
}

export class Muon extends Optimizer {
  constructor(learningRate: Scheduled, public momentum = 0.95, public weightDecay = 0.01, public nesterov = true, public nsSteps = 5) {
    super();
    this.maybeSchedule('learning_rate', learningRate);
  }
  initSingle(parameter: MxArray, state: ParamState): void {
    state.v = zerosLike(parameter);
  }
  applySingle(gradient: MxArray, parameter: MxArray, state: ParamState): MxArray {
    let g = gradient;
    if (this.weightDecay !== 0) g = g.add(parameter.multiply(this.weightDecay));
    const v = state.v.multiply(this.momentum).add(g.multiply(1 - this.momentum));
    state.v = v;
    let update = this.nesterov ? g.multiply(1 - this.momentum).add(v.multiply(this.momentum)) : v;
    let lr = this.lr(gradient.dtype);
    if (update.ndim >= 2) {
      const shape = update.shape;
      const flat = update.ndim > 2 ? update.reshape(shape[0], -1) : update;
      const ortho = newtonSchulz(flat, this.nsSteps);
      lr = lr.multiply(Math.sqrt(Math.max(1, ortho.shape[0] / ortho.shape[1])));
      update = update.ndim > 2 ? ortho.reshape(...shape) : ortho;
    }
    return parameter.subtract(lr.multiply(update.astype(gradient.dtype)));
  }
}
