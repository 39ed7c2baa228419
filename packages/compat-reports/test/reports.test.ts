// The matrix and the report come only from running code, and their schemas
// reject malformed documents.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import mlx from 'mlx-compat';
import { runHarness, type Report } from '../src/harness.js';
import { buildMatrix, toMarkdown } from '../src/matrix.js';
import { validate } from '../src/schemas.js';
import { ROOT } from '../src/symbols.js';

const core = mlx.core as unknown as Record<string, unknown>;
const report = await runHarness(['array_core', 'ops_numeric', 'random', 'device_eval_memory']);

const row = (r: Report, name: string) => buildMatrix(r).rows.find((x) => x.mlx_name === name)!;

// Each harness run blocks the worker for up to half a minute; the event loop
// turns after every test so that vitest's calls to its parent get their
// answers before its 60 s RPC timeout (tests back to back exceeded it).
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

describe('the parity report', () => {
  it('is valid, covers every family, and names real upstream tests', () => {
    expect(validate('parity-report', report)).toEqual([]);
    for (const c of report.cases) expect(c.upstream.length).toBeGreaterThan(0);
    expect(report.families.find((f) => f.family === 'ops_numeric')!.upstream_mirrored).toBeGreaterThan(50);
  });

  const broken: Array<[string, (r: Record<string, unknown>) => void]> = [
    ['missing digest', (r) => delete r.digest],
    ['unknown outcome', (r) => ((r.cases as Array<Record<string, unknown>>)[0].outcome = 'maybe')],
    ['refused without its refusal', (r) => {
      const c = (r.cases as Array<Record<string, unknown>>)[0];
      c.outcome = 'refused';
      delete c.refusal;
    }],
    ['negative count', (r) => ((r.families as Array<Record<string, unknown>>)[0].pass = -1)],
    ['extra field', (r) => (r.extra = true)],
    ['bad commit', (r) => (r.git_commit = 'HEAD')],
  ];
  for (const [what, mutate] of broken) {
    it(`the schema rejects a report with ${what}`, () => {
      const copy = JSON.parse(JSON.stringify(report));
      mutate(copy);
      expect(validate('parity-report', copy).length).toBeGreaterThan(0);
    });
  }
});

describe('the matrix', () => {
  const saved = { erf: core.erf, exp: core.exp };
  afterEach(() => {
    core.erf = saved.erf;
    core.exp = saved.exp;
  });

  it('is valid against its schema, and the committed copies match the code', async () => {
    const full = buildMatrix(await runHarness());
    expect(validate('compatibility-matrix', full)).toEqual([]);
    expect(readFileSync(join(ROOT, 'docs/MLX_COMPATIBILITY_MATRIX.md'), 'utf8')).toBe(toMarkdown(full));
    expect(JSON.parse(readFileSync(join(ROOT, 'docs/mlx-compatibility-matrix.json'), 'utf8'))).toEqual(full);
    expect(full.rows).toHaveLength(477);
  });

  it('drops a symbol whose facade export is deleted', async () => {
    expect(row(report, 'mlx.core.erf').status).toBe('supported');
    delete core.erf;
    // only the erf cases: a whole family takes a minute under load
    const r = await runHarness(['ops_numeric'], (id) => id.startsWith('ops_numeric.erf'));
    expect(row(r, 'mlx.core.erf').status).toBe('unsupported');
    expect(r.cases.find((c) => c.id === 'ops_numeric.erf')!.outcome).toBe('unsupported');
  });

  it('drops a symbol whose op is broken so its case fails', async () => {
    const realExp = saved.exp as (...a: unknown[]) => { add(x: number): unknown };
    core.exp = (...a: unknown[]) => realExp(...a).add(0.5);
    const r = await runHarness(['ops_numeric'], (id) => id.startsWith('ops_numeric.exp'));
    expect(r.cases.find((c) => c.id === 'ops_numeric.exp')!.outcome).toBe('fail');
    expect(row(r, 'mlx.core.exp').status).toBe('unsupported');
    expect(row(r, 'mlx.core.exp').note).toMatch(/^a parity case fails or errors(;|$)/); // then the symbol's standing notes
  });

  it('shows refusals with their code, and rewrites for convertible symbols', async () => {
    const refusing = await runHarness(['device_eval_memory']);
    expect(refusing.cases.find((c) => c.id === 'device_eval_memory.set_default_device_gpu')).toMatchObject({ outcome: 'refused', refusal: { code: 'unsupported_device' } });
    expect(row(refusing, 'mlx.core.metal.start_capture')).toMatchObject({ status: 'refused', refusal: { code: 'unsupported_device' } });
    // broadcast_arrays was convertible (a rewrite through broadcastTo) until mlx-compat exported it
    expect(row(report, 'mlx.core.broadcast_arrays').status).toBe('supported');
    const m = buildMatrix(report);
    for (const r of m.rows.filter((x) => x.status === 'convertible')) expect(r.rewrite, r.mlx_name).toBeTruthy();
  });

  it('rejects a supported row without a passing case', () => {
    const m = buildMatrix(report);
    const r = m.rows.find((x) => x.status === 'supported')!;
    r.cases = [];
    expect(validate('compatibility-matrix', m).length).toBeGreaterThan(0);
  });
});
