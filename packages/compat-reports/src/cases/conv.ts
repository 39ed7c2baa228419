// conv: the convolutions through mlx-compat and real MLX 0.13 where 0.13 has
// them (conv1d with groups, conv2d, conv3d and conv_general without groups,
// convolve, their gradients); the rest (groups beyond 1-D, the transposed
// convolutions, flipped-kernel gradients, which 0.13 gets wrong) against
// float64 sums computed here from the definitions.
import { type Lib, type ParityCase, ours, real } from '../case.js';

const t = (name: string) => `test_conv.py::${name}`;
const tt = (name: string) => `test_conv_transpose.py::${name}`;
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
// sin of a running index: deterministic, varied values of any shape
const values = (shape: number[], k: number) => Array.from({ length: size(shape) }, (_, i) => Math.sin(i * (0.37 + k)));
const input = (lib: Lib, shape: number[], k: number) => lib.reshape(lib.array(values(shape, k)), shape);

function same(id: string, symbols: string[], upstream: string[], call: (lib: Lib) => unknown, rtol?: number): ParityCase {
  return { id: `conv.${id}`, family: 'conv', upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle: 'mlx-0.13', run: () => [call(ours), call(real)], rtol };
}

const offset = (idx: number[], shape: number[]) => idx.reduce((o, v, i) => o * shape[i] + v, 0);
function* indices(shape: number[]): Generator<number[]> {
  const idx = new Array(shape.length).fill(0);
  for (;;) {
    yield [...idx];
    let a = shape.length - 1;
    while (a >= 0 && ++idx[a] === shape[a]) idx[a--] = 0;
    if (a < 0) return;
  }
}

/**
 * A transposed convolution (groups included) by scattering each input value
 * through the kernel: y[n, i s + k d - p, oc] += x[n, i, ic] w[oc, k, ic].
 */
function scatter(xs: number[], ws: number[], s: number[], p: number[], d: number[], op: number[], groups: number): { values: number[]; shape: number[] } {
  const x = values(xs, 1), w = values(ws, 2), nsp = xs.length - 2, O = ws[0], ig = ws[nsp + 1], og = O / groups, ks = ws.slice(1, -1);
  const outs = xs.slice(1, -1).map((L, i) => (L - 1) * s[i] - 2 * p[i] + d[i] * (ks[i] - 1) + 1 + op[i]);
  const shape = [xs[0], ...outs, O], y = new Array(size(shape)).fill(0);
  for (const [n, ...i] of indices(xs.slice(0, -1)))
    for (const k of indices(ks)) {
      const j = i.map((v, a) => v * s[a] + k[a] * d[a] - p[a]);
      if (j.some((v, a) => v < 0 || v >= outs[a])) continue;
      for (let oc = 0; oc < O; oc++)
        for (let ic = 0; ic < ig; ic++) y[offset([n, ...j, oc], shape)] += x[offset([n, ...i, Math.floor(oc / og) * ig + ic], xs)] * w[offset([oc, ...k, ic], ws)];
    }
  return { values: y, shape };
}

/** An ordinary grouped convolution, stride 1, padding p, by its gathering sum. */
function forward(xs: number[], ws: number[], p: number[], groups: number): { values: number[]; shape: number[] } {
  const x = values(xs, 1), w = values(ws, 2), nsp = xs.length - 2, O = ws[0], ig = ws[nsp + 1], og = O / groups, ks = ws.slice(1, -1);
  const outs = xs.slice(1, -1).map((L, i) => L + 2 * p[i] - ks[i] + 1);
  const shape = [xs[0], ...outs, O], y = new Array(size(shape)).fill(0);
  for (const [n, ...o] of indices([xs[0], ...outs]))
    for (const k of indices(ks)) {
      const src = o.map((v, a) => v + k[a] - p[a]);
      if (src.some((v, a) => v < 0 || v >= xs[1 + a])) continue;
      for (let oc = 0; oc < O; oc++)
        for (let ic = 0; ic < ig; ic++) y[offset([n, ...o, oc], shape)] += x[offset([n, ...src, Math.floor(oc / og) * ig + ic], xs)] * w[offset([oc, ...k, ic], ws)];
    }
  return { values: y, shape };
}

const asNested = (r: { values: number[]; shape: number[] }) => ours.reshape(ours.array(r.values, ours.float64), r.shape);

function math(id: string, symbols: string[], upstream: string[], got: () => unknown, want: () => { values: number[]; shape: number[] }): ParityCase {
  return { id: `conv.${id}`, family: 'conv', upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle: 'math', rtol: 1e-5, run: () => [got(), ours.astype(asNested(want()), ours.float32)] };
}

