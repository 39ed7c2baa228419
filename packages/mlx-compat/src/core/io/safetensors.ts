// safetensors: an 8-byte little-endian header length, a JSON header
// ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
// {str: str}}), then the tensors' bytes, offsets relative to the data's start.
import { MxArray } from '../array.js';
import { bfloat16, bool, complex64, float16, float32, float64, int16, int32, int64, int8, uint16, uint32, uint64, uint8, type Dtype } from '../dtype.js';
import { bytesToSave, mapped } from './arrays.js';
import { MxIOError } from './errors.js';
import { type FileReader, writeParts } from './files.js';

const DTYPES: Record<string, Dtype> = {
  BOOL: bool, U8: uint8, I8: int8, U16: uint16, I16: int16, U32: uint32, I32: int32, U64: uint64, I64: int64,
  F16: float16, BF16: bfloat16, F32: float32, F64: float64, C64: complex64,
};
const NAMES = new Map(Object.entries(DTYPES).map(([k, d]) => [d, k]));
// Read as MLX v0.31.2 reads them (it has no float8 dtype): E4M3 bytes as uint8.
const READ_AS: Record<string, Dtype> = { F8_E4M3: uint8 };

// The format's own bound on the header (100 MB), so a lying length reads no more.
const MAX_HEADER = 100_000_000;

export function loadSafetensors(f: FileReader): { arrays: Record<string, MxArray>; metadata: Record<string, string> } {
  const head = f.read(0, 8, 'header length');
  const n = Number(new DataView(head.buffer).getBigUint64(0, true));
  if (n > MAX_HEADER) f.fail('bad_header', `the header length ${n} exceeds the format's 100 MB`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(f.read(8, n, 'header')));
  } catch (e) {
    if (e instanceof MxIOError) throw e;
    f.fail('bad_header', `the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) f.fail('bad_header', 'the header is not a JSON object');
  const dataStart = 8 + n;
  const dataBytes = f.size - dataStart;
  let metadata: Record<string, string> = {};
  const names: string[] = [];
  const placed: Array<{ dtype: Dtype; shape: number[]; offset: number; end: number }> = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (entry === null) continue; // MLX 0.13 writes "__metadata__": null when there is none
      if (!isObject(entry) || !Object.values(entry).every((v) => typeof v === 'string'))
        f.fail('bad_header', '__metadata__ must map strings to strings');
      metadata = entry as Record<string, string>;
      continue;
    }
    const at = `tensor "${name}"`;
    if (!isObject(entry)) f.fail('bad_header', `${at} is not an object`);
    const { dtype: code, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof code !== 'string') f.fail('bad_header', `${at} has no dtype`);
    const dtype = Object.hasOwn(DTYPES, code) ? DTYPES[code] : Object.hasOwn(READ_AS, code) ? READ_AS[code] : f.fail('bad_dtype', `${at} has dtype ${JSON.stringify(code)}, which MLX does not load`);
    if (!Array.isArray(shape) || !shape.every(isSize)) f.fail('bad_header', `${at} has shape ${JSON.stringify(shape)}, not a list of sizes`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize) || offsets[0] > offsets[1])
      f.fail('bad_header', `${at} has data_offsets ${JSON.stringify(offsets)}, not [begin, end]`);
    const count = (shape as number[]).reduce((p, d) => p * d, 1);
    const [b, e] = offsets as number[];
    if (e - b !== count * dtype.size)
      f.fail('bad_offsets', `${at} of ${dtype.name}[${shape}] needs ${count * dtype.size} bytes but data_offsets [${b}, ${e}] hold ${e - b}`);
    if (e > dataBytes) f.fail('truncated', `${at} ends at data byte ${e} but the file holds ${Math.max(0, dataBytes)} bytes of data`);
    names.push(name);
    placed.push({ dtype, shape: shape as number[], offset: dataStart + b, end: dataStart + e });
  }
  const order = placed.map((_, i) => i).filter((i) => placed[i].end > placed[i].offset).sort((i, j) => placed[i].offset - placed[j].offset);
  for (let k = 1; k < order.length; k++) {
    const p = placed[order[k - 1]], q = placed[order[k]];
    if (q.offset < p.end) f.fail('overlap', `tensors "${names[order[k - 1]]}" and "${names[order[k]]}" share bytes ${q.offset - dataStart} to ${Math.min(p.end, q.end) - dataStart}`);
  }
  const arrays = mapped(f, placed);
  return { arrays: Object.fromEntries(names.map((name, i) => [name, arrays[i]])), metadata };
}

export function saveSafetensors(op: string, path: string, arrays: Record<string, MxArray>, metadata: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(metadata))
    if (typeof v !== 'string') throw new MxIOError(op, path, 'bad_argument', `metadata "${k}" is ${typeof v}; safetensors metadata values are strings`);
  const names = Object.keys(arrays);
  const list = names.map((name) => {
    const a = arrays[name];
    if (!(a instanceof MxArray)) throw new MxIOError(op, path, 'bad_argument', `"${name}" is not an array`);
    return a;
  });
  const data = bytesToSave(list);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let at = 0;
  names.forEach((name, i) => {
    header[name] = { dtype: NAMES.get(list[i].dtype), shape: list[i].shape, data_offsets: [at, at + data[i].byteLength] };
    at += data[i].byteLength;
  });
  // Padded with spaces to a multiple of 8, so that every tensor of an
  // aligned file maps aligned.
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - ((Buffer.byteLength(text) + 8) % 8)) % 8);
  const json = Buffer.from(text, 'utf-8');
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  writeParts(op, path, [len, json, ...data]);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isSize(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
