// fft, linalg and complex64: through mlx-compat and real MLX 0.13 where it
// has the call and gets it right, else against the math: a direct DFT in
// float64 for the transforms MLX 0.13 lacks or gets wrong (the norm
// argument, ifft2 and ifftn, which it computes forward, rfft2/rfftn, which
// it returns whole), and the
// identities a factorization promises (QR = A with Q^T Q = I, U S Vt = A,
// L[P] U = A, A V = V diag(w), ...). Complex results are compared as
// [re, im] pairs.
import { type Lib, type ParityCase, ours, real } from '../case.js';

const fftUp = (name: string) => `test_fft.py::${name}`;
const laUp = (name: string) => `test_linalg.py::${name}`;

type Cx = [number, number];
const values = (x: { tolist(): unknown }): unknown[] => [x.tolist()].flat(Infinity);
/** A complex64 (or real) array as the flat list re0, im0, re1, im1, ... */
const pairs = (x: { tolist(): unknown }): number[] =>
  values(x).flatMap((v) => (typeof v === 'object' && v !== null ? [(v as { re: number }).re, (v as { im: number }).im] : [Number(v), 0]));
const nums = (x: { tolist(): unknown }): number[] => values(x).map(Number);

// A deterministic signal, the same in both libraries.
const signal = (n: number, k = 0) => Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + k) + 0.25 * Math.cos(1.3 * i * i + k));
const input = (lib: Lib, shape: number[], k = 0) => lib.reshape(lib.array(signal(shape.reduce((a, b) => a * b, 1), k)), shape);

function dft(x: Cx[], inverse: boolean, scale = 1): Cx[] {
  const n = x.length, s = inverse ? 1 : -1;
  return Array.from({ length: n }, (_, k) => {
    let re = 0, im = 0;
    x.forEach(([a, b], j) => {
      const t = (s * 2 * Math.PI * ((j * k) % n)) / n;
      re += a * Math.cos(t) - b * Math.sin(t);
      im += a * Math.sin(t) + b * Math.cos(t);
    });
    return [re * scale, im * scale] as Cx;
  });
}

/** The DFT along `axis` of a row-major complex array, padded or cut to n. */
function dftAxis(x: Cx[], shape: number[], axis: number, n: number, inverse: boolean, scale = 1): [Cx[], number[]] {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1), inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1), len = shape[axis];
  const out: Cx[] = new Array(outer * n * inner);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const line = Array.from({ length: n }, (_, k) => (k < len ? x[(o * len + k) * inner + i] : ([0, 0] as Cx)));
      dft(line, inverse, scale).forEach((v, k) => (out[(o * n + k) * inner + i] = v));
    }
  const s = [...shape];
  s[axis] = n;
  return [out, s];
}
const realCx = (v: number[]): Cx[] => v.map((r) => [r, 0]);

function same(family: string, id: string, symbols: string[], upstream: string[], call: (lib: Lib) => unknown, complex = false, rtol = 1e-4): ParityCase {
  return {
    id: `${family}.${id}`, family, upstream, symbols, oracle: 'mlx-0.13', rtol,
    run: () => (complex ? [pairs(call(ours) as never), pairs(call(real) as never)] : [call(ours), call(real)]),
  };
}

function byMath(family: string, id: string, symbols: string[], upstream: string[], run: () => [unknown, unknown], rtol = 1e-4): ParityCase {
  return { id: `${family}.${id}`, family, upstream, symbols, oracle: 'math', rtol, run };
}

const F = (name: string) => `mlx.core.fft.${name}`;
const LA = (name: string) => `mlx.core.linalg.${name}`;

