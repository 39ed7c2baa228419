// Writes native/capi/src/backends/mlx_symbols.inc: every op mlx-c exposes
// (ops.h, fft.h, linalg.h, fast.h, random.h) as an entry of the mlx
// backend's symbol table, read from mlx-c's headers: its MLX name (the C
// name without "mlx_"), its array parameters and attributes, and the typed
// call. The engine registers each entry whose name the registry lacks as an
// op of the mlx backend only (backends/mlx_symbols.cpp).
//   node scripts/gen-mlx-symbols.mjs [INCLUDE_DIR]   (default ../shared/mlx-runtime/include/mlx/c)
//   --check: exit 1 when the committed table differs from what the headers give
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const dir = args.find((a) => !a.startsWith('--')) ?? join(root, '../shared/mlx-runtime/include/mlx/c');
const out = join(root, 'native/capi/src/backends/mlx_symbols.inc');
if (!existsSync(join(dir, 'ops.h'))) {
  console.log(`gen-mlx-symbols: skipped, no mlx-c headers at ${dir}`);
  process.exit(0);
}

// MLX functions that read or write memory their indices name without
// checking them (the host crashes), or divide integers by zero (SIGFPE):
// the registry's ops take, take_along_axis, put_along_axis and gather_mm
// check their indices first; these have no such guard.
const DENIED = {
  gather: 'unchecked indices', gather_single: 'unchecked indices', gather_qmm: 'unchecked indices', segmented_mm: 'unchecked segments',
  masked_scatter: 'unchecked mask size', slice_dynamic: 'unchecked start', slice_update_dynamic: 'unchecked start', divmod: 'integer division by zero',
};
for (const n of ['scatter', 'scatter_add', 'scatter_max', 'scatter_min', 'scatter_prod']) DENIED[n] = DENIED[`${n}_single`] = 'unchecked indices';
DENIED.scatter_add_axis = 'unchecked indices';
// LAPACK failing on a singular matrix makes MLX v0.31.2 throw on its
// evaluation thread, which ends the process (SIGABRT)
for (const n of ['linalg_inv', 'linalg_solve', 'linalg_lu', 'linalg_lu_factor', 'linalg_tri_inv', 'linalg_solve_triangular', 'linalg_cholesky_inv'])
  DENIED[n] = 'aborts on a singular matrix';

const FAMILY = { 'ops.h': 'mlx.core', 'fft.h': 'mlx.core.fft', 'linalg.h': 'mlx.core.linalg', 'fast.h': 'mlx.core.fast', 'random.h': 'mlx.core.random' };
const SCALARS = {
  int: { c: 'int', attr: 'AttrType::Int', get: (n) => `c.i("${n}")` },
  size_t: { c: 'size_t', attr: 'AttrType::Int', get: (n) => `c.count("${n}")` },
  uint64_t: { c: 'uint64_t', attr: 'AttrType::Int', get: (n) => `c.u64("${n}")` },
  bool: { c: 'bool', attr: 'AttrType::Bool', get: (n) => `c.attrs.b("${n}")` },
  float: { c: 'float', attr: 'AttrType::Float', get: (n) => `float(c.attrs.f("${n}"))` },
  double: { c: 'double', attr: 'AttrType::Float', get: (n) => `c.attrs.f("${n}")` },
  mlx_dtype: { c: 'mlx::dtype', attr: 'AttrType::DTypeName', get: (n) => `to_mlx(c.attrs.dtype("${n}"))` },
  'const char*': { c: 'const char*', attr: 'AttrType::String', get: (n) => `c.attrs.str("${n}").c_str()` },
  mlx_fft_norm: { c: 'int', attr: 'AttrType::Enum', choices: ['backward', 'ortho', 'forward'], get: (n) => `c.fft_norm("${n}")` },
  mlx_optional_int: { c: 'mlx::optional_int', attr: 'AttrType::Int', nullable: true, get: (n) => `c.opt_int("${n}")` },
  mlx_optional_float: { c: 'mlx::optional_float', attr: 'AttrType::Float', nullable: true, get: (n) => `c.opt_float("${n}")` },
  mlx_optional_dtype: { c: 'mlx::optional_dtype', attr: 'AttrType::DTypeName', nullable: true, get: (n) => `c.opt_dtype("${n}")` },
};

