// Jobs under ThreadSanitizer: a TSan build of the engine (build/tsan,
// clang-14, MLXCOMPAT_SANITIZE=thread, OpenBLAS off: the flags of the other
// sanitizer runs) runs the C stress program and, in a child Node with
// a TSan runtime preloaded, the bridge's jobs on libuv's threads. Any report
// fails the run (halt_on_error); both runs caught a race put in on purpose.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const build = join(root, 'build/tsan');
const suppressions = join(root, 'packages/mlx-capi-bridge/test/jobs-tsan.supp');

// Without clang-14 (scripts/setup.sh installs it) there is no TSan build to run.
const clang = ['/usr/bin/clang-14', '/usr/bin/clang++-14'].every(existsSync);
if (!clang) console.log('jobs under ThreadSanitizer: skipped, clang-14 is not installed (bash scripts/setup.sh installs it)');

describe.skipIf(!clang)('jobs under ThreadSanitizer', () => {
  it('build the engine with TSan, then run the C stress program and the bridge from Node: no report', async () => {
    // sanitizer builds carry debug info, for which ccache hashes the folder: these let checkouts share one cache
    const env = { ...process.env, CC: 'clang-14', CXX: 'clang++-14', CCACHE_BASEDIR: root, CCACHE_NOHASHDIR: '1' };
    await run('cmake', ['-S', join(root, 'native/capi'), '-B', build, '-DCMAKE_BUILD_TYPE=Release', '-DMLXCOMPAT_SANITIZE=thread', '-DMLXCOMPAT_BLAS=OFF'], { env });
    await run('cmake', ['--build', build, '-j', '2', '--target', 'mlxcompat_jobs_stress'], { env, maxBuffer: 1 << 26 });

    const symbolizer = '/usr/lib/llvm-14/bin/llvm-symbolizer';
    const options = `halt_on_error=1:second_deadlock_stack=1:suppressions=${suppressions}`;
    const tsan = { ...process.env, TSAN_OPTIONS: existsSync(symbolizer) ? `${options}:external_symbolizer_path=${symbolizer}` : options };
    const stress = await run(join(build, 'mlxcompat_jobs_stress'), ['4'], { env: tsan });
    expect(stress.stdout).toContain('4 rounds, 0 failures');
    expect(stress.stderr).not.toContain('ThreadSanitizer');

    // node is not instrumented: a TSan runtime is preloaded and the engine's own accesses are checked.
    // It is GCC's (g++ brings it): clang-14's shared runtime crashes when preloaded, even into /bin/true,
    // and the instrumented library calls the same __tsan_* entry points in either.
    const { stdout: runtime } = await run('gcc', ['-print-file-name=libtsan.so.2']);
    const child = await run(process.execPath, [join(root, 'packages/mlx-capi-bridge/test/jobs-tsan.mjs')], {
      env: { ...tsan, LD_PRELOAD: runtime.trim(), MLXCOMPAT_LIBRARY: join(build, 'libmlxcompat.so') },
    });
    expect(child.stdout).toContain('jobs-tsan: ok');
    expect(child.stderr).not.toContain('ThreadSanitizer');
  }, 1_800_000);
});
