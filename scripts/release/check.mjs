#!/usr/bin/env node
// Checks the packed release (build/release/dist, from pack.mjs) as a user gets it:
//  - versions agree (version.mjs), in the repository and in the built engine;
//  - each npm package holds every file it needs and nothing else, and a
//    package with a needed file left out is caught (checked on a doctored copy);
//  - the tarballs install into an empty project with no compiler on the PATH
//    (time and size printed), the README's quickstart prints what the README
//    says, the commands run, and the install script explains a missing compiler;
//  - the C archive: the example builds against it (pkg-config and CMake) and
//    runs, the Python example runs, the library needs glibc 2.31 at most and no
//    other library, runs under glibc 2.31 (the Debian 11 root) and on an
//    emulated CPU without AVX (qemu-x86_64 -cpu Nehalem).
// Exits 1 on any failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ARCHIVE, PACKAGES, REPO, RELEASE, VERSION, outside } from './pack.mjs';
import { disagreements } from './version.mjs';

const DIST = join(RELEASE, 'dist');
const BUILD_ROOT = process.env.MLXCOMPAT_BUILD_ROOT ?? '/var/cache/mlxcompat/debian11';
const MAX_PACKED_BRIDGE = 15 * 1024 * 1024;
const GLIBC_MAX = [2, 31];
const ALLOWED_NEEDED = /^(libc|libm|libpthread|libdl|librt|ld-linux-x86-64)\.so\.\d+$/;
const work = mkdtempSync(join(tmpdir(), 'mlxcompat-release-'));
let failures = 0;

function check(name, fn) {
  const t = Date.now();
  try {
    const note = fn();
    console.log(`ok    ${name}${note ? `: ${note}` : ''} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failures++;
    console.log(`FAIL  ${name}: ${e.message}`);
  }
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${(r.stdout ?? '') + (r.stderr ?? '')}`.slice(0, 3000));
  return r;
}

const tarball = (pkg) => join(DIST, `${pkg}-${VERSION}.tgz`);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

function walk(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name))]));
}

// ---- package contents

/** What a package must hold: its manifest and licence, its compiled output, the files its "files" names, and what it carries from elsewhere. */
function needed(pkg) {
  const src = join(REPO, 'packages', pkg);
  const manifest = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
  const files = new Set(['package.json', 'LICENSE']);
  for (const entry of manifest.files ?? []) {
    const path = join(src, entry);
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) for (const f of walk(path)) { if (!/\.(map|tsbuildinfo)$/.test(f)) files.add(join(entry, f)); }
    else files.add(entry);
  }
  for (const [from, to] of outside(pkg)) {
    const path = resolve(REPO, from);
    if (existsSync(path) && statSync(path).isDirectory()) for (const f of walk(path)) files.add(join(to, f));
    else files.add(to);
  }
  return files;
}

const FORBIDDEN = /(^|\/)(test|tests|build|node_modules|src\/[^/]+\.ts$)|\.test\.|\.tsbuildinfo$|\.map$/;

/** Problems with an unpacked package: needed files missing, files that must not be there, relative imports that resolve to nothing. */
export function contentProblems(pkg, folder) {
  const have = new Set(walk(folder));
  const want = needed(pkg);
  const problems = [];
  for (const f of want) if (!have.has(f)) problems.push(`missing ${f}`);
  for (const f of have) if (!want.has(f)) problems.push(`${FORBIDDEN.test(f) ? 'must not ship' : 'unexpected'} ${f}`);
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  const entries = [manifest.main, manifest.types, ...Object.values(manifest.bin ?? {})].filter(Boolean);
  for (const e of entries) if (!have.has(e)) problems.push(`entry point ${e} is missing`);
  for (const f of have) {
    if (!f.endsWith('.js')) continue;
    const text = readFileSync(join(folder, f), 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = join(dirname(f), m[1]);
      if (!have.has(target)) problems.push(`${f} imports ${m[1]}, which is not in the package`);
    }
  }
  return problems;
}

