// Shared by the engine tests: run one op through the engine, the same op
// through real MLX (@frost-beta/mlx, MLX 0.13 CPU), and compare per dtype.
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { Session, type DType, type EvalRequest } from '../src/index.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const mx: any = require('@frost-beta/mlx').core;

export interface Arr {
  dtype: DType;
  shape: number[];
  data: number[];
}

export interface Result {
  dtype: string;
  shape: number[];
  values: number[];
}

let shared: Session | undefined;
export function session(): Session {
  shared ??= new Session();
  return shared;
}

// mulberry32: a small seeded generator so every random case can be replayed.
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Values a dtype can hold exactly, drawn from [lo, hi). */
export function randomArr(r: () => number, dtype: DType, shape: number[], lo = -4, hi = 4): Arr {
  const n = size(shape);
  const data = Array.from({ length: n }, () => {
    const v = lo + (hi - lo) * r();
    if (dtype === 'bool') return r() < 0.5 ? 0 : 1;
    if (dtype.startsWith('uint')) return Math.floor(Math.abs(v) * 8);
    if (dtype.startsWith('int')) return Math.floor(v * 8);
    // Quarter steps are exact in every float type, so inputs match bit for bit.
    return Math.round(v * 4) / 4 + 0; // + 0 turns -0 into 0: JSON cannot carry the sign of zero
  });
  return { dtype, shape, data };
}

function decode(v: unknown): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number(v);
}

export function inputSpec(id: string, a: Arr) {
  return { id, dtype: a.dtype, shape: a.shape, data: a.dtype === 'bool' ? a.data.map((v) => v !== 0) : a.data };
}

/** Runs one op on inline inputs; returns output `k` (for multi-output ops). */
export function run(op: string, inputs: Arr[], attrs: Record<string, unknown> = {}, k?: number): Result {
  const req: EvalRequest = {
    schema_version: 1,
    inputs: inputs.map((a, i) => inputSpec(`in${i}`, a)),
    nodes: [{ id: 'out', op, inputs: inputs.map((_, i) => `in${i}`), attrs }],
    outputs: [k === undefined ? 'out' : `out:${k}`],
  };
  const o = session().evalJson(req).outputs[0];
  return { dtype: o.dtype, shape: o.shape, values: (o.data ?? []).map(decode) };
}

export function toMx(a: Arr) {
  const flat = a.dtype === 'bool' ? a.data.map((v) => v !== 0) : a.data;
  const t = mx.array(flat.length ? flat : [], mx[a.dtype]);
  return a.shape.length === 1 ? t : mx.reshape(t, a.shape);
}

export function fromMx(t: { dtype: unknown; shape: number[]; tolist(): unknown }): Result {
  const list = t.tolist();
  const values = (Array.isArray(list) ? (list as unknown[]).flat(Infinity) : [list]).map(decode);
  return { dtype: String(t.dtype), shape: [...t.shape], values };
}

/** Real MLX's answer, or the message it raised. */
export function oracle(fn: (...xs: unknown[]) => unknown, inputs: Arr[]): Result | { raised: string } {
  try {
    return fromMx(fn(...inputs.map(toMx)) as Parameters<typeof fromMx>[0]);
  } catch (e) {
    return { raised: (e as Error).message };
  }
}

export const TOLERANCE: Record<string, { rtol: number; atol: number }> = {
  float64: { rtol: 1e-12, atol: 1e-12 },
  float32: { rtol: 2e-5, atol: 1e-6 },
  float16: { rtol: 2e-3, atol: 1e-3 },
  bfloat16: { rtol: 1.6e-2, atol: 1e-2 },
  complex64: { rtol: 2e-5, atol: 1e-6 },
};

/** Equal within the dtype's tolerance; NaN equals NaN, infinities must match. */
export function expectClose(ours: Result, theirs: Result, what: string, tol = TOLERANCE[ours.dtype]) {
  expect(ours.dtype, `${what}: dtype`).toBe(theirs.dtype);
  expect(ours.shape, `${what}: shape`).toEqual(theirs.shape);
  expect(ours.values.length, `${what}: size`).toBe(theirs.values.length);
  for (let i = 0; i < ours.values.length; i++) {
    const a = ours.values[i], b = theirs.values[i];
    if (Number.isNaN(b) || Number.isNaN(a)) {
      expect(Number.isNaN(a) && Number.isNaN(b), `${what}[${i}]: ${a} vs ${b}`).toBe(true);
    } else if (!Number.isFinite(b) || !Number.isFinite(a) || !tol) {
      expect(a, `${what}[${i}]`).toBe(b);
    } else {
      expect(Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b), `${what}[${i}]: ${a} vs ${b}`).toBe(true);
    }
  }
}
