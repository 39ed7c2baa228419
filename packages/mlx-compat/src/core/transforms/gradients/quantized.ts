// vjp rules of the quantized ops: packed values have no gradient; a
// dequantized value is q * scale + bias, so the scales' cotangent sums g * q
// over each group and the biases' sums g; a quantized product's x cotangent
// is the product by the same weights the other way round. The floating-point
// modes' uint8 scales have no gradient.
import type { MxArray } from '../../array.js';
import { onesLike, zerosLike } from '../../ops/creation.js';
import { binaryOps } from '../../ops/elementwise.js';
import { sum } from '../../ops/reduce.js';
import { reshape } from '../../ops/shape.js';
import { dequantize, quantizedMatmul, type QuantizationMode } from '../../quantized.js';
import type { VjpRule } from './index.js';

type Q = { group_size: number; bits: number; mode: QuantizationMode; transpose?: boolean };
const grouped = (a: MxArray, gs: number) => reshape(a, [...a.shape.slice(0, -1), a.shape[a.ndim - 1] / gs, gs]);

export const quantizedRules: Record<string, VjpRule> = {
  quantize: ({ primals: [w] }) => [zerosLike(w)],
  dequantize: ({ primals: [w, s, b], cotangents: [g], attrs }) => {
    const { group_size: gs, bits, mode } = attrs as Q;
    if (mode !== 'affine') return [undefined, undefined];
    const q = dequantize(w, onesLike(s), zerosLike(b), gs, bits);
    return [undefined, sum(grouped(binaryOps.multiply(g!, q), gs), -1), sum(grouped(g!, gs), -1)];
  },
  quantized_matmul: ({ primals: [, w, s, b], cotangents: [g], attrs }) => {
    const { group_size: gs, bits, mode, transpose } = attrs as Q;
    return [quantizedMatmul(g!, w, s, b ?? null, !transpose, gs, bits, mode), undefined, undefined, ...(b ? [undefined] : [])];
  },
};
