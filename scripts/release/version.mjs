#!/usr/bin/env node
// The one version: the root package.json states the release version, the C ABI
// version and the MLX version the matrix is measured against. Every other copy
// must agree: the packages and their pins on each other, CMake's project
// version (the engine's mlxcompat_version()), the header's ABI version, the
// changelog's latest entry, the MLX API inventory and the committed matrix, and
// (given with --library) a built engine's mlxcompat_version() and
// mlxcompat_abi_version(). Prints each disagreement and exits 1 when there is one.
//   node scripts/release/version.mjs [--root DIR] [--library path/to/libmlxcompat.so]...
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const INTERNAL = ['mlx-capi-bridge', 'mlx-compat', 'mlx-bench', 'compat-reports'];

function read(root, file) {
  const path = join(root, file);
  if (!existsSync(path)) return null;
  return readFileSync(path, 'utf8');
}

/** Every place that disagrees with the root package.json, as "file: what". */
export function disagreements(root, libraries = []) {
  const out = [];
  const top = JSON.parse(read(root, 'package.json'));
  const { version } = top;
  const { abiVersion, mlxVersion } = top.mlxcompat ?? {};
  if (!version || !Number.isInteger(abiVersion) || !mlxVersion) return ['package.json: needs "version" and "mlxcompat": {"abiVersion", "mlxVersion"}'];
  const expect = (file, what, found, wanted) => {
    if (found !== wanted) out.push(`${file}: ${what} is ${found ?? 'missing'}, the root package.json says ${wanted}`);
  };
  for (const pkg of INTERNAL) {
    const file = `packages/${pkg}/package.json`;
    const manifest = JSON.parse(read(root, file) ?? '{}');
    expect(file, 'version', manifest.version, version);
    for (const dep of INTERNAL) if (manifest.dependencies?.[dep]) expect(file, `its dependency ${dep}`, manifest.dependencies[dep], version);
  }
  const cmake = read(root, 'native/capi/CMakeLists.txt') ?? '';
  expect('native/capi/CMakeLists.txt', 'project VERSION', /project\(mlxcompat VERSION ([^\s)]+)/.exec(cmake)?.[1], version);
  const header = read(root, 'native/capi/include/mlxcompat.h') ?? '';
  expect('native/capi/include/mlxcompat.h', 'MLXCOMPAT_ABI_VERSION', Number(/#define MLXCOMPAT_ABI_VERSION (\d+)/.exec(header)?.[1]), abiVersion);
  const changelog = read(root, 'CHANGELOG.md') ?? '';
  expect('CHANGELOG.md', 'the latest entry', /^## (\S+)/m.exec(changelog)?.[1], version);
  const inventoryFile = `fixtures/mlx-api-v${mlxVersion}.json`;
  const inventory = read(root, inventoryFile);
  expect(inventoryFile, 'mlx_version', inventory && JSON.parse(inventory).mlx_version, `v${mlxVersion}`);
  const matrix = read(root, 'docs/mlx-compatibility-matrix.json');
  expect('docs/mlx-compatibility-matrix.json', 'mlx_api_version', matrix && JSON.parse(matrix).mlx_api_version, `v${mlxVersion}`);
  if (libraries.length) {
    const koffi = createRequire(join(root, 'package.json'))('koffi');
    for (const path of libraries) {
      const lib = koffi.load(path);
      expect(path, 'mlxcompat_version()', lib.func('const char *mlxcompat_version(void)')(), version);
      expect(path, 'mlxcompat_abi_version()', lib.func('int mlxcompat_abi_version(void)')(), abiVersion);
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let root = join(fileURLToPath(import.meta.url), '../../..');
  const libraries = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--root') root = args[++i];
    else if (args[i] === '--library') libraries.push(args[++i]);
    else {
      console.error(`version: unknown argument ${args[i]}`);
      process.exit(2);
    }
  }
  const problems = disagreements(root, libraries);
  for (const p of problems) console.error(`version: ${p}`);
  if (problems.length) process.exit(1);
  const top = JSON.parse(read(root, 'package.json'));
  console.log(`version: ${top.version} (C ABI ${top.mlxcompat.abiVersion}, MLX v${top.mlxcompat.mlxVersion}) agrees everywhere${libraries.length ? `, with ${libraries.length} built librar${libraries.length > 1 ? 'ies' : 'y'}` : ''}`);
}
