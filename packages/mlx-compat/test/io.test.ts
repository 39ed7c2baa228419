// Loading and saving: every format round trips every dtype it holds; files
// written by real MLX (@frost-beta/mlx, MLX 0.13, and MLX v0.31.2 through
// mlx-c: test/mlx-io-oracle.c, built here where ../shared/mlx-runtime is)
// load with identical bytes and files written here load in it; quantized GGUF blocks come back in
// MLX's affine layout (checked against the blocks' definition); bad files
// of every kind, and thousands of mutated ones, get only MxIOError.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mlx, { MxArray, MxIOError } from '../src/index.js';
import { real, rng } from './oracle.js';

const mx = mlx.core;
const dir = mkdtempSync(join(tmpdir(), 'mlxc-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);

// Raw bytes of an array of either library, for exact comparison.
const bytes = (a: MxArray) => Buffer.from(new Uint8Array(a.toTypedArray().buffer, a.toTypedArray().byteOffset, a.nbytes));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const realValues = (a: any): number[] => [a.tolist()].flat(Infinity).map(Number);
const values = (a: MxArray): number[] => [a.tolist()].flat(Infinity).map(Number);

function sample(dtype: typeof mx.float32, shape: number[], seed: number): MxArray {
  const r = rng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const vals = Array.from({ length: n }, () => (dtype === mx.bool ? Number(r() < 0.5) : Math.round((r() - 0.3) * 200) / 4));
  const isUnsigned = dtype.category === 'unsignedinteger';
  return mx.array(vals.map((v) => (isUnsigned ? Math.abs(v) : v)), mx.float32).astype(dtype).reshape(shape);
}

const ALL = [mx.bool, mx.uint8, mx.uint16, mx.uint32, mx.uint64, mx.int8, mx.int16, mx.int32, mx.int64, mx.float16, mx.bfloat16, mx.float32, mx.float64, mx.complex64];

function expectIOError(fn: () => unknown, code: string, path: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MxIOError);
    expect((e as MxIOError).code).toBe(code);
    expect((e as MxIOError).file).toBe(path);
    expect((e as Error).message).toContain(path);
    return;
  }
  throw new Error(`expected an MxIOError (${code})`);
}

