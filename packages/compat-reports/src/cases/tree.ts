// mlx.utils: tree functions through mlx-compat and real MLX (node-mlx 0.0.7)
// on a tree of lists, dicts and arrays: paths, leaves and rebuilt trees.
import { type Lib, type ParityCase, oursLib, realLib } from '../case.js';

const up = (name: string) => `test_tree.py::${name}`;

const tree = (lib: Lib) => ({ w: lib.core.array([1, 2]), layers: [{ a: lib.core.array(3) }, [lib.core.array([4, 5]), lib.core.array(6)]], z: lib.core.array([[7]]) });

// A signature of paths (compared for equality) and the leaves in order.
function pathsAndLeaves(lib: Lib, pairs: Array<[string, unknown]>): [string, unknown[]] {
  return [pairs.map(([k]) => k).join(' '), pairs.map(([, v]) => v)];
}

function same(id: string, symbol: string, test: string, call: (lib: Lib) => [string, unknown[]]): ParityCase {
  return {
    id: `tree.${id}`, family: 'tree', upstream: [up(test)], symbols: [`mlx.utils.${symbol}`], oracle: 'mlx-0.13',
    run: () => {
      const [op, ol] = call(oursLib), [rp, rl] = call(realLib);
      return [[Number(op === rp), ...ol], [1, ...rl]];
    },
  };
}

export function cases(): ParityCase[] {
  return [
    same('flatten', 'tree_flatten', 'test_tree_flatten', (lib) => pathsAndLeaves(lib, lib.utils.treeFlatten(tree(lib)))),
    same('unflatten', 'tree_unflatten', 'test_tree_flatten', (lib) => pathsAndLeaves(lib, lib.utils.treeFlatten(lib.utils.treeUnflatten(lib.utils.treeFlatten(tree(lib)))))),
    same('map', 'tree_map', 'test_tree_map', (lib) =>
      pathsAndLeaves(lib, lib.utils.treeFlatten(lib.utils.treeMap((x: unknown, y: unknown) => lib.core.add(lib.core.multiply(x, 2), y), tree(lib), [tree(lib)])))),
    same('map_with_path', 'tree_map_with_path', 'test_tree_map', (lib) => {
      const paths: string[] = [];
      const mapped = lib.utils.treeMapWithPath((p: string, x: unknown) => {
        paths.push(p);
        return lib.core.add(x, paths.length);
      }, tree(lib));
      return [paths.join(' '), lib.utils.treeFlatten(mapped).map(([, v]: [string, unknown]) => v)];
    }),
    same('reduce', 'tree_reduce', 'test_supported_trees', (lib) => ['', [lib.utils.treeReduce((acc: unknown, x: unknown) => lib.core.add(acc, lib.core.sum(x)), tree(lib), lib.core.array(0))]]),
  ];
}
