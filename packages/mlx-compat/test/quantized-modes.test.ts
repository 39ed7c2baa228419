// Quantization against MLX v0.31.2 itself, through the engine's mlx backend
// (mlx-c), where the shared runtime is present: quantize and dequantize bit
// for bit in every mode (affine with bits 2, 3, 4, 5, 6, 8 and groups of 32,
// 64, 128; mxfp4, mxfp8, nvfp4), from float32, float16 and bfloat16, on
// random groups, constant groups, groups of ties and groups with zeros; the
// products (quantizedMatmul, gatherQmm) within the float32 rounding bound
// of a float64 product of the dequantized weights, and of MLX's. The
// floating-point formats' values are also checked against their
// definitions (E2M1, E4M3, E8M0), without MLX. Engine-level errors (the C
// interface) carry MLX's messages.
import { describe, expect, it } from 'vitest';
import { MlxRequestError, Session } from 'mlx-capi-bridge';
import mlx, { MxError, type MxArray } from '../src/index.js';
import { rng } from './oracle.js';
import { mlxCurrent, onMlx } from './mlx-current.js';

const HAVE_MLX = mlxCurrent('quantization tests');

const mx = mlx.core;
type Mode = 'affine' | 'mxfp4' | 'mxfp8' | 'nvfp4';

const bytes = (a: MxArray) => {
  const t = a.toTypedArray();
  return Buffer.from(new Uint8Array(t.buffer, t.byteOffset, a.nbytes));
};
const flat = (a: { tolist(): unknown }): number[] => [a.tolist()].flat(Infinity).map(Number);

// Rows of groups of several kinds: random values of mixed magnitudes,
// constant groups, multiples of a quarter times a power of two (ties for
// both rounding rules), groups with zeros and tiny values.
function groups(rows: number, k: number, gs: number, seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let g = 0; g < (rows * k) / gs; g++) {
    const kind = g % 5, p2 = 2 ** (Math.floor(r() * 8) - 4), c = (r() * 2 - 1) * 3;
    for (let j = 0; j < gs; j++) {
      if (kind === 0) out.push((r() * 2 - 1) * (1 + 3 * r()));
      else if (kind === 1) out.push(c);
      else if (kind === 2) out.push((Math.floor(r() * 49) - 24) * 0.25 * p2);
      else if (kind === 3) out.push(r() < 0.5 ? 0 : (r() * 2 - 1) * 1e-3 * p2);
      else out.push((r() * 2 - 1) * 100 * p2);
    }
  }
  return out;
}

const CONFIGS: Array<[Mode, number, number]> = [
  ...[2, 3, 4, 5, 6, 8].flatMap((bits) => [32, 64, 128].map((gs) => ['affine', bits, gs] as [Mode, number, number])),
  ['mxfp4', 4, 32],
  ['mxfp8', 8, 32],
  ['nvfp4', 4, 16],
];
const quantize = (w: MxArray, gs: number, bits: number, mode: Mode): MxArray[] => (mode === 'affine' ? mx.quantize(w, gs, bits) : mx.quantize(w, gs, bits, mode));

// The first difference of two byte strings, as elements of `size` bytes.
function sameBytes(ours: Buffer, theirs: Buffer, size: number, what: string): void {
  if (ours.equals(theirs)) return;
  let i = 0;
  while (i < ours.length && ours[i] === theirs[i]) i++;
  const at = Math.floor(i / size) * size;
  throw new Error(`${what}: element ${at / size} differs: ours ${ours.subarray(at, at + size).toString('hex')}, MLX ${theirs.subarray(at, at + size).toString('hex')}`);
}

