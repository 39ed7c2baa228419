// Trees of arrays as mlx.utils sees them: nested JS arrays for Python lists,
// plain objects and modules for dicts, anything else a leaf; paths are MLX's
// dotted ones ("layers.0.weight").
import { MxArray } from '../core/array.js';
import { MxError } from '../core/errors.js';

/** A tree: an array leaf (or any other leaf value), a list of trees, or a dict of trees. */
export type Tree = MxArray | Tree[] | TreeDict | unknown;
export interface TreeDict {
  [key: string]: Tree;
}
export type IsLeaf = (node: unknown) => boolean;

// A module is a dict of its members (mlx.nn.Module subclasses dict in MLX);
// modules mark themselves so that utils needs no import of nn.
export const TREE_DICT = Symbol.for('mlx-compat.treeDict');

/** Whether a value is a dict node of a tree: a plain object or a module. */
export function isDict(x: unknown): x is TreeDict {
  if (!x || typeof x !== 'object' || Array.isArray(x) || x instanceof MxArray) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null || TREE_DICT in (x as object);
}

/** The entries of a dict node: a module lists its members only. */
export function dictEntries(x: TreeDict): Array<[string, Tree]> {
  const own = (x as { [TREE_DICT]?: () => Array<[string, Tree]> })[TREE_DICT];
  return own ? own.call(x) : Object.entries(x);
}

/**
 * treeFlatten(tree, prefix = '', isLeaf?, destination?): [path, leaf] pairs,
 * paths joined with dots (list items by index); into `destination` (an
 * object or a list) when given.
 */
export function treeFlatten(tree: Tree, prefix?: string, isLeaf?: IsLeaf): Array<[string, unknown]>;
export function treeFlatten(tree: Tree, prefix: string, isLeaf: IsLeaf | undefined, destination: { [path: string]: unknown }): { [path: string]: unknown };
export function treeFlatten(tree: Tree, prefix = '', isLeaf?: IsLeaf, destination?: { [path: string]: unknown } | Array<[string, unknown]>): unknown {
  const out: Array<[string, unknown]> = [];
  const walk = (t: Tree, path: string) => {
    if (!isLeaf?.(t)) {
      if (Array.isArray(t)) return t.forEach((c, i) => walk(c, `${path}.${i}`));
      if (isDict(t)) return dictEntries(t).forEach(([k, c]) => walk(c, `${path}.${k}`));
    }
    out.push([path.slice(1), t]);
  };
  walk(tree, prefix);
  if (Array.isArray(destination)) {
    destination.push(...out);
    return destination;
  }
  if (destination) {
    for (const [k, v] of out) destination[k] = v;
    return destination;
  }
  return out;
}

/** treeUnflatten(pairs or {path: leaf}): the nested tree; a level whose keys are integers is a list. */
export function treeUnflatten(tree: Array<[string, unknown]> | { [path: string]: unknown }): Tree {
  const pairs = Array.isArray(tree) ? tree : Object.entries(tree);
  pairs.forEach((p, i) => {
    if (!Array.isArray(p) || typeof p[0] !== 'string') throw new MxError('treeUnflatten', `tree[${i}]`, 'expected a [path, value] pair with a string path');
  });
  return unflatten(pairs);
}

function unflatten(pairs: Array<[string, unknown]>): Tree {
  if (pairs.length === 1 && pairs[0][0] === '') return pairs[0][1];
  const children = new Map<string, Array<[string, unknown]>>();
  for (const [key, value] of pairs) {
    const dot = key.indexOf('.');
    const head = dot < 0 ? key : key.slice(0, dot), rest = dot < 0 ? '' : key.slice(dot + 1);
    if (!children.has(head)) children.set(head, []);
    children.get(head)!.push([rest, value]);
  }
  const isList = pairs.length > 0 && /^-?\d+$/.test(pairs[0][0].split('.')[0]);
  if (!isList) return Object.fromEntries([...children].map(([k, v]) => [k, unflatten(v)]));
  const list: Tree[] = [];
  for (const [i, k] of [...children.keys()].map((k) => [Number(k), k] as const).sort((a, b) => a[0] - b[0])) {
    while (list.length < i) list.push({});
    list.push(unflatten(children.get(k)!));
  }
  return list;
}

