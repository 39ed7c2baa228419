// The rest of mlx.core (einsum, kron, roll, median, partition, views, the
// engine's other products, dynamic slices, memory limits): against real MLX
// v0.31.2 through mlx-c where ../shared/mlx-runtime is (test/oracle/
// mlx-c-oracle.c, compiled here), typed errors at the call and from the
// engine for C callers, and vmap against a loop over the examples.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlxRefusedError, MlxRequestError, Session } from 'mlx-capi-bridge';
import mlx, { MxError, type MxArray } from '../src/index.js';
import { expectSame, flat } from './oracle.js';

const mx = mlx.core;
const here = dirname(fileURLToPath(import.meta.url));
const runtime = join(here, '../../../../shared/mlx-runtime');

const seq = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * (0.37 + k)) * 3));
const input = (shape: number[], k: number) => mx.reshape(mx.array(seq(shape.reduce((a, b) => a * b, 1), k), mx.float32), shape);
const u32 = (v: number[]) => mx.array(v, mx.uint32);
const i32 = (v: number[]) => mx.array(v, mx.int32);

type Answer = { dtype: string; shape: number[]; data: number[] };

// Our calls, named as the C program names its answers; the inputs are the same formula.
const OURS: Record<string, () => MxArray> = {
  einsum_matmul: () => mx.einsum('ij,jk->ik', input([3, 4], 0), input([4, 5], 1)),
  einsum_diag: () => mx.einsum('ii->i', input([3, 3], 0)),
  einsum_batched: () => mx.einsum('bij,bjk->bik', input([2, 3, 4], 0), input([2, 4, 2], 1)),
  einsum_chain: () => mx.einsum('ij,jk,kl->il', input([2, 3], 0), input([3, 4], 1), input([4, 5], 2)),
  einsum_ellipsis: () => mx.einsum('...ij,jk', input([2, 3, 4], 0), input([4, 5], 1)),
  einsum_repeated: () => mx.einsum('iij,jk->ik', input([3, 3, 2], 0), input([2, 4], 1)),
  kron_2d: () => mx.kron(input([2, 2], 1), input([3, 2], 2)),
  kron_ranks: () => mx.kron(input([3], 1), input([2, 2], 2)),
  roll_flat: () => mx.roll(input([3, 4], 1), 2),
  roll_axes: () => mx.roll(input([3, 4], 1), [1, -2], [0, 1]),
  roll_axis: () => mx.roll(input([3, 4], 1), 7, 0),
  median_all: () => mx.median(input([4, 3, 5], 4)),
  median_axis: () => mx.median(input([4, 3, 5], 4), 1),
  median_keepdims: () => mx.median(input([4, 3, 5], 4), [0, 2], true),
  median_int: () => mx.median(i32([4, 1, 3, 2]), 0),
  hadamard_default: () => mx.hadamardTransform(input([4, 8], 2)),
  hadamard_scaled: () => mx.hadamardTransform(input([4, 8], 2), 0.5),
  view_uint32: () => mx.view(mx.array([1, -2.5, 0.1, 3e38], mx.float32), mx.uint32),
  view_int8: () => mx.view(mx.array([1, -2.5, 0.1, 3e38], mx.float32), mx.int8),
  as_strided: () => mx.asStrided(input([3, 4], 1), [3, 3], [4, 1], 1),
  gather_mm: () => mx.gatherMm(input([3, 4, 5], 1), input([2, 5, 6], 2), u32([2, 0, 1, 2]), u32([1, 1, 0, 0])),
  block_masked_bool: () => {
    const mask = (n: number, k: number) => mx.array(Array.from({ length: n }, (_, i) => (i * 7 + k) % 3 !== 0));
    return mx.blockMaskedMm(input([70, 40], 1), input([40, 50], 2), 32, mx.reshape(mask(6, 0), [3, 2]), mx.reshape(mask(6, 1), [3, 2]), mx.reshape(mask(4, 2), [2, 2]));
  },
  block_masked_float: () => {
    const m = (v: number[], s: number[]) => mx.reshape(mx.array(v, mx.float32), s);
    return mx.blockMaskedMm(input([70, 40], 1), input([40, 50], 2), 32, m([2, 1, 0, -1, 0.5, 3], [3, 2]), m([0.5, 2, -1, 0, 1, 1], [3, 2]), m([1, 0.25, 3, 1], [2, 2]));
  },
  unflatten: () => mx.unflatten(input([2, 12], 1), 1, [3, -1, 2]),
  slice: () => mx.slice(input([5, 6], 1), i32([1, 2]), [0, 1], [3, 2]),
  slice_update: () => mx.sliceUpdate(input([5, 6], 1), input([2, 2], 3), i32([3, 1]), [0, 1]),
};