describe.skipIf(!HAVE_MLX)('quantize and dequantize: MLX v0.31.2 bit for bit', () => {
  for (const dtype of [mx.float32, mx.float16, mx.bfloat16])
    for (const [mode, bits, gs] of CONFIGS)
      it(`${mode}, ${bits} bits, groups of ${gs}, from ${dtype.name}`, () => {
        const rows = 6, k = 640;
        const w = mx.array(groups(rows, k, gs, bits * 1000 + gs)).astype(dtype).reshape([rows, k]);
        mx.eval(w);
        const ours = quantize(w, gs, bits, mode);
        const theirs = onMlx(() => quantize(w, gs, bits, mode).map(bytes));
        expect(ours.length).toBe(mode === 'affine' ? 3 : 2);
        ours.forEach((a, i) => sameBytes(bytes(a), theirs[i], a.dtype.size, `${['packed', 'scales', 'biases'][i]}`));
        const [q, s, b] = ours;
        const deq = (dt?: typeof mx.float32) => mx.dequantize(q, s, b ?? null, gs, bits, mode, dt);
        for (const dt of [undefined, mx.float32, mx.float16, mx.bfloat16]) {
          const d = deq(dt);
          expect(d.dtype).toBe(dt ?? (mode === 'affine' ? dtype : mx.bfloat16));
          sameBytes(bytes(d), onMlx(() => bytes(deq(dt))), d.dtype.size, `dequantized to ${dt?.name ?? 'the default'}`);
        }
      });

  it('special groups: infinities, NaN, overflowing and subnormal magnitudes', () => {
    const special = [Infinity, -Infinity, NaN, 3e38, -3e38, 1e-40, -1e-44, 0, -0, 448 * 1.5, 6 * 1.4, 2 ** -130];
    for (const [mode, bits, gs] of CONFIGS.filter(([m]) => m !== 'affine'))
      for (const dtype of [mx.float32, mx.bfloat16, mx.float16])
        for (let v = 0; v < special.length; v++) {
          const vals = groups(2, 32, gs, v).map((x, i) => (i % 7 === 0 ? special[(v + i) % special.length] : x));
          const w = mx.array(vals).astype(dtype).reshape([2, 32]);
          mx.eval(w);
          const ours = quantize(w, gs, bits, mode);
          const theirs = onMlx(() => quantize(w, gs, bits, mode).map(bytes));
          ours.forEach((a, i) => sameBytes(bytes(a), theirs[i], a.dtype.size, `${mode} ${dtype.name} special ${v}: output ${i}`));
        }
  });
});

