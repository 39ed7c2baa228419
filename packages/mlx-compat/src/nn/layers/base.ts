// nn.Module, as in MLX: a module is a dict of its members (its own array
// properties, child modules, and JS arrays and plain objects holding them);
// parameters are the array members whose names do not start with "_".
import { MxArray } from '../../core/array.js';
import { type Dtype, issubdtype, floating } from '../../core/dtype.js';
import { MxError } from '../../core/errors.js';
import { astype } from '../../core/ops/elementwise.js';
import { load, savez, saveSafetensors } from '../../core/io/index.js';
import { isDict, TREE_DICT, treeFlatten, treeUnflatten, type Tree, type TreeDict } from '../../utils/tree.js';

/** A nested dict of parameters as MLX's Module.parameters() gives it. */
export type Params = TreeDict;
type Filter = (module: Module, key: string, value: unknown) => boolean;
type LeafFn = (module: Module, key: string, value: unknown) => boolean;

const isMember = (v: unknown) => v instanceof MxArray || v instanceof Module || Array.isArray(v) || isDict(v);

export abstract class Module {
  /** @internal */
  _training = true;
  /** @internal Names of this module's frozen members. */
  _noGrad = new Set<string>();

  /** The module's own computation; modules are called with forward(...), node-mlx's convention. */
  abstract forward(...args: never[]): unknown;

  /** @internal The tree view of a module: its members, in the order they were set. */
  [TREE_DICT](): Array<[string, Tree]> {
    return Object.entries(this).filter(([, v]) => isMember(v));
  }

  get training(): boolean {
    return this._training;
  }

  /** The module itself, as a tree of everything it holds (MLX's Module.state). */
  get state(): TreeDict {
    return this as unknown as TreeDict;
  }

