// mx.fft, mx.linalg and complex64. FFTs are checked against a direct DFT in
// float64 written here (odd sizes, primes past the direct radices, n shorter
// and longer than the axis, size-1 and empty axes, every norm) and against
// real MLX (@frost-beta/mlx, MLX 0.13, which has no norm argument); the
// factorizations against the math they promise (A = QR with Q orthonormal,
// A = U S Vt, A inv(A) = I, L L^T = A, L[P] U = A, A v = v w, ...) in float32
// and float64, batched, and inv, qr, svd and cholesky against real MLX;
// gradients against central differences, and MLX's fft rules against its own.
import { describe, expect, it } from 'vitest';
import { MlxRequestError } from 'mlx-capi-bridge';
import mlx, { MxError, type MxArray } from '../src/index.js';
import { real, rng } from './oracle.js';

const mx = mlx.core;

type Cx = [number, number];
const flat = (a: { tolist(): unknown }): unknown[] => [a.tolist()].flat(Infinity);
const nums = (a: MxArray): number[] => flat(a).map(Number);
// complex64 lists hold {re, im} objects
const cx = (a: MxArray): Cx[] => flat(a).map((v) => (typeof v === 'object' && v !== null ? [(v as { re: number }).re, (v as { im: number }).im] : [Number(v), 0]));

function data(n: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => r() * 2 - 1);
}

function close(got: number[], want: number[], tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  const scale = want.reduce((m, w) => Math.max(m, Math.abs(w)), 1);
  let worst = 0;
  got.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - want[i]))));
  expect(worst / scale, what).toBeLessThanOrEqual(tol);
}
const closeCx = (got: Cx[], want: Cx[], tol: number, what: string) => close(got.flat(), want.flat(), tol, what);

// The DFT of one line in float64: sum_j x_j exp(-+2 pi i j k / n).
function dft(x: Cx[], inverse: boolean): Cx[] {
  const n = x.length, s = inverse ? 1 : -1;
  return Array.from({ length: n }, (_, k) => {
    let re = 0, im = 0;
    x.forEach(([a, b], j) => {
      const t = (s * 2 * Math.PI * ((j * k) % n)) / n;
      re += a * Math.cos(t) - b * Math.sin(t);
      im += a * Math.sin(t) + b * Math.cos(t);
    });
    return [re, im] as Cx;
  });
}

// The same DFT by recursion over the smallest factor (decimation in time),
// in float64: for lines too long for the direct sum.
function fft64(x: Cx[], inverse: boolean): Cx[] {
  const n = x.length;
  if (n === 1) return [x[0]];
  let p = 2;
  while (n % p) p++;
  if (p === n) return dft(x, inverse);
  const m = n / p, s = inverse ? 1 : -1;
  const subs = Array.from({ length: p }, (_, j) => fft64(Array.from({ length: m }, (_, t) => x[j + p * t]), inverse));
  return Array.from({ length: n }, (_, k) => {
    let re = 0, im = 0;
    for (let j = 0; j < p; j++) {
      const [a, b] = subs[j][k % m], t = (s * 2 * Math.PI * ((j * k) % n)) / n;
      re += a * Math.cos(t) - b * Math.sin(t);
      im += a * Math.sin(t) + b * Math.cos(t);
    }
    return [re, im] as Cx;
  });
}

// A row-major array of complex values, transformed along `axis` with size n (padded or cut).
function dftAxis(x: Cx[], shape: number[], axis: number, n: number, inverse: boolean, scale: number): { v: Cx[]; shape: number[] } {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1), inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1), len = shape[axis];
  const out: Cx[] = new Array(outer * n * inner);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const line = Array.from({ length: n }, (_, k) => (k < len ? x[(o * len + k) * inner + i] : ([0, 0] as Cx)));
      dft(line, inverse).forEach(([a, b], k) => (out[(o * n + k) * inner + i] = [a * scale, b * scale]));
    }
  const s = [...shape];
  s[axis] = n;
  return { v: out, shape: s };
}

