// autograd: grad, value_and_grad, vjp and jvp through mlx-compat and real MLX.
import { type Lib, type ParityCase, ours, real } from '../case.js';

const up = (name: string) => `test_autograd.py::${name}`;

function same(id: string, symbols: string[], upstream: string[], call: (lib: Lib) => unknown): ParityCase {
  return { id: `autograd.${id}`, family: 'autograd', upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle: 'mlx-0.13', run: () => [call(ours), call(real)] };
}

const X = [[0.5, -1, 2], [1, 0.25, -0.5]];
const W = [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]];
const loss = (lib: Lib) => (x: unknown, w: unknown) => lib.sum(lib.tanh(lib.matmul(x, w)));

export function cases(): ParityCase[] {
  return [
    same('grad', ['grad'], [up('test_grad')], (lib) => lib.grad(loss(lib), 1)(lib.array(X), lib.array(W))),
    same('grad_argnums', ['grad'], [up('test_grad_trees')], (lib) => lib.grad(loss(lib), [0, 1])(lib.array(X), lib.array(W))[0]),
    same('value_and_grad', ['value_and_grad'], [up('test_auxiliary_values')], (lib) => {
      const [v, g] = lib.valueAndGrad((x: unknown) => lib.sum(lib.exp(x)))(lib.array([0.5, 1, -1]));
      return lib.concatenate([lib.reshape(v, [1]), g]);
    }),
    same('grad_of_grad', ['grad'], [up('test_grad'), up('test_power_grad')], (lib) => lib.grad(lib.grad((x: unknown) => lib.sum(lib.multiply(lib.sin(x), x))))(lib.array(0.7))),
    same('vjp', ['vjp'], [up('test_vjp')], (lib) => lib.vjp((x: unknown) => lib.multiply(lib.exp(x), x), [lib.array([1, 2])], [lib.array([0.5, -1])])[1][0]),
    same('jvp', ['jvp'], [up('test_jvp'), up('test_matmul_jvps')], (lib) => lib.jvp((x: unknown) => lib.softmax(lib.multiply(x, x), [-1]), [lib.array([1, 2, 0.5])], [lib.array([0.2, -0.1, 1])])[1][0]),
    same('stop_gradient', ['stop_gradient', 'grad'], [up('test_stop_gradient')], (lib) => lib.grad((x: unknown) => lib.sum(lib.multiply(x, lib.stopGradient(x))))(lib.array([3, -2]))),
  ];
}
