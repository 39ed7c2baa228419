// conv: the convolutions through mlx-compat and real MLX 0.13 where 0.13 has
// them (conv1d with groups, conv2d, conv3d and conv_general without groups,
// convolve, their gradients); the rest (groups beyond 1-D, the transposed
// convolutions, flipped-kernel gradients, which 0.13 gets wrong) against
// float64 sums computed here from the definitions.
import { type Lib, type ParityCase, ours, oursLib, real, realLib } from '../case.js';

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
function scatter(x: number[], xs: number[], w: number[], ws: number[], s: number[], p: number[], d: number[], op: number[], groups: number): { values: number[]; shape: number[] } {
  const nsp = xs.length - 2, O = ws[0], ig = ws[nsp + 1], og = O / groups, ks = ws.slice(1, -1);
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
function forward(x: number[], xs: number[], w: number[], ws: number[], p: number[], groups: number): { values: number[]; shape: number[] } {
  const nsp = xs.length - 2, O = ws[0], ig = ws[nsp + 1], og = O / groups, ks = ws.slice(1, -1);
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

const nnUp = (name: string) => `test_nn.py::${name}`;
const flatList = (a: { tolist(): unknown }) => [a.tolist()].flat(Infinity).map(Number);
// (node-mlx 0.0.7 lists a Conv2d's stride and padding arrays among its parameters too: only arrays count)
const paramShapes = (m: Lib) => Object.entries(m.parameters() as Record<string, { shape?: number[] }>).filter(([, v]) => v.shape).map(([k, v]) => `${k}:${v.shape}`).join(' ');

/** An nn layer against MLX 0.13's, both seeded alike (the weights draw the same values): outputs, parameter names and shapes. */
function layer(cls: string, tests: string[], build: (lib: Lib) => Lib, x: number[]): ParityCase {
  return {
    id: `conv.nn_${cls}`, family: 'conv', upstream: tests.map(nnUp), symbols: [`mlx.nn.${cls}`], oracle: 'mlx-0.13', rtol: 1e-5,
    run: () => {
      const run = (lib: Lib) => {
        lib.core.random.seed(7);
        const m = build(lib);
        return [m.forward(input(lib.core, x, 3)), paramShapes(m)];
      };
      const [o, on] = run(oursLib), [r, rn] = run(realLib);
      return [[o, Number(on === rn)], [r, 1]];
    },
  };
}

/**
 * A layer MLX 0.13 lacks, against the float64 sum over its own weights (given
 * a bias so that it counts): the output, and the parameter shapes MLX
 * v0.31.2 gives it (weight (out, kernel..., in / groups), bias (out)).
 */
function layerMath(id: string, cls: string, tests: string[], build: () => Lib, x: number[], want: (xv: number[], w: number[], ws: number[]) => { values: number[]; shape: number[] }, shapes: string): ParityCase {
  return {
    id: `conv.nn_${id}`, family: 'conv', upstream: tests.map(nnUp), symbols: [`mlx.nn.${cls}`], oracle: 'math', rtol: 1e-5,
    run: () => {
      // seeded: the harness runs the case again on the mlx backend, which must draw the same weights
      ours.random.seed(7);
      const m = build();
      const bias = ours.multiply(ours.arange(m.bias.shape[0]), 0.25);
      m.update({ bias });
      const ref = want(values(x, 3), flatList(m.weight), m.weight.shape);
      const expected = ref.values.map((v, i) => v + 0.25 * (i % ref.shape[ref.shape.length - 1]));
      return [[m.forward(input(ours, x, 3)), paramShapes(m)], [ours.reshape(ours.array(expected), ref.shape), shapes]];
    },
  };
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
    math('conv2d_depthwise', ['conv2d'], [t('test_torch_conv_depthwise')], () => ours.conv2d(input(ours, [2, 7, 6, 5], 1), input(ours, [5, 3, 3, 1], 2), 1, 1, 1, 5), () => forward(values([2, 7, 6, 5], 1), [2, 7, 6, 5], values([5, 3, 3, 1], 2), [5, 3, 3, 1], [1, 1], 5)),
    math('conv3d_groups', ['conv3d'], [t('test_torch_conv_3D')], () => ours.conv3d(input(ours, [1, 3, 4, 4, 4], 1), input(ours, [4, 2, 2, 2, 2], 2), 1, 0, 1, 2), () => forward(values([1, 3, 4, 4, 4], 1), [1, 3, 4, 4, 4], values([4, 2, 2, 2, 2], 2), [4, 2, 2, 2, 2], [0, 0, 0], 2)),
    math('conv_transpose1d', ['conv_transpose1d'], [tt('test_torch_conv_transpose_1D'), tt('test_torch_conv_tranpose_1d_output_padding')],
      () => ours.convTranspose1d(input(ours, [1, 6, 2], 1), input(ours, [3, 3, 2], 2), 3, 1, 2, 2), () => scatter(values([1, 6, 2], 1), [1, 6, 2], values([3, 3, 2], 2), [3, 3, 2], [3], [1], [2], [2], 1)),
    math('conv_transpose2d', ['conv_transpose2d'], [tt('test_torch_conv_transpose_2D'), tt('test_torch_conv_transpose_2d_output_padding')],
      () => ours.convTranspose2d(input(ours, [2, 4, 3, 4], 1), input(ours, [6, 3, 2, 2], 2), [2, 1], [1, 0], [1, 2], [1, 0], 2), () => scatter(values([2, 4, 3, 4], 1), [2, 4, 3, 4], values([6, 3, 2, 2], 2), [6, 3, 2, 2], [2, 1], [1, 0], [1, 2], [1, 0], 2)),
    math('conv_transpose3d', ['conv_transpose3d'], [tt('test_torch_conv_transpose_3D'), tt('test_torch_conv_transpose_3d_output_padding')],
      () => ours.convTranspose3d(input(ours, [1, 3, 2, 3, 2], 1), input(ours, [2, 2, 2, 3, 2], 2), [2, 1, 2], [0, 1, 1], 1, [1, 0, 0]), () => scatter(values([1, 3, 2, 3, 2], 1), [1, 3, 2, 3, 2], values([2, 2, 2, 3, 2], 2), [2, 2, 2, 3, 2], [2, 1, 2], [0, 1, 1], [1, 1, 1], [1, 0, 0], 1)),
    layer('Conv1d', ['test_conv1d'], (lib) => new lib.nn.Conv1d(4, 6, 3, 2, 1), [2, 9, 4]),
    layer('Conv2d', ['test_conv2d'], (lib) => new lib.nn.Conv2d(3, 5, [3, 2], [1, 2], 1), [2, 6, 7, 3]),
    layerMath('Conv2d_groups', 'Conv2d', ['test_conv2d'], () => new oursLib.nn.Conv2d(4, 6, 3, 1, 1, 1, 2), [2, 5, 5, 4], (xv, w, ws) => forward(xv, [2, 5, 5, 4], w, ws, [1, 1], 2), 'weight:6,3,3,2 bias:6'),
    layerMath('Conv3d', 'Conv3d', ['test_conv2d'], () => new oursLib.nn.Conv3d(2, 3, 2, 1, 1), [1, 3, 4, 3, 2], (xv, w, ws) => forward(xv, [1, 3, 4, 3, 2], w, ws, [1, 1, 1], 1), 'weight:3,2,2,2,2 bias:3'),
    layerMath('ConvTranspose1d', 'ConvTranspose1d', ['test_conv1d'], () => new oursLib.nn.ConvTranspose1d(3, 4, 3, 2, 1, 1, 1), [2, 5, 3], (xv, w, ws) => scatter(xv, [2, 5, 3], w, ws, [2], [1], [1], [1], 1), 'weight:4,3,3 bias:4'),
    layerMath('ConvTranspose2d', 'ConvTranspose2d', ['test_conv2d'], () => new oursLib.nn.ConvTranspose2d(2, 3, [2, 3], [2, 1], [0, 1]), [1, 3, 4, 2], (xv, w, ws) => scatter(xv, [1, 3, 4, 2], w, ws, [2, 1], [0, 1], [1, 1], [0, 0], 1), 'weight:3,2,3,2 bias:3'),
    layerMath('ConvTranspose3d', 'ConvTranspose3d', ['test_conv2d'], () => new oursLib.nn.ConvTranspose3d(2, 2, 2, 2, 0, 1, 1), [1, 2, 2, 3, 2], (xv, w, ws) => scatter(xv, [1, 2, 2, 3, 2], w, ws, [2, 2, 2], [0, 0, 0], [1, 1, 1], [1, 1, 1], 1), 'weight:2,2,2,2,2 bias:2'),
  ];
}
