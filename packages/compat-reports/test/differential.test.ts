// The native backend against the mlx backend (real MLX v0.31.2 through
// mlx-c) on random graphs drawn from the capabilities: random dtypes, shapes
// with empty and size-1 axes, broadcasting, negative axes, NaN, infinities
// and integer extremes. Each graph runs on both backends; they must agree
// (same outcome, dtype, shape and values within the dtype's tolerance),
// except for the deliberate differences recorded in backend-differences.ts.
// MLXCOMPAT_SEED and MLXCOMPAT_DIFF_CASES replay or lengthen a run.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MlxRefusedError, MlxRequestError, Session, backendInfo, capabilities, storageOf, type DType, type EvalRequest, type TypedArray } from 'mlx-capi-bridge';
import { BACKEND_DIFFERENCES } from '../src/backend-differences.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const shared = resolve(root, '../shared/mlx-runtime/lib/libmlxc.so');
if (!process.env.MLXCOMPAT_MLXC_LIBRARY && existsSync(shared)) process.env.MLXCOMPAT_MLXC_LIBRARY = shared;
const mlxInfo = backendInfo('mlx');
if (!mlxInfo.available) console.log(`differential test skipped: the mlx backend is unavailable: ${mlxInfo.reason}`);

const SEED = Number(process.env.MLXCOMPAT_SEED ?? 20261130);
const CASES = Number(process.env.MLXCOMPAT_DIFF_CASES ?? 400);
const TRACE = !!process.env.MLXCOMPAT_DIFF_TRACE;
// MLXCOMPAT_DIFF_OPS=op,op draws graphs of those ops only
const ONLY = process.env.MLXCOMPAT_DIFF_OPS?.split(',');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- values: exact in every dtype, plus the awkward ones -------------------

const FLOATS: DType[] = ['float32', 'float64', 'float16', 'bfloat16'];
const INTS: DType[] = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'];
const INT_RANGE: Record<string, [bigint, bigint]> = {
  int8: [-128n, 127n], int16: [-32768n, 32767n], int32: [-(2n ** 31n), 2n ** 31n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 255n], uint16: [0n, 65535n], uint32: [0n, 2n ** 32n - 1n], uint64: [0n, 2n ** 64n - 1n],
};

function f16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  const e = Math.floor(Math.log2(a)); // every value drawn here is a normal half
  return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
}
function f16Value(b: number): number {
  const sign = b & 0x8000 ? -1 : 1, e = (b >> 10) & 31, m = b & 1023;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
}
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
function bf16Bits(v: number): number {
  f32[0] = v;
  return u32[0] >>> 16; // exact: the values drawn have at most 8 significant bits
}
function bf16Value(b: number): number {
  u32[0] = b << 16;
  return f32[0];
}

function drawValues(r: () => number, dtype: DType, n: number, specials: boolean): TypedArray {
  const out = new (storageOf(dtype))(new ArrayBuffer(n * (dtype === 'complex64' ? 8 : storageOf(dtype).BYTES_PER_ELEMENT)));
  const float = () => {
    const u = r();
    if (specials && u < 0.05) return NaN;
    if (specials && u < 0.08) return Infinity;
    if (specials && u < 0.11) return -Infinity;
    if (specials && u < 0.14) return -0;
    return Math.round((r() * 8 - 4) * 4) / 4; // quarter steps: exact in every float dtype
  };
  for (let i = 0; i < (dtype === 'complex64' ? 2 * n : n); i++) {
    if (dtype === 'bool') out[i] = r() < 0.5 ? 1 : 0;
    else if (dtype === 'float16') out[i] = f16Bits(float());
    else if (dtype === 'bfloat16') out[i] = bf16Bits(float());
    else if (FLOATS.includes(dtype) || dtype === 'complex64') out[i] = float();
    else {
      const [lo, hi] = INT_RANGE[dtype];
      const u = r();
      let v = specials && u < 0.08 ? lo : specials && u < 0.16 ? hi : BigInt(Math.floor(r() * 13) - 6);
      if (v < lo) v = -v;
      out[i] = (dtype.endsWith('64') ? v : Number(v)) as never;
    }
  }
  return out;
}

function asNumbers(dtype: DType, a: TypedArray): number[] {
  if (dtype === 'float16') return Array.from(a as Uint16Array, f16Value);
  if (dtype === 'bfloat16') return Array.from(a as Uint16Array, bf16Value);
  return Array.from(a as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v));
}

// ---- graphs ----------------------------------------------------------------

interface Input { id: string; dtype: DType; shape: number[]; data: TypedArray }
interface Graph { inputs: Input[]; nodes: NonNullable<EvalRequest['nodes']>; output: string; op: string; dtype: DType; sorted?: boolean }

type Caps = ReturnType<typeof capabilities>;
type OpCaps = Caps['ops'][number];