function fftCases(): ParityCase[] {
  const x = signal(24, 1), shape = [4, 6];
  const twoD = (inverse: boolean, s: number[], scale: number) => {
    const [a, sa] = dftAxis(realCx(x), shape, 0, s[0], inverse);
    return dftAxis(a, sa, 1, s[1], inverse, scale)[0].flat();
  };
  return [
    same('fft', 'fft', [F('fft')], [fftUp('test_fft')], (lib) => lib.fft.fft(input(lib, [4, 13])), true),
    same('fft', 'fft_n_axis', [F('fft')], [fftUp('test_fft')], (lib) => lib.fft.fft(input(lib, [6, 5]), 9, 0), true),
    same('fft', 'ifft', [F('ifft')], [fftUp('test_fft_into_ifft')], (lib) => lib.fft.ifft(input(lib, [3, 17]), 12), true),
    same('fft', 'fft2', [F('fft2')], [fftUp('test_fftn')], (lib) => lib.fft.fft2(input(lib, [2, 5, 7])), true),
    same('fft', 'fftn', [F('fftn')], [fftUp('test_fftn')], (lib) => lib.fft.fftn(input(lib, [3, 4, 5]), [4, 3], [0, 2]), true),
    byMath('fft', 'ifftn', [F('ifftn')], [fftUp('test_fftn')], () => {
      const [a, sa] = dftAxis(realCx(signal(60, 6)), [3, 4, 5], 0, 3, true);
      const [b, sb] = dftAxis(a, sa, 1, 4, true);
      return [pairs(ours.fft.ifftn(input(ours, [3, 4, 5], 6))), dftAxis(b, sb, 2, 5, true, 1 / 60)[0].flat()];
    }),
    same('fft', 'rfft', [F('rfft')], [fftUp('test_fft')], (lib) => lib.fft.rfft(input(lib, [3, 11]), 14), true),
    same('fft', 'irfft', [F('irfft')], [fftUp('test_fft')], (lib) => lib.fft.irfft(lib.fft.rfft(input(lib, [2, 10])), 10)),
    byMath('fft', 'ifft2_sizes', [F('ifft2')], [fftUp('test_fftn')], () => [pairs(ours.fft.ifft2(input(ours, shape, 1), [3, 8])), twoD(true, [3, 8], 1 / 24)]),
    byMath('fft', 'rfft2', [F('rfft2')], [fftUp('test_fftn')], () => [pairs(ours.fft.rfft2(input(ours, shape, 1))), twoD(false, [4, 6], 1).filter((_, i) => (i >> 1) % 6 < 4)]),
    byMath('fft', 'rfftn', [F('rfftn')], [fftUp('test_fftn')], () => [pairs(ours.fft.rfftn(input(ours, shape, 1), [4, 7])), (() => {
      const [a, sa] = dftAxis(realCx(x), shape, 0, 4, false);
      return dftAxis(a, sa, 1, 7, false)[0].filter((_, i) => i % 7 < 4).flat();
    })()]),
    byMath('fft', 'irfft2', [F('irfft2')], [fftUp('test_fftn')], () => [nums(ours.fft.irfft2(ours.fft.rfft2(input(ours, shape, 1)), shape)), x]),
    byMath('fft', 'irfftn', [F('irfftn')], [fftUp('test_fftn')], () => [nums(ours.fft.irfftn(ours.fft.rfftn(input(ours, [2, 3, 5], 2)), [2, 3, 5])), signal(30, 2)]),
    ...(['ortho', 'forward'] as const).map((norm) =>
      byMath('fft', `fft_norm_${norm}`, [F('fft'), F('ifft')], [fftUp('test_fft_norm')], () => {
        const v = signal(10, 3), n = 10, f = norm === 'ortho' ? 1 / Math.sqrt(n) : 1 / n, fi = norm === 'ortho' ? 1 / Math.sqrt(n) : 1;
        const a = ours.array(v);
        return [[...pairs(ours.fft.fft(a, null, -1, norm)), ...pairs(ours.fft.ifft(a, null, -1, norm))], [...dft(realCx(v), false, f).flat(), ...dft(realCx(v), true, fi).flat()]];
      })),
    byMath('fft', 'fft_prime_bluestein', [F('fft')], [fftUp('test_fft_exhaustive')], () => [pairs(ours.fft.fft(ours.array(signal(131, 4)))), dft(realCx(signal(131, 4)), false).flat()]),
    byMath('fft', 'fftshift', [F('fftshift'), F('ifftshift')], [fftUp('test_fftshift'), fftUp('test_ifftshift')], () => [
      [...nums(ours.fft.fftshift(ours.arange(7))), ...nums(ours.fft.ifftshift(ours.arange(8)))],
      [4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3],
    ], 0),
    byMath('fft', 'fftfreq', [F('fftfreq'), F('rfftfreq')], [fftUp('test_fftfreq'), fftUp('test_rfftfreq')], () => [
      [...nums(ours.fft.fftfreq(5, 0.5)), ...nums(ours.fft.rfftfreq(6))],
      [0, 0.4, 0.8, -0.8, -0.4, 0, 1 / 6, 2 / 6, 3 / 6],
    ], 1e-6),
    same('fft', 'irfft_grad', [F('irfft'), F('rfft')], [fftUp('test_fft_grads')], (lib) => {
      const g = lib.array([1, -2, 3, 0.5, 2, -1]);
      return lib.grad((z: unknown) => lib.sum(lib.multiply(lib.fft.irfft(z), g)))(lib.fft.rfft(input(lib, [6])));
    }, true),
  ];
}

