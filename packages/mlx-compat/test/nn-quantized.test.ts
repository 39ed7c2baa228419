// QuantizedLinear, QuantizedEmbedding, toQuantized and nn.quantize against
// real MLX: MLX 0.13 (node-mlx) for parameter names, shapes and freezing, and
// for outputs with the weights MLX packed (its scale rule predates v0.31.2's,
// so its packed values are carried over rather than recomputed); MLX v0.31.2
// through the engine's mlx backend for the whole layer (its draw, its
// quantize and its product) where the shared runtime is present.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mlx, { MxError, type MxArray } from '../src/index.js';
import { mlxCurrent, onMlx } from './mlx-current.js';

const require = createRequire(import.meta.url);
const R = require('@frost-beta/mlx');
const HAVE_MLX = mlxCurrent('quantized layers');
const mx = mlx.core, { nn, utils } = mlx;
type Lib = typeof mlx;
const real = R as Lib;

const flat = (a: { tolist(): unknown }): number[] => [a.tolist()].flat(Infinity).map(Number);
const input = (lib: Lib, shape: number[], k = 0) => lib.core.reshape(lib.core.sin(lib.core.multiply(lib.core.arange(shape.reduce((a, b) => a * b, 1)), 0.37 + k)), shape);
const names = (params: unknown) => utils.treeFlatten(params).map(([k, v]) => `${k}:${(v as MxArray).shape}:${(v as MxArray).dtype}`);
// real MLX's arrays as mlx-compat arrays of the same dtype and values
const carry = (pairs: Array<[string, unknown]>): Array<[string, MxArray]> =>
  pairs.map(([k, v]) => {
    const a = v as MxArray;
    return [k, mx.array(a.tolist() as number[], String(a.dtype).includes('uint32') ? mx.uint32 : mx.float32)];
  });
function expectClose(got: number[], want: number[], tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  got.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - want[i]) / (1 + Math.abs(want[i])))));
  expect(worst, what).toBeLessThanOrEqual(tol);
}

describe('QuantizedLinear', () => {
  it('has MLX 0.13\'s names, shapes and frozen parameters, and its outputs for the weights MLX packed', () => {
    real.core.random.seed(3);
    const theirs = new real.nn.QuantizedLinear(256, 24, true, 64, 4);
    theirs.bias = real.core.multiply(real.core.arange(24), 0.1);
    mx.random.seed(3);
    const ours = new nn.QuantizedLinear(256, 24, true, 64, 4);
    expect(names(ours.parameters())).toEqual(names(theirs.parameters()));
    expect(names(ours.parameters())).toEqual(['weight:24,32:uint32', 'scales:24,4:float32', 'biases:24,4:float32', 'bias:24:float32']);
    expect(names(ours.trainableParameters())).toEqual(names(theirs.trainableParameters()));
    ours.loadWeights(carry(utils.treeFlatten(theirs.parameters())));
    for (const shape of [[3, 256], [2, 5, 256]])
      expectClose(flat(ours.forward(input(mlx, shape))), flat(theirs.forward(input(real, shape))), 1e-5, `(${shape})`);
    // a single vector is a row
    expectClose(flat(ours.forward(input(mlx, [256]))), flat(theirs.forward(input(real, [1, 256]))), 1e-5, 'vector');
    expect(ours.forward(input(mlx, [256])).shape).toEqual([24]);
  });

  it('stays frozen through unfreeze; prints its settings as MLX v0.31.2', () => {
    const q = new nn.QuantizedLinear(64, 8, false, 32, 8);
    q.unfreeze();
    expect(utils.treeFlatten(q.trainableParameters())).toEqual([]);
    expect(q.toString()).toBe('QuantizedLinear(input_dims=64, output_dims=8, bias=false, group_size=32, bits=8, mode=affine)');
  });

  it('fromLinear / Linear.toQuantized: the product of the packed weight, the bias kept', () => {
    mx.random.seed(5);
    const lin = new nn.Linear(256, 16);
    const q = lin.toQuantized(128, 8);
    expect(q).toBeInstanceOf(nn.QuantizedLinear);
    expect(q.bias).toBe(lin.bias);
    expect([q.groupSize, q.bits, q.mode]).toEqual([128, 8, 'affine']);
    // independent of the layer: x (dequantized w)^T + b in float64, from the packed values
    const x = input(mlx, [4, 256]);
    const w = mx.dequantize(q.weight, q.scales, q.biases!, 128, 8).astype(mx.float64);
    const want = mx.add(mx.matmul(x.astype(mx.float64), w.T), lin.bias!.astype(mx.float64));
    expectClose(flat(q.forward(x)), flat(want), 2e-5, 'product');
    // and 8 bits stay close to the float weights
    expectClose(flat(q.forward(x)), flat(lin.forward(x)), 2e-2, 'against the float layer');
  });

  it('refuses a wrong input with a typed error naming the layer', () => {
    const q = new nn.QuantizedLinear(64, 8);
    expect(() => q.forward(mx.zeros([2, 63]))).toThrow(MxError);
    expect(() => q.forward(mx.zeros([2, 63]))).toThrow(/QuantizedLinear.*x/);
    expect(() => new nn.QuantizedLinear(64, 8, true, 64, 4, 'fancy' as never)).toThrow(/QuantizedLinear.*mode/);
    expect(() => new nn.QuantizedLinear(60, 8)).toThrow(MxError);
  });
});

