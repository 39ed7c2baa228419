// The language-model kernels of mx.fast, quantization and loading (issue
// 16's cases), through mlx-compat's native engine and two real MLX peers on
// the same work, timed the same way (timing.ts):
//  - MLX 0.31.2 (mlx-c): the same facade calls on the engine's mlx backend
//    (mx.setBackend('mlx'), MLXCOMPAT_MLXC_LIBRARY or ../shared/mlx-runtime),
//  - MLX 0.13 (@frost-beta/mlx), its own calls.
// Each figure is the median of the timed runs of two blocks per peer (the
// peers take turns by blocks, timing.ts), after one untimed warm-up call of
// each peer on the case; a timed run is one whole call from JavaScript, as a
// program makes it: building the graph, the request, the kernel and the
// response, after garbage collection and an event-loop turn (timing.ts).
// mlx-compat takes at least 5 timed runs per block, the MLX peers `repeat`
// (1 with --quick, else 4): their calls take up to seconds each. A median of
// an even count is the mean of the middle two. Each figure is printed with
// its share of the machine's limits (the copy bandwidth of all cores,
// measured at the start of the run by machine.ts; about 200 GFLOP/s of
// float32 FMA over both cores, docs/PERFORMANCE.md), its ratio to
// MLX 0.31.2, and whether the issue's goal is met (70% of bandwidth or 50%
// of FMA peak, and 10x MLX 0.31.2). The loading case runs MLX's own loader
// for MLX 0.13 only: on the mlx backend a load is mlx-compat's (the file is
// mapped by the engine).
//   node --expose-gc packages/mlx-bench/dist/llm-bench.js [--quick] [--repeat N] [--skip-load]
// --quick takes about 4 minutes on the shared machine; the default about
// twice that.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mlx from 'mlx-compat';
import { backendInfo } from 'mlx-capi-bridge';
import { copyBandwidth } from './machine.js';
import { timeBlock } from './timing.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let real: any = null;
try {
  real = require('@frost-beta/mlx').core;
} catch {
  real = null;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const mx: any = mlx.core;

const shared = fileURLToPath(new URL('../../../../shared/mlx-runtime/lib/libmlxc.so', import.meta.url));
if (!process.env.MLXCOMPAT_MLXC_LIBRARY && existsSync(shared)) process.env.MLXCOMPAT_MLXC_LIBRARY = shared;
const mlxc = backendInfo('mlx');

const FMA_PEAK = 200e9;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const repeat = Number(args.includes('--repeat') ? args[args.indexOf('--repeat') + 1] : quick ? 1 : 4);

interface Case {
  name: string;
  /** bytes moved (a memory-bound kernel) or flops (a compute-bound one) per run */
  work: number;
  unit: 'GB/s' | 'GFLOP/s';
  /** the issue's goal: share of the machine's limit */
  goal: number;
  /** facade calls, run on the native engine and on the mlx backend */
  ours: () => void;
  /** MLX 0.13's own calls */
  theirs: (() => void) | null;
  /** false where the mlx backend would not run MLX's own kernel */
  onMlx: boolean;
}

const median = (t: number[]) => {
  const s = [...t].sort((a, b) => a - b), h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
// mlx-compat's calls take milliseconds: more of them per block steady its median
const OURS_PER_BLOCK = Math.max(repeat, 5);
const onBackend = (f: () => void) => () => {
  mx.setBackend('mlx');
  try {
    f();
  } finally {
    mx.setBackend(undefined);
  }
};

// Inputs: the same values in every library.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const both = (shape: number[], seed: number): [any, any] => {
  const a = mx.random.normal(shape, mx.float32, 0, 1, mx.random.key(seed));
  mx.eval(a);
  if (!real) return [a, null];
  const b = real.array(Array.from(a.toTypedArray() as Float32Array)).reshape(shape);
  real.eval(b);
  return [a, b];
};

function cases(): Case[] {
  const out: Case[] = [];
  const [x, X] = both([8, 512, 4096], 1), [w, W] = both([4096], 2), [b, B] = both([4096], 3);
  const normBytes = 2 * 8 * 512 * 4096 * 4;
  out.push({ name: 'rmsNorm 8x512x4096', work: normBytes, unit: 'GB/s', goal: 0.7, onMlx: true, ours: () => mx.eval(mx.fast.rmsNorm(x, w, 1e-5)), theirs: real && (() => real.eval(real.fast.rmsNorm(X, W, 1e-5))) });
  out.push({ name: 'layerNorm 8x512x4096', work: normBytes, unit: 'GB/s', goal: 0.7, onMlx: true, ours: () => mx.eval(mx.fast.layerNorm(x, w, b, 1e-5)), theirs: real && (() => real.eval(real.fast.layerNorm(X, W, B, 1e-5))) });
  const [r, R] = both([1, 32, 2048, 128], 4);
  out.push({ name: 'rope 1x32x2048x128', work: 2 * r.nbytes, unit: 'GB/s', goal: 0.7, onMlx: true, ours: () => mx.eval(mx.fast.rope(r, 128, false, 10000, 1, 7)), theirs: real && (() => real.eval(real.fast.rope(R, 128, false, 10000, 1, 7))) });
  const [q1, Q1] = both([1, 32, 1, 128], 5), [k, K] = both([1, 8, 2048, 128], 6), [v, V] = both([1, 8, 2048, 128], 7);
  out.push({ name: 'attention decode 1 vs 2048, 32q/8kv heads, d128', work: 2 * k.nbytes, unit: 'GB/s', goal: 0.7, onMlx: true, ours: () => mx.eval(mx.fast.scaledDotProductAttention(q1, k, v, 0.088)), theirs: real && (() => real.eval(real.fast.scaledDotProductAttention(Q1, K, V, 0.088))) });
  const [qp, QP] = both([1, 32, 512, 128], 8), [kp, KP] = both([1, 8, 512, 128], 9), [vp, VP] = both([1, 8, 512, 128], 10);
  // MLX 0.13 has no "causal": an additive mask of the same triangle
  const tri = real && real.where(real.greaterEqual(real.reshape(real.arange(512), [512, 1]), real.reshape(real.arange(512), [1, 512])), 0, -Infinity);
  if (tri) real.eval(tri);
  const causalFlops = 2 * 2 * 32 * 128 * (512 * 513) / 2;
  out.push({ name: 'attention causal prefill 512, 32q/8kv heads, d128', work: causalFlops, unit: 'GFLOP/s', goal: 0.5, onMlx: true, ours: () => mx.eval(mx.fast.scaledDotProductAttention(qp, kp, vp, 0.088, 'causal')), theirs: real && (() => real.eval(real.fast.scaledDotProductAttention(QP, KP, VP, 0.088, tri))) });
  // 4-bit weights: mlx-compat packs as MLX v0.31.2 does (bit for bit), so both backends read the same ones
  const [wq, WQ] = both([4096, 4096], 11);
  const [oq, os, ob] = mx.quantize(wq, 64, 4);
  mx.eval(oq, os, ob);
  const packed = real && real.quantize(WQ, 64, 4);
  if (packed) real.eval(...packed);
  const qBytes = (4096 * 4096) / 2 + 2 * 4096 * 64 * 4;
  const [x1, X1] = both([1, 4096], 12), [x256, X256] = both([256, 4096], 13);
  out.push({ name: '4-bit g64 4096x4096 matvec', work: qBytes, unit: 'GB/s', goal: 0.7, onMlx: true, ours: () => mx.eval(mx.quantizedMatmul(x1, oq, os, ob, true, 64, 4)), theirs: packed && (() => real.eval(real.quantizedMatmul(X1, ...packed, true, 64, 4))) });
  out.push({ name: '4-bit g64 4096x4096 x 256 rows', work: 2 * 256 * 4096 * 4096, unit: 'GFLOP/s', goal: 0.5, onMlx: true, ours: () => mx.eval(mx.quantizedMatmul(x256, oq, os, ob, true, 64, 4)), theirs: packed && (() => real.eval(real.quantizedMatmul(X256, ...packed, true, 64, 4))) });
  return out;
}

function loadCase(): Case {
  // 16 float32 tensors of 64 MiB (1 GiB); a load that uses one of them
  const count = 16;
  const dir = mkdtempSync(join(tmpdir(), 'llm-bench-'));
  const file = join(dir, 'weights.safetensors');
  const arrays: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) arrays[`w${i}`] = mx.full([4096, 4096], i, mx.float32);
  mx.saveSafetensors(file, arrays);
  mx.dispose(Object.values(arrays));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return {
    name: `load ${count * 64} MiB safetensors, use one 64 MiB tensor`,
    work: 64 * 2 ** 20,
    unit: 'GB/s',
    goal: 0,
    onMlx: false,
    ours: () => mx.eval(mx.sum(mx.load(file).w3)),
    theirs: real && (() => real.eval(real.sum(real.load(file).w3))),
  };
}

