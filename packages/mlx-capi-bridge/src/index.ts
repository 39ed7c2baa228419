// mlx-capi-bridge: the TypeScript binding of the mlx-compat native engine.
export { DTYPES, itemSize, isDType, storageOf, typedFromBytes, type DType, type TypedArray } from './dtypes.js';
export { MlxBridgeError, MlxRefusedError, MlxRequestError } from './errors.js';
export {
  Job, Session, backendInfo, capabilities, clearCache, memory, resetPeakMemory, setCacheLimit, setMemoryLimit, setWiredLimit, version,
  type BackendInfo, type BackendName,
  type Capabilities, type CompactResponse, type EvalOutput, type EvalRequest, type EvalResponse, type MappedArray, type MemoryFigures, type OutputAs, type Receipt, type SessionOptions,
} from './session.js';
export { validateRequest } from './schemas.js';
export { DEFAULT_LIBRARY } from './native.js';