describe('QuantizedEmbedding', () => {
  it('MLX 0.13\'s names and shapes; lookups and asLinear as MLX\'s for the weights MLX packed', () => {
    real.core.random.seed(4);
    const theirs = new real.nn.QuantizedEmbedding(20, 256, 32, 4);
    const ours = new nn.QuantizedEmbedding(20, 256, 32, 4);
    expect(names(ours.parameters())).toEqual(names(theirs.parameters()));
    ours.loadWeights(carry(utils.treeFlatten(theirs.parameters())));
    const idx = [[1, 19, 0], [7, 7, 3]];
    const got = ours.forward(mx.array(idx, mx.int32));
    expect(got.shape).toEqual([2, 3, 256]);
    expectClose(flat(got), flat(theirs.forward(real.core.array(idx, real.core.int32))), 1e-6, 'lookup');
    expectClose(flat(ours.asLinear(input(mlx, [3, 256]))), flat(theirs.asLinear(input(real, [3, 256]))), 1e-5, 'asLinear');
    expect(utils.treeFlatten(ours.trainableParameters())).toEqual([]);
    expect(() => ours.forward(mx.array([0.5]))).toThrow(/QuantizedEmbedding.*integers/);
  });

  it('Embedding.toQuantized keeps the table within the quantization step', () => {
    mx.random.seed(8);
    const e = new nn.Embedding(10, 128);
    const q = e.toQuantized(64, 8);
    const i = mx.array([3, 0, 9], mx.int32);
    expectClose(flat(q.forward(i)), flat(e.forward(i)), 2e-2, 'rows');
    expect(q.toString()).toBe('QuantizedEmbedding(10, 128, group_size=64, bits=8, mode=affine)');
  });
});

