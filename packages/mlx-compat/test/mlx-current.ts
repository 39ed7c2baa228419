// Real MLX v0.31.2 for tests through the engine's mlx backend: the library
// MLXCOMPAT_MLXC_LIBRARY names, else the shared runtime beside the checkout.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { backendInfo } from 'mlx-capi-bridge';
import mlx from '../src/index.js';

/**
 * Whether the mlx backend loads; prints why `tests` are skipped when it does
 * not. Loads libmlxc (in a link namespace of its own, so node-mlx's MLX 0.13
 * may load before or after it).
 */
export function mlxCurrent(tests: string): boolean {
  const runtime = resolve(import.meta.dirname, '../../../../shared/mlx-runtime/lib/libmlxc.so');
  if (!process.env.MLXCOMPAT_MLXC_LIBRARY && existsSync(runtime)) process.env.MLXCOMPAT_MLXC_LIBRARY = runtime;
  const info = backendInfo('mlx');
  if (!info.available) console.log(`${tests} against MLX v0.31.2 skipped: ${info.reason}`);
  return info.available;
}

/** f's result with every op computed by MLX v0.31.2. */
export function onMlx<T>(f: () => T): T {
  mlx.core.setBackend('mlx');
  try {
    return f();
  } finally {
    mlx.core.setBackend(undefined);
  }
}
