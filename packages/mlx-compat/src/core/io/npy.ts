// NumPy's .npy: the magic "\x93NUMPY", a version, a header length, a Python
// dict literal {'descr', 'fortran_order', 'shape'}, then the data.
import { MxArray } from '../array.js';
import { bfloat16, bool, complex64, float16, float32, float64, int16, int32, int64, int8, uint16, uint32, uint64, uint8, type Dtype } from '../dtype.js';
import { transpose } from '../ops/shape.js';
import { fromBytes, mapped } from './arrays.js';
import { type FileReader } from './files.js';

// Type codes without their byte-order mark; bfloat16 is MLX's "V2" (NumPy has none).
const CODES: Record<string, Dtype> = {
  b1: bool, u1: uint8, u2: uint16, u4: uint32, u8: uint64, i1: int8, i2: int16, i4: int32, i8: int64,
  f2: float16, V2: bfloat16, f4: float32, f8: float64, c8: complex64,
};
const CODE_OF = new Map(Object.entries(CODES).map(([k, d]) => [d, k]));
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

interface Header {
  dtype: Dtype;
  bigEndian: boolean;
  fortran: boolean;
  shape: number[];
  dataOffset: number;
}

type Fail = (code: 'bad_magic' | 'bad_header' | 'bad_dtype' | 'truncated', detail: string) => never;

/** Reads the header from the file's first bytes (`read(offset, length)`). */
function readHeader(read: (offset: number, length: number, what: string) => Uint8Array, fail: Fail): Header {
  const pre = read(0, 10, 'npy preamble');
  if (!MAGIC.every((b, i) => pre[i] === b)) fail('bad_magic', 'not an npy file (no \\x93NUMPY magic)');
  const major = pre[6];
  if (major < 1 || major > 3) fail('bad_header', `npy format version ${major}.${pre[7]} is not 1, 2 or 3`);
  let len: number, start: number;
  if (major === 1) {
    len = pre[8] | (pre[9] << 8);
    start = 10;
  } else {
    len = new DataView(read(8, 4, 'npy header length').buffer).getUint32(0, true);
    start = 12;
  }
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(read(start, len, 'npy header'));
  } catch (e) {
    if ((e as Error).name === 'MxIOError') throw e;
    return fail('bad_header', 'the header is not text');
  }
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    fail('bad_header', `the header ${JSON.stringify(text.slice(0, 200))} lacks descr, fortran_order or shape`);
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length);
  if (!parts.every((s) => /^\d{1,15}$/.test(s))) fail('bad_header', `shape (${shapeText}) is not a tuple of sizes`);
  const order = descr[0];
  const code = '<>|='.includes(order) ? descr.slice(1) : descr;
  const dtype = Object.hasOwn(CODES, code) ? CODES[code] : fail('bad_dtype', `dtype ${JSON.stringify(descr)} is not one MLX loads`);
  return { dtype, bigEndian: order === '>' && dtype.size > 1, fortran: fortran === 'True', shape: parts.map(Number), dataOffset: start + len };
}

function byteCount(h: Header, fail: Fail): number {
  const count = h.shape.reduce((p, d) => p * d, 1);
  if (!Number.isSafeInteger(count * h.dtype.size)) fail('bad_header', `shape (${h.shape}) is too large`);
  return count * h.dtype.size;
}

// Big-endian data read into little-endian order, item by item (complex64: each float).
function swapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let k = 0; k < size; k++) out[i + k] = bytes[i + size - 1 - k];
  return out;
}

function finish(h: Header, a: MxArray): MxArray {
  return h.fortran && h.shape.length > 1 ? transpose(a) : a;
}

// Fortran order stores the transpose's rows: read reversed, then transposed.
const stored = (h: Header) => (h.fortran ? [...h.shape].reverse() : h.shape);

/** An .npy file: its data mapped by the engine (copied when big-endian). */
export function loadNpy(f: FileReader): MxArray {
  const h = readHeader((o, l, w) => f.read(o, l, w), (c, d) => f.fail(c, d));
  const n = byteCount(h, (c, d) => f.fail(c, d));
  if (h.dataOffset + n > f.size) f.fail('truncated', `${h.dtype.name}[${h.shape}] needs ${n} bytes of data but the file holds ${f.size - h.dataOffset}`);
  if (h.bigEndian) {
    const size = h.dtype === complex64 ? 4 : h.dtype.size;
    return finish(h, fromBytes(h.dtype, stored(h), swapped(f.read(h.dataOffset, n, 'data'), size)));
  }
  return finish(h, mapped(f, [{ dtype: h.dtype, shape: stored(h), offset: h.dataOffset }])[0]);
}

/** An .npy file held in memory (an npz entry); `fail` names the entry. */
export function npyFromBytes(bytes: Uint8Array, fail: Fail): MxArray {
  const read = (o: number, l: number, what: string) => {
    if (o + l > bytes.length) fail('truncated', `the entry ends at byte ${bytes.length}, before the ${what}`);
    return bytes.slice(o, o + l);
  };
  const h = readHeader(read, fail);
  const n = byteCount(h, fail);
  let data: Uint8Array = read(h.dataOffset, n, 'data');
  if (h.bigEndian) data = swapped(data, h.dtype === complex64 ? 4 : h.dtype.size);
  return finish(h, fromBytes(h.dtype, stored(h), data));
}

/** An .npy file's bytes: version 1, little-endian, C order, header padded to 64 bytes. */
export function npyBytes(dtype: Dtype, shape: readonly number[], data: Uint8Array): Uint8Array[] {
  const order = dtype.size === 1 ? '|' : '<';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${order}${CODE_OF.get(dtype)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  dict += ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
  const pre = new Uint8Array([...MAGIC, 1, 0, dict.length & 0xff, dict.length >> 8]);
  return [pre, Buffer.from(dict, 'latin1'), data];
}
