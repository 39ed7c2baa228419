// A session of the native engine: eval requests, resident arrays, memory figures.
import { isDType, itemSize, storageOf, type DType, type TypedArray, typedFromBytes } from './dtypes.js';
import { type RawCompact, scanCompact } from './compact.js';
import { MlxBridgeError, MlxRefusedError, MlxRequestError } from './errors.js';
import { native, type Native, type NativeBuffer, readBytes, takeString } from './native.js';
import { checkAgainst, validateRequest } from './schemas.js';

export type OutputAs = 'inline' | 'base64' | 'buffer' | 'handle';

/** The engine's backends: its own kernels, or real MLX through mlx-c (when libmlxc loads). */
export type BackendName = 'native' | 'mlx';

export interface EvalRequest {
  schema_version: 1;
  device?: string;
  /** The backend that runs this request (default: the session's). */
  backend?: BackendName;
  /** Keep this request's graph as a plan under this name; its inputs may be placeholders. */
  define_plan?: string;
  /** Run a kept plan: inputs give its placeholders by id. */
  run_plan?: string;
  /** A run_plan's response: 'full' (the default) or 'compact' (Session.runCompact reads it). */
  reply?: 'full' | 'compact';
  /**
   * Write the graph as an MLX function (.mlxfn; the mlx backend): traced once on every placeholder (input
   * order) returning every output, or once per entry of `traces` (placeholder ids, output refs).
   */
  export_function?: { file: string; shapeless?: boolean; traces?: Array<{ inputs: string[]; outputs: string[] }> };
  inputs?: Array<Record<string, unknown> & { id: string }>;
  nodes?: Array<{ id: string; op: string; inputs?: string[]; attrs?: Record<string, unknown> }>;
  outputs?: Array<string | { ref: string; as?: OutputAs }>;
}

export interface EvalOutput {
  ref: string;
  dtype: DType;
  shape: number[];
  /** Inline values (NaN and infinities as "nan", "inf", "-inf"). */
  data?: unknown[];
  base64?: string;
  /** Buffer outputs, read into the dtype's storage TypedArray. */
  array?: TypedArray;
  handle?: string;
}

export interface Receipt {
  engine: string;
  engine_version: string;
  backend: BackendName;
  /** The version of what computed: the engine's, or MLX's for the mlx backend. */
  backend_version: string;
  op_count: number;
  fused_groups: number;
  elapsed_ms: number;
}

export interface EvalResponse {
  outputs: EvalOutput[];
  receipt: Receipt;
}

/**
 * The compact reply of a plan's run: what the caller cannot know from the
 * plan it defined. Each output, in the plan's (or the request's) order, is
 * its resident handle, or for a buffer output its bytes (the dtype is the plan's).
 */
export interface CompactResponse {
  outputs: Array<string | Uint8Array>;
  /** The outputs' types as numbers, output after output: the dtype's index in DTYPES, the rank, the dimensions. */
  types: number[];
  op_count: number;
  fused_groups: number;
  elapsed_ms: number;
}

export interface SessionOptions {
  limits?: Partial<Record<'max_elements' | 'max_bytes' | 'max_nodes' | 'max_inputs' | 'max_ndim' | 'max_request_bytes', number>>;
  /** Validate requests with ajv before sending and responses after (default true). */
  validate?: boolean;
  /** The backend of requests that name none (default: MLXCOMPAT_BACKEND, else 'native'). */
  backend?: BackendName;
}

/** A row-major array `offset` bytes into a file (Session.mapFile). */
export interface MappedArray {
  dtype: DType;
  shape: number[];
  offset: number;
}

export interface MemoryFigures {
  active: number;
  peak: number;
  cache: number;
}

interface RawResponse {
  status: 'ok' | 'error' | 'refused';
  compact?: RawCompact;
  outputs?: EvalOutput[];
  receipt?: Receipt;
  error?: { code: string; path: string; message: string };
  refusal?: { code: string; scope: string; subject: string; detail: string };
}

