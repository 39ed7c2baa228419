// checkpoint(module, fn): fn (the module's forward by default) whose
// intermediates the backward pass recomputes instead of keeping, as MLX's
// nn.utils.checkpoint: the module's trainable parameters are passed to
// mx.checkpoint as arguments, so their gradients flow through it too.
import { Module, type Params } from './layers/base.js';
import { MxArray } from '../core/array.js';
import { checkpoint as mxCheckpoint } from '../core/transforms/custom.js';
import { treeFlatten, treeUnflatten } from '../utils/tree.js';

export function checkpoint<A extends unknown[]>(module: Module, fn?: (...args: A) => MxArray): (...args: A) => MxArray {
  const body = fn ?? ((...args: A) => (module.forward as (...a: A) => MxArray)(...args));
  return (...args: A) => {
    const params = treeFlatten(module.trainableParameters()) as Array<[string, MxArray]>;
    // array arguments are inputs of the checkpoint; anything else (an absent mask) is a constant of it
    const arrayAt = args.flatMap((a, i) => (a instanceof MxArray ? [i] : []));
    const inner = (...flat: MxArray[]): MxArray => {
      const held = module.trainableParameters();
      module.update(treeUnflatten(params.map(([k], i): [string, MxArray] => [k, flat[i]])) as Params);
      try {
        const call = [...args] as A;
        arrayAt.forEach((at, j) => (call[at] = flat[params.length + j]));
        return body(...call);
      } finally {
        // the recomputation in the backward pass must not leave its arrays in the module
        module.update(held);
      }
    };
    return mxCheckpoint(inner)(...params.map(([, p]) => p), ...arrayAt.map((at) => args[at] as MxArray));
  };
}
