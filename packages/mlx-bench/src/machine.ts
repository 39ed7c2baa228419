// What the run ran on, and that machine's ceilings: peak float32 FLOP/s of its
// vector units and cores (nominal, and measured by a loop of FMAs), and memory
// bandwidth measured by a copy on every core (measuredLimits).
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
  /** the measured limits (measuredLimits): the FMA peak, null where it could not be measured */
  fma_gflops: number | null;
  copy_gb_s: number;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

// The machine's memory bandwidth where the native program cannot run: a 256
// MiB copy (beyond the last-level cache) split across one worker thread per
// core, each copying its share with TypedArray.set, best of 16: read plus
// write bytes per second. On shared memory V8 copies word by word: about 60%
// of memcpy's rate on this project's machine.
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

export interface Limits {
  /** GFLOP/s of float32 FMA over all threads at once, or null where the native program could not run */
  fma_gflops: number | null;
  /** the vector width it ran in */
  isa: string;
  /** GB/s (read + written) of a 256 MiB copy split over the threads */
  copy_gb_s: number;
  /** GB/s of a sum over 256 MiB, the faster of one stream and 16 interleaved streams a thread (what reading alone reaches), null where not measured */
  read_gb_s: number | null;
  threads: number;
  /** how they were measured, or why the native program did not run */
  how: string;
}

// The machine's limits measured on every core at once by
// native/machine_limits.cpp (JavaScript has no vectors this wide, and its
// copies of shared memory run at about 60% of memcpy's rate), built with the
// machine's g++ into build/bench when missing or older than its source.
// Without it, the copy is measured by worker threads (an undercount) and the
// FMA peak is left out.
export async function measuredLimits(threads = os.cpus().length): Promise<Limits> {
  const source = fileURLToPath(new URL('../native/machine_limits.cpp', import.meta.url));
  const binary = fileURLToPath(new URL('../../../build/bench/machine_limits', import.meta.url));
  try {
    if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
      mkdirSync(fileURLToPath(new URL('../../../build/bench/', import.meta.url)), { recursive: true });
      execFileSync('g++', ['-std=c++17', '-O2', '-march=native', '-o', binary, source, '-lpthread'], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    const out = execFileSync(binary, ['--threads', String(threads)], { encoding: 'utf8' });
    const fma = /fma_peak ([\d.]+) isa (\w+)/.exec(out), copy = /copy_bandwidth ([\d.]+)/.exec(out), read = /read_bandwidth ([\d.]+) one_stream ([\d.]+)/.exec(out);
    if (!fma || !copy || !read) throw new Error(`unexpected output: ${out.trim()}`);
    return {
      fma_gflops: Number(fma[1]), isa: fma[2], copy_gb_s: Number(copy[1]), read_gb_s: Math.max(Number(read[1]), Number(read[2])), threads,
      how: `native/machine_limits.cpp on ${threads} threads: independent ${fma[2]} FMAs, best of 5; a 256 MiB copy split over the threads, the better of memcpy and a streamed copy, best of 16 each; a sum over 256 MiB read as one stream and as 16 streams a thread, best of 16 each, the faster`,
    };
  } catch (e) {
    return {
      fma_gflops: null, isa: 'unknown', copy_gb_s: await copyBandwidth(threads), read_gb_s: null, threads,
      how: `native/machine_limits.cpp did not run (${(e as Error).message.split('\n')[0]}): the copy by worker threads, an undercount; no FMA peak`,
    };
  }
}

// The float32 peak of the vector units and cores at the clock /proc/cpuinfo
// lists, and the flags and clock it is read from.
export function nominalPeak(): { flags: Machine['flags']; mhz: number; gflops: number } {
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
  return { flags, mhz, gflops: (lanes * 2 * (flags.fma ? 2 : 1) * os.cpus().length * mhz) / 1e3 };
}

export async function machine(): Promise<Machine> {
  const { flags, mhz, gflops } = nominalPeak();
  const cores = os.cpus().length;
  const limits = await measuredLimits(cores);
  const blas = /libopenblas[^\s]*/.exec(sh('sh', ['-c', 'ldconfig -p | grep -m1 openblas']))?.[0] ?? 'none found';
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores, memory_gib: Math.round(os.totalmem() / 2 ** 30), blas, node: process.version,
    git_commit: sh('git', ['rev-parse', 'HEAD']) || 'unknown', flags, mhz,
    peak_gflops_fp32: gflops,
    fma_gflops: limits.fma_gflops,
    copy_gb_s: limits.copy_gb_s,
  };
}
