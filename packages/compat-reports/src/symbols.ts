// The MLX v0.31.2 public API inventory (fixtures/), and where each symbol
// lives in mlx-compat by the naming convention: snake_case -> camelCase,
// var -> variance, methods of mlx.core.array on MxArray.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mlx from 'mlx-compat';

// The installed package carries fixtures/ and docs/ itself; in the repository they are at its root.
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = existsSync(join(PACKAGE_DIR, 'fixtures')) ? PACKAGE_DIR : join(PACKAGE_DIR, '../..');

export interface Inventory {
  mlx_version: string;
  modules: Record<string, string[]>;
}

export function inventory(): Inventory {
  const file = join(ROOT, 'fixtures/mlx-api-v0.31.2.json');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the MLX API inventory ${file}: ${(e as Error).message}`);
  }
  const inv = data as Inventory;
  if (!inv || typeof inv.mlx_version !== 'string' || typeof inv.modules !== 'object')
    throw new Error(`${file}: expected {mlx_version, modules: {module: [symbol]}}`);
  return inv;
}

export const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

// MLX names whose mlx-compat spelling is not the mechanical one.
const RENAMED: Record<string, string> = { var: 'variance', eval: 'eval' };

// mlx.core.random -> core.random, mlx.nn -> nn, ...
const MODULE_PATH: Record<string, string> = {
  'mlx.core': 'core', 'mlx.core.random': 'core.random', 'mlx.core.fft': 'core.fft', 'mlx.core.linalg': 'core.linalg',
  'mlx.core.fast': 'core.fast', 'mlx.core.distributed': 'core.distributed', 'mlx.core.metal': 'core.metal',
  'mlx.core.cuda': 'core.cuda', 'mlx.nn': 'nn', 'mlx.nn.init': 'nn.init', 'mlx.nn.losses': 'nn.losses',
  'mlx.nn.layers.distributed': 'nn.layers.distributed', 'mlx.optimizers': 'optimizers', 'mlx.utils': 'utils',
};

export interface SymbolRef {
  module: string;
  name: string;
  /** e.g. "mlx.core.array.sum" */
  qualified: string;
  /** e.g. "core.MxArray#sum" */
  compatName: string;
  available: boolean;
}

function lookup(path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o === undefined || o === null ? undefined : (o as Record<string, unknown>)[k]), mlx);
}

export function resolve(module: string, name: string): SymbolRef {
  const base = MODULE_PATH[module] ?? module;
  const qualified = `${module}.${name}`;
  if (module === 'mlx.core' && name.startsWith('array.')) {
    const member = RENAMED[name.slice(6)] ?? camel(name.slice(6));
    const proto = mlx.core.MxArray.prototype as unknown as Record<string, unknown>;
    const available = member in proto || ['dtype', 'shape', 'ndim', 'size', 'itemsize', 'nbytes'].includes(member);
    return { module, name, qualified, compatName: `${base}.MxArray#${member}`, available };
  }
  const member = RENAMED[name] ?? camel(name);
  const path = `${base}.${member}`;
  return { module, name, qualified, compatName: path, available: lookup(path) !== undefined };
}

export function allSymbols(): SymbolRef[] {
  const inv = inventory();
  return Object.entries(inv.modules).flatMap(([module, names]) => names.map((n) => resolve(module, n)));
}
