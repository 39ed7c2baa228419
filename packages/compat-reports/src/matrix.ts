// The compatibility matrix: one row per MLX v0.31.2 public symbol, its status
// computed from what mlx-compat exports and what the parity cases showed.
import { ROOT, allSymbols, inventory } from './symbols.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonical, type Report } from './harness.js';
import { BACKEND_DIFFERENCES } from './backend-differences.js';

export type Status = 'supported' | 'convertible' | 'refused' | 'unsupported';

export interface Row {
  mlx_name: string;
  module: string;
  compat_name: string | null;
  status: Status;
  cases: Array<{ id: string; outcome: string }>;
  /** The oracles its passing cases were measured against: "MLX 0.13" (@frost-beta/mlx), "math", and the current MLX through the mlx backend. */
  measured_against: string[];
  backends: string[];
  rewrite?: string;
  refusal?: { code: string; detail: string };
  note?: string;
}

export interface Matrix {
  schema_version: 1;
  mlx_api_version: string;
  /** sha256 of the canonical JSON of the case results the matrix was computed from. */
  cases_digest: string;
  summary: Array<{ module: string; total: number } & Record<Status, number>>;
  rows: Row[];
}

// Symbols reachable by a documented rewrite where mlx-compat has no function of that name.
const REWRITES: Record<string, string> = {};

// Where mlx-compat differs from MLX in ways a user should know.
const NOTES: Record<string, string> = {
  'mlx.core.random.normal': 'half-precision draws may differ from MLX 0.13 in the last bit; float32 draws are identical',
  'mlx.core.floor_divide': 'integers truncate toward zero, as MLX does',
  'mlx.core.left_shift': 'int8 stays int8 (MLX 0.13 widens to int16)',
  'mlx.core.right_shift': 'int8 stays int8 (MLX 0.13 widens to int16)',
  'mlx.core.set_default_device': 'the engine runs on the CPU; the GPU is a typed refusal (unsupported_device)',
  'mlx.core.array': 'printing follows MLX: six significant digits, dimensions over six entries summarized',
  'mlx.core.async_eval': 'evaluation completes before the call returns',
  'mlx.core.pad': 'constant mode only',
  'mlx.core.array.at': 'one integer-array index or basic indices per update',
  'mlx.nn.Upsample': 'cubic and nearest by a factor that is not an integer are checked against MLX\'s definition (MLX 0.13 computes both differently)',
  'mlx.nn.Transformer': 'post-norm layers (norm_first = false) are not checked against MLX (0.13 differs)',
  'mlx.nn.MaxPool1d': 'padding uses the dtype\'s lowest value where MLX pads with -inf',
  'mlx.nn.MaxPool2d': 'padding uses the dtype\'s lowest value where MLX pads with -inf',
  'mlx.nn.MaxPool3d': 'padding uses the dtype\'s lowest value where MLX pads with -inf',
  'mlx.nn.RoPE': 'by mx.fast.rope, as MLX; a 2-d input (L, D) is also taken (MLX\'s fast.rope needs 3 axes)',
  'mlx.core.quantize': 'every mode of MLX v0.31.2 (affine, mxfp4, mxfp8, nvfp4), bit for bit; nvfp4\'s optional global scale (a CUDA feature) is not taken',
  'mlx.core.dequantize': 'every mode of MLX v0.31.2, bit for bit, with its dtype argument; nvfp4\'s optional global scale is not taken',
  'mlx.core.quantized_matmul': 'every mode of MLX v0.31.2; products in float32 from the packed weights',
  'mlx.core.gather_qmm': 'every mode of MLX v0.31.2; a composite in the facade (take, then quantized_matmul); sorted_indices is accepted and not used',
  'mlx.core.load': 'safetensors F8_E4M3 tensors load as their uint8 bytes, as MLX v0.31.2 loads them; other F8 dtypes are a typed bad_dtype error, as MLX refuses them; F64 loads (MLX v0.31.2 refuses it)',
  'mlx.core.fast.scaled_dot_product_attention': 'computed in float32 (float64 inputs too)',
  'mlx.core.compile': 'shapeless refuses graphs with ops whose attributes fix a shape (reshape, broadcast_to, slices, split, arrays created with a shape)',
  'mlx.core.einsum': 'a composite in the facade (the engine has no composite ops, so C callers send its diagonals, sums and matmuls): pairs contracted in a greedy order; floating types (its products are matmuls)',
  'mlx.core.einsum_path': 'the greedy order einsum takes (smallest intermediate first); the description text is not MLX\'s',
  'mlx.core.kron': 'a composite in the facade (reshape and multiply)',
  'mlx.core.roll': 'a composite in the facade (slices and concatenate)',
  'mlx.core.median': 'a composite in the facade (sort and take); integers give float32',
  'mlx.core.unflatten': 'a composite in the facade (reshape)',
  'mlx.core.broadcast_arrays': 'a composite in the facade (broadcast_to)',
  'mlx.core.slice': 'start indices as an array, as MLX\'s; a composite in the facade (take), so a block past the end is the engine\'s index_out_of_range',
  'mlx.core.slice_update': 'start indices as an array, as MLX\'s; a composite in the facade (take and where)',
  'mlx.core.as_strided': 'a view that reads outside the array is a typed error (MLX reads whatever memory is there)',
  'mlx.core.view': 'viewing bytes as bool gives 0 or 1 (any non-zero byte is true)',
  'mlx.core.hadamard_transform': 'sizes 2^k only; MLX\'s 12, 20 and 28 times 2^k are a typed error',
  'mlx.core.gather_mm': 'a and b at least 2-d; sorted_indices is accepted and not used',
  'mlx.core.block_masked_mm': 'a and b at least 2-d',
  'mlx.core.set_memory_limit': 'an allocation past the limit is refused (resource_limit); the default is 80% of memory, as MLX\'s',
  'mlx.core.set_cache_limit': 'the engine\'s cache of freed blocks (2 GiB by default)',
  'mlx.core.set_wired_limit': 'no wired memory on the CPU: no effect, returns 0, as MLX on the CPU',
  'mlx.core.export_to_dot': 'the lazy graph of the arrays given (ops as boxes, arrays as ellipses); not MLX\'s exact layout',
  'mlx.core.device_info': 'the CPU: architecture and device_name; the GPU is a typed refusal',
};

