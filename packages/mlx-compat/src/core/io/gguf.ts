// GGUF (version 2 and 3; llama.cpp's format): a header of key-value
// metadata and tensor infos, then the tensors aligned in a data section.
// Written here: @huggingface/gguf, the maintained JavaScript reader, only
// reads, and only asynchronously over fetch; mx.load is synchronous and
// saveGguf must write.
import { MxArray } from '../array.js';
import { bfloat16, bool, float16, float32, float64, int16, int32, int64, int8, uint16, uint32, uint64, uint8, type Dtype } from '../dtype.js';
import { bytesToSave, fromBytes, mapped, type Placed } from './arrays.js';
import { MxIOError } from './errors.js';
import { type FileReader, writeParts } from './files.js';
import { floatToHalf, halfToFloat } from './half.js';

export type GgufMetadata = Record<string, MxArray | string | string[]>;

// ggml tensor types MLX loads as plain arrays.
const PLAIN: Record<number, Dtype> = { 0: float32, 1: float16, 24: int8, 25: int16, 26: int32, 27: int64, 28: float64, 30: bfloat16 };
const PLAIN_ID = new Map<Dtype, number>([[float32, 0], [float16, 1], [bfloat16, 30], [int8, 24], [int16, 25], [int32, 26]]);
// Quantized types MLX unpacks into its affine layout (groups of 32): bytes per block, bits.
const QUANT: Record<number, { name: string; block: number; bits: number }> = {
  2: { name: 'Q4_0', block: 18, bits: 4 },
  3: { name: 'Q4_1', block: 20, bits: 4 },
  8: { name: 'Q8_0', block: 34, bits: 8 },
};
// Metadata value types: id -> dtype of its numeric values (8 is a string, 9 an array).
const VALUE: Record<number, Dtype> = { 0: uint8, 1: int8, 2: uint16, 3: int16, 4: uint32, 5: int32, 6: float32, 7: bool, 10: uint64, 11: int64, 12: float64 };
const VALUE_ID = new Map(Object.entries(VALUE).map(([k, d]) => [d, Number(k)]));
const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32

// A cursor over the header, reading the file in pieces as it goes.
class Cursor {
  pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private base = 0;

  constructor(private readonly f: FileReader) {}

  private need(n: number, what: string): number {
    if (this.pos + n > this.base + this.buf.length) {
      const len = Math.min(Math.max(n, 1 << 20), this.f.size - this.pos);
      this.buf = this.f.read(this.pos, Math.max(len, n), what);
      this.view = new DataView(this.buf.buffer);
      this.base = this.pos;
    }
    const at = this.pos - this.base;
    this.pos += n;
    return at;
  }
  u32(what: string): number {
    const at = this.need(4, what); // before reading this.view: need may replace it
    return this.view.getUint32(at, true);
  }
  u64(what: string): number {
    const at = this.need(8, what);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.f.fail('bad_header', `the ${what} ${v} is too large`);
    return Number(v);
  }
  bytes(n: number, what: string): Uint8Array {
    if (n > this.f.size - this.pos) this.f.fail('truncated', `the ${what} claims ${n} bytes but the file ends at ${this.f.size}`);
    const at = this.need(n, what);
    return this.buf.slice(at, at + n);
  }
  str(what: string): string {
    const n = this.u64(`length of the ${what}`);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(n, what));
    } catch (e) {
      if (e instanceof MxIOError) throw e;
      return this.f.fail('bad_header', `the ${what} is not UTF-8`);
    }
  }
  /** How many items of at least `min` bytes the rest of the file can hold; more is a lie. */
  count(n: number, min: number, what: string): number {
    if (n * min > this.f.size - this.pos) this.f.fail('bad_header', `${n} ${what} cannot fit in the ${this.f.size - this.pos} bytes left`);
    return n;
  }
}

function readValue(c: Cursor, f: FileReader, type: number, key: string): MxArray | string | string[] {
  if (type === 8) return c.str(`value of "${key}"`);
  if (type === 9) {
    const inner = c.u32(`item type of "${key}"`);
    if (inner === 8) {
      const n = c.count(c.u64(`length of "${key}"`), 8, `strings of "${key}"`);
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(c.str(`item ${i} of "${key}"`));
      return out;
    }
    const dtype = VALUE[inner] ?? f.fail('bad_dtype', `"${key}" is an array of value type ${inner}, which MLX does not load`);
    const n = c.count(c.u64(`length of "${key}"`), dtype.size, `items of "${key}"`);
    return fromBytes(dtype, [n], c.bytes(n * dtype.size, `items of "${key}"`));
  }
  const dtype = VALUE[type] ?? f.fail('bad_dtype', `"${key}" has value type ${type}, which GGUF does not define`);
  return fromBytes(dtype, [], c.bytes(dtype.size, `value of "${key}"`));
}

