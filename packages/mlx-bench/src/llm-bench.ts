// The language-model kernels of mx.fast, quantization and loading, through
// mlx-compat and real MLX (@frost-beta/mlx, MLX 0.13 CPU) on the same work,
// timed the same way (timing.ts), with each figure's share of the machine's
// limits (docs/PERFORMANCE.md: 29.7 GB/s copy bandwidth, about 200 GFLOP/s
// of float32 FMA over both cores).
//   node --expose-gc packages/mlx-bench/dist/llm-bench.js [--repeat N] [--skip-load]
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mlx from 'mlx-compat';
import { timeBlock } from './timing.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const real: any = require('@frost-beta/mlx').core;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const mx: any = mlx.core;

const BANDWIDTH = 29.7e9, FMA_PEAK = 200e9;
const args = process.argv.slice(2);
const repeat = Number(args[args.indexOf('--repeat') + 1] || 5);

interface Case {
  name: string;
  /** bytes moved (a memory-bound kernel) or flops (a compute-bound one) per run */
  work: number;
  unit: 'GB/s' | 'GFLOP/s';
  ours: () => void;
  theirs: () => void;
}

const median = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)];

// Inputs: the same values in both libraries.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const both = (shape: number[], seed: number): [any, any] => {
  const a = mx.random.normal(shape, mx.float32, 0, 1, mx.random.key(seed));
  mx.eval(a);
  const b = real.array(Array.from(a.toTypedArray() as Float32Array)).reshape(shape);
  real.eval(b);
  return [a, b];
};

function cases(): Case[] {
  const out: Case[] = [];
  const [x, X] = both([8, 512, 4096], 1), [w, W] = both([4096], 2), [b, B] = both([4096], 3);
  const normBytes = 2 * 8 * 512 * 4096 * 4;
  out.push({ name: 'rmsNorm 8x512x4096', work: normBytes, unit: 'GB/s', ours: () => mx.eval(mx.fast.rmsNorm(x, w, 1e-5)), theirs: () => real.eval(real.fast.rmsNorm(X, W, 1e-5)) });
  out.push({ name: 'layerNorm 8x512x4096', work: normBytes, unit: 'GB/s', ours: () => mx.eval(mx.fast.layerNorm(x, w, b, 1e-5)), theirs: () => real.eval(real.fast.layerNorm(X, W, B, 1e-5)) });
  const [r, R] = both([1, 32, 2048, 128], 4);
  out.push({ name: 'rope 1x32x2048x128', work: 2 * r.nbytes, unit: 'GB/s', ours: () => mx.eval(mx.fast.rope(r, 128, false, 10000, 1, 7)), theirs: () => real.eval(real.fast.rope(R, 128, false, 10000, 1, 7)) });
  const [q1, Q1] = both([1, 32, 1, 128], 5), [k, K] = both([1, 8, 2048, 128], 6), [v, V] = both([1, 8, 2048, 128], 7);
  out.push({ name: 'attention decode 1 vs 2048, 32q/8kv heads, d128', work: 2 * k.nbytes, unit: 'GB/s', ours: () => mx.eval(mx.fast.scaledDotProductAttention(q1, k, v, 0.088)), theirs: () => real.eval(real.fast.scaledDotProductAttention(Q1, K, V, 0.088)) });
  const [qp, QP] = both([1, 32, 512, 128], 8), [kp, KP] = both([1, 8, 512, 128], 9), [vp, VP] = both([1, 8, 512, 128], 10);
  // MLX 0.13 has no "causal": an additive mask of the same triangle
  const tri = real.where(real.greaterEqual(real.reshape(real.arange(512), [512, 1]), real.reshape(real.arange(512), [1, 512])), 0, -Infinity);
  real.eval(tri);
  const causalFlops = 2 * 2 * 32 * 512 * 128 * (512 * 513) / 2 / 512;
  out.push({ name: 'attention causal prefill 512, 32q/8kv heads, d128', work: causalFlops, unit: 'GFLOP/s', ours: () => mx.eval(mx.fast.scaledDotProductAttention(qp, kp, vp, 0.088, 'causal')), theirs: () => real.eval(real.fast.scaledDotProductAttention(QP, KP, VP, 0.088, tri)) });
  const [wq, WQ] = both([4096, 4096], 11);
  const [pq, ps, pb] = real.quantize(WQ, 64, 4);
  real.eval(pq, ps, pb);
  const carry = (a: { tolist(): unknown }, d: unknown) => mx.array(a.tolist(), d);
  const [oq, os, ob] = [carry(pq, mx.uint32), carry(ps, mx.float32), carry(pb, mx.float32)];
  mx.eval(oq, os, ob);
  void wq;
  const qBytes = 4096 * 4096 / 2 + 2 * 4096 * 64 * 4;
  const [x1, X1] = both([1, 4096], 12), [x256, X256] = both([256, 4096], 13);
  out.push({ name: '4-bit g64 4096x4096 matvec', work: qBytes, unit: 'GB/s', ours: () => mx.eval(mx.quantizedMatmul(x1, oq, os, ob, true, 64, 4)), theirs: () => real.eval(real.quantizedMatmul(X1, pq, ps, pb, true, 64, 4)) });
  out.push({ name: '4-bit g64 4096x4096 x 256 rows', work: 2 * 256 * 4096 * 4096, unit: 'GFLOP/s', ours: () => mx.eval(mx.quantizedMatmul(x256, oq, os, ob, true, 64, 4)), theirs: () => real.eval(real.quantizedMatmul(X256, pq, ps, pb, true, 64, 4)) });
  return out;
}

