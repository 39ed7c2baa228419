#!/usr/bin/env node
// mlx-bench: measures mlx-compat against real MLX and other peers in one run.
//   mlx-bench list
//   mlx-bench run [--suite NAME...] [--peer NAME...] [--repeat N] [--warmup N] [--quick] [--json F] [--md F] [--svg F]
//   mlx-bench compare OLD.json NEW.json
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { allPeers, type Case } from './peers.js';
import { measure } from './measure.js';
import { machine } from './machine.js';
import { compare, markdown, svg, table, type Run } from './report.js';

// MLX_BENCH_SUITES points at another folder of suite specs (the tests use it).
const SUITES = process.env.MLX_BENCH_SUITES ?? join(dirname(fileURLToPath(import.meta.url)), '../suites');

interface Suite {
  suite: string;
  description: string;
  cases: Array<Omit<Case, 'suite' | 'shape'> & { shape: number[]; quick_shape: number[] }>;
}

function loadSuites(): Suite[] {
  const schema = join(dirname(fileURLToPath(import.meta.url)), '../suites/suite.schema.json');
  const validate = new Ajv2020({ allErrors: true }).compile(JSON.parse(readFileSync(schema, 'utf8')));
  return readdirSync(SUITES)
    .filter((f) => f.endsWith('.json') && f !== 'suite.schema.json')
    .sort()
    .map((f) => {
      let spec: unknown;
      try {
        spec = JSON.parse(readFileSync(join(SUITES, f), 'utf8'));
      } catch (e) {
        throw new Error(`suites/${f}: not JSON: ${(e as Error).message}`);
      }
      if (!validate(spec)) throw new Error(`suites/${f}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
      return spec as Suite;
    });
}


const program = new Command('mlx-bench').description('benchmarks mlx-compat against real MLX and other peers in one run');

program.command('list').description('list the suites and their cases').action(() => {
  for (const s of loadSuites()) {
    console.log(`${s.suite}: ${s.description}`);
    for (const c of s.cases) console.log(`  ${c.id}  ${c.workload}${c.dtype ? ` ${c.dtype}` : ''}${c.compiled ? ' compiled' : ''}  [${c.shape.join(', ')}]`);
  }
  for (const p of allPeers()) console.log(`peer ${p.name} ${p.version}${p.unavailable ? ` (skipped: ${p.unavailable})` : ''}`);
});

program
  .command('run')
  .description('measure the suites on every available peer')
  .option('--suite <name...>', 'only these suites')
  .option('--peer <name...>', 'only these peers (MLX is kept as the baseline)')
  .option('--repeat <n>', 'timed runs per peer and case', (v) => Number(v), 15)
  .option('--warmup <n>', 'untimed runs first', (v) => Number(v), 2)
  .option('--quick', 'tiny shapes (a smoke test of every suite)')
  .option('--json <file>', 'write the results as JSON')
  .option('--md <file>', 'write the results as Markdown')
  .option('--svg <file>', 'write a bar chart of the speed relative to MLX')
  .action(async (opts: { suite?: string[]; peer?: string[]; repeat: number; warmup: number; quick?: boolean; json?: string; md?: string; svg?: string }) => {
    const suites = loadSuites();
    for (const s of opts.suite ?? []) if (!suites.some((x) => x.suite === s)) throw new Error(`unknown suite ${s} (suites: ${suites.map((x) => x.suite).join(', ')})`);
    const peers = allPeers().filter((p) => !opts.peer || p.name === 'MLX' || opts.peer.includes(p.name));
    const cases: Case[] = suites
      .filter((s) => !opts.suite || opts.suite.includes(s.suite))
      .flatMap((s) => s.cases.map((c) => ({ ...c, suite: s.suite, shape: opts.quick ? c.quick_shape : c.shape })));
    const results = [];
    for (const [i, c] of cases.entries()) {
      const bar = '#'.repeat(Math.round((20 * i) / cases.length)).padEnd(20, '.');
      process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}[${bar}] ${i + 1}/${cases.length} ${c.suite}/${c.id}${process.stderr.isTTY ? '   ' : '\n'}`);
      results.push(await measure(c, peers, { repeat: opts.repeat, warmup: opts.warmup, budgetMs: opts.quick ? 200 : 4000 }));
    }
    if (process.stderr.isTTY) process.stderr.write('\n');
    const run: Run = {
      schema_version: 1,
      machine: await machine(),
      peers: peers.map((p) => ({ name: p.name, version: p.version, unavailable: p.unavailable })),
      options: { repeat: opts.repeat, warmup: opts.warmup, quick: !!opts.quick },
      cases: results,
    };
    console.log(table(run));
    if (opts.json) writeFileSync(opts.json, JSON.stringify(run, null, 2) + '\n');
    if (opts.md) writeFileSync(opts.md, markdown(run));
    if (opts.svg) {
      writeFileSync(opts.svg, svg(run));
      console.log(`chart: ${opts.svg}`);
    }
  });

program
  .command('compare')
  .description('what changed between two runs; exits 1 on a slowdown beyond the noise')
  .argument('<old>')
  .argument('<new>')
  .action((oldFile: string, newFile: string) => {
    const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Run;
    const { lines, regressions } = compare(read(oldFile), read(newFile));
    console.log(lines.join('\n'));
    console.log(`${regressions} regression(s)`);
    if (regressions) process.exitCode = 1;
  });

program.parseAsync().catch((e: Error) => {
  console.error(`mlx-bench: ${e.message}`);
  process.exitCode = 2;
});