// chain: sometimes follow the op with a unary elementwise op.
function generator(r: () => number, caps: Caps, families: (family: string) => boolean, chain: boolean) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const dim = () => pick([0, 1, 1, 2, 2, 3, 3, 4, 5]);
  const shapeOf = (rank: number) => Array.from({ length: rank }, dim);
  const nonEmpty = (rank: number) => Array.from({ length: rank }, () => int(1, 4));
  const negAxis = (ax: number, nd: number) => (r() < 0.4 ? ax - nd : ax);
  let inputs: Input[] = [];
  const input = (dtype: DType, shape: number[], specials = true) => {
    const id = `x${inputs.length}`;
    inputs.push({ id, dtype, shape, data: drawValues(r, dtype, size(shape), specials) });
    return id;
  };
  // another shape that broadcasts against `s`: leading axes dropped, some set to 1
  const broadcastable = (s: number[]) => s.slice(int(0, s.length)).map((d) => (r() < 0.3 ? 1 : d));
  const someAxes = (nd: number) => {
    const axes = Array.from({ length: nd }, (_, i) => i).filter(() => r() < 0.5);
    return axes.map((a) => negAxis(a, nd));
  };
  const floats: DType[] = ['float32', 'float32', 'float64', 'float16', 'bfloat16'];
  const numeric: DType[] = [...floats, 'int32', 'int64', 'int8', 'uint8', 'uint32', 'bool'];

  // Non-elementwise ops: the attributes and inputs each one takes.
  // `then`: a node after the op whose answer is compared instead (where the op's own answer is open); `sorted`: compared in order
  type Made = { ins: string[]; attrs?: Record<string, unknown>; then?: { op: string; attrs?: Record<string, unknown>; outputs?: number }; sorted?: boolean };
  const makers: Record<string, () => Made | undefined> = {};
  const reduceOps = ['sum', 'prod', 'max', 'min', 'all', 'any', 'mean', 'logsumexp', 'var', 'std'];
  for (const op of reduceOps)
    makers[op] = () => {
      const nd = int(0, 4), s = shapeOf(nd);
      const dtype = ['mean', 'logsumexp', 'var', 'std'].includes(op) ? pick(floats) : pick(numeric);
      const attrs: Record<string, unknown> = { keepdims: r() < 0.5 };
      if (r() < 0.7) attrs.axes = someAxes(nd);
      if ((op === 'var' || op === 'std') && r() < 0.5) attrs.ddof = 1;
      return { ins: [input(dtype, s)], attrs };
    };
  for (const op of ['argmax', 'argmin'])
    makers[op] = () => {
      const nd = int(1, 3), s = nonEmpty(nd);
      return { ins: [input(pick(numeric), s)], attrs: { keepdims: r() < 0.5, ...(r() < 0.7 ? { axis: negAxis(int(0, nd - 1), nd) } : {}) } };
    };
  makers.softmax = () => {
    const nd = int(1, 3), s = shapeOf(nd);
    return { ins: [input(pick(floats), s)], attrs: { axes: r() < 0.5 ? [-1] : someAxes(nd).concat([]), precise: r() < 0.5 } };
  };
  for (const op of ['cumsum', 'cumprod', 'cummax', 'cummin', 'logcumsumexp'])
    makers[op] = () => {
      const nd = int(1, 3), s = shapeOf(nd);
      const dtype = op === 'logcumsumexp' ? pick(floats) : pick(numeric.filter((d) => d !== 'bool'));
      return { ins: [input(dtype, s)], attrs: { reverse: r() < 0.5, inclusive: r() < 0.7, ...(r() < 0.7 ? { axis: negAxis(int(0, nd - 1), nd) } : {}) } };
    };
  makers.matmul = () => {
    const m = dim(), k = dim(), n = dim(), dtype = pick(['float32', 'float64', 'float16', 'bfloat16'] as DType[]);
    const batch = r() < 0.4 ? [int(1, 3)] : [];
    const a = r() < 0.15 ? [k] : [...batch, m, k], b = r() < 0.15 ? [k] : [...(r() < 0.5 ? batch.map(() => 1) : batch), k, n];
    return { ins: [input(dtype, a), input(dtype, b)] };
  };
  makers.transpose = () => {
    const nd = int(0, 4), s = shapeOf(nd);
    const perm = Array.from({ length: nd }, (_, i) => i).sort(() => r() - 0.5).map((a) => negAxis(a, nd));
    return { ins: [input(pick(numeric), s)], attrs: r() < 0.3 ? {} : { axes: perm } };
  };
  makers.flatten = () => {
    const nd = int(1, 4), s = shapeOf(nd), a = int(0, nd - 1), b = int(a, nd - 1);
    return { ins: [input(pick(numeric), s)], attrs: { start_axis: negAxis(a, nd), end_axis: negAxis(b, nd) } };
  };
  makers.squeeze = () => {
    const nd = int(1, 4), s = shapeOf(nd).map((d) => (r() < 0.4 ? 1 : d));
    const ones = s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
    return { ins: [input(pick(numeric), s)], attrs: r() < 0.4 ? {} : { axes: ones.filter(() => r() < 0.6).map((a) => negAxis(a, nd)) } };
  };
  makers.expand_dims = () => {
    const nd = int(0, 3), s = shapeOf(nd);
    return { ins: [input(pick(numeric), s)], attrs: { axes: negAxis(int(0, nd), nd + 1) } };
  };
  makers.reshape = () => {
    const nd = int(1, 3), s = shapeOf(nd);
    return { ins: [input(pick(numeric), s)], attrs: { shape: r() < 0.5 ? [...s].reverse() : size(s) ? [-1] : [0] } };
  };
  makers.broadcast_to = () => {
    const nd = int(0, 3), s = shapeOf(nd).map((d) => (r() < 0.5 ? 1 : d));
    return { ins: [input(pick(numeric), s)], attrs: { shape: [int(1, 3), ...s.map((d) => (d === 1 ? int(0, 3) : d))] } };
  };
  for (const op of ['concatenate', 'stack'])
    makers[op] = () => {
      const nd = int(1, 3), s = shapeOf(nd), axis = int(0, nd - 1), dtype = pick(numeric);
      const ins = Array.from({ length: int(1, 3) }, () => input(dtype, op === 'stack' ? s : s.map((d, i) => (i === axis ? dim() : d))));
      return { ins, attrs: { axis: negAxis(axis, op === 'stack' ? nd + 1 : nd) } };
    };
  makers.split = () => {
    const nd = int(1, 3), s = nonEmpty(nd), axis = int(0, nd - 1);
    const d = s[axis], parts = [1, 2, 3].filter((p) => d % p === 0);
    const ios = r() < 0.5 ? pick(parts) : [int(0, d), d].sort((x, y) => x - y);
    return { ins: [input(pick(numeric), s)], attrs: { indices_or_sections: ios, axis: negAxis(axis, nd) } };
  };
  makers.tile = () => {
    const nd = int(0, 3), s = shapeOf(nd);
    return { ins: [input(pick(numeric), s)], attrs: { reps: r() < 0.3 ? int(0, 3) : Array.from({ length: int(1, 4) }, () => int(0, 3)) } };
  };
  makers.repeat = () => {
    const nd = int(1, 3), s = shapeOf(nd);
    return { ins: [input(pick(numeric), s)], attrs: { repeats: int(0, 3), ...(r() < 0.6 ? { axis: negAxis(int(0, nd - 1), nd) } : {}) } };
  };
  makers.pad = () => {
    const nd = int(1, 3), s = shapeOf(nd);
    return { ins: [input(pick(numeric), s)], attrs: { pad_width: r() < 0.5 ? [int(0, 2)] : [int(0, 2), int(0, 2)], value: pick([0, 1.5, -2]) } };
  };
  makers.slice = () => {
    const nd = int(1, 3), s = shapeOf(nd);
    const start = s.map((d) => int(0, d)), stop = s.map((d, i) => int(start[i], d));
    return { ins: [input(pick(numeric), s)], attrs: { start, stop, strides: s.map(() => int(1, 2)) } };
  };
  makers.take = () => {
    const nd = int(1, 3), s = nonEmpty(nd), axis = int(0, nd - 1);
    const bound = r() < 0.5 ? s[axis] : size(s);
    const useAxis = bound === s[axis];
    const idx: Input = { id: '', dtype: 'int32', shape: [int(0, 4)], data: new Int32Array(0) };
    idx.data = Int32Array.from({ length: idx.shape[0] }, () => int(-bound, bound - 1));
    const a = input(pick(numeric), s);
    idx.id = `x${inputs.length}`;
    inputs.push(idx);
    return { ins: [a, idx.id], attrs: useAxis ? { axis: negAxis(axis, nd) } : {} };
  };
  makers.take_along_axis = () => {
    const nd = int(1, 3), s = nonEmpty(nd), axis = int(0, nd - 1);
    const ishape = s.map((d, i) => (i === axis ? int(0, 3) : d));
    const a = input(pick(numeric), s);
    const id = `x${inputs.length}`;
    inputs.push({ id, dtype: 'int32', shape: ishape, data: Int32Array.from({ length: size(ishape) }, () => int(0, s[axis] - 1)) });
    return { ins: [a, id], attrs: { axis: negAxis(axis, nd) } };
  };
  for (const op of ['sort', 'argsort'])
    makers[op] = () => {
      const nd = int(1, 3), s = shapeOf(nd);
      return { ins: [input(pick(numeric.filter((d) => d !== 'bool')), s, op === 'sort')], attrs: { axis: r() < 0.2 ? null : negAxis(int(0, nd - 1), nd) } };
    };
  makers.topk = () => {
    const nd = int(1, 3), s = nonEmpty(nd);
    return { ins: [input(pick(['float32', 'int32', 'float64'] as DType[]), s, false)], attrs: { k: int(1, s[nd - 1]), axis: -1 } };
  };
  makers.round = () => ({ ins: [input(pick(floats), shapeOf(int(0, 3)))], attrs: { decimals: int(0, 2) } });
  makers.astype = () => ({ ins: [input(pick(numeric), shapeOf(int(0, 3)), false)], attrs: { dtype: pick([...numeric, 'int16', 'uint16']) } });
  makers.arange = () => ({ ins: [], attrs: { start: int(-3, 3), stop: int(-3, 8), step: pick([1, 2, 0.5, -1]), dtype: pick(['float32', 'int32', 'float64']) } });
  makers.linspace = () => ({ ins: [], attrs: { start: int(-3, 3), stop: int(-3, 8), num: int(0, 6), dtype: pick(['float32', 'float64']) } });
  for (const op of ['eye', 'tri'])
    makers[op] = () => ({ ins: [], attrs: { n: int(0, 4), m: int(0, 4), k: int(-2, 2), dtype: pick(numeric) } });
  makers.identity = () => ({ ins: [], attrs: { n: int(0, 4), dtype: pick(numeric) } });
  for (const op of ['zeros', 'ones'])
    makers[op] = () => ({ ins: [], attrs: { shape: shapeOf(int(0, 3)), dtype: pick(numeric) } });
  makers.full = () => ({ ins: [input(pick(numeric), [])], attrs: { shape: shapeOf(int(0, 3)) } });

  // mlx.core.fast: finite values (NaN placement is not what these compare)
  const halfFloats: DType[] = ['float32', 'float32', 'float16', 'bfloat16'];
  for (const op of ['rms_norm', 'layer_norm'])
    makers[op] = () => {
      const dtype = pick(halfFloats), s = [...shapeOf(int(0, 2)), int(1, 8)];
      const ins = [input(dtype, s, false)];
      const attrs: Record<string, unknown> = { eps: pick([1e-5, 1e-6]) };
      const hw = r() < 0.7, hb = op === 'layer_norm' && r() < 0.6;
      if (hw) ins.push(input(dtype, [s[s.length - 1]], false));
      if (hb) ins.push(input(dtype, [s[s.length - 1]], false));
      if (op === 'layer_norm') Object.assign(attrs, { has_weight: hw, has_bias: hb });
      return { ins, attrs };
    };
  // layer_norm's cotangents against MLX's vjp of its fast.layer_norm, in float32 (the half types are
  // compared with the composed rule in mlx-compat's fast tests: MLX differentiates in the half type)
  makers.layer_norm_vjp = () => {
    const s = [...shapeOf(int(0, 2)), int(1, 8)], d = s[s.length - 1];
    const hw = r() < 0.7, hb = r() < 0.6;
    const ins = [input('float32', s, false), ...(hw ? [input('float32', [d], false)] : []), input('float32', s, false)];
    return { ins, attrs: { eps: pick([1e-5, 1e-6]), has_weight: hw, has_bias: hb } };
  };
  // attention's cotangents against MLX's vjp of its fast.scaled_dot_product_attention, in float32, with no
  // row that sees no key (MLX and the composed rule differ there: see fast.test.ts)
  makers.scaled_dot_product_attention_vjp = () => {
    const B = int(1, 2), Hk = int(1, 2), H = Hk * int(1, 2), Lq = int(1, 6), Lk = Lq + int(0, 3), D = int(1, 8), Dv = int(1, 8);
    const mode = pick(['none', 'causal', 'array']);
    const ins = [input('float32', [B, H, Lq, D], false), input('float32', [B, Hk, Lk, D], false), input('float32', [B, Hk, Lk, Dv], false)];
    if (mode === 'array') ins.push(input('float32', pick([[Lq, Lk], [B, H, Lq, Lk], [1, H, 1, Lk]]), false));
    ins.push(input('float32', [B, H, Lq, Dv], false));
    return { ins, attrs: { scale: pick([1, 0.5, 0.125]), mask_mode: mode } };
  };
  makers.rope = () => {
    const dtype = pick(halfFloats), D = pick([2, 4, 6, 8]), dims = 2 * int(1, D / 2);
    const x = input(dtype, [int(1, 2), ...(r() < 0.5 ? [int(1, 2)] : []), int(1, 4), D], false);
    const ins = [x];
    const attrs: Record<string, unknown> = { dims, traditional: r() < 0.5, scale: pick([1, 0.5]) };
    if (r() < 0.3) {
      attrs.has_offset_array = true;
      const id = `x${inputs.length}`;
      inputs.push({ id, dtype: 'int32', shape: [], data: Int32Array.of(int(0, 5)) });
      ins.push(id);
    } else attrs.offset = int(0, 5);
    if (r() < 0.3) {
      attrs.has_freqs = true;
      ins.push(input('float32', [dims / 2], false));
    } else attrs.base = pick([10000, 500]);
    return { ins, attrs };
  };
  makers.scaled_dot_product_attention = () => {
    const dtype = pick(['float32', 'float32', 'float16'] as DType[]);
    const B = int(1, 2), Hk = int(1, 2), H = Hk * int(1, 2), Lq = int(1, 4), Lk = int(1, 4), D = pick([2, 4, 8]);
    const ins = [input(dtype, [B, H, Lq, D], false), input(dtype, [B, Hk, Lk, D], false), input(dtype, [B, Hk, Lk, D], false)];
    const mode = pick(['none', 'causal', 'array']);
    if (mode === 'array') ins.push(input(pick(['bool', dtype] as DType[]), [Lq, Lk], false));
    return { ins, attrs: { scale: 1 / Math.sqrt(D), mask_mode: mode } };
  };
  // affine quantization: packed words drawn over all their bits
  const words = (shape: number[]) => {
    const id = `x${inputs.length}`;
    inputs.push({ id, dtype: 'uint32', shape, data: Uint32Array.from({ length: size(shape) }, () => Math.floor(r() * 2 ** 32)) });
    return id;
  };
  const qattrs = () => ({ group_size: pick([32, 64]), bits: pick([2, 3, 4, 6, 8]) });
  makers.quantize = () => {
    const a = qattrs();
    return { ins: [input(pick(halfFloats), [int(1, 3), a.group_size * int(1, 2)], false)], attrs: a };
  };
  makers.dequantize = () => {
    const a = qattrs(), rows = int(1, 3), k = a.group_size * int(1, 2), dtype = pick(halfFloats);
    return { ins: [words([rows, (k * a.bits) / 32]), input(dtype, [rows, k / a.group_size], false), input(dtype, [rows, k / a.group_size], false)], attrs: a };
  };
  makers.quantized_matmul = () => {
    const a = qattrs(), transpose = r() < 0.7, n = transpose ? int(1, 3) : a.group_size, k = transpose ? a.group_size * int(1, 2) : int(1, 3) * 32;
    const wShape = transpose ? [n, k] : [k, n]; // logical
    const groups = [wShape[0], wShape[1] / a.group_size];
    // float32: in half precision MLX accumulates the products otherwise (several ulp apart on sums of ~100)
    const dtype: DType = 'float32';
    const x = input(dtype, [int(1, 3), k], false);
    return { ins: [x, words([wShape[0], (wShape[1] * a.bits) / 32]), input(dtype, groups, false), input(dtype, groups, false)], attrs: { ...a, transpose } };
  };

  // ---- the rest of the registry: layouts, updates, orders, linalg, spectra, convolutions
  // an input of given float values (exact in float32), for ops whose answers
  // need well-conditioned or distinct values
  const given = (dtype: DType, shape: number[], values: number[]) => {
    const id = `x${inputs.length}`;
    const data = new (storageOf(dtype))(values.length) as TypedArray;
    values.forEach((v, i) => (data[i] = (dtype.endsWith('64') && dtype !== 'float64' ? BigInt(v) : v) as never));
    inputs.push({ id, dtype, shape, data });
    return id;
  };
  const distinct = (n: number) => Array.from({ length: n }, (_, i) => i - n / 2).sort(() => r() - 0.5).map((v) => v / 4);
  const linalgFloat = () => pick(['float32', 'float32', 'float64'] as DType[]);
  // batches of n x n matrices from a float64 function of (batch, i, j)
  const matrices = (dtype: DType, batch: number[], n: number, at: (b: number, i: number, j: number) => number) => {
    const vals: number[] = [];
    for (let b = 0; b < size(batch); b++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vals.push(Math.fround(at(b, i, j)));
    return given(dtype, [...batch, n, n], vals);
  };
  const entries = (count: number) => Array.from({ length: count }, () => Math.round((r() * 2 - 1) * 64) / 64);
  // diagonally dominant: far from singular, pivots unambiguous
  const dominant = (dtype: DType, batch: number[], n: number) => {
    const e = entries(size(batch) * n * n);
    return matrices(dtype, batch, n, (b, i, j) => e[(b * n + i) * n + j] + (i === j ? n + 1 + i / 8 : 0));
  };
  const spd = (dtype: DType, batch: number[], n: number) => {
    const e = entries(size(batch) * n * n);
    const g = (b: number, i: number, j: number) => e[(b * n + i) * n + j];
    return matrices(dtype, batch, n, (b, i, j) => Array.from({ length: n }, (_, k) => g(b, i, k) * g(b, j, k)).reduce((x, y) => x + y, 0) + (i === j ? n : 0));
  };
  const lbatch = () => (r() < 0.4 ? [int(1, 2)] : []);
  makers.contiguous = () => ({ ins: [input(pick(numeric), shapeOf(int(0, 3)))], attrs: { allow_col_major: r() < 0.5 } });
  makers.view = () => {
    const from = pick(numeric.filter((d) => d !== 'bool')), to = pick(numeric.filter((d) => d !== 'bool'));
    const bytes = (d: DType) => storageOf(d).BYTES_PER_ELEMENT;
    // the last axis must hold a whole number of the new dtype's elements
    const last = Math.max(bytes(from), bytes(to)) / bytes(from) * int(1, 3);
    return { ins: [input(from, [...shapeOf(int(0, 2)), last], false)], attrs: { dtype: to } };
  };
  makers.slice_update = () => {
    const nd = int(1, 3), s = shapeOf(nd), dtype = pick(numeric);
    const start = s.map((d) => int(0, d)), strides = s.map(() => int(1, 2));
    const stop = s.map((d, i) => int(start[i], d));
    const span = s.map((_, i) => Math.ceil((stop[i] - start[i]) / strides[i]));
    return { ins: [input(dtype, s), input(pick([dtype, pick(numeric)]), span.map((d) => (r() < 0.2 ? 1 : d)))], attrs: { start, stop, strides } };
  };
  makers.put_along_axis = () => {
    const nd = int(1, 3), s = nonEmpty(nd), axis = int(0, nd - 1), reduce = pick(['none', 'add', 'prod', 'max', 'min']);
    const dtype = pick(reduce === 'none' ? numeric : numeric.filter((d) => d !== 'bool'));
    // 'none' with a repeated index leaves the order of writes open: indices distinct along the axis there
    const k = reduce === 'none' ? int(1, s[axis]) : int(1, 3);
    const ishape = s.map((d, i) => (i === axis ? k : d));
    const idx: number[] = [];
    const outer = size(s.slice(0, axis)), inner = size(s.slice(axis + 1));
    for (let o = 0; o < outer; o++) {
      const rows = Array.from({ length: k }, () => (reduce === 'none' ? [] : Array.from({ length: inner }, () => int(0, s[axis] - 1))));
      if (reduce === 'none') for (let c = 0; c < inner; c++) [...Array(s[axis]).keys()].sort(() => r() - 0.5).slice(0, k).forEach((v, j) => (rows[j][c] = v));
      for (const row of rows) idx.push(...row);
    }
    return { ins: [input(dtype, s, false), given('int32', ishape, idx), input(dtype, r() < 0.3 ? [] : ishape, false)], attrs: { axis: negAxis(axis, nd), reduce } };
  };
  makers.as_strided = () => {
    const n = int(1, 12), shape = Array.from({ length: int(0, 2) }, () => int(1, 3));
    const strides = shape.map(() => int(0, 2));
    const reach = shape.reduce((acc, d, i) => acc + (d - 1) * strides[i], 0);
    if (reach >= n) return undefined;
    return { ins: [input(pick(numeric), [n])], attrs: { shape, strides, offset: int(0, n - 1 - reach) } };
  };
  // which values sit at kth is defined; the order on either side of it is not: compared there only
  for (const op of ['partition', 'argpartition'])
    makers[op] = () => {
      const nd = int(1, 3), s = nonEmpty(nd), axis = int(0, nd - 1), kth = int(0, s[axis] - 1);
      const dtype = pick(['float32', 'int32', 'float64', 'int8'] as DType[]);
      const vals = distinct(size(s)).map((v) => (dtype.startsWith('int') ? Math.round(v * 4) % 120 : v));
      if (dtype.startsWith('int') && new Set(vals).size !== vals.length) return undefined;
      return { ins: [given(dtype, s, vals)], attrs: { kth: r() < 0.3 ? kth - s[axis] : kth, axis: negAxis(axis, nd) }, then: { op: 'slice', attrs: { start: s.map((_, i) => (i === axis ? kth : 0)), stop: s.map((d, i) => (i === axis ? kth + 1 : d)) } } };
    };
  makers.random_bits = () => ({ ins: [given('uint32', [2], [Math.floor(r() * 2 ** 32), Math.floor(r() * 2 ** 32)])], attrs: { shape: shapeOf(int(0, 3)), width: pick([1, 2, 4]) } });
  makers.fft = () => {
    const real = r() < 0.4, inverse = r() < 0.4, nd = int(1, 3), s = nonEmpty(nd);
    const axes = [...new Set(Array.from({ length: int(1, nd) }, () => int(0, nd - 1)))].sort();
    const dtype: DType = real && !inverse ? 'float32' : 'complex64';
    const attrs: Record<string, unknown> = { axes: axes.map((a) => negAxis(a, nd)), real, inverse, norm: pick(['backward', 'ortho', 'forward']) };
    if (r() < 0.3) attrs.n = axes.map(() => int(1, 5));
    else if (real && inverse) attrs.n = axes.map((a, i) => (i === axes.length - 1 ? 2 * (s[a] - 1) || 1 : s[a]));
    return { ins: [input(dtype, s, false)], attrs };
  };
  makers.inv = () => ({ ins: [dominant(linalgFloat(), lbatch(), int(1, 4))] });
  makers.solve = () => {
    const dtype = linalgFloat(), batch = lbatch(), n = int(1, 4);
    return { ins: [dominant(dtype, batch, n), input(dtype, r() < 0.5 ? [...batch, n] : [...batch, n, int(1, 3)], false)] };
  };
  for (const op of ['tri_inv', 'solve_triangular'])
    makers[op] = () => {
      const dtype = linalgFloat(), batch = lbatch(), n = int(1, 4), upper = r() < 0.5;
      const e = entries(size(batch) * n * n);
      const a = matrices(dtype, batch, n, (b, i, j) => ((upper ? j >= i : j <= i) ? e[(b * n + i) * n + j] + (i === j ? 2 : 0) : 0));
      return { ins: op === 'tri_inv' ? [a] : [a, input(dtype, [...batch, n, int(1, 3)], false)], attrs: { upper } };
    };
  makers.cholesky = () => ({ ins: [spd(linalgFloat(), lbatch(), int(1, 4))], attrs: { upper: r() < 0.5 } });
  makers.lu_factor = () => ({ ins: [dominant(linalgFloat(), lbatch(), int(1, 4))] });
  // factors are unique up to signs: Q R compared (and R's diagonal made positive by neither)
  makers.qr = () => ({ ins: [dominant(linalgFloat(), lbatch(), int(1, 4))], then: { op: 'matmul', outputs: 2 } });
  makers.svd = () => ({ ins: [dominant(linalgFloat(), lbatch(), int(1, 4))], attrs: { compute_uv: false } });
  makers.eigh = () => ({ ins: [spd(linalgFloat(), lbatch(), int(1, 4))], attrs: { uplo: pick(['L', 'U']), compute_vectors: false } });
  // a symmetric input: real eigenvalues, compared in ascending order
  makers.eig = () => ({ ins: [spd(linalgFloat(), lbatch(), int(1, 4))], attrs: { compute_vectors: false }, then: { op: 'real' }, sorted: true });
  makers.hadamard_transform = () => ({ ins: [input(pick(['float32', 'float32', 'float16']), [...shapeOf(int(0, 2)), pick([1, 2, 4, 8, 16, 12, 24])], false)], attrs: r() < 0.5 ? { scale: pick([1, 0.5, 0.25]) } : {} });
  makers.gather_mm = () => {
    const dtype: DType = 'float32', M = int(1, 3), K = int(1, 4), N = int(1, 3), ba = int(1, 3), bb = int(1, 3), count = int(1, 3);
    const ins = [input(dtype, [ba, M, K], false), input(dtype, [bb, K, N], false)];
    const hl = r() < 0.7, hr = r() < 0.7;
    if (hl) ins.push(given('uint32', [count], Array.from({ length: count }, () => int(0, ba - 1))));
    if (hr) ins.push(given('uint32', [hl ? count : ba], Array.from({ length: hl ? count : ba }, () => int(0, bb - 1))));
    if (!hl && !hr && ba !== bb) return undefined;
    return { ins, attrs: { has_lhs_indices: hl, has_rhs_indices: hr } };
  };
  makers.block_masked_mm = () => {
    const bs = 32, dtype: DType = 'float32', [mb, kb, nb] = [int(1, 2), int(1, 2), int(1, 2)];
    const ins = [input(dtype, [mb * bs, kb * bs], false), input(dtype, [kb * bs, nb * bs], false)];
    const mask = (shape: number[]) => given('bool', shape, Array.from({ length: size(shape) }, () => (r() < 0.6 ? 1 : 0)));
    const mo = r() < 0.5, ml = r() < 0.5, mr = r() < 0.5;
    if (mo) ins.push(mask([mb, nb]));
    if (ml) ins.push(mask([mb, kb]));
    if (mr) ins.push(mask([kb, nb]));
    return { ins, attrs: { block_size: bs, has_mask_out: mo, has_mask_lhs: ml, has_mask_rhs: mr } };
  };
  for (const op of ['conv_general', 'conv_weight_grad'])
    makers[op] = () => {
      const sp = int(1, 2), groups = pick([1, 1, 2]), C = groups * int(1, 2), O = groups * int(1, 2), N = int(1, 2);
      const kernel = Array.from({ length: sp }, () => int(1, 3)), spatial = Array.from({ length: sp }, () => int(2, 6));
      const stride = kernel.map(() => int(1, 2)), kd = kernel.map(() => int(1, 2)), id = kernel.map(() => int(1, 2));
      const lo = kernel.map(() => int(0, 2)), hi = kernel.map(() => int(0, 2));
      const out = spatial.map((d, i) => Math.floor(((d - 1) * id[i] + 1 + lo[i] + hi[i] - ((kernel[i] - 1) * kd[i] + 1)) / stride[i]) + 1);
      if (out.some((d) => d < 1)) return undefined;
      const dtype = pick(['float32', 'float32', 'float64', 'float16'] as DType[]);
      const attrs: Record<string, unknown> = { stride, padding_lo: lo, padding_hi: hi, kernel_dilation: kd, input_dilation: id, groups, flip: r() < 0.3 };
      const x = input(dtype, [N, ...spatial, C], false);
      if (op === 'conv_general') return { ins: [x, input(dtype, [O, ...kernel, C / groups], false)], attrs };
      return { ins: [x, input(dtype, [N, ...out, O], false)], attrs: { ...attrs, kernel_shape: [O, ...kernel, C / groups] } };
    };

  // Elementwise ops come from the capabilities: their arity and the dtypes
  // their native kernels take.
  const elementwise = (op: OpCaps) => () => {
    const dtypes = (op.kernel_dtypes ?? []).filter((d) => d !== 'complex64');
    if (!dtypes.length) return undefined;
    const dtype = pick(dtypes), nd = int(0, 4), s = shapeOf(nd);
    if (op.name === 'where') return { ins: [input('bool', broadcastable(s)), input(dtype, s), input(dtype, broadcastable(s))] };
    const ins = [input(dtype, s)];
    for (let k = 1; k < op.inputs.min; k++) ins.push(input(dtype, broadcastable(s)));
    if (r() < 0.5) ins.reverse();
    return { ins, attrs: op.name === 'astype' ? { dtype: pick(numeric) } : op.name === 'round' ? { decimals: int(0, 2) } : undefined };
  };
  const usable = caps.ops.filter((o) => o.backends.includes('native') && o.backends.includes('mlx') && families(o.family));
  const ops = usable.filter((o) => (makers[o.name] || o.elementwise) && (!ONLY || ONLY.includes(o.name)));
  const chainable = caps.ops.filter((o) => o.backends.includes('native') && o.backends.includes('mlx') && o.elementwise && o.inputs.min === 1 && o.attrs.length === 0);
  const skipped = usable.filter((o) => !makers[o.name] && !o.elementwise).map((o) => o.name);

  return {
    ops, skipped,
    graph(): Graph | undefined {
      inputs = [];
      const op = pick(ops);
      const made = (makers[op.name] ?? elementwise(op))();
      if (!made) return undefined;
      const nodes: Graph['nodes'] = [{ id: 'n0', op: op.name, inputs: made.ins, ...(made.attrs ? { attrs: made.attrs } : {}) }];
      let output = op.name === 'split' ? 'n0:0' : op.name === 'quantize' ? `n0:${int(0, 2)}` : 'n0'; // quantize: packed words, scales or biases
      if (op.name === 'lu_factor') output = `n0:${int(0, 1)}`;
      if (op.name === 'scaled_dot_product_attention_vjp') output = `n0:${int(0, 2)}`;
      if (op.name === 'layer_norm_vjp') output = `n0:${int(0, Number(made.attrs!.has_weight) + Number(made.attrs!.has_bias))}`;
      if (made.then) {
        const from = made.then.outputs ? Array.from({ length: made.then.outputs }, (_, k) => `n0:${k}`) : [output];
        nodes.push({ id: 'nt', op: made.then.op, inputs: from, ...(made.then.attrs ? { attrs: made.then.attrs } : {}) });
        output = 'nt';
      }
      // sometimes a unary elementwise op follows, so graphs have more than one node
      // (not after fft: MLX has complex kernels for unary ops the native backend runs on real types only)
      if (chain && !made.then && op.name !== 'fft' && r() < 0.3) {
        const next = pick(chainable);
        nodes.push({ id: 'n1', op: next.name, inputs: [output] });
        output = 'n1';
      }
      return { inputs, nodes, output, op: op.name, dtype: inputs[0]?.dtype ?? 'float32', sorted: made.sorted };
    },
  };
}

