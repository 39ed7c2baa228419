// Learning-rate schedules: functions of the step (a uint64 scalar array).
import { MxArray } from '../core/array.js';
import { MxError } from '../core/errors.js';
import { binaryOps, unaryOps, where } from '../core/ops/elementwise.js';
import type { Schedule } from './optimizer.js';

/** exponentialDecay(init, decayRate): init * decayRate^step. */
export const exponentialDecay = (init: number, decayRate: number): Schedule => (step) => binaryOps.power(decayRate, step).multiply(init);

/** stepDecay(init, decayRate, stepSize): init * decayRate^(floor(step / stepSize)). */
export const stepDecay = (init: number, decayRate: number, stepSize: number): Schedule => (step) =>
  binaryOps.power(decayRate, binaryOps.floorDivide(step, stepSize)).multiply(init);

/** cosineDecay(init, decaySteps, end = 0): from init to end over decaySteps along a half cosine, then end. */
export const cosineDecay = (init: number, decaySteps: number, end = 0.0): Schedule => (step) => {
  const s = binaryOps.minimum(step, decaySteps);
  const decay = unaryOps.cos(s.multiply(Math.PI / decaySteps)).add(1).multiply(0.5);
  return decay.multiply(init - end).add(end);
};

/** linearSchedule(init, end, steps): from init to end in `steps` steps, then end. */
export function linearSchedule(init: number, end: number, steps: number): Schedule {
  if (steps < 1) throw new MxError('linearSchedule', 'steps', `must be greater than 0, got ${steps}`);
  return (step) => binaryOps.minimum(step, steps).multiply((end - init) / steps).add(init);
}

/** joinSchedules(schedules, boundaries): schedule i+1 from boundary i on, given the steps since that boundary. */
export function joinSchedules(schedules: Schedule[], boundaries: number[]): Schedule {
  if (schedules.length === 0) throw new MxError('joinSchedules', 'schedules', 'at least one schedule is needed');
  if (schedules.length !== boundaries.length + 1)
    throw new MxError('joinSchedules', 'boundaries', `received ${boundaries.length} boundaries for ${schedules.length} schedules; expected ${schedules.length - 1}`);
  return (step: MxArray) => {
    let out = schedules[0](step);
    boundaries.forEach((b, i) => (out = where(binaryOps.less(step, b), out, schedules[i + 1](step.subtract(b)))));
    return out;
  };
}