/** treeMap(fn, tree, rest = [], isLeaf?): fn applied to the leaves of tree and the matching nodes of each tree in rest. */
export function treeMap(fn: (...leaves: never[]) => unknown, tree: Tree, rest: Tree[] = [], isLeaf?: IsLeaf): Tree {
  const call = fn as (...leaves: unknown[]) => unknown;
  const walk = (t: Tree, others: Tree[]): Tree => {
    if (!isLeaf?.(t)) {
      if (Array.isArray(t)) return t.map((c, i) => walk(c, others.map((r) => (r as Tree[])[i])));
      if (isDict(t)) return Object.fromEntries(dictEntries(t).map(([k, c]) => [k, walk(c, others.map((r) => (r as TreeDict)[k]))]));
    }
    return call(t, ...others);
  };
  return walk(tree, rest);
}

/** treeMapWithPath(fn, tree, rest = [], isLeaf?, path?): as treeMap, fn(path, ...leaves) with each leaf's dotted path. */
export function treeMapWithPath(fn: (path: string | undefined, ...leaves: never[]) => unknown, tree: Tree, rest: Tree[] = [], isLeaf?: IsLeaf, path?: string): Tree {
  const call = fn as (path: string | undefined, ...leaves: unknown[]) => unknown;
  const join = (p: string | undefined, k: string | number) => (p ? `${p}.${k}` : String(k));
  const walk = (t: Tree, others: Tree[], p: string | undefined): Tree => {
    if (!isLeaf?.(t)) {
      if (Array.isArray(t)) return t.map((c, i) => walk(c, others.map((r) => (r as Tree[])[i]), join(p, i)));
      if (isDict(t)) return Object.fromEntries(dictEntries(t).map(([k, c]) => [k, walk(c, others.map((r) => (r as TreeDict)[k]), join(p, k))]));
    }
    return call(p, t, ...others);
  };
  return walk(tree, rest, path);
}

/** treeReduce(fn, tree, initializer?, isLeaf?): fn(accumulator, leaf) over the leaves in order (the first leaf starts it without an initializer). */
export function treeReduce<A>(fn: (acc: A, leaf: never) => A, tree: Tree, initializer?: A, isLeaf?: IsLeaf): A | undefined {
  const call = fn as (acc: A | undefined, leaf: unknown) => A;
  let acc = initializer, started = initializer !== undefined;
  const walk = (t: Tree) => {
    if (!isLeaf?.(t)) {
      if (Array.isArray(t)) return t.forEach(walk);
      if (isDict(t)) return dictEntries(t).forEach(([, c]) => walk(c));
    }
    if (started) acc = call(acc, t);
    else {
      acc = t as A;
      started = true;
    }
  };
  walk(tree);
  return acc;
}

/** treeMerge(a, b, mergeFn?): the union of two trees; where both have a leaf, mergeFn decides (an error without one). */
export function treeMerge(a: Tree, b: Tree, mergeFn?: (a: unknown, b: unknown) => unknown): Tree {
  const empty = (t: Tree) => t === undefined || t === null || (Array.isArray(t) && !t.length) || (isDict(t) && !dictEntries(t).length);
  if (empty(a)) return empty(b) ? a : b;
  if (empty(b)) return a;
  if (Array.isArray(a) && Array.isArray(b)) return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => treeMerge(a[i], b[i], mergeFn));
  if (isDict(a) && isDict(b)) {
    const keys = new Set([...dictEntries(a).map(([k]) => k), ...dictEntries(b).map(([k]) => k)]);
    return Object.fromEntries([...keys].map((k) => [k, treeMerge(a[k], b[k], mergeFn)]));
  }
  if (!mergeFn) throw new MxError('treeMerge', 'trees', 'both trees have a leaf at the same place and no mergeFn says which to keep');
  return mergeFn(a, b);
}
