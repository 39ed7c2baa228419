// The facade's soak loop (scripts/soak-facade.mjs) in a process of its own,
// shortened to 10,000 steps; scripts/soak.sh runs the full 100,000. It runs
// asynchronously: a long synchronous child would block the vitest worker.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../../scripts/soak-facade.mjs', import.meta.url));

describe('soak', () => {
  it('holds 10,000 training steps within its memory bound and converges to the generating weights', async () => {
    const { stdout: out } = await promisify(execFile)(process.execPath, ['--expose-gc', script, '10000', '128'], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.ok, out).toBe(true);
    expect(r.mistakes).toBe(100);
    // y = 2 sin(i) - cos(i) + 0.5 exactly, so least squares recovers the coefficients
    r.weights.forEach((v: number, i: number) => expect(Math.abs(v - [2, -1, 0.5][i])).toBeLessThan(1e-3));
  }, 300_000);
});
