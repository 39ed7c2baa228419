// Training loops written as MLX users write them, the same code for
// mlx-compat and real MLX (@frost-beta/mlx) in one run: inputs made lazily
// and never evaluated by hand, a gradient step, mx.eval of the parameters.
// 1. linear regression (MLX's examples/python/linear_regression.py);
// 2. a 2-layer MLP classifier trained with valueAndGrad and SGD.
// Each loop runs whole (inputs created afresh) several times per library,
// interleaved; prints the median time per loop and the ratio to MLX, and the
// median CPU time of the process per loop (every thread's: on a busy shared
// machine it moves less than the wall time) with the load average, and the
// median time the calling thread spent on a core per loop (Linux's
// schedstat; the figure the load changes least, since mlx-compat computes
// on that thread while MLX 0.13 computes on a stream thread of its own).
// The calling thread's time waiting on the run queue per loop (schedstat
// again): what a busy machine adds to a thread that computes without
// pause (mlx-compat's), against one that sleeps while another computes and
// is run at once when it wakes (MLX's).
// Each loop starts settled (timing.ts): a pause lets the threads of the
// loop before it go idle (OpenBLAS's workers, MLX's or the engine's own,
// poll for up to a tenth of a second after a product), so that neither
// library's loop shares the cores with what the other left running.
// Diagnostic: the median time of one step (the steps after a loop's first
// two, which trace, compute the inputs and make the engine's plan), over all
// timed loops: what a loop costs per step, apart from its fixed costs and
// from the run-queue waits of a shared machine, which land in a few steps.
// Usage: node --expose-gc dist/naive-bench.js [--rounds N]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import mlx from 'mlx-compat';
import { settle } from './timing.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = any;
const libs: Array<[string, Lib]> = [['mlx-compat', mlx.core], ['MLX (@frost-beta/mlx 0.13)', require('@frost-beta/mlx').core]];

// Nanoseconds the calling thread has run on a core and has waited on the run queue (NaN where there is no schedstat).
function threadSchedNs(): [number, number] {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return [Number(run), Number(wait)];
  } catch {
    return [NaN, NaN];
  }
}

const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 7;
// Whole runs of each loop discarded first: V8 compiles most of mlx-compat's
// step path over a loop's first two or three runs (docs/PERFORMANCE.md,
// session 14), while MLX's own example runs 10,000 steps and spends nearly
// all of them warmed. Both libraries are warmed alike; the first run is
// printed apart (cold: before V8 has compiled the step path).
const WARMUP = 3;

// The end times of the current loop's steps (each loop calls stepDone() after its mx.eval).
let stepEnds: bigint[] = [];
const stepDone = () => void stepEnds.push(process.hrtime.bigint());

// Linear regression: 1000 examples of 100 features, 100 steps of SGD.
function linearRegression(mx: Lib): number {
  const [numFeatures, numExamples, numIters, lr] = [100, 1000, 100, 0.01];
  const wStar = mx.random.normal([numFeatures]);
  const X = mx.random.normal([numExamples, numFeatures]);
  const eps = mx.multiply(1e-2, mx.random.normal([numExamples]));
  const y = mx.add(mx.matmul(X, wStar), eps);
  let w = mx.multiply(1e-2, mx.random.normal([numFeatures]));
  const lossFn = (w: Lib) => mx.multiply(0.5, mx.mean(mx.square(mx.subtract(mx.matmul(X, w), y))));
  const gradFn = mx.grad(lossFn);
  for (let i = 0; i < numIters; i++) {
    const grad = gradFn(w);
    w = mx.subtract(w, mx.multiply(lr, grad));
    mx.eval(w);
    stepDone();
  }
  return lossFn(w).item();
}

// MLP 64-128-10 on 512 random examples, 50 steps of SGD.
function mlp(mx: Lib): number {
  const [inDim, hidden, classes, batch, steps, lr] = [64, 128, 10, 512, 50, 0.1];
  const X = mx.random.normal([batch, inDim]);
  const labels = mx.random.randint(0, classes, [batch]);
  let params = [
    mx.multiply(mx.random.normal([inDim, hidden]), Math.sqrt(2 / inDim)),
    mx.zeros([hidden]),
    mx.multiply(mx.random.normal([hidden, classes]), Math.sqrt(2 / hidden)),
    mx.zeros([classes]),
  ];
  const loss = (p: Lib[], x: Lib, t: Lib) => {
    const h = mx.maximum(mx.add(mx.matmul(x, p[0]), p[1]), 0);
    const logits = mx.add(mx.matmul(h, p[2]), p[3]);
    const picked = mx.takeAlongAxis(logits, mx.expandDims(t, -1), -1);
    return mx.mean(mx.subtract(mx.logsumexp(logits, -1, true), picked));
  };
  const lossAndGrad = mx.valueAndGrad(loss);
  let last = mx.array(0);
  for (let i = 0; i < steps; i++) {
    const [value, grads] = lossAndGrad(params, X, labels);
    params = params.map((p: Lib, k: number) => mx.subtract(p, mx.multiply(lr, grads[k])));
    mx.eval(params, value);
    last = value;
    stepDone();
  }
  return last.item();
}

