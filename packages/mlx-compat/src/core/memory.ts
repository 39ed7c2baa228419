// The engine's real memory figures (bytes): arrays alive, the peak, and the cache of freed blocks.
import { clearCache as engineClearCache, memory, MlxRefusedError, resetPeakMemory as engineResetPeak } from 'mlx-capi-bridge';

export const getActiveMemory = (): number => memory().active;
export const getPeakMemory = (): number => memory().peak;
export const getCacheMemory = (): number => memory().cache;
export const resetPeakMemory = (): void => engineResetPeak();
export const clearCache = (): void => engineClearCache();

const noMetal = (name: string) => (): never => {
  throw new MlxRefusedError('unsupported_device', 'device', `metal.${name}`, 'the mlx-compat engine runs on cpu only; Metal is not available');
};
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
