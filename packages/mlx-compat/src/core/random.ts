// mx.random: MLX's key-based generator. Keys are uint32 pairs; bits come from
// the engine's Threefry random_bits op; each distribution is built from them
// as MLX builds it, so the same seed gives the same numbers as MLX. Each is
// a composite op (internal): its temporaries are not kept by an evaluation.
import { type ArrayLike, MxArray } from './array.js';
import { dtypeByName, float32, int32, isInexact, uint32, type Dtype } from './dtype.js';
import { MxError } from './errors.js';
import { apply1, asArray, broadcastShapes } from './node.js';
import { fromValue } from './creation-data.js';
import { astype, binaryOps, unaryOps } from './ops/elementwise.js';
import { argmax } from './ops/reduce.js';
import { argsort } from './ops/sort.js';
import { take } from './ops/indexing.js';
import { matmul } from './ops/linalg.js';
import { internal } from './graph.js';
import { describe, dtypeArg, type DtypeLike, numArg, shapeArg } from './args.js';

const { add, multiply, divide, minimum, maximum, less } = binaryOps;
const { erfinv, erf, log, negative, sign, log1p, abs } = unaryOps;

// A key's two words from a seed: [seed >> 32, seed & 0xffffffff].
function seedWords(op: string, seed: number): [number, number] {
  if (!Number.isInteger(seed) || seed < 0) throw new MxError(op, 'seed', `${seed} is not a non-negative integer`);
  return [Math.floor(seed / 2 ** 32) >>> 0, seed >>> 0];
}

/** A key from a seed: [seed >> 32, seed & 0xffffffff] as uint32. */
export function key(seed: number): MxArray {
  return fromValue(seedWords('random.key', seed), uint32);
}

// The global key's words. Draws without a key advance it as MLX does (split
// it: the first half stays, the second is used), here on the host: a split
// of one key is two Threefry blocks, which the engine's random_bits computes
// in the same way (test/random.test.ts compares them), and a draw then sends
// the engine no request of its own, only its key as host data with its graph.
let globalKey = seedWords('random.seed', Date.now());

export function seed(s: number): void {
  globalKey = seedWords('random.seed', s);
}

/** Random bits: uint32 (width 4), uint16 (2) or uint8 (1) of `shape` per key. */
export function bits(shape: number[] = [], width = 4, k?: MxArray): MxArray {
  return internal(() => {
    const keyArr = k ?? nextKey();
    if (keyArr.dtype !== uint32 || keyArr.shape[keyArr.ndim - 1] !== 2) throw new MxError('random.bits', 'key', 'a key is a uint32 array ending in 2');
    const dtype = { 1: 'uint8', 2: 'uint16', 4: 'uint32' }[width];
    if (!dtype) throw new MxError('random.bits', 'width', `${width} is not 1, 2 or 4`);
    return apply1('random_bits', [keyArr], { shape, width }, { dtype: dtypeByName(dtype), shape: [...keyArr.shape.slice(0, -1), ...shape] });
  });
}

/** split(key, num = 2): num new keys, as a [num, 2] uint32 array. */
export function split(k: MxArray, num = 2): MxArray {
  return bits([num, 2], 4, k);
}

// Threefry-2x32 (20 rounds) of counter (c0, c1) under key (k0, k1), in uint32 words.
const ROTATIONS = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
];
function threefry(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const ks = [k0, k1, (k0 ^ k1 ^ 0x1bd11bda) >>> 0];
  let x0 = (c0 + k0) >>> 0, x1 = (c1 + k1) >>> 0;
  for (let i = 0; i < 5; i++) {
    for (const r of ROTATIONS[i % 2]) {
      x0 = (x0 + x1) >>> 0;
      x1 = ((x1 << r) | (x1 >>> (32 - r))) ^ x0;
    }
    x0 = (x0 + ks[(i + 1) % 3]) >>> 0;
    x1 = (x1 + ks[(i + 2) % 3] + i + 1) >>> 0;
  }
  return [x0, x1];
}

/**
 * @internal split(key) of a key's words, as random_bits([2, 2]) lays them
 * out: the counters (0, 2) and (1, 3) give words 0 and 2, and 1 and 3.
 */
export function splitWords([k0, k1]: readonly [number, number]): [[number, number], [number, number]] {
  const a = threefry(k0, k1, 0, 2), b = threefry(k0, k1, 1, 3);
  return [
    [a[0], b[0]],
    [a[1], b[1]],
  ];
}

// The global key advances by splitting: the first half stays, the second is used.
function nextKey(): MxArray {
  const [kept, used] = splitWords(globalKey);
  globalKey = kept;
  return fromValue(used, uint32);
}

// uniform's divisor and cap per dtype: bits / (2^(8w) - 1), then below 1.
const LIMITS: Record<string, [number, number]> = {
  float32: [4294967295, 1 - 2 ** -24],
  float16: [65535, 1 - 2 ** -11],
  bfloat16: [65535, 1 - 2 ** -8],
};

