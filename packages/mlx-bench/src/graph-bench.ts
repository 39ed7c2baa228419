// The facade's overhead: build and evaluate a graph of 10,000 small ops
// (a chain over 16-element arrays) through mlx-compat and through real MLX,
// interleaved in one run; prints the cost per op of each and their ratio.
// Usage: node --expose-gc dist/graph-bench.js [--ops N]
import { createRequire } from 'node:module';
import mlx from 'mlx-compat';
import { timeBlock } from './timing.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const real: any = require('@frost-beta/mlx').core;
const mx = mlx.core;

const opsArg = process.argv.indexOf('--ops');
const OPS = opsArg > 0 ? Number(process.argv[opsArg + 1]) : 10_000;
const ROUNDS = 5, BLOCK = 3;

// Both libraries get the same sequence: add, multiply, maximum, tanh, over and over.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function chain(lib: any, ops: number): number {
  let x = lib.ones([16]);
  const c = lib.array([0.5]);
  for (let i = 0; i < ops; i += 4) {
    x = lib.add(x, c);
    x = lib.multiply(x, c);
    x = lib.maximum(x, c);
    x = lib.tanh(x);
  }
  lib.eval(x);
  return x.tolist()[0];
}

// Blocks of runs, as timing.ts times every benchmark.
const times: Record<string, number[]> = { 'mlx-compat': [], MLX: [] };
const results: Record<string, number> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, lib] of [['mlx-compat', mx], ['MLX', real]] as const) {
    const ms = await timeBlock(() => {
      results[name] = chain(lib, OPS);
    }, BLOCK);
    times[name].push(...ms.map((t) => t * 1e3));
  }
}
if (Math.abs(results['mlx-compat'] - results.MLX) > 1e-5) throw new Error(`results differ: ${results['mlx-compat']} vs ${results.MLX}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ours = median(times['mlx-compat']) / OPS, theirs = median(times.MLX) / OPS;
console.log(`graph of ${OPS} small ops, built and evaluated (median of ${ROUNDS * BLOCK}, in blocks of ${BLOCK} interleaved)`);
console.log(`mlx-compat  ${ours.toFixed(2)} us/op`);
console.log(`MLX         ${theirs.toFixed(2)} us/op`);
console.log(`ratio       ${(ours / theirs).toFixed(2)}x the per-op cost of MLX (goal: <= 1.00x)`);