function unpack(file, into) {
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  run('tar', ['-xzf', file, '-C', into]);
  return join(into, 'package');
}

// ---- install into an empty project, no compiler on the PATH

// The user's PATH: every program of this machine's PATH but the compilers and build tools.
const COMPILERS = /^(cc|c\+\+|cpp|c89|c99|gcc|g\+\+|clang|clang\+\+|tcc|cmake|make|gmake|ninja|ld|ld\.\w+|as)(-[\d.]+)?$|-(gcc|g\+\+|cpp|ld|as)(-[\d.]+)?$/;
const userBin = join(work, 'bin');
mkdirSync(userBin);
for (const dir of (process.env.PATH ?? '').split(':').filter((d) => d && existsSync(d))) {
  for (const name of readdirSync(dir)) {
    if (COMPILERS.test(name) || existsSync(join(userBin, name))) continue;
    symlinkSync(join(dir, name), join(userBin, name));
  }
}
const userEnv = { ...process.env, PATH: userBin, npm_config_ignore_scripts: 'false' };
for (const k of Object.keys(userEnv)) if (/^(MLXCOMPAT_|npm_package_|npm_lifecycle_|INIT_CWD)/.test(k)) delete userEnv[k];
const project = join(work, 'project');

function readmeBlock(heading, lang, after) {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n## ${heading}\n`));
  const from = after ? section.indexOf(after) : 0;
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section.slice(from));
  if (!m) throw new Error(`README: no ${lang} block in "${heading}"`);
  return m[1];
}

check('versions agree (repository and release engine)', () => {
  const problems = disagreements(REPO, [join(RELEASE, `engine/lib/libmlxcompat.so.${VERSION}`)]);
  if (problems.length) throw new Error(problems.join('; '));
  for (const pkg of PACKAGES) {
    const v = JSON.parse(run('tar', ['-xzOf', tarball(pkg), 'package/package.json']).stdout).version;
    if (v !== VERSION) throw new Error(`${pkg} tarball has version ${v}`);
  }
  return VERSION;
});

check('the version check catches a disagreement', () => {
  const copy = join(work, 'version-copy');
  for (const f of ['package.json', 'CHANGELOG.md', 'native/capi/CMakeLists.txt', 'native/capi/include/mlxcompat.h', 'docs/mlx-compatibility-matrix.json', ...PACKAGES.map((p) => `packages/${p}/package.json`)]) cpSync(join(REPO, f), join(copy, f));
  const mlx = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).mlxcompat.mlxVersion;
  cpSync(join(REPO, `fixtures/mlx-api-v${mlx}.json`), join(copy, `fixtures/mlx-api-v${mlx}.json`));
  if (disagreements(copy).length) throw new Error('the copy disagrees before it is changed');
  const cm = join(copy, 'native/capi/CMakeLists.txt');
  writeFileSync(cm, readFileSync(cm, 'utf8').replace(/project\(mlxcompat VERSION [^\s)]+/, 'project(mlxcompat VERSION 9.9.9'));
  const found = disagreements(copy);
  if (!found.some((p) => p.includes('CMakeLists.txt'))) throw new Error('a changed CMake version went unnoticed');
  return found[0];
});

for (const pkg of PACKAGES) {
  check(`${pkg}: every needed file, nothing else`, () => {
    const problems = contentProblems(pkg, unpack(tarball(pkg), join(work, 'unpacked', pkg)));
    if (problems.length) throw new Error(problems.slice(0, 10).join('; '));
    return `${mb(statSync(tarball(pkg)).size)} packed`;
  });
}

