// mx.exportFunction, mx.importFunction and mx.exporter write and read .mlxfn
// files in MLX v0.31.2's own format, through the engine's mlx backend. Both
// directions are checked against real MLX run apart from the engine (a C
// program over mlx-c, test/mlxfn-oracle.c): MLX reads what we write, and we
// read what MLX writes; values are compared with float64 math. Without
// ../shared/mlx-runtime these tests skip, saying why.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlxRefusedError, MlxRequestError, Session, backendInfo } from 'mlx-capi-bridge';
import mlx, { MxError, type MxArray } from '../src/index.js';

const mx = mlx.core;
const here = dirname(fileURLToPath(import.meta.url));
const runtime = resolve(here, '../../../../shared/mlx-runtime');
if (!process.env.MLXCOMPAT_MLXC_LIBRARY && existsSync(join(runtime, 'lib/libmlxc.so'))) process.env.MLXCOMPAT_MLXC_LIBRARY = join(runtime, 'lib/libmlxc.so');
const info = backendInfo('mlx');
if (!info.available) console.log(`export tests skipped: ${info.reason}`);

// The C oracle's inputs: x[i] = sin(0.37 i) * 3, y[i] = cos(0.11 i), float32.
const xs = (n: number) => Array.from({ length: n }, (_, i) => Math.fround(Math.sin(0.37 * i) * 3));
const ys = (n: number) => Array.from({ length: n }, (_, i) => Math.fround(Math.cos(0.11 * i)));
const arr = (v: number[], shape: number[]) => mx.reshape(mx.array(v, mx.float32), shape);

function close(got: number[], want: number[], tol = 1e-5) {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]))));
}

