// MLX's function export: exportFunction writes fn, traced on its arguments'
// dtypes and shapes, to a .mlxfn file that MLX reads (mx.import_function in
// Python, mlx_imported_function_new in C); importFunction reads a file MLX
// (or exportFunction) wrote; exporter writes one function traced at several
// signatures. Whatever backend the facade computes on, the engine's mlx
// backend (real MLX through mlx-c) writes and reads the files, so they are
// MLX's own format; without libmlxc these calls raise its refusal.
import { MxArray, Value } from '../array.js';
import { buildRequest, evalValues, finish, ref, session, track, untidied } from '../graph.js';
import { MxError } from '../errors.js';
import { dtypeByName } from '../dtype.js';

export interface ExportOptions {
  /** Trace once for inputs of any shape of the same ranks (MLX's shapeless export). */
  shapeless?: boolean;
}

type ExportedFn = (...args: MxArray[]) => MxArray | MxArray[];

// MLX adds the extension when the path lacks it.
const withExtension = (file: string) => (file.endsWith('.mlxfn') ? file : `${file}.mlxfn`);

function checkFile(op: string, file: unknown): string {
  if (typeof file !== 'string' || file === '') throw new MxError(op, 'file', `must be a path, not ${JSON.stringify(file)}`);
  return withExtension(file);
}

function checkArrays(op: string, args: unknown[]): MxArray[] {
  args.forEach((a, i) => {
    if (!(a instanceof MxArray)) throw new MxError(op, `args[${i}]`, `must be an array (an exported function takes arrays), not ${typeof a}`);
  });
  return args as MxArray[];
}

interface Traced {
  placeholders: Value[];
  outputs: Value[];
}

// fn on placeholders of the arguments' dtypes and shapes; it returns an array or a list of them.
function trace(op: string, fn: ExportedFn, args: MxArray[]): Traced {
  return untidied(() => {
    const placeholders = args.map((x) => {
      const v = new Value(x.dtype, x.shape);
      v.placeholder = true;
      return v;
    });
    const out = fn(...placeholders.map((p) => track(p)));
    const list = Array.isArray(out) ? out : [out];
    list.forEach((o, i) => {
      if (!(o instanceof MxArray)) throw new MxError(op, 'fn', `must return an array or a list of arrays; result ${i} is ${typeof o}`);
    });
    return { placeholders, outputs: list.map((o) => o._v) };
  });
}

function write(file: string, shapeless: boolean, traces: Traced[]): void {
  const placeholders = new Set(traces.flatMap((t) => t.placeholders));
  const outputs = traces.flatMap((t) => t.outputs);
  const spec = { file, shapeless, traces: traces.map((t) => ({ inputs: t.placeholders.map(ref), outputs: t.outputs.map(ref) })) };
  const { text, buffers } = buildRequest(outputs, placeholders, { export_function: spec });
  session().evalText(text, buffers);
}

function splitOptions(op: string, rest: unknown[]): [MxArray[], ExportOptions] {
  const last = rest[rest.length - 1];
  const options = last !== undefined && !(last instanceof MxArray) && typeof last === 'object' ? (rest.pop() as ExportOptions) : {};
  if (options.shapeless !== undefined && typeof options.shapeless !== 'boolean') throw new MxError(op, 'shapeless', `must be a boolean, not ${JSON.stringify(options.shapeless)}`);
  return [checkArrays(op, rest), options];
}

/**
 * MLX's export_function(file, fun, *args, shapeless=False): mx.exportFunction(file, fn, ...args) or
 * mx.exportFunction(file, fn, ...args, { shapeless: true }). fn takes and returns arrays.
 */
export function exportFunction(file: string, fn: ExportedFn, ...args: Array<MxArray | ExportOptions>): void {
  const path = checkFile('exportFunction', file);
  if (typeof fn !== 'function') throw new MxError('exportFunction', 'fn', 'must be a function of arrays');
  const [arrays, options] = splitOptions('exportFunction', args);
  write(path, options.shapeless ?? false, [trace('exportFunction', fn, arrays)]);
}

/** A function read from a .mlxfn file: called with arrays, it returns the list of arrays MLX's function gives. */
export type ImportedFunction = (...args: MxArray[]) => MxArray[];

/** MLX's import_function(file): the function a .mlxfn file holds, computed by MLX through the mlx backend. */
export function importFunction(file: string): ImportedFunction {
  const path = checkFile('importFunction', file);
  return (...args: MxArray[]) => {
    checkArrays('importFunction', args);
    evalValues(args.map((x) => x._v));
    const buffers: ArrayBufferView[] = [];
    const inputs = args.map((x, i) => {
      if (x._v.handle) return { id: `x${i}`, handle: x._v.handle };
      buffers.push(x._v.host!);
      return { id: `x${i}`, dtype: x.dtype.name, shape: x.shape, buffer: buffers.length - 1 };
    });
    const res = session().eval(
      {
        schema_version: 1,
        backend: 'mlx',
        inputs,
        nodes: [{ id: 'f', op: 'import_function', inputs: inputs.map((x) => x.id), attrs: { file: path } }],
        outputs: [{ ref: 'f:*', as: 'handle' }],
      },
      buffers,
    );
    const values = res.outputs.map((o) => new Value(dtypeByName(o.dtype), o.shape));
    finish(values, res.outputs);
    return values.map((v) => track(v));
  };
}

/** MLX's FunctionExporter: each call traces the function for its arguments; close() writes the file. */
export interface FunctionExporter {
  (...args: MxArray[]): void;
  close(): void;
  [Symbol.dispose](): void;
}

/**
 * MLX's exporter(file, fun, shapeless=False): `const ex = mx.exporter(file, fn); ex(x); ex(y); ex.close()`
 * (or `using ex = ...`) writes one .mlxfn holding fn traced at each call's signature.
 */
export function exporter(file: string, fn: ExportedFn, shapeless = false): FunctionExporter {
  const path = checkFile('exporter', file);
  if (typeof fn !== 'function') throw new MxError('exporter', 'fn', 'must be a function of arrays');
  const traces: Traced[] = [];
  let closed = false;
  const ex = ((...args: MxArray[]) => {
    if (closed) throw new MxError('exporter', 'call', `the exporter of ${path} is closed`);
    traces.push(trace('exporter', fn, checkArrays('exporter', args)));
  }) as FunctionExporter;
  ex.close = () => {
    if (closed) return;
    closed = true;
    if (traces.length) write(path, shapeless, traces);
  };
  ex[Symbol.dispose] = ex.close;
  return ex;
}
