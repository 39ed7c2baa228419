// Quantization: quantize against MLX v0.31.2's affine rule written here from
// its definition (bit for bit, every bits and group size, float32 and the
// half types), the packed layout against real MLX 0.13 (which packs the
// same way for 2, 4 and 8 bits; its scale rule predates 0.31.2's, so its
// own quantize is no oracle), and the products against float64 products of
// the dequantized weights.
import { describe, expect, it } from 'vitest';
import mlx, { MxError, type MxArray } from '../src/index.js';
import { amxSwitch, cpuHasAmx } from './amx.js';
import { real, rng } from './oracle.js';

const mx = mlx.core;
const f32 = Math.fround;

function data(n: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => (r() * 2 - 1) * (1 + 3 * r()));
}
const flat = (a: { tolist(): unknown }): number[] => [a.tolist()].flat(Infinity).map(Number);

// MLX v0.31.2's affine quantization of one group, in float32 arithmetic:
// the edge of larger magnitude is kept exact.
function quantizeGroup(x: number[], bits: number): { q: number[]; scale: number; bias: number } {
  const nBins = (1 << bits) - 1;
  const lo = Math.min(...x), hi = Math.max(...x);
  const lowEdge = Math.abs(lo) > Math.abs(hi);
  let scale = Math.max(f32(f32(hi - lo) / nBins), f32(1e-7));
  scale = lowEdge ? scale : -scale;
  const edge = lowEdge ? lo : hi;
  const q0 = roundEven(f32(edge / scale));
  let bias = 0;
  if (q0 !== 0) {
    scale = f32(edge / q0);
    bias = edge;
  }
  return { q: x.map((v) => Math.min(Math.max(roundEven(f32(f32(v - bias) / scale)), 0), nBins)), scale, bias };
}
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
// values as one little-endian bit stream of `bits`-bit fields, in uint32 words
function pack(q: number[], bits: number): number[] {
  const words = new Array<number>((q.length * bits) / 32).fill(0);
  q.forEach((v, i) => {
    for (let b = 0; b < bits; b++) if ((v >> b) & 1) words[Math.floor((i * bits + b) / 32)] += 2 ** ((i * bits + b) % 32);
  });
  return words;
}

describe('quantize and dequantize', () => {
  for (const dtype of [mx.float32, mx.float16, mx.bfloat16])
    for (const bits of [2, 3, 4, 5, 6, 8])
      for (const gs of [32, 64, 128])
        it(`${dtype.name}, ${bits} bits, groups of ${gs}: MLX 0.31.2's values bit for bit`, () => {
          const rows = 3, k = 256;
          const w = mx.array(data(rows * k, bits * 1000 + gs)).astype(dtype).reshape([rows, k]);
          const wv = flat(w.astype(mx.float32));
          const [q, s, b] = mx.quantize(w, gs, bits);
          expect(q.dtype).toBe(mx.uint32);
          expect(q.shape).toEqual([rows, (k * bits) / 32]);
          expect(s.dtype).toBe(dtype);
          const words: number[] = [], scales: number[] = [], biases: number[] = [];
          for (let g = 0; g < (rows * k) / gs; g++) {
            const r = quantizeGroup(wv.slice(g * gs, (g + 1) * gs), bits);
            words.push(...pack(r.q, bits));
            scales.push(r.scale);
            biases.push(r.bias);
          }
          expect(flat(q)).toEqual(words);
          // scales and biases are rounded to the input's dtype
          expect(flat(s)).toEqual(flat(mx.array(scales).astype(dtype).astype(mx.float32)));
          expect(flat(b)).toEqual(flat(mx.array(biases).astype(dtype).astype(mx.float32)));
          // dequantized: q * scale + bias in the scales' dtype
          const d = mx.dequantize(q, s, b, gs, bits);
          expect(d.dtype).toBe(dtype);
          const sv = flat(s), bv = flat(b);
          const qs = [];
          for (let g = 0; g < (rows * k) / gs; g++) qs.push(...quantizeGroup(wv.slice(g * gs, (g + 1) * gs), bits).q);
          const want = qs.map((v, i) => f32(f32(v * sv[Math.floor(i / gs)]) + bv[Math.floor(i / gs)]));
          const round = (v: number[]) => flat(mx.array(v).astype(dtype).astype(mx.float32));
          expect(flat(d.astype(mx.float32))).toEqual(dtype === mx.float32 ? want : round(qs.map((v, i) => flat(mx.array([v * sv[Math.floor(i / gs)]]).astype(dtype).astype(mx.float32))[0] + bv[Math.floor(i / gs)])));
        });

  it('reads the packed layout as real MLX does (its quantize, our dequantize)', () => {
    for (const bits of [2, 4, 8]) {
      const w = real.array(data(4 * 512, bits)).reshape([4, 512]);
      const [q, s, b] = real.quantize(w, 64, bits);
      const back = (a: { tolist(): unknown }, d: typeof mx.float32) => mx.array(a.tolist() as number[][], d);
      const ours = mx.dequantize(back(q, mx.uint32), back(s, mx.float32), back(b, mx.float32), 64, bits);
      expect(flat(ours), `${bits} bits`).toEqual(flat(real.dequantize(q, s, b, 64, bits)));
    }
  });

  it('raises at the call on bad modes, bits, group sizes and shapes', () => {
    expect(() => mx.quantize(mx.zeros([2, 64]), 64, 7)).toThrow(MxError);
    expect(() => mx.quantize(mx.zeros([2, 64]), 48, 4)).toThrow(/groupSize/);
    expect(() => mx.quantize(mx.zeros([2, 96]), 64, 4)).toThrow(/multiple of 64/);
    expect(() => mx.quantize(mx.zeros([2, 64]), 64, 4, 'int4' as 'affine')).toThrow(/invalid quantization mode/);
    const [q, s] = mx.quantize(mx.zeros([2, 64]), 32, 4);
    expect(() => mx.dequantize(q, s, mx.zeros([2, 3]), 32, 4)).toThrow(/do not fit/);
  });
});