// The checked arguments of a draw: its shape and a floating dtype, blamed on `op`.
function drawArgs(op: string, shape: unknown, dtype: unknown, key: unknown): { shape: number[]; dtype: Dtype; key: MxArray | undefined } {
  const d = dtypeArg(op, 'dtype', dtype, float32);
  if (key !== undefined && key !== null && !(key instanceof MxArray)) throw new MxError(op, 'key', `expected a key array (mx.random.key(seed)), got ${describe(key)}`);
  return { shape: shapeArg(op, shape ?? [], 'shape'), dtype: d, key: (key ?? undefined) as MxArray | undefined };
}
function floatDraw(op: string, shape: unknown, dtype: unknown, key: unknown) {
  const args = drawArgs(op, shape, dtype, key);
  if (!LIMITS[args.dtype.name]) throw new MxError(op, 'dtype', `${args.dtype.name} is not float32, float16 or bfloat16`);
  return args;
}

export function uniform(low: ArrayLike = 0, high: ArrayLike = 1, shape?: number[] | null, dtype?: DtypeLike | null, key?: MxArray | null): MxArray {
  return internal(() => {
    return uniformIn('random.uniform', low, high, shape, dtype, key);
  });
}

function uniformIn(op: string, low: ArrayLike, high: ArrayLike, shapeArgument: unknown, dtypeArgument: unknown, keyArgument: unknown): MxArray {
  const { shape, dtype, key: k } = floatDraw(op, shapeArgument, dtypeArgument, keyArgument);
  const lo = astype(asArray(low, dtype, op, 'low'), dtype), hi = astype(asArray(high, dtype, op, 'high'), dtype);
  const range = binaryOps.subtract(hi, lo);
  const outShape = broadcastShapes(op, shape, range.shape);
  const [maxval, upper] = LIMITS[dtype.name];
  let out = bits(outShape, dtype.size, k);
  out = astype(divide(out, fromValue(maxval, float32)), dtype);
  out = minimum(out, fromValue(upper, dtype));
  return add(multiply(range, out), lo);
}

export function normal(shape?: number[] | null, dtype?: DtypeLike | null, loc?: number | null, scale?: number | null, key?: MxArray | null): MxArray {
  return internal(() => {
    const d = floatDraw('random.normal', shape, dtype, key).dtype;
    loc = numArg('random.normal', 'loc', loc, 0);
    scale = numArg('random.normal', 'scale', scale, 1);
    // As MLX v0.31.2: erfinv of a float32 uniform, then the dtype (a half
    // type's -1 would make -inf), then the scaling in the dtype.
    const u = uniformIn('random.normal', fromValue(-(1 - 2 ** -24), float32), fromValue(1, float32), shape, float32, key);
    let s = multiply(fromValue(Math.SQRT2, d), astype(erfinv(u), d));
    if (scale !== 1) s = multiply(fromValue(scale, d), s);
    if (loc !== 0) s = add(fromValue(loc, d), s);
    return s;
  });
}

export function randint(low: ArrayLike, high: ArrayLike, shape?: number[] | null, dtype?: DtypeLike | null, key?: MxArray | null): MxArray {
  return internal(() => {
    const { shape: s, key: k } = drawArgs('random.randint', shape, undefined, key);
    const d = dtypeArg('random.randint', 'dtype', dtype, int32);
    if (isInexact(d)) throw new MxError('random.randint', 'dtype', `${d.name} is not an integer type`);
    if (typeof low === 'number' && typeof high === 'number' && !(high > low))
      throw new MxError('random.randint', 'high', `expected high above low, got low ${low} and high ${high}`);
    const lo = asArray(low, float32, 'random.randint', 'low');
    const u = uniformIn('random.randint', lo, high, s, float32, k);
    return astype(maximum(u, lo), d);
  });
}

export function bernoulli(p?: ArrayLike | null, shape?: number[] | null, key?: MxArray | null): MxArray {
  return internal(() => {
    const prob = asArray(p ?? 0.5, float32, 'random.bernoulli', 'p');
    return less(uniformIn('random.bernoulli', 0, 1, shape ?? prob.shape, float32, key), prob);
  });
}

export function truncatedNormal(lower: ArrayLike, upper: ArrayLike, shape?: number[] | null, dtypeArgument?: DtypeLike | null, k?: MxArray | null): MxArray {
  return internal(() => {
    const dtype = floatDraw('random.truncatedNormal', shape ?? [], dtypeArgument, k).dtype;
    const lo = asArray(lower, dtype, 'random.truncatedNormal', 'lower'), hi = asArray(upper, dtype, 'random.truncatedNormal', 'upper');
    const sqrt2 = fromValue(Math.SQRT2, dtype);
    const a = erf(divide(lo, sqrt2)), b = erf(divide(hi, sqrt2));
    const u = uniformIn('random.truncatedNormal', a, b, shape ?? broadcastShapes('random.truncatedNormal', lo.shape, hi.shape), dtype, k);
    const out = multiply(sqrt2, erfinv(u));
    return maximum(minimum(hi, out), lo);
  });
}