describe('against real MLX v0.31.2 (mlx-c)', () => {
  let answers: Record<string, Answer> | undefined;
  let dir = '';
  beforeAll(() => {
    if (!existsSync(join(runtime, 'lib/libmlxc.so'))) return console.log(`MLX v0.31.2 not compared: ${runtime} is absent`);
    dir = mkdtempSync(join(tmpdir(), 'coresyms-'));
    const exe = join(dir, 'oracle');
    try {
      execFileSync('cc', ['-O1', join(here, 'mlx-c-oracle.c'), `-I${runtime}/include`, `-L${runtime}/lib`, '-lmlxc', '-lm', `-Wl,-rpath,${runtime}/lib`, '-o', exe], { stdio: 'pipe' });
    } catch (e) {
      return console.log(`MLX v0.31.2 not compared: the oracle does not build (${(e as Error).message.split('\n')[0]})`);
    }
    answers = JSON.parse(execFileSync(exe, { encoding: 'utf8' })) as Record<string, Answer>;
  });
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  for (const [name, call] of Object.entries(OURS))
    it(name, (ctx) => {
      if (!answers) return ctx.skip();
      const want = answers[name];
      expectSame(flat(call()), { dtype: want.dtype, shape: want.shape, values: want.data }, name);
    });

  it('partition: the kth element and the sides as MLX places them', (ctx) => {
    if (!answers) return ctx.skip();
    const want = answers.partition;
    const got = mx.partition(input([3, 6], 2), 2, 1).tolist() as number[][];
    got.forEach((line, r) => {
      const theirs = want.data.slice(r * 6, r * 6 + 6);
      expect(line[2]).toBe(theirs[2]);
      expect([...line.slice(0, 2)].sort()).toEqual([...theirs.slice(0, 2)].sort());
      expect([...line.slice(3)].sort()).toEqual([...theirs.slice(3)].sort());
    });
  });
});

