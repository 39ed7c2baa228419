// Convolutions against real MLX (@frost-beta/mlx, MLX 0.13: conv1d, conv2d
// and convGeneral without groups beyond 1-D, convolve) and against float64
// references written here from the definitions: the forward sum for every
// convolution, the scatter form for the transposed ones (MLX 0.13 has none),
// central finite differences for the gradients. MLX 0.13's weight gradient of
// a flipped kernel is wrong (0.31.2 fixed it): flipped gradients are checked
// against finite differences only.
import { describe, expect, it } from 'vitest';
import { MlxRefusedError, MlxRequestError, Session } from 'mlx-capi-bridge';
import mlx, { MxError, type MxArray } from '../src/index.js';
import { real, rng } from './oracle.js';
import { mlxCurrent, onMlx } from './mlx-current.js';

const HAVE_MLX = mlxCurrent('conv tests');

const mx = mlx.core;
type Lib = typeof real;

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
function data(shape: number[], seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: size(shape) }, () => r() * 2 - 1);
}
const flat = (a: { tolist(): unknown }): number[] => [a.tolist()].flat(Infinity).map(Number);
const f64 = (v: number[], shape: number[]) => mx.reshape(mx.array(v, mx.float64), shape);

function expectClose(got: number[], want: number[], tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  got.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - want[i]) / (1 + Math.abs(want[i])))));
  expect(worst, what).toBeLessThanOrEqual(tol);
}

// Row-major offsets of a multi-index.
const offset = (idx: number[], shape: number[]) => idx.reduce((o, v, i) => o * shape[i] + v, 0);
function* indices(shape: number[]): Generator<number[]> {
  const idx = new Array(shape.length).fill(0);
  if (shape.some((d) => d === 0)) return;
  for (;;) {
    yield [...idx];
    let a = shape.length - 1;
    while (a >= 0 && ++idx[a] === shape[a]) idx[a--] = 0;
    if (a < 0) return;
  }
}

interface Spec {
  stride: number[];
  lo: number[];
  hi: number[];
  kd: number[];
  id: number[];
  groups: number;
  flip: boolean;
}

/** conv_general by its definition, in float64: y[n, o, oc] = sum over taps and the group's channels of x(o s + t kd - lo) w[oc, t, ic]. */
function convRef(x: number[], xs: number[], w: number[], ws: number[], s: Spec): { values: number[]; shape: number[] } {
  const nsp = xs.length - 2, C = xs[nsp + 1], O = ws[0], ig = ws[nsp + 1], og = O / s.groups;
  const ks = ws.slice(1, -1), ins = xs.slice(1, -1);
  const outs = ins.map((L, i) => Math.floor(((L - 1) * s.id[i] + 1 + s.lo[i] + s.hi[i] - ((ks[i] - 1) * s.kd[i] + 1)) / s.stride[i]) + 1);
  const shape = [xs[0], ...outs, O], y = new Array(size(shape)).fill(0);
  for (const [n, ...o] of indices([xs[0], ...outs]))
    for (let oc = 0; oc < O; oc++) {
      const g = Math.floor(oc / og);
      let acc = 0;
      for (const t of indices(ks)) {
        const src: number[] = [];
        for (let a = 0; a < nsp; a++) {
          const tap = s.flip ? ks[a] - 1 - t[a] : t[a];
          const p = o[a] * s.stride[a] + tap * s.kd[a] - s.lo[a];
          if (p < 0 || p % s.id[a] || p / s.id[a] >= ins[a]) break;
          src.push(p / s.id[a]);
        }
        if (src.length < nsp) continue;
        for (let ic = 0; ic < ig; ic++) acc += x[offset([n, ...src, g * ig + ic], xs)] * w[offset([oc, ...t, ic], ws)];
      }
      y[offset([n, ...o, oc], shape)] = acc;
    }
  return { values: y, shape };
}

