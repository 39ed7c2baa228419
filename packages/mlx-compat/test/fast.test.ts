// mx.fast against real MLX (@frost-beta/mlx, MLX 0.13) in float32, against
// float64 references written here from the definitions (half types, which
// MLX 0.13's CPU attention cannot run, and what 0.13 lacks: rope's freqs and
// offset arrays, causal and boolean masks, sinks), and gradients against
// the same functions composed of ordinary ops.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MlxRefusedError } from 'mlx-capi-bridge';
import mlx, { MxError, type MxArray } from '../src/index.js';
import type { AttentionMask } from '../src/core/index.js';
import { amxSwitch, cpuHasAmx } from './amx.js';
import { mlxCurrent, onMlx } from './mlx-current.js';
import { real, rng } from './oracle.js';

const mx = mlx.core;
const HAVE_MLX = mlxCurrent('attention rows that see no key');

function data(shape: number[], seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
}
const flat = (a: { tolist(): unknown }): number[] => [a.tolist()].flat(Infinity).map(Number);
const TOL: Record<string, number> = { float32: 2e-5, float16: 4e-3, bfloat16: 3e-2 };

function expectClose(got: number[], want: number[], tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  got.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - want[i]) / (1 + Math.abs(want[i])))));
  expect(worst, what).toBeLessThanOrEqual(tol);
}

// Float64 references, row-major.
function normRef(x: number[], d: number, eps: number, centred: boolean, w?: number[], b?: number[]): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / d; r++) {
    const row = x.slice(r * d, r * d + d);
    const mu = centred ? row.reduce((s, v) => s + v, 0) / d : 0;
    const inv = 1 / Math.sqrt(row.reduce((s, v) => s + (v - mu) ** 2, 0) / d + eps);
    row.forEach((v, i) => out.push((v - mu) * inv * (w ? w[i] : 1) + (b ? b[i] : 0)));
  }
  return out;
}

function ropeRef(x: number[], shape: number[], dims: number, trad: boolean, base: number | null, scale: number, offsets: number[], freqs?: number[]): number[] {
  const D = shape[shape.length - 1], L = shape[shape.length - 2], half = dims / 2;
  const perBatch = x.length / D / L / shape[0];
  const out = x.slice();
  for (let row = 0; row < x.length / D; row++) {
    const n = Math.floor(row / L), l = row % L, off = offsets.length > 1 ? offsets[Math.floor(n / perBatch)] : offsets[0];
    for (let i = 0; i < half; i++) {
      const f = freqs ? 1 / freqs[i] : base! ** (-(2 * i) / dims);
      const th = (off + l) * scale * f;
      const [a, b] = trad ? [row * D + 2 * i, row * D + 2 * i + 1] : [row * D + i, row * D + i + half];
      out[a] = x[a] * Math.cos(th) - x[b] * Math.sin(th);
      out[b] = x[a] * Math.sin(th) + x[b] * Math.cos(th);
    }
  }
  return out;
}

const F32_MAX = 3.4028234663852886e38;
type Mask = { kind: 'none' } | { kind: 'causal' } | { kind: 'bool' | 'add'; values: number[]; shape: number[] };
function sdpaRef(q: number[], k: number[], v: number[], qs: number[], ks: number[], Dv: number, scale: number, mask: Mask, sinks?: number[]): number[] {
  const [B, H, Lq, D] = qs, [, Hk, Lk] = ks, G = H / Hk;
  const out: number[] = [];
  const maskAt = (b: number, h: number, i: number, j: number) => {
    if (mask.kind !== 'bool' && mask.kind !== 'add') return 0;
    const full = [B, H, Lq, Lk], idx = [b, h, i, j];
    let at = 0, stride = 1;
    for (let a = mask.shape.length - 1; a >= 0; a--) {
      const ax = 4 - mask.shape.length + a;
      if (mask.shape[a] !== 1) at += idx[ax] * stride;
      stride *= mask.shape[a];
      void full;
    }
    return mask.values[at];
  };
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / G);
      for (let i = 0; i < Lq; i++) {
        const s: number[] = [];
        for (let j = 0; j < Lk; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[((b * H + h) * Lq + i) * D + d] * k[((b * Hk + kh) * Lk + j) * D + d];
          let x = dot * scale;
          // MLX masks causally and by booleans with float32's lowest finite value, not -inf: a row that sees no key weighs them all alike
          if (mask.kind === 'causal' && j > i + Lk - Lq) x = -F32_MAX;
          if (mask.kind === 'bool' && !maskAt(b, h, i, j)) x = -F32_MAX;
          if (mask.kind === 'add') x += maskAt(b, h, i, j);
          s.push(x);
        }
        const m = Math.max(...s, sinks ? sinks[h] : -Infinity);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, c) => a + c, 0) + (sinks ? Math.exp(sinks[h] - m) : 0);
        for (let d = 0; d < Dv; d++) {
          let o = 0;
          for (let j = 0; j < Lk; j++) o += (e[j] / z) * v[((b * Hk + kh) * Lk + j) * Dv + d];
          out.push(o);
        }
      }
    }
  return out;
}

// The norms and rope write outputs with non-temporal stores when input and
// output together pass half the last-level cache (as the engine reads it):
// an input of this many bytes does.
const STREAMED_BYTES = (() => {
  let llc = 32 << 20;
  try {
    llc = Number(execFileSync('getconf', ['LEVEL3_CACHE_SIZE'], { encoding: 'utf8' })) || llc;
  } catch {
    // no getconf: the engine's own fallback
  }
  return llc / 4 + (1 << 20);
})();

const arr = (v: number[], shape: number[], dtype = mx.float32) => mx.array(v).reshape(shape).astype(dtype);
// the reference sees the inputs as the dtype rounded them
const rounded = (v: number[], shape: number[], dtype: typeof mx.float32) => flat(arr(v, shape, dtype).astype(mx.float32));

