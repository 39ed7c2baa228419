// Convolutions: conv2d of 8x56x56x64 by a 3x3, 64-channel kernel (padding 1),
// forward and forward + backward (both gradients), and a LeNet-sized Adam
// training step (28x28 images, batch 64), through mlx-compat and real MLX
// (node-mlx 0.0.7, MLX 0.13), interleaved in one run; the forward also
// through MLX v0.31.2 (the engine's mlx backend, which has conv_general but
// not yet its weight gradient) when libmlxc loads (MLXCOMPAT_MLXC_LIBRARY,
// else ../shared/mlx-runtime beside the checkout). Prints median times,
// GFLOP/s, the fraction of the machine's float32 FMA peak (measured at the
// start of the run by machine.ts, and the vector units' nominal
// peak at the listed clock) and the speed relative to MLX.
// Usage: node --expose-gc dist/conv-bench.js [--rounds N]
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo } from 'mlx-capi-bridge';
import mlx from 'mlx-compat';
import { machine } from './machine.js';
import { timeBlock } from './timing.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = any;
const real: Lib = require('@frost-beta/mlx');
const ours: Lib = mlx;

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ROUNDS = Number(arg('--rounds') ?? 3), BLOCK = 3;
const runtime = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/mlx-runtime/lib/libmlxc.so');
if (!process.env.MLXCOMPAT_MLXC_LIBRARY && existsSync(runtime)) process.env.MLXCOMPAT_MLXC_LIBRARY = runtime;

const N = 8, H = 56, W = 56, C = 64, O = 64, K = 3;
const CONV_FLOP = 2 * N * H * W * C * O * K * K;

function convCases(lib: Lib): { forward: () => void; backward: () => void } {
  const mx = lib.core;
  mx.random.seed(3);
  const x = mx.random.normal([N, H, W, C]), w = mx.multiply(mx.random.normal([O, K, K, C]), 0.05), g = mx.random.normal([N, H, W, O]);
  mx.eval(x, w, g);
  // the sum of conv * g has g as the output's cotangent: both gradients, as a training step needs them
  const vg = mx.valueAndGrad((a: unknown, b: unknown) => mx.sum(mx.multiply(mx.conv2d(a, b, 1, 1), g)), [0, 1]);
  return {
    forward: () => mx.eval(mx.conv2d(x, w, 1, 1)),
    backward: () => {
      const [v, grads] = vg(x, w);
      mx.eval(v, ...grads);
    },
  };
}

// LeNet-5 in MLX's layers, channels last: 28x28x1 -> conv 5x5 (6) -> pool -> conv 5x5 (16) -> pool -> 120 -> 84 -> 10.
function lenet(lib: Lib): { model: Lib; loss: (x: unknown, y: unknown) => unknown; x: unknown; y: unknown } {
  const mx = lib.core, nn = lib.nn;
  mx.random.seed(7);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 6, 5, 1, 2), nn.relu, new nn.MaxPool2d(2, 2),
    new nn.Conv2d(6, 16, 5), nn.relu, new nn.MaxPool2d(2, 2),
    (h: Lib) => mx.reshape(h, [h.shape[0], -1]),
    new nn.Linear(16 * 5 * 5, 120), nn.relu, new nn.Linear(120, 84), nn.relu, new nn.Linear(84, 10),
  );
  const x = mx.random.uniform(0, 1, [64, 28, 28, 1]), y = mx.random.randint(0, 10, [64], mx.int32);
  mx.eval(x, y);
  return { model, loss: (a, b) => nn.losses.crossEntropy(model.forward(a), b, undefined, -1, 0, 'mean'), x, y };
}

function lenetStep(lib: Lib): () => number {
  const { model, loss, x, y } = lenet(lib);
  const vg = lib.nn.valueAndGrad(model, loss);
  const opt = new lib.optimizers.Adam(1e-3);
  return () => {
    const [l, g] = vg(x, y);
    opt.update(model, g);
    lib.core.eval(model.parameters(), opt.state, l);
    return l.item();
  };
}

function lenetStepCompiled(): () => number {
  const { model, loss, x, y } = lenet(ours);
  const vg = ours.nn.valueAndGrad(model, loss);
  const opt = new ours.optimizers.Adam(1e-3);
  const state = [model.state, opt.state];
  const step = ours.core.compile((a: unknown, b: unknown) => {
    const [l, g] = vg(a, b);
    opt.update(model, g);
    return l;
  }, { inputs: state, outputs: state });
  return () => {
    const l = step(x, y);
    ours.core.eval(l);
    return l.item();
  };
}

