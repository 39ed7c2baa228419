// mlx.nn.losses: every loss with each reduction through mlx-compat and real
// MLX (node-mlx 0.0.7, MLX 0.13), on fixed inputs.
import { type Lib, type ParityCase, oursLib, realLib } from '../case.js';

const up = (name: string) => `test_losses.py::${name}`;
const REDUCTIONS = ['none', 'mean', 'sum'] as const;

const A = [[0.2, -1.3, 2.1, 0.4], [1.5, 0.3, -0.7, -2.2], [0.05, 0.9, -0.1, 1.2]];
const B = [[0.1, -1.0, 1.5, 0.9], [1.0, 0.8, -0.2, -1.7], [0.3, 0.4, 0.6, 0.9]];
const P = [[0.1, 0.6, 0.2, 0.1], [0.25, 0.25, 0.4, 0.1], [0.7, 0.1, 0.1, 0.1]];
const arr = (lib: Lib, v: unknown, dtype?: unknown) => lib.core.array(v, dtype);

// [MLX name, camelCase name, call with a reduction]
const LOSSES: Array<[string, string, (lib: Lib, r: string) => unknown]> = [
  ['cross_entropy', 'crossEntropy', (lib, r) => [
    lib.nn.losses.crossEntropy(arr(lib, A), arr(lib, [1, 3, 0], lib.core.int32), undefined, -1, 0, r),
    lib.nn.losses.crossEntropy(arr(lib, A), arr(lib, P), undefined, -1, 0, r),
    lib.nn.losses.crossEntropy(arr(lib, A), arr(lib, [2, 0, 3], lib.core.int32), arr(lib, [0.5, 1, 2]), -1, 0.1, r),
  ]],
  ['binary_cross_entropy', 'binaryCrossEntropy', (lib, r) => [
    lib.nn.losses.binaryCrossEntropy(arr(lib, A), arr(lib, P), undefined, true, r),
    lib.nn.losses.binaryCrossEntropy(arr(lib, P), arr(lib, [[0, 1, 0, 0], [1, 0, 1, 0], [1, 1, 0, 0]]), undefined, false, r),
  ]],
  ['l1_loss', 'l1Loss', (lib, r) => lib.nn.losses.l1Loss(arr(lib, A), arr(lib, B), r)],
  ['mse_loss', 'mseLoss', (lib, r) => lib.nn.losses.mseLoss(arr(lib, A), arr(lib, B), r)],
  ['nll_loss', 'nllLoss', (lib, r) => lib.nn.losses.nllLoss(lib.nn.logSoftmax(arr(lib, A)), arr(lib, [1, 3, 0], lib.core.int32), -1, r)],
  ['gaussian_nll_loss', 'gaussianNllLoss', (lib, r) => [
    lib.nn.losses.gaussianNllLoss(arr(lib, A), arr(lib, B), arr(lib, P), false, 1e-6, r),
    lib.nn.losses.gaussianNllLoss(arr(lib, A), arr(lib, B), arr(lib, P), true, 0.15, r),
  ]],
  ['kl_div_loss', 'klDivLoss', (lib, r) => lib.nn.losses.klDivLoss(lib.core.log(arr(lib, P)), lib.nn.logSoftmax(arr(lib, A)), -1, r)],
  ['smooth_l1_loss', 'smoothL1Loss', (lib, r) => [lib.nn.losses.smoothL1Loss(arr(lib, A), arr(lib, B), 1.0, r), lib.nn.losses.smoothL1Loss(arr(lib, A), arr(lib, B), 0.3, r)]],
  ['triplet_loss', 'tripletLoss', (lib, r) => [
    lib.nn.losses.tripletLoss(arr(lib, A), arr(lib, B), arr(lib, P), -1, 2, 1.0, 1e-6, r),
    lib.nn.losses.tripletLoss(arr(lib, A), arr(lib, B), arr(lib, P), -1, 1, 0.5, 1e-6, r),
  ]],
  ['hinge_loss', 'hingeLoss', (lib, r) => lib.nn.losses.hingeLoss(arr(lib, A), arr(lib, [[1, -1, 1, 1], [-1, -1, 1, -1], [1, 1, -1, 1]]), r)],
  ['huber_loss', 'huberLoss', (lib, r) => [lib.nn.losses.huberLoss(arr(lib, A), arr(lib, B), 1.0, r), lib.nn.losses.huberLoss(arr(lib, A), arr(lib, B), 0.4, r)]],
  ['log_cosh_loss', 'logCoshLoss', (lib, r) => lib.nn.losses.logCoshLoss(arr(lib, A), arr(lib, B), r)],
  ['cosine_similarity_loss', 'cosineSimilarityLoss', (lib, r) => [
    lib.nn.losses.cosineSimilarityLoss(arr(lib, A), arr(lib, B), 1, 1e-8, r),
    lib.nn.losses.cosineSimilarityLoss(arr(lib, A), arr(lib, B), 0, 1e-8, r),
  ]],
  ['margin_ranking_loss', 'marginRankingLoss', (lib, r) => [
    lib.nn.losses.marginRankingLoss(arr(lib, A[0]), arr(lib, B[0]), arr(lib, [1, -1, 1, -1]), 0.0, r),
    lib.nn.losses.marginRankingLoss(arr(lib, A[1]), arr(lib, B[1]), arr(lib, [1, 1, -1, -1]), 0.5, r),
  ]],
];