describe('mx.fft against a float64 DFT', () => {
  const sizes = [1, 2, 3, 4, 5, 7, 8, 12, 13, 16, 60, 64, 67, 97, 100, 128, 131, 256, 1000];
  it('fft and ifft of every size, prime lengths past the direct radices included', () => {
    for (const n of sizes) {
      const re = data(n, n), im = data(n, n + 1000);
      const x: Cx[] = re.map((v, i) => [v, im[i]]);
      const a = mx.add(mx.array(re), mx.multiply(mx.array(im), mx.array(mx.Complex(0, 1))));
      closeCx(cx(mx.fft.fft(a)), dft(x, false), 2e-6 * Math.log2(n + 1), `fft ${n}`);
      closeCx(cx(mx.fft.ifft(a)), dft(x, true).map(([p, q]) => [p / n, q / n]), 2e-6 * Math.log2(n + 1), `ifft ${n}`);
    }
  });

  it('n shorter and longer than the axis, along any axis, and every norm', () => {
    const shape = [3, 10, 4];
    const v = data(120, 7);
    const x: Cx[] = v.map((r) => [r, 0]);
    const a = mx.reshape(mx.array(v), shape);
    for (const axis of [0, 1, 2, -1])
      for (const n of [1, 3, 10, 17, 32]) {
        const ax = (axis + 3) % 3;
        for (const norm of ['backward', 'ortho', 'forward'] as const) {
          const f = norm === 'backward' ? 1 : norm === 'ortho' ? 1 / Math.sqrt(n) : 1 / n;
          const want = dftAxis(x, shape, ax, n, false, f);
          const got = mx.fft.fft(a, n, axis, norm);
          expect(got.shape).toEqual(want.shape);
          closeCx(cx(got), want.v, 1e-5, `fft n=${n} axis=${axis} ${norm}`);
          const inv = mx.fft.ifft(a, n, axis, norm);
          const fi = norm === 'backward' ? 1 / n : norm === 'ortho' ? 1 / Math.sqrt(n) : 1;
          closeCx(cx(inv), dftAxis(x, shape, ax, n, true, fi).v, 1e-5, `ifft n=${n} axis=${axis} ${norm}`);
        }
      }
  });

  it('rfft and irfft, odd and even n, truncation and padding', () => {
    for (const len of [1, 2, 5, 8, 9, 67, 100]) {
      const v = data(len, len + 5);
      for (const n of [len, len + 3, Math.max(1, len - 1)]) {
        const full = dft(Array.from({ length: n }, (_, k) => [k < len ? v[k] : 0, 0] as Cx), false);
        const got = mx.fft.rfft(mx.array(v), n);
        expect(got.shape).toEqual([Math.floor(n / 2) + 1]);
        closeCx(cx(got), full.slice(0, Math.floor(n / 2) + 1), 2e-6 * Math.log2(n + 2), `rfft ${len} n=${n}`);
        // irfft of the half spectrum gives the (padded or cut) signal back
        const back = mx.fft.irfft(got, n);
        close(nums(back), Array.from({ length: n }, (_, k) => (k < len ? v[k] : 0)), 1e-5, `irfft ${len} n=${n}`);
      }
    }
    // irfft's default length is 2 (m - 1); imaginary parts of the ends are ignored
    const h = mx.array([mx.Complex(4, 9), mx.Complex(1, 2), mx.Complex(0, 0), mx.Complex(-1, 7)]);
    const want = dft([[4, 0], [1, 2], [0, 0], [-1, 0], [0, 0], [1, -2]], true).map(([p]) => p / 6);
    close(nums(mx.fft.irfft(h)), want, 1e-6, 'irfft default n');
  });

  it('rfft of long and batched even lines (n/2 packed pairs) equals the complex transform, halved', () => {
    for (const shape of [[1 << 16], [3, 4096], [2, 2 * 3 * 5 * 7]]) {
      const a = mx.random.normal(shape, mx.float32, 0, 1, mx.random.key(shape[0]));
      const n = shape[shape.length - 1], h = n / 2 + 1;
      const want = mx.slice(mx.fft.fft(a), [0], [shape.length - 1], [h]);
      const got = mx.fft.rfft(a);
      expect(got.shape).toEqual([...shape.slice(0, -1), h]);
      const err = mx.max(mx.abs(mx.subtract(got, want))).item() as number;
      expect(err).toBeLessThan(2e-5 * Math.sqrt(n) * Math.log2(n));
    }
  });

  it('one long line (its passes split over the threads) against a float64 FFT: fft, ifft, rfft, irfft', () => {
    for (const n of [1 << 17, 3 << 15, 5 * 7 << 10]) {
      const v = data(n, n), w = data(n, n + 1);
      const x: Cx[] = v.map((r, i) => [r, w[i]]);
      const a = mx.add(mx.array(v), mx.multiply(mx.array(w), mx.array(new mx.Complex(0, 1))));
      const tol = 2e-6 * Math.log2(n);
      closeCx(cx(mx.fft.fft(a)), fft64(x, false), tol, `fft ${n}`);
      closeCx(cx(mx.fft.ifft(a)), fft64(x, true).map(([re, im]) => [re / n, im / n] as Cx), tol, `ifft ${n}`);
      const real: Cx[] = v.map((r) => [r, 0]);
      closeCx(cx(mx.fft.rfft(mx.array(v))), fft64(real, false).slice(0, n / 2 + 1), tol, `rfft ${n}`);
      // irfft of the rfft of a real line gives it back
      close(nums(mx.fft.irfft(mx.fft.rfft(mx.array(v)), n)), v, tol, `irfft ${n}`);
    }
    // a prime length (Bluestein, over a power of two of 2^18): a round trip and Parseval's sum
    const n = 65537, v = data(n, 5);
    const f = mx.fft.fft(mx.array(v));
    close(nums(mx.real(mx.fft.ifft(f))), v, 1e-5, 'Bluestein round trip');
    const energy = v.reduce((t, r) => t + r * r, 0);
    expect(Math.abs((mx.sum(mx.square(mx.abs(f))).item() as number) / n - energy) / energy).toBeLessThan(1e-5);
  });

  it('fft2, fftn, rfft2, rfftn, irfftn over axes and sizes', () => {
    const shape = [2, 5, 6];
    const v = data(60, 3);
    const a = mx.reshape(mx.array(v), shape);
    const x: Cx[] = v.map((r) => [r, 0]);
    let want = dftAxis(x, shape, 1, 5, false, 1);
    want = dftAxis(want.v, want.shape, 2, 6, false, 1);
    closeCx(cx(mx.fft.fft2(a)), want.v, 1e-5, 'fft2');
    closeCx(cx(mx.fft.fftn(a, null, [1, 2])), want.v, 1e-5, 'fftn axes');
    let all = dftAxis(x, shape, 0, 2, false, 1);
    all = dftAxis(all.v, all.shape, 1, 5, false, 1);
    all = dftAxis(all.v, all.shape, 2, 6, false, 1);
    closeCx(cx(mx.fft.fftn(a)), all.v, 1e-5, 'fftn all axes');
    // sizes s with default axes: the last len(s) axes, padded and cut
    let sized = dftAxis(x, shape, 1, 3, false, 1);
    sized = dftAxis(sized.v, sized.shape, 2, 8, false, 1);
    const got = mx.fft.fftn(a, [3, 8]);
    expect(got.shape).toEqual([2, 3, 8]);
    closeCx(cx(got), sized.v, 1e-5, 'fftn s');
    // rfft2: the real transform along the last axis, halved
    const r2 = mx.fft.rfft2(a);
    expect(r2.shape).toEqual([2, 5, 4]);
    const half = want.v.filter((_, i) => i % 6 < 4);
    closeCx(cx(r2), half, 1e-5, 'rfft2');
    close(nums(mx.fft.irfft2(r2, [5, 6])), v, 1e-5, 'irfft2 round trip');
    close(nums(mx.fft.irfftn(mx.fft.rfftn(a))), v, 1e-5, 'irfftn round trip');
    const odd = mx.fft.rfftn(a, [4, 5], [0, 2]);
    expect(odd.shape).toEqual([4, 5, 3]);
    close(nums(mx.fft.irfftn(odd, [4, 5], [0, 2])), nums(mx.pad(mx.fft.irfftn(mx.fft.rfftn(a, [2, 5], [0, 2]), [2, 5], [0, 2]), [[0, 2], [0, 0], [0, 0]])), 1e-5, 'irfftn odd n');
  });

  it('empty and size-1 axes, and bad sizes and axes', () => {
    const e = mx.zeros([0, 4]);
    expect(mx.fft.fft(e).shape).toEqual([0, 4]);
    expect(mx.fft.rfft(e).shape).toEqual([0, 3]);
    expect(mx.fft.fft(mx.zeros([3, 1])).tolist()).toEqual([[{ re: 0, im: 0 }], [{ re: 0, im: 0 }], [{ re: 0, im: 0 }]]);
    expect(() => mx.fft.fft(e, null, 0)).toThrow(MxError);
    expect(() => mx.fft.fft(mx.ones([4]), 0)).toThrow(/sizes must be positive/);
    expect(() => mx.fft.fft(mx.ones([4]), 2, 1)).toThrow(/axis 1 is out of range/);
    expect(() => mx.fft.fftn(mx.ones([4, 4]), [2, 2, 2], [0, 1])).toThrow(/3 sizes for 2 axes/);
    expect(() => mx.fft.fft2(mx.ones([4, 4]), null, [0, 0])).toThrow(/duplicate/);
    expect(() => mx.fft.rfft(mx.array([mx.Complex(1, 1)]))).toThrow(/must be real/);
    expect(() => mx.fft.fft(mx.ones([4]), null, -1, 'none' as 'ortho')).toThrow(/"backward", "ortho" or "forward"/);
  });

  it('fftshift, ifftshift, fftfreq and rfftfreq by their definitions', () => {
    for (const n of [1, 2, 5, 8]) {
      const a = mx.arange(n);
      const k = Math.floor(n / 2);
      expect(nums(mx.fft.fftshift(a))).toEqual(Array.from({ length: n }, (_, i) => (i - k + n) % n));
      expect(nums(mx.fft.ifftshift(mx.fft.fftshift(a)))).toEqual(Array.from({ length: n }, (_, i) => i));
      const want = Array.from({ length: n }, (_, i) => (i < Math.ceil(n / 2) ? i : i - n) / (n * 0.5));
      close(nums(mx.fft.fftfreq(n, 0.5)), want, 1e-7, `fftfreq ${n}`);
      close(nums(mx.fft.rfftfreq(n)), Array.from({ length: k + 1 }, (_, i) => i / n), 1e-7, `rfftfreq ${n}`);
    }
    const m = mx.reshape(mx.arange(12), [3, 4]);
    expect(mx.fft.fftshift(m, 1).tolist()).toEqual([[2, 3, 0, 1], [6, 7, 4, 5], [10, 11, 8, 9]]);
    expect(mx.fft.fftshift(m, [0]).tolist()).toEqual([[8, 9, 10, 11], [0, 1, 2, 3], [4, 5, 6, 7]]);
  });
});