/** Throws the typed error of a non-ok response, or returns it. */
function settle(res: RawResponse, validate: boolean): RawResponse {
  if (validate) {
    const problem = checkAgainst('response', res);
    if (problem) throw new MlxBridgeError(problem);
  }
  if (res.status === 'error' && res.error) throw new MlxRequestError(res.error.code, res.error.path, res.error.message);
  if (res.status === 'refused' && res.refusal) {
    const r = res.refusal;
    throw new MlxRefusedError(r.code, r.scope, r.subject, r.detail);
  }
  return res;
}

/** settle() of a response read in the full form: a compact reply (runCompact's) is a typed error. */
function settleFull(res: RawResponse, validate: boolean): EvalResponse {
  const settled = settle(res, validate);
  if (settled.compact) throw new MlxBridgeError('the request asked for a compact reply ("reply": "compact"), which runCompact reads; eval, evalJson, evalText and submit read the full one');
  return settled as EvalResponse;
}

/** Reads a result's response and output buffers; throws the typed error of a non-ok response. */
function readResult(result: unknown, validate: boolean): EvalResponse {
  if (!result) throw new MlxBridgeError('the library returned NULL (out of memory)');
  const n = native();
  const res = settleFull(JSON.parse(n.resultJson(result) as string) as RawResponse, validate);
  for (const out of res.outputs) {
    if (typeof (out as { buffer?: number }).buffer !== 'number') continue;
    if (!isDType(out.dtype)) throw new MlxBridgeError(`unknown dtype ${String(out.dtype)} in response`);
    const size = [0];
    const ptr = n.resultBuffer(result, (out as { buffer?: number }).buffer, size);
    out.array = typedFromBytes(out.dtype, readBytes(ptr, size[0]));
  }
  return res;
}

/** Reads a compact reply (Session.runCompact); throws the typed error of a non-ok response. */
function readCompact(result: unknown, validate: boolean): CompactResponse {
  if (!result) throw new MlxBridgeError('the library returned NULL (out of memory)');
  const n = native();
  const text = n.resultJson(result) as string;
  let compact = validate ? undefined : scanCompact(text);
  if (!compact) {
    const res = JSON.parse(text) as RawResponse;
    compact = res.compact;
    if (!compact || validate) settle(res, validate);
    if (!compact) throw new MlxBridgeError(`a compact reply was asked for, the engine answered ${JSON.stringify(res).slice(0, 200)}`);
  }
  const outputs = compact.outputs as Array<string | number | Uint8Array>;
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i];
    if (typeof o !== 'number') continue;
    const size = [0];
    outputs[i] = readBytes(n.resultBuffer(result, o, size), size[0]);
  }
  return compact as CompactResponse;
}

/**
 * A request queued on a session by submit(): the engine runs a session's
 * jobs in the order they were submitted, on a thread of koffi's (libuv's
 * pool), while the event loop goes on. `result` settles when it has run;
 * join() waits for it on the calling thread instead, running it there if it
 * has not started, so it never runs twice.
 */
export class Job {
  /** Resolves with the response, or rejects with the typed error eval() would throw. */
  readonly result: Promise<EvalResponse>;
  private outcome?: { ok: true; response: EvalResponse } | { ok: false; error: unknown };
  private resolve!: (r: EvalResponse) => void;
  private reject!: (e: unknown) => void;

