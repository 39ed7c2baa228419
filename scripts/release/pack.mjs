#!/usr/bin/env node
// Stages and packs the release: the four npm packages (build/release/dist/*.tgz)
// and the C archive (build/release/dist/mlxcompat-VERSION-linux-x64.tar.gz).
// Needs `npm run build` (the packages' dist/) and build-engine.sh (build/release/engine/).
// A package gets what its package.json "files" names from its own folder
// (without source maps: their sources are not shipped), the LICENSE, and the
// files below that live elsewhere in the repository.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const RELEASE = join(REPO, 'build/release');
export const PACKAGES = ['mlx-capi-bridge', 'mlx-compat', 'mlx-bench', 'compat-reports'];
export const VERSION = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
export const ARCHIVE = `mlxcompat-${VERSION}-linux-x64`;
const ENGINE = join(RELEASE, 'engine');
/** SLEEF (Boost licence) as Debian's libsleef3 installs it (scripts/setup.sh); it needs glibc 2.17 at most. */
export const SLEEF = '/usr/lib/x86_64-linux-gnu/libsleef.so.3';
export const SLEEF_LICENSE = '/usr/share/doc/libsleef3/copyright';

/** Repository paths each package carries, as [from, to in the package]. */
export function outside(pkg) {
  const schemas = (names) => names.map((n) => [`docs/schemas/${n}.v1.schema.json`, `schemas/${n}.v1.schema.json`]);
  switch (pkg) {
    case 'mlx-capi-bridge':
      return [
        [`build/release/engine/lib/libmlxcompat.so.${VERSION}`, 'engine/linux-x64/libmlxcompat.so'],
        // The engine's vector math loads SLEEF from beside itself first: shipped, users install nothing.
        [SLEEF, 'engine/linux-x64/libsleef.so.3'],
        [SLEEF_LICENSE, 'engine/linux-x64/libsleef.copyright'],
        ...schemas(['request', 'response', 'capabilities']),
        // The sources an install builds from where no prebuilt engine fits.
        ...['CMakeLists.txt', 'cmake', 'include', 'src'].map((p) => [`native/capi/${p}`, `native/capi/${p}`]),
      ];
    case 'compat-reports':
      return [
        ...readdirSync(join(REPO, 'fixtures')).map((f) => [`fixtures/${f}`, `fixtures/${f}`]),
        ...['parity-report', 'compatibility-matrix'].map((n) => [`docs/schemas/${n}.v1.schema.json`, `docs/schemas/${n}.v1.schema.json`]),
      ];
    default:
      return [];
  }
}

function stage(pkg, into) {
  const src = join(REPO, 'packages', pkg);
  const manifest = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  cpSync(join(src, 'package.json'), join(into, 'package.json'));
  cpSync(join(REPO, 'LICENSE'), join(into, 'LICENSE'));
  for (const entry of manifest.files ?? []) {
    if (!existsSync(join(src, entry))) continue;
    cpSync(join(src, entry), join(into, entry), { recursive: true, filter: (f) => !/\.(map|tsbuildinfo)$/.test(f) });
  }
  for (const [from, to] of outside(pkg)) {
    if (!existsSync(resolve(REPO, from))) throw new Error(`${pkg}: ${from} is missing (run npm run build and scripts/release/build-engine.sh)`);
    mkdirSync(dirname(join(into, to)), { recursive: true });
    cpSync(resolve(REPO, from), join(into, to), { recursive: true, dereference: true });
  }
}

/** Packs a staged folder with npm and returns the tarball's path. */
export function npmPack(folder, destination) {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], { cwd: folder, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return join(destination, JSON.parse(out)[0].filename);
}

function archive(dist) {
  const top = join(RELEASE, 'stage', ARCHIVE);
  rmSync(top, { recursive: true, force: true });
  cpSync(ENGINE, top, { recursive: true, verbatimSymlinks: true });
  const examples = join(top, 'share/mlxcompat/examples');
  mkdirSync(examples, { recursive: true });
  for (const f of ['eval_example.c', 'eval_example.py', 'CMakeLists.txt', 'Makefile']) cpSync(join(REPO, 'native/capi/examples', f), join(examples, f));
  for (const n of ['request', 'response', 'capabilities']) cpSync(join(REPO, `docs/schemas/${n}.v1.schema.json`), join(top, `share/mlxcompat/schemas/${n}.v1.schema.json`));
  for (const f of ['LICENSE', 'CHANGELOG.md']) cpSync(join(REPO, f), join(top, f));
  cpSync(SLEEF, join(top, 'lib/libsleef.so.3'), { dereference: true });
  cpSync(SLEEF_LICENSE, join(top, 'share/mlxcompat/licenses/libsleef.copyright'));
  const file = join(dist, `${ARCHIVE}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', dirname(top), ARCHIVE]);
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!existsSync(join(ENGINE, `lib/libmlxcompat.so.${VERSION}`))) {
    console.error(`pack: no release engine ${VERSION} in ${ENGINE}: run scripts/release/build-engine.sh first`);
    process.exit(1);
  }
  const dist = join(RELEASE, 'dist');
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  for (const pkg of PACKAGES) {
    const folder = join(RELEASE, 'stage', pkg);
    stage(pkg, folder);
    console.log(`pack: ${npmPack(folder, dist)}`);
  }
  console.log(`pack: ${archive(dist)}`);
}
