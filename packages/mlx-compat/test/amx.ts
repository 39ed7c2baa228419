// The engine's AMX kernels (quantized products, prefill attention) run where
// the CPU has AMX; MLXCOMPAT_AMX=0 turns them off, read at every call, so a
// test can run each case both ways.
import { readFileSync } from 'node:fs';

export function amxSwitch<T>(on: boolean, f: () => T): T {
  const before = process.env.MLXCOMPAT_AMX;
  process.env.MLXCOMPAT_AMX = on ? '1' : '0';
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.MLXCOMPAT_AMX;
    else process.env.MLXCOMPAT_AMX = before;
  }
}

export const cpuHasAmx = (() => {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /\bamx_bf16\b/.test(info) && /\bamx_tile\b/.test(info);
  } catch {
    return false;
  }
})();
