// compile: compiled functions through mlx-compat and real MLX.
import { type Lib, type ParityCase, ours, real } from '../case.js';

const up = (name: string) => `test_compile.py::${name}`;

function same(id: string, symbols: string[], upstream: string[], call: (lib: Lib) => unknown): ParityCase {
  return { id: `compile.${id}`, family: 'compile', upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle: 'mlx-0.13', run: () => [call(ours), call(real)] };
}

const f = (lib: Lib) => (x: unknown, y: unknown) => lib.add(lib.exp(lib.multiply(x, y)), 1);

export function cases(): ParityCase[] {
  return [
    same('simple', ['compile'], [up('test_simple_compile')], (lib) => {
      const cf = lib.compile(f(lib));
      cf(lib.array([1, 2]), lib.array([3, 4]));
      return cf(lib.array([0.5, -1]), lib.array([2, 0.25]));
    }),
    same('grad', ['compile', 'grad'], [up('test_compile_grad'), up('test_compile_two_input_grad')], (lib) =>
      lib.grad((x: unknown) => lib.sum(lib.compile(f(lib))(x, lib.array([0.5, 2]))))(lib.array([1, -1]))),
    same('vmap', ['compile', 'vmap'], [up('test_vmap_compiled')], (lib) => lib.vmap(lib.compile((x: unknown) => lib.softmax(x, [-1])))(lib.array([[1, 2], [0, 3]]))),
    same('enable_disable', ['compile', 'disable_compile', 'enable_compile'], [up('test_enable_disable')], (lib) => {
      lib.disableCompile();
      const r = lib.compile(f(lib))(lib.array([1]), lib.array([2]));
      lib.enableCompile();
      return r;
    }),
  ];
}