check('a package with a needed file left out, or a test added, is caught', () => {
  const folder = unpack(tarball('mlx-capi-bridge'), join(work, 'doctored'));
  rmSync(join(folder, 'dist/native.js'));
  rmSync(join(folder, 'engine'), { recursive: true });
  mkdirSync(join(folder, 'test'));
  writeFileSync(join(folder, 'test/abi.test.js'), '');
  const problems = contentProblems('mlx-capi-bridge', folder);
  for (const want of ['missing dist/native.js', 'missing engine/linux-x64/libmlxcompat.so', 'must not ship test/abi.test.js', 'imports ./native.js'])
    if (!problems.some((p) => p.includes(want))) throw new Error(`not reported: ${want} (got ${problems.join('; ')})`);
  return `${problems.length} problems reported`;
});

check(`packed mlx-capi-bridge is under ${mb(MAX_PACKED_BRIDGE)}`, () => {
  const size = statSync(tarball('mlx-capi-bridge')).size;
  if (size >= MAX_PACKED_BRIDGE) throw new Error(`${mb(size)}`);
  return mb(size);
});

check('no compiler on the PATH of the install', () => {
  for (const tool of ['cc', 'c++', 'gcc', 'g++', 'clang', 'cmake', 'make']) {
    if (run('sh', ['-c', `command -v ${tool}`], { env: userEnv, allowFail: true }).status === 0) throw new Error(`${tool} is reachable`);
  }
});

check('the API packages alone (mlx-compat, mlx-capi-bridge) install into an empty project', () => {
  const api = join(work, 'api-project');
  mkdirSync(api);
  writeFileSync(join(api, 'package.json'), JSON.stringify({ name: 'release-check-api', private: true, type: 'module' }, null, 2));
  const t = Date.now();
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball('mlx-compat'), tarball('mlx-capi-bridge')], { cwd: api, env: userEnv });
  const seconds = (Date.now() - t) / 1000;
  const du = Number(run('du', ['-sb', join(api, 'node_modules')]).stdout.split('\t')[0]);
  return `${seconds.toFixed(1)} s (goal < 30 s: ${seconds < 30 ? 'met' : 'not met'}), node_modules ${mb(du)}`;
});

let installed = false;
check('the four tarballs install into an empty project', () => {
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'release-check', private: true, type: 'module' }, null, 2));
  const t = Date.now();
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...PACKAGES.map(tarball)], { cwd: project, env: userEnv });
  const seconds = (Date.now() - t) / 1000;
  const du = run('du', ['-sb', join(project, 'node_modules')]).stdout.split('\t')[0];
  const ours = PACKAGES.map((p) => `${p} ${mb(Number(run('du', ['-sb', join(project, 'node_modules', p)]).stdout.split('\t')[0]))}`);
  installed = true;
  return `${seconds.toFixed(1)} s (goal < 30 s: ${seconds < 30 ? 'met' : 'not met'}; the machine is shared), node_modules ${mb(Number(du))}; ${ours.join(', ')}`;
});

check("the README's quickstart runs against the installed packages", () => {
  if (!installed) throw new Error('not installed');
  writeFileSync(join(project, 'quickstart.mjs'), readmeBlock('Quickstart', 'js'));
  const out = run('node', ['quickstart.mjs'], { cwd: project, env: userEnv }).stdout;
  const want = readmeBlock('Quickstart', 'text');
  if (out !== want) throw new Error(`printed\n${out}\nthe README says\n${want}`);
  const lib = run('node', ['-e', "import('mlx-capi-bridge').then((b) => console.log(b.DEFAULT_LIBRARY))"], { cwd: project, env: userEnv }).stdout.trim();
  if (!lib.startsWith(join(project, 'node_modules/mlx-capi-bridge/engine/'))) throw new Error(`the bridge loads ${lib}, not its packaged engine`);
  return relative(project, lib);
});

/** The path the dynamic loader opened libsleef.so.3 from while `command` ran (LD_DEBUG=files), or undefined. */
function sleefLoaded(command, args, options) {
  const r = run(command, args, { ...options, env: { ...options.env, LD_DEBUG: 'files' } });
  return /file=(\S*libsleef\.so\.3)/.exec(r.stderr)?.[1];
}