interface Peer {
  name: string;
  run: () => unknown;
  times: number[];
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function race(peers: Peer[]): Promise<void> {
  for (let round = -1; round < ROUNDS; round++)
    for (const p of peers) {
      const times = await timeBlock(() => p.run(), BLOCK);
      if (round >= 0) p.times.push(...times);
    }
}

const m = await machine();
console.log(`conv benchmark: ${m.cpu}, ${m.cores} cores, ${m.blas}; median of ${ROUNDS * BLOCK} runs, blocks of ${BLOCK} interleaved`);
const MEASURED_PEAK = m.fma_gflops ?? m.peak_gflops_fp32;
console.log(`float32 FMA peak: ${m.fma_gflops ? `${m.fma_gflops.toFixed(0)} GFLOP/s measured (machine.ts's measuredLimits)` : 'not measured (machine_limits.cpp did not build or run)'}, ${m.peak_gflops_fp32.toFixed(0)} from the vector units at ${m.mhz} MHz`);
const v31 = backendInfo('mlx');
console.log(`peers: MLX = @frost-beta/mlx 0.0.7 (MLX 0.13, CPU); MLX 0.31.2 = the mlx backend: ${v31.available ? `${v31.version}` : `skipped (${v31.reason})`}\n`);

const o = convCases(ours), r = convCases(real);
// the same graph as mlx-compat's forward, run by MLX v0.31.2
const onMlx = () => {
  ours.core.setBackend('mlx');
  try {
    o.forward();
  } finally {
    ours.core.setBackend(undefined);
  }
};
const conv: Peer[] = [
  { name: 'mlx-compat forward', run: o.forward, times: [] },
  { name: 'MLX forward', run: r.forward, times: [] },
  ...(v31.available ? [{ name: 'MLX 0.31.2 forward', run: onMlx, times: [] }] : []),
  { name: 'mlx-compat forward+backward', run: o.backward, times: [] },
  { name: 'MLX forward+backward', run: r.backward, times: [] },
];
await race(conv);
console.log(`conv2d ${N}x${H}x${W}x${C} by ${O}x${K}x${K}x${C}, padding 1: ${(CONV_FLOP / 1e9).toFixed(2)} GFLOP forward, 3x that with both gradients`);
for (const p of conv) {
  const ms = median(p.times), flop = CONV_FLOP * (p.name.endsWith('backward') ? 3 : 1), rate = flop / ms / 1e6;
  console.log(`  ${p.name.padEnd(30)} ${ms.toFixed(2).padStart(9)} ms  ${rate.toFixed(1).padStart(6)} GFLOP/s  ${((100 * rate) / MEASURED_PEAK).toFixed(0).padStart(3)}% of the measured peak, ${((100 * rate) / m.peak_gflops_fp32).toFixed(0)}% of the units' peak`);
}
const ratio = (a: string, b: string) => median(conv.find((p) => p.name === b)!.times) / median(conv.find((p) => p.name === a)!.times);
console.log(`  mlx-compat vs MLX 0.13: forward ${ratio('mlx-compat forward', 'MLX forward').toFixed(2)}x, forward+backward ${ratio('mlx-compat forward+backward', 'MLX forward+backward').toFixed(2)}x`);
if (v31.available) console.log(`  mlx-compat vs MLX 0.31.2: forward ${ratio('mlx-compat forward', 'MLX 0.31.2 forward').toFixed(2)}x`);
console.log('  goal: forward and forward+backward at 50% of the FMA peak or more');

const steps: Peer[] = [
  { name: 'mlx-compat', run: lenetStep(ours), times: [] },
  { name: 'mlx-compat compiled', run: lenetStepCompiled(), times: [] },
  { name: 'MLX', run: lenetStep(real), times: [] },
];
await race(steps);
const mlxStep = median(steps[2].times);
console.log('\nLeNet-5 Adam step, batch 64 of 28x28x1');
for (const p of steps) console.log(`  ${p.name.padEnd(22)} ${median(p.times).toFixed(2).padStart(9)} ms   ${(mlxStep / median(p.times)).toFixed(2)}x the speed of MLX`);
