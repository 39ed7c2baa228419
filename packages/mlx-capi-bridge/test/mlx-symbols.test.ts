// MLX's other ops by name: every op mlx-c exposes that the registry lacks
// (clip, tensordot, linalg_svd, fft_rfft, fast_rms_norm, ...) runs on the
// mlx backend only, with its outputs as MLX infers them. The native backend
// refuses them naming the backend that has them. A sample is computed and
// compared with the math (float64 references written here).
import { describe, expect, it } from 'vitest';
import { MlxRefusedError, MlxRequestError, Session, capabilities, type EvalRequest } from '../src/index.js';
import { HAVE_MLX } from './mlx-runtime.js';

type Node = EvalRequest['nodes'][number];
const f32 = (id: string, shape: number[], data: number[]) => ({ id, dtype: 'float32' as const, shape, data });

/** Runs one node on `backend` and returns each output's shape, dtype and flat values. */
function run(s: Session, inputs: EvalRequest['inputs'], node: Omit<Node, 'id'>, outputs = 1, backend: 'mlx' | 'native' = 'mlx') {
  const refs = Array.from({ length: outputs }, (_, k) => (outputs === 1 ? 'y' : `y:${k}`));
  const res = s.evalJson({ schema_version: 1, backend, inputs, nodes: [{ id: 'y', ...node } as Node], outputs: refs });
  return res.outputs.map((o) => ({ shape: o.shape, dtype: o.dtype, data: (o.data as number[]).map(Number) }));
}

function close(got: number[], want: number[], tol = 1e-5) {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]))));
}

const matmul = (a: number[][], b: number[][]) => a.map((r) => b[0].map((_, j) => r.reduce((acc, v, k) => acc + v * b[k][j], 0)));

describe('MLX symbols in the capabilities', () => {
  it('lists them with the mlx backend only, by MLX module, and the native backend refuses them naming the mlx backend', () => {
    const caps = capabilities();
    const only = caps.ops.filter((o) => !o.backends.includes('native'));
    expect(only.every((o) => o.backends.length === 1 && o.backends[0] === 'mlx' && o.family.startsWith('mlx.core'))).toBe(true);
    const names = only.map((o) => o.name);
    for (const n of ['clip', 'tensordot', 'linalg_svd', 'fft_rfft', 'fast_rms_norm', 'einsum', 'random_normal', 'kron'])
      expect(names).toContain(n);
    // overloads of registry ops are the registry op (with its guards), and unchecked gathers are left out
    // and so are the factorizations MLX v0.31.2 aborts on for a singular matrix (the registry's have a guard)
    for (const n of ['sum_axes', 'sort_axis', 'take_axis', 'gather', 'scatter_add', 'divmod', 'linalg_inv', 'linalg_solve', 'linalg_lu_factor']) expect(names).not.toContain(n);
    expect(caps.ops.find((o) => o.name === 'linalg_eigh')!.attrs.find((a) => a.name === 'UPLO')!.choices).toEqual(['L', 'U']);
    expect(caps.ops.find((o) => o.name === 'clip')!.attrs.map((a) => [a.name, a.type])).toEqual([['has_a_min', 'bool'], ['has_a_max', 'bool']]);
    const s = new Session();
    let err: unknown;
    try {
      run(s, [f32('x', [2], [1, 2])], { op: 'clip', inputs: ['x', 'x', 'x'], attrs: { has_a_min: true, has_a_max: true } }, 1, 'native');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MlxRefusedError);
    expect((err as MlxRefusedError).code).toBe('unsupported_op');
    expect((err as MlxRefusedError).detail).toMatch(/native backend has no kernel for clip; the backends that have one: "mlx"/);
    s.close();
  });
});

