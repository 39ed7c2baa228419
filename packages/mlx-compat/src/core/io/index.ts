// mx.load, mx.save, mx.savez, mx.savezCompressed, mx.saveSafetensors,
// mx.saveGguf: MLX's file formats, checked as they are read (every bad file
// gets an MxIOError naming it and what is wrong).
import { MxArray, type ArrayLike } from '../array.js';
import { asArray } from '../node.js';
import { bytesToSave } from './arrays.js';
import { MxIOError } from './errors.js';
import { withExtension, withFile, writeParts } from './files.js';
import { loadGguf, saveGguf as writeGguf, type GgufMetadata } from './gguf.js';
import { loadNpy, npyBytes } from './npy.js';
import { loadNpz, saveNpz } from './npz.js';
import { loadSafetensors, saveSafetensors as writeSafetensors } from './safetensors.js';

export { MxIOError, type IOErrorCode } from './errors.js';
export type { GgufMetadata } from './gguf.js';

export type LoadFormat = 'npy' | 'npz' | 'safetensors' | 'gguf';
export type Metadata = Record<string, string> | GgufMetadata;

function formatOf(file: string, format: string | null | undefined): LoadFormat {
  const f = format ?? file.slice(file.lastIndexOf('.') + 1);
  if (f === 'npy' || f === 'npz' || f === 'safetensors' || f === 'gguf') return f;
  throw new MxIOError('load', file, 'unknown_format', format ? `format "${format}" is none of npy, npz, safetensors, gguf` : 'the extension is none of .npy, .npz, .safetensors, .gguf (pass a format)');
}

/**
 * Loads arrays from a file: an array from .npy, a record of arrays from
 * .npz, .safetensors and .gguf. With returnMetadata (safetensors and gguf)
 * returns [arrays, metadata]. safetensors and npy data are mapped, not read:
 * an array's bytes are read from the file when it is first used.
 */
export function load(file: string, format?: LoadFormat | null, returnMetadata?: false): MxArray | Record<string, MxArray>;
export function load(file: string, format: LoadFormat | null | undefined, returnMetadata: true): [Record<string, MxArray>, Metadata];
export function load(file: string, format?: LoadFormat | null, returnMetadata = false): MxArray | Record<string, MxArray> | [Record<string, MxArray>, Metadata] {
  if (typeof file !== 'string') throw new MxIOError('load', String(file), 'bad_argument', 'the file must be a path');
  const fmt = formatOf(file, format);
  if (returnMetadata && (fmt === 'npy' || fmt === 'npz')) throw new MxIOError('load', file, 'bad_argument', `metadata is not supported for format ${fmt}`);
  return withFile('load', file, (f) => {
    switch (fmt) {
      case 'npy': return loadNpy(f);
      case 'npz': return loadNpz(f);
      case 'safetensors': {
        const r = loadSafetensors(f);
        return returnMetadata ? [r.arrays, r.metadata] : r.arrays;
      }
      case 'gguf': {
        const r = loadGguf(f);
        return returnMetadata ? [r.arrays, r.metadata] : r.arrays;
      }
    }
  });
}

/** Saves an array as .npy (the extension is added when missing, as MLX does). */
export function save(file: string, arr: ArrayLike): void {
  const path = withExtension(file, '.npy');
  const a = asArray(arr);
  writeParts('save', path, npyBytes(a.dtype, a.shape, bytesToSave([a])[0]));
}

type SavezArg = MxArray | Record<string, MxArray>;

// savez(file, a, b, {name: c}): positional arrays are arr_0, arr_1, ...
function named(op: string, path: string, args: SavezArg[]): Record<string, MxArray> {
  const out: Record<string, MxArray> = {};
  let i = 0;
  for (const a of args) {
    if (a instanceof MxArray) out[`arr_${i++}`] = a;
    else if (a && typeof a === 'object')
      for (const [k, v] of Object.entries(a)) {
        if (!(v instanceof MxArray)) throw new MxIOError(op, path, 'bad_argument', `"${k}" is not an array`);
        if (Object.hasOwn(out, k)) throw new MxIOError(op, path, 'bad_argument', `"${k}" is given twice`);
        out[k] = v;
      }
    else throw new MxIOError(op, path, 'bad_argument', 'expected arrays or records of arrays');
  }
  return out;
}

/** Saves arrays as an uncompressed .npz; positional arrays are named arr_0, arr_1, ... */
export function savez(file: string, ...args: SavezArg[]): void {
  const path = withExtension(file, '.npz');
  saveNpz('savez', path, named('savez', path, args), false);
}

/** savez with deflate compression. */
export function savezCompressed(file: string, ...args: SavezArg[]): void {
  const path = withExtension(file, '.npz');
  saveNpz('savezCompressed', path, named('savezCompressed', path, args), true);
}

/** Saves a record of arrays as .safetensors, with optional string metadata. */
export function saveSafetensors(file: string, arrays: Record<string, MxArray>, metadata?: Record<string, string>): void {
  const path = withExtension(file, '.safetensors');
  writeSafetensors('saveSafetensors', path, arrays, metadata);
}

/** Saves a record of arrays as .gguf; metadata values are arrays (scalars or 1-d), strings or lists of strings. */
export function saveGguf(file: string, arrays: Record<string, MxArray>, metadata?: GgufMetadata): void {
  const path = withExtension(file, '.gguf');
  writeGguf('saveGguf', path, arrays, metadata);
}