  /** Whether the module has a member of this name (Python's `key in module`). */
  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this, key) && isMember((this as unknown as TreeDict)[key]);
  }

  static isModule(value: unknown): value is Module {
    return value instanceof Module;
  }

  static validChildFilter: Filter = (_m, _k, v) => v instanceof Module || Array.isArray(v) || isDict(v);
  static validParameterFilter: Filter = (_m, k, v) => (v instanceof MxArray || Array.isArray(v) || isDict(v)) && !k.startsWith('_');
  static trainableParameterFilter: Filter = (m, k, v) => Module.validParameterFilter(m, k, v) && !m._noGrad.has(k);

  /** A tree of the members filterFn keeps, leaves mapped by mapFn (isLeafFn says where to stop). */
  filterAndMap(filterFn: Filter, mapFn: (x: never) => unknown = (x) => x, isLeafFn?: LeafFn): Params {
    const leaf: LeafFn = isLeafFn ?? ((_m, _k, v) => !(v instanceof Module || Array.isArray(v) || isDict(v)));
    const map = mapFn as (x: unknown) => unknown;
    const unwrap = (model: Module, key: string, value: unknown): Tree => {
      if (leaf(model, key, value)) return map(value);
      if (value instanceof Module) return value.filterAndMap(filterFn, mapFn, isLeafFn);
      if (Array.isArray(value)) return value.map((v, i) => (filterFn(model, `${key}.${i}`, v) ? unwrap(model, `${key}.${i}`, v) : {}));
      if (isDict(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, filterFn(model, `${key}.${k}`, v) ? unwrap(model, `${key}.${k}`, v) : {}]));
      throw new MxError('Module', key, 'unexpected leaf while walking the module');
    };
    return Object.fromEntries(this[TREE_DICT]().filter(([k, v]) => filterFn(this, k, v)).map(([k, v]) => [k, unwrap(this, k, v)]));
  }

  /** Every array member, recursively, as a nested dict. */
  parameters(): Params {
    return this.filterAndMap(Module.validParameterFilter);
  }

  /** The parameters that are not frozen. */
  trainableParameters(): Params {
    return this.filterAndMap(Module.trainableParameterFilter);
  }

  /** The direct child modules (also inside lists and dicts). */
  children(): Params {
    return this.filterAndMap(Module.validChildFilter, (x) => x, (_m, _k, v) => v instanceof Module);
  }

  /** The submodules that have no child modules. */
  leafModules(): Params {
    const isLeafModule: LeafFn = (_m, _k, v) => v instanceof Module && treeFlatten(v.children()).length === 0;
    return this.filterAndMap(Module.validChildFilter, (x) => x, isLeafModule);
  }

  /** Update parameters from a nested dict; strict: every key must name a member, arrays replace arrays. */
  update(parameters: Params, strict = true): this {
    const apply = (dst: unknown, params: unknown, at: string) => {
      if (isDict(params)) {
        const target = dst as TreeDict;
        for (const [k, v] of Object.entries(params)) {
          const path = at ? `${at}.${k}` : k;
          const here = dst instanceof Module ? dst.has(k) : isDict(dst) && k in target;
          if (!here) {
            if (strict) throw new MxError('Module.update', path, 'the module has no parameter of this name');
            continue;
          }
          if (target[k] instanceof MxArray) {
            if (strict && !(v instanceof MxArray)) throw new MxError('Module.update', path, `expected an array, got ${typeName(v)}`);
            target[k] = v;
          } else apply(target[k], v, path);
        }
      } else if (Array.isArray(params) && (Array.isArray(dst) || !params.length)) {
        const list = dst as unknown[];
        params.forEach((v, i) => {
          const path = at ? `${at}.${i}` : String(i);
          if (list[i] instanceof MxArray) {
            if (strict && !(v instanceof MxArray)) throw new MxError('Module.update', path, `expected an array, got ${typeName(v)}`);
            list[i] = v;
          } else apply(list[i], v, path);
        });
      } else if (strict) throw new MxError('Module.update', at || 'parameters', `got ${typeName(params)} where the module holds ${typeName(dst)}`);
    };
    apply(this, parameters, '');
    return this;
  }

  /** Replace child modules from a nested dict of modules (strict: every key must name a module member). */
  updateModules(modules: Params, strict = true): this {
    // a module replaces a module; a dict or list descends into a module, dict or list; {} leaves anything as it is
    const place = (dst: TreeDict, k: string | number, v: unknown, path: string) => {
      const current = dst[k];
      if (current instanceof Module && v instanceof Module) dst[k] = v;
      else if (current instanceof Module || Array.isArray(current) || isDict(current)) apply(current, v, path);
      else if (strict && !(isDict(v) && !Object.keys(v).length)) throw new MxError('Module.updateModules', path, `expected a module, got ${typeName(v)}`);
    };
    const apply = (dst: unknown, mods: unknown, at: string) => {
      if (isDict(mods)) {
        const target = dst as TreeDict;
        for (const [k, v] of Object.entries(mods)) {
          const path = at ? `${at}.${k}` : k;
          const here = dst instanceof Module ? dst.has(k) : isDict(dst) && k in target;
          if (!here) {
            if (strict) throw new MxError('Module.updateModules', path, 'the module has no member of this name');
            continue;
          }
          place(target, k, v, path);
        }
      } else if (Array.isArray(mods) && (Array.isArray(dst) || !mods.length)) {
        const list = dst as unknown[];
        mods.forEach((v, i) => {
          const path = at ? `${at}.${i}` : String(i);
          place(list as unknown as TreeDict, i, v, path);
        });
      } else if (strict) throw new MxError('Module.updateModules', at || 'modules', `got ${typeName(mods)} where the module holds ${typeName(dst)}`);
    };
    apply(this, modules, '');
    return this;
  }

  /** Map every parameter (or those filterFn keeps) through mapFn, in place. */
  apply(mapFn: (x: MxArray) => MxArray, filterFn: Filter = Module.validParameterFilter): this {
    return this.update(this.filterAndMap(filterFn, mapFn as (x: never) => unknown), false);
  }

  /** applyFn(path, module) for this module and every submodule, depth first (this one first). */
  applyToModules(applyFn: (path: string, module: Module) => void): this {
    const stack: Array<[string, Module]> = [['', this]];
    while (stack.length) {
      const [prefix, mod] = stack.pop()!;
      applyFn(prefix, mod);
      stack.push(...(treeFlatten(mod.children(), prefix ? `.${prefix}` : '', Module.isModule) as Array<[string, Module]>));
    }
    return this;
  }

  /** [path, module] for this module and every submodule. */
  namedModules(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    this.applyToModules((k, m) => out.push([k, m]));
    return out;
  }

  /** This module and every submodule. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  private validateKeys(keys: string[], op: string): void {
    const missing = keys.filter((k) => !this.has(k));
    if (missing.length) throw new MxError(op, 'keys', `${this.constructor.name} has no member ${missing.map((k) => `"${k}"`).join(', ')}`);
  }

  private ownParameterKeys(): string[] {
    return treeFlatten(this.filterAndMap((m, k, v) => !(v instanceof Module) && Module.validParameterFilter(m, k, v))).map(([k]) => k);
  }

  /** Freeze parameters (all, or those named by keys) so that trainableParameters() leaves them out. */
  freeze(recurse = true, keys?: string | string[], strict = false): this {
    const freezeOne = (_: string, m: Module) => {
      const local = keys === undefined ? m.ownParameterKeys() : typeof keys === 'string' ? [keys] : keys;
      if (strict) m.validateKeys(local, 'Module.freeze');
      local.forEach((k) => m._noGrad.add(k));
    };
    if (recurse) this.applyToModules(freezeOne);
    else freezeOne('', this);
    return this;
  }

  /** Unfreeze parameters (all, or those named by keys). */
  unfreeze(recurse = true, keys?: string | string[], strict = false): this {
    const unfreezeOne = (_: string, m: Module) => {
      if (keys === undefined) return m._noGrad.clear();
      const local = typeof keys === 'string' ? [keys] : keys;
      if (strict) m.validateKeys(local, 'Module.unfreeze');
      local.forEach((k) => m._noGrad.delete(k));
    };
    if (recurse) this.applyToModules(unfreezeOne);
    else unfreezeOne('', this);
    return this;
  }

  /** Training mode for this module and every submodule (dropout and batch norm read it). */
  train(mode = true): this {
    return this.applyToModules((_, m) => {
      m._training = mode;
    });
  }

  eval(): this {
    return this.train(false);
  }

  /** Cast the parameters predicate accepts (floating ones by default) to dtype. */
  setDtype(dtype: Dtype, predicate: (d: Dtype) => boolean = (d) => issubdtype(d, floating)): void {
    this.apply((x) => (predicate(x.dtype) ? astype(x, dtype) : x));
  }

  /**
   * Load weights from [path, array] pairs or a file (.safetensors, .npz, read
   * with mx.load). strict: missing, unexpected and mis-shaped names are all
   * listed in one error and the model is left as it was.
   */
  loadWeights(fileOrWeights: string | Array<[string, MxArray]>, strict = true): this {
    const weights = typeof fileOrWeights === 'string' ? fromFile(fileOrWeights) : fileOrWeights;
    if (strict) {
      const given = new Map<string, unknown>(weights);
      const current = new Map(treeFlatten(this.parameters()) as Array<[string, MxArray]>);
      const problems: string[] = [];
      const extra = [...given.keys()].filter((k) => !current.has(k));
      const missing = [...current.keys()].filter((k) => !given.has(k));
      if (extra.length) problems.push(`parameters not in the model: ${extra.join(', ')}`);
      if (missing.length) problems.push(`missing parameters: ${missing.join(', ')}`);
      for (const [k, v] of current) {
        const w = given.get(k);
        if (w === undefined) continue;
        if (!(w instanceof MxArray)) problems.push(`${k}: expected an array, got ${typeName(w)}`);
        else if (w.shape.join() !== v.shape.join()) problems.push(`${k}: expected shape (${v.shape}), got (${w.shape})`);
      }
      if (problems.length) throw new MxError('Module.loadWeights', 'weights', problems.join('; '));
    }
    if (weights.length) this.update(treeUnflatten(weights) as Params, false);
    return this;
  }

  /** Save the parameters, under MLX's dotted names, to a .safetensors or .npz file. */
  saveWeights(file: string): void {
    const params = treeFlatten(this.parameters(), '', undefined, {}) as { [name: string]: MxArray };
    if (file.endsWith('.npz')) savez(file, params);
    else if (file.endsWith('.safetensors')) saveSafetensors(file, params);
    else throw new MxError('Module.saveWeights', 'file', `unsupported extension in "${file}": use .npz or .safetensors`);
  }

  /** The layer's settings in its printed form. */
  protected extraRepr(): string {
    return '';
  }

  toString(): string {
    const children = treeFlatten(this.children(), '', Module.isModule) as Array<[string, Module]>;
    let s = `${this.constructor.name}(${this.extraRepr()}`;
    for (const [k, v] of children) s += `\n${`(${k}): ${v.toString()}`.replace(/^/gm, '  ')}`;
    if (children.length) s += '\n';
    return s + ')';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function fromFile(file: string): Array<[string, MxArray]> {
  const loaded = load(file);
  if (loaded instanceof MxArray) throw new MxError('Module.loadWeights', 'file', `"${file}" holds one array, not named weights`);
  return Object.entries(loaded);
}

function typeName(v: unknown): string {
  if (v instanceof MxArray) return 'an array';
  if (v instanceof Module) return `a ${v.constructor.name}`;
  if (Array.isArray(v)) return 'a list';
  if (v === null || v === undefined) return String(v);
  return typeof v === 'object' ? 'a dict' : `a ${typeof v}`;
}