describe('norms', () => {
  it('rmsNorm and layerNorm match MLX in float32', () => {
    const x = data([3, 4, 96], 1), w = data([96], 2), b = data([96], 3);
    const X = real.array(x).reshape([3, 4, 96]), W = real.array(w), Bb = real.array(b);
    expectClose(flat(mx.fast.rmsNorm(arr(x, [3, 4, 96]), arr(w, [96]), 1e-5)), flat(real.fast.rmsNorm(X, W, 1e-5)), TOL.float32, 'rms');
    expectClose(flat(mx.fast.layerNorm(arr(x, [3, 4, 96]), arr(w, [96]), arr(b, [96]), 1e-5)), flat(real.fast.layerNorm(X, W, Bb, 1e-5)), TOL.float32, 'ln');
    expectClose(flat(mx.fast.layerNorm(arr(x, [3, 4, 96]), null, null, 1e-5)), flat(real.fast.layerNorm(X, null, null, 1e-5)), TOL.float32, 'ln bare');
  });

  for (const dtype of [mx.float32, mx.float16, mx.bfloat16, mx.float64]) {
    it(`match the float64 definition in ${dtype.name} (weight and bias optional)`, () => {
      const x = data([5, 33], 4), w = data([33], 5), b = data([33], 6);
      const [xr, wr, br] = [rounded(x, [5, 33], dtype), rounded(w, [33], dtype), rounded(b, [33], dtype)];
      const tol = TOL[dtype.name] ?? 1e-12;
      const rms = mx.fast.rmsNorm(arr(x, [5, 33], dtype), arr(w, [33], dtype), 1e-6);
      expect(rms.dtype).toBe(dtype);
      expectClose(flat(rms), normRef(xr, 33, 1e-6, false, wr), tol, 'rms');
      expectClose(flat(mx.fast.rmsNorm(arr(x, [5, 33], dtype), null, 1e-6)), normRef(xr, 33, 1e-6, false), tol, 'rms bare');
      expectClose(flat(mx.fast.layerNorm(arr(x, [5, 33], dtype), arr(w, [33], dtype), arr(b, [33], dtype), 1e-5)), normRef(xr, 33, 1e-5, true, wr, br), tol, 'ln');
      expectClose(flat(mx.fast.layerNorm(arr(x, [5, 33], dtype), null, arr(b, [33], dtype), 1e-5)), normRef(xr, 33, 1e-5, true, undefined, br), tol, 'ln bias');
    });
  }

  // rows of 4097 floats start at every offset modulo 16 bytes (a scratch row
  // streamed out); rows of 4096 each start a vector (stored from registers)
  for (const d of [4097, 4096])
  it(`match the definition past half the last-level cache (streamed out), rows of ${d}`, () => {
    const rows = Math.ceil(STREAMED_BYTES / 4 / d);
    const x = mx.random.normal([rows, d], mx.float32, 0, 1, mx.random.key(21)), w = mx.random.normal([d], mx.float32, 0, 1, mx.random.key(22)), b = mx.random.normal([d]);
    const [xv, wv, bv] = [x, w, b].map((a) => a.toTypedArray() as Float32Array);
    for (const [centred, hw, hb] of [[false, true, false], [false, false, false], [true, true, true], [true, false, true], [true, true, false]]) {
      const wa = hw ? w : null, ba = hb ? b : null;
      const y = (centred ? mx.fast.layerNorm(x, wa, ba, 1e-5) : mx.fast.rmsNorm(x, wa, 1e-5)).toTypedArray() as Float32Array;
      let worst = 0;
      for (let r = 0; r < rows; r++) {
        let mu = 0, ss = 0;
        if (centred) for (let i = 0; i < d; i++) mu += xv[r * d + i] / d;
        for (let i = 0; i < d; i++) ss += (xv[r * d + i] - mu) ** 2;
        const inv = 1 / Math.sqrt(ss / d + 1e-5);
        for (let i = 0; i < d; i++) {
          const want = (xv[r * d + i] - mu) * inv * (hw ? wv[i] : 1) + (hb ? bv[i] : 0);
          worst = Math.max(worst, Math.abs(y[r * d + i] - want) / (1 + Math.abs(want)));
        }
      }
      expect(worst, `${centred ? 'layerNorm' : 'rmsNorm'}, weight ${hw}, bias ${hb}`).toBeLessThanOrEqual(TOL.float32);
    }
  });

  it('raise at the call on a wrong weight shape or an integer input', () => {
    expect(() => mx.fast.rmsNorm(mx.zeros([2, 4]), mx.zeros([3]), 1e-5)).toThrow(MxError);
    expect(() => mx.fast.layerNorm(mx.zeros([2, 4], mx.int32), null, null, 1e-5)).toThrow(/floating/);
  });
});