check('the installed engine loads the SLEEF it ships (users install nothing for vector math)', () => {
  if (!installed) throw new Error('not installed');
  const path = sleefLoaded('node', ['quickstart.mjs'], { cwd: project, env: userEnv });
  const want = join(project, 'node_modules/mlx-capi-bridge/engine/linux-x64/libsleef.so.3');
  if (path !== want) throw new Error(`softmax loaded ${path ?? 'no libsleef.so.3'}, not ${want}`);
  return relative(project, path);
});

// The release engine is built for any x86-64 CPU, with other code paths and
// floating-point contractions than a build for this machine's: a 4-bit
// dequantize once fused q s + b there only, and missed MLX's values.
check('the release engine passes the quantized and fast-op tests', () => {
  const lib = readdirSync(join(RELEASE, 'engine/lib')).find((f) => /^libmlxcompat\.so\.\d+\.\d+\.\d+$/.test(f));
  if (!lib) throw new Error('no libmlxcompat.so.X.Y.Z in build/release/engine/lib');
  const tests = ['packages/mlx-compat/test/quantized.test.ts', 'packages/mlx-compat/test/fast.test.ts'];
  const r = run('npx', ['vitest', 'run', ...tests], { cwd: REPO, env: { ...process.env, MLXCOMPAT_LIBRARY: join(RELEASE, 'engine/lib', lib) } });
  return `${/Tests\s+(\d+) passed/.exec(r.stdout.replace(/\x1b\[[0-9;]*m/g, ''))?.[1] ?? '?'} tests`;
});

check('the commands are installed and run', () => {
  if (!installed) throw new Error('not installed');
  const bin = join(project, 'node_modules/.bin');
  for (const name of ['mlx-bench', 'compat-reports']) accessSync(join(bin, name), constants.X_OK);
  const list = run(join(bin, 'mlx-bench'), ['list'], { cwd: project, env: userEnv }).stdout;
  if (!/matmul/.test(list)) throw new Error(`mlx-bench list printed ${list}`);
  run(join(bin, 'compat-reports'), ['--help'], { cwd: project, env: userEnv });
  const m = run(join(bin, 'compat-reports'), ['matrix'], { cwd: project, env: userEnv, allowFail: true });
  if (m.status === 0 || !/@frost-beta\/mlx/.test(m.stderr) || /\n\s+at /.test(m.stderr)) throw new Error(`without real MLX, compat-reports matrix gave ${m.status}: ${m.stderr}`);
  return 'mlx-bench list, compat-reports --help; without the optional real MLX, compat-reports matrix says what to install';
});

check('the install script explains a missing compiler', () => {
  if (!installed) throw new Error('not installed');
  const r = run('node', [join(project, 'node_modules/mlx-capi-bridge/install.mjs')], { cwd: project, env: { ...userEnv, MLXCOMPAT_BUILD_FROM_SOURCE: '1' }, allowFail: true });
  if (r.status !== 1 || !/cmake/.test(r.stderr) || !/npm rebuild mlx-capi-bridge/.test(r.stderr) || /\n\s+at /.test(r.stderr)) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return r.stderr.split('\n')[1];
});

check("the engine sources the bridge ships configure for the install script's build", () => {
  if (!installed) throw new Error('not installed');
  const build = join(work, 'source-configure');
  run('cmake', ['-S', join(project, 'node_modules/mlx-capi-bridge/native/capi'), '-B', build, '-DMLXCOMPAT_DEV_TARGETS=OFF']);
  return 'cmake configures (the compile itself is the engine build above)';
});

// ---- the C archive

const archive = join(work, 'c');
const top = join(archive, ARCHIVE);
const lib = join(top, `lib/libmlxcompat.so.${VERSION}`);
const EXPECT = /y = \[15(\.0)?, 33(\.0)?\]/;

