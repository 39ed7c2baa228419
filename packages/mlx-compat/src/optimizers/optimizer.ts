// The Optimizer base, as MLX's: a state tree ({step, learning_rate, ...,
// and per parameter a dict of its own state}) built lazily from the first
// gradients, hyperparameters that are numbers or schedules of the step, and
// update(model, gradients) = model.update(applyGradients(gradients, model)).
import { MxArray } from '../core/array.js';
import { uint64, type Dtype } from '../core/dtype.js';
import { array } from '../core/ops/creation.js';
import type { Module, Params } from '../nn/layers/base.js';
import { dictEntries, isDict, treeMap, type Tree, type TreeDict } from '../utils/tree.js';

/** A schedule: the value of a hyperparameter at a step (a uint64 scalar). */
export type Schedule = (step: MxArray) => MxArray;
/** A learning rate (or another scheduled hyperparameter): a number or a schedule. */
export type Scheduled = number | MxArray | Schedule;
/** One parameter's state: its named arrays. */
export interface ParamState {
  [name: string]: MxArray;
}

const isEmptyDict = (s: unknown) => isDict(s) && dictEntries(s).length === 0;

export abstract class Optimizer {
  protected _state: TreeDict = { step: array(0, uint64) };
  protected _initialized = false;
  protected _schedulers = new Map<string, Schedule>();

  /** The state a parameter starts with, written into `state`. */
  abstract initSingle(parameter: MxArray, state: ParamState): void;
  /** The parameter after one step, updating `state` in place. */
  abstract applySingle(gradient: MxArray, parameter: MxArray, state: ParamState): MxArray;

  /** Apply gradients (a tree shaped like model.trainableParameters()) to the model. */
  update(model: Module, gradients: Params): void {
    model.update(this.applyGradients(gradients, model) as Params);
  }

  /** Build the state for parameters (a tree): what is there is kept, what is missing is initialized. */
  init(parameters: Tree): void {
    const skeleton = (t: Tree) => treeMap(() => ({}), t);
    const fill = (params: Tree, state: Tree): Tree => {
      if (Array.isArray(params)) {
        const s: Tree[] = Array.isArray(state) ? [...state] : [];
        for (let i = 0; i < s.length && i < params.length; i++) s[i] = fill(params[i], s[i]);
        for (let i = s.length; i < params.length; i++) s.push(skeleton(params[i]));
        return s;
      }
      if (isDict(params)) {
        const s = state as TreeDict;
        for (const [k, v] of dictEntries(params)) s[k] = k in s ? fill(v, s[k]) : skeleton(v);
        return s;
      }
      return state;
    };
    fill(parameters, this._state);
    treeMap(
      (p: MxArray, s: ParamState) => {
        if (p instanceof MxArray && isEmptyDict(s)) this.initSingle(p, s);
        return s;
      },
      parameters,
      [this._state],
    );
    this._initialized = true;
  }

  /** The parameters after one step: a tree shaped like gradients. */
  applyGradients(gradients: Tree, parameters: Tree): Tree {
    if (!this._initialized) this.init(gradients);
    for (const [name, schedule] of this._schedulers) this._state[name] = schedule(this.step);
    this._state.step = this.step.add(array(1, uint64));
    return treeMap((g: MxArray, p: MxArray, s: ParamState) => this.applySingle(g, p, s), gradients, [parameters, this._state]);
  }

  /** The whole state: a tree that saves and loads (setting it re-initializes what is missing on the next step). */
  get state(): TreeDict {
    return this._state;
  }
  set state(state: TreeDict) {
    this._initialized = false;
    this._state = state;
  }

  get step(): MxArray {
    return this._state.step as MxArray;
  }

  get learningRate(): MxArray {
    return this._state.learning_rate as MxArray;
  }
  set learningRate(lr: number | MxArray) {
    this._state.learning_rate = lr instanceof MxArray ? lr : array(lr);
  }

  /** A hyperparameter kept in the state: a schedule is evaluated at every step. */
  protected maybeSchedule(name: string, value: Scheduled): void {
    if (typeof value === 'function') {
      this._schedulers.set(name, value);
      this._state[name] = value(this.step);
    } else this._state[name] = value instanceof MxArray ? value : array(value);
  }

  /** The learning rate in a gradient's dtype. */
  protected lr(dtype: Dtype): MxArray {
    return this.learningRate.astype(dtype);
  }
}