describe('rope', () => {
  it('matches MLX in float32, traditional or not', () => {
    const x = data([2, 3, 6, 32], 7);
    for (const trad of [false, true])
      for (const [dims, offset] of [[32, 0], [16, 5]])
        expectClose(flat(mx.fast.rope(arr(x, [2, 3, 6, 32]), dims, trad, 10000, 1, offset)), flat(real.fast.rope(real.array(x).reshape([2, 3, 6, 32]), dims, trad, 10000, 1, offset)), TOL.float32, `trad ${trad} dims ${dims}`);
  });

  for (const dtype of [mx.float32, mx.float16, mx.bfloat16]) {
    it(`matches the definition in ${dtype.name}: scale, offset arrays per batch, custom freqs`, () => {
      const shape = [3, 2, 5, 16];
      const x = data(shape, 8), xr = rounded(x, shape, dtype);
      const tol = TOL[dtype.name];
      expectClose(flat(mx.fast.rope(arr(x, shape, dtype), 12, false, 500, 0.5, 2)), ropeRef(xr, shape, 12, false, 500, 0.5, [2]), tol, 'scale');
      const offs = mx.array([0, 7, 100], mx.int32);
      expectClose(flat(mx.fast.rope(arr(x, shape, dtype), 16, true, 10000, 1, offs)), ropeRef(xr, shape, 16, true, 10000, 1, [0, 7, 100]), tol, 'offset array');
      expectClose(flat(mx.fast.rope(arr(x, shape, dtype), 8, false, 10000, 1, mx.array(4, mx.int32))), ropeRef(xr, shape, 8, false, 10000, 1, [4]), tol, 'scalar array');
      const freqs = [1, 3, 10, 40];
      expectClose(flat(mx.fast.rope(arr(x, shape, dtype), 8, false, null, 1, 3, mx.array(freqs))), ropeRef(xr, shape, 8, false, null, 1, [3], freqs), tol, 'freqs');
    });
  }

  // The kernel takes blocks of positions (256 of head size 128) a head at a
  // time and keeps its last table of angles: long sequences (several
  // blocks, the last partial),
  // decoding shapes (many heads, a position or two), and a kept table
  // reused, or not, as the positions and frequencies say. Angles of
  // positions past 100 carry about 1e-5 of float32 rounding, as in MLX.
  it('matches the definition over blocks of positions and heads, with its table kept across calls', () => {
    const long = [2, 3, 300, 128], x = data(long, 9);
    for (let round = 0; round < 2; round++)
      for (const offset of [0, 11]) expectClose(flat(mx.fast.rope(arr(x, long), 128, false, 10000, 1, offset)), ropeRef(x, long, 128, false, 10000, 1, [offset]), 1e-4, `long, offset ${offset}, round ${round}`);
    expectClose(flat(mx.fast.rope(arr(x, long), 96, true, 10000, 0.5, mx.array([4, 1], mx.int32))), ropeRef(x, long, 96, true, 10000, 0.5, [4, 1]), 1e-4, 'long, offsets per batch');
    const heads = [2, 256, 2, 64], y = data(heads, 10);
    expectClose(flat(mx.fast.rope(arr(y, heads), 64, false, 10000, 1, mx.array([5, 9], mx.int32))), ropeRef(y, heads, 64, false, 10000, 1, [5, 9]), TOL.float32, 'many heads');
    const f1 = [1, 2, 4, 8, 16, 32, 64, 128], f2 = f1.map((f) => f * 3);
    for (const freqs of [f1, f2, f1]) expectClose(flat(mx.fast.rope(arr(y, heads), 16, false, null, 1, 5, mx.array(freqs))), ropeRef(y, heads, 16, false, null, 1, [5], freqs), TOL.float32, `freqs ${freqs[1]}`);
  });

  // rows of 130 floats (the last 2 copied) start at every offset modulo 16
  // bytes (a scratch row streamed out); rows of 128 each start a vector
  // (stored from registers), all rotated or the last 32 copied; traditional
  // rows take the scratch row. Heads go in groups of several: an odd count
  // leaves a group short.
  for (const [D, dims, trad] of [[130, 128, false], [128, 128, false], [128, 96, false], [128, 128, true]] as const)
  it(`matches the definition past half the last-level cache (streamed out), rows of ${D}, dims ${dims}${trad ? ', traditional' : ''}`, () => {
    const L = 256, H = Math.ceil(STREAMED_BYTES / 4 / (L * D)) | 1, shape = [1, H, L, D];
    const x = mx.random.normal(shape);
    const got = mx.fast.rope(x, dims, trad, 10000, 1, 3).toTypedArray() as Float32Array;
    const want = ropeRef(Array.from(x.toTypedArray() as Float32Array), shape, dims, trad, 10000, 1, [3]);
    let worst = 0;
    want.forEach((v, i) => (worst = Math.max(worst, Math.abs(got[i] - v) / (1 + Math.abs(v)))));
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it('raises at the call on odd dims, a 2-d input, or both base and freqs', () => {
    expect(() => mx.fast.rope(mx.zeros([1, 2, 8]), 3, false, 10000, 1, 0)).toThrow(/dims/);
    expect(() => mx.fast.rope(mx.zeros([2, 8]), 8, false, 10000, 1, 0)).toThrow(/3 dimensions/);
    expect(() => mx.fast.rope(mx.zeros([1, 2, 8]), 8, false, 10000, 1, 0, mx.ones([4]))).toThrow(/exactly one/);
  });
});

describe('scaledDotProductAttention', () => {
  const qs = [2, 8, 5, 16], ks = [2, 2, 7, 16], vs = [2, 2, 7, 12];
  const [q, k, v] = [data(qs, 9), data(ks, 10), data(vs, 11)];

  it('matches MLX in float32: grouped-query heads, additive masks', () => {
    const m = data([5, 7], 12);
    const [Q, K, V] = [real.array(q).reshape(qs), real.array(k).reshape(ks), real.array(v).reshape(vs)];
    expectClose(flat(mx.fast.scaledDotProductAttention(arr(q, qs), arr(k, ks), arr(v, vs), 0.25)), flat(real.fast.scaledDotProductAttention(Q, K, V, 0.25)), TOL.float32, 'plain');
    expectClose(flat(mx.fast.scaledDotProductAttention(arr(q, qs), arr(k, ks), arr(v, vs), 0.25, arr(m, [5, 7]))), flat(real.fast.scaledDotProductAttention(Q, K, V, 0.25, real.array(m).reshape([5, 7]))), TOL.float32, 'mask');
  });

  for (const dtype of [mx.float32, mx.float16, mx.bfloat16]) {
    it(`matches the definition in ${dtype.name}: causal, boolean and additive masks, sinks`, () => {
      const [qr, kr, vr] = [rounded(q, qs, dtype), rounded(k, ks, dtype), rounded(v, vs, dtype)];
      const [Q, K, V] = [arr(q, qs, dtype), arr(k, ks, dtype), arr(v, vs, dtype)];
      const tol = TOL[dtype.name];
      const out = mx.fast.scaledDotProductAttention(Q, K, V, 0.3, 'causal');
      expect(out.dtype).toBe(dtype);
      expect(out.shape).toEqual([2, 8, 5, 12]);
      expectClose(flat(out), sdpaRef(qr, kr, vr, qs, ks, 12, 0.3, { kind: 'causal' }), tol, 'causal');
      const keep = data([2, 1, 5, 7], 13).map((x) => (x > -0.6 ? 1 : 0));
      for (let i = 0; i < 10; i++) keep[i * 7] = 1; // every row keeps a key
      expectClose(flat(mx.fast.scaledDotProductAttention(Q, K, V, 0.3, mx.array(keep).reshape([2, 1, 5, 7]).astype(mx.bool))), sdpaRef(qr, kr, vr, qs, ks, 12, 0.3, { kind: 'bool', values: keep, shape: [2, 1, 5, 7] }), tol, 'bool');
      const add = data([8, 1, 7], 14);
      expectClose(flat(mx.fast.scaledDotProductAttention(Q, K, V, 0.3, arr(add, [8, 1, 7], dtype))), sdpaRef(qr, kr, vr, qs, ks, 12, 0.3, { kind: 'add', values: rounded(add, [8, 1, 7], dtype), shape: [8, 1, 7] }), tol, 'additive');
      const sinks = data([8], 15);
      expectClose(flat(mx.fast.scaledDotProductAttention(Q, K, V, 0.3, 'causal', arr(sinks, [8], dtype))), sdpaRef(qr, kr, vr, qs, ks, 12, 0.3, { kind: 'causal' }, rounded(sinks, [8], dtype)), tol, 'sinks');
    });
  }

  // Two kernels: up to 16 query rows per key/value head (decoding) split the
  // keys into chunks whose softmax partials are merged; more rows go by
  // blocks of about 64 rows, position by position across a group's heads, in
  // tiles of 12 rows times panels of 32 keys and 6 rows times 64 value
  // columns. Head size 20 and 300 keys leave tails at every vector width.
  const paths: Array<[string, number[], number[], number[]]> = [
    ['split keys: 1 query, 300 keys', [2, 8, 1, 20], [2, 2, 300, 20], [2, 2, 300, 12]],
    ['split keys: 3 queries, 300 keys', [2, 8, 3, 20], [2, 2, 300, 20], [2, 2, 300, 12]],
    ['blocks: 80 rows per key/value head', [1, 4, 40, 20], [1, 2, 40, 20], [1, 2, 40, 12]],
    // 4 heads a group: 16 positions a block, rows in tiles of 12 and 6 with tails; values of 80 are a chunk of 64 and one of 16
    ['blocks: 4 heads over one, 70 queries against 100 keys, values of 80', [1, 4, 70, 24], [1, 1, 100, 24], [1, 1, 100, 80]],
    // one head a group: 64 positions a block; more queries than keys leaves causal rows that see nothing
    ['blocks: 130 queries against 90 keys, values of 128', [1, 2, 130, 36], [1, 2, 90, 36], [1, 2, 90, 128]],
    // values of 20: a vector and a scalar tail
    ['blocks: 8 heads over one, 9 queries, values of 20', [2, 8, 9, 16], [2, 1, 45, 16], [2, 1, 45, 20]],
    // value rows of 64 and 128 take the kernel that sums pairs of rows in registers (here 3 and 2 rows)
    ['split keys: 3 stacked rows, values of 128', [1, 6, 1, 64], [1, 2, 300, 64], [1, 2, 300, 128]],
    ['split keys: 2 stacked rows, values of 64', [1, 4, 1, 128], [1, 2, 300, 128], [1, 2, 300, 64]],
    // the scores go by tiles of 4 rows times 4 keys: 5 rows are a tile of 4 and one of 1, 130 keys leave a tail
    ['split keys: 5 stacked rows, values of 128', [1, 5, 1, 36], [1, 1, 130, 36], [1, 1, 130, 128]],
  ];
  for (const [what, qs2, ks2, vs2] of paths)
    for (const dtype of [mx.float32, mx.float16]) {
      it(`${what}: matches the definition in ${dtype.name} with every mask and sinks`, () => {
        const [B, H, Lq] = qs2, Lk = ks2[2];
        const [q2, k2, v2] = [data(qs2, 30), data(ks2, 31), data(vs2, 32)];
        const [qr, kr, vr] = [rounded(q2, qs2, dtype), rounded(k2, ks2, dtype), rounded(v2, vs2, dtype)];
        const [Q, K, V] = [arr(q2, qs2, dtype), arr(k2, ks2, dtype), arr(v2, vs2, dtype)];
        const tol = TOL[dtype.name];
        const run = (mask: AttentionMask, sinks?: MxArray) => flat(mx.fast.scaledDotProductAttention(Q, K, V, 0.4, mask, sinks));
        const ref = (mask: Mask, sinks?: number[]) => sdpaRef(qr, kr, vr, qs2, ks2, vs2[3], 0.4, mask, sinks);
        expectClose(run(null), ref({ kind: 'none' }), tol, 'plain');
        expectClose(run('causal'), ref({ kind: 'causal' }), tol, 'causal');
        // a long run of masked keys leaves whole chunks with nothing visible
        const keep = data([B, 1, Lq, Lk], 33).map((x, i) => (i % Lk < Lk / 2 && Math.floor(i / Lk) % 2 === 0 ? 0 : x > -0.5 ? 1 : 0));
        for (let row = 0; row < B * Lq; row++) keep[row * Lk + Lk - 1] = 1;
        expectClose(run(mx.array(keep).reshape([B, 1, Lq, Lk]).astype(mx.bool)), ref({ kind: 'bool', values: keep, shape: [B, 1, Lq, Lk] }), tol, 'bool');
        const add = data([H, 1, Lk], 34).map((x) => 3 * x);
        expectClose(run(arr(add, [H, 1, Lk], dtype)), ref({ kind: 'add', values: rounded(add, [H, 1, Lk], dtype), shape: [H, 1, Lk] }), tol, 'additive');
        const sinks = data([H], 35).map((x) => 4 * x);
        expectClose(run('causal', arr(sinks, [H], dtype)), ref({ kind: 'causal' }, rounded(sinks, [H], dtype)), tol, 'sinks');
      });
    }

  // Float32 head sizes that are multiples of 32 with 64 query rows or more a
  // kv head: AMX where the CPU has it (attention_amx.cpp: operands split into
  // 3 bfloat16 parts, blocks of 32 rows and 32 keys), else the register
  // tiles; MLXCOMPAT_AMX=0 turns AMX off, so each case runs both ways. Rows
  // and keys not multiples of 16 or 32, causal blocks that see part of a
  // block of keys, and a head size of 48 that must take the register tiles.
  const amxCases: Array<[string, number[], number[], number[]]> = [
    ['4 heads over one, 70 queries against 100 keys, head size 128', [1, 4, 70, 128], [1, 1, 100, 128], [1, 1, 100, 128]],
    ['2 heads over 2, 75 queries against 75 keys, head size 64, values of 96', [1, 2, 75, 64], [1, 2, 75, 64], [1, 2, 75, 96]],
    ['2 batches, 8 heads over 2, 33 queries against 200 keys, head size 64', [2, 8, 33, 64], [2, 2, 200, 64], [2, 2, 200, 64]],
    ['head size 48 (the register tiles), 4 heads over 2, 40 queries', [1, 4, 40, 48], [1, 2, 40, 48], [1, 2, 40, 32]],
    ['4 heads over 2, 80 queries against 50 keys (causal rows that see no key)', [1, 4, 80, 64], [1, 2, 50, 64], [1, 2, 50, 64]],
  ];
  for (const [what, qs2, ks2, vs2] of amxCases)
    it(`prefill, AMX on and off: ${what}: within 2e-5 of float64 with every mask and sinks`, () => {
      const [, H, Lq] = qs2, Lk = ks2[2];
      const [q2, k2, v2] = [data(qs2, 60), data(ks2, 61), data(vs2, 62)].map((x, i) => rounded(x, [qs2, ks2, vs2][i], mx.float32));
      const [Q, K, V] = [arr(q2, qs2), arr(k2, ks2), arr(v2, vs2)];
      const add = rounded(data([H, 1, Lk], 63).map((x) => 3 * x), [H, 1, Lk], mx.float32), sinks = rounded(data([H], 64).map((x) => 4 * x), [H], mx.float32);
      // every seventh row sees no key (the mean of the values)
      const keep = data([1, 1, Lq, Lk], 65).map((x, i) => (Math.floor(i / Lk) % 7 === 3 ? 0 : x > -0.3 ? 1 : 0));
      const cases: Array<[string, AttentionMask, Mask, number[]?]> = [
        ['plain', null, { kind: 'none' }],
        ['boolean, rows with no key', mx.array(keep).reshape([1, 1, Lq, Lk]).astype(mx.bool), { kind: 'bool', values: keep, shape: [1, 1, Lq, Lk] }],
        ['causal', 'causal', { kind: 'causal' }],
        ['additive', arr(add, [H, 1, Lk]), { kind: 'add', values: add, shape: [H, 1, Lk] }],
        ['causal, sinks', 'causal', { kind: 'causal' }, sinks],
      ];
      for (const [name, mask, ref, sk] of cases) {
        const want = sdpaRef(q2, k2, v2, qs2, ks2, vs2[3], 0.4, ref, sk);
        const run = (on: boolean) => amxSwitch(on, () => flat(mx.fast.scaledDotProductAttention(Q, K, V, 0.4, mask, sk && arr(sk, [H]))));
        const on = run(true), off = run(false);
        expectClose(on, want, TOL.float32, `${name}, AMX on`);
        expectClose(off, want, TOL.float32, `${name}, AMX off`);
        // as accurate as float32 sums (both about 1.5e-7 here, values of 1 or
        // less): leaving out a part of either operand costs 1e-5 or more
        for (const [path, got] of [['on', on], ['off', off]] as const)
          expect(Math.max(...got.map((x, i) => Math.abs(x - want[i]))), `${name}, AMX ${path}: largest error`).toBeLessThanOrEqual(1e-6);
        // the switch takes effect: the two paths round differently
        if (cpuHasAmx && qs2[3] % 32 === 0 && name === 'plain') expect(on.some((x, i) => x !== off[i]), name).toBe(true);
        void Lq;
      }
    });

  // Each query row and key is scaled by its own power of two before it is
  // split, each value column by its own: queries near 2^-120 against keys
  // near 2^118 (and the other way round in the second batch) keep every
  // part clear of bfloat16's subnormals, and value columns from 2^-100 to
  // 2^100 each come out within 2e-5 of their own largest value.
  it('prefill, AMX on and off: values of widely different magnitudes, within 2e-5 of float64 column by column', () => {
    const qs2 = [2, 4, 66, 64], ks2 = [2, 2, 70, 64], vs2 = [2, 2, 70, 64];
    const [B, H, Lq, D] = qs2, Lk = ks2[2], Dv = vs2[3];
    const side = (b: number) => (b === 0 ? -1 : 1);
    const q2 = data(qs2, 70).map((x, i) => x * 2 ** (side(Math.floor(i / (H * Lq * D))) * (120 - (Math.floor(i / D) % 5))));
    const k2 = data(ks2, 71).map((x, i) => x * 2 ** (-side(Math.floor(i / (2 * Lk * D))) * (118 - (Math.floor(i / D) % 3))));
    const v2 = data(vs2, 72).map((x, i) => x * 2 ** (((i % Dv) * 7) % 201 - 100));
    const [qr, kr, vr] = [rounded(q2, qs2, mx.float32), rounded(k2, ks2, mx.float32), rounded(v2, vs2, mx.float32)];
    for (const [name, mask, ref] of [['plain', null, { kind: 'none' }], ['causal', 'causal', { kind: 'causal' }]] as Array<[string, AttentionMask, Mask]>) {
      const want = sdpaRef(qr, kr, vr, qs2, ks2, Dv, 0.4, ref);
      const colMax = Array.from({ length: Dv }, (_, c) => Math.max(...vr.filter((_, i) => i % Dv === c).map(Math.abs)));
      for (const on of [true, false]) {
        const got = amxSwitch(on, () => flat(mx.fast.scaledDotProductAttention(arr(q2, qs2), arr(k2, ks2), arr(v2, vs2), 0.4, mask)));
        let worst = 0;
        got.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - want[i]) / colMax[i % Dv])));
        expect(worst, `${name}, AMX ${on ? 'on' : 'off'}`).toBeLessThanOrEqual(2e-5);
      }
      void B;
    }
  });

  // Not finite: a key or value that is not finite sends the whole call to the
  // register tiles (the same result both ways); a query row that is not
  // finite gets its scores as float32 sums, so it is NaN both ways, as are
  // the rows of every head that share its kv head nowhere else.
  it('prefill, AMX on and off: keys, values or queries that are not finite', () => {
    const qs2 = [1, 4, 40, 64], ks2 = [1, 2, 50, 64], vs2 = [1, 2, 50, 32];
    const [q2, k2, v2] = [data(qs2, 80), data(ks2, 81), data(vs2, 82)];
    const both = (qv: number[], kv: number[], vv: number[]) => [true, false].map((on) => amxSwitch(on, () => flat(mx.fast.scaledDotProductAttention(arr(qv, qs2), arr(kv, ks2), arr(vv, vs2), 0.4, 'causal'))));
    const kInf = k2.slice();
    kInf[3 * 64 + 5] = Infinity;
    const [a, b] = both(q2, kInf, v2);
    expect(a).toEqual(b);
    const vNan = v2.slice();
    vNan[7 * 32 + 1] = NaN;
    const [c, d] = both(q2, k2, vNan);
    expect(c).toEqual(d);
    const qNan = q2.slice();
    qNan[(1 * 40 + 9) * 64 + 3] = NaN;  // head 1, position 9
    const [e, f] = both(qNan, k2, v2);
    const want = sdpaRef(q2, k2, v2, qs2, ks2, 32, 0.4, { kind: 'causal' });
    for (const out of [e, f])
      out.forEach((x, i) => {
        const row = Math.floor(i / 32);
        if (row === 40 + 9) expect(Number.isNaN(x), `row ${row}`).toBe(true);
        else expect(Math.abs(x - want[i]) / (1 + Math.abs(want[i])), `[${i}]`).toBeLessThanOrEqual(2e-5);
      });
  });

  it('runs empty batches, queries and keys (no keys: the empty sum, zeros)', () => {
    for (const [qs0, ks0] of [[[0, 4, 1, 8], [0, 2, 5, 8]], [[1, 4, 0, 8], [1, 2, 5, 8]], [[1, 4, 1, 8], [1, 2, 0, 8]], [[1, 4, 40, 8], [1, 2, 0, 8]]]) {
      const vs0 = [...ks0.slice(0, 3), 3];
      const [q0, k0, v0] = [data(qs0, 40), data(ks0, 41), data(vs0, 42)];
      const out = mx.fast.scaledDotProductAttention(arr(q0, qs0), arr(k0, ks0), arr(v0, vs0), 0.5);
      expect(out.shape).toEqual([...qs0.slice(0, 3), 3]);
      expectClose(flat(out), sdpaRef(q0, k0, v0, qs0, ks0, 3, 0.5, { kind: 'none' }), TOL.float32, `${qs0} ${ks0}`);
    }
  });

  it('raises at the call on heads that do not group or a mask that does not broadcast', () => {
    expect(() => mx.fast.scaledDotProductAttention(mx.zeros([1, 3, 2, 4]), mx.zeros([1, 2, 2, 4]), mx.zeros([1, 2, 2, 4]), 1)).toThrow(MxError);
    expect(() => mx.fast.scaledDotProductAttention(mx.zeros([1, 2, 2, 4]), mx.zeros([1, 2, 3, 4]), mx.zeros([1, 2, 3, 4]), 1, mx.zeros([2, 2]))).toThrow(/broadcast/);
  });
});