describe('round trips', () => {
  it('npy, npz, safetensors keep every dtype bit for bit; gguf its dtypes', () => {
    ALL.forEach((dtype, i) => {
      const a = sample(dtype, [3, 5], i + 1);
      mx.save(file(`a${i}`), a);
      expect(bytes(mx.load(file(`a${i}.npy`)) as MxArray).equals(bytes(a)), dtype.name).toBe(true);
    });
    const arrays = Object.fromEntries(ALL.map((d, i) => [`t_${d.name}`, sample(d, i % 2 ? [2, 3, 2] : [7], 10 + i)]));
    mx.saveSafetensors(file('all'), arrays, { origin: 'test', n: '7' });
    const [st, meta] = mx.load(file('all.safetensors'), null, true);
    expect(meta).toEqual({ origin: 'test', n: '7' });
    mx.savez(file('all'), arrays);
    mx.savezCompressed(file('allz'), arrays);
    const npz = mx.load(file('all.npz')) as Record<string, MxArray>;
    const npzc = mx.load(file('allz.npz')) as Record<string, MxArray>;
    expect(readFileSync(file('allz.npz')).length).toBeLessThan(readFileSync(file('all.npz')).length);
    for (const [k, a] of Object.entries(arrays)) {
      for (const got of [(st as Record<string, MxArray>)[k], npz[k], npzc[k]]) {
        expect(got.dtype).toBe(a.dtype);
        expect(got.shape).toEqual(a.shape);
        expect(bytes(got).equals(bytes(a)), k).toBe(true);
      }
    }
    const g = [mx.float32, mx.float16, mx.bfloat16, mx.int8, mx.int16, mx.int32];
    const gArrays = Object.fromEntries(g.map((d, i) => [`g.${d.name}`, sample(d, [3, 4, 2], 40 + i)]));
    mx.saveGguf(file('all'), gArrays, { s: 'text', l: ['x', 'yz'], n: mx.array(5, mx.int32), v: mx.array([1.5, 2], mx.float32) });
    const [ga, gm] = mx.load(file('all.gguf'), null, true) as [Record<string, MxArray>, Record<string, unknown>];
    for (const [k, a] of Object.entries(gArrays)) expect(bytes(ga[k]).equals(bytes(a)), k).toBe(true);
    expect(gm.s).toBe('text');
    expect(gm.l).toEqual(['x', 'yz']);
    expect((gm.n as MxArray).dtype).toBe(mx.int32);
    expect((gm.n as MxArray).item()).toBe(5);
    expect((gm.v as MxArray).tolist()).toEqual([1.5, 2]);
  });

  it('savez names positional arrays arr_0, arr_1 and refuses a name given twice', () => {
    mx.savez(file('pos'), mx.array([1, 2]), mx.array([3]), { named: mx.array([4]) });
    expect(Object.keys(mx.load(file('pos.npz')) as object).sort()).toEqual(['arr_0', 'arr_1', 'named']);
    expectIOError(() => mx.savez(file('dup'), mx.array([1]), { arr_0: mx.array([2]) }), 'bad_argument', file('dup.npz'));
  });

  it('loads Fortran-order and big-endian npy files (written here from the format)', () => {
    const header = (d: string) => {
      let h = `{'descr': '${d}', 'fortran_order': True, 'shape': (2, 3), }`;
      h += ' '.repeat(63 - ((10 + h.length) % 64)) + '\n';
      return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length, 0]), Buffer.from(h, 'latin1')]);
    };
    // column-major 2x3 [[1,2,3],[4,5,6]] is 1,4,2,5,3,6
    const be = Buffer.alloc(24);
    [1, 4, 2, 5, 3, 6].forEach((v, i) => be.writeFloatBE(v, i * 4));
    writeFileSync(file('f.npy'), Buffer.concat([header('>f4'), be]));
    expect((mx.load(file('f.npy')) as MxArray).tolist()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('maps safetensors: loading adds no engine memory, a tensor is read when used', () => {
    const big = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`w${i}`, mx.full([512, 512], i, mx.float32)]));
    mx.saveSafetensors(file('big'), big);
    mx.dispose(Object.values(big));
    const before = mx.getActiveMemory();
    const loaded = mx.load(file('big.safetensors')) as Record<string, MxArray>;
    expect(mx.getActiveMemory() - before).toBeLessThan(1 << 20);
    expect(mx.sum(loaded.w5).item()).toBe(5 * 512 * 512);
    expect(mx.add(loaded.w3, 1).index(7, 9).item()).toBe(4);
  });
});

