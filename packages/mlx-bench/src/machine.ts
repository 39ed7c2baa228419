// What the run ran on, and that machine's ceilings: peak float32 FLOP/s of its
// vector units and cores (nominal, and measured by a loop of FMAs), and memory
// bandwidth measured by a copy on every core.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export interface Machine {
  cpu: string;
  cores: number;
  memory_gib: number;
  blas: string;
  node: string;
  git_commit: string;
  flags: { avx2: boolean; fma: boolean; avx512: boolean };
  mhz: number;
  peak_gflops_fp32: number;
  copy_gb_s: number;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

// The machine's memory bandwidth: a 256 MiB copy (beyond the last-level cache)
// split across one worker thread per core, each copying its share with
// TypedArray.set (a memcpy), best of 16: read plus write bytes per second.
// Kernels that use both cores are judged against what both cores can copy.
const copyWorker = `
const { workerData: { from, to, ctl, lo, hi } } = require('node:worker_threads');
const c = new Int32Array(ctl), src = new Uint8Array(from, lo, hi - lo), dst = new Uint8Array(to, lo, hi - lo);
for (let gen = 0; ; ) {
  Atomics.wait(c, 0, gen);
  gen = Atomics.load(c, 0);
  if (gen < 0) break;
  dst.set(src);
  Atomics.add(c, 1, 1);
  Atomics.notify(c, 1);
}`;

export async function copyBandwidth(threads = os.cpus().length, bytes = 256 << 20, runs = 16): Promise<number> {
  const from = new SharedArrayBuffer(bytes), to = new SharedArrayBuffer(bytes), ctl = new SharedArrayBuffer(8);
  new Uint8Array(from).fill(1);
  const c = new Int32Array(ctl);
  const share = (k: number) => Math.floor((bytes * k) / threads / 4096) * 4096;
  const workers = Array.from({ length: threads }, (_, k) =>
    new Worker(copyWorker, { eval: true, workerData: { from, to, ctl, lo: share(k), hi: share(k + 1) } }));
  try {
    await Promise.all(workers.map((w) => new Promise((ok) => w.once('online', ok))));
    let best = Infinity;
    // run 0 touches the destination's pages
    for (let run = 0; run <= runs; run++) {
      Atomics.store(c, 1, 0);
      const t0 = process.hrtime.bigint();
      Atomics.store(c, 0, run + 1);
      Atomics.notify(c, 0);
      for (let done; (done = Atomics.load(c, 1)) < threads; ) Atomics.wait(c, 1, done, 100);
      if (run) best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    return (2 * bytes) / best / 1e9;
  } finally {
    Atomics.store(c, 0, -1);
    Atomics.notify(c, 0);
    await Promise.all(workers.map((w) => new Promise((ok) => w.once('exit', ok))));
  }
}

export interface FmaPeak {
  /** GFLOP/s of float32 FMA over all cores at once, or null where it could not be measured */
  gflops: number | null;
  isa: string;
  threads: number;
  /** how it was measured, or why it was not */
  how: string;
}

// The float32 FMA peak measured on every core at once by native/fma_peak.cpp
// (JavaScript has no vectors this wide), built with the machine's g++ into
// build/bench when missing or older than its source. Best of 5 runs, so on a
// busy machine it is what the cores gave then, as every figure of the run.
export function fmaPeak(threads = os.cpus().length): FmaPeak {
  const source = fileURLToPath(new URL('../native/fma_peak.cpp', import.meta.url));
  const binary = fileURLToPath(new URL('../../../build/bench/fma_peak', import.meta.url));
  try {
    if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
      mkdirSync(fileURLToPath(new URL('../../../build/bench/', import.meta.url)), { recursive: true });
      execFileSync('g++', ['-std=c++17', '-O2', '-march=native', '-o', binary, source, '-lpthread'], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    const line = execFileSync(binary, ['--threads', String(threads)], { encoding: 'utf8' });
    const m = /fma_peak ([\d.]+) isa (\w+) threads (\d+)/.exec(line);
    if (!m) throw new Error(`unexpected output: ${line.trim()}`);
    return { gflops: Number(m[1]) || null, isa: m[2], threads: Number(m[3]), how: `a loop of independent ${m[2]} FMAs on ${m[3]} threads, best of 5` };
  } catch (e) {
    return { gflops: null, isa: 'unknown', threads, how: `not measured: ${(e as Error).message.split('\n')[0]}` };
  }
}

export async function machine(): Promise<Machine> {
  const info = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(info);
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(info)?.[1] ?? 0);
  const flags = { avx2: has('avx2'), fma: has('fma'), avx512: has('avx512f') };
  // float32 lanes per vector x 2 (an FMA is two flops) x 2 FMA units x cores x clock
  const lanes = flags.avx512 ? 16 : flags.avx2 ? 8 : 4;
  const cores = os.cpus().length;
  const blas = /libopenblas[^\s]*/.exec(sh('sh', ['-c', 'ldconfig -p | grep -m1 openblas']))?.[0] ?? 'none found';
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores, memory_gib: Math.round(os.totalmem() / 2 ** 30), blas, node: process.version,
    git_commit: sh('git', ['rev-parse', 'HEAD']) || 'unknown', flags, mhz,
    peak_gflops_fp32: (lanes * 2 * (flags.fma ? 2 : 1) * cores * mhz) / 1e3,
    copy_gb_s: await copyBandwidth(),
  };
}