export function cases(): ParityCase[] {
  const loss2d = (lib: Lib) => (x: unknown, w: unknown) => lib.sum(lib.sin(lib.conv2d(x, w, [2, 1], [1, 2], [2, 1])));
  return [
    same('conv1d', ['conv1d'], [t('test_torch_conv_1D')], (lib) => lib.conv1d(input(lib, [2, 12, 6], 1), input(lib, [4, 3, 3], 2), 2, 1, 2, 2), 1e-5),
    same('conv1d_depthwise', ['conv1d'], [t('test_torch_conv_depthwise')], (lib) => lib.conv1d(input(lib, [2, 9, 4], 1), input(lib, [8, 3, 1], 2), 1, 1, 1, 4), 1e-5),
    same('conv2d', ['conv2d'], [t('test_torch_conv_2D')], (lib) => lib.conv2d(input(lib, [2, 9, 8, 5], 1), input(lib, [7, 3, 2, 5], 2), [2, 1], [1, 2], [2, 1]), 1e-5),
    same('conv3d', ['conv3d'], [t('test_torch_conv_3D')], (lib) => lib.conv3d(input(lib, [1, 5, 4, 6, 3], 1), input(lib, [2, 2, 3, 2, 3], 2), [1, 1, 2], 1), 1e-5),
    same('conv_general', ['conv_general'], [t('test_torch_conv_general'), t('test_asymmetric_padding')], (lib) =>
      lib.convGeneral(input(lib, [2, 7, 8, 4], 1), input(lib, [6, 3, 2, 4], 2), [1, 2], [[1, 0], [2, 1]], [2, 1], [2, 1], 1, true), 1e-5),
    same('convolve', ['convolve'], [t('test_numpy_conv')], (lib) =>
      (['full', 'same', 'valid'] as const).map((mode) => lib.convolve(input(lib, [9], 1), input(lib, [4], 2), mode)), 1e-5),
    same('conv2d_grad', ['conv2d'], [t('test_torch_conv_2D_grad')], (lib) => lib.grad(loss2d(lib), [0, 1])(input(lib, [2, 7, 8, 4], 1), input(lib, [6, 3, 2, 4], 2)), 1e-4),
    same('conv1d_grad', ['conv1d'], [t('test_torch_conv_1D_grad')], (lib) =>
      lib.grad((x: unknown, w: unknown) => lib.sum(lib.sin(lib.conv1d(x, w, 2, 1, 2, 1))), [0, 1])(input(lib, [2, 12, 6], 1), input(lib, [4, 3, 6], 2)), 1e-4),
    math('conv2d_depthwise', ['conv2d'], [t('test_torch_conv_depthwise')], () => ours.conv2d(input(ours, [2, 7, 6, 5], 1), input(ours, [5, 3, 3, 1], 2), 1, 1, 1, 5), () => forward([2, 7, 6, 5], [5, 3, 3, 1], [1, 1], 5)),
    math('conv3d_groups', ['conv3d'], [t('test_torch_conv_3D')], () => ours.conv3d(input(ours, [1, 3, 4, 4, 4], 1), input(ours, [4, 2, 2, 2, 2], 2), 1, 0, 1, 2), () => forward([1, 3, 4, 4, 4], [4, 2, 2, 2, 2], [0, 0, 0], 2)),
    math('conv_transpose1d', ['conv_transpose1d'], [tt('test_torch_conv_transpose_1D'), tt('test_torch_conv_tranpose_1d_output_padding')],
      () => ours.convTranspose1d(input(ours, [1, 6, 2], 1), input(ours, [3, 3, 2], 2), 3, 1, 2, 2), () => scatter([1, 6, 2], [3, 3, 2], [3], [1], [2], [2], 1)),
    math('conv_transpose2d', ['conv_transpose2d'], [tt('test_torch_conv_transpose_2D'), tt('test_torch_conv_transpose_2d_output_padding')],
      () => ours.convTranspose2d(input(ours, [2, 4, 3, 4], 1), input(ours, [6, 3, 2, 2], 2), [2, 1], [1, 0], [1, 2], [1, 0], 2), () => scatter([2, 4, 3, 4], [6, 3, 2, 2], [2, 1], [1, 0], [1, 2], [1, 0], 2)),
    math('conv_transpose3d', ['conv_transpose3d'], [tt('test_torch_conv_transpose_3D'), tt('test_torch_conv_transpose_3d_output_padding')],
      () => ours.convTranspose3d(input(ours, [1, 3, 2, 3, 2], 1), input(ours, [2, 2, 2, 3, 2], 2), [2, 1, 2], [0, 1, 1], 1, [1, 0, 0]), () => scatter([1, 3, 2, 3, 2], [2, 2, 2, 3, 2], [2, 1, 2], [0, 1, 1], [1, 1, 1], [1, 0, 0], 1)),
  ];
}