describe('quantizedMatmul and gatherQmm', () => {
  // x @ W^T (or x @ W) in float64 over the dequantized weights
  function reference(x: number[], xs: number[], wd: number[], ws: number[], transpose: boolean): number[] {
    const [M, K] = xs.slice(-2), N = transpose ? ws[ws.length - 2] : ws[ws.length - 1];
    const out: number[] = [];
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += x[m * K + k] * (transpose ? wd[n * K + k] : wd[k * N + n]);
        out.push(acc);
      }
    return out;
  }
  const close = (got: number[], want: number[], what: string) => {
    const scale = Math.max(...want.map(Math.abs));
    got.forEach((g, i) => expect(Math.abs(g - want[i]), `${what}[${i}]`).toBeLessThanOrEqual(2e-5 * scale));
  };

  // 4 bits and up to 8 rows, transposed: a fused kernel (steps of 128 values
  // with AVX-512, of 64 with AVX2: K = 192 takes the latter); more rows or
  // other bits, transposed: the product over chunks of 512 values of K (the
  // last partial where K is 704, 1056 or 640)
  for (const [bits, gs, K] of [[4, 64, 256], [4, 32, 256], [4, 128, 256], [4, 64, 192], [8, 32, 256], [3, 128, 256], [2, 32, 256], [6, 64, 256], [5, 32, 256], [4, 64, 704], [5, 32, 1056], [6, 128, 640]])
    for (const transpose of [true, false])
      for (const M of [1, 3, 70])
        it(`${bits} bits, groups of ${gs}, K ${K}, ${transpose ? 'transposed' : 'not transposed'}, ${M} rows: within 2e-5 of float64`, () => {
          const N = 128;
          const wshape = transpose ? [N, K] : [K, N];
          const [q, s, b] = mx.quantize(mx.array(data(N * K, bits + gs)).reshape(wshape), gs, bits);
          const wd = flat(mx.dequantize(q, s, b, gs, bits));
          const x = data(M * K, M);
          const out = mx.quantizedMatmul(mx.array(x).reshape([M, K]), q, s, b, transpose, gs, bits);
          expect(out.shape).toEqual([M, N]);
          close(flat(out), reference(x, [M, K], wd, wshape, transpose), 'qmm');
        });

  // The fused kernel takes a task's rows (64) as 4 streams and the rest one
  // by one: 75 rows leave a task of 11 (2 rows a stream and 3 more)
  for (const N of [75, 4, 7])
    it(`4 bits, groups of 64, K 256, transposed, 2 rows times ${N} output rows: within 2e-5 of float64`, () => {
      const K = 256, M = 2;
      const [q, s, b] = mx.quantize(mx.array(data(N * K, 68)).reshape([N, K]), 64, 4);
      const wd = flat(mx.dequantize(q, s, b, 64, 4));
      const x = data(M * K, 9);
      close(flat(mx.quantizedMatmul(mx.array(x).reshape([M, K]), q, s, b, true, 64, 4)), reference(x, [M, K], wd, [N, K], true), 'qmm');
    });

  // The fused kernels split off the biases (b sum(x)): rows with an
  // outlier, tiny values and zeros must still agree, and x with inf or NaN
  // (which takes the unpacking path, as 0 inf would be NaN) gives MLX's
  // inf and NaN.
  it('4 bits, rows of x with outliers, tiny values, zeros, inf and NaN: within 2e-5 of float64', () => {
    const N = 96, K = 512;
    const [q, s, b] = mx.quantize(mx.array(data(N * K, 31)).reshape([N, K]), 64, 4);
    const wd = flat(mx.dequantize(q, s, b, 64, 4));
    const base = data(K, 32);
    const rows = [
      base.map((v, i) => (i === 77 ? 3e4 : v)),
      base.map((v) => v * 1e-25),
      base.map(() => 0),
      base.map((v, i) => (i % 64 === 5 ? 1e-3 * v : 1e3 * v)),
    ];
    for (const row of rows) close(flat(mx.quantizedMatmul(mx.array(row).reshape([1, K]), q, s, b, true, 64, 4)), reference(row, [1, K], wd, [N, K], true), 'qmv');
    for (const bad of [Infinity, NaN]) {
      const row = base.map((v, i) => (i === 300 ? bad : v));
      const want = reference(row, [1, K], wd, [N, K], true);
      const got = flat(mx.quantizedMatmul(mx.array(row).reshape([1, K]), q, s, b, true, 64, 4));
      got.forEach((g, i) => expect(Object.is(g, want[i]) || g === want[i], `qmv with ${bad}[${i}]: ${g} against ${want[i]}`).toBe(true));
    }
  });

  // The integer kernels (AVX2: steps of 64 values, K 320 and 384 here; VNNI:
  // 128) take x in fixed point, a unit per word of 8 values: each row of x
  // is checked on its own against its float64 product, 1 to 8 rows at once,
  // with values subnormal, huge, of mixed magnitude within a word, words of
  // zeros and a row of zeros; 37 rows of w leave a task's pair of streams
  // one row over.
  for (const gs of [32, 64, 128])
    it(`4 bits, groups of ${gs}, 1 to 8 rows of x from subnormal to huge: each row within 2e-5 of float64`, () => {
      const N = 37, K = gs === 128 ? 384 : 320;
      const [q, s, b] = mx.quantize(mx.array(data(N * K, 40 + gs)).reshape([N, K]), gs, 4);
      const wd = flat(mx.dequantize(q, s, b, gs, 4));
      const base = data(K, 41);
      const rows = [
        base,
        base.map((v) => v * 1e-41),
        base.map((v) => v * 2 ** -130),
        base.map((v) => v * 1e30),
        base.map((v, i) => (i % 8 === 3 ? v * 1e6 : v * 1e-3)),
        base.map((v, i) => (Math.floor(i / 8) % 3 === 1 ? 0 : v)),
        base.map(() => 0),
        base.map((v, i) => (i % gs === gs - 1 ? 5e3 : v)),
      ].map((row) => row.map(f32));
      for (let M = 1; M <= 8; M++) {
        const got = flat(mx.quantizedMatmul(mx.array(rows.slice(0, M).flat()).reshape([M, K]), q, s, b, true, gs, 4));
        for (let m = 0; m < M; m++) {
          const want = reference(rows[m], [1, K], wd, [N, K], true);
          const scale = Math.max(...want.map(Math.abs));
          want.forEach((w, i) => expect(Math.abs(got[m * N + i] - w), `M ${M}, row ${m} [${i}]`).toBeLessThanOrEqual(2e-5 * scale));
        }
      }
    });

  it('agrees with real MLX on its own packed weights, and differentiates in x', () => {
    const w = real.array(data(64 * 512, 5)).reshape([64, 512]);
    const [q, s, b] = real.quantize(w, 64, 4);
    const xv = data(2 * 512, 6);
    const back = (a: { tolist(): unknown }, d: typeof mx.float32) => mx.array(a.tolist() as number[][], d);
    const [Q, S, B] = [back(q, mx.uint32), back(s, mx.float32), back(b, mx.float32)];
    const ours = mx.quantizedMatmul(mx.array(xv).reshape([2, 512]), Q, S, B, true, 64, 4);
    const theirs = real.quantizedMatmul(real.array(xv).reshape([2, 512]), q, s, b, true, 64, 4);
    close(flat(ours), flat(theirs), 'vs MLX');
    const ow = mx.array(data(2 * 64, 7)).reshape([2, 64]);
    const g = mx.grad((x: MxArray) => mx.sum(mx.multiply(mx.quantizedMatmul(x, Q, S, B, true, 64, 4), ow)))(mx.array(xv).reshape([2, 512])) as MxArray;
    close(flat(g), flat(mx.matmul(ow, mx.dequantize(Q, S, B, 64, 4))), 'grad');
  });

  it('broadcasts batches, and gatherQmm picks them by index', () => {
    const E = 3, K = 64, N = 32;
    const [q, s, b] = mx.quantize(mx.array(data(E * N * K, 8)).reshape([E, N, K]), 32, 4);
    const x = mx.array(data(2 * K, 9)).reshape([2, 1, K]);
    const batched = mx.quantizedMatmul(mx.reshape(x, [2, 1, 1, K]), q, s, b, true, 32, 4);
    expect(batched.shape).toEqual([2, E, 1, N]);
    const wd = mx.dequantize(q, s, b, 32, 4);
    const bw = flat(wd), bx = flat(x);
    close(flat(batched).slice(((1 * E + 2) * N), (1 * E + 2) * N + N), reference(bx.slice(K), [1, K], bw.slice(2 * N * K), [N, K], true), 'batched');
    const picked = mx.gatherQmm(x, q, s, b, mx.array([1, 0], mx.uint32), mx.array([2, 0], mx.uint32), true, 32, 4);
    expect(picked.shape).toEqual([2, 1, N]);
    const xs = flat(x), wds = flat(wd);
    const want = [
      ...reference(xs.slice(K, 2 * K), [1, K], wds.slice(2 * N * K, 3 * N * K), [N, K], true),
      ...reference(xs.slice(0, K), [1, K], wds.slice(0, N * K), [N, K], true),
    ];
    close(flat(picked), want, 'gather');
  });

  // an empty inner dimension: every sum is of nothing (a 40-row product
  // once divided by zero in the engine and took the process down)
  for (const M of [3, 40])
    for (const transpose of [true, false])
      it(`K = 0, ${M} rows, ${transpose ? 'transposed' : 'not transposed'}: zeros`, () => {
        const [q, s, b] = mx.quantize(mx.zeros(transpose ? [64, 0] : [0, 64]), 64, 4);
        const out = mx.quantizedMatmul(mx.ones([M, 0]), q, s, b, transpose, 64, 4);
        expect(out.shape).toEqual([M, 64]);
        expect(flat(out)).toEqual(new Array(M * 64).fill(0));
      });

  // 32 rows or more, transposed: register tiles over x packed in panels of
  // 32 rows; each batch of x and of w is picked as broadcasting says
  it('broadcasts batches of many rows (x [2, 1, 45, K] against w [3, N, K])', () => {
    const E = 3, K = 192, N = 50, M = 45;
    const [q, s, b] = mx.quantize(mx.array(data(E * N * K, 12)).reshape([E, N, K]), 64, 4);
    const x = mx.array(data(2 * M * K, 13)).reshape([2, 1, M, K]);
    const out = mx.quantizedMatmul(x, q, s, b, true, 64, 4);
    expect(out.shape).toEqual([2, E, M, N]);
    const got = flat(out), xs = flat(x), wds = flat(mx.dequantize(q, s, b, 64, 4));
    for (let i = 0; i < 2; i++)
      for (let e = 0; e < E; e++)
        close(got.slice((i * E + e) * M * N, (i * E + e + 1) * M * N), reference(xs.slice(i * M * K, (i + 1) * M * K), [M, K], wds.slice(e * N * K, (e + 1) * N * K), [N, K], true), `batch ${i}, ${e}`);
  });

  // 16 rows or more, transposed, affine, x finite: AMX where the CPU has it
  // (quantized_amx.cpp), else the register tiles; MLXCOMPAT_AMX=0 turns AMX
  // off, so each case runs both ways. Edges: rows not a multiple of 16 or 32
  // and past 256 (two ranges of rows), N not a multiple of 32 and past 256
  // (two blocks of w's rows), K of one group or ending in a partial chunk of
  // 128; bfloat16 and float16 x (1 and 2 bfloat16 parts, not 3).
  for (const [bits, gs, K, M, N] of [[4, 64, 64, 17, 40], [4, 32, 32, 16, 33], [4, 128, 128, 45, 300], [4, 64, 320, 33, 72], [4, 32, 544, 300, 48], [8, 64, 192, 20, 50], [3, 128, 256, 40, 36], [2, 32, 96, 64, 31], [5, 64, 128, 24, 20], [6, 32, 160, 18, 40]])
    it(`many rows: ${bits} bits, groups of ${gs}, K ${K}, ${M} rows, N ${N}, AMX on and off: within 2e-5 of float64 (AMX: 2e-7 of the sums' magnitude)`, () => {
      const [q, s, b] = mx.quantize(mx.array(data(N * K, bits * gs + K)).reshape([N, K]), gs, bits);
      const wd = flat(mx.dequantize(q, s, b, gs, bits));
      const x = data(M * K, M + N);
      const want = reference(x, [M, K], wd, [N, K], true);
      const run = (on: boolean) => amxSwitch(on, () => flat(mx.quantizedMatmul(mx.array(x).reshape([M, K]), q, s, b, true, gs, bits)));
      const on = run(true), off = run(false);
      close(on, want, 'AMX on');
      close(off, want, 'AMX off');
      // x's parts sum to it exactly: AMX's error is that of fp32 sums of the
      // two terms, s q x and b x (|s q| <= |w| + |b|); 2 parts instead of 3
      // would leave 1e-6 of it
      const bs = flat(b);
      const mag = reference(x.map(Math.abs), [M, K], wd.map((v, i) => Math.abs(v) + 2 * Math.abs(bs[Math.floor(i / gs)])), [N, K], true);
      if (cpuHasAmx) on.forEach((g, i) => expect(Math.abs(g - want[i]), `AMX on [${i}]`).toBeLessThanOrEqual(2e-7 * mag[i]));
      // the switch takes effect: the two paths round differently
      if (cpuHasAmx && bits === 4 && M === 45) expect(on.some((v, i) => v !== off[i])).toBe(true);
    });

  for (const dtype of ['bfloat16', 'float16'] as const)
    it(`many rows of ${dtype} x, AMX on and off: within 2e-5 of float64`, () => {
      const M = 40, N = 64, K = 256;
      const [q, s, b] = mx.quantize(mx.array(data(N * K, 21)).reshape([N, K]), 64, 4);
      const wd = flat(mx.dequantize(q, s, b, 64, 4));
      const x = mx.array(data(M * K, 22)).reshape([M, K]).astype(mx[dtype]);
      const want = reference(flat(x.astype(mx.float32)), [M, K], wd, [N, K], true);
      for (const on of [true, false]) {
        const out = amxSwitch(on, () => {
          const y = mx.quantizedMatmul(x, q, s, b, true, 64, 4);
          expect(y.dtype).toBe(mx.float32);
          return flat(y);
        });
        close(out, want, `AMX ${on ? 'on' : 'off'}`);
      }
    });

  // each row is scaled by its own power of two before it is split: rows from
  // 2^-60 to 2^92 in magnitude, each within 2e-5 of its own largest value
  it('many rows of very different magnitudes, AMX on and off: each row within 2e-5 of float64', () => {
    const M = 20, N = 48, K = 128;
    const [q, s, b] = mx.quantize(mx.array(data(N * K, 23)).reshape([N, K]), 64, 4);
    const wd = flat(mx.dequantize(q, s, b, 64, 4));
    const x = data(M * K, 24).map((v, i) => v * 2 ** (8 * Math.floor(i / K) - 60));
    const want = reference(x, [M, K], wd, [N, K], true);
    for (const on of [true, false]) {
      const out = amxSwitch(on, () => flat(mx.quantizedMatmul(mx.array(x).reshape([M, K]), q, s, b, true, 64, 4)));
      for (let m = 0; m < M; m++) close(out.slice(m * N, (m + 1) * N), want.slice(m * N, (m + 1) * N), `AMX ${on ? 'on' : 'off'}, row ${m}`);
    }
  });
});
