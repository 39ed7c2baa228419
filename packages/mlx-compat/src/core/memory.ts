// The engine's real memory figures (bytes): arrays alive, the peak, and the cache of freed blocks.
import { clearCache as engineClearCache, memory, resetPeakMemory as engineResetPeak } from 'mlx-capi-bridge';

export const getActiveMemory = (): number => memory().active;
export const getPeakMemory = (): number => memory().peak;
export const getCacheMemory = (): number => memory().cache;
export const resetPeakMemory = (): void => engineResetPeak();
export const clearCache = (): void => engineClearCache();
