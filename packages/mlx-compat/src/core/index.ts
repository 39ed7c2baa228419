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
import { einsum, einsumPath } from './ops/einsum.js';
import { PrintOptions, getPrintoptions, printoptions, setPrintoptions } from './print.js';
import { exportToDot } from './dot.js';
import * as conv from './ops/conv.js';
import { dispose, getBackend, setBackend, tidy } from './graph.js';
import { MxError } from './errors.js';
import type { ArrayLike, Complex as ComplexValue } from './array.js';
import type { Index } from './ops/indexing.js';
import { Complex } from './creation-data.js';
import * as random from './random.js';
import { grad, jvp, valueAndGrad, vjp } from './transforms/index.js';
import { checkpoint, customFunction } from './transforms/custom.js';
import { vmap } from './transforms/vmap.js';
import { compile, disableCompile, enableCompile } from './transforms/compile.js';
import { exportFunction, exporter, importFunction } from './transforms/export.js';
import * as io from './io/index.js';
import * as fastOps from './fast.js';
import * as quantized from './quantized.js';
import * as fftOps from './fft.js';
import * as linalgOps from './linalg.js';

export { MxArray, MxError };
export type { ArrayLike } from './array.js';
export type { Index } from './ops/indexing.js';
export type { AttentionMask } from './fast.js';
export type { ExportOptions, ImportedFunction, FunctionExporter } from './transforms/export.js';
export type { FFTNorm } from './fft.js';
export type { NormOrder } from './linalg.js';
export { MxIOError, type IOErrorCode, type LoadFormat, type Metadata, type GgufMetadata } from './io/index.js';

export const core = {
  array: creation.array,
  MxArray,
  ...pick(dtypes, [
    'Dtype', 'DtypeCategory', 'promoteTypes', 'issubdtype', 'finfo',
    'bool', 'bool_', 'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64', 'complex64',
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
  ...pick(indexing, ['take', 'takeAlongAxis', 'putAlongAxis', 'Slice', 'asStrided', 'slice', 'sliceUpdate']),
  /** The class of a.at(...) (node-mlx's ArrayAt). */
  ArrayAt: indexing.AtIndexer,
  Complex,
  ...linalg,
  /** node-mlx's name of blockMaskedMm. */
  blockMaskedMM: linalg.blockMaskedMm,
  /** MLX 0.13's block_sparse_mm (node-mlx's blockSparseMM), renamed gather_mm since. */
  blockSparseMM: linalg.gatherMm,
  ...composite,
  ...sorting,
  einsum,
  einsumPath,
  PrintOptions,
  getPrintoptions,
  setPrintoptions,
  printoptions,
  exportToDot,
  ...pick(conv, ['conv1d', 'conv2d', 'conv3d', 'convGeneral', 'convTranspose1d', 'convTranspose2d', 'convTranspose3d', 'convolve']),
  Device: device.Device,
  Stream: device.Stream,
  cpu: device.cpu,
  gpu: device.gpu,
  defaultDevice: device.defaultDevice,
  setDefaultDevice: device.setDefaultDevice,
  newStream: device.newStream,
  defaultStream: device.defaultStream,
  setDefaultStream: device.setDefaultStream,
  toStream: device.toStream,
  stream: device.stream,
  newThreadLocalStream: device.newThreadLocalStream,
  clearStreams: device.clearStreams,
  deviceCount: device.deviceCount,
  deviceInfo: device.deviceInfo,
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
  exportFunction,
  importFunction,
  exporter,
  disableCompile,
  enableCompile,
  fast: pick(fastOps, ['rmsNorm', 'layerNorm', 'rope', 'scaledDotProductAttention', 'metalKernel', 'cudaKernel']),
  ...pick(quantized, ['quantize', 'dequantize', 'quantizedMatmul', 'gatherQmm']),
  fft: pick(fftOps, ['fft', 'ifft', 'fft2', 'ifft2', 'fftn', 'ifftn', 'rfft', 'irfft', 'rfft2', 'irfft2', 'rfftn', 'irfftn', 'fftshift', 'ifftshift', 'fftfreq', 'rfftfreq']),
  linalg: pick(linalgOps, [
    'norm', 'qr', 'svd', 'inv', 'triInv', 'cholesky', 'choleskyInv', 'pinv', 'lu', 'luFactor', 'solve', 'solveTriangular',
    'eig', 'eigvals', 'eigh', 'eigvalsh', 'cross',
  ]),
  ...pick(io, ['load', 'save', 'savez', 'savezCompressed', 'saveSafetensors', 'saveGguf', 'MxIOError']),
  // MLX's constants
  Inf: Infinity,
  Infinity,
  inf: Infinity,
  infty: Infinity,
  NAN: NaN,
  NaN,
  nan: NaN,
  NINF: -Infinity,
  NZERO: -0,
  PINF: Infinity,
  PZERO: 0,
  e: Math.E,
  eulerGamma: 0.5772156649015329,
  pi: Math.PI,
  newaxis: null,
};

/**
 * Types under the names node-mlx code writes (`x: mx.array`, `d: mx.Dtype`)
 * with `import { core as mx } from 'mlx-compat'`.
 */
export declare namespace core {
  type array = MxArray;
  type Dtype = dtypes.Dtype;
  type DtypeCategory = dtypes.DtypeCategory;
  type Device = device.Device;
  type Stream = device.Stream;
  type StreamOrDevice = device.StreamOrDevice;
  type ArrayAt = indexing.AtIndexer;
  type Slice = indexing.SliceIndex;
  type Complex = ComplexValue;
  type ArrayIndex = Index;
  type ScalarOrArray = ArrayLike;
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

export default core;