  /** @internal */
  constructor(
    /** @internal */ public ptr: unknown,
    private readonly validate: boolean,
    // the input buffers, held until the job has run: the engine reads them in place
    private buffers: ArrayBufferView[] | undefined,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** True once the job has run and its response (or error) was read. */
  get settled(): boolean {
    return this.outcome !== undefined;
  }

  /** Waits on this thread for the job (and those submitted before it) to run; returns or throws as eval() would. */
  join(): EvalResponse {
    if (!this.outcome) this.take(native().jobWait(this.ptr));
    const o = this.outcome!;
    if (o.ok) return o.response;
    // the caller gets the error here; the promise's rejection is not left unhandled for it
    this.result.catch(() => {});
    throw o.error;
  }

  /** @internal Reads the result of a job that has run, once. */
  take(result: unknown): void {
    if (this.outcome) return;
    try {
      this.outcome = { ok: true, response: readResult(result, this.validate) };
      this.resolve(this.outcome.response);
    } catch (error) {
      this.outcome = { ok: false, error };
      this.reject(error);
    }
    this.buffers = undefined;
  }
}

export class Session {
  private ptr: unknown;
  private readonly validate: boolean;
  // Jobs submitted and not yet freed, oldest first; the first is waited for
  // on one thread of libuv's pool at a time, so a session occupies at most one.
  private readonly jobs: Job[] = [];
  private waiting = false;

  constructor(options: SessionOptions = {}) {
    this.validate = options.validate ?? true;
    const err: unknown[] = [null];
    const given = { ...(options.limits ? { limits: options.limits } : {}), ...(options.backend ? { backend: options.backend } : {}) };
    const opts = Object.keys(given).length > 0 ? JSON.stringify(given) : null;
    this.ptr = native().sessionNew(opts, err);
    if (!this.ptr) throw new MlxBridgeError(`session options rejected: ${err[0] ? takeString(err[0]) : 'unknown'}`);
  }

  private handlePtr(): unknown {
    if (!this.ptr) throw new MlxBridgeError('session is closed');
    return this.ptr;
  }

  /** Evaluates a request whose data all travels as JSON (outputs inline by default). */
  evalJson(request: EvalRequest | string): EvalResponse {
    const text = typeof request === 'string' ? request : JSON.stringify(request);
    if (this.validate && typeof request !== 'string') validateRequest(request);
    const res = JSON.parse(takeString(native().evalJson(this.handlePtr(), text, Buffer.byteLength(text)))) as RawResponse;
    return settleFull(res, this.validate);
  }

  /**
   * Evaluates a request whose inputs may name `buffers[i]` as {"buffer": i}:
   * they are read in place, not copied. Outputs default to buffers, read into TypedArrays.
   */
  eval(request: EvalRequest, buffers: ArrayBufferView[] = []): EvalResponse {
    if (this.validate) validateRequest(request);
    return this.send(JSON.stringify(request), buffers);
  }

  /**
   * eval() of a request already serialized (a caller that builds large graphs
   * writes the text directly). The engine checks it; with validation on, the
   * text is parsed and checked against the schema here first.
   */
  evalText(text: string, buffers?: ArrayBufferView[]): EvalResponse;
  /**
   * With `reply` 'compact', a request that evaluates (a graph, or a plan's
   * run) and returns every output as a handle or a buffer is answered with
   * the compact reply (runCompact's): a caller that infers dtypes and shapes
   * itself checks the reply's `types` without reading an object per output.
   */
  evalText(text: string, buffers: ArrayBufferView[], reply: 'full' | 'compact'): EvalResponse | CompactResponse;
  evalText(text: string, buffers: ArrayBufferView[] = [], reply: 'full' | 'compact' = 'full'): EvalResponse | CompactResponse {
    if (this.validate) validateRequest(JSON.parse(text) as EvalRequest);
    return reply === 'compact' ? this.send(text, buffers, readCompact, native().evalCompact) : this.send(text, buffers);
  }

  /**
   * Runs a plan with a request text that asks for the compact reply
   * (`"run_plan": name, "reply": "compact"`), as evalText runs a request:
   * the response, the engine's smallest, carries each output's handle or
   * buffer and the receipt's counts. Errors throw as eval() throws them.
   */
  runCompact(text: string, buffers: ArrayBufferView[] = []): CompactResponse {
    if (this.validate) {
      const request = JSON.parse(text) as EvalRequest;
      if (request.run_plan === undefined || request.reply !== 'compact') throw new MlxBridgeError('runCompact sends a run_plan request with "reply": "compact"');
      validateRequest(request);
    }
    return this.send(text, buffers, readCompact);
  }

