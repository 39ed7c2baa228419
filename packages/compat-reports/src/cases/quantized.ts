// quantized: MLX's affine layout through mlx-compat and real MLX 0.13, which
// packs 2, 4 and 8 bits the same way. Its scale rule predates 0.31.2's, so
// quantize is compared on groups where both rules agree (integer values
// spanning the full range of the bins); products run on weights MLX packed.
// MLX 0.13 has no mxfp4, mxfp8 or nvfp4: those cases take the formats'
// definitions as the oracle (weights made of codes times a scale the rule
// reproduces exactly), and run on MLX v0.31.2 too where the harness has it.
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

// Floating-point modes: E2M1 and E4M3 values by code, and weights whose
// every group holds its mode's largest code, so that quantize finds the scale
// the weights were made with and every value lands on its code.
const e2m1 = (c: number) => (c & 8 ? -1 : 1) * ((c & 6) === 0 ? (c & 1) * 0.5 : 2 ** (((c >> 1) & 3) - 1) * (1 + (c & 1) / 2));
const e4m3 = (b: number) => (b & 0x80 ? -1 : 1) * (((b >> 3) & 15) === 0 ? (b & 7) * 2 ** -9 : 2 ** (((b >> 3) & 15) - 7) * (1 + (b & 7) / 8));
interface FpCase {
  mode: 'mxfp4' | 'mxfp8' | 'nvfp4';
  gs: number;
  bits: number;
  /** codes (row-major, no negative zero), scale bytes per group, the value of a scale byte, of a code */
  codes: number[];
  scales: number[];
  scale: (b: number) => number;
  value: (c: number) => number;
}
function fpCase(mode: FpCase['mode']): FpCase {
  const rows = 4, k = 64, bits = mode === 'mxfp8' ? 8 : 4, gs = mode === 'nvfp4' ? 16 : 32;
  const top = bits === 4 ? 7 : 0x7e;
  const codes = Array.from({ length: rows * k }, (_, i) => {
    if (i % gs === 3) return top + (Math.floor(i / gs) % 2 ? (bits === 4 ? 8 : 0x80) : 0);
    const c = (i * 37 + 11) % (bits === 4 ? 16 : 256);
    return c === (bits === 4 ? 8 : 0x80) || c === 0x7f || c === 0xff ? 1 : c;
  });
  // E8M0 bytes 2^-3 .. 2^3; E4M3 scales whose value times 6 is exact
  const scales = Array.from({ length: (rows * k) / gs }, (_, g) => (mode === 'nvfp4' ? [0x38, 0x30, 0x41, 0x2c, 0x3a][g % 5] : 124 + (g % 7)));
  return { mode, gs, bits, codes, scales, scale: mode === 'nvfp4' ? e4m3 : (b) => 2 ** (b - 127), value: bits === 4 ? e2m1 : e4m3 };
}
const fpWeights = (c: FpCase) => c.codes.map((code, i) => c.value(code) * c.scale(c.scales[Math.floor(i / c.gs)]));
const fpPacked = (c: FpCase): number[][] => {
  const per = 32 / c.bits, words: number[] = [];
  for (let i = 0; i < c.codes.length; i += per) words.push(c.codes.slice(i, i + per).reduce((w, code, j) => w + code * 2 ** (c.bits * j), 0));
  return [0, 1, 2, 3].map((r) => words.slice((r * words.length) / 4, ((r + 1) * words.length) / 4));
};
const rowsOf = (v: number[], n: number) => [0, 1, 2, 3].map((r) => v.slice((r * v.length) / n, ((r + 1) * v.length) / n));

function fpCases(mode: FpCase['mode']): ParityCase[] {
  const c = fpCase(mode);
  const base = { family: 'quantized', oracle: 'math' as const };
  const quantize = () => ours.quantize(ours.array(rowsOf(fpWeights(c), 4)), c.gs, c.bits, c.mode);
  const packed = () => [ours.array(fpPacked(c), ours.uint32), ours.array(rowsOf(c.scales, 4), ours.uint8)];
  const x = Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i * 0.37 + 2));
  const w = fpWeights(c);
  const product = [0, 1, 2].map((m) => [0, 1, 2, 3].map((n) => x.slice(m * 64, m * 64 + 64).reduce((acc, v, kk) => acc + v * w[n * 64 + kk], 0)));
  return [
    { ...base, id: `quantized.quantize_${mode}`, upstream: [up(`test_${mode}_quantize_dequantize`)], symbols: ['mlx.core.quantize'], run: () => [quantize(), packed()] },
    { ...base, id: `quantized.dequantize_${mode}`, upstream: [up(`test_${mode}_quantize_dequantize`)], symbols: ['mlx.core.dequantize'], run: () => {
      const [q, s] = packed();
      return [ours.dequantize(q, s, null, c.gs, c.bits, c.mode, ours.float32), rowsOf(w, 4)];
    } },
    { ...base, id: `quantized.qmm_${mode}`, upstream: [up('test_fp_qmv')], symbols: ['mlx.core.quantized_matmul'], rtol: 1e-5, run: () => {
      const [q, s] = packed();
      return [ours.quantizedMatmul(ours.reshape(ours.array(x), [3, 64]), q, s, null, true, c.gs, c.bits, c.mode), product];
    } },
  ];
}

export function cases(): ParityCase[] {
  return [
    ...fpCases('mxfp4'),
    ...fpCases('mxfp8'),
    ...fpCases('nvfp4'),
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