type Mat = number[][];
const mat = (a: { tolist(): unknown }) => a.tolist() as Mat;
const mm = (a: Mat, b: Mat): Mat => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const tr = (a: Mat): Mat => a[0].map((_, j) => a.map((row) => row[j]));
const ascending = (x: number[]) => [...x].sort((a, b) => a - b);
// The determinant by elimination with partial pivoting, in float64.
function det(a: Mat): number {
  const m = a.map((row) => [...row]);
  let d = 1;
  for (let k = 0; k < m.length; k++) {
    let p = k;
    for (let i = k + 1; i < m.length; i++) if (Math.abs(m[i][k]) > Math.abs(m[p][k])) p = i;
    if (p !== k) [m[p], m[k], d] = [m[k], m[p], -d];
    d *= m[k][k];
    for (let i = k + 1; i < m.length; i++) {
      const f = m[i][k] / m[k][k];
      for (let j = k; j < m.length; j++) m[i][j] -= f * m[k][j];
    }
  }
  return d;
}
// The eigenvalues of a symmetric matrix by cyclic Jacobi rotations in float64, ascending.
function jacobiEigenvalues(s: Mat): number[] {
  const a = s.map((row) => [...row]), n = a.length;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (a[p][q] === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), sn = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - sn * akq;
          a[k][q] = sn * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - sn * aqk;
          a[q][k] = sn * apk + c * aqk;
        }
      }
  }
  return ascending(a.map((row, i) => row[i]));
}
const eye = (n: number): Mat => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => +(i === j)));
const matrix = (m: number, n: number, k = 0): Mat => {
  const v = signal(m * n, k);
  return Array.from({ length: m }, (_, i) => v.slice(i * n, i * n + n));
};
const spd = (n: number, k = 0): Mat => {
  const b = matrix(n, n, k);
  return mm(b, tr(b)).map((row, i) => row.map((v, j) => v + (i === j ? n : 0)));
};

const ordName = (ord: number | string | undefined) => (ord === undefined ? 'default' : ord === Infinity ? 'inf' : ord === -Infinity ? 'neg_inf' : typeof ord === 'number' && ord < 0 ? `neg_${-ord}` : String(ord));

