// Arrays in and out of files: mapped by the engine, made from bytes read
// here, or read back to be written.
import { MlxRequestError, MlxRefusedError, typedFromBytes, type MappedArray } from 'mlx-capi-bridge';
import { MxArray, Value } from '../array.js';
import { type Dtype } from '../dtype.js';
import { adopt, collectArrays, evalArrays, readBack, session, track } from '../graph.js';
import { bytesOf, type FileReader } from './files.js';

export interface Placed {
  dtype: Dtype;
  shape: number[];
  /** Byte offset in the file. */
  offset: number;
}

/** Resident arrays over byte ranges of the file, mapped by the engine and read when used. */
export function mapped(f: FileReader, placed: Placed[]): MxArray[] {
  if (!placed.length) return [];
  const spec: MappedArray[] = placed.map((p) => ({ dtype: p.dtype.name, shape: p.shape, offset: p.offset }));
  let outs;
  try {
    outs = session().mapFile(f.path, spec);
  } catch (e) {
    if (e instanceof MlxRequestError) f.fail(e.code === 'file_not_found' ? 'not_found' : e.code === 'out_of_file' ? 'truncated' : 'bad_header', e.message);
    if (e instanceof MlxRefusedError) f.fail('bad_header', e.message);
    throw e;
  }
  return outs.map((o, i) => adopt(placed[i].dtype, placed[i].shape, o.handle!));
}

/** An array holding a copy of `bytes` (row-major, the dtype's storage). */
export function fromBytes(dtype: Dtype, shape: number[], bytes: Uint8Array): MxArray {
  const v = new Value(dtype, shape);
  v.host = typedFromBytes(dtype.name, bytes);
  return track(v);
}

/** The arrays' bytes, row-major, evaluated in one request. */
export function bytesToSave(arrays: MxArray[]): Uint8Array[] {
  evalArrays(collectArrays(arrays));
  return arrays.map((a) => bytesOf(readBack(a._v)));
}
