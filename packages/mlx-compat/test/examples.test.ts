// The nn examples (each beside its MLX Python original) run and reach their
// stated results: the MLP classifier separates the spirals, the character
// transformer's loss falls well below its starting value (ln 35 = 3.56);
// the README shows the MLP example verbatim. (Generous timeouts: the machine
// the tests share may be loaded; the examples take seconds when it is not.)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const examples = join(root, 'packages/mlx-compat/examples');
// run asynchronously: a synchronous spawn of a minute on a loaded machine would block the vitest worker
const run = async (file: string) => (await promisify(execFile)('node', [join(examples, file)], { encoding: 'utf8', cwd: root })).stdout;

describe('nn examples', () => {
  it('the MLP classifier reaches 95% accuracy on three spirals, and the README shows it', async () => {
    const out = await run('mlp_classifier.mjs');
    const [, loss, accuracy] = out.match(/loss ([\d.]+) accuracy ([\d.]+)/)!;
    expect(Number(accuracy)).toBeGreaterThanOrEqual(0.95);
    expect(Number(loss)).toBeLessThan(0.1);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    // a javascript fence: the README's ts/js blocks are type-checked with --strict by types.test.ts, this plain-JS example is not
    const start = readme.indexOf('```javascript', readme.indexOf('## mlx.nn, mlx.optimizers and mlx.utils'));
    expect(readme.slice(readme.indexOf('\n', start) + 1, readme.indexOf('```', start + 3))).toBe(readFileSync(join(examples, 'mlp_classifier.mjs'), 'utf8'));
  }, 300_000);

  it('the CNN classifies its strokes and its loss falls', async () => {
    const out = await run('cnn_classifier.mjs');
    const [, first, last, accuracy] = out.match(/first loss ([\d.]+) last loss ([\d.]+) test accuracy ([\d.]+)/)!;
    // four classes: a first loss near ln 4 = 1.386
    expect(Math.abs(Number(first) - Math.log(4))).toBeLessThan(0.2);
    expect(Number(last)).toBeLessThan(0.1);
    expect(Number(accuracy)).toBeGreaterThanOrEqual(0.95);
  }, 300_000);

  it('the character-level transformer brings its loss below 2.0', async () => {
    const out = await run('char_transformer.mjs');
    const [, vocab, loss] = out.match(/vocabulary (\d+), mean loss over the last 20 steps ([\d.]+)/)!;
    expect(Number(vocab)).toBe(35);
    expect(Number(loss)).toBeLessThan(2.0);
  }, 300_000);
});
