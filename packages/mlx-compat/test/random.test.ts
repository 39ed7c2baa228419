// Seeded draws agree exactly with real MLX; distributions MLX 0.13 lacks
// (laplace, permutation, bits widths) are checked against their definitions.
import { describe, expect, it } from 'vitest';
import mlx from '../src/index.js';
import { observeReceipts } from '../src/core/graph.js';
import { splitWords } from '../src/core/random.js';
import { real } from './oracle.js';

const mx = mlx.core;
const SEEDS = [0, 1, 42, 2 ** 32 + 7, 123456789];

const same = (a: { tolist(): unknown }, b: { tolist(): unknown }) => expect(JSON.stringify(a.tolist())).toBe(JSON.stringify(b.tolist()));

describe('random draws equal real MLX for the same seed', () => {
  for (const s of SEEDS) {
    it(`seed ${s}: the global key sequence`, () => {
      mx.random.seed(s);
      real.random.seed(s);
      same(mx.random.uniform(0, 1, [5]), real.random.uniform(0, 1, [5]));
      same(mx.random.uniform(-3, 2, [2, 3], mx.float16), real.random.uniform(-3, 2, [2, 3], real.float16));
      same(mx.random.normal([7]), real.random.normal([7]));
      // Half-precision normal follows MLX v0.31.2, which draws it in float32 and
      // rounds (0.13 draws 16-bit bits, and can give -inf): MLX 0.13's float32
      // draw from the same key, within two bfloat16 ulps.
      const ours = mx.random.normal([3], mx.bfloat16, 1, 2).tolist() as number[];
      const theirs = real.random.normal([3], real.float32, 1, 2).tolist() as number[];
      ours.forEach((v, i) => expect(Math.abs(v - theirs[i])).toBeLessThanOrEqual(2 * 2 ** -7 * Math.max(1, Math.abs(theirs[i]))));
      same(mx.random.randint(-5, 5, [8]), real.random.randint(-5, 5, [8]));
      same(mx.random.bernoulli(0.25, [8]), real.random.bernoulli(0.25, [8]));
      same(mx.random.gumbel([4]), real.random.gumbel([4]));
      same(mx.random.truncatedNormal(-0.5, 2, [5]), real.random.truncatedNormal(-0.5, 2, [5]));
      same(mx.random.categorical(mx.array([[0, 1, 2, 3], [3, 0, 0, 1]])), real.random.categorical(real.array([[0, 1, 2, 3], [3, 0, 0, 1]])));
      // the sequence advanced the same way
      same(mx.random.uniform(0, 1, [2]), real.random.uniform(0, 1, [2]));
    });
    it(`seed ${s}: explicit keys and split`, () => {
      const k = mx.random.key(s), rk = real.random.key(s);
      same(k, rk);
      same(mx.random.split(k, 4), real.random.split(rk, 4));
      same(mx.random.normal([2, 2], mx.float32, 0, 1, k), real.random.normal([2, 2], real.float32, 0, 1, rk));
      same(mx.random.uniform(0, 10, [3], mx.float32, k), real.random.uniform(0, 10, [3], real.float32, rk));
    });
  }
});

describe('distributions by definition', () => {
  it('uniform stays in [low, high) and averages to the middle', () => {
    const u = mx.random.uniform(2, 4, [20000], mx.float32, mx.random.key(3));
    expect(mx.min(u).item()).toBeGreaterThanOrEqual(2);
    expect(mx.max(u).item()).toBeLessThan(4);
    expect(Math.abs((mx.mean(u).item() as number) - 3)).toBeLessThan(0.02);
  });
  it('laplace has mean loc and variance 2 scale^2', () => {
    const x = mx.random.laplace([40000], mx.float32, 1, 0.5, mx.random.key(5));
    expect(Math.abs((mx.mean(x).item() as number) - 1)).toBeLessThan(0.02);
    expect(Math.abs((mx.variance(x).item() as number) - 0.5)).toBeLessThan(0.03);
  });
  it('permutation is a permutation, and shuffles arrays along an axis', () => {
    const p = mx.random.permutation(10, 0, mx.random.key(9)).tolist() as number[];
    expect([...p].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const rows = mx.random.permutation(mx.arange(12).reshape(4, 3), 0, mx.random.key(9)).tolist() as number[][];
    expect(rows.map((r) => r[0]).sort((a, b) => a - b)).toEqual([0, 3, 6, 9]);
    rows.forEach((r) => expect(r).toEqual([r[0], r[0] + 1, r[0] + 2]));
  });
  it('bits come in widths 1, 2 and 4 with the first bytes of the 32-bit words', () => {
    const k = mx.random.key(11);
    const w4 = mx.random.bits([2], 4, k).tolist() as number[];
    const w1 = mx.random.bits([8], 1, k).tolist() as number[];
    // the 8 bytes of one key are the two words' little-endian bytes
    const bytes = w4.flatMap((w) => [w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24]);
    expect(w1).toEqual(bytes);
    expect(mx.random.bits([3], 2, k).dtype).toBe(mx.uint16);
  });
  it('multivariateNormal equals MLX within float32 rounding (its SVD is float32, our root double)', () => {
    const mean = [1, -1, 0.5], cov = [[2, 0.5, 0], [0.5, 1, 0.2], [0, 0.2, 0.7]];
    const ours = mx.random.multivariateNormal(mx.array(mean), mx.array(cov), [4], mx.float32, mx.random.key(8)).tolist() as number[][];
    const theirs = real.random.multivariateNormal(real.array(mean), real.array(cov), [4], real.float32, real.random.key(8)).tolist() as number[][];
    ours.flat().forEach((v, i) => expect(Math.abs(v - theirs.flat()[i])).toBeLessThan(1e-5));
    expect(() => mx.random.multivariateNormal(mx.array([1, 2]), mx.array([1, 2]))).toThrow(/n x n covariance/);
  });
});

describe('the global key sequence on the host', () => {
  it('splits a key as the engine does: the same words as random_bits for keys of every size', () => {
    const words: Array<[number, number]> = [[0, 0], [0, 1], [1, 0], [0xffffffff, 0xffffffff], [0x12345678, 0x9abcdef0], [7, 2 ** 31]];
    for (let i = 0; i < 64; i++) words.push([(i * 2654435761) >>> 0, (i * 40503 + 0x7fffffff) >>> 0]);
    for (const w of words) expect(splitWords(w)).toEqual(mx.random.split(mx.array(w, mx.uint32)).tolist());
  });
  it('sends the engine no request for a draw: its key goes with the graph that reads it', () => {
    mx.random.seed(3);
    let requests = 0;
    observeReceipts(() => requests++);
    try {
      const draws = [mx.random.normal([4]), mx.random.uniform(0, 1, [2, 2]), mx.random.randint(0, 9, [3])];
      expect(requests).toBe(0);
      mx.eval(draws);
      expect(requests).toBe(1);
    } finally {
      observeReceipts(undefined);
    }
  });
});
