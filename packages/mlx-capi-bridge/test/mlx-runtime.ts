// Finds real MLX v0.31.2 (mlx-c) for the tests of the mlx backend: the
// library MLXCOMPAT_MLXC_LIBRARY names, else the shared runtime beside the
// checkout (../shared/mlx-runtime). Tests that need it skip, saying why,
// when the engine cannot load it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo } from '../src/index.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const shared = resolve(root, '../shared/mlx-runtime/lib/libmlxc.so');

// Set before the engine first loads libmlxc (on its first use of the mlx backend).
if (!process.env.MLXCOMPAT_MLXC_LIBRARY && existsSync(shared)) process.env.MLXCOMPAT_MLXC_LIBRARY = shared;

/** Why the mlx backend cannot run here, or '' when it can. */
export function mlxUnavailable(): string {
  const info = backendInfo('mlx');
  return info.available ? '' : (info.reason ?? 'unavailable');
}

const why = mlxUnavailable();
if (why) console.log(`mlx backend tests skipped: ${why}`);
export const HAVE_MLX = why === '';
