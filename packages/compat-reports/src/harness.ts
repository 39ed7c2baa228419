// The parity harness: runs every case, records its outcome, summarizes each
// family with the upstream tests it mirrors, and builds the JSON report.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MlxRefusedError, backendInfo, version as engineVersion } from 'mlx-capi-bridge';
import { MxError } from 'mlx-compat';
import { difference, flatten, loadReal, ours as mx, type Outcome, type ParityCase } from './case.js';
import { FAMILY_FILES, familyTests, upstream } from './upstream.js';
import { resolve, ROOT } from './symbols.js';
import * as arrayCore from './cases/array_core.js';
import * as opsNumeric from './cases/ops_numeric.js';
import * as random from './cases/random.js';
import * as deviceEvalMemory from './cases/device_eval_memory.js';
import * as autograd from './cases/autograd.js';
import * as customVjp from './cases/custom_vjp.js';
import * as vmapCases from './cases/vmap.js';
import * as compileCases from './cases/compile.js';
import * as nnCases from './cases/nn.js';
import * as lossCases from './cases/losses.js';
import * as initCases from './cases/init.js';
import * as optimizerCases from './cases/optimizers.js';
import * as treeCases from './cases/tree.js';
import * as ioCases from './cases/io.js';
import * as fastCases from './cases/fast.js';
import * as quantizedCases from './cases/quantized.js';
import * as spectralCases from './cases/spectral.js';
import * as coreSymbolCases from './cases/core_symbols.js';
import * as convCases from './cases/conv.js';
import * as exportImportCases from './cases/export_import.js';

export const FAMILIES = Object.keys(FAMILY_FILES);

// MLX v0.31.2, the first oracle: every case runs a second time with the
// facade on the engine's mlx backend, so each op is MLX's own function of
// that name (through mlx-c), and its answer must match the native one. The
// runtime is MLXCOMPAT_MLXC_LIBRARY's libmlxc, else the shared one beside
// the checkout; without it this oracle is skipped, with the reason.
const SHARED_RUNTIME = join(ROOT, '../shared/mlx-runtime/lib/libmlxc.so');
if (!process.env.MLXCOMPAT_MLXC_LIBRARY && existsSync(SHARED_RUNTIME)) process.env.MLXCOMPAT_MLXC_LIBRARY = SHARED_RUNTIME;

/** MLX's version through the mlx backend, or why it is unavailable. */
export function mlxOracle(): { version: string } | { reason: string } {
  const info = backendInfo('mlx');
  return info.available ? { version: info.version! } : { reason: info.reason ?? 'unavailable' };
}

export function allCases(): ParityCase[] {
  return [...arrayCore.cases(), ...opsNumeric.cases(), ...deviceEvalMemory.cases(), ...autograd.cases(), ...customVjp.cases(), ...vmapCases.cases(), ...compileCases.cases(), ...random.cases(), ...nnCases.cases(), ...lossCases.cases(), ...initCases.cases(), ...optimizerCases.cases(), ...treeCases.cases(), ...ioCases.cases(), ...fastCases.cases(), ...quantizedCases.cases(), ...convCases.cases(), ...coreSymbolCases.cases(), ...spectralCases.cases(), ...exportImportCases.cases()];
}

export interface CaseResult {
  id: string;
  family: string;
  upstream: string[];
  symbols: string[];
  oracle: ParityCase['oracle'];
  outcome: Outcome;
  max_diff?: number | null;
  refusal?: { code: string; detail: string };
  message?: string;
  /** The same case with every op computed by current MLX (the mlx backend), compared with the native answer; absent without the runtime. */
  mlx_current?: { version: string; outcome: Outcome; max_diff?: number | null; message?: string };
}

export interface FamilySummary {
  family: string;
  cases: number;
  pass: number;
  fail: number;
  refused: number;
  unsupported: number;
  error: number;
  upstream_mirrored: number;
  upstream_total: number;
}

export interface Report {
  schema_version: 1;
  mlx_api_version: string;
  oracle_window: { package: string; mlx_version: string; note: string };
  /** MLX v0.31.2 through the mlx backend: its version, or why it was not run. */
  oracle_mlx: { via: string; version?: string; reason?: string };
  engine: { name: string; version: string };
  git_commit: string;
  host: { platform: string; arch: string; cpus: number; node: string };
  families: FamilySummary[];
  cases: CaseResult[];
  digest: string;
}

function qualifiedToRef(q: string) {
  const i = q.startsWith('mlx.core.random.') ? 'mlx.core.random'.length : q.startsWith('mlx.core.') ? 'mlx.core'.length : q.lastIndexOf('.');
  return resolve(q.slice(0, i), q.slice(i + 1));
}

