// mlx-compat: MLX for TypeScript. `import mlx from 'mlx-compat'; const mx = mlx.core;`
import { core } from './core/index.js';

/** Neural-network layers: filled by the nn work (not there yet). */
export const nn = {};
/** Optimizers: filled by the optimizers work (not there yet). */
export const optimizers = {};
/** Tree utilities: filled with the transforms work (not there yet). */
export const utils = {};

export { core };
export * from './core/index.js';
export default { core, nn, optimizers, utils };
