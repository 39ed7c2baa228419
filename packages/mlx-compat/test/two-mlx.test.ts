// MLX v0.31.2 (libmlxc, the engine's mlx backend) and MLX 0.13 (node-mlx)
// in one process, loaded in either order. Their function-local statics and
// inline constants are unique symbols: loaded side by side in one link
// namespace, 0.31.2 used 0.13's default key sequence and complex64 constant
// (another version's layout), which corrupted the heap now and then, and the
// other load order crashed at once. Each order runs in a process of its own,
// so that nothing this worker loaded earlier decides it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { mlxCurrent } from './mlx-current.js';

const HAVE_MLX = mlxCurrent('two MLX versions in one process');
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// The child: both MLX versions, an FFT and random draws from each, both key
// sequences used (MLX's default one through random_normal without a key).
const child = (order: 'current first' | 'node-mlx first') => `
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(dist)});
const { default: mlx } = await import(${JSON.stringify(dist)});
const { Session } = await import('mlx-capi-bridge');
const mx = mlx.core;
let old;
${order === 'node-mlx first' ? "old = require('@frost-beta/mlx').core;" : ''}
mx.setBackend('mlx');
const spectrum = mx.fft.fft(mx.array([1, 2, 3, 4])).tolist().map((z) => [z.re, z.im]);
mx.setBackend(undefined);
old ??= require('@frost-beta/mlx').core;
const s = new Session({ backend: 'mlx', validate: false });
const draws = [];
for (let i = 0; i < 200; i++) {
  old.random.normal([64]).tolist();
  const r = s.evalJson({ schema_version: 1, nodes: [{ id: 'y', op: 'random_normal', attrs: { shape: [64], dtype: 'float32', loc: 0, scale: 1, has_key: false } }], outputs: ['y'] });
  draws.push(...r.outputs[0].data);
}
console.log(JSON.stringify({ spectrum, n: draws.length, finite: draws.every(Number.isFinite), old: old.add(old.array([1, 2]), 1).tolist() }));
`;

describe.skipIf(!HAVE_MLX || !existsSync(dist))('MLX v0.31.2 and MLX 0.13 in one process', () => {
  for (const order of ['current first', 'node-mlx first'] as const)
    it(`load and run in either order: ${order}`, async () => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', child(order)], {
        cwd: resolve(import.meta.dirname, '..'),
        env: { ...process.env },
        encoding: 'utf8',
      });
      const got = JSON.parse(stdout.trim().split('\n').pop()!);
      // the DFT of [1, 2, 3, 4]: 10, -2+2i, -2, -2-2i
      const want = [[10, 0], [-2, 2], [-2, 0], [-2, -2]];
      got.spectrum.forEach((z: number[], k: number) => z.forEach((v, j) => expect(Math.abs(v - want[k][j])).toBeLessThan(1e-5)));
      expect(got.n).toBe(200 * 64);
      expect(got.finite).toBe(true);
      expect(got.old).toEqual([2, 3]);
    }, 120_000);
});
