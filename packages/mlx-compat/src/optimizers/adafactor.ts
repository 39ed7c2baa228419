// Adafactor(learningRate?, eps = [1e-30, 1e-3], clipThreshold = 1,
// decayRate = -0.8, beta1?, weightDecay = 0, scaleParameter = true,
// relativeStep = true, warmupInit = false): second moments factored into row
// and column averages for parameters of two or more dimensions.
import { MxArray } from '../core/array.js';
import { zeros, zerosLike } from '../core/ops/creation.js';
import { binaryOps } from '../core/ops/elementwise.js';
import { matmul } from '../core/ops/linalg.js';
import { Optimizer, type ParamState, type Scheduled } from './optimizer.js';

const rms = (x: MxArray) => x.square().mean().sqrt();

export class Adafactor extends Optimizer {
  constructor(
    learningRate?: Scheduled,
    public eps: [number, number] = [1e-30, 1e-3],
    public clipThreshold = 1.0,
    public decayRate = -0.8,
    public beta1?: number,
    public weightDecay = 0.0,
    public scaleParameter = true,
    public relativeStep = true,
    public warmupInit = false,
  ) {
    super();
    if (learningRate !== undefined) this.maybeSchedule('learning_rate', learningRate);
  }
  initSingle(parameter: MxArray, state: ParamState): void {
    if (parameter.ndim >= 2) {
      const shape = parameter.shape;
      state.exp_avg_sq_row = zeros(shape.slice(0, -1), parameter.dtype);
      state.exp_avg_sq_col = zeros([...shape.slice(0, -2), shape[shape.length - 1]], parameter.dtype);
    } else state.exp_avg_sq = zerosLike(parameter);
    if (this.beta1 !== undefined) state.exp_avg = zerosLike(parameter);
  }
  private learningRateFor(step: MxArray, parameterRms: MxArray): MxArray {
    let size: MxArray;
    if (this.relativeStep) {
      const minStep = this.warmupInit ? step.multiply(1e-6) : 1e-2;
      size = binaryOps.minimum(minStep, step.rsqrt());
    } else size = this.learningRate;
    size = size.astype(parameterRms.dtype);
    return this.scaleParameter ? binaryOps.maximum(this.eps[1], parameterRms).multiply(size) : size;
  }
  applySingle(gradient: MxArray, parameter: MxArray, state: ParamState): MxArray {
    const step = this.step;
    const parameterRms = rms(parameter);
    const lr = this.learningRateFor(step, parameterRms);
    const beta2 = step.power(this.decayRate).astype(parameterRms.dtype).multiply(-1).add(1);
    const oneMinus = beta2.multiply(-1).add(1);
    let update = gradient.square().add(this.eps[0]);
    if (gradient.ndim >= 2) {
      const row = state.exp_avg_sq_row.multiply(beta2).add(update.mean(-1).multiply(oneMinus));
      const col = state.exp_avg_sq_col.multiply(beta2).add(update.mean(-2).multiply(oneMinus));
      state.exp_avg_sq_row = row;
      state.exp_avg_sq_col = col;
      const rFactor = row.divide(row.mean(-1, true)).rsqrt();
      const cFactor = col.rsqrt();
      update = matmul(rFactor.reshape(...rFactor.shape, 1), cFactor.reshape(...cFactor.shape.slice(0, -1), 1, cFactor.shape[cFactor.ndim - 1])).multiply(gradient);
    } else {
      const avg = state.exp_avg_sq.multiply(beta2).add(update.multiply(oneMinus));
      state.exp_avg_sq = avg;
      update = avg.rsqrt().multiply(gradient);
    }
    update = update.divide(binaryOps.maximum(1.0, rms(update).divide(this.clipThreshold)));
    update = lr.multiply(update);
    if (this.beta1 !== undefined) {
      const avg = state.exp_avg.multiply(this.beta1).add(update.multiply(1 - this.beta1));
      state.exp_avg = avg;
      update = avg;
    }
    let p = parameter;
    if (this.weightDecay !== 0) p = p.add(p.multiply(lr.multiply(-this.weightDecay)));
    return p.subtract(update);
  }
}
