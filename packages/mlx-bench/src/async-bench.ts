// asyncEval against eval, through mlx-compat:
//  1. the cost per call of a loop of evaluations of a small graph, awaited
//     one by one, and one ahead (the streaming pattern), against the same
//     loop with eval (goal: at most 20 us more), in wall time and in CPU
//     time of all the process's threads;
//  2. how late the event loop's timers fire while one evaluation of about
//     300 ms computes (goal: under 5 ms), and while several compute back to
//     back, next to the same measure while the program sleeps (the machine's
//     own noise) and while eval blocks.
// Usage: node --expose-gc dist/async-bench.js [--calls N] [--ms 300] [--rounds 5] [--back-to-back 6]
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import mlx from 'mlx-compat';
import { collect, settle } from './timing.js';

const mx = mlx.core;
type Arr = ReturnType<typeof mlx.core.array>;
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg('--calls', 2000), TARGET_MS = arg('--ms', 300), ROUNDS = arg('--rounds', 5), BACK_TO_BACK = arg('--back-to-back', 6);
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
  'await asyncEval': async () => {
    let x = mx.ones([16]);
    for (let i = 0; i < CALLS; i++) {
      x = small(x);
      await mx.asyncEval(x);
    }
    return x.tolist() as number[];
  },
  // the streaming pattern: the next step is started before the last is read
  'asyncEval ahead': async () => {
    let x = small(mx.ones([16]));
    void mx.asyncEval(x);
    for (let i = 1; i < CALLS; i++) {
      const next = small(x);
      void mx.asyncEval(next); // sent as soon as x lands
      await mx.asyncEval(x); // x is in flight: this waits for it
      x = next;
    }
    await mx.asyncEval(x);
    return x.tolist() as number[];
  },
};
type Loop = keyof typeof loops;
const wall: Record<Loop, number[]> = { eval: [], 'await asyncEval': [], 'asyncEval ahead': [] };
const cpu: Record<Loop, number[]> = { eval: [], 'await asyncEval': [], 'asyncEval ahead': [] };
const results: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const name of Object.keys(loops) as Loop[]) {
    await settle();
    await loops[name](); // untimed: pays for the pause
    await collect();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    results[name] = await loops[name]();
    wall[name].push(Number(process.hrtime.bigint() - t0) / 1e3 / CALLS);
    const c = process.cpuUsage(c0);
    cpu[name].push((c.user + c.system) / CALLS);
  }
}
for (const name of Object.keys(loops)) if (results[name].join() !== results.eval.join()) throw new Error(`results differ: ${name} ${results[name]} vs eval ${results.eval}`);
console.log(`loop of ${CALLS} evaluations of a 4-op graph over 16 floats (median of ${ROUNDS} rounds, interleaved)`);
console.log('                 wall us/call   CPU us/call (all threads)');
for (const name of Object.keys(loops) as Loop[])
  console.log(`${name.padEnd(16)} ${median(wall[name]).toFixed(1).padStart(13)} ${median(cpu[name]).toFixed(1).padStart(13)}`);
const sync = median(wall.eval);
console.log(`overhead: await asyncEval ${(median(wall['await asyncEval']) - sync).toFixed(1)} us/call more than eval, one ahead ${(median(wall['asyncEval ahead']) - sync).toFixed(1)} (goal: <= 20 us)`);

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
// the first products of a run are slower than later ones: two are not timed
timeEval(1);
timeEval(1);
const k = Math.max(1, Math.round(TARGET_MS / median([1, 2, 3, 4, 5].map(() => timeEval(1)))));

// The time this (the main) thread has spent runnable but waiting for a core,
// in ms (Linux's schedstat; NaN elsewhere): the share of timer lateness that
// is CPU contention rather than a blocked loop.
const queued = () => {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return NaN;
  }
};

// V8's collections as they end (their pauses of the main thread), for the
// share of timer lateness that is the collector's: the arrays an evaluation
// returns weigh on it (graph.ts's ballast), so it may run during one.
const pauses: { start: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) pauses.push({ start: e.startTime, duration: e.duration });
}).observe({ entryTypes: ['gc'] });

// How late 1 ms timers fire while `during` runs (max and 99th percentile, ms).
type Lateness = { max: number; p99: number; ms: number; queued: number; gc: number };
async function lateness(during: () => Promise<unknown>): Promise<Lateness> {
  await settle();
  const h = monitorEventLoopDelay({ resolution: 1 });
  const t0 = performance.now();
  const q0 = queued();
  h.enable();
  await during();
  const ms = performance.now() - t0;
  const waited = queued() - q0;
  // a timer held up by a blocked loop fires (and is counted) only when the loop turns again
  await new Promise((resolve) => setTimeout(resolve, 3));
  h.disable();
  // observers are told of collections in a later turn
  await new Promise((resolve) => setImmediate(resolve));
  const gc = Math.max(0, ...pauses.filter((p) => p.start >= t0).map((p) => p.duration));
  pauses.length = 0;
  // the histogram counts from when a timer was due, less its resolution
  return { max: h.max / 1e6, p99: h.percentile(99) / 1e6, ms, queued: waited, gc };
}
const rows: Record<string, Lateness[]> = { sleep: [], asyncEval: [], [`asyncEval x${BACK_TO_BACK}`]: [], eval: [] };
for (let r = 0; r < ROUNDS; r++) {
  rows.sleep.push(await lateness(() => new Promise((resolve) => setTimeout(resolve, TARGET_MS))));
  rows.asyncEval.push(await lateness(() => mx.asyncEval(products(k))));
  // back to back, with no collection between: what the dropped products
  // weigh on the collector lands within the timed span
  rows[`asyncEval x${BACK_TO_BACK}`].push(
    await lateness(async () => {
      for (let i = 0; i < BACK_TO_BACK; i++) await mx.asyncEval(products(k));
    }),
  );
  rows.eval.push(
    await lateness(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5)); // the monitor's timer starts first
      mx.eval(products(k));
    }),
  );
}
console.log(`\nevent-loop delay (1 ms timers: how late they fire) while ${k} products of ${n}x${n} compute (median of ${ROUNDS})`);
for (const [name, rs] of Object.entries(rows))
  console.log(
    `${name.padEnd(13)} took ${median(rs.map((x) => x.ms)).toFixed(0).padStart(4)} ms   max delay ${median(rs.map((x) => x.max)).toFixed(2).padStart(7)} ms   p99 ${median(rs.map((x) => x.p99)).toFixed(2).padStart(7)} ms   main thread waited for a core ${median(rs.map((x) => x.queued)).toFixed(2).padStart(6)} ms   longest collection ${median(rs.map((x) => x.gc)).toFixed(2).padStart(6)} ms`,
  );
console.log(`asyncEval's max delay: ${median(rows.asyncEval.map((x) => x.max)).toFixed(2)} ms, ${BACK_TO_BACK} back to back ${median(rows[`asyncEval x${BACK_TO_BACK}`].map((x) => x.max)).toFixed(2)} ms (goal: < 5 ms)`);