describe('the floating-point formats, from their definitions', () => {
  // E2M1: sign, 2 exponent bits (bias 1), 1 mantissa bit; code 1 is the subnormal 0.5
  const e2m1 = (c: number) => (c & 8 ? -1 : 1) * ((c & 6) === 0 ? (c & 1) * 0.5 : 2 ** (((c >> 1) & 3) - 1) * (1 + (c & 1) / 2));
  // E4M3 (no infinities): sign, 4 exponent bits (bias 7), 3 mantissa bits; 0x7f is NaN
  const e4m3 = (b: number) => ((b & 0x7f) === 0x7f ? NaN : (b & 0x80 ? -1 : 1) * (((b >> 3) & 15) === 0 ? (b & 7) * 2 ** -9 : 2 ** (((b >> 3) & 15) - 7) * (1 + (b & 7) / 8)));

  it('dequantize reads every E2M1 and E4M3 code times E8M0 and E4M3 scales', () => {
    // every code in every position of a word, with scales 2^-3 .. 2^4 (E8M0) and E4M3 bytes
    const codes4 = Array.from({ length: 32 }, (_, i) => (i * 5 + (i >> 4)) & 15);
    const word = (c: number[]) => c.reduce((w, v, i) => w + v * 2 ** (4 * i), 0);
    const q4 = mx.array([0, 1, 2, 3].map((r) => [word(codes4.slice(0, 8).map((c) => (c + r) & 15)), word(codes4.slice(8, 16)), word(codes4.slice(16, 24)), word(codes4.slice(24).map((c) => (c + 3 * r) & 15))]), mx.uint32);
    const e8 = [124, 127, 128, 131];
    const mx4 = flat(mx.dequantize(q4, mx.array(e8.map((e) => [e]), mx.uint8), null, 32, 4, 'mxfp4', mx.float32));
    const want4: number[] = [];
    [0, 1, 2, 3].forEach((r) => {
      const cs = [...codes4.slice(0, 8).map((c) => (c + r) & 15), ...codes4.slice(8, 24), ...codes4.slice(24).map((c) => (c + 3 * r) & 15)];
      cs.forEach((c) => want4.push(e2m1(c) * 2 ** (e8[r] - 127)));
    });
    expect(mx4).toEqual(want4);
    const nvScales = [0x38, 0x01, 0x7e, 0x45];  // 1, 2^-9, 448, 2.625
    const nv = flat(mx.dequantize(mx.reshape(q4, [8, 2]), mx.array(nvScales.flatMap((s) => [[s], [s]]), mx.uint8), null, 16, 4, 'nvfp4', mx.float32));
    nv.forEach((v, i) => expect(v, `nvfp4 ${i}`).toBe(want4[i] / 2 ** (e8[Math.floor(i / 32)] - 127) * e4m3(nvScales[Math.floor(i / 32)])));
    // all 256 E4M3 bytes (byte b at element b), scale 2^0
    const q8words = mx.array(Array.from({ length: 8 }, (_, r) => Array.from({ length: 8 }, (_, j) => [0, 1, 2, 3].reduce((w, i) => w + (r * 32 + j * 4 + i) * 2 ** (8 * i), 0))), mx.uint32);
    const d8 = flat(mx.dequantize(q8words, mx.full([8, 1], 127, mx.uint8), null, 32, 8, 'mxfp8', mx.float32));
    d8.forEach((v, b) => (Number.isNaN(e4m3(b)) ? expect(Number.isNaN(v), `byte ${b}`).toBe(true) : expect(v, `byte ${b}`).toBe(e4m3(b))));
  });

  it('quantize rounds to the nearest code, saturates, and keeps the scale rules', () => {
    // one group of 32: max 6 gives scale 2^0; values on and between the E2M1 codes
    const vals = [6, 0.25, 0.3, 0.75, 1.25, 1.3, 1.75, 2.5, 2.6, 3.5, 5, 5.5, -0.2, -0.25, -1.25, -6, ...new Array(16).fill(0.5)];
    const [q, s] = mx.quantize(mx.array([vals]), 32, 4, 'mxfp4');
    expect(flat(s)).toEqual([127]);
    const back = flat(mx.dequantize(q, s, null, 32, 4, 'mxfp4', mx.float32));
    // ties go to the first code in code order (the smaller magnitude, +0 before -0)
    expect(back.slice(0, 16)).toEqual([6, 0, 0.5, 0.5, 1, 1.5, 1.5, 2, 3, 3, 4, 6, -0, 0, -1, -6].map((v) => v + 0));
    // E8M0 scale: 2^round(log2(max / 6)); E4M3 scale (nvfp4): max / 6 to nearest E4M3
    const [, s2] = mx.quantize(mx.array([new Array(32).fill(0).map((_, i) => (i === 3 ? 6 * 2 ** 5.4 : 1))]), 32, 4, 'mxfp4');
    expect(flat(s2)).toEqual([127 + 5]);
    const [, s3] = mx.quantize(mx.array([new Array(16).fill(0).map((_, i) => (i === 3 ? 6 * 2.6 : 1))]), 16, 4, 'nvfp4');
    expect(e4m3(flat(s3)[0])).toBe(2.5);
    // mxfp8: E4M3 codes; 448 * 1.5 / 2 = 336 is a tie (320 or 352) to the even 320;
    // 448 * 1.2 keeps the scale 2^0 and saturates to 448
    const [q8, s8] = mx.quantize(mx.array([[448 * 1.5, 1, ...new Array(30).fill(0.5)], [448 * 1.2, 1, ...new Array(30).fill(0.5)]]), 32, 8, 'mxfp8');
    expect(flat(s8)).toEqual([128, 127]);
    const d8 = flat(mx.dequantize(q8, s8, null, 32, 8, 'mxfp8', mx.float32));
    expect([d8[0], d8[1], d8[32], d8[33]]).toEqual([640, 1, 448, 1]);
  });
});

