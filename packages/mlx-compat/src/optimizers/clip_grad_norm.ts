// clipGradNorm(grads, maxNorm): the gradients scaled so that their global L2
// norm is at most maxNorm, and that norm before clipping.
import { MxArray } from '../core/array.js';
import { binaryOps } from '../core/ops/elementwise.js';
import { array } from '../core/ops/creation.js';
import { treeMap, treeReduce, type Tree } from '../utils/tree.js';

export function clipGradNorm<T extends Tree>(grads: T, maxNorm: number): [T, MxArray] {
  const squared = treeReduce((acc: MxArray, g: MxArray) => acc.add(g.square().sum()), grads, array(0.0)) as MxArray;
  const total = squared.sqrt();
  const normalizer = binaryOps.minimum(array(maxNorm).divide(total.add(1e-6)), 1.0);
  return [treeMap((g: MxArray) => g.multiply(normalizer), grads) as T, total];
}