// MLX 0.13's smooth_l1_loss compares the signed difference with beta (v0.31.2
// its absolute value), and node-mlx's cosine_similarity_loss passes its axis
// as the norm's order: both are checked against their v0.31.2 definitions.
const DEFINED: Array<[string, (r: string) => [unknown, unknown]]> = [
  ['smooth_l1_loss', (r) => {
    const def = (beta: number) => A.flatMap((row, i) => row.map((a, j) => {
      const d = Math.abs(a - B[i][j]);
      return d < beta ? (0.5 * d * d) / beta : d - 0.5 * beta;
    }));
    const ours = [1.0, 0.3].map((beta) => oursLib.nn.losses.smoothL1Loss(arr(oursLib, A), arr(oursLib, B), beta, r)).map((l) => (r === "none" ? l.reshape(-1) : l));
    return [ours, [1.0, 0.3].map((beta) => reduceDefined(def(beta), r))];
  }],
  ['cosine_similarity_loss', (r) => {
    const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i], 0);
    const cos = (u: number[], v: number[]) => dot(u, v) / Math.max(Math.sqrt(dot(u, u) * dot(v, v)), 1e-8);
    const cols = (m: number[][]) => m[0].map((_, j) => m.map((row) => row[j]));
    const ours = [1, 0].map((axis) => oursLib.nn.losses.cosineSimilarityLoss(arr(oursLib, A), arr(oursLib, B), axis, 1e-8, r));
    return [ours, [A.map((row, i) => cos(row, B[i])), cols(A).map((c, j) => cos(c, cols(B)[j]))].map((v) => reduceDefined(v, r))];
  }],
];

function reduceDefined(values: number[], r: string): number | number[] {
  if (r === 'none') return values;
  const total = values.reduce((a, b) => a + b, 0);
  return r === 'sum' ? total : total / values.length;
}

export function cases(): ParityCase[] {
  const defined = DEFINED.flatMap(([name, call]) =>
    REDUCTIONS.map((r): ParityCase => ({
      id: `losses.${name}.${r}`, family: 'losses', upstream: [up(`test_${name}`)], symbols: [`mlx.nn.losses.${name}`], oracle: 'math', run: () => call(r),
    })),
  );
  return [...defined, ...LOSSES.filter(([name]) => !DEFINED.some(([d]) => d === name)).flatMap(([name, , call]) =>
    REDUCTIONS.map((r) => ({
      id: `losses.${name}.${r}`, family: 'losses', upstream: [up(`test_${name}`)], symbols: [`mlx.nn.losses.${name}`], oracle: 'mlx-0.13' as const,
      run: (): [unknown, unknown] => [call(oursLib, r), call(realLib, r)],
    })),
  )];
}