const loops: Array<[string, (mx: Lib) => number]> = [['linear regression (100 steps)', linearRegression], ['MLP training (50 steps)', mlp]];
const times = new Map<string, number[]>();
const cpuTimes = new Map<string, number[]>();
const threadTimes = new Map<string, number[]>();
const waitTimes = new Map<string, number[]>();
const stepTimes = new Map<string, number[]>();
const coldTimes = new Map<string, number>();
const FIRST_STEPS = 2;
// Each library computes once before any loop, untimed: MLX loads its
// native library when it is imported, mlx-compat at its first evaluation
// (10-24 ms for that first sum, against MLX's 0.7-13, at load 3-4), which
// the cold run would otherwise count for mlx-compat alone.
for (const [, lib] of libs) lib.sum(lib.array([1, 2])).item();
const loadBefore = loadavg()[0];
for (let round = -WARMUP; round < ROUNDS; round++) {
  for (const [loopName, loop] of loops)
    for (const [libName, lib] of libs) {
      await settle();
      lib.random.seed(round + WARMUP + 1);
      const c0 = process.cpuUsage();
      const th0 = threadSchedNs();
      const t0 = process.hrtime.bigint();
      stepEnds = [];
      const loss = loop(lib);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const cpu = process.cpuUsage(c0);
      const th1 = threadSchedNs();
      const thread = (th1[0] - th0[0]) / 1e6, waited = (th1[1] - th0[1]) / 1e6;
      if (!Number.isFinite(loss)) throw new Error(`${libName} ${loopName}: loss ${loss}`);
      const key = `${loopName}|${libName}`;
      if (round === -WARMUP) coldTimes.set(key, ms);
      if (round < 0) continue;
      times.set(key, [...(times.get(key) ?? []), ms]);
      cpuTimes.set(key, [...(cpuTimes.get(key) ?? []), (cpu.user + cpu.system) / 1e3]);
      threadTimes.set(key, [...(threadTimes.get(key) ?? []), thread]);
      waitTimes.set(key, [...(waitTimes.get(key) ?? []), waited]);
      const steps = stepEnds.slice(FIRST_STEPS).map((t, k) => Number(t - stepEnds[FIRST_STEPS - 1 + k]) / 1e3);
      stepTimes.set(key, [...(stepTimes.get(key) ?? []), ...steps]);
    }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`naive training loops, median of ${ROUNDS} runs each, interleaved, each settled, after ${WARMUP} runs of each discarded as warm-up`);
for (const [loopName] of loops) {
  const ours = median(times.get(`${loopName}|${libs[0][0]}`)!), theirs = median(times.get(`${loopName}|${libs[1][0]}`)!);
  const ourCpu = median(cpuTimes.get(`${loopName}|${libs[0][0]}`)!), theirCpu = median(cpuTimes.get(`${loopName}|${libs[1][0]}`)!);
  console.log(`${loopName.padEnd(32)} mlx-compat ${ours.toFixed(1).padStart(8)} ms   MLX ${theirs.toFixed(1).padStart(8)} ms   mlx-compat is ${(theirs / ours).toFixed(2)}x the speed of MLX`);
  console.log(`${'  CPU time per loop'.padEnd(32)} mlx-compat ${ourCpu.toFixed(1).padStart(8)} ms   MLX ${theirCpu.toFixed(1).padStart(8)} ms   (${(theirCpu / ourCpu).toFixed(2)}x)`);
  const ourThread = median(threadTimes.get(`${loopName}|${libs[0][0]}`)!), theirThread = median(threadTimes.get(`${loopName}|${libs[1][0]}`)!);
  console.log(`${'  calling thread on a core'.padEnd(32)} mlx-compat ${ourThread.toFixed(1).padStart(8)} ms   MLX ${theirThread.toFixed(1).padStart(8)} ms   (MLX computes on its own thread too)`);
  const ourWait = median(waitTimes.get(`${loopName}|${libs[0][0]}`)!), theirWait = median(waitTimes.get(`${loopName}|${libs[1][0]}`)!);
  console.log(`${'  calling thread on run queue'.padEnd(32)} mlx-compat ${ourWait.toFixed(1).padStart(8)} ms   MLX ${theirWait.toFixed(1).padStart(8)} ms`);
  const ourStep = median(stepTimes.get(`${loopName}|${libs[0][0]}`)!), theirStep = median(stepTimes.get(`${loopName}|${libs[1][0]}`)!);
  console.log(`${'  median step (after the 2nd)'.padEnd(32)} mlx-compat ${ourStep.toFixed(1).padStart(8)} us   MLX ${theirStep.toFixed(1).padStart(8)} us   (${(theirStep / ourStep).toFixed(2)}x)`);
  const ourCold = coldTimes.get(`${loopName}|${libs[0][0]}`)!, theirCold = coldTimes.get(`${loopName}|${libs[1][0]}`)!;
  console.log(`${'  first run (cold)'.padEnd(32)} mlx-compat ${ourCold.toFixed(1).padStart(8)} ms   MLX ${theirCold.toFixed(1).padStart(8)} ms   (${(theirCold / ourCold).toFixed(2)}x)`);
}
console.log(`load average ${loadBefore.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end`);
console.log('goal: mlx-compat at least as fast as MLX (1.00x or more) on both loops');