  // Runs a request text that has passed whatever validation applies and reads its result.
  private send<R = EvalResponse>(
    text: string,
    buffers: ArrayBufferView[],
    read: (result: unknown, validate: boolean) => R = readResult as never,
    call: Native['eval'] = native().eval,
  ): R {
    const n = native();
    const structs = new Array<NativeBuffer>(buffers.length);
    for (let i = 0; i < buffers.length; i++) structs[i] = { data: buffers[i], size: buffers[i].byteLength };
    const result = call(this.handlePtr(), text, Buffer.byteLength(text), structs, structs.length);
    try {
      return read(result, this.validate);
    } finally {
      n.resultFree(result);
    }
  }

  /**
   * Queues a request (as evalText) to run after the jobs submitted before
   * it, off the calling thread, and returns at once. `buffers` are read in
   * place when it runs: they must not change until it has.
   */
  submit(text: string, buffers: ArrayBufferView[] = []): Job {
    if (this.validate) validateRequest(JSON.parse(text) as EvalRequest);
    const structs = buffers.map((b) => ({ data: b, size: b.byteLength }));
    const ptr = native().jobNew(this.handlePtr(), text, Buffer.byteLength(text), structs, structs.length);
    if (!ptr) throw new MlxBridgeError('the library returned NULL (out of memory)');
    const job = new Job(ptr, this.validate, buffers.length ? buffers : undefined);
    this.jobs.push(job);
    this.waitNext();
    return job;
  }

  // Waits for the oldest job on libuv's pool (which runs it as background
  // work, so that the event loop's thread gets a core the moment it wakes),
  // then reads and frees it.
  private waitNext(): void {
    if (this.waiting || !this.jobs.length) return;
    this.waiting = true;
    const job = this.jobs[0];
    native().jobWaitBackground.async(job.ptr, (err: unknown, result: unknown) => {
      this.waiting = false;
      this.jobs.shift();
      // a call koffi could not start (too many in flight) runs here instead
      job.take(err ? native().jobWait(job.ptr) : result);
      native().jobFree(job.ptr);
      job.ptr = null;
      this.waitNext();
    });
  }

  /**
   * Resident arrays over byte ranges of a file, mapped rather than read: the
   * engine reads their pages when an op first touches them. Outputs come
   * back in the order asked, each with its handle.
   */
  mapFile(path: string, arrays: MappedArray[]): EvalOutput[] {
    const spec = JSON.stringify({ arrays });
    const res = JSON.parse(takeString(native().mapFile(this.handlePtr(), path, spec, Buffer.byteLength(spec)))) as RawResponse;
    return settle(res, false).outputs!;
  }

  /** Releases a resident array; false when the session holds no such handle. Waits for a call running on the session. */
  release(handle: string): boolean {
    return native().release(this.handlePtr(), handle) === 0;
  }

  /**
   * Releases a resident array once the jobs submitted so far have run (they
   * may read it), without waiting for them: at once when none is pending
   * (false then when the session holds no such handle).
   */
  releaseAfterJobs(handle: string): boolean {
    return native().releaseAfterJobs(this.handlePtr(), handle) === 0;
  }

  /**
   * releaseAfterJobs() of several handles in one call; the number of them
   * the session held when nothing was pending (then they went at once), else 0.
   */
  releaseAllAfterJobs(handles: readonly string[]): number {
    let list = '';
    for (let i = 0; i < handles.length; i++) list += `${handles[i]} `;
    return Number(native().releaseListAfterJobs(this.handlePtr(), list, Buffer.byteLength(list)));
  }

