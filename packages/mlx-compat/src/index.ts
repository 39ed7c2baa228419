// mlx-compat: MLX for TypeScript. `import mlx from 'mlx-compat'; const mx = mlx.core;`
import { core } from './core/index.js';
import { nn } from './nn/index.js';
import { optimizers } from './optimizers/index.js';
import * as utils from './utils/index.js';

export { core, nn, optimizers, utils };
export * from './core/index.js';
export type { Params, Reduction, Initializer } from './nn/index.js';
export type { Tree, TreeDict } from './utils/tree.js';
export default { core, nn, optimizers, utils };