async function loadCase(): Promise<Case> {
  // 1 GiB of float32 in 16 tensors; a load that uses one of them
  const dir = mkdtempSync(join(tmpdir(), 'llm-bench-'));
  const file = join(dir, 'weights.safetensors');
  const arrays: Record<string, unknown> = {};
  for (let i = 0; i < 16; i++) arrays[`w${i}`] = mx.full([4096, 4096], i, mx.float32);
  mx.saveSafetensors(file, arrays);
  mx.dispose(Object.values(arrays));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return {
    name: 'load 1 GiB safetensors, use one 64 MiB tensor',
    work: 64 * 2 ** 20,
    unit: 'GB/s',
    ours: () => mx.eval(mx.sum(mx.load(file).w3)),
    theirs: () => real.eval(real.sum(real.load(file).w3)),
  };
}

const list = cases();
if (!args.includes('--skip-load')) list.push(await loadCase());
console.log(`llm-bench: ${repeat} timed runs each, medians; peer: MLX 0.13 (@frost-beta/mlx) on the CPU; the machine is shared and noisy`);
console.log('| case | mlx-compat | MLX 0.13 | speed-up | share of machine limit |');
console.log('| --- | --- | --- | --- | --- |');
for (const c of list) {
  const ours: number[] = [], theirs: number[] = [];
  for (let round = 0; round < 2; round++) {
    ours.push(...(await timeBlock(c.ours, Math.ceil(repeat / 2))));
    theirs.push(...(await timeBlock(c.theirs, Math.ceil(repeat / 2))));
  }
  const [a, b] = [median(ours), median(theirs)];
  const rate = (ms: number) => c.work / (ms / 1e3) / 1e9;
  const limit = c.unit === 'GB/s' ? BANDWIDTH : FMA_PEAK;
  console.log(`| ${c.name} | ${a.toFixed(2)} ms, ${rate(a).toFixed(1)} ${c.unit} | ${b.toFixed(2)} ms, ${rate(b).toFixed(1)} ${c.unit} | ${(b / a).toFixed(1)}x | ${((rate(a) * 1e9) / limit * 100).toFixed(0)}% of ${c.unit === 'GB/s' ? '29.7 GB/s' : '200 GFLOP/s'} |`);
}