describe('mx.fft against real MLX', () => {
  it('fft, ifft, rfft, irfft, fft2, fftn, rfftn, irfftn with n and axes', () => {
    const v = data(4 * 9, 11);
    const ours = mx.reshape(mx.array(v), [4, 9]), theirs = real.reshape(real.array(v), [4, 9]);
    const pairs: Array<[string, MxArray, { tolist(): unknown }]> = [
      ['fft', mx.fft.fft(ours), real.fft.fft(theirs)],
      ['fft n=5 axis=0', mx.fft.fft(ours, 5, 0), real.fft.fft(theirs, 5, 0)],
      ['ifft n=12', mx.fft.ifft(ours, 12), real.fft.ifft(theirs, 12)],
      ['rfft', mx.fft.rfft(ours), real.fft.rfft(theirs)],
      ['rfft n=6 axis=0', mx.fft.rfft(ours, 6, 0), real.fft.rfft(theirs, 6, 0)],
      ['irfft', mx.fft.irfft(mx.fft.rfft(ours)), real.fft.irfft(real.fft.rfft(theirs))],
      ['fft2', mx.fft.fft2(ours), real.fft.fft2(theirs)],
      ['fftn', mx.fft.fftn(ours), real.fft.fftn(theirs)],
      // MLX 0.13's ifft2 with sizes computes the forward transform, and its
      // rfft2 and rfftn return the whole spectrum: the DFT reference above covers them
    ];
    for (const [what, a, b] of pairs) {
      const want = [b.tolist()].flat(Infinity).map((z) => (typeof z === 'object' && z !== null ? [(z as { re: number }).re, (z as { im: number }).im] : [Number(z), 0])) as Cx[];
      closeCx(cx(a), want, 1e-5, what);
    }
  });

  it("gradients follow MLX's rules (irfft's unnormalized, weighted 1, 2, ..., 2, 1)", () => {
    const g = [1, -2, 3, 0.5, 2, -1];
    const s = [0.3, 1, -0.7, 2, 0.1, 0.4];
    const ours = mx.grad((x: MxArray) => mx.sum(mx.multiply(mx.fft.irfft(x), mx.array(g))))(mx.fft.rfft(mx.array(s)));
    const theirs = real.grad((x: ReturnType<typeof real.array>) => real.sum(real.multiply(real.fft.irfft(x), real.array(g))))(real.fft.rfft(real.array(s)));
    const want = [theirs.tolist()].flat(Infinity).map((z) => [(z as { re: number }).re, (z as { im: number }).im] as Cx);
    closeCx(cx(ours), want, 1e-5, 'irfft vjp');
  });
});