interface TensorInfo {
  name: string;
  shape: number[]; // row-major: GGUF's dimensions reversed
  type: number;
  offset: number;
  bytes: number;
}

export function loadGguf(f: FileReader): { arrays: Record<string, MxArray>; metadata: GgufMetadata } {
  const c = new Cursor(f);
  if (c.u32('magic') !== MAGIC) f.fail('bad_magic', 'not a GGUF file (no "GGUF" magic)');
  const version = c.u32('version');
  if (version !== 2 && version !== 3) f.fail('bad_header', `GGUF version ${version} is not 2 or 3`);
  const nTensors = c.count(c.u64('tensor count'), 32, 'tensor infos');
  const nKv = c.count(c.u64('metadata count'), 12, 'metadata entries');
  const metadata: GgufMetadata = {};
  let alignment = 32;
  for (let i = 0; i < nKv; i++) {
    const key = c.str(`key of metadata entry ${i}`);
    const value = readValue(c, f, c.u32(`value type of "${key}"`), key);
    if (key === 'general.alignment') {
      const a = value instanceof MxArray && value.ndim === 0 ? Number(value.item()) : 0;
      if (!(a > 0 && (a & (a - 1)) === 0)) f.fail('bad_header', 'general.alignment is not a power of two');
      alignment = a;
    }
    metadata[key] = value;
  }
  const infos: TensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = c.str(`name of tensor ${i}`);
    const nd = c.u32(`rank of "${name}"`);
    if (nd > 8) f.fail('bad_header', `tensor "${name}" has rank ${nd}`);
    const dims: number[] = [];
    for (let d = 0; d < nd; d++) dims.push(c.u64(`dimension ${d} of "${name}"`));
    const type = c.u32(`type of "${name}"`);
    const offset = c.u64(`offset of "${name}"`);
    const count = dims.reduce((p, d) => p * d, 1);
    if (!Number.isSafeInteger(count * 8)) f.fail('bad_header', `tensor "${name}" has dimensions ${dims} too large`);
    let bytes: number;
    if (PLAIN[type]) bytes = count * PLAIN[type].size;
    else if (QUANT[type]) {
      if (!nd || dims[0] % 32) f.fail('bad_header', `tensor "${name}" of ${QUANT[type].name} has a last dimension ${dims[0]} that is not a multiple of 32`);
      bytes = (count / 32) * QUANT[type].block;
    } else return f.fail('bad_dtype', `tensor "${name}" has ggml type ${type}, which MLX does not load (it loads F32, F16, BF16, I8, I16, I32, I64, F64, Q4_0, Q4_1, Q8_0)`);
    infos.push({ name, shape: dims.reverse(), type, offset, bytes });
  }
  const dataStart = Math.ceil(c.pos / alignment) * alignment;
  const sorted = infos.filter((t) => t.bytes).sort((a, b) => a.offset - b.offset);
  sorted.forEach((t, k) => {
    if (dataStart + t.offset + t.bytes > f.size)
      f.fail('truncated', `tensor "${t.name}" needs bytes ${dataStart + t.offset} to ${dataStart + t.offset + t.bytes} but the file ends at ${f.size}`);
    if (k && t.offset < sorted[k - 1].offset + sorted[k - 1].bytes) f.fail('overlap', `tensors "${sorted[k - 1].name}" and "${t.name}" share bytes`);
  });
  const arrays: Record<string, MxArray> = {};
  const put = (name: string, a: MxArray) => {
    if (Object.hasOwn(arrays, name)) f.fail('bad_header', `two tensors are named "${name}"`);
    arrays[name] = a;
  };
  const plain = infos.filter((t) => PLAIN[t.type]);
  const placed: Placed[] = plain.map((t) => ({ dtype: PLAIN[t.type], shape: t.shape, offset: dataStart + t.offset }));
  mapped(f, placed).forEach((a, i) => put(plain[i].name, a));
  for (const t of infos.filter((t) => QUANT[t.type])) {
    const { weights, scales, biases } = unpack(t.type, f.read(dataStart + t.offset, t.bytes, `data of "${t.name}"`));
    const q = QUANT[t.type];
    const last = t.shape[t.shape.length - 1];
    put(t.name, fromBytes(uint32, [...t.shape.slice(0, -1), (last * q.bits) / 32], weights));
    // MLX names the parts after the weight: "x.weight" -> "x.scales", "x.biases".
    const prefix = t.name.length >= 7 ? t.name.slice(0, -7) : t.name;
    put(`${prefix}.scales`, fromBytes(float16, [...t.shape.slice(0, -1), last / 32], scales));
    put(`${prefix}.biases`, fromBytes(float16, [...t.shape.slice(0, -1), last / 32], biases));
  }
  return { arrays, metadata };
}