describe('interop with real MLX', () => {
  it('loads files real MLX wrote with identical values', () => {
    const arrays: Record<string, unknown> = {
      f32: real.array([[1.5, -2, 3e-8], [4, 5, 6]], real.float32),
      f16: real.array([0.1, 65504, -7], real.float16),
      bf16: real.array([0.1, 3e38, -7], real.bfloat16),
      i32: real.array([1, -2, 2147483647], real.int32),
      u8: real.array([0, 255], real.uint8),
      b: real.array([true, false], real.bool),
    };
    real.saveSafetensors(file('real.safetensors'), arrays, { by: 'mlx' });
    const [ours, meta] = mx.load(file('real.safetensors'), null, true) as [Record<string, MxArray>, unknown];
    expect(meta).toEqual({ by: 'mlx' });
    for (const [k, a] of Object.entries(arrays)) {
      expect(ours[k].dtype.name, k).toBe(String((a as { dtype: unknown }).dtype));
      expect(values(ours[k]), k).toEqual(realValues(a));
    }
    for (const [k, a] of Object.entries(arrays)) {
      real.save(file(`real_${k}.npy`), a);
      expect(values(mx.load(file(`real_${k}.npy`)) as MxArray), k).toEqual(realValues(a));
    }
    real.saveGGUF(file('real.gguf'), { w: arrays.f32, h: arrays.f16 }, { s: 'x', n: real.array(3, real.int32) });
    const [g, gm] = mx.load(file('real.gguf'), null, true) as [Record<string, MxArray>, Record<string, unknown>];
    expect(values(g.w)).toEqual(realValues(arrays.f32));
    expect(values(g.h)).toEqual(realValues(arrays.f16));
    expect(gm.s).toBe('x');
    expect((gm.n as MxArray).item()).toBe(3);
  });

  it('writes files real MLX loads with identical values', () => {
    const arrays = { a: sample(mx.float32, [4, 3], 1), h: sample(mx.float16, [5], 2), i: sample(mx.int64, [2, 2], 3), q: sample(mx.bfloat16, [3], 4) };
    mx.saveSafetensors(file('ours'), arrays, { by: 'mlx-compat' });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const back = real.load(file('ours.safetensors')) as Record<string, any>;
    for (const [k, a] of Object.entries(arrays)) {
      expect(String(back[k].dtype)).toBe(a.dtype.name);
      expect(realValues(back[k]), k).toEqual(values(a));
    }
    for (const [k, a] of Object.entries(arrays)) {
      mx.save(file(`ours_${k}`), a);
      expect(realValues(real.load(file(`ours_${k}.npy`))), k).toEqual(values(a));
    }
    mx.saveGguf(file('ours'), { a: arrays.a, h: arrays.h }, { s: 'y' });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const g = real.load(file('ours.gguf')) as Record<string, any>;
    expect(realValues(g.a)).toEqual(values(arrays.a));
    expect(realValues(g.h)).toEqual(values(arrays.h));
  });
});

// MLX v0.31.2's own loader and writer (mlx_load_safetensors, mlx_save_safetensors, mlx_load, mlx_save).
describe('interop with MLX v0.31.2 (mlx-c)', () => {
  const runtime = resolve(import.meta.dirname, '../../../../shared/mlx-runtime');
  type Seen = Record<string, { dtype: string; shape: number[]; hex: string } | Record<string, string>>;
  let exe = '';
  beforeAll(() => {
    if (!existsSync(join(runtime, 'lib/libmlxc.so'))) return console.log(`MLX v0.31.2 files not checked: ${runtime} is absent`);
    try {
      execFileSync('cc', ['-O1', join(import.meta.dirname, 'mlx-io-oracle.c'), `-I${runtime}/include`, `-L${runtime}/lib`, '-lmlxc', `-Wl,-rpath,${runtime}/lib`, '-o', file('io-oracle')], { stdio: 'pipe' });
      exe = file('io-oracle');
    } catch (e) {
      console.log(`MLX v0.31.2 files not checked: the oracle does not build (${(e as Error).message.split('\n')[0]})`);
    }
  });
  const oracle = (...args: string[]) => JSON.parse(execFileSync(exe, args, { encoding: 'utf8', maxBuffer: 1 << 26 })) as Seen;
  const same = (ours: MxArray, theirs: Seen[string], what: string) => {
    expect([ours.dtype.name, ours.shape], what).toEqual([theirs.dtype, theirs.shape]);
    expect(bytes(ours).toString('hex'), what).toBe(theirs.hex);
  };

  it('loads the safetensors and npy files MLX v0.31.2 writes, byte for byte', (ctx) => {
    if (!exe) return ctx.skip();
    const wrote = oracle('save', dir);
    const [st, meta] = mx.load(file('mlx.safetensors'), null, true) as [Record<string, MxArray>, unknown];
    expect(meta).toEqual({ by: 'mlx 0.31.2' });
    for (const [name, a] of Object.entries(wrote)) {
      const dtype = (a as { dtype: string }).dtype;
      if (dtype !== 'float64') same(st[name], a, `${name} (safetensors)`);
      same(mx.load(file(`mlx_${dtype}.npy`)) as MxArray, a, `${name} (npy)`);
    }
    expect(Object.keys(st).sort()).toEqual(Object.keys(wrote).filter((k) => k !== 't_float64').sort());
  });

  it('writes safetensors and npy files MLX v0.31.2 loads, byte for byte', (ctx) => {
    if (!exe) return ctx.skip();
    const arrays = Object.fromEntries(ALL.filter((d) => d !== mx.float64).map((d, i) => [`t_${d.name}`, sample(d, i % 2 ? [2, 3, 2] : [7], 60 + i)]));
    mx.saveSafetensors(file('to-mlx'), arrays, { by: 'mlx-compat', n: '2' });
    const back = oracle('load', file('to-mlx.safetensors'));
    expect(back.__metadata__).toEqual({ by: 'mlx-compat', n: '2' });
    for (const [name, a] of Object.entries(arrays)) same(a, back[name], `${name} (safetensors)`);
    for (const d of ALL) {
      const a = sample(d, [3, 2], 80);
      mx.save(file(`to-mlx-${d.name}`), a);
      same(a, oracle('load', file(`to-mlx-${d.name}.npy`)).array, `${d.name} (npy)`);
    }
  });

  it('reads F8_E4M3 tensors as MLX v0.31.2 does (their bytes, as uint8) and refuses the other F8 types as it does', (ctx) => {
    if (!exe) return ctx.skip();
    const header = (dtype: string) => JSON.stringify({ e: { dtype, shape: [2, 4], data_offsets: [0, 8] } });
    const st = (dtype: string) => {
      const h = Buffer.from(header(dtype)), len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(h.length));
      return Buffer.concat([len, h, Buffer.from([0x00, 0x38, 0x7e, 0xfe, 0x01, 0x80, 0x7f, 0x45])]);
    };
    writeFileSync(file('f8.safetensors'), st('F8_E4M3'));
    same((mx.load(file('f8.safetensors')) as Record<string, MxArray>).e, oracle('load', file('f8.safetensors')).e, 'F8_E4M3');
    writeFileSync(file('f8b.safetensors'), st('F8_E5M2'));
    expectIOError(() => mx.load(file('f8b.safetensors')), 'bad_dtype', file('f8b.safetensors'));
    expect(() => execFileSync(exe, ['load', file('f8b.safetensors')], { stdio: 'pipe' })).toThrow(/unsupported dtype/);
  });
});

