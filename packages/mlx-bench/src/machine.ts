// What the run ran on, and that machine's ceilings: peak float32 FLOP/s of its
// vector units and cores, and memory bandwidth measured by a copy.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

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

// A 256 MiB copy, best of five: read and write bytes per second.
function copyBandwidth(): number {
  const n = 64 << 20;
  const a = new Float32Array(n).fill(1), b = new Float32Array(n);
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    b.set(a);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return (2 * n * 4) / best / 1e9;
}

export function machine(): Machine {
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
    copy_gb_s: copyBandwidth(),
  };
}
