// Accuracy of the engine's vector math (native/capi/tests/vecmath_accuracy.cpp):
// every transcendental op over millions of inputs against a long double
// reference, within the bounds mlxcompat.h states, and beside real MLX
// v0.31.2 (../shared/mlx-runtime) on the same inputs when it is present.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const program = join(root, 'build/native/mlxcompat_vecmath_accuracy');
const header = join(root, 'native/capi/include/mlxcompat.h');
const libmlxc = join(root, '../shared/mlx-runtime/lib/libmlxc.so');

const unary = ['exp', 'expm1', 'log', 'log1p', 'log2', 'log10', 'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh',
  'arcsinh', 'arccosh', 'arctanh', 'sigmoid', 'erf', 'erfinv', 'arctan2', 'power', 'logaddexp'];
const dtypes = ['float16', 'bfloat16', 'float32', 'float64'];

interface Line { op: string; dtype: string; n: number; ours: number; mlx: number | null; ok: boolean }

// Asynchronous, so the test worker keeps answering vitest during the sweep.
async function sweep(env: Record<string, string>, mlx: string, samples: string): Promise<{ lines: Line[]; text: string }> {
  let text: string;
  try {
    ({ stdout: text } = await promisify(execFile)(program, [header, mlx, samples], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 }));
  } catch (e) {
    text = String((e as { stdout?: string }).stdout ?? e);
  }
  const num = (s: string) => (s === 'inf' ? Infinity : Number(s));
  const lines = [...text.matchAll(/^(\w+)\s+(\w+)\s+n=(\d+)\s+ours (\S+)\s+mlx (\S+)\s+bound \S+\s+(ok|FAIL)/gm)].map((m) => ({
    op: m[1], dtype: m[2], n: Number(m[3]), ours: num(m[4]), mlx: m[5] === '-' ? null : num(m[5]), ok: m[6] === 'ok',
  }));
  return { lines, text };
}

function expectAll(lines: Line[], text: string) {
  for (const d of dtypes)
    for (const op of unary) {
      const l = lines.find((x) => x.op === op && x.dtype === d);
      expect(l, `${op} ${d} measured`).toBeDefined();
      expect(l!.ok, `${op} ${d} within its stated bound:\n${text}`).toBe(true);
    }
  for (const d of ['float32', 'float64'])
    // _big: an output past half the last-level cache, stored non-temporally
    for (const op of ['softmax', 'logsumexp', 'softmax_big', 'logsumexp_big']) expect(lines.find((x) => x.op === op && x.dtype === d)?.ok, `${op} ${d}`).toBe(true);
  // rows shorter than two vectors (a classifier's logits) take their own path
  for (const op of ['logsumexp_r1', 'logsumexp_r10', 'logsumexp_r31']) expect(lines.find((x) => x.op === op && x.dtype === 'float32')?.ok, op).toBe(true);
  expect(text).toMatch(/^0 over their bound$/m);
}

// The claim: every function and dtype at least as accurate as MLX
// v0.31.2 (which calls the C library for float64) on the same inputs, as
// the program prints them (4 significant digits).
function expectNotBehindMlx(lines: Line[]) {
  const measured = lines.filter((l) => l.mlx !== null);
  expect(measured.length).toBeGreaterThan(90);
  for (const l of measured) expect(l.ours, `${l.op} ${l.dtype} against MLX's ${l.mlx}`).toBeLessThanOrEqual(l.mlx!);
}

describe('vector math accuracy', () => {
  it('holds the stated ulp bounds on the best instruction set, and is at least as accurate as real MLX', async () => {
    const haveMlx = existsSync(libmlxc);
    if (!haveMlx) console.log(`real MLX not compared: ${libmlxc} is absent`);
    const { lines, text } = await sweep({}, haveMlx ? libmlxc : '', '2048');
    console.log(text);
    expectAll(lines, text);
    // float32 sweeps cover 2 x 255 binades x 2048 mantissas; the half types all 65536 values.
    expect(lines.find((l) => l.op === 'exp' && l.dtype === 'float32')!.n).toBeGreaterThan(1_000_000);
    expect(lines.find((l) => l.op === 'exp' && l.dtype === 'float16')!.n).toBe(65536);
    if (haveMlx) expectNotBehindMlx(lines);
  }, 600_000);

  it('holds them on the AVX2 kernels too (chosen with MLXCOMPAT_VECMATH)', async (ctx) => {
    if (!/\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))) {
      console.log('AVX2 kernels not checked: this CPU has no AVX2');
      ctx.skip();
    }
    const haveMlx = existsSync(libmlxc);
    const { lines, text } = await sweep({ MLXCOMPAT_VECMATH: 'avx2' }, haveMlx ? libmlxc : '', '2048');
    expectAll(lines, text);
    if (haveMlx) expectNotBehindMlx(lines);
  }, 600_000);
});