const list = cases();
if (!args.includes('--skip-load')) list.push(loadCase());
const peers = ['mlx-compat', `MLX ${mlxc.available ? mlxc.version : '0.31.2'} (mlx-c)`, 'MLX 0.13'];
console.log(`llm-bench${quick ? ' --quick' : ''}: per case, one untimed warm-up call of each peer, then two blocks per peer taking turns; timed runs per block: mlx-compat ${OURS_PER_BLOCK}, the MLX peers ${repeat}`);
console.log('a timed run is one whole call from JavaScript after garbage collection and an event-loop turn (graph, request, kernel, response); each figure is the median of its runs (of an even count, the mean of the middle two)');
console.log('the machine is shared and noisy: read the load average beside these figures');
console.log(`load average at the start: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
if (!mlxc.available) console.log(`MLX 0.31.2 (mlx-c) left out: ${mlxc.reason}`);
if (!real) console.log('MLX 0.13 left out: @frost-beta/mlx is not installed');
const BANDWIDTH = (await copyBandwidth()) * 1e9;
console.log(`memory bandwidth: ${(BANDWIDTH / 1e9).toFixed(1)} GB/s (a 256 MiB copy split over ${cpus().length} threads, read + write, best of 16)`);
// The fixed cost of a timed call, whatever its kernel: garbage collection
// evicts the caches, so a call after it pays for cold code and data.
const tiny = mx.array([1, 2, 3, 4]);
const floor = median(await timeBlock(() => mx.eval(mx.add(tiny, tiny)), 20));
console.log(`per-call floor: mlx-compat's add of 4 floats, timed as every case, ${floor.toFixed(3)} ms (a 70%-of-bandwidth goal of t ms leaves the kernel t minus this)`);
console.log(`each peer's cell: median time, rate, and in parentheses the share of the machine's limit (${(BANDWIDTH / 1e9).toFixed(1)} GB/s copy bandwidth, or 200 GFLOP/s of float32 FMA)`);
console.log(`| case | ${peers.join(' | ')} | mlx-compat vs MLX 0.31.2 | goal: share of the limit; 10x MLX 0.31.2 |`);
console.log('| --- | --- | --- | --- | --- | --- |');
const rateOf = (c: Case, ms: number) => c.work / (ms / 1e3) / 1e9;
for (const c of list) {
  const runs: Array<(() => void) | null> = [c.ours, mlxc.available && c.onMlx ? onBackend(c.ours) : null, c.theirs];
  const times: number[][] = runs.map(() => []);
  for (const run of runs) run?.();
  for (let round = 0; round < 2; round++)
    for (let p = 0; p < runs.length; p++) {
      const run = runs[p];
      if (run) times[p].push(...(await timeBlock(run, p === 0 ? OURS_PER_BLOCK : repeat)));
    }
  const med = times.map((t) => (t.length ? median(t) : NaN));
  const limit = c.unit === 'GB/s' ? BANDWIDTH : FMA_PEAK;
  const shareOf = (ms: number) => (rateOf(c, ms) * 1e9) / limit;
  const cell = (ms: number) => (Number.isNaN(ms) ? 'n/a' : `${ms.toFixed(2)} ms, ${rateOf(c, ms).toPrecision(3)} ${c.unit} (${(shareOf(ms) * 100).toFixed(1)}%)`);
  const share = shareOf(med[0]);
  const vs = med[1] / med[0];
  const goal = c.goal ? `${share >= c.goal ? 'met' : 'not met'} (${(c.goal * 100).toFixed(0)}%); ${Number.isNaN(vs) ? 'n/a' : vs >= 10 ? 'met' : 'not met'}` : 'none';
  console.log(`| ${c.name} | ${med.map(cell).join(' | ')} | ${Number.isNaN(vs) ? 'n/a' : `${vs.toFixed(1)}x`} | ${goal} |`);
}
console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