// The float ops' stated accuracy, from the table in the C header (its one
// source, which native/capi/tests/vecmath_accuracy.cpp checks).
function accuracyNotes(): Map<string, string> {
  const text = readFileSync(join(ROOT, 'native/capi/include/mlxcompat.h'), 'utf8');
  const start = text.indexOf('Accuracy (max ulp)');
  const cols = ['float32', 'float64', 'float16', 'bfloat16'];
  const notes = new Map<string, string>();
  for (const line of text.slice(start, text.indexOf('*/', start)).split('\n')) {
    const m = /^ \*   ([a-z0-9]+(?:,[a-z0-9]+)*)\s+([\d.\s-]+)$/.exec(line);
    if (!m) continue;
    const vals = m[2].trim().split(/\s+/);
    const stated = cols.flatMap((c, i) => (vals[i] && vals[i] !== '-' ? [`${c} ${vals[i]}`] : []));
    for (const op of m[1].split(',')) notes.set(`mlx.core.${op}`, `max error ${stated.join(', ')} ulp`);
  }
  return notes;
}

const MATRIX_JSON = join(ROOT, 'docs/mlx-compatibility-matrix.json');
const ORACLE_LABEL = { 'mlx-0.13': 'MLX 0.13', math: 'math' } as const;

// Per symbol, what its passing cases were measured against. Current MLX
// (the mlx backend) counts when every passing case that ran there agreed.
// Where the runtime is absent its entries cannot be measured: the committed
// matrix's are kept, so the matrix is the same on every machine.
function measuredAgainst(report: Report): (symbol: string, cases: Report['cases']) => string[] {
  const fixed = new Set<string>(Object.values(ORACLE_LABEL));
  let kept: Map<string, string[]> | undefined;
  if (!report.oracle_mlx.version && existsSync(MATRIX_JSON)) {
    const committed = JSON.parse(readFileSync(MATRIX_JSON, 'utf8')) as Matrix;
    kept = new Map(committed.rows.map((r) => [r.mlx_name, (r.measured_against ?? []).filter((m) => !fixed.has(m))]));
  }
  return (symbol, cases) => {
    const passing = cases.filter((c) => c.outcome === 'pass');
    const labels = new Set<string>(passing.map((c) => ORACLE_LABEL[c.oracle]));
    if (kept) for (const m of kept.get(symbol) ?? []) labels.add(m);
    else {
      const ran = passing.filter((c) => c.mlx_current && c.mlx_current.outcome !== 'refused');
      if (ran.length && ran.every((c) => c.mlx_current!.outcome === 'pass')) labels.add(`MLX ${ran[0].mlx_current!.version}`);
    }
    return [...labels].sort();
  };
}