describe.skipIf(!HAVE_MLX)('MLX symbols on the mlx backend (MLX v0.31.2 through mlx-c)', () => {
  const s = new Session({ backend: 'mlx' });
  const x = [-2, -0.5, 0, 0.75, 3, 9];

  it('clip, with an absent bound as a null array', () => {
    const lo = f32('lo', [], [-1]), hi = f32('hi', [], [2]);
    close(run(s, [f32('x', [6], x), lo, hi], { op: 'clip', inputs: ['x', 'lo', 'hi'], attrs: { has_a_min: true, has_a_max: true } })[0].data, x.map((v) => Math.min(2, Math.max(-1, v))));
    close(run(s, [f32('x', [6], x), hi], { op: 'clip', inputs: ['x', 'hi'], attrs: { has_a_max: true } })[0].data, x.map((v) => Math.min(2, v)));
  });

  it('tensordot and einsum (a string attribute and a list of inputs)', () => {
    const a = [[1, 2, 3], [4, 5, 6]], b = [[1, 0], [2, 1], [-1, 3]];
    const want = matmul(a, b).flat();
    const inputs = [f32('a', [2, 3], a.flat()), f32('b', [3, 2], b.flat())];
    const td = run(s, inputs, { op: 'tensordot_axis', inputs: ['a', 'b'], attrs: { axis: 1 } })[0];
    expect(td.shape).toEqual([2, 2]);
    close(td.data, want);
    close(run(s, inputs, { op: 'einsum', inputs: ['a', 'b'], attrs: { subscripts: 'ij,jk->ik' } })[0].data, want);
  });

  it('linalg_svd: three outputs whose product is the matrix, and linalg_pinv', () => {
    const a = [[4, 1, 2], [1, 3, 0], [2, 0, 5]];
    const [u, sv, vt] = run(s, [f32('a', [3, 3], a.flat())], { op: 'linalg_svd', inputs: ['a'], attrs: { compute_uv: true } }, 3);
    expect([u.shape, sv.shape, vt.shape]).toEqual([[3, 3], [3], [3, 3]]);
    const U = [0, 1, 2].map((i) => u.data.slice(3 * i, 3 * i + 3).map((v, j) => v * sv.data[j]));
    const V = [0, 1, 2].map((i) => vt.data.slice(3 * i, 3 * i + 3));
    close(matmul(U, V).flat(), a.flat(), 1e-4);
    const inv = run(s, [f32('a', [3, 3], a.flat())], { op: 'linalg_pinv', inputs: ['a'] })[0].data;
    const I = matmul(a, [0, 1, 2].map((i) => inv.slice(3 * i, 3 * i + 3)));
    close(I.flat(), [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-5);
  });

  it('fft_rfft against the DFT in float64 (complex64 out)', () => {
    const v = [1, 2, 0, -1, 3, 0.5, -2, 1];
    const [y] = run(s, [f32('v', [8], v)], { op: 'fft_rfft', inputs: ['v'], attrs: { n: 8, axis: -1, norm: 'backward' } });
    expect(y.dtype).toBe('complex64');
    expect(y.shape).toEqual([5]);
    const res = s.evalJson({ schema_version: 1, backend: 'mlx', inputs: [f32('v', [8], v)], nodes: [{ id: 'y', op: 'fft_rfft', inputs: ['v'], attrs: { n: 8, axis: -1, norm: 'ortho' } }], outputs: ['y'] });
    const got = res.outputs[0].data as [number, number][];
    got.forEach(([re, im], k) => {
      const want = v.reduce((acc, t, j) => [acc[0] + t * Math.cos((-2 * Math.PI * k * j) / 8), acc[1] + t * Math.sin((-2 * Math.PI * k * j) / 8)], [0, 0]);
      expect(Math.abs(re - want[0] / Math.sqrt(8))).toBeLessThan(1e-5);
      expect(Math.abs(im - want[1] / Math.sqrt(8))).toBeLessThan(1e-5);
    });
  });

  it('fast_rms_norm and linalg_eigh (two outputs)', () => {
    const rows = [[1, 2, 3, 4], [0.5, -1, 0, 2]], w = [1, 0.5, 2, -1];
    const want = rows.flatMap((r) => {
      const rms = Math.sqrt(r.reduce((a, v) => a + v * v, 0) / r.length + 1e-5);
      return r.map((v, i) => (v / rms) * w[i]);
    });
    close(run(s, [f32('x', [2, 4], rows.flat()), f32('w', [4], w)], { op: 'fast_rms_norm', inputs: ['x', 'w'], attrs: { has_weight: true, eps: 1e-5 } })[0].data, want, 1e-5);
    const [vals] = run(s, [f32('a', [2, 2], [2, 1, 1, 2])], { op: 'linalg_eigh', inputs: ['a'], attrs: { UPLO: 'L' } }, 2);
    close(vals.data, [1, 3], 1e-5);
  });

  it("MLX's own errors come back as responses at the node, typed", () => {
    const bad = () => run(s, [f32('a', [2, 3], [1, 2, 3, 4, 5, 6])], { op: 'linalg_cholesky', inputs: ['a'], attrs: { upper: false } });
    expect(bad).toThrow(MlxRequestError);
    try {
      bad();
    } catch (e) {
      expect((e as MlxRequestError).code).toBe('mlx_error');
      expect((e as MlxRequestError).path).toBe('/nodes/0');
      expect((e as Error).message).toMatch(/MLX: .*square/i);
    }
    // inputs MLX v0.31.2 ends the process on are refused before it sees them: empty arrays, NaN in linalg
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
    };
    const empty = refusal(() => run(s, [f32('x', [0], [])], { op: 'random_permutation', inputs: ['x'], attrs: { axis: 0 } }));
    expect(empty).toBeInstanceOf(MlxRefusedError);
    expect((empty as MlxRefusedError).detail).toMatch(/random_permutation on arrays with elements only: its input 0 is empty/);
    const nan = refusal(() => run(s, [{ id: 'a', dtype: 'float32' as const, shape: [2, 2], data: ['nan', 1, 1, 1] }], { op: 'linalg_svd', inputs: ['a'], attrs: { compute_uv: false } }));
    expect(nan).toBeInstanceOf(MlxRefusedError);
    expect((nan as MlxRefusedError).detail).toMatch(/finite values only/);
    // a wrong count of inputs for the has_ attributes is the engine's error, before MLX
    expect(() => run(s, [f32('x', [2], [1, 2])], { op: 'clip', inputs: ['x'], attrs: { has_a_min: true } })).toThrow(/clip takes 2 inputs/);
  });
});