describe('typed errors at the call', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['partition', () => mx.partition(mx.array([1, 2, 3]), 3), /\[partition\] kth: expected an integer in \[-3, 3\), got 3/],
    ['argpartition', () => mx.argpartition(mx.array([1, 2]), 0, 2), /\[argpartition\] axis: axis 2 is out of range/],
    ['median', () => mx.median(mx.zeros([0])), /\[median\] a: the axes \(0\) hold no elements/],
    ['roll', () => mx.roll(mx.zeros([2, 2]), [1, 2, 3], [0, 1]), /\[roll\] shift: 3 shifts for 2 axes/],
    ['unflatten', () => mx.unflatten(mx.zeros([6]), 0, [4, -1]), /\[unflatten\] shape: \(4,-1\) does not fill axis 0 of size 6/],
    ['view', () => mx.view(mx.zeros([3], mx.uint8), mx.float32), /\[view\] dtype: the last axis \(3 x 1 bytes\) is not a multiple of float32's 4 bytes/],
    ['view of a scalar', () => mx.view(mx.array(1, mx.float32), mx.float16), /\[view\] dtype: a scalar can only be viewed as a dtype of its item size/],
    ['asStrided', () => mx.asStrided(mx.zeros([4]), [3], [2]), /\[asStrided\] strides: the view reads elements 0 to 4 of an array of 4/],
    ['hadamardTransform', () => mx.hadamardTransform(mx.zeros([6])), /\[hadamardTransform\] a: the last axis \(6\) must be a power of two/],
    ['gatherMm', () => mx.gatherMm(mx.zeros([2, 3]), mx.zeros([4, 2])), /\[gatherMm\] b: inner dimensions differ/],
    ['gatherMm indices', () => mx.gatherMm(mx.zeros([2, 3]), mx.zeros([3, 2]), mx.array([0.5])), /\[gatherMm\] lhsIndices: indices must be integers, not float32/],
    ['blockMaskedMm', () => mx.blockMaskedMm(mx.zeros([2, 3]), mx.zeros([3, 2]), 16), /\[blockMaskedMm\] blockSize: must be 32 or 64, got 16/],
    ['blockMaskedMm mask', () => mx.blockMaskedMm(mx.zeros([40, 3]), mx.zeros([3, 2]), 32, mx.array([[true]])), /\[blockMaskedMm\] maskOut: shape \(1,1\) needs \(\.\.\., 2, 1\) blocks of 32/],
    ['einsum', () => mx.einsum('ij,jk->ik', mx.zeros([2, 3])), /\[einsum\] operands: "ij,jk->ik" names 2 operands, got 1/],
    ['einsum sizes', () => mx.einsum('ij,jk', mx.zeros([2, 3]), mx.zeros([4, 2])), /\[einsum\] operands: label "j" has sizes 3 and 4/],
    ['einsum output', () => mx.einsum('ij->k', mx.zeros([2, 3])), /\[einsum\] subscripts: the output's "k" is in no operand/],
    ['slice', () => mx.slice(mx.zeros([4]), i32([0, 1]), [0], [2]), /\[slice\] startIndices: expected 1 start indices \(one per axis\), got 2/],
    ['sliceUpdate', () => mx.sliceUpdate(mx.zeros([4, 4]), mx.zeros([2]), i32([0]), [0]), /\[sliceUpdate\] update: rank 1 differs from the array's rank 2/],
    ['setMemoryLimit', () => mx.setMemoryLimit(-1), /\[setMemoryLimit\] limit: expected a whole number of bytes, got -1/],
    ['deviceCount', () => mx.deviceCount('tpu' as never), /\[deviceCount\] device: expected a Device or 'cpu' or 'gpu', got "tpu"/],
    ['PrintOptions', () => new mx.PrintOptions(-2), /\[PrintOptions\] precision: expected an integer from -1 \(the default\) to 100, got -2/],
  ];
  for (const [name, call, message] of cases)
    it(name, () => {
      expect(call).toThrow(MxError);
      expect(call).toThrow(message);
    });

  it('gpu devices are a typed refusal', () => {
    expect(() => mx.deviceInfo(mx.gpu)).toThrow(MlxRefusedError);
    expect(() => mx.newThreadLocalStream(mx.gpu)).toThrow(MlxRefusedError);
  });
});

describe('the engine ops from JSON (C callers)', () => {
  const s = new Session();
  afterAll(() => s.close());
  const run = (op: string, inputs: Array<{ dtype: string; shape: number[]; data: unknown[] }>, attrs: Record<string, unknown> = {}) =>
    s.evalJson({
      schema_version: 1,
      inputs: inputs.map((x, i) => ({ id: `x${i}`, ...x })),
      nodes: [{ id: 'y', op, inputs: inputs.map((_, i) => `x${i}`), attrs }],
      outputs: ['y'],
    } as never);
  const f32 = (shape: number[], data: number[]) => ({ dtype: 'float32', shape, data });
  const error = (call: () => unknown) => {
    try {
      call();
    } catch (e) {
      return e instanceof MlxRequestError || e instanceof MlxRefusedError ? `${e.code} ${(e as MlxRequestError).path ?? ''}` : String(e);
    }
    return 'no error';
  };

  it('computes them', () => {
    expect(run('partition', [f32([5], [4, 1, 3, 0, 2])], { kth: 2 }).outputs[0].data[2]).toBe(2);
    expect(run('as_strided', [f32([4], [1, 2, 3, 4])], { shape: [2, 2], strides: [1, 1] }).outputs[0].data).toEqual([1, 2, 2, 3]);
    expect(run('view', [f32([1], [1])], { dtype: 'uint32' }).outputs[0].data).toEqual([0x3f800000]);
    expect(run('hadamard_transform', [f32([2], [1, 2])], { scale: 1 }).outputs[0].data).toEqual([3, -1]);
    const gm = run('gather_mm', [f32([2, 1, 1], [2, 3]), f32([1, 1], [5]), { dtype: 'int32', shape: [3], data: [1, 0, 1] }], { has_lhs_indices: true });
    expect(gm.outputs[0].data).toEqual([15, 10, 15]);
  });

  it('answers mistakes with typed errors', () => {
    expect(error(() => run('partition', [f32([3], [1, 2, 3])], { kth: 3 }))).toBe('invalid_attr /nodes/0/attrs/kth');
    expect(error(() => run('as_strided', [f32([4], [1, 2, 3, 4])], { shape: [2, 2], strides: [2, 2] }))).toBe('index_out_of_range /nodes/0/attrs');
    expect(error(() => run('as_strided', [f32([4], [1, 2, 3, 4])], { shape: [2, 2], strides: [2] }))).toBe('invalid_attr /nodes/0/attrs/strides');
    expect(error(() => run('as_strided', [f32([4], [1, 2, 3, 4])], { shape: [3, 2], strides: [4611686018427387904, 1] }))).toMatch(/^resource_limit/);
    expect(error(() => run('view', [f32([], [1])], { dtype: 'int8' }))).toBe('invalid_shape /nodes/0/attrs/dtype');
    expect(error(() => run('hadamard_transform', [f32([3], [1, 2, 3])]))).toBe('invalid_shape /nodes/0/inputs/0');
    expect(error(() => run('gather_mm', [f32([1, 1, 1], [2]), f32([1, 1], [5]), { dtype: 'int32', shape: [1], data: [1] }], { has_lhs_indices: true }))).toBe('index_out_of_range /nodes/0/inputs/2');
    expect(error(() => run('gather_mm', [f32([1, 1], [2]), f32([1, 1], [5])], { has_lhs_indices: true }))).toBe('invalid_arity /nodes/0/inputs');
    expect(error(() => run('block_masked_mm', [f32([1, 1], [2]), f32([1, 1], [5]), { dtype: 'bool', shape: [2, 1], data: [true, false] }], { block_size: 32, has_mask_out: true }))).toBe('invalid_shape /nodes/0/inputs/2');
  });

  it('refuses allocations past the memory limit, and keeps no cache at a cache limit of 0', () => {
    const before = mx.setMemoryLimit(1 << 16);
    try {
      expect(error(() => run('view', [f32([1 << 15], new Array(1 << 15).fill(0))], { dtype: 'uint8' }))).toMatch(/^resource_limit/);
    } finally {
      expect(mx.setMemoryLimit(before)).toBe(1 << 16);
    }
    const cache = mx.setCacheLimit(0);
    expect(mx.getCacheMemory()).toBe(0);
    expect(mx.setCacheLimit(cache)).toBe(0);
  });
});

describe('vmap and views', () => {
  it('vmap of the new ops equals a loop over the examples', () => {
    const x = input([3, 2, 8], 1);
    const fns: Array<(a: MxArray) => MxArray> = [
      (a) => mx.partition(a, 1, -1), (a) => mx.argpartition(a, 3, null), (a) => mx.hadamardTransform(a), (a) => mx.contiguous(a),
      (a) => mx.view(a, mx.uint16), (a) => mx.asStrided(a, [3, 2], [2, 5]), (a) => mx.median(a, 1), (a) => mx.roll(a, 3, 1), (a) => mx.kron(a, mx.ones([2])),
      (a) => mx.einsum('ij,kj->ik', a, a), (a) => mx.gatherMm(mx.reshape(a, [2, 1, 8]), mx.ones([8, 2]), u32([1, 0, 1])),
    ];
    fns.forEach((f, k) => {
      const looped = mx.stack([0, 1, 2].map((i) => f(mx.take(x, mx.array(i, mx.int32), 0))));
      expectSame(flat(mx.vmap(f)(x) as MxArray), flat(looped), `fn ${k}`);
    });
  });

  it('views are what the bytes say', () => {
    const bits = mx.view(mx.array([1, 2], mx.int16), mx.bool);
    expect(bits.tolist()).toEqual([true, false, true, false]);
    expect(mx.view(mx.array([0x3c00], mx.uint16), mx.float16).item()).toBe(1);
    expect(mx.view(mx.zeros([2, 3], mx.int32), mx.int8).shape).toEqual([2, 12]);
  });
});