// Central differences of a scalar function of a float64 array.
function numericGrad(f: (x: MxArray) => MxArray, x: number[], shape: number[], dtype = mx.float64, h = 1e-6): number[] {
  return x.map((_, i) => {
    const p = x.slice(), m = x.slice();
    p[i] += h;
    m[i] -= h;
    const fp = f(mx.reshape(mx.array(p, dtype), shape)).item() as number, fm = f(mx.reshape(mx.array(m, dtype), shape)).item() as number;
    return (fp - fm) / (2 * h);
  });
}

describe('fft gradients against central differences', () => {
  it('fft, ifft and rfft of real inputs (through real and imag parts), every norm', () => {
    const v = data(7, 21), w1 = data(7, 22), w2 = data(4, 23);
    for (const norm of ['backward', 'ortho', 'forward'] as const) {
      const f1 = (x: MxArray) => mx.sum(mx.multiply(mx.fft.fft(x, null, -1, norm).real, mx.array(w1)));
      const f2 = (x: MxArray) => mx.sum(mx.multiply(mx.fft.ifft(x, null, -1, norm).imag, mx.array(w1)));
      const f3 = (x: MxArray) => mx.sum(mx.add(mx.multiply(mx.fft.rfft(x, null, -1, norm).imag, mx.array(w2)), mx.multiply(mx.fft.rfft(x, null, -1, norm).real, mx.array(w2))));
      for (const [f, what] of [[f1, 'fft'], [f2, 'ifft'], [f3, 'rfft']] as const) {
        const got = nums(mx.grad(f)(mx.array(v)));
        close(got, numericGrad(f, v, [7], mx.float32, 1e-2), 2e-3, `${what} ${norm}`);
      }
    }
  });
});

// --- linalg ---------------------------------------------------------------

type Mat = number[][];
const mat = (a: MxArray): Mat => a.tolist() as Mat;
const matmulRef = (a: Mat, b: Mat): Mat => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const tr = (a: Mat): Mat => a[0].map((_, j) => a.map((row) => row[j]));
const eyeRef = (n: number): Mat => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => +(i === j)));
const closeMat = (got: Mat, want: Mat, tol: number, what: string) => close(got.flat(), want.flat(), tol, what);

function randomMatrix(m: number, n: number, seed: number): Mat {
  const v = data(m * n, seed);
  return Array.from({ length: m }, (_, i) => v.slice(i * n, i * n + n));
}
// Symmetric positive definite: B B^T + n I.
function spd(n: number, seed: number): Mat {
  const b = randomMatrix(n, n, seed);
  return matmulRef(b, tr(b)).map((row, i) => row.map((v, j) => v + (i === j ? n : 0)));
}

const TOL = { float32: 2e-5, float64: 1e-12 };