export function runCase(c: ParityCase): CaseResult {
  const base: CaseResult = { id: c.id, family: c.family, upstream: c.upstream.flatMap(upstream), symbols: c.symbols, oracle: c.oracle, outcome: 'pass' };
  const missing = c.symbols.filter((s) => !qualifiedToRef(s).available);
  if (missing.length) return { ...base, outcome: 'unsupported', message: `not in mlx-compat: ${missing.join(', ')}` };
  try {
    const [ours, expected] = c.run();
    const mine = flatten(ours);
    const d = difference(mine, flatten(expected), c.rtol);
    const oracle = mlxOracle();
    const extra = 'version' in oracle ? { mlx_current: { version: oracle.version, ...onMlx(c, mine) } } : {};
    return d.ok ? { ...base, max_diff: d.maxDiff, ...extra } : { ...base, outcome: 'fail', max_diff: Number.isFinite(d.maxDiff) ? d.maxDiff : null, message: d.detail ?? `largest difference ${d.maxDiff}`, ...extra };
  } catch (e) {
    if (e instanceof MlxRefusedError) return { ...base, outcome: 'refused', refusal: { code: e.code, detail: e.detail } };
    if (c.refusal && e instanceof MxError) return { ...base, outcome: 'refused', refusal: { code: 'unsupported_op', detail: e.message } };
    return { ...base, outcome: 'error', message: (e as Error).message };
  }
}

// The case again with MLX v0.31.2 computing every op; compared with the native answer.
function onMlx(c: ParityCase, native: ReturnType<typeof flatten>): Omit<NonNullable<CaseResult['mlx_current']>, 'version'> {
  mx.setBackend('mlx');
  try {
    const theirs = flatten(c.run()[0]);
    const d = difference(native, theirs, c.rtol);
    return d.ok ? { outcome: 'pass', max_diff: d.maxDiff } : { outcome: 'fail', max_diff: Number.isFinite(d.maxDiff) ? d.maxDiff : null, message: d.detail ?? `largest difference ${d.maxDiff}` };
  } catch (e) {
    if (e instanceof MlxRefusedError) return { outcome: 'refused', message: `${e.code}: ${e.detail}` };
    return { outcome: 'error', message: (e as Error).message };
  } finally {
    mx.setBackend(undefined);
  }
}

function summarize(family: string, results: CaseResult[]): FamilySummary {
  const mine = results.filter((r) => r.family === family);
  const count = (o: Outcome) => mine.filter((r) => r.outcome === o).length;
  const total = familyTests(family).map((t) => t.id);
  const mirrored = new Set(mine.flatMap((r) => r.upstream).filter((id) => total.includes(id)));
  return {
    family, cases: mine.length, pass: count('pass'), fail: count('fail'), refused: count('refused'), unsupported: count('unsupported'), error: count('error'),
    upstream_mirrored: mirrored.size, upstream_total: total.length,
  };
}

/** Sorted keys, so equal reports serialize (and hash) equally. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Runs the cases of the families `only` (default: all), or of those the case
 * ids `ids` pick. The event loop turns between cases, so a host that talks
 * over it (a test runner's worker) is not held for the minute a run takes.
 */
export async function runHarness(only?: string[], ids?: (id: string) => boolean): Promise<Report> {
  for (const f of only ?? []) if (!FAMILIES.includes(f)) throw new Error(`unknown family "${f}" (families: ${FAMILIES.join(', ')})`);
  const families = only?.length ? only : FAMILIES;
  loadReal(); // the oracle, checked before any case runs
  const results: CaseResult[] = [];
  for (const c of allCases().filter((c) => families.includes(c.family) && (!ids || ids(c.id)))) {
    results.push(runCase(c));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const body = {
    schema_version: 1 as const,
    mlx_api_version: 'v0.31.2',
    oracle_window: { package: '@frost-beta/mlx@0.0.7', mlx_version: '0.13', note: 'cases marked oracle "math" use values from the definition where MLX 0.13 lacks or mishandles the behaviour' },
    oracle_mlx: { via: 'the engine\'s mlx backend (mlx-c)', ...mlxOracle() },
    engine: { name: 'mlx-compat cpu', version: engineVersion() },
    git_commit: gitCommit(),
    host: { platform: os.platform(), arch: os.arch(), cpus: os.cpus().length, node: process.version },
    families: families.map((f) => summarize(f, results)),
    cases: results,
  };
  return { ...body, digest: createHash('sha256').update(canonical(body)).digest('hex') };
}

export function formatTable(r: Report): string {
  const head = ['family', 'cases', 'pass', 'fail', 'refused', 'unsupported', 'error', 'upstream mirrored'];
  const rows = r.families.map((f) => [f.family, f.cases, f.pass, f.fail, f.refused, f.unsupported, f.error, `${f.upstream_mirrored} of ${f.upstream_total}`].map(String));
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  return all.map((row) => row.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ')).join('\n');
}
