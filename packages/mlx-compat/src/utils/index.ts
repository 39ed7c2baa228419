// mlx.utils: tree_flatten, tree_unflatten, tree_map, tree_map_with_path,
// tree_reduce (and tree_merge) in camelCase.
export { treeFlatten, treeUnflatten, treeMap, treeMapWithPath, treeReduce, treeMerge } from './tree.js';
export type { Tree, TreeDict, IsLeaf } from './tree.js';