// A GGUF file of one tensor, written here from the format's definition.
function ggufFile(name: string, type: number, dims: number[], data: Buffer): Buffer {
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
  const str = (s: string) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
  const head = Buffer.concat([Buffer.from('GGUF'), u32(3), u64(1), u64(0), str(name), u32(dims.length), ...dims.map(u64), u32(type), u64(0)]);
  return Buffer.concat([head, Buffer.alloc((32 - (head.length % 32)) % 32), data]);
}

const f16 = (x: number) => {
  const b = Buffer.alloc(2);
  // exact halves only (the test's scales are)
  const e = Math.floor(Math.log2(Math.abs(x)));
  b.writeUInt16LE((x < 0 ? 0x8000 : 0) | ((e + 15) << 10) | Math.round((Math.abs(x) / 2 ** e - 1) * 1024));
  return b;
};

describe('quantized GGUF', () => {
  // Dequantizes MLX's layout (uint32 words of `bits`-bit values, element i at
  // bits (i % per) * bits of word i / per; w = q scale + bias) as float64.
  function dequantized(w: MxArray, s: MxArray, b: MxArray, bits: number): number[] {
    const words = w.toTypedArray() as Uint32Array;
    const sc = values(s), bi = values(b);
    const per = 32 / bits;
    const out: number[] = [];
    for (let i = 0; i < words.length * per; i++) {
      const q = (words[Math.floor(i / per)] >>> ((i % per) * bits)) & ((1 << bits) - 1);
      out.push(q * sc[Math.floor(i / 32)] + bi[Math.floor(i / 32)]);
    }
    return out;
  }

  for (const [kind, type, block, bits] of [['Q4_0', 2, 18, 4], ['Q4_1', 3, 20, 4], ['Q8_0', 8, 34, 8]] as const) {
    it(`${kind} blocks come back as MLX's weight, scales and biases (group 32, ${bits} bits)`, () => {
      const r = rng(type);
      const rows = 3, cols = 64;
      const blocks: Buffer[] = [];
      const expected: number[] = [];
      for (let k = 0; k < (rows * cols) / 32; k++) {
        const d = 2 ** Math.floor(r() * 6 - 4) * (r() < 0.5 ? -1 : 1), m = 2 ** Math.floor(r() * 4 - 2);
        const q = Array.from({ length: 32 }, () => Math.floor(r() * (bits === 4 ? 16 : 256)));
        if (kind === 'Q8_0') {
          blocks.push(Buffer.concat([f16(d), Buffer.from(q.map((v) => v & 0xff))]));
          q.forEach((v) => expected.push((v >= 128 ? v - 256 : v) * d));
        } else {
          // element j in the low nibble of byte j, element j + 16 in its high nibble
          const qs = Buffer.from(Array.from({ length: 16 }, (_, j) => q[j] | (q[j + 16] << 4)));
          blocks.push(Buffer.concat([f16(d), ...(kind === 'Q4_1' ? [f16(m)] : []), qs]));
          q.forEach((v) => expected.push(kind === 'Q4_0' ? (v - 8) * d : v * d + m));
        }
      }
      const data = Buffer.concat(blocks);
      expect(data.length).toBe((rows * cols * block) / 32);
      writeFileSync(file(`${kind}.gguf`), ggufFile('blk.0.weight', type, [cols, rows], data));
      const a = mx.load(file(`${kind}.gguf`)) as Record<string, MxArray>;
      expect(Object.keys(a).sort()).toEqual(['blk.0.biases', 'blk.0.scales', 'blk.0.weight']);
      expect(a['blk.0.weight'].dtype).toBe(mx.uint32);
      expect(a['blk.0.weight'].shape).toEqual([rows, (cols * bits) / 32]);
      expect(a['blk.0.scales'].dtype).toBe(mx.float16);
      expect(a['blk.0.scales'].shape).toEqual([rows, cols / 32]);
      expect(dequantized(a['blk.0.weight'], a['blk.0.scales'], a['blk.0.biases'], bits).map((v) => v + 0)).toEqual(expected.map((v) => v + 0));
    });
  }
});