  /**
   * The data of a resident array, copied straight into a TypedArray of its
   * dtype's storage (no request). `dtype` and `bytes` are what the caller
   * knows it holds: a handle of another size is an error, as is an unknown one.
   */
  read(handle: string, dtype: DType, bytes: number): TypedArray {
    const Storage = storageOf(dtype);
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes % itemSize(dtype)) throw new MlxBridgeError(`read: ${bytes} bytes is no whole number of ${dtype} elements`);
    const out = new Storage(new ArrayBuffer(bytes));
    const held = Number(native().read(this.handlePtr(), handle, out, bytes));
    if (held < 0) throw new MlxBridgeError(`read: no resident array ${handle} in this session`);
    if (held !== bytes) throw new MlxBridgeError(`read: resident array ${handle} holds ${held} bytes, not ${bytes} (${dtype})`);
    return out;
  }

  handleCount(): number {
    return Number(native().handleCount(this.handlePtr()));
  }

  /** Frees a plan kept by a "define_plan" request; false when the session holds no such plan. */
  releasePlan(name: string): boolean {
    return native().releasePlan(this.handlePtr(), name) === 0;
  }

  planCount(): number {
    return Number(native().planCount(this.handlePtr()));
  }

  /** Frees the session and every resident array it holds, after running the jobs still queued. */
  close(): void {
    if (this.ptr) native().sessionFree(this.ptr);
    this.ptr = null;
  }
}

export function version(): string {
  return native().version() as string;
}

/**
 * What the engine offers. With `validate` (the default) the answer is
 * checked against its schema first, which costs a schema compile on the
 * first call; a caller that trusts the engine it ships with can skip it.
 */
export function capabilities(options: { validate?: boolean } = {}): Capabilities {
  const caps = JSON.parse(takeString(native().capabilities())) as Capabilities;
  if (options.validate === false) return caps;
  const problem = checkAgainst('capabilities', caps);
  if (problem) throw new MlxBridgeError(problem);
  return caps;
}

export interface Capabilities {
  schema_version: 1;
  engine: string;
  engine_version: string;
  devices: string[];
  backends: BackendInfo[];
  dtypes: DType[];
  ops: Array<{
    name: string;
    family: string;
    inputs: { min: number; max: number | null };
    attrs: Array<{ name: string; type: string; required: boolean; nullable: boolean; default: unknown }>;
    dtype_rule: string;
    elementwise: boolean;
    /** The backends with a kernel for the op. */
    backends: BackendName[];
    /** The output's shape follows from the inputs' shapes alone (false where attributes fix sizes). */
    shapeless: boolean;
    /** Elementwise ops: the input dtypes they run on. */
    kernel_dtypes?: DType[];
  }>;
  limits: Record<string, number>;
}

export interface BackendInfo {
  name: BackendName;
  available: boolean;
  /** The engine's version, or MLX's for the mlx backend (when available). */
  version?: string;
  devices?: string[];
  /** Where the mlx backend loads libmlxc from. */
  library?: string;
  /** Why the backend is unavailable. */
  reason?: string;
}

/** The backend `name` as capabilities describe it. */
export function backendInfo(name: BackendName): BackendInfo {
  const info = capabilities().backends.find((b) => b.name === name);
  if (!info) throw new MlxBridgeError(`the engine has no backend ${name}`);
  return info;
}

export function memory(): MemoryFigures {
  return JSON.parse(takeString(native().memory())) as MemoryFigures;
}

export function clearCache(): void {
  native().clearCache();
}

export function resetPeakMemory(): void {
  native().resetPeak();
}

// The engine's memory limits in bytes (mlxcompat.h says what each does); each returns the one it replaces.
function limit(which: string, bytes: number, set: (n: number) => number | bigint): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new MlxBridgeError(`the ${which} limit is a whole number of bytes, got ${bytes}`);
  return Number(set(bytes));
}
export const setMemoryLimit = (bytes: number): number => limit('memory', bytes, native().setMemoryLimit);
export const setCacheLimit = (bytes: number): number => limit('cache', bytes, native().setCacheLimit);
export const setWiredLimit = (bytes: number): number => limit('wired', bytes, native().setWiredLimit);