// ---- running and comparing -------------------------------------------------

interface Outcome { kind: 'ok' | 'error' | 'refused'; code?: string; message?: string; dtype?: DType; shape?: number[]; values?: number[]; array?: TypedArray }

// A graph with its input values, as JSON (non-finite numbers as strings), to replay a disagreement.
function described(g: Graph): string {
  return JSON.stringify({ nodes: g.nodes, inputs: g.inputs.map((x) => ({ dtype: x.dtype, shape: x.shape, data: asNumbers(x.dtype, x.data) })) }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

function runOn(s: Session, g: Graph, backend: 'native' | 'mlx'): Outcome {
  const req: EvalRequest = {
    schema_version: 1,
    backend,
    inputs: g.inputs.map((x, i) => ({ id: x.id, dtype: x.dtype, shape: x.shape, buffer: i })),
    nodes: g.nodes,
    outputs: [{ ref: g.output, as: 'buffer' }],
  };
  try {
    const o = s.eval(req, g.inputs.map((x) => x.data)).outputs[0];
    return { kind: 'ok', dtype: o.dtype, shape: o.shape, values: asNumbers(o.dtype, o.array!), array: o.array! };
  } catch (e) {
    if (e instanceof MlxRequestError) return { kind: 'error', code: e.code, message: e.message };
    if (e instanceof MlxRefusedError) return { kind: 'refused', code: e.code, message: e.detail };
    throw e;
  }
}

const TOL: Record<string, number> = { float64: 1e-9, float32: 2e-5, complex64: 2e-5, float16: 2e-3, bfloat16: 1.6e-2 };

// topk's k values in any order (MLX leaves it open), and eigenvalues: compared as a multiset
function unordered(o: Outcome): Outcome {
  return o.kind === 'ok' ? { ...o, values: [...o.values!].sort((x, y) => (Number.isNaN(x) ? 1 : Number.isNaN(y) ? -1 : x - y)) } : o;
}

/**
 * '' when the two outcomes agree, else how they differ. `cancelling`: the op
 * sums products of mixed signs (norms, rope, attention), so a value's error
 * is measured against the largest magnitude, not its own.
 */
function difference(a: Outcome, b: Outcome, cancelling = false): string {
  if (a.kind !== 'ok' && b.kind !== 'ok') return ''; // both reject the graph
  if (a.kind !== b.kind) return `native ${a.kind}${a.code ? ` ${a.code}` : ''}, mlx ${b.kind}${b.code ? ` ${b.code}: ${b.message}` : ''}`;
  if (a.kind !== 'ok') return '';
  if (a.dtype !== b.dtype) return `dtype ${a.dtype} vs ${b.dtype}`;
  if (JSON.stringify(a.shape) !== JSON.stringify(b.shape)) return `shape ${JSON.stringify(a.shape)} vs ${JSON.stringify(b.shape)}`;
  const tol = TOL[a.dtype!] ?? 0;
  const scale = Math.max(1, ...b.values!.filter(Number.isFinite).map(Math.abs));
  for (let i = 0; i < a.values!.length; i++) {
    const x = a.values![i], y = b.values![i];
    // an infinity matches only itself (a relative tolerance of one would accept anything)
    const same = Number.isNaN(x) ? Number.isNaN(y) : x === y || (Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= tol * (cancelling ? scale : Math.abs(y) + scale * 1e-3) + (tol ? tol * 1e-3 : 0));
    if (!same) return `value [${i}] ${x} vs ${y}`;
  }
  return '';
}

// Ops whose values are sums of products of mixed signs: errors measured against the largest magnitude.
const SUMS = new Set(['fft', 'inv', 'solve', 'tri_inv', 'solve_triangular', 'cholesky', 'lu_factor', 'qr', 'svd', 'eigh', 'eig', 'hadamard_transform', 'gather_mm', 'block_masked_mm', 'conv_general', 'conv_weight_grad']);

/**
 * Where a chained graph (an op, then the unary op `n1`) disagrees, which
 * stage is to blame: the op itself (its own disagreement, checked against
 * the recorded differences like any other), or nothing when both backends
 * agree on the op and then on the chained op applied to the same values.
 * A unary op near a pole of its condition number (log2 near 1, tan near
 * pi/2) turns an agreement within tolerance into a larger one downstream.
 */
function blame(s: Session, g: Graph, compare: (a: Outcome, b: Outcome) => string): { stage: 'op'; graph: Graph; a: Outcome; b: Outcome; what: string } | { stage: 'chained'; what: string } | null {
  const last = g.nodes[g.nodes.length - 1];
  if (g.nodes.length < 2 || last.id !== 'n1') return null;
  const prefix: Graph = { ...g, nodes: g.nodes.slice(0, -1), output: last.inputs[0] as string };
  const a = runOn(s, prefix, 'native'), b = runOn(s, prefix, 'mlx');
  const what = compare(a, b);
  if (what) return { stage: 'op', graph: prefix, a, b, what };
  if (a.kind !== 'ok') return null;
  const alone: Graph = { ...g, inputs: [{ id: 'x', dtype: a.dtype!, shape: a.shape!, data: a.array! }], nodes: [{ ...last, inputs: ['x'] }], output: 'n1', op: last.op, dtype: a.dtype! };
  return { stage: 'chained', what: difference(runOn(s, alone, 'native'), runOn(s, alone, 'mlx')) };
}

// The fast and quantized ops run apart, from their own draws, so that adding
// ops to one run leaves the graphs of the other as they were.
const FAST: (f: string) => boolean = (f) => f === 'fast' || f === 'quantized';

describe.skipIf(!mlxInfo.available)('native against MLX v0.31.2 (the mlx backend) on random graphs', () => {
  for (const [label, families, count] of [['core ops', (f: string) => !FAST(f), CASES], ['fast and quantized ops', FAST, Math.ceil(CASES / 2)]] as const)
  it(`${count} graphs of the ${label} from the capabilities agree (seed ${SEED})`, () => {
    const CASES = count;
    const caps = capabilities();
    const gen = generator(rng(SEED), caps, families, label === 'core ops');
    console.log(`differential test (${label}): seed ${SEED}, ${CASES} graphs over ${gen.ops.length} ops (MLXCOMPAT_SEED, MLXCOMPAT_DIFF_CASES replay them); not generated: ${gen.skipped.join(', ') || 'none'}`);
    const s = new Session({ validate: false });
    const found: Array<{ op: string; dtype: string; native: string; mlx: string; what: string; graph: string }> = [];
    const seen = new Set<string>();
    let ran = 0;
    const recorded = new Map<string, number>();
    for (let c = 0; c < CASES; c++) {
      const g = gen.graph();
      if (!g) continue;
      ran++;
      // a graph that takes the process down is found by tracing every one before it runs
      if (TRACE) process.stderr.write(`case ${c}: ${JSON.stringify(g.nodes)} ${JSON.stringify(g.inputs.map((x) => [x.dtype, x.shape]))}\n`);
      const a = runOn(s, g, 'native'), b = runOn(s, g, 'mlx');
      const cancelling = label === 'fast and quantized ops' || SUMS.has(g.op);
      const compare = (x: Outcome, y: Outcome) => (g.op === 'topk' || g.sorted ? difference(unordered(x), unordered(y)) : difference(x, y, cancelling));
      let what = compare(a, b);
      if (!what) continue;
      let [ga, gb, graph] = [a, b, g];
      const stage = blame(s, g, compare);
      if (stage?.stage === 'chained' && !stage.what) {
        recorded.set(`propagated ${g.op}`, (recorded.get(`propagated ${g.op}`) ?? 0) + 1);
        if (TRACE) console.log(`propagated (case ${c}) ${g.op}: ${what}\n  ${described(g)}`);
        continue;
      }
      if (stage?.stage === 'op') [ga, gb, graph, what] = [stage.a, stage.b, stage.graph, stage.what];
      const d = { op: g.op, dtype: ga.kind === 'ok' ? ga.dtype! : g.dtype, native: ga.kind === 'ok' ? 'ok' : `${ga.kind} ${ga.code}: ${ga.message}`, mlx: gb.kind === 'ok' ? 'ok' : `${gb.kind} ${gb.code}: ${gb.message}`, what, graph: described(graph) };
      // a recorded difference of an op in the graph explains it
      const known = BACKEND_DIFFERENCES.find((k) => graph.nodes.some((n) => n.op === k.op) && k.matches(d));
      if (known) {
        recorded.set(`${known.kind} ${g.op}`, (recorded.get(`${known.kind} ${g.op}`) ?? 0) + 1);
        continue;
      }
      found.push(d);
      if (!seen.has(g.op) || TRACE) {
        seen.add(g.op);
        console.log(`disagreement (case ${c}) ${g.op} [${g.dtype}]: ${what}\n  ${(TRACE ? d.graph : d.graph.slice(0, 600))}`);
      }
    }
    console.log(`differential test: ${ran} graphs ran; recorded differences met: ${[...recorded].map(([k, n]) => `${k} (${n})`).join(', ') || 'none'}; unrecorded disagreements: ${found.length} over ops: ${[...seen].join(', ') || 'none'}`);
    s.close();
    expect(found.map((f) => `${f.op}: ${f.what}`)).toEqual([]);
  });
});
