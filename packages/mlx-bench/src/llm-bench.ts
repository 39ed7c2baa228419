// The language-model kernels of mx.fast, quantization and loading (issue
// 16's cases), through mlx-compat's native engine and two real MLX peers on
// the same work, timed the same way (timing.ts):
//  - MLX 0.31.2 (mlx-c): the same facade calls on the engine's mlx backend
//    (mx.setBackend('mlx'), MLXCOMPAT_MLXC_LIBRARY or ../shared/mlx-runtime),
//  - MLX 0.13 (@frost-beta/mlx), its own calls.
// Each figure is the median of the timed runs of two blocks per peer (the
// peers take turns by blocks), after one untimed warm-up call of each peer
// on the case. A timed run is one whole call from JavaScript, as a program
// makes it: building the graph, the request, the kernel and the response.
// Since session 11 the runs of a block follow each other as a model's loop
// runs them (timeLoop: no forced collection before each), and each run takes
// the next of several distinct sets of inputs of the same values' kind
// (4 times the last-level cache or more in all), so that its data comes
// from memory, not cache, as a model's layers each read their own weights
// and key/value cache. Beside them, mlx-compat is also timed as sessions
// 8-10 timed every peer (timeBlock: a collection and an event-loop turn
// before each run, the same inputs every run), for comparison on the same
// build; `--after-gc` times every peer that way.
// mlx-compat takes at least 10 timed runs per block, the MLX peers `repeat`
// (1 with --quick, else 4): their calls take up to seconds each. A median of
// an even count is the mean of the middle two. Each figure is printed with
// its share of the machine's limits (the copy bandwidth of all cores and the
// float32 FMA peak of all cores, measured by machine.ts right before each of
// mlx-compat's two blocks of a case, the mean of the two: the host's state
// moved both limits by up to 1.5x within minutes, with this machine idle),
// its ratio to
// MLX 0.31.2, and whether the issue's goal is met (70% of bandwidth or 50%
// of FMA peak, and 10x MLX 0.31.2). The loading case runs MLX's own loader
// for MLX 0.13 only: on the mlx backend a load is mlx-compat's (the file is
// mapped by the engine).
//   node --expose-gc packages/mlx-bench/dist/llm-bench.js [--quick] [--repeat N] [--skip-load] [--after-gc] [--only rope,attention,...]
// --quick takes about 4 minutes on the shared machine; the default about
// twice that.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mlx from 'mlx-compat';
import { backendInfo } from 'mlx-capi-bridge';
import { measuredLimits, nominalPeak } from './machine.js';
import { timeBlock, timeLoop } from './timing.js';

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

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const repeat = Number(args.includes('--repeat') ? args[args.indexOf('--repeat') + 1] : quick ? 1 : 4);
const afterGc = args.includes('--after-gc');