check('the C archive unpacks with header, library, pkg-config and CMake files', () => {
  mkdirSync(archive);
  run('tar', ['-xzf', join(DIST, `${ARCHIVE}.tar.gz`), '-C', archive]);
  for (const f of ['include/mlxcompat.h', 'lib/libmlxcompat.so', 'lib/pkgconfig/mlxcompat.pc', 'lib/cmake/mlxcompat/mlxcompatConfig.cmake', 'LICENSE', 'CHANGELOG.md', 'share/mlxcompat/examples/eval_example.c'])
    if (!existsSync(join(top, f))) throw new Error(`missing ${f}`);
  return `${mb(statSync(join(DIST, `${ARCHIVE}.tar.gz`)).size)} packed`;
});

let example = '';
check('the C example builds against the archive with pkg-config and runs', () => {
  const dir = join(work, 'c-pkgconfig');
  cpSync(join(top, 'share/mlxcompat/examples'), dir, { recursive: true });
  run('make', ['-C', dir], { env: { ...process.env, PKG_CONFIG_PATH: join(top, 'lib/pkgconfig') } });
  example = join(dir, 'eval_example');
  const out = run(example, []).stdout;
  if (!EXPECT.test(out) || !out.includes(`mlxcompat ${VERSION}`)) throw new Error(out);
});

check('the C archive ships SLEEF beside the library, and a transcendental op loads it from there', () => {
  for (const f of ['lib/libsleef.so.3', 'share/mlxcompat/licenses/libsleef.copyright']) if (!existsSync(join(top, f))) throw new Error(`missing ${f}`);
  const probe = join(work, 'sleef-probe');
  // exp of two floats through the C ABI, the engine's vector path
  writeFileSync(`${probe}.c`, String.raw`#include <stdio.h>
#include <string.h>
#include "mlxcompat.h"
int main(void) {
  const char* r = "{\"schema_version\":1,\"inputs\":[{\"id\":\"x\",\"dtype\":\"float32\",\"shape\":[2],\"data\":[0,1]}],"
                  "\"nodes\":[{\"id\":\"y\",\"op\":\"exp\",\"inputs\":[\"x\"]}],\"outputs\":[{\"ref\":\"y\"}]}";
  char* out = mlxcompat_eval_json(NULL, r, strlen(r));
  puts(out);
  mlxcompat_string_free(out);
  return 0;
}
`);
  run('cc', ['-o', probe, `${probe}.c`, `-I${join(top, 'include')}`, `-L${join(top, 'lib')}`, '-lmlxcompat', `-Wl,-rpath,${join(top, 'lib')}`]);
  const path = sleefLoaded(probe, [], { env: process.env });
  if (path !== join(top, 'lib/libsleef.so.3')) throw new Error(`exp loaded ${path ?? 'no libsleef.so.3'}`);
  return relative(archive, path);
});

check('the C example builds against the archive with find_package(mlxcompat) and runs', () => {
  const dir = join(work, 'c-cmake');
  cpSync(join(top, 'share/mlxcompat/examples'), dir, { recursive: true });
  run('cmake', ['-S', dir, '-B', join(dir, 'build'), `-DCMAKE_PREFIX_PATH=${top}`]);
  run('cmake', ['--build', join(dir, 'build')]);
  const out = run(join(dir, 'build/eval_example'), []).stdout;
  if (!EXPECT.test(out)) throw new Error(out);
});

check('the Python example runs against the archive', () => {
  const out = run('python3', [join(top, 'share/mlxcompat/examples/eval_example.py')]).stdout;
  if (!EXPECT.test(out)) throw new Error(out);
});

/** The newest GLIBC_x.y version `symbols` (objdump -T output) asks for, as [x, y]. */
function newestGlibc(symbols) {
  return [...symbols.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).at(-1);
}
const beyondMax = ([major, minor]) => major > GLIBC_MAX[0] || (major === GLIBC_MAX[0] && minor > GLIBC_MAX[1]);

