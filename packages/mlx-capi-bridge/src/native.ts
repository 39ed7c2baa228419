// The koffi binding of native/capi/include/mlxcompat.h. Every string and
// result the library returns is freed here, with the call its header names.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { MlxBridgeError } from './errors.js';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where an installed package keeps its engine: prebuilt, or built from the sources it ships when none fitted (install.mjs). */
export const PACKAGED_LIBRARY = join(PACKAGE_DIR, 'engine', `${process.platform}-${process.arch}`, 'libmlxcompat.so');
/** The repository's build (npm run build:native), for development. */
export const BUILD_TREE_LIBRARY = join(PACKAGE_DIR, '../../build/native/libmlxcompat.so');
/** Staged packages have no build tree beside them, and the repository has no engine/ folder. */
export const DEFAULT_LIBRARY = existsSync(PACKAGED_LIBRARY) ? PACKAGED_LIBRARY : BUILD_TREE_LIBRARY;

export interface NativeBuffer {
  data: ArrayBufferView;
  size: number;
}

function bind(path: string) {
  if (!existsSync(path)) {
    throw new MlxBridgeError(
      `mlx-compat library not found at ${path}. Installed, the package keeps it at ${PACKAGED_LIBRARY} (prebuilt for linux-x64, ` +
        'else built from source by its install script: npm rebuild mlx-capi-bridge); in the repository, build it with ' +
        'npm run build:native; or set MLXCOMPAT_LIBRARY to a libmlxcompat.so',
    );
  }
  // Jobs run on koffi's asynchronous calls (a libuv thread) with the stack a
  // synchronous call gets; koffi takes settings only before its first library.
  try {
    koffi.config({ ...koffi.config(), async_stack_size: koffi.config().sync_stack_size });
  } catch {
    // another library came first: its settings stay
  }
  const lib = koffi.load(path);
  koffi.struct('mlxcompat_buffer', { data: 'const void *', size: 'size_t' });
  const fn = {
    version: lib.func('const char *mlxcompat_version(void)'),
    abiVersion: lib.func('int mlxcompat_abi_version(void)'),
    capabilities: lib.func('void *mlxcompat_capabilities(void)'),
    sessionNew: lib.func('void *mlxcompat_session_new(const char *options, _Out_ void **error)'),
    sessionFree: lib.func('void mlxcompat_session_free(void *s)'),
    evalJson: lib.func('void *mlxcompat_eval_json(void *s, const char *req, size_t len)'),
    eval: lib.func('void *mlxcompat_eval(void *s, const char *req, size_t len, const mlxcompat_buffer *inputs, size_t n)'),
    evalCompact: lib.func('void *mlxcompat_eval_compact(void *s, const char *req, size_t len, const mlxcompat_buffer *inputs, size_t n)'),
    jobNew: lib.func('void *mlxcompat_job_new(void *s, const char *req, size_t len, const mlxcompat_buffer *inputs, size_t n)'),
    jobWait: lib.func('void *mlxcompat_job_wait(void *job)'),
    jobWaitBackground: lib.func('void *mlxcompat_job_wait_background(void *job)'),
    jobFree: lib.func('void mlxcompat_job_free(void *job)'),
    resultJson: lib.func('const char *mlxcompat_result_json(void *r)'),
    resultBuffer: lib.func('void *mlxcompat_result_buffer(void *r, size_t i, _Out_ size_t *size)'),
    resultFree: lib.func('void mlxcompat_result_free(void *r)'),
    release: lib.func('int mlxcompat_release(void *s, const char *handle)'),
    releaseAfterJobs: lib.func('int mlxcompat_release_after_jobs(void *s, const char *handle)'),
    releaseListAfterJobs: lib.func('int64_t mlxcompat_release_list_after_jobs(void *s, const char *handles, size_t len)'),
    read: lib.func('int64_t mlxcompat_read(void *s, const char *handle, void *out, size_t size)'),
    handleCount: lib.func('int64_t mlxcompat_handle_count(void *s)'),
    releasePlan: lib.func('int mlxcompat_release_plan(void *s, const char *name)'),
    planCount: lib.func('int64_t mlxcompat_plan_count(void *s)'),
    mapFile: lib.func('void *mlxcompat_map_file(void *s, const char *path, const char *spec, size_t len)'),
    memory: lib.func('void *mlxcompat_memory(void)'),
    clearCache: lib.func('void mlxcompat_clear_cache(void)'),
    resetPeak: lib.func('void mlxcompat_reset_peak_memory(void)'),
    setMemoryLimit: lib.func('size_t mlxcompat_set_memory_limit(size_t limit)'),
    setCacheLimit: lib.func('size_t mlxcompat_set_cache_limit(size_t limit)'),
    setWiredLimit: lib.func('size_t mlxcompat_set_wired_limit(size_t limit)'),
    stringFree: lib.func('void mlxcompat_string_free(void *s)'),
  };
  return fn;
}

export type Native = ReturnType<typeof bind>;

let loaded: Native | undefined;

// Every engine call goes through here: the environment is read once, at the first.
export function native(): Native {
  loaded ??= bind(process.env.MLXCOMPAT_LIBRARY ?? DEFAULT_LIBRARY);
  return loaded;
}

/** Reads and frees a string the library handed over. */
export function takeString(ptr: unknown): string {
  if (!ptr) throw new MlxBridgeError('the library returned NULL (out of memory)');
  try {
    return koffi.decode(ptr, 'char', -1) as string;
  } finally {
    native().stringFree(ptr);
  }
}

export function readBytes(ptr: unknown, size: number): Uint8Array {
  return size === 0 ? new Uint8Array(0) : (koffi.decode(ptr, 'uint8_t', size) as Uint8Array);
}
