// vmap: mapped functions through mlx-compat and real MLX (every argument mapped:
// @frost-beta/mlx 0.0.7 does not take null in_axes).
import { type Lib, type ParityCase, ours, real } from '../case.js';

const up = (name: string) => `test_vmap.py::${name}`;

function same(id: string, upstream: string[], call: (lib: Lib) => unknown): ParityCase {
  return { id: `vmap.${id}`, family: 'vmap', upstream, symbols: ['mlx.core.vmap'], oracle: 'mlx-0.13', run: () => [call(ours), call(real)] };
}

const X = [[0.5, 1, -1], [2, 0.25, 3]];
const M = [[[1, 2], [3, 4]], [[0.5, -1], [2, 0]]];

export function cases(): ParityCase[] {
  return [
    same('unary', [up('test_basics'), up('test_unary')], (lib) => lib.vmap((x: unknown) => lib.tanh(lib.exp(x)))(lib.array(X))),
    same('binary', [up('test_binary')], (lib) => lib.vmap((x: unknown, y: unknown) => lib.multiply(x, y))(lib.array(X), lib.array(X))),
    same('reduce', [up('test_vmap_reduce')], (lib) => lib.vmap((x: unknown) => lib.sum(x, [0]))(lib.array(M))),
    same('matmul', [up('test_vmap_matmul')], (lib) => lib.vmap((a: unknown, b: unknown) => lib.matmul(a, b))(lib.array(M), lib.array(M))),
    same('in_axes', [up('test_vmap_indexing')], (lib) => lib.vmap((x: unknown) => lib.softmax(x, [-1]), 1)(lib.array(M))),
    same('nested', [up('test_basics')], (lib) => lib.vmap(lib.vmap((x: unknown) => lib.square(x)))(lib.array(M))),
  ];
}