function parseParams(text) {
  return text.split(',').map((p) => {
    const nullable = /may be null/.test(p);
    const clean = p.replace(/\/\*.*?\*\//g, '').replace(/\s+/g, ' ').trim();
    const m = /^(.*?)\s*(\w+)$/.exec(clean);
    return { type: m[1].replace(/\s*\*/, '*').trim(), name: m[2], nullable };
  });
}

// One table entry, or the reason the function has none.
function entry(name, params, family) {
  const sym = name.slice('mlx_'.length);
  if (DENIED[sym]) return { skip: `${sym}: ${DENIED[sym]}` };
  const cTypes = [], argsOut = [], pre = [], arrays = [], attrs = [];
  let outputs = null, nOut = 0;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const next = params[i + 1];
    if (p.type === 'mlx_array*') {
      cTypes.push('mlx::array*');
      argsOut.push(`&r[${nOut++}].a`);
      outputs = 'arrays';
    } else if (p.type === 'mlx_vector_array*') {
      cTypes.push('mlx::vector_array*');
      argsOut.push('&parts.v');
      outputs = 'vector';
    } else if (p.type === 'const mlx_array') {
      cTypes.push('mlx::array');
      argsOut.push(`c.arg(${arrays.length})`);
      arrays.push(`{"${p.name}", ${p.nullable}, false}`);
      if (p.nullable) attrs.push(`{"has_${p.name}", AttrType::Bool, false}`);
    } else if (p.type === 'const mlx_vector_array') {
      if (arrays.some((a) => a.endsWith('true}'))) return { skip: `${sym}: two lists of arrays` };
      cTypes.push('mlx::vector_array');
      pre.push(`VecArr list${arrays.length} = c.list(${arrays.length});`);
      argsOut.push(`list${arrays.length}.v`);
      arrays.push(`{"${p.name}", false, true}`);
    } else if ((p.type === 'const int*' || p.type === 'const int64_t*') && next?.type === 'size_t' && next.name === `${p.name}_num`) {
      const wide = p.type === 'const int64_t*';
      cTypes.push(wide ? 'const int64_t*' : 'const int*', 'size_t');
      pre.push(`const auto ${p.name}_ = c.${wide ? 'ints64' : 'int_list'}("${p.name}");`);
      argsOut.push(`${p.name}_.data()`, `${p.name}_.size()`);
      attrs.push(`{"${p.name}", AttrType::IntList, nullptr, ${!p.nullable}}`);
      if (p.nullable) argsOut.splice(-2, 2, `c.attrs.has("${p.name}") ? ${p.name}_.data() : nullptr`, `${p.name}_.size()`);
      i++;
    } else if (p.type === 'const mlx_stream') {
      cTypes.push('mlx::stream');
      argsOut.push('c.s');
    } else if (SCALARS[p.type]) {
      // LAPACK's triangle: another letter makes MLX abort while it evaluates
      const t = p.name === 'UPLO' ? { ...SCALARS[p.type], attr: 'AttrType::Enum', choices: ['L', 'U'] } : SCALARS[p.type];
      cTypes.push(t.c);
      argsOut.push(t.get(p.name));
      const choices = t.choices ? `, {${t.choices.map((x) => `"${x}"`).join(', ')}}` : '';
      attrs.push(t.nullable ? `{"${p.name}", ${t.attr}, nullptr, false, true}` : `{"${p.name}", ${t.attr}, nullptr, true${choices ? `, false${choices}` : ''}}`);
    } else {
      return { skip: `${sym}: parameter type ${p.type}` };
    }
  }
  if (!outputs) return { skip: `${sym}: no result` };
  const fnType = `int (*)(${cTypes.join(', ')})`;
  const call = `c.fn<${fnType}>("${name}")(${argsOut.join(', ')})`;
  const body =
    outputs === 'vector'
      ? `VecArr parts;\n      check(${call}, c.path);\n      return each(c, parts);`
      : `Outs r(${nOut});\n      check(${call}, c.path);\n      return r;`;
  return {
    sym,
    text: `  {"${sym}", "${family}", {${arrays.join(', ')}}, {${attrs.join(', ')}},\n   [](const SymbolCtx& c) {\n      ${[...pre, body].join('\n      ')}\n    }},\n`,
  };
}

const entries = [], skipped = [];
for (const [file, family] of Object.entries(FAMILY)) {
  const text = readFileSync(join(dir, file), 'utf8');
  for (const m of text.matchAll(/\bint (mlx_\w+)\(([^;]*?)\);/g)) {
    if (/^mlx_fast_(metal|cuda)_kernel/.test(m[1])) continue;  // GPU kernels of user source: no CPU here
    const e = entry(m[1], parseParams(m[2]), family);
    if (e.skip) skipped.push(e.skip);
    else entries.push(e);
  }
}
const body = `// Generated by scripts/gen-mlx-symbols.mjs from mlx-c's headers: do not edit.
// Each op mlx-c exposes, by its MLX name: {name, MLX module, array
// parameters {name, may be null, a list}, attributes, the call}.
// Not here: ${skipped.join('; ')}; the Metal and CUDA kernels of fast.h.
${entries.map((e) => e.text).join('')}`;
if (check) {
  const old = existsSync(out) ? readFileSync(out, 'utf8') : '';
  if (old !== body) {
    console.error('native/capi/src/backends/mlx_symbols.inc is stale: run node scripts/gen-mlx-symbols.mjs');
    process.exit(1);
  }
  console.log(`mlx_symbols.inc is current (${entries.length} symbols)`);
} else {
  writeFileSync(out, body);
  console.log(`wrote ${out}: ${entries.length} symbols; not generated: ${skipped.length}`);
}