describe('gradients', () => {
  // The same functions composed of ordinary ops: their vjp rules are tested elsewhere.
  const f32 = (v: number[], s: number[]) => arr(v, s);
  const comp = {
    rms: (x: MxArray, w: MxArray) => mx.multiply(mx.multiply(x, mx.rsqrt(mx.add(mx.mean(mx.square(x), -1, true), 1e-5))), w),
    ln: (x: MxArray, w: MxArray, b: MxArray) => comp.lnOf(x, w, b),
    lnOf: (x: MxArray, w: MxArray | null, b: MxArray | null) => {
      const xc = mx.subtract(x, mx.mean(x, -1, true));
      const y = mx.multiply(xc, mx.rsqrt(mx.add(mx.mean(mx.square(xc), -1, true), 1e-5)));
      const yw = w ? mx.multiply(y, w) : y;
      return b ? mx.add(yw, b) : yw;
    },
    sdpa: (q: MxArray, k: MxArray, v: MxArray, causal: boolean) => {
      // heads repeated for the groups, then softmax(q k^T s) v
      const rep = (a: MxArray) => mx.reshape(mx.broadcastTo(mx.expandDims(a, 2), [2, 2, 4, a.shape[2], a.shape[3]]), [2, 8, a.shape[2], a.shape[3]]);
      let s = mx.multiply(mx.matmul(q, mx.swapaxes(rep(k), -1, -2)), 0.3);
      if (causal) s = mx.where(mx.greaterEqual(mx.reshape(mx.arange(5), [5, 1]), mx.subtract(mx.reshape(mx.arange(7), [1, 7]), 2)), s, -Infinity);
      return mx.matmul(mx.softmax(s, -1), rep(v));
    },
  };
  const check = (ours: MxArray[], theirs: MxArray[], what: string) => ours.forEach((g, i) => expectClose(flat(g), flat(theirs[i]), 1e-4, `${what} ${i}`));
  const weights = (s: number[]) => arr(data(s, 99), s);

  it('rmsNorm and layerNorm: x, weight and bias', () => {
    const [x, w, b] = [f32(data([3, 16], 20), [3, 16]), f32(data([16], 21), [16]), f32(data([16], 22), [16])];
    const ow = weights([3, 16]);
    const loss = (f: (...a: MxArray[]) => MxArray) => (...a: MxArray[]) => mx.sum(mx.multiply(f(...a), ow));
    check(mx.grad(loss((x, w) => mx.fast.rmsNorm(x, w, 1e-5)), [0, 1])(x, w) as MxArray[], mx.grad(loss(comp.rms), [0, 1])(x, w) as MxArray[], 'rms');
    check(mx.grad(loss((x, w, b) => mx.fast.layerNorm(x, w, b, 1e-5)), [0, 1, 2])(x, w, b) as MxArray[], mx.grad(loss(comp.ln), [0, 1, 2])(x, w, b) as MxArray[], 'ln');
  });

  // layer_norm's cotangents are one engine op (layer_norm_vjp), in float: against the composed rule in each
  // dtype (half types against it in float32), with and without weight and bias, over rows split between threads
  it('layerNorm: every weight and bias combination, float64 and the half types, rows over several threads', () => {
    const shape = [128, 300], d = 300;
    const x0 = data(shape, 27), w0 = data([d], 28), b0 = data([d], 29), o0 = data(shape, 30);
    for (const dtype of ['float32', 'float64', 'float16', 'bfloat16'] as const) {
      const t = mx[dtype];
      const ref = dtype === 'float64' ? t : mx.float32;
      for (const [hw, hb] of [[true, true], [true, false], [false, true], [false, false]]) {
        // both from the same values of the dtype; the composed rule in float32 (float64 for float64)
        const grads = (fused: boolean) => {
          const [x, w, b, ow] = [x0, w0, b0, o0].map((v, i) => arr(v, i === 1 || i === 2 ? [d] : shape).astype(t).astype(fused ? t : ref));
          const f = (x: MxArray, w: MxArray, b: MxArray) => {
            const y = fused ? mx.fast.layerNorm(x, hw ? w : null, hb ? b : null, 1e-5) : comp.lnOf(x, hw ? w : null, hb ? b : null);
            return mx.sum(mx.multiply(y, ow));
          };
          const all = mx.grad(f, [0, 1, 2])(x, w, b) as MxArray[];
          return [all[0], ...(hw ? [all[1]] : []), ...(hb ? [all[2]] : [])];
        };
        const ours = grads(true), theirs = grads(false);
        ours.forEach((g, i) => {
          expect(g.dtype).toBe(t);
          expectClose(flat(g), flat(theirs[i]), dtype === 'float64' ? 1e-12 : TOL[dtype], `${dtype} weight ${hw} bias ${hb} ${i}`);
        });
      }
    }
  });

  it('layerNorm: second derivatives through its vjp', () => {
    const [x, w, b] = [f32(data([4, 24], 31), [4, 24]), f32(data([24], 32), [24]), f32(data([24], 33), [24])];
    const ow = weights([4, 24]), ow2 = arr(data([4, 24], 34), [4, 24]);
    // the sum of x's cotangent weighted by ow2, differentiated again in x and the weight
    const second = (f: (...a: MxArray[]) => MxArray) => (x: MxArray, w: MxArray) =>
      mx.sum(mx.multiply(mx.grad((x: MxArray) => mx.sum(mx.multiply(f(x, w, b), ow)))(x) as MxArray, ow2));
    check(mx.grad(second((x, w, b) => mx.fast.layerNorm(x, w, b, 1e-5)), [0, 1])(x, w) as MxArray[], mx.grad(second(comp.ln), [0, 1])(x, w) as MxArray[], 'ln second');
  });

  it.skipIf(!HAVE_MLX)('layerNorm: its cotangents on MLX v0.31.2 (the vjp of its fast.layer_norm)', () => {
    const [x, w, b] = [f32(data([6, 40], 35), [6, 40]), f32(data([40], 36), [40]), f32(data([40], 37), [40])];
    const ow = weights([6, 40]);
    for (const [hw, hb] of [[true, true], [false, true], [true, false], [false, false]]) {
      const f = (x: MxArray, w: MxArray, b: MxArray) => mx.sum(mx.multiply(mx.fast.layerNorm(x, hw ? w : null, hb ? b : null, 1e-5), ow));
      const ours = mx.grad(f, [0, 1, 2])(x, w, b) as MxArray[];
      const theirs = onMlx(() => (mx.grad(f, [0, 1, 2])(x, w, b) as MxArray[]).map(flat));
      ours.forEach((g, i) => expectClose(flat(g), theirs[i], 1e-4, `mlx weight ${hw} bias ${hb} ${i}`));
    }
  });

  it('rope: its vjp is the opposite rotation', () => {
    const shape = [2, 2, 5, 8];
    const x = f32(data(shape, 23), shape), ow = weights(shape);
    const g = mx.grad((x: MxArray) => mx.sum(mx.multiply(mx.fast.rope(x, 8, false, 10000, 1, 3), ow)))(x) as MxArray;
    // the rotation is orthogonal: the gradient is ow rotated back
    expectClose(flat(g), ropeRef(flat(ow), shape, 8, false, 10000, -1, [3]), 1e-5, 'rope');
  });

  for (const causal of [false, true]) {
    it(`scaledDotProductAttention${causal ? ' (causal)' : ''}: queries, keys and values over grouped heads`, () => {
      const [q, k, v] = [f32(data(qs5, 24), qs5), f32(data(ks5, 25), ks5), f32(data(ks5, 26), ks5)];
      const ow = weights([2, 8, 5, 16]);
      const loss = (f: (...a: MxArray[]) => MxArray) => (...a: MxArray[]) => mx.sum(mx.multiply(f(...a), ow));
      check(
        mx.grad(loss((q, k, v) => mx.fast.scaledDotProductAttention(q, k, v, 0.3, causal ? 'causal' : null)), [0, 1, 2])(q, k, v) as MxArray[],
        mx.grad(loss((q, k, v) => comp.sdpa(q, k, v, causal)), [0, 1, 2])(q, k, v) as MxArray[],
        'sdpa',
      );
    });
  }
  // attention's cotangents (but with sinks) are one engine op, scaled_dot_product_attention_vjp: against attention
  // composed of ordinary ops (softmax's own rule), finite differences, second derivatives and MLX v0.31.2
  const attentionComposed = (q: MxArray, k: MxArray, v: MxArray, scale: number, mask: MxArray | 'causal' | null) => {
    const [B, H, Lq] = q.shape, [, Hk, Lk] = k.shape, G = H / Hk;
    const rep = (a: MxArray) => (G === 1 ? a : mx.reshape(mx.broadcastTo(mx.expandDims(a, 2), [B, Hk, G, Lk, a.shape[3]]), [B, H, Lk, a.shape[3]]));
    let s = mx.multiply(mx.matmul(q, mx.swapaxes(rep(k), -1, -2)), scale);
    if (mask === 'causal') s = mx.where(mx.greaterEqual(mx.reshape(mx.arange(Lq), [Lq, 1]), mx.subtract(mx.reshape(mx.arange(Lk), [1, Lk]), Lk - Lq)), s, -Infinity);
    else if (mask) s = mask.dtype === mx.bool ? mx.where(mask, s, -Infinity) : mx.add(s, mask);
    return mx.matmul(mx.softmax(s, -1), rep(v));
  };
  const [aq, ak, av] = [[2, 4, 9, 16], [2, 2, 11, 16], [2, 2, 11, 8]];
  const attentionMasks = (): Array<[string, MxArray | 'causal' | null]> => [
    ['none', null],
    ['causal', 'causal'],
    ['additive', arr(data([9, 11], 40), [9, 11])],
    // every row keeps its first key: no row sees nothing (where MLX and the composed rule differ)
    ['boolean', mx.array(Array.from({ length: 2 * 9 * 11 }, (_, i) => i % 11 === 0 || (i * 7) % 5 !== 0)).reshape([2, 1, 9, 11])],
  ];
  for (const dtype of ['float32', 'float16', 'bfloat16'] as const)
    it(`scaledDotProductAttention in ${dtype}: no mask, causal, additive and boolean masks, grouped heads`, () => {
      const t = mx[dtype];
      const inputs = (to: typeof t) => [[aq, 41], [ak, 42], [av, 43], [[2, 4, 9, 8], 44]].map(([s, seed]) => arr(data(s as number[], seed as number), s as number[]).astype(t).astype(to));
      for (const [name, mask] of attentionMasks()) {
        const grads = (to: typeof t, fused: boolean) => {
          const [q, k, v, ow] = inputs(to);
          const f = (q: MxArray, k: MxArray, v: MxArray) =>
            mx.sum(mx.multiply(fused ? mx.fast.scaledDotProductAttention(q, k, v, 0.3, mask as AttentionMask) : attentionComposed(q, k, v, 0.3, mask), ow));
          return mx.grad(f, [0, 1, 2])(q, k, v) as MxArray[];
        };
        const ours = grads(t, true), theirs = grads(mx.float32, false);
        ours.forEach((g, i) => {
          expect(g.dtype).toBe(t);
          expectClose(flat(g), flat(theirs[i]), dtype === 'float32' ? 1e-4 : TOL[dtype], `${dtype} ${name} ${i}`);
        });
      }
    });

  it('scaledDotProductAttention: cotangents match finite differences (causal, grouped heads)', () => {
    const shapes = [[1, 2, 3, 4], [1, 1, 5, 4], [1, 1, 5, 3]];
    const vals = shapes.map((s, i) => data(s, 45 + i));
    const ow = arr(data([1, 2, 3, 3], 48), [1, 2, 3, 3]);
    const loss = (q: MxArray, k: MxArray, v: MxArray) => mx.sum(mx.multiply(mx.fast.scaledDotProductAttention(q, k, v, 0.5, 'causal'), ow));
    const grads = (mx.grad(loss, [0, 1, 2])(...(vals.map((v, i) => arr(v, shapes[i])) as [MxArray, MxArray, MxArray])) as MxArray[]).map(flat);
    const h = 1e-2;
    vals.forEach((v, which) =>
      v.forEach((_, j) => {
        const at = (d: number) => loss(...(vals.map((w, i) => arr(i === which ? w.map((x, n) => (n === j ? x + d : x)) : w, shapes[i])) as [MxArray, MxArray, MxArray])).item() as number;
        const fd = (at(h) - at(-h)) / (2 * h);
        expect(Math.abs(grads[which][j] - fd), `input ${which} element ${j}`).toBeLessThanOrEqual(2e-3 * (1 + Math.abs(fd)));
      }),
    );
  });

  it('scaledDotProductAttention: second derivatives through its vjp (additive mask)', () => {
    const [q, k, v] = [f32(data(qs5, 49), qs5), f32(data(ks5, 50), ks5), f32(data(ks5, 51), ks5)];
    const mask = arr(data([5, 7], 52), [5, 7]), ow = weights([2, 8, 5, 16]), ow2 = arr(data(qs5, 53), qs5);
    const second = (att: (q: MxArray, k: MxArray, v: MxArray) => MxArray) => (q: MxArray, k: MxArray, v: MxArray) =>
      mx.sum(mx.multiply(mx.grad((q: MxArray) => mx.sum(mx.multiply(att(q, k, v), ow)))(q) as MxArray, ow2));
    check(
      mx.grad(second((q, k, v) => mx.fast.scaledDotProductAttention(q, k, v, 0.3, mask)), [0, 1, 2])(q, k, v) as MxArray[],
      mx.grad(second((q, k, v) => attentionComposed(q, k, v, 0.3, mask)), [0, 1, 2])(q, k, v) as MxArray[],
      'sdpa second',
    );
  });

  it.skipIf(!HAVE_MLX)('scaledDotProductAttention: its cotangents on MLX v0.31.2 (the vjp of its fast.scaled_dot_product_attention)', () => {
    const [q, k, v, ow] = [[aq, 54], [ak, 55], [av, 56], [[2, 4, 9, 8], 57]].map(([s, seed]) => arr(data(s as number[], seed as number), s as number[]));
    for (const [name, mask] of attentionMasks()) {
      const f = (q: MxArray, k: MxArray, v: MxArray) => mx.sum(mx.multiply(mx.fast.scaledDotProductAttention(q, k, v, 0.3, mask as AttentionMask), ow));
      const ours = mx.grad(f, [0, 1, 2])(q, k, v) as MxArray[];
      const theirs = onMlx(() => (mx.grad(f, [0, 1, 2])(q, k, v) as MxArray[]).map(flat));
      ours.forEach((g, i) => expectClose(flat(g), theirs[i], 1e-4, `mlx ${name} ${i}`));
    }
  });
  const qs5 = [2, 8, 5, 16], ks5 = [2, 2, 7, 16];
});