describe('bad files', () => {
  const st = (header: object | string, data = Buffer.alloc(0)) => {
    const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    return Buffer.concat([len, h, data]);
  };
  const cases: Array<[string, string, Buffer]> = [
    ['x.safetensors', 'truncated', Buffer.from([1, 2, 3])],
    ['x.safetensors', 'bad_header', st('{"a": ')],
    ['x.safetensors', 'bad_header', Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), Buffer.alloc(8)])],
    ['x.safetensors', 'bad_dtype', st({ a: { dtype: 'F8_E9', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1))],
    ['x.safetensors', 'bad_offsets', st({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, Buffer.alloc(8))],
    ['x.safetensors', 'truncated', st({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, Buffer.alloc(8))],
    ['x.safetensors', 'overlap', st({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, Buffer.alloc(12))],
    ['x.safetensors', 'bad_header', st({ a: { dtype: 'F32', shape: [1e300], data_offsets: [0, 4] } }, Buffer.alloc(4))],
    ['x.npy', 'bad_magic', Buffer.from('not numpy at all')],
    ['x.npy', 'truncated', Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 200, 0, 0x7b])],
    ['x.npy', 'bad_dtype', Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 54, 0]), Buffer.from("{'descr': '<U7', 'fortran_order': False, 'shape': (1,), }\n".padEnd(54))])],
    ['x.npy', 'truncated', Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 54, 0]), Buffer.from("{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }\n".padEnd(54))])],
    ['x.npz', 'bad_header', Buffer.from('PK not really a zip')],
    ['x.gguf', 'bad_magic', Buffer.from('GGUG\x03\x00\x00\x00')],
    ['x.gguf', 'bad_header', ggufFile('w', 0, [4], Buffer.alloc(16)).fill(0xff, 8, 16)],
    ['x.gguf', 'truncated', ggufFile('w', 0, [400], Buffer.alloc(16))],
    ['x.gguf', 'bad_dtype', ggufFile('w', 12, [256], Buffer.alloc(256))],
  ];
  it.each(cases.map((c, i) => [i, ...c]))('case %i: %s gets %s', (i, name, code, content) => {
    const path = file(`bad${i}_${name}`);
    writeFileSync(path, content as Buffer);
    expectIOError(() => mx.load(path), code as string, path);
  });

  it('a missing path, a directory and an unknown extension', () => {
    expectIOError(() => mx.load(file('nope.safetensors')), 'not_found', file('nope.safetensors'));
    expectIOError(() => mx.load(dir, 'npy'), 'unreadable', dir);
    expectIOError(() => mx.load(file('x.bin')), 'unknown_format', file('x.bin'));
  });
});