/** A transposed convolution by scattering: y[n, i s + k d - p, oc] += x[n, i, ic] w[oc, k, ic], cropped to the output. */
function convTransposeRef(x: number[], xs: number[], w: number[], ws: number[], s: number[], p: number[], d: number[], op: number[], groups: number) {
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

const spec = (nsp: number, o: Partial<Spec> = {}): Spec => ({
  stride: new Array(nsp).fill(1), lo: new Array(nsp).fill(0), hi: new Array(nsp).fill(0), kd: new Array(nsp).fill(1), id: new Array(nsp).fill(1), groups: 1, flip: false, ...o,
});
const general = (x: MxArray, w: MxArray, s: Spec) => mx.convGeneral(x, w, s.stride, [s.lo, s.hi], s.kd, s.id, s.groups, s.flip);

// [name, input shape, weight shape, spec]: the edge cases of the issue and MLX's argument forms.
const CASES: Array<[string, number[], number[], Spec]> = [
  ['1-d plain', [2, 7, 3], [4, 3, 3], spec(1)],
  ['1-d stride 2 with dilation 2', [2, 11, 4], [3, 3, 4], spec(1, { stride: [2], kd: [2] })],
  ['1-d asymmetric padding', [1, 5, 2], [2, 4, 2], spec(1, { lo: [3], hi: [1] })],
  ['1-d negative padding (crops)', [1, 9, 2], [2, 2, 2], spec(1, { lo: [-2], hi: [1] })],
  ['1-d input dilation and flip', [2, 4, 2], [3, 3, 2], spec(1, { id: [3], lo: [2], hi: [2], flip: true })],
  ['2-d groups 2', [2, 6, 5, 4], [6, 3, 2, 2], spec(2, { groups: 2, lo: [1, 0], hi: [1, 1] })],
  ['2-d depthwise (groups = channels)', [2, 7, 6, 5], [5, 3, 3, 1], spec(2, { groups: 5, lo: [1, 1], hi: [1, 1] })],
  ['2-d depthwise with a channel multiplier', [1, 6, 6, 3], [6, 3, 3, 1], spec(2, { groups: 3, stride: [2, 2] })],
  ['2-d dilation with stride', [2, 13, 11, 3], [4, 3, 2, 3], spec(2, { stride: [2, 3], kd: [2, 3], lo: [2, 0], hi: [0, 3] })],
  ['2-d size-1 axes', [1, 1, 6, 1], [1, 1, 3, 1], spec(2)],
  ['2-d 1x1 kernel, wide channels', [3, 4, 4, 40], [24, 1, 1, 40], spec(2)],
  ['2-d everything', [2, 5, 6, 6], [6, 2, 3, 3], spec(2, { groups: 2, stride: [2, 1], lo: [1, 2], hi: [0, 1], kd: [2, 1], id: [1, 2], flip: true })],
  ['3-d', [2, 4, 5, 3, 2], [3, 2, 3, 2, 2], spec(3, { stride: [1, 2, 1], lo: [1, 0, 1], hi: [0, 1, 1], kd: [1, 1, 2] })],
  ['3-d groups', [1, 3, 4, 4, 4], [4, 2, 2, 2, 2], spec(3, { groups: 2 })],
];

describe('conv_general against a float64 reference', () => {
  for (const [name, xs, ws, s] of CASES)
    it(name, () => {
      const x = data(xs, 1), w = data(ws, 2);
      const want = convRef(x, xs, w, ws, s);
      const got = general(f64(x, xs), f64(w, ws), s);
      expect(got.shape).toEqual(want.shape);
      expect(got.dtype).toBe(mx.float64);
      expectClose(flat(got), want.values, 1e-12, name);
      const got32 = general(mx.reshape(mx.array(x), xs), mx.reshape(mx.array(w), ws), s);
      expect(got32.dtype).toBe(mx.float32);
      expectClose(flat(got32), want.values, 2e-5, `${name} float32`);
    });

  it('half types accumulate in float32 and keep their dtype', () => {
    const xs = [2, 9, 8, 16], ws = [8, 3, 3, 16], s = spec(2, { lo: [1, 1], hi: [1, 1] });
    const x = data(xs, 3), w = data(ws, 4);
    const want = convRef(x, xs, w, ws, s).values;
    for (const [dt, tol] of [[mx.float16, 1e-2], [mx.bfloat16, 6e-2]] as const) {
      const got = general(mx.reshape(mx.array(x, dt), xs), mx.reshape(mx.array(w, dt), ws), s);
      expect(got.dtype).toBe(dt);
      // inputs rounded to the half type, sums of 144 products: errors stay at the rounding of the output
      expectClose(flat(got), want, tol, dt.name);
    }
  });

  it('an empty batch gives an empty output; zero input channels give zeros', () => {
    const y = mx.conv2d(mx.zeros([0, 5, 5, 3]), mx.ones([2, 3, 3, 3]));
    expect(y.shape).toEqual([0, 3, 3, 2]);
    expect(flat(y)).toEqual([]);
    const z = mx.conv1d(mx.zeros([2, 4, 0]), mx.ones([3, 2, 0]));
    expect(z.shape).toEqual([2, 3, 3]);
    expect(flat(z)).toEqual(new Array(18).fill(0));
  });
});

// MLX v0.31.2 itself, through the engine's mlx backend (mlx-c), where the
// shared runtime is present: every case above (negative padding included)
// but groups in 3-D, which MLX v0.31.2 refuses ("Can only handle groups != 1
// in 1D or 2D convolutions") and mlx-compat computes (checked against the
// float64 reference above); and the transposed convolutions.
describe.skipIf(!HAVE_MLX)('conv_general against MLX v0.31.2 (the mlx backend)', () => {
  for (const [name, xs, ws, s] of CASES.filter(([, xs, , s]) => !(xs.length === 5 && s.groups > 1)))
    it(name, () => {
      const x = mx.reshape(mx.array(data(xs, 1)), xs), w = mx.reshape(mx.array(data(ws, 2)), ws);
      const want = onMlx(() => flat(general(x, w, s)));
      expectClose(flat(general(x, w, s)), want, 2e-5, name);
    });
  it('transposed convolutions and convolve', () => {
    const x = mx.reshape(mx.array(data([2, 4, 3, 4], 3)), [2, 4, 3, 4]), w = mx.reshape(mx.array(data([6, 3, 2, 2], 4)), [6, 3, 2, 2]);
    const calls = [() => mx.convTranspose2d(x, w, [2, 1], [1, 0], [1, 2], [1, 0], 2), () => mx.convolve(mx.array([1, 2, -3, 4, 0.5]), mx.array([0.5, -1, 2]), 'same')];
    for (const call of calls) expectClose(flat(call()), onMlx(() => flat(call())), 2e-5, 'transposed');
  });
});

describe('conv1d, conv2d, convGeneral and convolve against MLX', () => {
  const both = (shape: number[], seed: number): [MxArray, unknown] => {
    const v = data(shape, seed);
    return [mx.reshape(mx.array(v), shape), real.reshape(real.array(v), shape)];
  };
  const same = (ours: MxArray, theirs: { tolist(): unknown; shape: number[] }, what: string) => {
    expect(ours.shape, what).toEqual(theirs.shape);
    expectClose(flat(ours), flat(theirs), 2e-5, what);
  };
  it('conv1d with stride, padding, dilation and groups', () => {
    const [x, rx] = both([2, 12, 6], 5), [w, rw] = both([4, 3, 3], 6);
    same(mx.conv1d(x, w, 2, 1, 2, 2), real.conv1d(rx, rw, 2, 1, 2, 2), 'conv1d');
    const [wd, rwd] = both([12, 3, 1], 7);
    same(mx.conv1d(x, wd, 1, 1, 1, 6), real.conv1d(rx, rwd, 1, 1, 1, 6), 'depthwise conv1d');
  });
  it('conv2d with per-axis stride, padding and dilation', () => {
    const [x, rx] = both([2, 9, 8, 5], 8), [w, rw] = both([7, 3, 2, 5], 9);
    same(mx.conv2d(x, w), real.conv2d(rx, rw), 'conv2d defaults');
    same(mx.conv2d(x, w, [2, 1], [1, 2], [2, 1]), real.conv2d(rx, rw, [2, 1], [1, 2], [2, 1]), 'conv2d');
    same(mx.conv2d(x, w, 2, 1, 1), real.conv2d(rx, rw, 2, 1, 1), 'conv2d scalar arguments');
  });
  it('conv3d', () => {
    const [x, rx] = both([1, 5, 4, 6, 3], 10), [w, rw] = both([2, 2, 3, 2, 3], 11);
    same(mx.conv3d(x, w, [1, 1, 2], 1), real.conv3d(rx, rw, [1, 1, 2], 1), 'conv3d');
  });
  it('convGeneral with (low, high) padding, input dilation and flip', () => {
    const [x, rx] = both([2, 7, 8, 4], 12), [w, rw] = both([6, 3, 2, 4], 13);
    same(mx.convGeneral(x, w, [1, 2], [[1, 0], [2, 1]], [2, 1], [2, 1], 1, true), real.convGeneral(rx, rw, [1, 2], [[1, 0], [2, 1]], [2, 1], [2, 1], 1, true), 'convGeneral');
  });
  it('convolve in each mode, either argument longer', () => {
    const a = [1, 2, -3, 4, 0.5, 6], v = [0.5, -1, 2, 3];
    for (const mode of ['full', 'same', 'valid'] as const) {
      same(mx.convolve(mx.array(a), mx.array(v), mode), real.convolve(real.array(a), real.array(v), mode), `convolve ${mode}`);
      same(mx.convolve(mx.array(v), mx.array(a), mode), real.convolve(real.array(v), real.array(a), mode), `convolve ${mode} swapped`);
    }
    // NumPy: convolve([1, 2, 3], [0, 1, 0.5]) = [0, 1, 2.5, 4, 1.5]
    expect(flat(mx.convolve(mx.array([1, 2, 3]), mx.array([0, 1, 0.5])))).toEqual([0, 1, 2.5, 4, 1.5]);
  });
});

describe('transposed convolutions against the scatter definition', () => {
  const T: Array<[string, number[], number[], number[], number[], number[], number[], number]> = [
    ['1-d stride 2', [2, 5, 3], [4, 3, 3], [2], [0], [1], [0], 1],
    ['1-d padding, dilation, output padding', [1, 6, 2], [3, 3, 2], [3], [1], [2], [2], 1],
    ['2-d groups', [2, 4, 3, 4], [6, 3, 2, 2], [2, 1], [1, 0], [1, 2], [1, 0], 2],
    ['3-d', [1, 3, 2, 3, 2], [2, 2, 2, 3, 2], [2, 1, 2], [0, 1, 1], [1, 1, 1], [1, 0, 0], 1],
  ];
  const fns = [mx.convTranspose1d, mx.convTranspose2d, mx.convTranspose3d] as const;
  for (const [name, xs, ws, s, p, d, op, g] of T)
    it(name, () => {
      const x = data(xs, 20), w = data(ws, 21);
      const want = convTransposeRef(x, xs, w, ws, s, p, d, op, g);
      const fn = fns[xs.length - 3] as (...a: unknown[]) => MxArray;
      const got = fn(f64(x, xs), f64(w, ws), xs.length === 3 ? s[0] : s, xs.length === 3 ? p[0] : p, xs.length === 3 ? d[0] : d, xs.length === 3 ? op[0] : op, g);
      expect(got.shape).toEqual(want.shape);
      expectClose(flat(got), want.values, 1e-12, name);
    });
});

describe('conv gradients', () => {
  // loss = sum(sin(conv(x, w))), whose gradients reach every input and tap
  const loss = (s: Spec) => (x: MxArray, w: MxArray) => mx.sum(mx.sin(general(x, w, s)));
  function finiteDifferences(f: (x: MxArray, w: MxArray) => MxArray, x: number[], xs: number[], w: number[], ws: number[], which: 0 | 1, picks: number[]): number[] {
    const h = 1e-6;
    return picks.map((i) => {
      const at = (delta: number) => {
        const v = [...(which ? w : x)];
        v[i] += delta;
        return (which ? f(f64(x, xs), f64(v, ws)) : f(f64(v, xs), f64(w, ws))).item() as number;
      };
      return (at(h) - at(-h)) / (2 * h);
    });
  }
  const gradCases = CASES.filter(([name]) => !name.includes('wide'));
  for (const [name, xs, ws, s] of gradCases)
    it(`${name}: input and weight against finite differences`, () => {
      const x = data(xs, 30), w = data(ws, 31), f = loss(s);
      const [gx, gw] = mx.grad(f, [0, 1])(f64(x, xs), f64(w, ws)) as MxArray[];
      expect(gx.shape).toEqual(xs);
      expect(gw.shape).toEqual(ws);
      const pick = (n: number) => [...new Set([0, 1, Math.floor(n / 3), Math.floor(n / 2), n - 2, n - 1].filter((i) => i >= 0 && i < n))];
      const px = pick(size(xs)), pw = pick(size(ws));
      expectClose(px.map((i) => flat(gx)[i]), finiteDifferences(f, x, xs, w, ws, 0, px), 1e-6, `${name} input`);
      expectClose(pw.map((i) => flat(gw)[i]), finiteDifferences(f, x, xs, w, ws, 1, pw), 1e-6, `${name} weight`);
    });

  it('matches MLX for conv2d with stride, padding and dilation (float32)', () => {
    const xs = [2, 7, 8, 4], ws = [6, 3, 2, 4], x = data(xs, 40), w = data(ws, 41);
    const run = (lib: Lib, X: unknown, W: unknown) => lib.grad((a: unknown, b: unknown) => lib.sum(lib.sin(lib.conv2d(a, b, [2, 1], [1, 2], [2, 1]))), [0, 1])(X, W);
    const [gx, gw] = run(mx, mx.reshape(mx.array(x), xs), mx.reshape(mx.array(w), ws)) as MxArray[];
    const [rx, rw] = run(real, real.reshape(real.array(x), xs), real.reshape(real.array(w), ws));
    expectClose(flat(gx), flat(rx), 2e-5, 'input gradient');
    expectClose(flat(gw), flat(rw), 2e-5, 'weight gradient');
  });

  it('transposed convolution gradients against finite differences', () => {
    const xs = [1, 4, 3, 2], ws = [3, 3, 2, 2], x = data(xs, 50), w = data(ws, 51);
    const f = (a: MxArray, b: MxArray) => mx.sum(mx.sin(mx.convTranspose2d(a, b, [2, 1], [1, 0], 1, [1, 0])));
    const [gx, gw] = mx.grad(f, [0, 1])(f64(x, xs), f64(w, ws)) as MxArray[];
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    expectClose(flat(gx), finiteDifferences(f, x, xs, w, ws, 0, all(size(xs))), 1e-6, 'input');
    expectClose(flat(gw), finiteDifferences(f, x, xs, w, ws, 1, all(size(ws))), 1e-6, 'weight');
  });

  it('second derivatives (gradients of gradients) against finite differences', () => {
    const xs = [1, 5, 4, 2], ws = [4, 2, 3, 1], s = spec(2, { groups: 2, stride: [2, 1], lo: [1, 0], hi: [0, 1], kd: [1, 2] });
    const x = data(xs, 32), w = data(ws, 33), c = f64(data(ws, 34), ws);
    // h(x, w) = <dL/dw, c>: differentiating it goes through the weight cotangent's own vjp
    const h = (a: MxArray, b: MxArray) => mx.sum(mx.multiply(mx.grad(loss(s), 1)(a, b) as MxArray, c));
    const [hx, hw] = mx.grad(h, [0, 1])(f64(x, xs), f64(w, ws)) as MxArray[];
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    expectClose(flat(hx), finiteDifferences(h, x, xs, w, ws, 0, all(size(xs))), 1e-6, 'd/dx');
    expectClose(flat(hw), finiteDifferences(h, x, xs, w, ws, 1, all(size(ws))), 1e-6, 'd/dw');
  });

  it('half-type gradients keep the primal dtypes', () => {
    const x = mx.reshape(mx.array(data([1, 5, 4], 60), mx.float16), [1, 5, 4]), w = mx.reshape(mx.array(data([2, 3, 4], 61)), [2, 3, 4]);
    const [gx, gw] = mx.grad((a: MxArray, b: MxArray) => mx.sum(mx.conv1d(a, b)), [0, 1])(x, w) as MxArray[];
    expect([gx.dtype, gw.dtype]).toEqual([mx.float16, mx.float32]);
  });
});

describe('vmap of a convolution', () => {
  it('maps over a batch of inputs and of weights as a loop would', () => {
    const xs = data([3, 2, 6, 2], 70), ws = data([3, 4, 3, 2], 71);
    const X = mx.reshape(mx.array(xs), [3, 2, 6, 2]), W = mx.reshape(mx.array(ws), [3, 4, 3, 2]);
    const mapped = mx.vmap((x: MxArray, w: MxArray) => mx.conv1d(x, w, 1, 1))(X, W);
    const loop = mx.stack([0, 1, 2].map((i) => mx.conv1d(mx.take(X, mx.array(i, mx.int32), 0), mx.take(W, mx.array(i, mx.int32), 0), 1, 1)), 0);
    expect(mapped.shape).toEqual([3, 2, 6, 4]);
    expectClose(flat(mapped), flat(loop), 1e-6, 'vmap');
  });
  it('maps over inputs under one weight, on any input axis', () => {
    const X = mx.reshape(mx.array(data([2, 5, 7, 3], 72)), [2, 5, 7, 3]), W = mx.reshape(mx.array(data([4, 2, 3], 73)), [4, 2, 3]);
    const mapped = mx.vmap((x: MxArray) => mx.conv1d(x, W, 2), 1)(X);
    const loop = mx.stack([0, 1, 2, 3, 4].map((i) => mx.conv1d(mx.take(X, mx.array(i, mx.int32), 1), W, 2)), 0);
    expect(mapped.shape).toEqual([5, 2, 3, 4]);
    expectClose(flat(mapped), flat(loop), 1e-6, 'vmap over axis 1');
  });
});

describe('conv errors are typed and name the argument', () => {
  const x = mx.zeros([2, 8, 8, 4]);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['channel mismatch', () => mx.conv2d(x, mx.zeros([3, 3, 3, 5])), /\[conv2d\] weight: its 5 input channels times groups 1 must equal the input's 4 channels/],
    ['groups not dividing the channels', () => mx.conv2d(x, mx.zeros([3, 3, 3, 1]), 1, 0, 1, 3), /\[conv2d\] groups: the input's 4 channels are not divisible by groups 3/],
    ['groups not dividing the output channels', () => mx.conv2d(x, mx.zeros([3, 3, 3, 2]), 1, 0, 1, 2), /output channels are not divisible by groups 2/],
    ['wrong input rank', () => mx.conv2d(mx.zeros([8, 8, 4]), mx.zeros([3, 3, 3, 4])), /\[conv2d\] input: must have 4 dimensions/],
    ['wrong weight rank', () => mx.conv1d(mx.zeros([2, 8, 4]), mx.zeros([3, 4])), /\[conv1d\] weight: must have 3 dimensions/],
    ['integer input', () => mx.conv1d(mx.zeros([2, 8, 4], mx.int32), mx.zeros([3, 2, 4], mx.int32)), /\[conv1d\] input: convolutions take real floating types, not int32/],
    ['kernel longer than the padded input', () => mx.conv1d(mx.zeros([2, 3, 4]), mx.zeros([3, 5, 4])), /\[conv1d\] input: spatial axis 0 is 3 long/],
    ['zero stride', () => mx.conv2d(x, mx.zeros([3, 3, 3, 4]), 0), /\[conv2d\] stride: must be integers of at least 1, got 0/],
    ['stride of the wrong length', () => mx.conv2d(x, mx.zeros([3, 3, 3, 4]), [1, 1, 1]), /\[conv2d\] stride: has 3 values for 2 spatial axes/],
    ['convolve of a matrix', () => mx.convolve(mx.zeros([2, 2]), mx.zeros([2])), /\[convolve\] a: must be 1-D/],
    ['convolve mode', () => mx.convolve(mx.zeros([4]), mx.zeros([2]), 'middle' as 'full'), /\[convolve\] mode: must be 'full', 'same' or 'valid'/],
  ];
  for (const [name, call, message] of cases)
    it(name, () => {
      expect(call).toThrow(MxError);
      expect(call).toThrow(message);
    });
});

describe('nn convolution layers', () => {
  const nn = mlx.nn;
  it('have MLX v0.31.2\'s parameters, initial scale and printed form', () => {
    mx.random.seed(3);
    const c = new nn.Conv2d(6, 8, [3, 2], 1, 1, 1, 2);
    expect(Object.entries(c.parameters()).map(([k, v]) => [k, (v as MxArray).shape])).toEqual([['weight', [8, 3, 2, 3]], ['bias', [8]]]);
    const bound = Math.sqrt(1 / (6 * 3 * 2)), w = flat(c.weight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(flat(c.bias!)).toEqual(new Array(8).fill(0));
    expect(String(c)).toBe('Conv2d(6, 8, kernel_size=(3, 2), stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=2, bias=true)');
    expect(new nn.ConvTranspose1d(2, 3, 4, 2, 1, 1, 1, false).parameters()).not.toHaveProperty('bias');
    expect(String(new nn.ConvTranspose1d(2, 3, 4, 2))).toBe('ConvTranspose1d(2, 3, kernel_size=4, stride=2, padding=0, dilation=1, output_padding=0, bias=true)');
  });

  it('compute the functional convolution plus the bias', () => {
    const x = mx.reshape(mx.array(data([2, 5, 6, 4], 80)), [2, 5, 6, 4]);
    const layers: Array<[MxArray, MxArray]> = [];
    const c2 = new nn.Conv2d(4, 6, 3, [2, 1], 1, 1, 2);
    c2.update({ bias: mx.arange(6) });
    layers.push([c2.forward(x), mx.add(mx.conv2d(x, c2.weight, [2, 1], 1, 1, 2), mx.arange(6))]);
    const t2 = new nn.ConvTranspose2d(4, 3, 2, 2, 0, 1, 1);
    layers.push([t2.forward(x), mx.convTranspose2d(x, t2.weight, 2, 0, 1, 1)]);
    const x3 = mx.reshape(x, [2, 5, 3, 2, 4]);
    const c3 = new nn.Conv3d(4, 2, 2, 1, [1, 0, 0]);
    layers.push([c3.forward(x3), mx.conv3d(x3, c3.weight, 1, [1, 0, 0])]);
    const x1 = mx.reshape(x, [2, 30, 4]);
    const t1 = new nn.ConvTranspose1d(4, 2, 3, 3, 1, 2, 1);
    layers.push([t1.forward(x1), mx.convTranspose1d(x1, t1.weight, 3, 1, 2, 1)]);
    const c1 = new nn.Conv1d(4, 4, 3, 1, 1, 1, 4);
    layers.push([c1.forward(x1), mx.conv1d(x1, c1.weight, 1, 1, 1, 4)]);
    const t3 = new nn.ConvTranspose3d(4, 2, [1, 2, 2]);
    layers.push([t3.forward(x3), mx.convTranspose3d(x3, t3.weight)]);
    for (const [got, want] of layers) {
      expect(got.shape).toEqual(want.shape);
      expectClose(flat(got), flat(want), 1e-6, 'layer');
    }
  });

  it('raise typed errors naming the layer and the argument', () => {
    expect(() => new nn.Conv2d(4, 6, 3, 1, 0, 1, 3)).toThrow(/\[Conv2d\] groups: the 4 input channels are not divisible by groups 3/);
    expect(() => new nn.Conv1d(4, 6, 0)).toThrow(/\[Conv1d\] kernelSize: must be positive/);
    expect(() => new nn.Conv3d(4, 6, [3, 3])).toThrow(/\[Conv3d\] kernelSize: expected 3 non-negative integers/);
    expect(() => new nn.Conv2d(3, 4, 3).forward(mx.zeros([1, 5, 5, 2]))).toThrow(/\[Conv2d\] x: expected \(N, 2 spatial axes, 3 channels\), got shape \(1,5,5,2\)/);
  });

  it('train: a gradient step lowers the loss', () => {
    mx.random.seed(5);
    const c = new nn.Conv2d(2, 3, 3, 1, 1);
    const x = mx.reshape(mx.array(data([4, 6, 6, 2], 90)), [4, 6, 6, 2]), target = mx.reshape(mx.array(data([4, 6, 6, 3], 91)), [4, 6, 6, 3]);
    const lossFn = (inp: MxArray) => mx.mean(mx.square(mx.subtract(c.forward(inp), target)));
    const step = nn.valueAndGrad(c, lossFn);
    const [before, grads] = step(x) as [MxArray, Record<string, MxArray>];
    c.update({ weight: mx.subtract(c.weight, mx.multiply(grads.weight, 0.5)), bias: mx.subtract(c.bias!, mx.multiply(grads.bias, 0.5)) });
    expect(lossFn(x).item() as number).toBeLessThan(before.item() as number);
  });
});

describe('the engine checks conv_general requests itself', () => {
  const session = new Session();
  const attrs = (o: Record<string, unknown> = {}) => ({ stride: [1], padding_lo: [0], padding_hi: [0], kernel_dilation: [1], input_dilation: [1], ...o });
  const request = (xs: number[], ws: number[], a: Record<string, unknown>, dtype = 'float32') => ({
    schema_version: 1 as const,
    inputs: [
      { id: 'x', dtype, shape: xs, data: new Array(size(xs)).fill(1) },
      { id: 'w', dtype, shape: ws, data: new Array(size(ws)).fill(1) },
    ],
    nodes: [{ id: 'y', op: 'conv_general', inputs: ['x', 'w'], attrs: a }],
    outputs: ['y'],
  });
  const fails = (req: ReturnType<typeof request>, code: string, path: string, message: RegExp) => {
    try {
      session.evalJson(req);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MlxRequestError);
      expect([(e as MlxRequestError).code, (e as MlxRequestError).path]).toEqual([code, path]);
      expect((e as Error).message).toMatch(message);
    }
  };
  it('answers a valid request', () => {
    expect(session.evalJson(request([1, 4, 2], [1, 2, 2], attrs())).outputs[0].data).toEqual([4, 4, 4]);
  });
  it('rejects bad shapes and attributes with a path', () => {
    fails(request([1, 4, 2], [1, 2, 3], attrs()), 'invalid_shape', '/nodes/0/inputs/1', /input channels times groups 1 must equal the input's 2 channels/);
    fails(request([1, 4, 4], [3, 2, 2], attrs({ groups: 2 })), 'invalid_shape', '/nodes/0/inputs/1', /output channels are not divisible by groups 2/);
    fails(request([4, 2], [1, 2], attrs()), 'invalid_shape', '/nodes/0/inputs/0', /\(N, spatial\.\.\., C\)/);
    fails(request([1, 4, 2], [1, 2, 2], attrs({ stride: [0] })), 'invalid_attr', '/nodes/0/attrs/stride', /at least 1/);
    fails(request([1, 4, 2], [1, 2, 2], attrs({ stride: [1, 1] })), 'invalid_attr', '/nodes/0/attrs/stride', /2 values for 1 spatial axes/);
    fails(request([1, 2, 2], [1, 4, 2], attrs()), 'invalid_shape', '/nodes/0/inputs/0', /shorter than the dilated kernel's 4/);
  });
  it('refuses integer dtypes and sizes that overflow', () => {
    expect(() => session.evalJson(request([1, 4, 2], [1, 2, 2], attrs(), 'int32'))).toThrow(MlxRefusedError);
    // the dilated kernel spans (3 - 1) 2^62 + 1 positions: more than 64 bits hold
    expect(() => session.evalJson(request([1, 4, 2], [1, 3, 2], attrs({ kernel_dilation: [2 ** 62] })))).toThrow(/overflows a 64-bit size/);
  });
});
