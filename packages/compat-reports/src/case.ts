// A parity case: one call made through mlx-compat and through an oracle,
// compared value by value within the dtype's tolerance.
import { createRequire } from 'node:module';
import mlx from 'mlx-compat';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Lib = any;
let realMlx: Lib;
/** Real MLX (the whole library), or an error that says how to install it. */
export function loadRealLib(): Lib {
  try {
    return (realMlx ??= require('@frost-beta/mlx'));
  } catch {
    throw new Error('the parity harness and the matrix compare against real MLX: npm install --ignore-scripts @frost-beta/mlx@0.0.7 (its binary is in its tarball)');
  }
}
/** Real MLX's core. */
export const loadReal = (): Lib => loadRealLib().core;
/** Real MLX: @frost-beta/mlx 0.0.7, MLX 0.13 for Linux x86-64 (CPU), loaded at first use (an optional peer of the package). */
export const real: Lib = new Proxy({}, { get: (_target, key) => loadReal()[key] });
export const ours: Lib = mlx.core;
/** The whole libraries (core, nn, optimizers, utils), for the nn, optimizer and tree cases; real MLX's loaded at first use. */
export const realLib: Lib = new Proxy({}, { get: (_target, key) => loadRealLib()[key] });
export const oursLib: Lib = mlx;

export type Outcome = 'pass' | 'fail' | 'refused' | 'unsupported' | 'error';

export interface ParityCase {
  id: string;
  family: string;
  /** Upstream test references (see upstream.ts), resolved when the harness runs. */
  upstream: string[];
  /** Qualified MLX symbols the case exercises, e.g. "mlx.core.add". */
  symbols: string[];
  /** Where the expected value comes from. */
  oracle: 'mlx-0.13' | 'math';
  /** Returns [ours, expected]: arrays (either library), numbers, booleans or nested lists. */
  run: () => [unknown, unknown];
  rtol?: number;
  /** The call is expected to raise mlx-compat's typed refusal (an MxError naming the engine op it lacks). */
  refusal?: boolean;
}

export interface Flat {
  shape: number[];
  dtype: string;
  values: number[];
}

export function flatten(x: unknown): Flat {
  if (x && typeof x === 'object' && 'tolist' in x && 'shape' in x) {
    const a = x as { tolist(): unknown; shape: number[]; dtype: unknown };
    const list = a.tolist();
    return { shape: [...a.shape], dtype: String(a.dtype), values: (Array.isArray(list) ? (list as unknown[]).flat(Infinity) : [list]).map(Number) };
  }
  if (Array.isArray(x)) {
    const parts = x.map(flatten);
    return { shape: [x.length, ...(parts[0]?.shape ?? [])], dtype: parts[0]?.dtype ?? 'list', values: parts.flatMap((p) => p.values) };
  }
  return { shape: [], dtype: typeof x, values: [Number(x)] };
}

const DTYPE_TOL: Record<string, number> = { float32: 1e-5, float16: 2e-3, bfloat16: 1.6e-2, float64: 1e-12, complex64: 1e-5 };

/** The largest difference, or Infinity when shapes or dtypes differ. */
export function difference(a: Flat, b: Flat, rtol?: number): { ok: boolean; maxDiff: number; detail?: string } {
  if (a.shape.join() !== b.shape.join()) return { ok: false, maxDiff: Infinity, detail: `shape (${a.shape}) vs (${b.shape})` };
  if (a.dtype !== b.dtype && !['number', 'boolean', 'list'].includes(b.dtype)) return { ok: false, maxDiff: Infinity, detail: `dtype ${a.dtype} vs ${b.dtype}` };
  const tol = rtol ?? DTYPE_TOL[a.dtype] ?? 0;
  let maxDiff = 0, ok = true;
  a.values.forEach((v, i) => {
    const w = b.values[i];
    if (Number.isNaN(v) || Number.isNaN(w)) {
      if (!(Number.isNaN(v) && Number.isNaN(w))) ok = false;
      return;
    }
    if (v === w) return;
    const d = Math.abs(v - w);
    maxDiff = Math.max(maxDiff, d);
    if (!(d <= tol * (1 + Math.abs(w)))) ok = false;
  });
  return { ok, maxDiff };
}