// The last-level cache's size (sysfs), 32 MiB where it does not say.
function lastLevelCache(): number {
  let most = 0;
  for (let i = 0; i < 8; i++) {
    try {
      const m = /^(\d+)([KM]?)/.exec(readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${i}/size`, 'utf8'));
      if (m) most = Math.max(most, Number(m[1]) * (m[2] === 'K' ? 1024 : m[2] === 'M' ? 2 ** 20 : 1));
    } catch {
      break;
    }
  }
  return most || 32 * 2 ** 20;
}
const LLC = lastLevelCache();
// Distinct input sets a case rotates over: 4 times the last-level cache or more in all, and 2
// (1 with --after-gc, which reads the same inputs every run).
const setsFor = (bytes: number) => (afterGc ? 1 : Math.max(2, Math.ceil((4 * LLC) / bytes)));

interface Case {
  name: string;
  /** bytes moved (a memory-bound kernel) or flops (a compute-bound one) per run */
  work: number;
  unit: 'GB/s' | 'GFLOP/s';
  /** the issue's goal: share of the machine's limit */
  goal: number;
  /** distinct input sets the runs take in turn */
  sets: number;
  /** facade calls on input set i % sets (run on the native engine and on the mlx backend): the output, not yet evaluated */
  ours: (i: number) => unknown;
  /** MLX 0.13's own calls on the same set */
  theirs: ((i: number) => unknown) | null;
  /** false where the mlx backend would not run MLX's own kernel */
  onMlx: boolean;
  /** a kernel that only reads (its output is tiny): its rate is also shown against what reading alone reaches */
  readOnly?: boolean;
}

const median = (t: number[]) => {
  const s = [...t].sort((a, b) => a - b), h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
// mlx-compat's calls take milliseconds: more of them per block steady its median
const OURS_PER_BLOCK = Math.max(repeat, 10);
// A run of a facade call: evaluated, and in the loop its output disposed
// after it, as a loop frees what it no longer needs (MLX frees an array when
// its last reference goes); without, the outputs would wait for V8's
// collector, each a new allocation of the engine's (page faults for the
// norms' 64 MiB).
const evaluate = (f: (i: number) => unknown) => (i: number) => {
  const y = f(i);
  mx.eval(y);
  if (!afterGc) mx.dispose([y]);
};
const onBackend = (f: (i: number) => void) => (i: number) => {
  mx.setBackend('mlx');
  try {
    f(i);
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
// `count` distinct sets of an input in both libraries: set 0 as made, set j
// times 1 + j/64 (exact scalings, so the values stay of the same kind and
// agree between the libraries), each in memory of its own.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const setsOf = ([a, b]: [any, any], count: number): [any[], any[] | null] => {
  const ours = [a], theirs = b ? [b] : null;
  for (let j = 1; j < count; j++) {
    const o = mx.multiply(a, 1 + j / 64);
    mx.eval(o);
    ours.push(o);
    if (theirs) {
      const t = real.multiply(b, 1 + j / 64);
      real.eval(t);
      theirs.push(t);
    }
  }
  return [ours, theirs];
};
const at = <T,>(list: T[], i: number): T => list[i % list.length];

function cases(): Case[] {
  const out: Case[] = [];
  const normBytes = 2 * 8 * 512 * 4096 * 4;
  const normSets = setsFor(normBytes);
  const [xs, XS] = setsOf(both([8, 512, 4096], 1), normSets), [w, W] = both([4096], 2), [b, B] = both([4096], 3);
  out.push({ name: 'rmsNorm 8x512x4096', work: normBytes, unit: 'GB/s', goal: 0.7, onMlx: true, sets: normSets, ours: (i) => mx.fast.rmsNorm(at(xs, i), w, 1e-5), theirs: XS && ((i) => real.fast.rmsNorm(at(XS, i), W, 1e-5)) });
  out.push({ name: 'layerNorm 8x512x4096', work: normBytes, unit: 'GB/s', goal: 0.7, onMlx: true, sets: normSets, ours: (i) => mx.fast.layerNorm(at(xs, i), w, b, 1e-5), theirs: XS && ((i) => real.fast.layerNorm(at(XS, i), W, B, 1e-5)) });
  const ropeBytes = 2 * 32 * 2048 * 128 * 4, ropeSets = setsFor(ropeBytes);
  const [rs, RS] = setsOf(both([1, 32, 2048, 128], 4), ropeSets);
  out.push({ name: 'rope 1x32x2048x128', work: ropeBytes, unit: 'GB/s', goal: 0.7, onMlx: true, sets: ropeSets, ours: (i) => mx.fast.rope(at(rs, i), 128, false, 10000, 1, 7), theirs: RS && ((i) => real.fast.rope(at(RS, i), 128, false, 10000, 1, 7)) });
  const kvBytes = 2 * 8 * 2048 * 128 * 4, kvSets = setsFor(kvBytes);
  const [q1, Q1] = both([1, 32, 1, 128], 5), [ks, KS] = setsOf(both([1, 8, 2048, 128], 6), kvSets), [vs, VS] = setsOf(both([1, 8, 2048, 128], 7), kvSets);
  out.push({ name: 'attention decode 1 vs 2048, 32q/8kv heads, d128', work: kvBytes, unit: 'GB/s', goal: 0.7, onMlx: true, readOnly: true, sets: kvSets, ours: (i) => mx.fast.scaledDotProductAttention(q1, at(ks, i), at(vs, i), 0.088), theirs: KS && VS && ((i) => real.fast.scaledDotProductAttention(Q1, at(KS, i), at(VS, i), 0.088)) });
  const prefillSets = setsFor((32 + 8 + 8) * 512 * 128 * 4);
  const [qps, QPS] = setsOf(both([1, 32, 512, 128], 8), prefillSets), [kps, KPS] = setsOf(both([1, 8, 512, 128], 9), prefillSets), [vps, VPS] = setsOf(both([1, 8, 512, 128], 10), prefillSets);
  // MLX 0.13 has no "causal": an additive mask of the same triangle
  const tri = real && real.where(real.greaterEqual(real.reshape(real.arange(512), [512, 1]), real.reshape(real.arange(512), [1, 512])), 0, -Infinity);
  if (tri) real.eval(tri);
  const causalFlops = 2 * 2 * 32 * 128 * (512 * 513) / 2;
  out.push({ name: 'attention causal prefill 512, 32q/8kv heads, d128', work: causalFlops, unit: 'GFLOP/s', goal: 0.5, onMlx: true, sets: prefillSets, ours: (i) => mx.fast.scaledDotProductAttention(at(qps, i), at(kps, i), at(vps, i), 0.088, 'causal'), theirs: QPS && KPS && VPS && ((i) => real.fast.scaledDotProductAttention(at(QPS, i), at(KPS, i), at(VPS, i), 0.088, tri)) });
  // 4-bit weights: mlx-compat packs as MLX v0.31.2 does (bit for bit), so both backends read the same ones
  const qBytes = (4096 * 4096) / 2 + 2 * 4096 * 64 * 4, qSets = setsFor(qBytes);
  const [wq, WQ] = both([4096, 4096], 11);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const packs: any[][] = [], PACKS: any[][] = [];
  for (let j = 0; j < qSets; j++) {
    const wj = j ? mx.multiply(wq, 1 + j / 64) : wq;
    const p = mx.quantize(wj, 64, 4);
    mx.eval(...p);
    packs.push(p);
    mx.dispose(j ? [wj] : []);
    if (WQ) {
      const P = real.quantize(j ? real.multiply(WQ, 1 + j / 64) : WQ, 64, 4);
      real.eval(...P);
      PACKS.push(P);
    }
  }
  mx.dispose([wq]);
  const [x1, X1] = both([1, 4096], 12), [x256, X256] = both([256, 4096], 13);
  out.push({ name: '4-bit g64 4096x4096 matvec', work: qBytes, unit: 'GB/s', goal: 0.7, onMlx: true, readOnly: true, sets: qSets, ours: (i) => mx.quantizedMatmul(x1, ...at(packs, i), true, 64, 4), theirs: WQ && ((i) => real.quantizedMatmul(X1, ...at(PACKS, i), true, 64, 4)) });
  out.push({ name: '4-bit g64 4096x4096 x 256 rows', work: 2 * 256 * 4096 * 4096, unit: 'GFLOP/s', goal: 0.5, onMlx: true, sets: qSets, ours: (i) => mx.quantizedMatmul(x256, ...at(packs, i), true, 64, 4), theirs: WQ && ((i) => real.quantizedMatmul(X256, ...at(PACKS, i), true, 64, 4)) });
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
    sets: 1,
    ours: () => mx.sum(mx.load(file).w3),
    theirs: real && (() => real.sum(real.load(file).w3)),
  };
}

// --only a,b: the cases whose names start with one of these
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const list = cases().filter((c) => !only || only.some((o) => c.name.startsWith(o)));
if (!args.includes('--skip-load') && (!only || only.some((o) => 'load'.startsWith(o)))) list.push(loadCase());
const peers = ['mlx-compat', `MLX ${mlxc.available ? mlxc.version : '0.31.2'} (mlx-c)`, 'MLX 0.13', ...(afterGc ? [] : ['mlx-compat after gc() (sessions 8-10)'])];
console.log(`llm-bench${quick ? ' --quick' : ''}${afterGc ? ' --after-gc' : ''}: per case, one untimed warm-up call of each peer, then two blocks per peer taking turns; timed runs per block: mlx-compat ${OURS_PER_BLOCK}, the MLX peers ${repeat}`);
if (afterGc) console.log('a timed run is one whole call from JavaScript after garbage collection and an event-loop turn (graph, request, kernel, response), on the same inputs every run (sessions 8-10)');
else
  console.log(
    `a timed run is one whole call from JavaScript (graph, request, kernel, response; mlx-compat's output then disposed, as a loop frees it, MLX 0.13's left to the collector: it has no dispose), the runs of a block back to back as a model's loop makes them (no forced collection between), each on the next of a case's distinct input sets (the count in brackets; 4x the ${(LLC / 2 ** 20).toFixed(0)} MiB last-level cache or more in all, so that inputs come from memory); the last column times mlx-compat as sessions 8-10 did (after garbage collection and an event-loop turn, the same inputs every run), --after-gc every peer`,
  );
console.log('each figure is the median of its runs (of an even count, the mean of the middle two)');
console.log('the machine is shared and noisy: read the load average beside these figures');
console.log(`load average at the start: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
if (!mlxc.available) console.log(`MLX 0.31.2 (mlx-c) left out: ${mlxc.reason}`);
if (!real) console.log('MLX 0.13 left out: @frost-beta/mlx is not installed');
const limits = await measuredLimits();
const BANDWIDTH = limits.copy_gb_s * 1e9;
const FMA_PEAK = (limits.fma_gflops ?? nominalPeak().gflops) * 1e9;
console.log(`at the start: memory bandwidth ${(BANDWIDTH / 1e9).toFixed(1)} GB/s (read + written); float32 FMA peak: ${(FMA_PEAK / 1e9).toFixed(0)} GFLOP/s${limits.fma_gflops ? '' : ` (from the vector units and /proc/cpuinfo's clock)`}; measured by ${limits.how}`);
// A kernel that only reads cannot move bytes faster than reading alone does,
// which on some machines is well under the copy figure: the goal's 70% of
// copy is then most of what reading can reach.
const READ = limits.read_gb_s && limits.read_gb_s * 1e9;
if (READ) console.log(`reading alone: ${(READ / 1e9).toFixed(1)} GB/s (the faster of one stream and 16 streams a thread), the most a kernel that only reads could move; 70% of the copy bandwidth is ${((70 * BANDWIDTH) / READ).toFixed(0)}% of it`);
// The fixed cost of a timed call, whatever its kernel: garbage collection
// evicts the caches, so a call after it pays for cold code and data.
const tiny = mx.array([1, 2, 3, 4]);
const addRun = evaluate(() => mx.add(tiny, tiny));
const floor = median(await (afterGc ? timeBlock(() => addRun(0), 20) : timeLoop(addRun, 20)));
const floorAfterGc = afterGc ? floor : median(await timeBlock(() => mx.eval(mx.add(tiny, tiny)), 20));
console.log(`per-call floor: mlx-compat's add of 4 floats, timed as every case, ${floor.toFixed(3)} ms (a 70%-of-bandwidth goal of t ms leaves the kernel t minus this); after gc(), ${floorAfterGc.toFixed(3)} ms`);
console.log(`each peer's cell: median time, rate, and in parentheses the share of the machine's limit (the copy bandwidth, or the float32 FMA peak) measured right before each of mlx-compat's two blocks of the case, the mean of the two (the goal column gives it)`);
console.log(`| case | ${peers.join(' | ')} | mlx-compat vs MLX 0.31.2 | goal: share of the limit; 10x MLX 0.31.2 |`);
console.log(`|${' --- |'.repeat(peers.length + 3)}`);
const rateOf = (c: Case, ms: number) => c.work / (ms / 1e3) / 1e9;
for (const c of list) {
  const theirs = c.theirs;
  const runs: Array<((i: number) => void) | null> = [
    evaluate(c.ours),
    mlxc.available && c.onMlx ? onBackend(evaluate(c.ours)) : null,
    theirs && ((i: number) => real.eval(theirs(i))),
    ...(afterGc ? [] : [() => mx.eval(c.ours(0))]),
  ];
  const times: number[][] = runs.map(() => []);
  const next = runs.map(() => 0);  // each peer's next input set
  const beside: Array<typeof limits> = [];  // the limits right before each of our blocks
  for (const run of runs) run?.(0);
  for (let round = 0; round < 2; round++)
    for (let p = 0; p < runs.length; p++) {
      const run = runs[p];
      if (!run) continue;
      if (p === 0) {
        beside.push(await measuredLimits());
        // machine_limits touches fresh memory, and on a VM the host may take
        // back pages of ours for it: a 4-bit matvec over 13 weight sets took
        // 2-8 ms each (engine time) for the first pass after it, 0.5 ms after
        // (session 20's host). A model reads its weights every token, so one
        // untimed pass over every set brings them back first.
        for (let s = 0; s < c.sets; s++) run(s);
      }
      const count = p === 0 || p === 3 ? OURS_PER_BLOCK : repeat;
      times[p].push(...(await (afterGc || p === 3 ? timeBlock(() => run(0), count) : timeLoop(run, count, next[p] + 1))));
      next[p] += count + 1;
    }
  const med = times.map((t) => (t.length ? median(t) : NaN));
  const mean = (f: (l: typeof limits) => number | null, otherwise: number) =>
    beside.every((l) => f(l) !== null) ? (beside.reduce((sum, l) => sum + (f(l) as number), 0) / beside.length) * 1e9 : otherwise;
  const limit = c.unit === 'GB/s' ? mean((l) => l.copy_gb_s, BANDWIDTH) : mean((l) => l.fma_gflops, FMA_PEAK);
  const readBeside = READ ? mean((l) => l.read_gb_s, READ) : null;
  const shareOf = (ms: number) => (rateOf(c, ms) * 1e9) / limit;
  const cell = (ms: number) => (Number.isNaN(ms) ? 'n/a' : `${ms.toFixed(2)} ms, ${rateOf(c, ms).toPrecision(3)} ${c.unit} (${(shareOf(ms) * 100).toFixed(1)}%)`);
  const share = shareOf(med[0]);
  const vs = med[1] / med[0];
  // What the goal asks of the kernel itself: the goal's time less the
  // per-call floor, as a share of what reading alone reaches (over 100%: out
  // of reach on this machine, however fast the kernel).
  const kernelMs = c.goal ? (c.work / (c.goal * limit)) * 1e3 - floor : NaN;
  const needed = c.readOnly && readBeside && kernelMs > 0 ? `; the goal leaves the kernel ${kernelMs.toFixed(2)} ms, ${((100 * rateOf(c, kernelMs) * 1e9) / readBeside).toFixed(0)}% of reading alone` : '';
  const ofRead = c.readOnly && readBeside ? `, ${((100 * rateOf(c, med[0]) * 1e9) / readBeside).toFixed(1)}% of reading alone (${(readBeside / 1e9).toFixed(1)} GB/s)${needed}` : '';
  const against = `${(limit / 1e9).toFixed(c.unit === 'GB/s' ? 1 : 0)} ${c.unit === 'GB/s' ? 'GB/s copy' : 'GFLOP/s'} beside our blocks`;
  const goal = c.goal ? `${share >= c.goal ? 'met' : 'not met'} (${(c.goal * 100).toFixed(0)}% of ${against}${ofRead}); ${Number.isNaN(vs) ? 'n/a' : vs >= 10 ? 'met' : 'not met'}` : 'none';
  console.log(`| ${c.name}${c.sets > 1 ? ` [${c.sets}]` : ''} | ${med.map(cell).join(' | ')} | ${Number.isNaN(vs) ? 'n/a' : `${vs.toFixed(1)}x`} | ${goal} |`);
}
console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
