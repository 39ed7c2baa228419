// mlx-bench runs every suite on a tiny configuration, so the CLI cannot rot.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'mlx-bench-'));
// Asynchronous: a benchmark run takes a minute on a loaded machine, and a
// worker blocked that long loses its connection to vitest.
const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile('node', ['--expose-gc', cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 }, (err, stdout, stderr) =>
      resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });

describe('mlx-bench', () => {
  it('runs every suite on every available peer and writes JSON, Markdown and SVG', async () => {
    const json = join(dir, 'run.json');
    const r = await node(['run', '--quick', '--repeat', '2', '--warmup', '1', '--json', json, '--md', join(dir, 'run.md'), '--svg', join(dir, 'run.svg')]);
    expect(r.status, r.stderr).toBe(0);
    const run = JSON.parse(readFileSync(json, 'utf8'));
    const suites = new Set(run.cases.map((c: { suite: string }) => c.suite));
    expect([...suites].sort()).toEqual(['elementwise', 'indexing', 'matmul', 'overhead', 'reductions', 'rows', 'spectral', 'training']);
    for (const c of run.cases) {
      const ours = c.peers.find((p: { peer: string }) => p.peer === 'mlx-compat');
      expect(ours.status, `${c.suite}/${c.id}: ${ours.reason ?? ''}`).toBe('ok');
      expect(ours.stats.median_ms).toBeGreaterThan(0);
      // a peer that cannot run a case says why
      for (const p of c.peers) if (p.status !== 'ok') expect(p.reason).toBeTruthy();
    }
    expect(r.stdout).toMatch(/geometric mean of the speed relative to MLX/);
    expect(readFileSync(join(dir, 'run.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readFileSync(join(dir, 'run.md'), 'utf8')).toMatch(/\| case \| unit \|/);
    // compare a run with itself: nothing regressed
    const cmp = await node(['compare', json, json]);
    expect(cmp.status).toBe(0);
    expect(cmp.stdout).toMatch(/0 regression\(s\)/);
    // and with a run where mlx-compat got three times slower
    const slow = JSON.parse(readFileSync(json, 'utf8'));
    for (const c of slow.cases) for (const p of c.peers) if (p.peer === 'mlx-compat' && p.stats) for (const k of ['median_ms', 'p10_ms', 'p90_ms']) p.stats[k] *= 3;
    writeFileSync(join(dir, 'slow.json'), JSON.stringify(slow));
    const worse = await node(['compare', json, join(dir, 'slow.json')]);
    expect(worse.status).toBe(1);
    expect(worse.stdout).toMatch(/REGRESSION/);
  });

  it('lists suites and peers, and rejects malformed suite specs with a clear error', async () => {
    expect(execFileSync('node', [cli, 'list'], { encoding: 'utf8' })).toMatch(/matmul: matrix products/);
    const bad = mkdtempSync(join(tmpdir(), 'suites-'));
    writeFileSync(join(bad, 'broken.json'), JSON.stringify({ suite: 'x', description: 'd', cases: [{ id: 'a', workload: 'teleport', shape: [1], quick_shape: [1] }] }));
    const r = await node(['list'], { MLX_BENCH_SUITES: bad });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/suites\/broken.json: \/cases\/0\/workload must be equal to one of the allowed values/);
  });
});