describe('quantizedMatmul and gatherQmm in every mode', () => {
  // float64 x @ W^T (or x @ W) and the rounding bound of a float32 dot of
  // length K in any order: K * 2^-23 * sum |x_k w_k|
  function reference(x: number[], M: number, K: number, wd: number[], N: number, transpose: boolean): { want: number[]; bound: number[] } {
    const want: number[] = [], bound: number[] = [];
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let acc = 0, mag = 0;
        for (let k = 0; k < K; k++) {
          const p = x[m * K + k] * (transpose ? wd[n * K + k] : wd[k * N + n]);
          acc += p;
          mag += Math.abs(p);
        }
        want.push(acc);
        bound.push(K * 2 ** -23 * mag + 1e-30);
      }
    return { want, bound };
  }
  const within = (got: number[], ref: { want: number[]; bound: number[] }, scale: number, what: string) =>
    got.forEach((g, i) => expect(Math.abs(g - ref.want[i]), `${what}[${i}]`).toBeLessThanOrEqual(scale * ref.bound[i]));

  // affine 4 bits in every group size: the fused kernel for few rows (groups of 32 take two scales per block of 64)
  for (const [mode, bits, gs] of [['mxfp4', 4, 32], ['mxfp8', 8, 32], ['nvfp4', 4, 16], ['affine', 4, 32], ['affine', 4, 64], ['affine', 4, 128], ['affine', 3, 32]] as Array<[Mode, number, number]>)
    for (const transpose of [true, false])
      it(`${mode} (${bits} bits, groups of ${gs}), ${transpose ? 'transposed' : 'not transposed'}: within the float32 bound of float64${HAVE_MLX ? ' and of MLX v0.31.2' : ''}`, () => {
        const K = 256, N = 128;
        const wshape = transpose ? [N, K] : [K, N];
        const [q, s, b] = quantize(mx.array(groups(wshape[0], wshape[1], gs, bits + gs)).reshape(wshape), gs, bits, mode);
        const wd = flat(mx.dequantize(q, s, b ?? null, gs, bits, mode, mx.float32));
        for (const M of [1, 5, 40]) {
          const x = groups(M, K, 32, M).map((v) => v / 8);
          const xa = mx.array(x).reshape([M, K]);
          const out = mx.quantizedMatmul(xa, q, s, b ?? null, transpose, gs, bits, mode);
          expect(out.shape).toEqual([M, N]);
          const ref = reference(x, M, K, wd, N, transpose);
          within(flat(out), ref, 1, `${M} rows`);
          if (HAVE_MLX) within(onMlx(() => flat(mx.quantizedMatmul(xa, q, s, b ?? null, transpose, gs, bits, mode))), ref, 1, `MLX, ${M} rows`);
        }
      });

  it('gatherQmm picks experts by index in the floating-point modes, and the output keeps x\'s half type', () => {
    const E = 3, K = 64, N = 32;
    const [q, s] = mx.quantize(mx.array(groups(E * N, K, 32, 8)).reshape([E, N, K]), 32, 4, 'mxfp4');
    const x = mx.array(groups(2, K, 32, 9)).reshape([2, 1, K]);
    const picked = mx.gatherQmm(x, q, s, null, mx.array([1, 0], mx.uint32), mx.array([2, 0], mx.uint32), true, 32, 4, 'mxfp4');
    expect(picked.shape).toEqual([2, 1, N]);
    const wd = flat(mx.dequantize(q, s, null, 32, 4, 'mxfp4', mx.float32)), xs = flat(x);
    const r1 = reference(xs.slice(K), 1, K, wd.slice(2 * N * K), N, true), r0 = reference(xs.slice(0, K), 1, K, wd.slice(0, N * K), N, true);
    within(flat(picked), { want: [...r1.want, ...r0.want], bound: [...r1.bound, ...r0.bound] }, 1, 'gather');
    if (HAVE_MLX) within(onMlx(() => flat(mx.gatherQmm(x, q, s, null, mx.array([1, 0], mx.uint32), mx.array([2, 0], mx.uint32), true, 32, 4, 'mxfp4'))), { want: [...r1.want, ...r0.want], bound: [...r1.bound, ...r0.bound] }, 1, 'MLX gather');
    const half = mx.quantizedMatmul(mx.reshape(x, [2, K]).astype(mx.float16), q, s, null, true, 32, 4, 'mxfp4');
    expect(half.dtype).toBe(mx.float16);
  });

  // One row times 4-bit weights of a model's size: the fused kernel, which on
  // CPUs with AVX-512 VNNI takes x as fixed point with a unit per 8 values
  // (a value off by at most 2^-23 of the largest of its 8). Stated
  // tolerance against float64: 2^-21 of sum_k m_k (15 |s_k| + |b_k|), with
  // m_k the largest |x| among the 8 values of k's packed word and s_k, b_k
  // its group's scale and bias (the float kernels are far inside it too).
  it('4 bits, groups of 64, one row of 4096: within 2^-21 sum m (15|s| + |b|) of float64, for x of mixed, tiny and huge magnitudes', () => {
    const N = 64, K = 4096, gs = 64, r = rng(41);
    const [q, s, b] = mx.quantize(mx.array(Array.from({ length: N * K }, () => r() * 2 - 1)).reshape([N, K]), gs, 4);
    const wd = flat(mx.dequantize(q, s, b, gs, 4)), sv = flat(s), bv = flat(b);
    const kinds: Array<[string, () => number]> = [
      ['uniform', () => r() * 2 - 1],
      ['mixed magnitudes, 1e-6 to 1e6 within each word, some zeros', () => (r() < 0.1 ? 0 : (r() * 2 - 1) * 10 ** Math.floor(r() * 13 - 6))],
      ['below the smallest normal float', () => (r() * 2 - 1) * 1e-39],
      ['near the largest float', () => (r() * 2 - 1) * 1e30],
    ];
    for (const [kind, value] of kinds) {
      const x = flat(mx.array(Array.from({ length: K }, value)));
      const xa = mx.array(x).reshape([1, K]);
      const got = flat(mx.quantizedMatmul(xa, q, s, b, true, gs, 4));
      const theirs = HAVE_MLX ? onMlx(() => flat(mx.quantizedMatmul(xa, q, s, b, true, gs, 4))) : null;
      for (let n = 0; n < N; n++) {
        let want = 0, tol = 0;
        for (let k = 0; k < K; k++) {
          const g = n * (K / gs) + Math.floor(k / gs), w0 = k & ~7;
          want += x[k] * wd[n * K + k];
          tol += Math.max(...x.slice(w0, w0 + 8).map(Math.abs)) * (15 * Math.abs(sv[g]) + Math.abs(bv[g]));
        }
        expect(Math.abs(got[n] - want), `${kind}, row ${n}`).toBeLessThanOrEqual(2 ** -21 * tol);
        if (theirs) expect(Math.abs(theirs[n] - want), `MLX, ${kind}, row ${n}`).toBeLessThanOrEqual(2 ** -21 * tol);
      }
    }
  });

  it('differentiates in x through the floating-point modes', () => {
    const [q, s] = mx.quantize(mx.array(groups(16, 64, 16, 3)).reshape([16, 64]), 16, 4, 'nvfp4');
    const ow = mx.array(groups(2, 16, 16, 4)).reshape([2, 16]);
    const g = mx.grad((x: MxArray) => mx.sum(mx.multiply(mx.quantizedMatmul(x, q, s, null, true, 16, 4, 'nvfp4'), ow)))(mx.ones([2, 64])) as MxArray;
    const want = mx.matmul(ow, mx.dequantize(q, s, null, 16, 4, 'nvfp4', mx.float32));
    flat(g).forEach((v, i) => expect(Math.abs(v - flat(want)[i])).toBeLessThan(1e-4 * (1 + Math.abs(flat(want)[i]))));
  });
});