describe.skipIf(!info.available)('.mlxfn files with MLX v0.31.2', () => {
  let dir = '';
  let oracle = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mlxfn-'));
    const exe = join(dir, 'mlxfn-oracle');
    try {
      execFileSync('cc', ['-O1', join(here, 'mlxfn-oracle.c'), `-I${runtime}/include`, `-L${runtime}/lib`, '-lmlxc', '-lm', `-Wl,-rpath,${runtime}/lib`, '-o', exe], { stdio: 'pipe' });
      oracle = exe;
    } catch (e) {
      console.log(`the C oracle does not build, MLX's side not checked apart: ${(e as Error).message.split('\n')[0]}`);
    }
  });
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  // fn(x, y) = [tanh(x) * 2 - y, max(x @ y.T, axis 1)], a constant (2) captured
  const fn = (x: MxArray, y: MxArray) => [mx.subtract(mx.multiply(mx.tanh(x), mx.array(2, mx.float32)), y), mx.max(mx.matmul(x, mx.transpose(y)), 1)];
  const math = (r: number, c: number) => {
    const x = xs(r * c), y = ys(r * c);
    const first = x.map((v, i) => Math.tanh(v) * 2 - y[i]);
    const second = Array.from({ length: r }, (_, i) =>
      Math.max(...Array.from({ length: r }, (_, j) => x.slice(i * c, i * c + c).reduce((a, v, k) => a + v * y[j * c + k], 0))),
    );
    return [first, second];
  };

  it('exportFunction writes a file MLX imports and runs (the C oracle), with the values of the math', (ctx) => {
    if (!oracle) return ctx.skip();
    const file = join(dir, 'ours');
    mx.exportFunction(file, fn, arr(xs(6), [2, 3]), arr(ys(6), [2, 3]));
    expect(existsSync(`${file}.mlxfn`)).toBe(true); // the extension added, as MLX does
    const out = JSON.parse(execFileSync(oracle, ['import', `${file}.mlxfn`, '2', '3'], { encoding: 'utf8' })) as Array<{ shape: number[]; data: number[] }>;
    expect(out.map((o) => o.shape)).toEqual([[2, 3], [2]]);
    const [a, b] = math(2, 3);
    close(out[0].data, a);
    close(out[1].data, b);
  });

  it('importFunction reads a file MLX wrote and computes it', (ctx) => {
    if (!oracle) return ctx.skip();
    const file = join(dir, 'theirs.mlxfn');
    execFileSync(oracle, ['export', file]);
    const f = mx.importFunction(file);
    const [a, s] = f(arr(xs(6), [2, 3]), arr(ys(6), [2, 3]));
    const x = xs(6), y = ys(6);
    expect(a.shape).toEqual([2, 3]);
    close((a.tolist() as number[][]).flat(), x.map((v, i) => Math.exp(v) * y[i] + 1));
    close(s.tolist() as number[], [0, 1, 2].map((k) => x[k] * y[k] + x[3 + k] * y[3 + k]));
  });

  it('round trip: exportFunction then importFunction, on either facade backend', () => {
    const file = join(dir, 'round.mlxfn');
    mx.exportFunction(file, fn, arr(xs(6), [2, 3]), arr(ys(6), [2, 3]));
    for (const backend of ['native', 'mlx'] as const) {
      mx.setBackend(backend);
      try {
        const [a, b] = mx.importFunction(file)(arr(xs(6), [2, 3]), arr(ys(6), [2, 3]));
        const [wa, wb] = math(2, 3);
        close((a.tolist() as number[][]).flat(), wa);
        close(b.tolist() as number[], wb);
      } finally {
        mx.setBackend(undefined);
      }
    }
  });

  it('exporter: one file, the function traced at two signatures; MLX runs both and refuses a third', (ctx) => {
    const file = join(dir, 'two.mlxfn');
    const ex = mx.exporter(file, fn);
    ex(arr(xs(6), [2, 3]), arr(ys(6), [2, 3]));
    ex(arr(xs(12), [3, 4]), arr(ys(12), [3, 4]));
    ex.close();
    expect(() => ex(arr(xs(6), [2, 3]), arr(ys(6), [2, 3]))).toThrow(/closed/);
    const f = mx.importFunction(file);
    for (const [r, c] of [[2, 3], [3, 4]]) {
      const [a, b] = f(arr(xs(r * c), [r, c]), arr(ys(r * c), [r, c]));
      const [wa, wb] = math(r, c);
      close((a.tolist() as number[][]).flat(), wa);
      close(b.tolist() as number[], wb);
    }
    // MLX's own error for a signature the file lacks, as a typed error
    expect(() => f(arr(xs(4), [2, 2]), arr(ys(4), [2, 2]))).toThrow(MlxRequestError);
    if (!oracle) return ctx.skip();
    const out = JSON.parse(execFileSync(oracle, ['import', file, '3', '4'], { encoding: 'utf8' })) as Array<{ shape: number[]; data: number[] }>;
    close(out[0].data, math(3, 4)[0]);
  });

  it('shapeless: one tracing for inputs of other shapes of the same rank', () => {
    const file = join(dir, 'shapeless.mlxfn');
    mx.exportFunction(file, (x: MxArray, y: MxArray) => mx.add(mx.exp(x), y), arr(xs(6), [2, 3]), arr(ys(6), [2, 3]), { shapeless: true });
    const [z] = mx.importFunction(file)(arr(xs(20), [4, 5]), arr(ys(20), [4, 5]));
    expect(z.shape).toEqual([4, 5]);
    close((z.tolist() as number[][]).flat(), xs(20).map((v, i) => Math.exp(v) + ys(20)[i]));
  });

  it('typed errors: a missing file (MLX says so), arguments that are not arrays, a function that returns no arrays', () => {
    expect(() => mx.importFunction(join(dir, 'absent.mlxfn'))(arr([1], [1]))).toThrow(MlxRequestError);
    expect(() => mx.exportFunction(join(dir, 'bad'), fn, 3 as unknown as MxArray)).toThrow(MxError);
    expect(() => mx.exportFunction(join(dir, 'bad'), () => 3 as unknown as MxArray, arr([1], [1]))).toThrow(/must return an array/);
    expect(() => mx.exportFunction('', fn)).toThrow(/must be a path/);
  });
});

describe('exporting on the native backend', () => {
  it('is refused with a typed error naming the mlx backend (the facade always exports through it)', () => {
    const s = new Session();
    const req = {
      schema_version: 1 as const,
      backend: 'native' as const,
      export_function: { file: join(tmpdir(), 'never.mlxfn') },
      inputs: [{ id: 'x', dtype: 'float32', shape: [2], placeholder: true }],
      nodes: [{ id: 'y', op: 'exp', inputs: ['x'] }],
      outputs: ['y'],
    };
    expect(() => s.evalJson(req)).toThrow(MlxRefusedError);
    expect(() => s.evalJson(req)).toThrow(/export through the mlx backend/);
    s.close();
  });
});