describe('nn.quantize', () => {
  const build = (lib: Lib) => {
    lib.core.random.seed(6);
    return new lib.nn.Sequential(new lib.nn.Embedding(16, 256), new lib.nn.Linear(256, 256), lib.nn.relu, new lib.nn.Linear(256, 32), new lib.nn.LayerNorm(32));
  };

  it('quantizes Linear and Embedding leaves in place, with MLX 0.13\'s names; the model computes as MLX\'s', () => {
    const ours = build(mlx), theirs = build(real);
    nn.quantize(ours, 64, 4);
    real.nn.quantize(theirs, 64, 4);
    expect(names(ours.parameters())).toEqual(names(theirs.parameters()));
    expect([0, 1, 3, 4].map((i) => ours.layers[i].constructor.name)).toEqual(['QuantizedEmbedding', 'QuantizedLinear', 'QuantizedLinear', 'LayerNorm']);
    // node-mlx's LayerNorm bias starts at ones (MLX: zeros): the same weights everywhere
    theirs.layers[4].bias = real.core.zeros([32]);
    ours.loadWeights(carry(utils.treeFlatten(theirs.parameters())));
    const i = [[1, 5, 15], [0, 2, 2]];
    expectClose(flat(ours.forward(mx.array(i, mx.int32))), flat(theirs.forward(real.core.array(i, real.core.int32))), 1e-4, 'model');
    expect(names(ours.trainableParameters())).toEqual(['layers.4.weight:32:float32', 'layers.4.bias:32:float32']);
  });

  it('classPredicate picks layers by path and may give each its own settings', () => {
    const m = build(mlx);
    nn.quantize(m, undefined, undefined, (path, layer) => (path === 'layers.3' ? { groupSize: 32, bits: 8 } : layer instanceof nn.Linear));
    expect(m.layers[0]).toBeInstanceOf(nn.Embedding);
    expect([(m.layers[1] as InstanceType<typeof nn.QuantizedLinear>).groupSize, (m.layers[1] as InstanceType<typeof nn.QuantizedLinear>).bits]).toEqual([64, 4]);
    expect([(m.layers[3] as InstanceType<typeof nn.QuantizedLinear>).groupSize, (m.layers[3] as InstanceType<typeof nn.QuantizedLinear>).bits]).toEqual([32, 8]);
    expect(() => nn.quantize(build(mlx), 64, 4, (p) => p === 'layers.4')).toThrow(/quantize.*layers\.4.*LayerNorm/);
    expect(() => nn.quantize(build(mlx), 64, 4, () => 3 as never)).toThrow(/classPredicate/);
  });

  it('a quantized model saves and loads under MLX\'s names with identical outputs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlxq-'));
    try {
      const a = build(mlx), b = build(mlx);
      nn.quantize(a, 32, 8);
      nn.quantize(b, 32, 8);
      mx.random.seed(99);
      b.layers[1] = new nn.Linear(256, 256).toQuantized(32, 8);
      a.saveWeights(join(dir, 'q.safetensors'));
      const saved = mx.load(join(dir, 'q.safetensors')) as Record<string, MxArray>;
      expect(Object.keys(saved).sort()).toEqual(utils.treeFlatten(a.parameters()).map(([k]) => k).sort());
      expect(saved['layers.1.weight'].dtype).toBe(mx.uint32);
      b.loadWeights(join(dir, 'q.safetensors'));
      const i = mx.array([[3, 1]], mx.int32);
      expect(b.forward(i).tolist()).toEqual(a.forward(i).tolist());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes mode through to the core: a mode the core lacks is refused there, one it has quantizes', () => {
    const w = input(mlx, [8, 64]);
    let coreHas = true;
    try {
      mx.quantize(w, 32, 4, 'mxfp4' as never);
    } catch (e) {
      expect(e).toBeInstanceOf(MxError);
      coreHas = false;
    }
    const m = new nn.Sequential(new nn.Linear(64, 8));
    if (!coreHas) {
      expect(() => nn.quantize(m, undefined, undefined, undefined, 'mxfp4' as never)).toThrow(/mxfp4/);
      return;
    }
    nn.quantize(m, undefined, undefined, undefined, 'mxfp4' as never);
    const q = m.layers[0] as InstanceType<typeof nn.QuantizedLinear>;
    expect([q.groupSize, q.bits, q.mode]).toEqual([32, 4, 'mxfp4']);
    expect(Object.keys(utils.treeFlatten(q.parameters(), '', undefined, {})).sort()).toEqual(['bias', 'scales', 'weight']);
  });
});

describe.skipIf(!HAVE_MLX)('quantized layers against MLX v0.31.2 (the mlx backend)', () => {
  // the same program with every op computed by MLX v0.31.2: its draw, its quantize, its products
  const run = () => {
    mx.random.seed(12);
    const m = new nn.Sequential(new nn.Linear(128, 64), nn.gelu, new nn.Linear(64, 16), new nn.Embedding(16, 64));
    nn.quantize(m, 64, 4, (p) => p !== 'layers.3');
    const l3 = (m.layers[3] as InstanceType<typeof nn.Embedding>).toQuantized(32, 8);
    const y = (m.layers[2] as InstanceType<typeof nn.QuantizedLinear>).forward(nn.gelu((m.layers[0] as InstanceType<typeof nn.QuantizedLinear>).forward(input(mlx, [5, 128]))));
    return [...flat(y), ...flat(l3.forward(mx.array([[2, 15], [0, 4]], mx.int32))), ...flat(l3.asLinear(input(mlx, [3, 64])))];
  };
  it('a quantized model computes what MLX v0.31.2 computes', () => {
    expectClose(run(), onMlx(run), 1e-5, 'model');
  });
});