function linalgCases(): ParityCase[] {
  const A = matrix(4, 4, 1), R = matrix(5, 3, 2), S = spd(4, 3), B = matrix(4, 2, 4);
  return [
    ...([undefined, 'fro', 1, -1, Infinity, -Infinity] as const).map((ord) =>
      same('linalg', `norm_matrix_${ordName(ord)}`, [LA('norm')], [laUp('test_norm')], (lib) => lib.linalg.norm(input(lib, [3, 4]), ord))),
    ...([1, 2, 3, Infinity] as const).map((ord) =>
      same('linalg', `norm_vector_${ordName(ord)}`, [LA('norm')], [laUp('test_norm')], (lib) => lib.linalg.norm(input(lib, [3, 4]), ord, 1))),
    byMath('linalg', 'norm_nuc_2', [LA('norm')], [laUp('test_norm')], () => {
      const s = nums(ours.linalg.svd(ours.array(A), false));
      return [[...nums(ours.linalg.norm(ours.array(A), 'nuc')), ...nums(ours.linalg.norm(ours.array(A), 2)), ...nums(ours.linalg.norm(ours.array(A), -2))], [s.reduce((p, v) => p + v, 0), s[0], s[3]]];
    }),
    byMath('linalg', 'complex_norm', [LA('norm')], [laUp('test_complex_norm')], () => [nums(ours.linalg.norm(ours.array([ours.Complex(3, 4), ours.Complex(1, -1)]))), [Math.sqrt(27)]]),
    same('linalg', 'inv', [LA('inv')], [laUp('test_inverse')], (lib) => lib.linalg.inv(lib.array(A))),
    same('linalg', 'cholesky', [LA('cholesky')], [laUp('test_cholesky')], (lib) => lib.linalg.cholesky(lib.array(S), false)),
    same('linalg', 'cholesky_upper', [LA('cholesky')], [laUp('test_cholesky')], (lib) => lib.linalg.cholesky(lib.array(S), true)),
    byMath('linalg', 'qr', [LA('qr')], [laUp('test_qr_factorization')], () => {
      const [q, r] = ours.linalg.qr(ours.array(R));
      return [[...mm(mat(q), mat(r)).flat(), ...mm(tr(mat(q)), mat(q)).flat()], [...R.flat(), ...eye(3).flat()]];
    }),
    byMath('linalg', 'svd', [LA('svd')], [laUp('test_svd_decomposition')], () => {
      const [u, s, vt] = ours.linalg.svd(ours.array(R));
      const sv = nums(s), us = mat(u).map((row) => row.slice(0, 3).map((v, j) => v * sv[j]));
      return [[...mm(us, mat(vt)).flat(), ...mm(tr(mat(u)), mat(u)).flat()], [...R.flat(), ...eye(5).flat()]];
    }),
    same('linalg', 'svd_values', [LA('svd')], [laUp('test_svd_decomposition')], (lib) => (lib === ours ? lib.linalg.svd(lib.array(R), false) : lib.linalg.svd(lib.array(R))[1])),
    byMath('linalg', 'tri_inv', [LA('tri_inv')], [laUp('test_tri_inverse')], () => {
      const L = mat(ours.linalg.cholesky(ours.array(S)));
      return [mm(L, mat(ours.linalg.triInv(ours.array(L)))).flat(), eye(4).flat()];
    }),
    byMath('linalg', 'cholesky_inv', [LA('cholesky_inv')], [laUp('test_cholesky_inv')], () => [mm(S, mat(ours.linalg.choleskyInv(ours.linalg.cholesky(ours.array(S))))).flat(), eye(4).flat()]),
    byMath('linalg', 'pinv', [LA('pinv')], [laUp('test_pseudo_inverse')], () => [mm(mm(R, mat(ours.linalg.pinv(ours.array(R)))), R).flat(), R.flat()]),
    byMath('linalg', 'cross', [LA('cross')], [laUp('test_cross_product')], () => [nums(ours.linalg.cross(ours.array([[1, 2, 3], [4, 5, 6]]), ours.array([[7, 8, 9], [1, 0, -1]]))), [-6, 12, -6, -5, 10, -5]], 0),
    // Eigenvectors are defined up to order and sign, which differ between LAPACK builds (MLX v0.31.2
    // orders and signs them otherwise than the engine): the cases check A V = V diag(w) and the
    // eigenvalues in ascending order, the same whatever the backend.
    byMath('linalg', 'eigh', [LA('eigh'), LA('eigvalsh')], [laUp('test_eigh')], () => {
      const [w, v] = ours.linalg.eigh(ours.array(S));
      const wv = nums(w), V = mat(v), SV = mm(S, V);
      const residual = SV.flatMap((row, i) => row.map((x, j) => x - V[i][j] * wv[j]));
      const want = jacobiEigenvalues(S);
      return [[...residual, ...ascending(wv), ...ascending(nums(ours.linalg.eigvalsh(ours.array(S))))], [...residual.map(() => 0), ...want, ...want]];
    }),
    byMath('linalg', 'eig', [LA('eig'), LA('eigvals')], [laUp('test_eig')], () => {
      const [w, v] = ours.linalg.eig(ours.array(A));
      const W = pairs(w), V = pairs(v), n = 4, residual: number[] = [];
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let re = 0, im = 0;
          for (let t = 0; t < n; t++) {
            re += A[i][t] * V[2 * (t * n + j)];
            im += A[i][t] * V[2 * (t * n + j) + 1];
          }
          const vr = V[2 * (i * n + j)], vi = V[2 * (i * n + j) + 1], lr = W[2 * j], li = W[2 * j + 1];
          residual.push(re - (vr * lr - vi * li), im - (vr * li + vi * lr));
        }
      // the sum of the eigenvalues is the trace, their product the determinant
      let sr = 0, si = 0, pr = 1, pi = 0;
      for (let j = 0; j < n; j++) {
        sr += W[2 * j];
        si += W[2 * j + 1];
        [pr, pi] = [pr * W[2 * j] - pi * W[2 * j + 1], pr * W[2 * j + 1] + pi * W[2 * j]];
      }
      const byValue = (x: number[]) => x.flatMap((_, k) => (k % 2 ? [] : [[x[k], x[k + 1]]])).sort((a, b) => a[0] - b[0] || a[1] - b[1]).flat();
      return [
        [...residual, sr, si, pr, pi, ...byValue(pairs(ours.linalg.eigvals(ours.array(A))))],
        [...residual.map(() => 0), A.reduce((t, row, i) => t + row[i], 0), 0, det(A), 0, ...byValue(W)],
      ];
    }),
    byMath('linalg', 'lu', [LA('lu')], [laUp('test_lu')], () => {
      const [p, l, u] = ours.linalg.lu(ours.array(R));
      const L = mat(l);
      return [mm(nums(p).map((i) => L[i]), mat(u)).flat(), R.flat()];
    }),
    byMath('linalg', 'lu_factor', [LA('lu_factor')], [laUp('test_lu_factor')], () => {
      const [packed, piv] = ours.linalg.luFactor(ours.array(A));
      const rows = A.map((r) => r.slice());
      nums(piv).forEach((p, i) => ([rows[i], rows[p]] = [rows[p], rows[i]]));
      const P = mat(packed);
      const lower = P.map((row, i) => row.map((v, j) => (j < i ? v : i === j ? 1 : 0))), upper = P.map((row, i) => row.map((v, j) => (j >= i ? v : 0)));
      return [mm(lower, upper).flat(), rows.flat()];
    }),
    byMath('linalg', 'solve', [LA('solve')], [laUp('test_solve')], () => [mm(A, mat(ours.linalg.solve(ours.array(A), ours.array(B)))).flat(), B.flat()]),
    byMath('linalg', 'solve_triangular', [LA('solve_triangular')], [laUp('test_solve_triangular')], () => {
      const L = mat(ours.linalg.cholesky(ours.array(S)));
      return [mm(L, mat(ours.linalg.solveTriangular(ours.array(L), ours.array(B)))).flat(), B.flat()];
    }),
  ];
}

