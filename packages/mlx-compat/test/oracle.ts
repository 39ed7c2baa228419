// Real MLX (@frost-beta/mlx, MLX 0.13 CPU) beside the facade, and a comparison
// of any two arrays of either library within the dtype's tolerance.
import { expect } from 'vitest';
import { mx as real, rng } from '../../mlx-capi-bridge/test/helpers.js';

export { real, rng };

export interface Flat {
  dtype: string;
  shape: number[];
  values: number[];
}

export function flat(a: { dtype: unknown; shape: readonly number[]; tolist(): unknown }): Flat {
  const list = a.tolist();
  const values = (Array.isArray(list) ? (list as unknown[]).flat(Infinity) : [list]).map((v) => (typeof v === 'boolean' ? Number(v) : Number(v)));
  return { dtype: String(a.dtype), shape: [...a.shape], values };
}

const TOL: Record<string, number> = { float32: 1e-4, float16: 1e-2, bfloat16: 5e-2, float64: 1e-10 };

/** Compares within the dtype's tolerance, or that of `precision` (the dtype a value was computed in). */
export function expectSame(ours: Flat, theirs: Flat, what: string, precision = ours.dtype): void {
  expect(`${what}: ${ours.dtype}[${ours.shape}]`).toBe(`${what}: ${theirs.dtype}[${theirs.shape}]`);
  const tol = Math.max(TOL[ours.dtype] ?? 0, TOL[precision] ?? 0);
  ours.values.forEach((a, i) => {
    const b = theirs.values[i];
    if (Number.isNaN(a) || Number.isNaN(b)) expect(Number.isNaN(a) && Number.isNaN(b), `${what}[${i}] ${a} vs ${b}`).toBe(true);
    else if (!Number.isFinite(a) || !Number.isFinite(b) || tol === 0) expect(a, `${what}[${i}]`).toBe(b);
    else expect(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what}[${i}] ${a} vs ${b}`).toBe(true);
  });
}
