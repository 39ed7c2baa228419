// examples/llama_generate.mjs, a 4-bit Llama-style model generating with a
// key/value cache, checked as a user would check a port: the cached steps
// against the whole sequence recomputed without a cache (the same logits by
// the math of attention), and every step against real MLX v0.31.2 fed the
// same tokens. The example imports 'mlx-compat' as a user does (the built
// package, dist/), so the test makes its arrays and picks the backend there.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mlxCurrent } from './mlx-current.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const HAVE_DIST = existsSync(dist);
if (!HAVE_DIST) console.log('the Llama example skipped: mlx-compat is not built (npm run build:ts)');
const HAVE_MLX = mlxCurrent('the Llama example against MLX v0.31.2');
const { default: mlx } = HAVE_DIST ? await import('mlx-compat') : { default: null };
// @ts-expect-error the example is plain JavaScript, without declarations
const example = HAVE_DIST ? await import('../examples/llama_generate.mjs') : null;
type Run = { tokens: number[]; logits: number[][] };
const STEPS = 6;

// the largest difference over a step's logits, relative to their largest magnitude
function worst(a: number[][], b: number[][]): number {
  let w = 0;
  a.forEach((row, s) => {
    const scale = Math.max(...row.map(Math.abs));
    row.forEach((v, i) => (w = Math.max(w, Math.abs(v - b[s][i]) / scale)));
  });
  return w;
}

describe.skipIf(!HAVE_DIST)('the Llama example (4-bit weights, grouped key/value heads, a key/value cache)', () => {
  const mx = mlx!.core;
  const { config, generate, makeModel } = example;
  const prompt = Array.from({ length: 12 }, (_, i) => (i * 53 + 7) % config.vocab);
  const model = makeModel(3);
  const run: Run = generate(model, prompt, STEPS);

  it('decodes with its cache as the whole sequence recomputed without one', () => {
    const sequence = [...prompt, ...run.tokens.slice(0, STEPS - 1)];
    const [logits] = model.forward(mx.array([sequence], mx.int32));
    const all = logits.toTypedArray() as Float32Array;
    const V = config.vocab;
    // step s predicts from position prompt.length - 1 + s
    const full = run.logits.map((_, s) => Array.from(all.subarray((prompt.length - 1 + s) * V, (prompt.length + s) * V)));
    expect(worst(run.logits, full)).toBeLessThan(2e-5);
    run.logits.forEach((row, s) => expect(row.indexOf(Math.max(...row))).toBe(run.tokens[s]));
  });

  it.skipIf(!HAVE_MLX)('gives MLX v0.31.2\'s logits at every step, fed the same tokens', () => {
    mx.setBackend('mlx');
    let theirs: Run;
    try {
      theirs = generate(model, prompt, STEPS, run.tokens);
    } finally {
      mx.setBackend(undefined);
    }
    const diff = worst(run.logits, theirs!.logits);
    expect(diff).toBeLessThan(2e-5);
    // the two engines add in different orders: identical logits would mean one engine ran both
    expect(diff).toBeGreaterThan(0);
  });
});