function complexCases(): ParityCase[] {
  const z = (lib: Lib, k: number) => lib.fft.fft(input(lib, [3, 3], k));
  const up = (name: string) => `test_ops.py::${name}`;
  return [
    // MLX 0.13's CPU matmul refuses complex64: the product in float64
    byMath('ops_numeric', 'complex_matmul', ['mlx.core.matmul'], ['test_blas.py::test_complex_gemm'], () => {
      const a = pairs(z(ours, 1)), b = pairs(z(ours, 2)), want: number[] = [];
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          let re = 0, im = 0;
          for (let k = 0; k < 3; k++) {
            const [ar, ai, br, bi] = [a[2 * (i * 3 + k)], a[2 * (i * 3 + k) + 1], b[2 * (k * 3 + j)], b[2 * (k * 3 + j) + 1]];
            re += ar * br - ai * bi;
            im += ar * bi + ai * br;
          }
          want.push(re, im);
        }
      return [pairs(ours.matmul(z(ours, 1), z(ours, 2))), want];
    }),
    byMath('ops_numeric', 'real_imag_conj', ['mlx.core.real', 'mlx.core.imag', 'mlx.core.conj', 'mlx.core.conjugate', 'mlx.core.array.real', 'mlx.core.array.imag', 'mlx.core.array.conj'], [up('test_real_imag'), up('test_conjugate')], () => {
      const a = ours.array([ours.Complex(1, 2), ours.Complex(-3, 0.5)]);
      const got = [...nums(ours.real(a)), ...nums(ours.imag(a)), ...pairs(ours.conj(a)), ...pairs(ours.conjugate(a)), ...nums(a.real), ...nums(a.imag), ...pairs(a.conj())];
      return [got, [1, -3, 2, 0.5, 1, -2, -3, -0.5, 1, -2, -3, -0.5, 1, -3, 2, 0.5, 1, -2, -3, -0.5]];
    }, 0),
    byMath('ops_numeric', 'complex_predicates', ['mlx.core.isnan', 'mlx.core.isinf', 'mlx.core.isfinite'], [up('test_isnan'), up('test_isinf'), up('test_isfinite')], () => {
      const a = ours.array([ours.Complex(1, NaN), ours.Complex(Infinity, 0), ours.Complex(1, 1)]);
      return [[...nums(ours.isnan(a)), ...nums(ours.isinf(a)), ...nums(ours.isfinite(a))], [1, 0, 0, 0, 1, 0, 0, 0, 1]];
    }, 0),
  ];
}

export function cases(): ParityCase[] {
  return [...fftCases(), ...linalgCases(), ...complexCases()];
}