export function buildMatrix(report: Report): Matrix {
  const accuracy = accuracyNotes();
  const against = measuredAgainst(report);
  const byCase = report.cases;
  const rows: Row[] = allSymbols().map((s) => {
    const cases = byCase.filter((c) => c.symbols.includes(s.qualified));
    const outcomes = cases.map((c) => ({ id: c.id, outcome: c.outcome }));
    const row: Row = { mlx_name: s.qualified, module: s.module, compat_name: s.available ? s.compatName : null, status: 'unsupported', cases: outcomes, measured_against: against(s.qualified, cases), backends: [] };
    const note = [NOTES[s.qualified], accuracy.get(s.qualified), ...BACKEND_DIFFERENCES.filter((d) => d.symbol === s.qualified).map((d) => `native vs mlx backend: ${d.note}`)].filter(Boolean).join('; ');
    if (note) row.note = note;
    const passed = cases.some((c) => c.outcome === 'pass'), broken = cases.some((c) => c.outcome === 'fail' || c.outcome === 'error');
    const refused = cases.find((c) => c.outcome === 'refused');
    if (!s.available) {
      if (REWRITES[s.qualified]) {
        row.status = 'convertible';
        row.rewrite = REWRITES[s.qualified];
      }
    } else if (passed && !broken) {
      row.status = 'supported';
      row.backends = ['cpu'];
    } else if (refused && !passed) {
      row.status = 'refused';
      row.refusal = refused.refusal;
    } else {
      row.note = [broken ? 'a parity case fails or errors' : 'exported, but no parity case backs it yet', row.note].filter(Boolean).join('; ');
    }
    return row;
  });
  const modules = Object.keys(inventory().modules);
  const summary = modules.map((m) => {
    const mine = rows.filter((r) => r.module === m);
    const n = (st: Status) => mine.filter((r) => r.status === st).length;
    return { module: m, total: mine.length, supported: n('supported'), convertible: n('convertible'), refused: n('refused'), unsupported: n('unsupported') };
  });
  // Left out: the comparison with current MLX (it runs only where the runtime
  // is) and the measured differences and messages, which move with the CPU's
  // instruction set (an AVX-512 kernel's last bits differ from an AVX2 one's).
  const cases_digest = createHash('sha256')
    .update(canonical(report.cases.map(({ mlx_current: _m, max_diff: _d, message: _t, ...c }) => c)))
    .digest('hex');
  return { schema_version: 1, mlx_api_version: inventory().mlx_version, cases_digest, summary, rows };
}

export function toMarkdown(m: Matrix, module?: string): string {
  const lines = [
    '# MLX compatibility matrix',
    '',
    `Generated by \`compat-reports matrix --write\` from the code and the parity harness; do not edit by hand. Universe: the MLX ${m.mlx_api_version} public API (${m.rows.length} symbols). A symbol is *supported* only when mlx-compat exports it and a parity case passes for it; *convertible* when a documented rewrite reaches it; *refused* when calling it gives a typed refusal; *unsupported* otherwise. *Measured against* names the oracles its passing cases agreed with: MLX 0.13 (@frost-beta/mlx), math (values from the definition), and MLX 0.31.2 (every op computed by real MLX through the engine's mlx backend; on a machine without that runtime the last measured entries are kept).`,
    '',
    '| module | symbols | supported | convertible | refused | unsupported |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...m.summary.filter((s) => !module || s.module === module).map((s) => `| ${s.module} | ${s.total} | ${s.supported} | ${s.convertible} | ${s.refused} | ${s.unsupported} |`),
  ];
  const total = (k: 'total' | Status) => m.summary.reduce((a, s) => a + s[k], 0);
  if (!module) lines.push(`| **all** | ${total('total')} | ${total('supported')} | ${total('convertible')} | ${total('refused')} | ${total('unsupported')} |`);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  for (const mod of m.summary.map((s) => s.module).filter((x) => !module || x === module)) {
    lines.push('', `## ${mod}`, '', '| MLX name | mlx-compat name | status | parity cases | measured against | backends | notes |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of m.rows.filter((x) => x.module === mod)) {
      const cases = r.cases.map((c) => `${c.id} (${c.outcome})`).join('<br>');
      const notes = [r.rewrite && `rewrite: \`${esc(r.rewrite)}\``, r.refusal && `refused: ${r.refusal.code}: ${esc(r.refusal.detail)}`, r.note && esc(r.note)].filter(Boolean).join('; ');
      lines.push(`| \`${r.mlx_name}\` | ${r.compat_name ? `\`${r.compat_name}\`` : ''} | ${r.status} | ${cases} | ${r.measured_against.join(', ')} | ${r.backends.join(', ')} | ${notes} |`);
    }
  }
  return lines.join('\n') + '\n';
}
