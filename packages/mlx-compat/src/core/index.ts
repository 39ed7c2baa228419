// mlx.core: arrays, dtypes, ops, devices, memory, under MLX's names in camelCase.
import './methods.js';
import { MxArray } from './array.js';
import * as dtypes from './dtype.js';
import * as device from './device.js';
import * as memory from './memory.js';
import { binaryOps, unaryOps, round, where, astype } from './ops/elementwise.js';
import * as reduce from './ops/reduce.js';
import * as shape from './ops/shape.js';
import * as creation from './ops/creation.js';
import * as indexing from './ops/indexing.js';
import * as linalg from './ops/linalg.js';
import * as composite from './ops/composite.js';
import * as sorting from './ops/sort.js';
import { dispose, getBackend, setBackend, tidy } from './graph.js';
import { MxError } from './errors.js';
import * as random from './random.js';
import { grad, jvp, valueAndGrad, vjp } from './transforms/index.js';
import { checkpoint, customFunction } from './transforms/custom.js';
import { vmap } from './transforms/vmap.js';
import { compile, disableCompile, enableCompile } from './transforms/compile.js';
import * as io from './io/index.js';
import * as fastOps from './fast.js';

export { MxArray, MxError };
export type { ArrayLike } from './array.js';
export type { Index } from './ops/indexing.js';
export type { AttentionMask } from './fast.js';
export { MxIOError, type IOErrorCode, type LoadFormat, type Metadata, type GgufMetadata } from './io/index.js';

export const core = {
  array: creation.array,
  MxArray,
  ...pick(dtypes, [
    'Dtype', 'DtypeCategory', 'promoteTypes', 'issubdtype', 'finfo',
    'bool', 'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64', 'complex64',
    'complexfloating', 'floating', 'inexact', 'signedinteger', 'unsignedinteger', 'integer', 'number', 'generic',
  ]),
  ...unaryOps,
  ...binaryOps,
  round,
  where,
  astype,
  ...reduce,
  ...shape,
  ...pick(creation, ['zeros', 'ones', 'full', 'zerosLike', 'onesLike', 'arange', 'linspace', 'eye', 'identity', 'tri']),
  ...pick(indexing, ['take', 'takeAlongAxis', 'putAlongAxis', 'Slice']),
  ...linalg,
  ...composite,
  ...sorting,
  Device: device.Device,
  Stream: device.Stream,
  cpu: device.cpu,
  gpu: device.gpu,
  defaultDevice: device.defaultDevice,
  setDefaultDevice: device.setDefaultDevice,
  newStream: device.newStream,
  defaultStream: device.defaultStream,
  synchronize: device.synchronize,
  eval: device.evaluate,
  asyncEval: device.asyncEval,
  ...memory,
  dispose,
  tidy,
  setBackend,
  getBackend,
  MxError,
  random,
  grad,
  valueAndGrad,
  vjp,
  jvp,
  customFunction,
  checkpoint,
  vmap,
  compile,
  disableCompile,
  enableCompile,
  fast: pick(fastOps, ['rmsNorm', 'layerNorm', 'rope', 'scaledDotProductAttention', 'metalKernel', 'cudaKernel']),
  ...pick(io, ['load', 'save', 'savez', 'savezCompressed', 'saveSafetensors', 'saveGguf', 'MxIOError']),
};

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

export default core;
