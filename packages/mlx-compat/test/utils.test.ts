// mlx.utils against real MLX's (node-mlx's utils, MLX 0.13 semantics):
// flattening to dotted paths, rebuilding, mapping and reducing trees.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import mlx, { type MxArray } from '../src/index.js';

const require = createRequire(import.meta.url);
const R = require('@frost-beta/mlx');
const mx = mlx.core, { utils } = mlx;

// the same tree built in either library
const tree = (lib: typeof mx) => ({ a: lib.array([1, 2]), b: [lib.array(3), { c: lib.array([[4]]), d: [lib.array(5), lib.array(6)] }], e: {} });
const plain = (pairs: Array<[string, unknown]>) => pairs.map(([k, v]) => [k, (v as MxArray).tolist()]);

describe('mlx.utils', () => {
  it('treeFlatten gives MLX dotted paths in order', () => {
    const ours = utils.treeFlatten(tree(mx)), theirs = R.utils.treeFlatten(tree(R.core));
    expect(plain(ours)).toEqual(plain(theirs));
    expect(ours.map(([k]) => k)).toEqual(['a', 'b.0', 'b.1.c', 'b.1.d.0', 'b.1.d.1']);
    // MLX drops the prefix's first character (its leading dot)
    expect(utils.treeFlatten(tree(mx), '.model').map(([k]) => k)[0]).toBe('model.a');
    const dict = utils.treeFlatten(tree(mx), '', undefined, {});
    expect(Object.keys(dict)).toEqual(['a', 'b.0', 'b.1.c', 'b.1.d.0', 'b.1.d.1']);
    expect(utils.treeFlatten(mx.array(1))).toEqual([['', expect.anything()]]);
  });

  it('treeUnflatten inverts treeFlatten, integer keys making lists', () => {
    const flat = utils.treeFlatten(tree(mx));
    const back = utils.treeUnflatten(flat) as { a: MxArray; b: [MxArray, { c: MxArray; d: MxArray[] }] };
    const theirs = R.utils.treeUnflatten(R.utils.treeFlatten(tree(R.core)));
    expect(back.b[1].d[1].tolist()).toEqual(theirs.b[1].d[1].tolist());
    expect(Array.isArray(back.b) && Array.isArray(back.b[1].d)).toBe(true);
    expect(Object.keys(back)).toEqual(Object.keys(theirs));
    // a gap in the indices is filled with empty dicts, as MLX
    expect(utils.treeUnflatten([['0', 1], ['2', 3]])).toEqual([1, {}, 3]);
    expect(utils.treeUnflatten({ 'x.y': 1, 'x.z': 2 })).toEqual({ x: { y: 1, z: 2 } });
  });

  it('treeMap, treeMapWithPath and treeReduce match MLX', () => {
    const double = utils.treeMap((x: MxArray) => x.multiply(2), tree(mx));
    const rdouble = R.utils.treeMap((x: { multiply(n: number): unknown }) => R.core.multiply(x, 2), tree(R.core));
    expect(plain(utils.treeFlatten(double))).toEqual(plain(R.utils.treeFlatten(rdouble)));
    const summed = utils.treeMap((x: MxArray, y: MxArray) => x.add(y), tree(mx), [double]);
    expect((utils.treeFlatten(summed)[2][1] as MxArray).tolist()).toEqual([[12]]);
    const paths: string[] = [];
    utils.treeMapWithPath((p: string | undefined) => paths.push(p!), tree(mx));
    const rpaths: string[] = [];
    R.utils.treeMapWithPath((p: string) => rpaths.push(p), tree(R.core));
    expect(paths).toEqual(rpaths);
    const total = utils.treeReduce((acc: number, x: MxArray) => acc + (x.sum().item() as number), tree(mx), 0);
    expect(total).toBe(R.utils.treeReduce((acc: number, x: { tolist(): unknown }) => acc + R.core.sum(x).item(), tree(R.core), 0));
    expect(utils.treeReduce((acc: number, x: number) => acc * x, [2, [3, 4]])).toBe(24);
  });

  it('treeMerge joins disjoint trees and refuses clashing leaves without mergeFn', () => {
    expect(utils.treeMerge({ a: 1, b: [{}, 2] }, { b: [3], c: 4 })).toEqual({ a: 1, b: [3, 2], c: 4 });
    expect(() => utils.treeMerge({ a: 1 }, { a: 2 })).toThrow(/mergeFn/);
    expect(utils.treeMerge({ a: 1 }, { a: 2 }, (x, y) => (x as number) + (y as number))).toEqual({ a: 3 });
  });
});
