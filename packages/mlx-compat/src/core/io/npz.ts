// NumPy's .npz: a zip archive of .npy files, read and written with fflate
// (MIT, pinned). Entries are checked before fflate inflates them, so a
// central directory that lies about sizes allocates nothing large.
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { MxArray } from '../array.js';
import { bytesToSave } from './arrays.js';
import { MxIOError } from './errors.js';
import { type FileReader, writeParts } from './files.js';
import { npyBytes, npyFromBytes } from './npy.js';

// Deflate cannot expand data by more than about 1032 times.
const MAX_RATIO = 1032;

export function loadNpz(f: FileReader): Record<string, MxArray> {
  const data = f.read(0, f.size, 'archive');
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(data, {
      filter: (e) => {
        if (!e.name.endsWith('.npy')) f.fail('bad_header', `archive entry ${JSON.stringify(e.name)} is not an .npy file`);
        if (e.compression !== 0 && e.compression !== 8) f.fail('bad_header', `archive entry "${e.name}" uses compression method ${e.compression} (npz uses 0 or 8)`);
        if (!(e.size <= f.size)) f.fail('truncated', `archive entry "${e.name}" claims ${e.size} bytes in a file of ${f.size}`);
        const bound = e.compression === 0 ? e.size : e.size * MAX_RATIO + 1024;
        if (!(e.originalSize <= bound)) f.fail('bad_header', `archive entry "${e.name}" claims ${e.originalSize} bytes from ${e.size} stored`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof MxIOError) throw e;
    f.fail('bad_header', `not a readable zip archive (${(e as Error).message})`);
  }
  const out: Record<string, MxArray> = {};
  for (const [name, bytes] of Object.entries(entries)) {
    out[name.slice(0, -4)] = npyFromBytes(bytes, (code, detail) => f.fail(code, `entry "${name}": ${detail}`));
  }
  return out;
}

export function saveNpz(op: string, path: string, arrays: Record<string, MxArray>, compressed: boolean): void {
  const names = Object.keys(arrays);
  const list = names.map((n) => arrays[n]);
  const data = bytesToSave(list);
  const files: Zippable = {};
  names.forEach((n, i) => {
    files[`${n}.npy`] = Buffer.concat(npyBytes(list[i].dtype, list[i].shape, data[i]));
  });
  let zipped: Uint8Array;
  try {
    zipped = zipSync(files, { level: compressed ? 6 : 0 });
  } catch (e) {
    throw new MxIOError(op, path, 'bad_argument', `cannot make the archive (${(e as Error).message})`);
  }
  writeParts(op, path, [zipped]);
}
