// quantized: MLX's affine layout through mlx-compat and real MLX 0.13, which
// packs 2, 4 and 8 bits the same way. Its scale rule predates 0.31.2's, so
// quantize is compared on groups where both rules agree (integer values
// spanning the full range of the bins); products run on weights MLX packed.
import { type Lib, type ParityCase, ours, real } from '../case.js';

const up = (name: string) => `test_quantized.py::${name}`;
const input = (lib: Lib, shape: number[], k: number) => lib.reshape(lib.sin(lib.multiply(lib.arange(shape.reduce((a, b) => a * b, 1)), 0.37 + k)), shape);
// -(2^bits - 1) .. 0 in every group of 64: both rules give scale 1, bias -(2^bits - 1)
const levels = (lib: Lib, bits: number) => lib.reshape(lib.negative(lib.remainder(lib.arange(4 * 512), (1 << bits))), [4, 512]);
// MLX's packed weights, scales and biases, carried into mlx-compat
const carried = (bits: number): [unknown, unknown, unknown] => {
  const [q, s, b] = real.quantize(input(real, [64, 512], 1), 64, bits);
  return [ours.array(q.tolist(), ours.uint32), ours.array(s.tolist()), ours.array(b.tolist())];
};
const packed = (lib: Lib, bits: number) => (lib === real ? real.quantize(input(real, [64, 512], 1), 64, bits) : carried(bits));

function same(id: string, symbols: string[], upstream: string[], call: (lib: Lib) => unknown, rtol?: number): ParityCase {
  return { id: `quantized.${id}`, family: 'quantized', upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle: 'mlx-0.13', run: () => [call(ours), call(real)], rtol };
}

export function cases(): ParityCase[] {
  return [
    ...[2, 4, 8].map((bits) => same(`quantize_${bits}bit`, ['quantize'], [up('test_quantize_dequantize')], (lib) => lib.quantize(levels(lib, bits), 64, bits))),
    ...[2, 4, 8].map((bits) => same(`dequantize_${bits}bit`, ['dequantize'], [up('test_quantize_dequantize')], (lib) => {
      const [q, s, b] = packed(lib, bits);
      return lib.dequantize(q, s, b, 64, bits);
    })),
    same('qmv', ['quantized_matmul'], [up('test_qmv')], (lib) => {
      const [q, s, b] = packed(lib, 4);
      return lib.quantizedMatmul(input(lib, [1, 512], 2), q, s, b, true, 64, 4);
    }, 1e-4),
    same('qmm', ['quantized_matmul'], [up('test_qmm')], (lib) => {
      const [q, s, b] = packed(lib, 8);
      return lib.quantizedMatmul(input(lib, [9, 512], 2), q, s, b, true, 64, 8);
    }, 1e-4),
    same('qvm', ['quantized_matmul'], [up('test_qvm')], (lib) => {
      const [q, s, b] = packed(lib, 4);
      return lib.quantizedMatmul(input(lib, [3, 64], 2), q, s, b, false, 64, 4);
    }, 1e-4),
    {
      // MLX 0.13's binding has no gather_qmm: its quantized_matmul over the batches picked by hand
      id: 'quantized.gather_qmm', family: 'quantized', upstream: [up('test_gather_qmm')], symbols: ['mlx.core.gather_qmm'], oracle: 'mlx-0.13', rtol: 1e-4,
      run: () => {
        const [q, s, b] = real.quantize(input(real, [3, 64, 512], 1), 64, 4);
        const x = input(real, [2, 1, 512], 2);
        const carry = (a: { tolist(): unknown }, d: unknown) => ours.array(a.tolist(), d);
        const got = ours.gatherQmm(carry(x, ours.float32), carry(q, ours.uint32), carry(s, ours.float32), carry(b, ours.float32), ours.array([1, 0], ours.uint32), ours.array([2, 0], ours.uint32), true, 64, 4);
        const pick = (a: { shape: number[] }, i: number) => real.reshape(real.take(a, real.array([i], real.uint32), 0), a.shape.slice(1));
        const want = real.stack([
          real.quantizedMatmul(pick(x, 1), pick(q, 2), pick(s, 2), pick(b, 2), true, 64, 4),
          real.quantizedMatmul(pick(x, 0), pick(q, 0), pick(s, 0), pick(b, 0), true, 64, 4),
        ], 0);
        return [got, want];
      },
    },
  ];
}
