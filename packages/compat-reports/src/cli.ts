#!/usr/bin/env node
// compat-reports: the parity harness and the compatibility matrix.
//   compat-reports parity [--only FAMILY...] [--report FILE] [--update-baseline]
//   compat-reports matrix [--json] [--module NAME] [--write] [--check]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { formatTable, runHarness, type Report } from './harness.js';
import { buildMatrix, toMarkdown } from './matrix.js';
import { ROOT } from './symbols.js';
import { validate } from './schemas.js';

const BASELINE = join(ROOT, 'fixtures/parity-baseline.json');
const MATRIX_MD = join(ROOT, 'docs/MLX_COMPATIBILITY_MATRIX.md');
const MATRIX_JSON = join(ROOT, 'docs/mlx-compatibility-matrix.json');

// Families whose pass count fell below the committed baseline.
function regressions(report: Report): string[] {
  if (!existsSync(BASELINE)) return [];
  const base = JSON.parse(readFileSync(BASELINE, 'utf8')) as Record<string, number>;
  return report.families.filter((f) => f.pass < (base[f.family] ?? 0)).map((f) => `${f.family}: ${f.pass} pass, baseline ${base[f.family]}`);
}

const program = new Command('compat-reports').description('MLX compatibility matrix and parity harness for mlx-compat');

program
  .command('parity')
  .description('run the parity harness, print a table per family, write the JSON report')
  .option('--only <family...>', 'run only these families')
  .option('--report <file>', 'write the JSON report here')
  .option('--update-baseline', 'record the pass counts as the new baseline')
  .action(async (opts: { only?: string[]; report?: string; updateBaseline?: boolean }) => {
    const report = await runHarness(opts.only);
    console.log(formatTable(report));
    const problems = validate('parity-report', report);
    if (problems.length) {
      console.error(`the report breaks its schema:\n  ${problems.join('\n  ')}`);
      process.exitCode = 2;
    }
    if (opts.report) {
      mkdirSync(dirname(opts.report), { recursive: true });
      writeFileSync(opts.report, JSON.stringify(report, null, 2) + '\n');
      console.log(`report: ${opts.report} (digest ${report.digest.slice(0, 16)})`);
    }
    for (const c of report.cases.filter((x) => x.outcome === 'fail' || x.outcome === 'error')) console.error(`${c.outcome}: ${c.id}: ${c.message ?? ''}`);
    if ('reason' in report.oracle_mlx && report.oracle_mlx.reason) console.log(`MLX v0.31.2 oracle skipped: ${report.oracle_mlx.reason}`);
    else {
      const against = report.cases.filter((c) => c.mlx_current);
      const count = (o: string) => against.filter((c) => c.mlx_current!.outcome === o).length;
      console.log(`against MLX ${report.oracle_mlx.version} (the mlx backend): ${against.length} cases, ${count('pass')} pass, ${count('fail')} fail, ${count('refused')} refused, ${count('error')} error`);
      for (const c of against.filter((x) => x.mlx_current!.outcome !== 'pass')) console.log(`  ${c.mlx_current!.outcome} against MLX ${c.mlx_current!.version}: ${c.id}: ${c.mlx_current!.message ?? ''}`);
    }
    const regressed = regressions(report);
    for (const r of regressed) console.error(`regression: ${r}`);
    if (opts.updateBaseline) writeFileSync(BASELINE, JSON.stringify(Object.fromEntries(report.families.map((f) => [f.family, f.pass])), null, 2) + '\n');
    if (report.cases.some((c) => c.outcome === 'fail' || c.outcome === 'error') || regressed.length) process.exitCode = 1;
  });

program
  .command('matrix')
  .description('print the compatibility matrix (Markdown, or JSON with --json)')
  .option('--json', 'print JSON')
  .option('--module <name>', 'only this module, e.g. mlx.core.random')
  .option('--write', `write ${MATRIX_MD} and ${MATRIX_JSON}`)
  .option('--check', 'exit 1 when the committed matrix differs from a fresh one')
  .action(async (opts: { json?: boolean; module?: string; write?: boolean; check?: boolean }) => {
    const matrix = buildMatrix(await runHarness());
    const problems = validate('compatibility-matrix', matrix);
    if (problems.length) {
      console.error(`the matrix breaks its schema:\n  ${problems.join('\n  ')}`);
      process.exitCode = 2;
      return;
    }
    const md = toMarkdown(matrix), json = JSON.stringify(matrix, null, 2) + '\n';
    if (opts.write) {
      writeFileSync(MATRIX_MD, md);
      writeFileSync(MATRIX_JSON, json);
      console.log(`wrote ${MATRIX_MD} and ${MATRIX_JSON}`);
      return;
    }
    if (opts.check) {
      const stale = [[MATRIX_MD, md], [MATRIX_JSON, json]].filter(([f, text]) => !existsSync(f) || readFileSync(f, 'utf8') !== text).map(([f]) => f);
      if (stale.length) {
        console.error(`the committed matrix is stale: ${stale.join(', ')} (run compat-reports matrix --write)`);
        process.exitCode = 1;
      } else console.log('the committed matrix matches the code');
      return;
    }
    if (opts.module && !matrix.summary.some((s) => s.module === opts.module)) {
      console.error(`unknown module ${opts.module}`);
      process.exitCode = 2;
      return;
    }
    if (opts.json) {
      const rows = opts.module ? matrix.rows.filter((r) => r.module === opts.module) : matrix.rows;
      console.log(JSON.stringify({ ...matrix, rows }, null, 2));
    } else console.log(toMarkdown(matrix, opts.module));
  });

program.parseAsync().catch((e: Error) => {
  console.error(`compat-reports: ${e.message}`);
  process.exitCode = 2;
});