describe('fuzzing', () => {
  // Each format's valid file, mutated: bytes flipped, runs overwritten,
  // truncated, extended. Every load either works (its arrays then compute)
  // or raises MxIOError; nothing else.
  const per = Number(process.env.MLXCOMPAT_FUZZ ?? 2000);
  const seedFiles = (): Array<[string, Buffer]> => {
    const arrays = { a: sample(mx.float32, [3, 4], 1), b: sample(mx.int16, [5], 2), c: sample(mx.float16, [2, 2, 2], 3) };
    mx.saveSafetensors(file('seed'), arrays, { k: 'v' });
    mx.save(file('seed'), arrays.a);
    mx.savezCompressed(file('seed'), arrays);
    mx.saveGguf(file('seed'), { a: arrays.a, c: arrays.c }, { s: 'str', n: mx.array([1, 2], mx.int32) });
    const q = ggufFile('q.weight', 2, [32, 2], Buffer.alloc(36, 0x5a));
    return [['safetensors', readFileSync(file('seed.safetensors'))], ['npy', readFileSync(file('seed.npy'))], ['npz', readFileSync(file('seed.npz'))], ['gguf', readFileSync(file('seed.gguf'))], ['gguf', q]];
  };
  function mutate(src: Buffer, r: () => number): Buffer {
    let b = Buffer.from(src);
    const edits = 1 + Math.floor(r() * 4);
    for (let e = 0; e < edits; e++) {
      const kind = r();
      const at = Math.floor(r() * b.length);
      if (kind < 0.5) b[at] = Math.floor(r() * 256);
      else if (kind < 0.65) b.fill([0, 0xff, 0x7f][Math.floor(r() * 3)], at, Math.min(b.length, at + 1 + Math.floor(r() * 8)));
      else if (kind < 0.8) b = b.subarray(0, at);
      else if (kind < 0.9) b = Buffer.concat([b, Buffer.alloc(Math.floor(r() * 64), Math.floor(r() * 256))]);
      else if (b.length >= 4) b.writeUInt32LE(Math.floor(r() * 2 ** 32), Math.min(at, b.length - 4));
    }
    return b;
  }
  it(`loads ${per} mutations of each format and gets only MxIOError`, async () => {
    const r = rng(Number(process.env.MLXCOMPAT_SEED ?? 16));
    const counts: Record<string, { ok: number; errors: number }> = {};
    for (const [fmt, src] of seedFiles()) {
      const c = (counts[fmt] ??= { ok: 0, errors: 0 });
      for (let i = 0; i < per; i++) {
        // let the test runner's messages through now and then
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
        const path = file(`fuzz.${fmt}`);
        writeFileSync(path, mutate(src, r));
        try {
          const out = mx.load(path);
          const list = out instanceof MxArray ? [out] : Object.values(out as Record<string, MxArray>);
          for (const a of list) mx.eval(mx.sum(a.astype(mx.float32)));
          mx.dispose(list);
          c.ok++;
        } catch (e) {
          if (!(e instanceof MxIOError)) throw new Error(`${fmt} mutation ${i}: ${String(e)}`);
          expect(e.file).toBe(path);
          c.errors++;
        }
      }
    }
    console.log('fuzz outcomes', JSON.stringify(counts));
    for (const c of Object.values(counts)) expect(c.errors).toBeGreaterThan(0);
  });
});