check('the library needs glibc 2.31 at most and no other library', () => {
  const symbols = run('objdump', ['-T', lib]).stdout;
  const newest = newestGlibc(symbols);
  if (beyondMax(newest)) throw new Error(`needs GLIBC_${newest.join('.')}`);
  const needs = [...run('objdump', ['-p', lib]).stdout.matchAll(/NEEDED\s+(\S+)/g)].map((m) => m[1]);
  const other = needs.filter((n) => !ALLOWED_NEEDED.test(n));
  if (other.length) throw new Error(`needs ${other.join(', ')}`);
  if (/GLIBCXX|CXXABI/.test(symbols)) throw new Error('needs the system libstdc++');
  // the SLEEF shipped beside it is Debian 12's build: it must not need a newer glibc either
  const sleefNewest = newestGlibc(run('objdump', ['-T', join(top, 'lib/libsleef.so.3')]).stdout);
  if (beyondMax(sleefNewest)) throw new Error(`libsleef.so.3 needs GLIBC_${sleefNewest.join('.')}`);
  return `newest GLIBC_${newest.join('.')} (libsleef.so.3: ${sleefNewest.join('.')}); needs ${needs.join(', ')}`;
});

check('the C example builds and runs under glibc 2.31 (Debian 11 root)', () => {
  if (!existsSync(join(BUILD_ROOT, '.mlxcompat-root'))) throw new Error(`no Debian 11 root at ${BUILD_ROOT} (scripts/release/build-engine.sh makes it)`);
  const inRoot = join(BUILD_ROOT, 'check');
  rmSync(inRoot, { recursive: true, force: true });
  cpSync(top, join(inRoot, 'mlxcompat'), { recursive: true, verbatimSymlinks: true });
  cpSync(join(top, 'share/mlxcompat/examples'), join(inRoot, 'example'), { recursive: true });
  const r = run('chroot', [BUILD_ROOT, 'sh', '-c', 'cd /check && cmake -S example -B example/build -DCMAKE_PREFIX_PATH=/check/mlxcompat >/dev/null && cmake --build example/build >/dev/null && example/build/eval_example && ldd --version | head -1']);
  rmSync(inRoot, { recursive: true, force: true });
  if (!EXPECT.test(r.stdout)) throw new Error(r.stdout);
  return r.stdout.trim().split('\n').at(-1);
});

check('the C example and the quickstart run on an emulated CPU without AVX (qemu -cpu Nehalem)', () => {
  // The control: an AVX2 instruction must die there, or the emulation proves nothing.
  const control = join(work, 'avx2');
  writeFileSync(`${control}.c`, 'int main(void) { __asm__ volatile("vpaddd %%ymm0, %%ymm0, %%ymm0" ::: "xmm0"); return 0; }\n');
  run('cc', ['-o', control, `${control}.c`]);
  const c = run('qemu-x86_64', ['-cpu', 'Nehalem', control], { allowFail: true });
  if (c.signal !== 'SIGILL' && c.status !== 132) throw new Error('an AVX2 program ran under -cpu Nehalem: the emulation does not check instructions');
  if (!example) throw new Error('the C example was not built');
  // Without the OPENBLAS_* settings of this machine (OPENBLAS_CORETYPE=Haswell here would pick AVX2 kernels).
  const env = Object.fromEntries(Object.entries(userEnv).filter(([k]) => !k.startsWith('OPENBLAS_')));
  const out = run('qemu-x86_64', ['-cpu', 'Nehalem', example], { env }).stdout;
  if (!EXPECT.test(out)) throw new Error(out);
  if (installed) {
    const q = run('qemu-x86_64', ['-cpu', 'Nehalem', process.execPath, 'quickstart.mjs'], { cwd: project, env }).stdout;
    if (q !== readmeBlock('Quickstart', 'text')) throw new Error(`quickstart printed ${q}`);
  }
  return `an AVX2 instruction there: ${c.signal ?? `exit ${c.status}`} (illegal instruction)`;
});

rmSync(work, { recursive: true, force: true });
console.log(failures ? `release check: ${failures} check(s) failed` : 'release check: all checks pass');
process.exit(failures ? 1 : 0);