// Q4_0 (d, 16 bytes: element j in the low nibble of byte j, j + 16 in its
// high nibble; x = (q - 8) d), Q4_1 (d, m, the same nibbles; x = q d + m)
// and Q8_0 (d, 32 signed bytes; x = q d) into MLX's affine layout: element
// i of a row in bits 4(i % 8) of word i / 8 (4 bits) or byte i (8 bits), w
// = q' scale + bias with q' unsigned.
function unpack(type: number, src: Uint8Array): { weights: Uint8Array; scales: Uint8Array; biases: Uint8Array } {
  const { block, bits } = QUANT[type];
  const blocks = src.length / block;
  const weights = new Uint8Array(blocks * bits * 4);
  const scales = new Uint16Array(blocks), biases = new Uint16Array(blocks);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let b = 0; b < blocks; b++) {
    const at = b * block;
    const d = view.getUint16(at, true);
    scales[b] = d;
    if (type === 8) {
      biases[b] = floatToHalf(-128 * halfToFloat(d));
      for (let j = 0; j < 32; j++) weights[b * 32 + j] = src[at + 2 + j] ^ 0x80;
      continue;
    }
    const qs = at + (type === 2 ? 2 : 4);
    biases[b] = type === 2 ? floatToHalf(-8 * halfToFloat(d)) : view.getUint16(at + 2, true);
    const out = b * 16;
    for (let j = 0; j < 16; j++) {
      const shift = 4 * (j & 1);
      weights[out + (j >> 1)] |= (src[qs + j] & 0x0f) << shift;
      weights[out + 8 + (j >> 1)] |= (src[qs + j] >> 4) << shift;
    }
  }
  return { weights, scales: new Uint8Array(scales.buffer), biases: new Uint8Array(biases.buffer) };
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}
function str(s: string): Uint8Array[] {
  const b = Buffer.from(s, 'utf-8');
  return [u64(b.byteLength), b];
}

export function saveGguf(op: string, path: string, arrays: Record<string, MxArray>, metadata: GgufMetadata = {}): void {
  const bad = (detail: string): never => {
    throw new MxIOError(op, path, 'bad_argument', detail);
  };
  const names = Object.keys(arrays);
  const list = names.map((n) => (arrays[n] instanceof MxArray ? arrays[n] : bad(`"${n}" is not an array`)));
  list.forEach((a, i) => PLAIN_ID.has(a.dtype) || bad(`"${names[i]}" is ${a.dtype.name}; GGUF holds float32, float16, bfloat16, int8, int16 and int32`));
  const metaKeys = Object.keys(metadata);
  const metaArrays = metaKeys.map((k) => metadata[k]).filter((v): v is MxArray => v instanceof MxArray);
  const [data, metaData] = [bytesToSave(list), bytesToSave(metaArrays)];
  const parts: Uint8Array[] = [u32(MAGIC), u32(3), u64(names.length), u64(metaKeys.length)];
  let m = 0;
  for (const k of metaKeys) {
    const v = metadata[k];
    parts.push(...str(k));
    if (typeof v === 'string') parts.push(u32(8), ...str(v));
    else if (Array.isArray(v)) {
      if (!v.every((s) => typeof s === 'string')) bad(`metadata "${k}" is a list of non-strings`);
      parts.push(u32(9), u32(8), u64(v.length), ...v.flatMap(str));
    } else if (v instanceof MxArray) {
      const id = VALUE_ID.get(v.dtype) ?? bad(`metadata "${k}" is ${v.dtype.name}, which GGUF metadata cannot hold`);
      if (v.ndim === 0) parts.push(u32(id), metaData[m]);
      else if (v.ndim === 1) parts.push(u32(9), u32(id), u64(v.size), metaData[m]);
      else bad(`metadata "${k}" has ${v.ndim} dimensions; GGUF metadata holds scalars and lists`);
      m++;
    } else bad(`metadata "${k}" is neither an array, a string nor a list of strings`);
  }
  let offset = 0;
  const align = (n: number) => Math.ceil(n / 32) * 32;
  names.forEach((n, i) => {
    const dims = [...list[i].shape].reverse();
    parts.push(...str(n), u32(dims.length), ...dims.map(u64), u32(PLAIN_ID.get(list[i].dtype)!), u64(offset));
    offset = align(offset + data[i].byteLength);
  });
  const headerBytes = parts.reduce((s, p) => s + p.byteLength, 0);
  parts.push(new Uint8Array(align(headerBytes) - headerBytes));
  data.forEach((d) => parts.push(d, new Uint8Array(align(d.byteLength) - d.byteLength)));
  writeParts(op, path, parts);
}
