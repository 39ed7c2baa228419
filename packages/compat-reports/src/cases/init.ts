// mlx.nn.init: each initializer's draw for the same seed through mlx-compat
// and real MLX (node-mlx 0.0.7), and its statistics (mean, standard
// deviation, bounds) against the formula on a large array.
import { type Lib, type ParityCase, oursLib, realLib } from '../case.js';

const up = (name: string) => `test_init.py::${name}`;

// [MLX name, camelCase, the initialized array, its expected [mean, std, min bound, max bound] for shape (200, 300)]
const FAN_IN = 300, FAN_OUT = 200;
const INITS: Array<[string, (lib: Lib, a: unknown) => unknown, [number, number, number, number]]> = [
  ['constant', (lib, a) => lib.nn.init.constant(0.7)(a), [0.7, 0, 0.7, 0.7]],
  ['normal', (lib, a) => lib.nn.init.normal(0.5, 2.0)(a), [0.5, 2.0, -Infinity, Infinity]],
  ['uniform', (lib, a) => lib.nn.init.uniform(-0.5, 1.5)(a), [0.5, 2 / Math.sqrt(12), -0.5, 1.5]],
  ['identity', (lib) => lib.nn.init.identity()(lib.core.zeros([300, 300])), [1 / 300, Math.sqrt(1 / 300 - 1 / 90000), 0, 1]],
  ['glorot_normal', (lib, a) => lib.nn.init.glorotNormal()(a), [0, Math.sqrt(2 / (FAN_IN + FAN_OUT)), -Infinity, Infinity]],
  ['glorot_uniform', (lib, a) => lib.nn.init.glorotUniform()(a, 2.0), [0, 2 * Math.sqrt(6 / (FAN_IN + FAN_OUT)) / Math.sqrt(3), -2 * Math.sqrt(6 / 500), 2 * Math.sqrt(6 / 500)]],
  ['he_normal', (lib, a) => lib.nn.init.heNormal()(a), [0, 1 / Math.sqrt(FAN_IN), -Infinity, Infinity]],
  ['he_uniform', (lib, a) => lib.nn.init.heUniform()(a, lib === oursLib ? 'fan_out' : 'fanOut'), [0, Math.sqrt(3 / FAN_OUT) / Math.sqrt(3), -Math.sqrt(3 / FAN_OUT), Math.sqrt(3 / FAN_OUT)]],
];

// in float64: a float32 sum of 60,000 values (MLX v0.31.2's, on the mlx backend) carries rounding beyond the tolerances
function stats(lib: Lib, x: Lib): number[] {
  const wide = lib.core.astype(x, lib.core.float64);
  return [lib.core.mean(wide).item(), lib.core.std(wide).item(), lib.core.min(x).item(), lib.core.max(x).item()];
}

export function cases(): ParityCase[] {
  return INITS.flatMap(([name, init, [mu, sd, lo, hi]]) => [
    {
      id: `init.${name}.draw`, family: 'init', upstream: [up(`test_${name}`)], symbols: [`mlx.nn.init.${name}`], oracle: 'mlx-0.13' as const,
      run: (): [unknown, unknown] => {
        const draw = (lib: Lib) => {
          lib.core.random.seed(21);
          return init(lib, lib.core.zeros([6, 5]));
        };
        return [draw(oursLib), draw(realLib)];
      },
    },
    {
      // mean and standard deviation within a few standard errors of the formula's; every value within its bounds
      id: `init.${name}.statistics`, family: 'init', upstream: [up(`test_${name}`)], symbols: [`mlx.nn.init.${name}`], oracle: 'math' as const,
      run: (): [unknown, unknown] => {
        oursLib.core.random.seed(3);
        const x = init(oursLib, oursLib.core.zeros([200, 300]));
        const [m, s, min, max] = stats(oursLib, x);
        const n = 60000;
        const meanOk = Math.abs(m - mu) <= 5 * (sd / Math.sqrt(n)) + 1e-5 * Math.abs(mu) + 1e-6;
        const sdOk = Math.abs(s - sd) <= 0.02 * sd + 1e-6;
        const boundsOk = min >= lo - 1e-6 && max <= hi + 1e-6;
        return [[Number(meanOk), Number(sdOk), Number(boundsOk)], [1, 1, 1]];
      },
    },
  ]);
}