export function gumbel(shape?: number[] | null, dtype?: DtypeLike | null, key?: MxArray | null): MxArray {
  return internal(() => {
    return negative(log(negative(log(uniformIn('random.gumbel', 0, 1, shape, dtype, key)))));
  });
}

/** categorical(logits, axis = -1, shape?, numSamples?, key?): samples by the Gumbel-max trick. */
export function categorical(logits: ArrayLike, axis = -1, shape?: number[], numSamples?: number, k?: MxArray): MxArray {
  return internal(() => {
    const l = asArray(logits);
    const ax = axis < 0 ? axis + l.ndim : axis;
    if (shape && numSamples !== undefined) throw new MxError('random.categorical', 'shape', 'give shape or numSamples, not both');
    if (numSamples !== undefined) {
      const s = l.shape.filter((_, i) => i !== ax);
      s.push(numSamples);
      const expanded = apply1('expand_dims', [l], { axes: [l.ndim] }, { dtype: l.dtype, shape: [...l.shape, 1] });
      const g = gumbel([...s.slice(0, ax), l.shape[ax], ...s.slice(ax)], float32, k);
      return argmax(add(g, expanded), ax);
    }
    const g = gumbel(shape ? [...shape.slice(0, ax), l.shape[ax], ...shape.slice(ax)] : l.shape, float32, k);
    return argmax(add(g, l), ax);
  });
}

/** laplace(shape, dtype, loc = 0, scale = 1, key?) by the inverse CDF. */
export function laplace(shape?: number[] | null, dtypeArgument?: DtypeLike | null, locArgument?: number | null, scaleArgument?: number | null, key?: MxArray | null): MxArray {
  return internal(() => {
    const { dtype, key: k } = floatDraw('random.laplace', shape, dtypeArgument, key);
    const loc = numArg('random.laplace', 'loc', locArgument, 0), scale = numArg('random.laplace', 'scale', scaleArgument, 1);
    const u = uniform(fromValue(-(1 - 2 ** -24), float32), fromValue(1, float32), shape, float32, k);
    let s = multiply(sign(u), log1p(negative(abs(u))));
    s = multiply(fromValue(-scale, float32), s);
    if (loc !== 0) s = add(fromValue(loc, float32), s);
    return astype(s, dtype);
  });
}

/** permutation(n or array, axis = 0, key?): a shuffle by sorting random bits. */
export function permutation(x: number | ArrayLike, axis = 0, k?: MxArray): MxArray {
  return internal(() => {
    if (typeof x === 'number') return argsort(bits([x], 4, k));
    const a = asArray(x);
    return take(a, argsort(bits([a.shape[axis]], 4, k)), axis);
  });
}

/**
 * Principal square root of a symmetric positive semi-definite matrix by
 * Jacobi rotations (on the host, in double): MLX takes U sqrt(S) V^T of the
 * SVD, which for such a matrix is this same root whatever signs the SVD picks.
 */
function sqrtPsd(c: number[][]): number[][] {
  const n = c.length;
  const a = c.map((r) => [...r]);
  const v: number[][] = a.map((_, i) => a.map((__, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1), sn = t * cs;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = cs * akp - sn * akq;
          a[k][q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = cs * apk - sn * aqk;
          a[q][k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p], vkq = v[k][q];
          v[k][p] = cs * vkp - sn * vkq;
          v[k][q] = sn * vkp + cs * vkq;
        }
      }
  }
  const root = a.map((_, i) => Math.sqrt(Math.max(a[i][i], 0)));
  // V diag(sqrt(lambda)) V^T
  return v.map((_, i) =>
    v.map((__, j) => {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += v[i][k] * root[k] * v[j][k];
      return sum;
    }),
  );
}

/** multivariateNormal(mean, cov, shape = [], dtype = float32, key?): mean + z @ sqrt(cov). */
export function multivariateNormal(mean: ArrayLike, cov: ArrayLike, shapeArgument?: number[] | null, dtypeArgument?: DtypeLike | null, key?: MxArray | null): MxArray {
  return internal(() => {
    const { shape, dtype, key: k } = floatDraw('random.multivariateNormal', shapeArgument, dtypeArgument, key);
    const m = asArray(mean, dtype, 'random.multivariateNormal', 'mean'), c = asArray(cov, dtype, 'random.multivariateNormal', 'cov');
    const n = m.shape[m.ndim - 1];
    if (m.ndim !== 1 || c.ndim !== 2 || c.shape[0] !== n || c.shape[1] !== n)
      throw new MxError('random.multivariateNormal', 'cov', `needs a 1-d mean and an n x n covariance, got (${m.shape}) and (${c.shape})`);
    const root = fromValue(sqrtPsd(c.tolist() as number[][]), float32);
    const z = normal([...shape, n], dtype, 0, 1, k);
    return add(m, matmul(z, astype(root, dtype)));
  });
}
