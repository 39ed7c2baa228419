// The engine's real memory figures (bytes): arrays alive, the peak, and the
// cache of freed blocks; and its limits (mlxcompat.h says what each does).
import {
  clearCache as engineClearCache, memory, MlxRefusedError, resetPeakMemory as engineResetPeak,
  setCacheLimit as engineCacheLimit, setMemoryLimit as engineMemoryLimit, setWiredLimit as engineWiredLimit,
} from 'mlx-capi-bridge';
import { MxError } from './errors.js';
import { describe } from './args.js';
import { dropSpareBallasts } from './graph.js';

export const getActiveMemory = (): number => memory().active;
export const getPeakMemory = (): number => memory().peak;
export const getCacheMemory = (): number => memory().cache;
export const resetPeakMemory = (): void => engineResetPeak();
export const clearCache = (): void => {
  engineClearCache();
  dropSpareBallasts();
};

const bytes = (op: string, limit: unknown): number => {
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) throw new MxError(op, 'limit', `expected a whole number of bytes, got ${describe(limit)}`);
  return limit;
};
/** setMemoryLimit(limit): past it an evaluation's allocation is refused (resource_limit); returns the previous limit. */
export const setMemoryLimit = (limit: number): number => engineMemoryLimit(bytes('setMemoryLimit', limit));
/** setCacheLimit(limit): freed memory kept for reuse beyond it goes back to the system; returns the previous limit. */
export const setCacheLimit = (limit: number): number => engineCacheLimit(bytes('setCacheLimit', limit));
/** setWiredLimit(limit): the CPU has no wired memory, so, as MLX on the CPU, no effect; returns 0. */
export const setWiredLimit = (limit: number): number => engineWiredLimit(bytes('setWiredLimit', limit));

const noMetal = (name: string) => (): never => {
  throw new MlxRefusedError('unsupported_device', 'device', `metal.${name}`, 'the mlx-compat engine runs on cpu only; Metal is not available');
};
/** mx.cuda: no CUDA here. */
export const cuda = { isAvailable: (): boolean => false };

/** node-mlx's mx.metal: no Metal here; the memory figures are the engine's. */
export const metal = {
  isAvailable: (): boolean => false,
  getActiveMemory,
  getPeakMemory,
  resetPeakMemory,
  getCacheMemory,
  clearCache,
  setMemoryLimit: noMetal('setMemoryLimit') as (limit: number, relaxed?: boolean) => number,
  setCacheLimit: noMetal('setCacheLimit') as (limit: number) => number,
  startCapture: noMetal('startCapture') as (path: string) => boolean,
  stopCapture: noMetal('stopCapture') as () => void,
  deviceInfo: noMetal('deviceInfo') as () => Record<string, string | number>,
};
