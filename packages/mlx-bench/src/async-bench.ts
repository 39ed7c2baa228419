// asyncEval against eval, through mlx-compat:
//  1. the cost per call of a loop of evaluations of a small graph, awaited
//     one by one, against the same loop with eval (goal: at most 20 us more);
//  2. how late the event loop's timers fire while one evaluation of about
//     300 ms computes (goal: under 5 ms), next to the same measure while the
//     program sleeps (the machine's own noise) and while eval blocks.
// Usage: node --expose-gc dist/async-bench.js [--calls N] [--ms 300]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mlx from 'mlx-compat';
import { collect, settle } from './timing.js';

// the facade's elementwise ops are not in its declared type yet (a Record spread into core)
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const mx: any = mlx.core;
type Arr = ReturnType<typeof mlx.core.array>;
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg('--calls', 2000), TARGET_MS = arg('--ms', 300), ROUNDS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. A small graph (four ops over 16 floats) evaluated CALLS times in a row.
const c = mx.array([0.5]);
const small = (x: Arr) => mx.tanh(mx.add(mx.multiply(x, c), c));
const loops = {
  eval: async () => {
    let x = mx.ones([16]);
    for (let i = 0; i < CALLS; i++) {
      x = small(x);
      mx.eval(x);
    }
    return x.tolist() as number[];
  },
  asyncEval: async () => {
    let x = mx.ones([16]);
    for (let i = 0; i < CALLS; i++) {
      x = small(x);
      await mx.asyncEval(x);
    }
    return x.tolist() as number[];
  },
};
const perCall: Record<keyof typeof loops, number[]> = { eval: [], asyncEval: [] };
const results: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const name of Object.keys(loops) as Array<keyof typeof loops>) {
    await settle();
    await loops[name](); // untimed: pays for the pause
    await collect();
    const t0 = process.hrtime.bigint();
    results[name] = await loops[name]();
    perCall[name].push(Number(process.hrtime.bigint() - t0) / 1e3 / CALLS);
  }
}
if (results.eval.join() !== results.asyncEval.join()) throw new Error(`results differ: ${results.eval} vs ${results.asyncEval}`);
const sync = median(perCall.eval), async = median(perCall.asyncEval);
console.log(`loop of ${CALLS} evaluations of a 4-op graph over 16 floats (median of ${ROUNDS} rounds, interleaved)`);
console.log(`eval            ${sync.toFixed(1)} us/call`);
console.log(`await asyncEval ${async.toFixed(1)} us/call`);
console.log(`overhead        ${(async - sync).toFixed(1)} us/call more than eval (goal: <= 20 us)`);

// 2. Products sized so that one evaluation takes about TARGET_MS.
const n = 1024;
const a = mx.random.normal([n, n]);
mx.eval(a);
const products = (k: number) => {
  let y = a;
  for (let i = 0; i < k; i++) y = mx.matmul(y, a);
  return mx.sum(y);
};
const timeEval = (k: number) => {
  const t0 = performance.now();
  mx.eval(products(k));
  return performance.now() - t0;
};
timeEval(1);
const one = median([timeEval(1), timeEval(1), timeEval(1)]);
const k = Math.max(1, Math.round(TARGET_MS / one));

// How late 1 ms timers fire while `during` runs (max and 99th percentile, ms).
async function lateness(during: () => Promise<unknown>): Promise<{ max: number; p99: number; ms: number }> {
  await settle();
  const h = monitorEventLoopDelay({ resolution: 1 });
  const t0 = performance.now();
  h.enable();
  await during();
  const ms = performance.now() - t0;
  // a timer held up by a blocked loop fires (and is counted) only when the loop turns again
  await new Promise((resolve) => setTimeout(resolve, 3));
  h.disable();
  // the histogram counts from when a timer was due, less its resolution
  return { max: h.max / 1e6, p99: h.percentile(99) / 1e6, ms };
}
const rows: Record<string, Array<{ max: number; p99: number; ms: number }>> = { sleep: [], asyncEval: [], eval: [] };
for (let r = 0; r < ROUNDS; r++) {
  rows.sleep.push(await lateness(() => new Promise((resolve) => setTimeout(resolve, TARGET_MS))));
  rows.asyncEval.push(await lateness(() => mx.asyncEval(products(k))));
  rows.eval.push(
    await lateness(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5)); // the monitor's timer starts first
      mx.eval(products(k));
    }),
  );
}
console.log(`\nevent-loop delay (1 ms timers: how late they fire) while ${k} products of ${n}x${n} compute (median of ${ROUNDS})`);
for (const [name, rs] of Object.entries(rows))
  console.log(`${name.padEnd(10)} took ${median(rs.map((x) => x.ms)).toFixed(0).padStart(4)} ms   max delay ${median(rs.map((x) => x.max)).toFixed(2).padStart(7)} ms   p99 ${median(rs.map((x) => x.p99)).toFixed(2).padStart(7)} ms`);
console.log(`asyncEval's max delay: ${median(rows.asyncEval.map((x) => x.max)).toFixed(2)} ms (goal: < 5 ms)`);
