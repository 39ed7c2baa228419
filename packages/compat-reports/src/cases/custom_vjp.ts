// custom_vjp: custom functions and checkpointing, by their definitions (MLX
// 0.13's JavaScript binding has neither).
import { type ParityCase, ours } from '../case.js';

const up = (name: string) => `custom_vjp_tests.cpp::${name}`;

export function cases(): ParityCase[] {
  return [
    {
      id: 'custom_vjp.simple',
      family: 'custom_vjp',
      upstream: [up('test simple custom vjp')],
      symbols: ['mlx.core.custom_function'],
      oracle: 'math',
      // exp with its vjp declared as 2 * cotangent: the gradient is 2 everywhere
      run: () => {
        const f = ours.customFunction((x: unknown) => ours.exp(x)).vjp((_: unknown, cts: unknown[]) => [ours.multiply(cts[0], 2)]);
        return [ours.grad((x: unknown) => ours.sum(f(x)))(ours.array([1, 2, 3])), [2, 2, 2]];
      },
    },
    {
      id: 'custom_vjp.checkpoint',
      family: 'custom_vjp',
      upstream: [up('test checkpointing')],
      symbols: ['mlx.core.checkpoint'],
      oracle: 'math',
      // d/dx sin(x^2) = 2x cos(x^2), through a checkpointed layer
      run: () => {
        const layer = ours.checkpoint((x: unknown) => ours.sin(ours.square(x)));
        const xs = [0.5, 1, 1.5];
        return [ours.grad((x: unknown) => ours.sum(layer(x)))(ours.array(xs)), xs.map((x) => 2 * x * Math.cos(x * x))];
      },
    },
  ];
}