describe('custom kernels', () => {
  it('metalKernel and cudaKernel are refused (unsupported_device)', () => {
    for (const f of [mx.fast.metalKernel, mx.fast.cudaKernel]) {
      try {
        f();
        throw new Error('not refused');
      } catch (e) {
        expect(e).toBeInstanceOf(MlxRefusedError);
        expect((e as MlxRefusedError).code).toBe('unsupported_device');
      }
    }
  });
});

// MLX masks causally and with booleans by the lowest finite score, so a row
// that sees no key (more queries than keys, or a boolean row all false)
// weighs every key alike; an additive mask of -inf everywhere gives NaN.
describe.skipIf(!HAVE_MLX)('attention rows that see no key, as MLX v0.31.2', () => {
  for (const [what, Lq, Lk] of [['split keys', 3, 2], ['blocks', 40, 5]] as const)
    it(`${what}: ${Lq} queries, ${Lk} keys`, () => {
      const qs = [1, 2, Lq, 4], ks = [1, 1, Lk, 4], vs = [1, 1, Lk, 3];
      const [q, k, v] = [arr(data(qs, 50), qs), arr(data(ks, 51), ks), arr(data(vs, 52), vs)];
      const keep = mx.array(Array.from({ length: Lq * Lk }, (_, i) => Math.floor(i / Lk) % 3 !== 1 && i % Lk !== 0)).reshape([Lq, Lk]);
      const minus = mx.where(mx.arange(Lq * Lk).reshape([Lq, Lk]).less(Lk), -Infinity, 0.5);
      for (const [name, mask] of [['causal', 'causal'], ['boolean', keep], ['additive -inf', minus]] as Array<[string, AttentionMask]>) {
        const ours = flat(mx.fast.scaledDotProductAttention(q, k, v, 0.5, mask));
        const theirs = onMlx(() => flat(mx.fast.scaledDotProductAttention(q, k, v, 0.5, mask)));
        ours.forEach((x, i) => expect(Number.isNaN(x) ? Number.isNaN(theirs[i]) : Math.abs(x - theirs[i]) <= 2e-5 * (1 + Math.abs(theirs[i])), `${name} [${i}] ${x} vs ${theirs[i]}`).toBe(true));
      }
    });
});
