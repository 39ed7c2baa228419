// random: seeded draws through mlx-compat and real MLX must be equal, bit for bit.
import { type ParityCase, ours, real, type Lib } from '../case.js';

const up = (name: string) => `test_random.py::${name}`;

function seeded(id: string, symbols: string[], upstream: string[], draw: (lib: Lib) => unknown, rtol?: number): ParityCase {
  return {
    id: `random.${id}`,
    family: 'random',
    upstream,
    symbols: symbols.map((s) => `mlx.core.random.${s}`),
    oracle: 'mlx-0.13',
    rtol,
    run: () => {
      ours.random.seed(17);
      const a = draw(ours);
      real.random.seed(17);
      return [a, draw(real)];
    },
  };
}

export function cases(): ParityCase[] {
  return [
    seeded('key_split', ['key', 'split'], [up('test_key'), up('test_key_split')], (lib) => lib.random.split(lib.random.key(7), 3)),
    seeded('seed_uniform', ['seed', 'uniform'], [up('test_global_rng'), up('test_uniform')], (lib) => lib.random.uniform(-1, 2, [3, 4])),
    seeded('uniform_half', ['uniform'], [up('test_uniform')], (lib) => lib.random.uniform(0, 1, [8], lib.float16)),
    seeded('normal', ['normal'], [up('test_normal_and_laplace')], (lib) => lib.random.normal([3, 3], lib.float32, 1, 2)),
    seeded('randint', ['randint'], [up('test_randint')], (lib) => lib.random.randint(-3, 9, [10])),
    seeded('bernoulli', ['bernoulli'], [up('test_bernoulli')], (lib) => lib.random.bernoulli(0.3, [10])),
    seeded('truncated_normal', ['truncated_normal'], [up('test_truncated_normal')], (lib) => lib.random.truncatedNormal(-1, 0.5, [6])),
    seeded('gumbel', ['gumbel'], [up('test_gumbel')], (lib) => lib.random.gumbel([6])),
    seeded('categorical', ['categorical'], [up('test_categorical')], (lib) => lib.random.categorical(lib.array([[0, 1, 2], [2, 0, 0], [0, 5, 0]]))),
    {
      id: 'random.laplace_moments',
      family: 'random',
      upstream: [up('test_normal_and_laplace')],
      symbols: ['mlx.core.random.laplace'],
      oracle: 'math',
      rtol: 0.05,
      // mean loc and variance 2 scale^2 over 40,000 draws
      run: () => {
        const x = ours.random.laplace([40000], ours.float32, 1, 0.5, ours.random.key(5));
        return [[ours.mean(x).item(), ours.variance(x).item()], [1, 0.5]];
      },
    },
    {
      id: 'random.permutation',
      family: 'random',
      upstream: [up('test_permutation')],
      symbols: ['mlx.core.random.permutation'],
      oracle: 'math',
      run: () => [ours.sort(ours.random.permutation(10, 0, ours.random.key(3))), Array.from({ length: 10 }, (_, i) => i)],
    },
    seeded('multivariate_normal', ['multivariate_normal'], [up('test_multivariate_normal')], (lib) => lib.random.multivariateNormal(lib.array([1, -1]), lib.array([[2, 0.5], [0.5, 1]]), [3]), 1e-5),
  ];
}