describe('invalid modes, bits and group sizes', () => {
  it('the facade raises at the call, naming the argument', () => {
    const w = mx.zeros([2, 64]);
    expect(() => mx.quantize(w, 64, 4, 'mxfp4')).toThrow(/mxfp4 quantization requires group size 32 but got 64/);
    expect(() => mx.quantize(w, 32, 8, 'mxfp4')).toThrow(/requires bits to be 4 but got 8/);
    expect(() => mx.quantize(w, 32, 4, 'nvfp4')).toThrow(/nvfp4 quantization requires group size 16 but got 32/);
    expect(() => mx.quantize(w, 32, 4, 'mxfp8')).toThrow(/requires bits to be 8 but got 4/);
    expect(() => mx.quantize(w, 64, 7)).toThrow(MxError);
    expect(() => mx.quantize(w, 16, 4)).toThrow(/groupSize/);
    expect(() => mx.quantize(w, 32, 4, 'int4' as 'affine')).toThrow(/mode/);
    const [q, s] = mx.quantize(w, null, null, 'mxfp4');
    expect([q.shape, s.shape, s.dtype]).toEqual([[2, 8], [2, 2], mx.uint8]);
    expect(() => mx.dequantize(q, s, mx.zeros([2, 2]), 32, 4, 'mxfp4')).toThrow(/biases/);
    expect(() => mx.dequantize(q, s.astype(mx.float32), null, 32, 4, 'mxfp4')).toThrow(/uint8/);
    expect(() => mx.dequantize(q, s, null, 32, 4, 'mxfp4', mx.int32)).toThrow(/dtype/);
    const [aq, as] = mx.quantize(w, 32, 4);
    expect(() => mx.dequantize(aq, as, null, 32, 4)).toThrow(/biases/);
    expect(() => mx.quantizedMatmul(mx.ones([1, 64]), q, s, null, true, 16, 4, 'nvfp4')).toThrow(/do not fit/);
  });

  it('the engine refuses them with MLX\'s messages, at the attribute', () => {
    const session = new Session();
    const request = (attrs: Record<string, unknown>, extra = 0) => ({
      schema_version: 1 as const,
      inputs: [{ id: 'w', dtype: 'float32', shape: [2, 64], data: new Array(128).fill(1) }, ...(extra ? [{ id: 'b', dtype: 'float32', shape: [2, 2], data: [1, 1, 1, 1] }] : [])],
      nodes: [{ id: 'q', op: 'quantize', inputs: ['w'], attrs }],
      outputs: ['q:0'],
    });
    const fails = (attrs: Record<string, unknown>, code: string, path: string, message: RegExp) => {
      try {
        session.evalJson(request(attrs));
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(MlxRequestError);
        expect([(e as MlxRequestError).code, (e as MlxRequestError).path]).toEqual([code, path]);
        expect((e as Error).message).toMatch(message);
      }
    };
    fails({ mode: 'mxfp4', group_size: 64 }, 'invalid_attribute', '/nodes/0/attrs/group_size', /\[quantize\] mxfp4 quantization requires group size 32 but got 64\./);
    fails({ mode: 'mxfp8', bits: 4 }, 'invalid_attribute', '/nodes/0/attrs/bits', /mxfp8 quantization requires bits to be 8 but got 4\./);
    fails({ group_size: 16 }, 'invalid_attribute', '/nodes/0/attrs/group_size', /The requested group size 16 is not supported\. The supported group sizes are 32, 64, and 128\./);
    fails({ bits: 7 }, 'invalid_attribute', '/nodes/0/attrs/bits', /The requested number of bits 7 is not supported/);
    // absent group_size and bits are the mode's defaults
    const out = session.evalJson({ ...request({ mode: 'nvfp4' }), outputs: ['q:0', 'q:1'] });
    expect(out.outputs.map((o) => [o.dtype, o.shape])).toEqual([['uint32', [2, 8]], ['uint8', [2, 4]]]);
  });
});
