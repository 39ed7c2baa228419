// Every op the engine registers is reachable from mlx.core under its MLX
// name (camelCase), or is named here with the facade function that uses it.
import { describe, expect, it } from 'vitest';
import { capabilities } from 'mlx-capi-bridge';
import mlx from '../src/index.js';
import { expectSame, flat, real } from './oracle.js';

const mx = mlx.core as unknown as Record<string, unknown>;
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

// Engine ops whose MLX spelling differs from the engine's name.
const SPELLED = { var: 'variance', slice: 'MxArray.index', slice_update: 'MxArray.indexPut_', random_bits: 'random.bits',
  rms_norm: 'fast.rmsNorm', layer_norm: 'fast.layerNorm', rope: 'fast.rope', scaled_dot_product_attention: 'fast.scaledDotProductAttention',
  conv_general: 'convGeneral', conv_weight_grad: 'convGeneral' /* its vjp's weight cotangent */, layer_norm_vjp: 'fast.layerNorm' /* its vjp's cotangents */,
  scaled_dot_product_attention_vjp: 'fast.scaledDotProductAttention' /* its vjp's cotangents */,
  fft: 'fft.fftn', inv: 'linalg.inv', tri_inv: 'linalg.triInv', cholesky: 'linalg.cholesky', solve: 'linalg.solve', solve_triangular: 'linalg.solveTriangular',
  qr: 'linalg.qr', svd: 'linalg.svd', lu_factor: 'linalg.luFactor', eigh: 'linalg.eigh', eig: 'linalg.eig' } as Record<string, string>;

describe('facade coverage of the engine registry', () => {
  it('exposes every engine op', () => {
    // (MLX's other ops by name, on the mlx backend only, are for callers of the engine, not the facade)
    const missing = capabilities().ops.filter((o) => o.backends.includes('native')).map((o) => o.name).filter((name) => {
      const facade = SPELLED[name] ?? camel(name);
      if (facade.startsWith('MxArray.')) return typeof (mlx.core.MxArray.prototype as unknown as Record<string, unknown>)[facade.slice(8)] !== 'function';
      const found = facade.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], mx);
      return typeof found !== 'function';
    });
    expect(missing).toEqual([]);
  });

  it('sort, argsort and topk agree with MLX', () => {
    const data = [[3, 1, 2, 9], [0, -1, 5, 5]];
    const a = mlx.core.array(data), b = real.array(data);
    expectSame(flat(mlx.core.sort(a, 0)), flat(real.sort(b, 0)), 'sort');
    expectSame(flat(mlx.core.sort(a, null)), flat(real.sort(b, null)), 'sort flat');
    expect(mlx.core.argsort(a).tolist()).toEqual([[1, 2, 0, 3], [1, 0, 2, 3]]);
    const top = mlx.core.topk(a, 2).tolist() as number[][];
    expect(top.map((r) => [...r].sort((p, q) => p - q))).toEqual([[3, 9], [5, 5]]);
  });
});
