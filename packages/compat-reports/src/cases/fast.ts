// fast: the fused ops through mlx-compat and real MLX (float32: MLX 0.13's
// CPU attention runs float32 only), their gradients, and the custom-kernel
// entry points, which this CPU engine refuses.
import { type Lib, type ParityCase, ours, real } from '../case.js';

const up = (file: string, name: string) => `${file}::${name}`;
const t = (name: string) => up('test_fast.py', name);
const sd = (name: string) => up('test_fast_sdpa.py', name);

// sin of a running index: deterministic, varied values of any shape
const input = (lib: Lib, shape: number[], k: number) => lib.reshape(lib.sin(lib.multiply(lib.arange(shape.reduce((a, b) => a * b, 1)), 0.37 + k)), shape);

function same(id: string, symbols: string[], upstream: string[], call: (lib: Lib) => unknown, rtol?: number): ParityCase {
  return { id: `fast.${id}`, family: 'fast', upstream, symbols: symbols.map((s) => `mlx.core.fast.${s}`), oracle: 'mlx-0.13', run: () => [call(ours), call(real)], rtol };
}

export function cases(): ParityCase[] {
  return [
    same('rms_norm', ['rms_norm'], [t('test_rms_norm')], (lib) => lib.fast.rmsNorm(input(lib, [2, 3, 64], 1), input(lib, [64], 2), 1e-5)),
    same('layer_norm', ['layer_norm'], [t('test_layer_norm')], (lib) => [lib.fast.layerNorm(input(lib, [2, 3, 64], 1), input(lib, [64], 2), input(lib, [64], 3), 1e-5), lib.fast.layerNorm(input(lib, [4, 32], 4), null, null, 1e-5)]),
    same('rope', ['rope'], [t('test_rope')], (lib) => [lib.fast.rope(input(lib, [2, 3, 7, 32], 1), 32, false, 10000, 1, 4), lib.fast.rope(input(lib, [2, 3, 7, 32], 1), 16, true, 500, 0.5, 0)]),
    same('sdpa', ['scaled_dot_product_attention'], [sd('test_sdpa'), sd('test_sdpa_few_query')], (lib) => lib.fast.scaledDotProductAttention(input(lib, [1, 8, 3, 32], 1), input(lib, [1, 2, 9, 32], 2), input(lib, [1, 2, 9, 32], 3), 0.2)),
    same('sdpa_mask', ['scaled_dot_product_attention'], [sd('test_sdpa_broadcast_mask')], (lib) => lib.fast.scaledDotProductAttention(input(lib, [2, 4, 5, 16], 1), input(lib, [2, 4, 6, 16], 2), input(lib, [2, 4, 6, 16], 3), 0.25, input(lib, [5, 6], 4))),
    same('rms_norm_grad', ['rms_norm'], [t('test_rms_norm_grad')], (lib) => lib.grad((x: unknown, w: unknown) => lib.sum(lib.multiply(lib.fast.rmsNorm(x, w, 1e-5), input(lib, [3, 16], 7))), [0, 1])(input(lib, [3, 16], 1), input(lib, [16], 2)), 1e-4),
    same('layer_norm_grad', ['layer_norm'], [t('test_layer_norm_grad')], (lib) => lib.grad((x: unknown, w: unknown, b: unknown) => lib.sum(lib.multiply(lib.fast.layerNorm(x, w, b, 1e-5), input(lib, [3, 16], 7))), [0, 1, 2])(input(lib, [3, 16], 1), input(lib, [16], 2), input(lib, [16], 3)), 1e-4),
    same('rope_grad', ['rope'], [t('test_rope_grad')], (lib) => lib.grad((x: unknown) => lib.sum(lib.multiply(lib.fast.rope(x, 8, false, 10000, 1, 2), input(lib, [1, 2, 4, 8], 7))))(input(lib, [1, 2, 4, 8], 1)), 1e-4),
    ...(['metal_kernel', 'cuda_kernel'] as const).map((name): ParityCase => ({
      id: `fast.${name}`,
      family: 'fast',
      upstream: [t('test_custom_kernel_basic')],
      symbols: [`mlx.core.fast.${name}`],
      oracle: 'math',
      // refused by design: custom kernels compile GPU source
      run: () => [ours.fast[name === 'metal_kernel' ? 'metalKernel' : 'cudaKernel'](), null],
    })),
  ];
}
