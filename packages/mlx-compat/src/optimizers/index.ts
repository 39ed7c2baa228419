// mlx.optimizers: the Optimizer base, one optimizer per file, the schedules
// and clipGradNorm, under MLX's names in camelCase.
import { Optimizer } from './optimizer.js';
import { SGD } from './sgd.js';
import { RMSprop } from './rmsprop.js';
import { Adagrad } from './adagrad.js';
import { AdaDelta } from './adadelta.js';
import { Adam } from './adam.js';
import { AdamW } from './adamw.js';
import { Adamax } from './adamax.js';
import { Lion } from './lion.js';
import { Adafactor } from './adafactor.js';
import { Muon } from './muon.js';
import { MultiOptimizer } from './multi_optimizer.js';
import { cosineDecay, exponentialDecay, joinSchedules, linearSchedule, stepDecay } from './schedulers.js';
import { clipGradNorm } from './clip_grad_norm.js';

export type { Schedule, Scheduled, ParamState } from './optimizer.js';

export const optimizers = {
  Optimizer, SGD, RMSprop, Adagrad, AdaDelta, Adam, AdamW, Adamax, Lion, Adafactor, Muon, MultiOptimizer,
  cosineDecay, exponentialDecay, joinSchedules, linearSchedule, stepDecay, clipGradNorm,
};
