// nn.valueAndGrad(model, fn): fn's value and its gradient with respect to the
// model's trainable parameters (a tree shaped like trainableParameters()).
import { Module, type Params } from './layers/base.js';
import { valueAndGrad as mxValueAndGrad } from '../core/transforms/index.js';

export function valueAndGrad<A extends unknown[], R>(model: Module, fn: (...args: A) => R): (...args: A) => [R, Params] {
  const inner = (params: Params, ...args: A) => {
    model.update(params);
    return fn(...args);
  };
  const vg = mxValueAndGrad(inner as (...a: never[]) => unknown);
  return (...args: A) => vg(...([model.trainableParameters(), ...args] as never[])) as [R, Params];
}
