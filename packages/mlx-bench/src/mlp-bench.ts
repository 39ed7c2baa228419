// One training step of a 784-512-512-10 MLP (batch 128, float32: forward,
// grad, SGD update) through mlx-compat and real MLX, each compiled and not,
// interleaved in one run. Prints the median step time and the ratios, and
// the time of the step's matrix products alone in each library.
// Usage: node --expose-gc dist/mlp-bench.js [--steps N]
import { createRequire } from 'node:module';
import mlx from 'mlx-compat';
import { timeBlock } from './timing.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = any;
const real: Lib = require('@frost-beta/mlx').core;
const ours: Lib = mlx.core;

const stepsArg = process.argv.indexOf('--steps');
const STEPS = stepsArg > 0 ? Number(process.argv[stepsArg + 1]) : 15;
const SIZES = [784, 512, 512, 10];
const BATCH = 128;
const LR = 0.05;

// The same code for both libraries: parameters as a flat list, then x and y.
function makeStep(lib: Lib) {
  const loss = (...args: unknown[]) => {
    const params = args.slice(0, 6), x = args[6], y = args[7];
    let h = x;
    for (let l = 0; l < 3; l++) {
      h = lib.add(lib.matmul(h, params[2 * l]), params[2 * l + 1]);
      if (l < 2) h = lib.maximum(h, 0);
    }
    const picked = lib.squeeze(lib.takeAlongAxis(h, lib.expandDims(y, [1]), 1), [1]);
    return lib.mean(lib.subtract(lib.logsumexp(h, [1]), picked));
  };
  const grads = lib.valueAndGrad(loss, [0, 1, 2, 3, 4, 5]);
  return (...args: unknown[]) => {
    const [value, g] = grads(...args);
    const updated = (g as unknown[]).map((gi, i) => lib.subtract(args[i], lib.multiply(gi, LR)));
    return [value, ...updated];
  };
}

function init(lib: Lib, seed: number): unknown[] {
  lib.random.seed(seed);
  const params: unknown[] = [];
  for (let l = 0; l < 3; l++) {
    const scale = Math.sqrt(2 / SIZES[l]);
    params.push(lib.multiply(lib.random.normal([SIZES[l], SIZES[l + 1]]), scale), lib.zeros([SIZES[l + 1]]));
  }
  const x = lib.random.uniform(0, 1, [BATCH, SIZES[0]]);
  const y = lib.random.randint(0, 10, [BATCH], lib.int32);
  lib.eval([...params, x, y]);
  return [...params, x, y];
}

// The step's eight matrix products alone (three forward; two weight
// gradients and one input gradient for each of the top two layers, one weight
// gradient for the first), on arrays of the step's shapes. No step can be
// faster than its products: this bounds the ratio either library can reach.
function makeProducts(lib: Lib) {
  const t = (a: unknown) => lib.transpose(a);
  return (x: unknown, w1: unknown, h1: unknown, w2: unknown, h2: unknown, w3: unknown, d3: unknown, d2: unknown, d1: unknown) => [
    lib.matmul(x, w1), lib.matmul(h1, w2), lib.matmul(h2, w3),
    lib.matmul(t(h2), d3), lib.matmul(d3, t(w3)),
    lib.matmul(t(h1), d2), lib.matmul(d2, t(w2)),
    lib.matmul(t(x), d1),
  ];
}

function productInputs(lib: Lib): unknown[] {
  lib.random.seed(11);
  const shapes = [[BATCH, 784], [784, 512], [BATCH, 512], [512, 512], [BATCH, 512], [512, 10], [BATCH, 10], [BATCH, 512], [BATCH, 512]];
  const xs = shapes.map((s) => lib.random.normal(s));
  lib.eval(xs);
  return xs;
}

interface Peer {
  name: string;
  lib: Lib;
  run: (...a: unknown[]) => unknown;
  state: unknown[];
  training: boolean; // a training step (its outputs are the loss and the new parameters) or the products alone
  times: number[];
  losses: number[];
}

const peers: Peer[] = [];
for (const [name, lib] of [['mlx-compat', ours], ['MLX', real]] as const) {
  for (const compiled of [false, true]) {
    const step = makeStep(lib);
    peers.push({ name: `${name}${compiled ? ' compiled' : ''}`, lib, run: compiled ? lib.compile(step) : step, state: init(lib, 7), training: true, times: [], losses: [] });
  }
  peers.push({ name: `${name} products`, lib, run: lib.compile(makeProducts(lib)), state: productInputs(lib), training: false, times: [], losses: [] });
}

// Peers take turns by blocks of steps, timed as timing.ts times every
// benchmark; the losses of every step, timed or not, are kept to compare.
const BLOCK = 5;
const ROUNDS = Math.ceil(STEPS / BLOCK);
for (let round = -1; round < ROUNDS; round++) {
  for (const p of peers) {
    const losses: unknown[] = []; // read after the block, outside the timing
    const times = await timeBlock(() => {
      const out = p.run(...p.state) as unknown[];
      p.lib.eval(out);
      if (!p.training) return;
      p.state = [...out.slice(1), ...p.state.slice(6)];
      losses.push(out[0]);
    }, BLOCK);
    p.losses.push(...losses.map((l) => (l as { item(): number }).item()));
    if (round >= 0) p.times.push(...times);
  }
}

// every peer trains the same model from the same start: the losses must agree
const trainers = peers.filter((p) => p.training);
const ref = trainers[0].losses;
for (const p of trainers) {
  p.losses.forEach((l, i) => {
    if (Math.abs(l - ref[i]) > 1e-3 * Math.max(1, Math.abs(ref[i]))) throw new Error(`${p.name} loss ${l} differs from ${ref[i]} at step ${i}`);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timeOf = (name: string) => median(peers.find((p) => p.name === name)!.times);
console.log(`MLP ${SIZES.join('-')} training step, batch ${BATCH}, float32 (median of ${ROUNDS * BLOCK} steps, in blocks of ${BLOCK} interleaved; losses agree)`);
const mlxCompiled = timeOf('MLX compiled');
for (const p of peers) console.log(`${p.name.padEnd(22)} ${median(p.times).toFixed(2).padStart(8)} ms/step   ${(mlxCompiled / median(p.times)).toFixed(2)}x the speed of compiled MLX`);
const compiledOurs = peers.find((p) => p.name === 'mlx-compat compiled')!.run as unknown as { traces: number };
console.log(`mlx-compat compiled traced ${compiledOurs.traces} time(s) over ${(ROUNDS + 1) * (BLOCK + 1)} calls`);
// m*k*n of each product, in makeProducts' order
const PRODUCT_MKN = [[BATCH, 784, 512], [BATCH, 512, 512], [BATCH, 512, 10], [512, BATCH, 10], [BATCH, 10, 512], [512, BATCH, 512], [BATCH, 512, 512], [784, BATCH, 512]];
const gflop = PRODUCT_MKN.reduce((s, [m, k, n]) => s + (2 * m * k * n) / 1e9, 0);
const floor = Math.min(timeOf('mlx-compat products'), timeOf('MLX products'));
console.log(`the step's matrix products (${(gflop * 1e3).toFixed(0)} MFLOP) alone take ${floor.toFixed(2)} ms at best (${(gflop / floor * 1e3).toFixed(0)} GFLOP/s): a step with them at that speed cannot beat ${(mlxCompiled / floor).toFixed(2)}x compiled MLX here`);
console.log('goal: compiled mlx-compat at least 1.5x faster than compiled MLX');
