// MultiOptimizer(optimizers, filters = []): each gradient goes to the first
// optimizer whose filter(path, gradient) accepts it, the last taking the rest.
import { MxArray } from '../core/array.js';
import { MxError } from '../core/errors.js';
import { treeFlatten, treeMerge, treeUnflatten, type Tree, type TreeDict } from '../utils/tree.js';
import { Optimizer, type ParamState } from './optimizer.js';

export type GradientFilter = (path: string, gradient: MxArray) => boolean;

export class MultiOptimizer extends Optimizer {
  #filters: GradientFilter[];
  constructor(public optimizers: Optimizer[], filters: GradientFilter[] = []) {
    super();
    if (filters.length !== optimizers.length - 1) throw new MxError('MultiOptimizer', 'filters', `given ${filters.length} filters but ${optimizers.length - 1} needed`);
    this.#filters = [...filters, () => true];
    this._state = {};
  }
  private split(gradients: Tree): Tree[] {
    if (this.optimizers.length === 1) return [gradients];
    const parts: Array<Array<[string, unknown]>> = this.optimizers.map(() => []);
    for (const [k, g] of treeFlatten(gradients)) parts[this.#filters.findIndex((f) => f(k, g as MxArray))].push([k, g]);
    return parts.map((p) => treeUnflatten(p));
  }
  init(parameters: Tree): void {
    this.split(parameters).forEach((p, i) => this.optimizers[i].init(p));
  }
  applyGradients(gradients: Tree, parameters: Tree): Tree {
    let tree: Tree = {};
    this.split(gradients).forEach((g, i) => (tree = treeMerge(tree, this.optimizers[i].applyGradients(g, parameters))));
    return tree;
  }
  initSingle(): void {
    throw new MxError('MultiOptimizer', 'initSingle', 'a MultiOptimizer initializes through the optimizers it holds');
  }
  applySingle(_g: MxArray, _p: MxArray, _s: ParamState): MxArray {
    throw new MxError('MultiOptimizer', 'applySingle', 'a MultiOptimizer steps through the optimizers it holds');
  }
  get state(): TreeDict {
    return { states: this.optimizers.map((o) => o.state) };
  }
  set state(state: TreeDict) {
    const states = state.states;
    if (!Array.isArray(states) || states.length !== this.optimizers.length) throw new MxError('MultiOptimizer', 'state', `expected {states: [...]} with ${this.optimizers.length} states`);
    states.forEach((s, i) => (this.optimizers[i].state = s as TreeDict));
  }
  get learningRate(): MxArray {
    return this.optimizers[0].learningRate;
  }
  set learningRate(lr: number | MxArray) {
    this.optimizers[0].learningRate = lr;
  }
}
