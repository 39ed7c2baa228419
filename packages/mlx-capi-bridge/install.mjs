// Runs when the package is installed. The package ships the engine prebuilt
// for Linux x86-64 (glibc 2.31 or later); elsewhere, or when
// MLXCOMPAT_BUILD_FROM_SOURCE=1 asks for a build tuned to this CPU, it builds
// the engine from the sources in native/ with cmake and a C++17 compiler.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const target = `${process.platform}-${process.arch}`;
const library = join(here, 'engine', target, 'libmlxcompat.so');
const say = (line) => console.error(`mlx-capi-bridge: ${line}`);

function glibc() {
  return process.report?.getReport().header.glibcVersionRuntime;
}

function atLeast(version, minimum) {
  const [a, b] = version.split('.').map(Number), [c, d] = minimum.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}

function whyBuild() {
  if (process.env.MLXCOMPAT_BUILD_FROM_SOURCE === '1') return 'MLXCOMPAT_BUILD_FROM_SOURCE=1';
  if (!existsSync(library)) return `no prebuilt engine for ${target}`;
  const version = glibc();
  if (!version) return 'the prebuilt engine needs glibc, and this system has another C library';
  if (!atLeast(version, '2.31')) return `the prebuilt engine needs glibc 2.31 or later, and this system has ${version}`;
  return null;
}

function build(reason) {
  say(`${reason}: building the engine from source with cmake (a few minutes)`);
  const compiler = process.env.CXX ?? ['c++', 'g++', 'clang++'].find(onPath);
  const missing = [onPath('cmake') ? null : 'cmake', compiler ? null : 'a C++17 compiler (c++, g++ or clang++)'].filter(Boolean);
  if (missing.length) {
    say(`cannot build the engine: ${missing.join(' and ')} not found on the PATH.`);
    say('Install them (Debian/Ubuntu: apt-get install cmake g++ make nlohmann-json3-dev; libopenblas-dev for fast matmul),');
    say('then run: npm rebuild mlx-capi-bridge. Or set MLXCOMPAT_LIBRARY to a libmlxcompat.so built elsewhere.');
    process.exit(1);
  }
  const work = mkdtempSync(join(tmpdir(), 'mlxcompat-build-'));
  try {
    const steps = [
      ['-S', join(here, 'native', 'capi'), '-B', work, '-DCMAKE_BUILD_TYPE=Release', '-DMLXCOMPAT_DEV_TARGETS=OFF'],
      ['--build', work, '--target', 'mlxcompat', '-j', '2'],
    ];
    for (const args of steps) {
      const run = spawnSync('cmake', args, { stdio: 'inherit', env: compiler ? { ...process.env, CXX: process.env.CXX ?? compiler } : process.env });
      if (run.status !== 0) {
        say(`cmake ${args[0]} failed (exit ${run.status ?? run.signal}): see its output above. The engine needs nlohmann-json 3.10 or later.`);
        process.exit(1);
      }
    }
    mkdirSync(dirname(library), { recursive: true });
    copyFileSync(join(work, 'libmlxcompat.so'), library);
    say(`built ${library}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const reason = whyBuild();
if (reason) build(reason);