describe('mx.linalg against the math', () => {
  for (const dtype of [mx.float32, mx.float64]) {
    const tol = TOL[dtype.name as 'float32' | 'float64'];
    it(`qr, svd, inv, pinv on square and rectangular matrices (${dtype.name})`, () => {
      for (const [m, n] of [[4, 4], [5, 3], [3, 5], [1, 1], [6, 1]]) {
        const A = randomMatrix(m, n, m * 10 + n);
        const a = mx.array(A, dtype);
        const [q, r] = mx.linalg.qr(a);
        const k = Math.min(m, n);
        expect(q.shape).toEqual([m, k]);
        expect(r.shape).toEqual([k, n]);
        closeMat(matmulRef(tr(mat(q)), mat(q)), eyeRef(k), 10 * tol, `Q^T Q ${m}x${n}`);
        closeMat(matmulRef(mat(q), mat(r)), A, 10 * tol, `QR ${m}x${n}`);
        mat(r).forEach((row, i) => row.forEach((v, j) => j < i && expect(v).toBe(0)));
        const [u, s, vt] = mx.linalg.svd(a);
        expect([u.shape, s.shape, vt.shape]).toEqual([[m, m], [k], [n, n]]);
        closeMat(matmulRef(tr(mat(u)), mat(u)), eyeRef(m), 10 * tol, `U orthonormal ${m}x${n}`);
        closeMat(matmulRef(mat(vt), tr(mat(vt))), eyeRef(n), 10 * tol, `V orthonormal ${m}x${n}`);
        const sv = nums(s);
        const us = mat(u).map((row) => row.slice(0, k).map((v, j) => v * sv[j]));
        closeMat(matmulRef(us, mat(vt).slice(0, k)), A, 10 * tol, `U S Vt ${m}x${n}`);
        sv.forEach((v, i) => i && expect(v).toBeLessThanOrEqual(sv[i - 1]));
        close(nums(mx.linalg.svd(a, false)), sv, 10 * tol, `S alone ${m}x${n}`);
        // Moore-Penrose: A P A = A, P A P = P, (A P)^T = A P
        const p = mat(mx.linalg.pinv(a));
        expect([p.length, p[0].length]).toEqual([n, m]);
        closeMat(matmulRef(matmulRef(A, p), A), A, 100 * tol, `A pinv A ${m}x${n}`);
        closeMat(matmulRef(matmulRef(p, A), p), p, 100 * tol, `pinv A pinv ${m}x${n}`);
        const ap = matmulRef(A, p);
        closeMat(tr(ap), ap, 100 * tol, `A pinv symmetric ${m}x${n}`);
        if (m === n) closeMat(matmulRef(A, mat(mx.linalg.inv(a))), eyeRef(n), 100 * tol, `A inv(A) ${n}`);
      }
    });

    it(`cholesky, cholesky_inv, tri_inv, solve, solve_triangular, lu, eigh, eig (${dtype.name})`, () => {
      const n = 5;
      const S = spd(n, 3);
      const s = mx.array(S, dtype);
      const L = mat(mx.linalg.cholesky(s)), U = mat(mx.linalg.cholesky(s, true));
      closeMat(matmulRef(L, tr(L)), S, 10 * tol * n, 'L L^T');
      closeMat(matmulRef(tr(U), U), S, 10 * tol * n, 'U^T U');
      L.forEach((row, i) => row.forEach((v, j) => j > i && expect(v).toBe(0)));
      closeMat(matmulRef(S, mat(mx.linalg.choleskyInv(mx.array(L, dtype)))), eyeRef(n), 100 * tol, 'cholesky_inv');
      closeMat(matmulRef(S, mat(mx.linalg.choleskyInv(mx.array(U, dtype), true))), eyeRef(n), 100 * tol, 'cholesky_inv upper');
      closeMat(matmulRef(L, mat(mx.linalg.triInv(mx.array(L, dtype)))), eyeRef(n), 100 * tol, 'tri_inv');
      closeMat(matmulRef(U, mat(mx.linalg.triInv(mx.array(U, dtype), true))), eyeRef(n), 100 * tol, 'tri_inv upper');
      const A = randomMatrix(n, n, 9), B = randomMatrix(n, 2, 10), b = data(n, 11);
      const a = mx.array(A, dtype);
      closeMat(matmulRef(A, mat(mx.linalg.solve(a, mx.array(B, dtype)))), B, 100 * tol, 'solve matrix');
      close(matmulRef(A, tr([nums(mx.linalg.solve(a, mx.array(b, dtype)))])).flat(), b, 100 * tol, 'solve vector');
      closeMat(matmulRef(L, mat(mx.linalg.solveTriangular(mx.array(L, dtype), mx.array(B, dtype)))), B, 100 * tol, 'solve_triangular');
      closeMat(matmulRef(U, mat(mx.linalg.solveTriangular(mx.array(U, dtype), mx.array(B, dtype), true))), B, 100 * tol, 'solve_triangular upper');
      for (const [m, k] of [[5, 5], [5, 3], [3, 5]]) {
        const M = randomMatrix(m, k, m + k);
        const [perm, l, u] = mx.linalg.lu(mx.array(M, dtype));
        expect(perm.dtype).toBe(mx.uint32);
        const P = nums(perm), Lm = mat(l);
        const lu = matmulRef(P.map((i) => Lm[i]), mat(u));
        closeMat(lu, M, 10 * tol, `L[P] U ${m}x${k}`);
        const [packed, piv] = mx.linalg.luFactor(mx.array(M, dtype));
        expect(piv.shape).toEqual([Math.min(m, k)]);
        // replaying the pivots on the rows of M gives the packed L U
        const rows = M.map((r) => r.slice());
        nums(piv).forEach((p, i) => ([rows[i], rows[p]] = [rows[p], rows[i]]));
        const pk = mat(packed), kk = Math.min(m, k);
        const lower = pk.map((row, i) => Array.from({ length: kk }, (_, j) => (j < i ? row[j] : i === j ? 1 : 0)));
        const upper = pk.slice(0, kk).map((row, i) => row.map((v, j) => (j >= i ? v : 0)));
        closeMat(matmulRef(lower, upper), rows, 10 * tol, `lu_factor ${m}x${k}`);
      }
      const [w, v] = mx.linalg.eigh(s);
      const wv = nums(w), V = mat(v);
      closeMat(matmulRef(S, V), V.map((row) => row.map((x, j) => x * wv[j])), 100 * tol, 'A V = V diag(w)');
      wv.forEach((x, i) => i && expect(x).toBeGreaterThanOrEqual(wv[i - 1]));
      close(nums(mx.linalg.eigvalsh(s)), wv, 10 * tol, 'eigvalsh');
      // the upper triangle is read with UPLO "U": a matrix whose lower triangle is garbage
      const garbage = S.map((row, i) => row.map((x, j) => (j < i ? 99 : x)));
      close(nums(mx.linalg.eigvalsh(mx.array(garbage, dtype), 'U')), wv, 10 * tol, 'eigvalsh U');
      // a rotation has eigenvalues +-i; a general matrix A v = v w in complex arithmetic
      const [ew, ev] = mx.linalg.eig(a);
      const W = cx(ew), VV = cx(ev);
      for (let j = 0; j < n; j++)
        for (let i = 0; i < n; i++) {
          let re = 0, im = 0;
          for (let t = 0; t < n; t++) {
            re += A[i][t] * VV[t * n + j][0];
            im += A[i][t] * VV[t * n + j][1];
          }
          const [vr, vi] = VV[i * n + j], [lr, li] = W[j];
          expect(Math.abs(re - (vr * lr - vi * li)) + Math.abs(im - (vr * li + vi * lr))).toBeLessThan(1e-4);
        }
      const rot = cx(mx.linalg.eigvals(mx.array([[0, -1], [1, 0]], dtype))).sort((p, q) => p[1] - q[1]);
      closeCx(rot, [[0, -1], [0, 1]], 1e-6, 'eigvals of a rotation');
    });
  }

  it('batched over leading axes, with broadcast right-hand sides', () => {
    const mats = [spd(3, 1), spd(3, 2), spd(3, 3), spd(3, 4)];
    const a = mx.reshape(mx.array(mats.flat(2), mx.float64), [2, 2, 3, 3]);
    const inv = mat(mx.reshape(mx.linalg.inv(a), [12, 3]) as MxArray);
    mats.forEach((m, i) => closeMat(matmulRef(m, inv.slice(3 * i, 3 * i + 3)), eyeRef(3), 1e-12, `batch inv ${i}`));
    const chol = mx.linalg.cholesky(a);
    expect(chol.shape).toEqual([2, 2, 3, 3]);
    const b = mx.array([1, 2, 3], mx.float64);
    const x = mx.linalg.solve(a, b);
    expect(x.shape).toEqual([2, 2, 3]);
    const xs = nums(x);
    mats.forEach((m, i) => close(matmulRef(m, tr([xs.slice(3 * i, 3 * i + 3)])).flat(), [1, 2, 3], 1e-12, `batch solve ${i}`));
    expect(mx.linalg.svd(mx.zeros([4, 0, 3]), false).shape).toEqual([4, 0]);
    expect(mx.linalg.inv(mx.zeros([0, 2, 2])).shape).toEqual([0, 2, 2]);
  });

  it('norm: every vector and matrix ord, over axes, with keepdims', () => {
    const A = randomMatrix(3, 4, 5);
    const a = mx.array(A, mx.float64);
    const flatA = A.flat();
    const absRow = A.map((r) => r.reduce((s, v) => s + Math.abs(v), 0)), absCol = tr(A).map((r) => r.reduce((s, v) => s + Math.abs(v), 0));
    const sv = nums(mx.linalg.svd(a, false));
    const checks: Array<[MxArray, number[]]> = [
      [mx.linalg.norm(a), [Math.hypot(...flatA)]],
      [mx.linalg.norm(a, 'fro'), [Math.hypot(...flatA)]],
      [mx.linalg.norm(a, 'nuc'), [sv.reduce((s, v) => s + v, 0)]],
      [mx.linalg.norm(a, Infinity), [Math.max(...absRow)]],
      [mx.linalg.norm(a, -Infinity), [Math.min(...absRow)]],
      [mx.linalg.norm(a, 1), [Math.max(...absCol)]],
      [mx.linalg.norm(a, -1), [Math.min(...absCol)]],
      [mx.linalg.norm(a, 2), [sv[0]]],
      [mx.linalg.norm(a, -2), [sv[sv.length - 1]]],
      [mx.linalg.norm(a, null, 1), A.map((r) => Math.hypot(...r))],
      [mx.linalg.norm(a, 1, 0), absCol],
      [mx.linalg.norm(a, Infinity, 1), A.map((r) => Math.max(...r.map(Math.abs)))],
      [mx.linalg.norm(a, -Infinity, 1), A.map((r) => Math.min(...r.map(Math.abs)))],
      [mx.linalg.norm(a, 0, 1), A.map((r) => r.filter((v) => v !== 0).length)],
      [mx.linalg.norm(a, 3, 1), A.map((r) => r.reduce((s, v) => s + Math.abs(v) ** 3, 0) ** (1 / 3))],
      [mx.linalg.norm(a, 0.5, 1), A.map((r) => r.reduce((s, v) => s + Math.abs(v) ** 0.5, 0) ** 2)],
      [mx.linalg.norm(a, 'fro', [1, 0]), [Math.hypot(...flatA)]],
      [mx.linalg.norm(a, Infinity, [1, 0]), [Math.max(...absCol)]],
      [mx.linalg.norm(mx.array(flatA, mx.float64), 1), [flatA.reduce((s, v) => s + Math.abs(v), 0)]],
    ];
    checks.forEach(([got, want], i) => close(nums(got), want, 1e-12, `norm case ${i}`));
    expect(mx.linalg.norm(a, 2, [0, 1], true).shape).toEqual([1, 1]);
    expect(mx.linalg.norm(a, null, 1, true).shape).toEqual([3, 1]);
    expect(mx.linalg.norm(mx.reshape(a, [1, 3, 4]), 'nuc', [1, 2]).shape).toEqual([1]);
    close(nums(mx.linalg.norm(mx.array([mx.Complex(3, 4), mx.Complex(0, 0)]))), [5], 1e-7, 'complex norm');
    expect(() => mx.linalg.norm(a, 'fro', 0)).toThrow(/matrix norm/);
    expect(() => mx.linalg.norm(a, 3)).toThrow(/not a matrix norm/);
    expect(() => mx.linalg.norm(mx.zeros([2, 2, 2]), 2)).toThrow(/1-D or 2-D/);
  });

  it('cross of 3- and 2-vectors along any axis', () => {
    const a = [[1, 2, 3], [4, 5, 6]], b = [[7, 8, 9], [-1, 0, 2]];
    const crossRef = (u: number[], v: number[]) => [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    expect(mx.linalg.cross(mx.array(a), mx.array(b)).tolist()).toEqual(a.map((u, i) => crossRef(u, b[i])));
    expect(mx.linalg.cross(mx.array(tr(a)), mx.array(tr(b)), 0).tolist()).toEqual(tr(a.map((u, i) => crossRef(u, b[i]))));
    expect(mx.linalg.cross(mx.array([1, 2]), mx.array([3, 4])).tolist()).toEqual([0, 0, -2]);
    expect(() => mx.linalg.cross(mx.array([1, 2, 3, 4]), mx.array([1, 2, 3, 4]))).toThrow(/size 2 or 3/);
  });

  it('typed errors: non-square, wrong dtype at the call; singular and not positive definite when evaluated', () => {
    expect(() => mx.linalg.inv(mx.ones([2, 3]))).toThrow(/square/);
    expect(() => mx.linalg.cholesky(mx.ones([3]))).toThrow(/at least two dimensions/);
    expect(() => mx.linalg.inv(mx.array([[1, 2], [3, 4]], mx.int32))).toThrow(/float32 or float64/);
    expect(() => mx.linalg.solve(mx.eye(3), mx.ones([2]))).toThrow(/does not match/);
    const evalError = (f: () => MxArray) => {
      try {
        mx.eval(f());
      } catch (e) {
        return e as MlxRequestError;
      }
      throw new Error('no error');
    };
    const singular = mx.array([[1, 2], [2, 4]]);
    for (const f of [() => mx.linalg.inv(singular), () => mx.linalg.solve(singular, mx.ones([2])), () => mx.linalg.triInv(mx.array([[1, 0], [1, 0]]))]) {
      const e = evalError(f);
      expect(e).toBeInstanceOf(MlxRequestError);
      expect(e.code).toBe('singular_matrix');
    }
    expect(evalError(() => mx.linalg.cholesky(mx.array([[1, 2], [2, 1]]))).code).toBe('not_positive_definite');
    // a singular matrix still has an LU factorization, and a pseudo-inverse
    expect(nums(mx.linalg.luFactor(singular)[0]).every(Number.isFinite)).toBe(true);
    closeMat(matmulRef(matmulRef([[1, 2], [2, 4]], mat(mx.linalg.pinv(singular))), [[1, 2], [2, 4]]), [[1, 2], [2, 4]], 1e-5, 'pinv singular');
  });
});

describe('mx.linalg against real MLX', () => {
  it('inv, qr, svd values, cholesky and norm agree with MLX 0.13', () => {
    const A = randomMatrix(4, 4, 42), S = spd(4, 43);
    const ra = real.array(A), a = mx.array(A);
    close(nums(mx.linalg.inv(a)), [real.linalg.inv(ra).tolist()].flat(2) as number[], 1e-4, 'inv');
    const [rq, rr] = real.linalg.qr(ra);
    const [q, r] = mx.linalg.qr(a);
    // Householder QR is unique up to the signs of R's diagonal: compare |R| and Q R
    close(nums(r).map(Math.abs), ([rr.tolist()].flat(2) as number[]).map(Math.abs), 1e-4, 'qr R');
    close(nums(mx.matmul(q, r)), [real.matmul(rq, rr).tolist()].flat(2) as number[], 1e-4, 'qr Q R');
    const [, rs] = real.linalg.svd(ra);
    close(nums(mx.linalg.svd(a, false)), [rs.tolist()].flat() as number[], 1e-4, 'svd S');
    close(nums(mx.linalg.cholesky(mx.array(S))), [real.linalg.cholesky(real.array(S), false).tolist()].flat(2) as number[], 1e-4, 'cholesky');
    for (const ord of [undefined, 1, Infinity, -Infinity, 'fro'] as const)
      close(nums(mx.linalg.norm(a, ord ?? null)), [real.linalg.norm(ra, ord).tolist()].flat() as number[], 1e-5, `norm ${String(ord)}`);
  });
});

describe('linalg gradients against central differences', () => {
  it('inv, tri_inv, solve, solve_triangular (float64)', () => {
    const n = 3;
    const A = spd(n, 7).flat(), B = data(n * 2, 8), w = data(n * n, 9), L = mat(mx.linalg.cholesky(mx.array(spd(n, 7), mx.float64))).flat();
    const W = mx.reshape(mx.array(w, mx.float64), [n, n]), W2 = mx.reshape(mx.array(w.slice(0, 2 * n), mx.float64), [n, 2]);
    const bm = mx.reshape(mx.array(B, mx.float64), [n, 2]);
    const cases: Array<[string, (x: MxArray) => MxArray, number[]]> = [
      ['inv', (x) => mx.sum(mx.multiply(mx.linalg.inv(x), W)), A],
      ['tri_inv', (x) => mx.sum(mx.multiply(mx.linalg.triInv(mx.tril(x)), W)), L],
      ['solve a', (x) => mx.sum(mx.multiply(mx.linalg.solve(x, bm), W2)), A],
      ['solve_triangular a', (x) => mx.sum(mx.multiply(mx.linalg.solveTriangular(mx.triu(x), bm, true), W2)), mat(mx.linalg.cholesky(mx.array(spd(n, 7), mx.float64), true)).flat()],
    ];
    for (const [what, f, x0] of cases) {
      const got = nums(mx.grad(f)(mx.reshape(mx.array(x0, mx.float64), [n, n])));
      close(got, numericGrad(f, x0, [n, n]), 1e-6, what);
    }
    const fb = (y: MxArray) => mx.sum(mx.multiply(mx.linalg.solve(mx.reshape(mx.array(A, mx.float64), [n, n]), y), W2));
    close(nums(mx.grad(fb)(bm)), numericGrad(fb, B, [n, 2]), 1e-6, 'solve b');
  });
});

describe('complex64 end to end', () => {
  const z = (re: number[], im: number[]) => mx.add(mx.array(re), mx.multiply(mx.array(im), mx.array(mx.Complex(0, 1))));
  it('matmul in complex64 against a float64 product', () => {
    const [ar, ai, br, bi] = [data(6, 1), data(6, 2), data(8, 3), data(8, 4)];
    const a = mx.reshape(z(ar, ai), [3, 2]), b = mx.reshape(z(br, bi), [2, 4]);
    const got = cx(mx.matmul(a, b));
    const want: Cx[] = [];
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 4; j++) {
        let re = 0, im = 0;
        for (let k = 0; k < 2; k++) {
          re += ar[i * 2 + k] * br[k * 4 + j] - ai[i * 2 + k] * bi[k * 4 + j];
          im += ar[i * 2 + k] * bi[k * 4 + j] + ai[i * 2 + k] * br[k * 4 + j];
        }
        want.push([re, im]);
      }
    closeCx(got, want, 1e-6, 'complex matmul');
    // a real operand promotes
    expect(mx.matmul(a, mx.ones([2, 2])).dtype).toBe(mx.complex64);
  });

  it('real, imag, conj and conjugate; isnan, isinf, isfinite; comparisons', () => {
    const a = z([1, -2, NaN, Infinity], [3, 0, 1, -1]);
    expect(nums(mx.real(a))).toEqual([1, -2, NaN, Infinity]);
    expect(nums(a.imag)).toEqual([3, 0, 1, -1]);
    expect(a.real.dtype).toBe(mx.float32);
    expect(cx(mx.conj(a)).map(([, i]) => i)).toEqual([-3, -0, -1, 1]);
    expect(cx(a.conj())).toEqual(cx(mx.conjugate(a)));
    expect(nums(mx.real(mx.array([1, 2], mx.int32)))).toEqual([1, 2]);
    expect(nums(mx.imag(mx.array([1, 2])))).toEqual([0, 0]);
    expect(nums(mx.isnan(a))).toEqual([0, 0, 1, 0]);
    expect(nums(mx.isinf(a))).toEqual([0, 0, 0, 1]);
    expect(nums(mx.isfinite(z([1, NaN], [Infinity, 0])))).toEqual([0, 0]);
    // MLX orders complex numbers by real part, then imaginary part
    const p = z([1, 1, 2], [0, 5, -9]), q = z([1, 1, 1], [1, 5, 9]);
    expect(nums(mx.less(p, q))).toEqual([1, 0, 0]);
    expect(nums(mx.greaterEqual(p, q))).toEqual([0, 1, 1]);
    expect(nums(mx.equal(p, q))).toEqual([0, 1, 0]);
  });

  it("gradients of real, imag and conj follow MLX's rules", () => {
    // d/dx sum(w * imag(conj(x c))) for real x and complex c is -w imag(c); as in
    // MLX the cotangent of x stays complex64 (its real part is the derivative)
    const c = mx.array(mx.Complex(0.5, 2)), w = mx.array([1, -3]);
    const g = mx.grad((x: MxArray) => mx.sum(mx.multiply(mx.imag(mx.conj(mx.multiply(x, c))), w)))(mx.array([0.1, 0.2]));
    close(cx(g).map(([re]) => re), [-2, 6], 1e-6, 'imag(conj) grad');
    const g2 = mx.grad((x: MxArray) => mx.sum(mx.multiply(mx.real(mx.multiply(x, c)), w)))(mx.array([0.1, 0.2]));
    close(cx(g2).map(([re]) => re), [0.5, -1.5], 1e-6, 'real grad');
  });
});
