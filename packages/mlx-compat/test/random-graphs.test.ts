// Random op graphs over random shapes, dtypes, broadcasts and axes, built
// the same way through mlx-compat and through real MLX, must agree.
import { describe, expect, it } from 'vitest';
import mlx, { type MxArray } from '../src/index.js';
import { expectSame, flat, real, rng } from './oracle.js';

const mx = mlx.core as unknown as Record<string, (...args: unknown[]) => unknown> & typeof mlx.core;
const SEED = Number(process.env.MLXCOMPAT_SEED ?? 20261122);
const CASES = Number(process.env.MLXCOMPAT_CASES ?? 300);
console.log(`random graph tests: seed ${SEED}, ${CASES} graphs (MLXCOMPAT_SEED, MLXCOMPAT_CASES replay them)`);

type Lib = { lib: Record<string, (...a: unknown[]) => unknown>; ours: boolean };
type Arr = { shape: number[]; dtype: unknown };

// Each step draws its choices once and applies them to either library.
type Step = (l: Lib, pool: Arr[]) => Arr;

const UNARY = ['exp', 'sin', 'cos', 'tanh', 'abs', 'negative', 'square', 'sigmoid', 'floor', 'ceil', 'log1p', 'arctan'];
const BINARY = ['add', 'subtract', 'multiply', 'divide', 'maximum', 'minimum', 'logaddexp'];
const COMPARE = ['greater', 'less_equal', 'equal'];
const REDUCE = ['sum', 'mean', 'max', 'min', 'logsumexp', 'prod'];
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function program(r: () => number): { inputs: Array<{ data: number[]; shape: number[]; dtype: string }>; steps: Step[] } {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const nd = 1 + Math.floor(r() * 3);
  const base = Array.from({ length: nd }, () => 1 + Math.floor(r() * 4));
  // inputs broadcast against the base shape: some dims set to 1, some leading dims dropped
  const inputs = Array.from({ length: 2 + Math.floor(r() * 2) }, () => {
    const drop = Math.floor(r() * nd);
    const shape = base.slice(drop).map((d) => (r() < 0.25 ? 1 : d));
    const dtype = pick(['float32', 'float32', 'float32', 'int32', 'float16']);
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Array.from({ length: n }, () => (dtype === 'int32' ? Math.floor(r() * 9) - 4 : Math.round((r() * 4 - 2) * 8) / 8));
    return { data, shape, dtype };
  });
  const steps: Step[] = [];
  for (let k = 0; k < 2 + Math.floor(r() * 5); k++) {
    const kind = r();
    const i = r(), j = r(), axisDraw = r(), keep = r() < 0.5, op = r();
    const choose = (pool: Arr[], u: number) => pool[Math.floor(u * pool.length)];
    if (kind < 0.3) {
      const name = camel(UNARY[Math.floor(op * UNARY.length)]);
      steps.push((l, pool) => l.lib[name](choose(pool, i)) as Arr);
    } else if (kind < 0.6) {
      const name = camel(BINARY[Math.floor(op * BINARY.length)]);
      steps.push((l, pool) => l.lib[name](choose(pool, i), choose(pool, j)) as Arr);
    } else if (kind < 0.7) {
      const name = camel(COMPARE[Math.floor(op * COMPARE.length)]);
      steps.push((l, pool) => {
        const a = choose(pool, i), b = choose(pool, j);
        return l.lib.where(l.lib[name](a, b), a, b) as Arr;
      });
    } else if (kind < 0.85) {
      const name = REDUCE[Math.floor(op * REDUCE.length)];
      steps.push((l, pool) => {
        const a = choose(pool, i);
        if (!a.shape.length) return a;
        const axis = Math.floor(axisDraw * a.shape.length) - (axisDraw < 0.3 ? a.shape.length : 0);
        // MLX 0.13 reduces integer max/min wrongly over inner axes; go through float32 for both
        const src = (name === 'max' || name === 'min') && String(a.dtype) === 'int32' ? (l.lib.astype(a, l.lib.float32) as Arr) : a;
        return l.lib[name](src, [axis], keep) as Arr;
      });
    } else if (kind < 0.92) {
      steps.push((l, pool) => {
        const a = choose(pool, i);
        if (a.shape.length > 1) return l.lib.transpose(a) as Arr;
        // MLX 0.13's softmax segfaults on some non-float32 and 0-d inputs: float32, rank >= 1 only
        const f = l.lib.astype(a.shape.length ? a : l.lib.expandDims(a, [0]), l.lib.float32);
        return l.lib.softmax(f, [-1]) as Arr;
      });
    } else {
      steps.push((l, pool) => {
        const a = choose(pool, i);
        return l.lib.expandDims(a, [0]) as Arr;
      });
    }
  }
  return { inputs, steps };
}

function run(l: Lib, p: ReturnType<typeof program>): Arr[] {
  const pool: Arr[] = p.inputs.map((x) => l.lib.reshape(l.lib.array(x.data, l.lib[x.dtype]), x.shape) as Arr);
  for (const step of p.steps) pool.push(step(l, pool));
  return pool.slice(p.inputs.length);
}

// A value computed from float16 intermediates is only as close to MLX's as
// float16 allows, whatever its own dtype: MLX rounds at each half op where
// the engine may round once (a float16 logsumexp can differ by an ulp, and
// a float32 division by it carries that on).
function computedInHalf(a: MxArray): boolean {
  const seen = new Set<unknown>(), work = [a._v];
  while (work.length) {
    const v = work.pop()!;
    if (v.dtype.name === 'float16' || v.dtype.name === 'bfloat16') return true;
    if (!v.node || seen.has(v.node)) continue;
    seen.add(v.node);
    work.push(...v.node.inputs);
  }
  return false;
}

// The oracle has no top-level astype; give both libraries the same spelling.
const realLib = { ...real, astype: (x: { astype(d: unknown): unknown }, d: unknown) => x.astype(d) };

describe('random graphs against real MLX', () => {
  it(`${CASES} graphs agree`, () => {
    const r = rng(SEED);
    let compared = 0, skipped = 0;
    for (let c = 0; c < CASES; c++) {
      const p = program(r);
      let theirs: Arr[];
      try {
        theirs = run({ lib: realLib, ours: false }, p);
        theirs.forEach((t) => (t as unknown as { tolist(): unknown }).tolist());
      } catch {
        // a graph MLX rejects (a broadcast that does not fit): ours must reject it too
        expect(() => run({ lib: mx as never, ours: true }, p).forEach((o) => (o as unknown as { tolist(): unknown }).tolist())).toThrow();
        skipped++;
        continue;
      }
      const ours = run({ lib: mx as never, ours: true }, p);
      // read before evaluation, while every array still points at its graph
      const precisions = ours.map((o) => (computedInHalf(o as never) ? 'float16' : String(o.dtype)));
      ours.forEach((o, k) => expectSame(flat(o as never), flat(theirs[k] as never), `graph ${c} (seed ${SEED}) step ${k}`, precisions[k]));
      compared++;
    }
    console.log(`compared ${compared} graphs; ${skipped} rejected by both`);
  });
});
