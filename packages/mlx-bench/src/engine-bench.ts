// The engine benchmark: float32 matmul GFLOP/s, elementwise and reduction
// GB/s, and a fused chain against the same chain unfused, for the mlx-compat
// engine and real MLX (@frost-beta/mlx) measured in the same run, interleaved.
// Usage: node --expose-gc dist/engine-bench.js [--quick]
import { createRequire } from 'node:module';
import os from 'node:os';
import { Session, type EvalRequest } from 'mlx-capi-bridge';
import { timeBlock } from './timing.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const mx: any = require('@frost-beta/mlx').core;

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3, BLOCK = quick ? 3 : 5;
const N = quick ? 1 << 20 : 1 << 24;

// A case times its two sides interleaved: ours against real MLX, or against
// ours another way (the unfused chain), so one side's after-effects (a peer's
// deferred frees) never land on a comparison they are not part of.
interface Case {
  name: string;
  unit: 'GFLOP/s' | 'GB/s';
  work: number; // flops or bytes per run
  ours: () => void;
  other: () => void;
  otherName: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Warm up once, then alternate the peers block by block (see timing.ts) so
// noise hits both alike.
async function measure(fns: Array<() => void>): Promise<number[]> {
  const times: number[][] = fns.map(() => []);
  fns.forEach((f) => f());
  for (let r = 0; r < ROUNDS; r++) for (const [i, f] of fns.entries()) times[i].push(...(await timeBlock(f, BLOCK)).map((ms) => ms / 1e3));
  return times.map(median);
}

const session = new Session({ validate: false });

// Makes a resident random float32 array of `shape`.
function resident(shape: number[], seed: number): string {
  const res = session.evalJson({
    schema_version: 1,
    inputs: [{ id: 's', dtype: 'float32', shape: [], data: seed }],
    nodes: [
      { id: 'i', op: 'arange', attrs: { stop: shape.reduce((a, b) => a * b, 1) } },
      { id: 'r', op: 'multiply', inputs: ['i', 's'] },
      { id: 'f', op: 'sin', inputs: ['r'] },
      { id: 'x', op: 'reshape', inputs: ['f'], attrs: { shape } },
    ],
    outputs: [{ ref: 'x', as: 'handle' }],
  });
  return res.outputs[0].handle!;
}

// One request over resident inputs whose result stays resident and is released.
function runOurs(inputs: Record<string, string>, nodes: EvalRequest['nodes'], out: string): void {
  const res = session.evalJson({
    schema_version: 1,
    inputs: Object.entries(inputs).map(([id, handle]) => ({ id, handle })),
    nodes,
    outputs: [{ ref: out, as: 'handle' }],
  });
  session.release(res.outputs[0].handle!);
}

const CHAIN = [
  { id: 'a', op: 'multiply', inputs: ['x', 'x'] },
  { id: 'b', op: 'add', inputs: ['a', 'x'] },
  { id: 'c', op: 'maximum', inputs: ['b', 'x'] },
  { id: 'd', op: 'square', inputs: ['c'] },
  { id: 'e', op: 'negative', inputs: ['d'] },
];

function cases(): Case[] {
  const list: Case[] = [];
  for (const n of quick ? [256] : [256, 1024, 2048]) {
    const a = resident([n, n], 0.37), b = resident([n, n], 0.11);
    const ma = mx.random.uniform(0, 1, [n, n]), mb = mx.random.uniform(0, 1, [n, n]);
    mx.eval(ma, mb);
    list.push({
      name: `matmul ${n}x${n} float32`,
      unit: 'GFLOP/s',
      work: 2 * n * n * n,
      ours: () => runOurs({ a, b }, [{ id: 'c', op: 'matmul', inputs: ['a', 'b'] }], 'c'),
      other: () => mx.eval(mx.matmul(ma, mb)),
      otherName: 'MLX',
    });
  }
  const x = resident([N], 0.5), y = resident([N], 0.25);
  const mxx = mx.random.uniform(-1, 1, [N]), mxy = mx.random.uniform(-1, 1, [N]);
  mx.eval(mxx, mxy);
  const mb = (k: number) => k * N * 4;
  list.push({
    name: `add, ${N / (1 << 20)}M float32`,
    unit: 'GB/s',
    work: mb(3),
    ours: () => runOurs({ x, y }, [{ id: 'z', op: 'add', inputs: ['x', 'y'] }], 'z'),
    other: () => mx.eval(mx.add(mxx, mxy)),
    otherName: 'MLX',
  });
  // Effective bandwidth of the chain counts one read of x and one write.
  const fused = () => runOurs({ x }, CHAIN, 'e');
  list.push({
    name: 'chain of 5 elementwise ops',
    unit: 'GB/s',
    work: mb(2),
    ours: fused,
    other: () => {
      const a = mx.multiply(mxx, mxx), b = mx.add(a, mxx), c = mx.maximum(b, mxx);
      mx.eval(mx.negative(mx.square(c)));
    },
    otherName: 'MLX',
  });
  list.push({
    name: 'chain of 5 elementwise ops, fused',
    unit: 'GB/s',
    work: mb(2),
    ours: fused,
    otherName: 'mlx-compat unfused (one request per op)',
    other: () => {
      const held: Record<string, string> = { x };
      for (const node of CHAIN) {
        const res = session.evalJson({
          schema_version: 1,
          inputs: node.inputs!.filter((v, i, all) => all.indexOf(v) === i).map((id) => ({ id, handle: held[id] })),
          nodes: [node],
          outputs: [{ ref: node.id, as: 'handle' }],
        });
        held[node.id] = res.outputs[0].handle!;
      }
      for (const node of CHAIN) session.release(held[node.id]);
    },
  });
  list.push({
    name: `sum over ${N / (1 << 20)}M float32`,
    unit: 'GB/s',
    work: mb(1),
    ours: () => {
      session.evalJson({ schema_version: 1, inputs: [{ id: 'x', handle: x }], nodes: [{ id: 's', op: 'sum', inputs: ['x'] }], outputs: ['s'] });
    },
    other: () => mx.eval(mx.sum(mxx)),
    otherName: 'MLX',
  });
  return list;
}

const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
console.log(`mlx-compat engine benchmark: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; median of ${ROUNDS * BLOCK} runs, in blocks of ${BLOCK} interleaved`);
console.log('peer MLX: @frost-beta/mlx 0.0.7 (MLX 0.13, CPU)\n');
const rows: Array<string[]> = [['case', 'mlx-compat', 'peer', 'peer rate', 'ratio']];
for (const c of cases()) {
  const [tOurs, tOther] = await measure([c.ours, c.other]);
  const ours = c.work / tOurs / 1e9, theirs = c.work / tOther / 1e9;
  rows.push([c.name, `${ours.toFixed(2)} ${c.unit}`, c.otherName, `${theirs.toFixed(2)} ${c.unit}`, `${(ours / theirs).toFixed(2)}x`]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((cell, i) => cell.padEnd(widths[i])).join('  '));
console.log('\ngoals: matmul >= 0.90x MLX; add, chain and sum >= 5x MLX; fused chain >= 3x the unfused chain');
session.close();
