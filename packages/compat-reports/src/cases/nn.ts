// mlx.nn: activations, layers and module trees through mlx-compat and real
// MLX (node-mlx 0.0.7, MLX 0.13), both seeded alike so that initializations
// draw the same values; where MLX 0.13 lacks a name or differs from
// v0.31.2, the expected value comes from the definition (oracle 'math').
import { type Lib, type ParityCase, oursLib, realLib } from '../case.js';

const up = (name: string) => `test_nn.py::${name}`;

// sin(arange(n) + k) * 2 in the given shape
const input = (lib: Lib, shape: number[], k = 0) =>
  lib.core.reshape(lib.core.multiply(lib.core.sin(lib.core.add(lib.core.arange(shape.reduce((a: number, b: number) => a * b, 1)), k)), 2), shape);
const plainInput = (shape: number[], k = 0) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + k) * 2);

function same(id: string, symbols: string[], tests: string[], call: (lib: Lib) => unknown, rtol?: number): ParityCase {
  return {
    id: `nn.${id}`, family: 'nn', upstream: tests.map(up), symbols: symbols.map((s) => `mlx.nn.${s}`), oracle: 'mlx-0.13', rtol,
    run: () => [call(oursLib), call(realLib)],
  };
}
function math(id: string, symbols: string[], tests: string[], call: () => unknown, expected: () => unknown, rtol?: number): ParityCase {
  return { id: `nn.${id}`, family: 'nn', upstream: tests.map(up), symbols: symbols.map((s) => `mlx.nn.${s}`), oracle: 'math', rtol, run: () => [call(), expected()] };
}

const X = [-3, -1.5, -0.25, 0, 0.3, 1, 2.5, 7];
const sig = (v: number) => 1 / (1 + Math.exp(-v));
const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

// [MLX name, mlx-compat name, node-mlx name (or null: computed from the definition), definition, upstream test]
const ACTIVATIONS: Array<[string, string, string | null, (v: number) => number, string]> = [
  ['sigmoid', 'sigmoid', 'sigmoid', sig, 'test_sigmoid'],
  ['relu', 'relu', 'relu', (v) => Math.max(v, 0), 'test_relu'],
  ['relu2', 'relu2', null, (v) => Math.max(v, 0) ** 2, 'test_relu'],
  ['relu6', 'relu6', 'relu6', (v) => Math.min(Math.max(v, 0), 6), 'test_relu6'],
  ['leaky_relu', 'leakyRelu', 'leakyRelu', (v) => (v > 0 ? v : 0.01 * v), 'test_leaky_relu'],
  ['elu', 'elu', 'elu', (v) => (v > 0 ? v : Math.expm1(v)), 'test_elu'],
  ['celu', 'celu', 'celu', (v) => Math.max(v, 0) + Math.expm1(Math.min(v, 0)), 'test_celu'],
  ['selu', 'selu', 'selu', (v) => 1.0507 * (v > 0 ? v : 1.67326 * Math.expm1(v)), 'test_elu'],
  ['silu', 'silu', 'silu', (v) => v * sig(v), 'test_sigmoid'],
  ['softplus', 'softplus', 'softplus', softplus, 'test_softplus'],
  ['softsign', 'softsign', 'softsign', (v) => v / (1 + Math.abs(v)), 'test_softsign'],
  ['softshrink', 'softshrink', 'softshrink', (v) => (Math.abs(v) > 0.5 ? v - Math.sign(v) * 0.5 : 0), 'test_softshrink'],
  ['log_sigmoid', 'logSigmoid', 'logSigmoid', (v) => -softplus(-v), 'test_log_sigmoid'],
  ['gelu', 'gelu', 'gelu', (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)), 'test_gelu'],
  ['gelu_approx', 'geluApprox', 'geluApprox', (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))), 'test_gelu'],
  ['gelu_fast_approx', 'geluFastApprox', 'geluFastApprox', (v) => v * sig(1.702 * v), 'test_gelu'],
  ['mish', 'mish', 'mish', (v) => v * Math.tanh(softplus(v)), 'test_mish'],
  ['hardswish', 'hardswish', 'hardswish', (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6, 'test_hardswish'],
  ['hard_tanh', 'hardTanh', null, (v) => Math.min(Math.max(v, -1), 1), 'test_hard_tanh'],
  ['hard_shrink', 'hardShrink', null, (v) => (Math.abs(v) > 0.5 ? v : 0), 'test_hard_shrink'],
  ['step', 'step', 'step', (v) => (v > 0 ? 1 : 0), 'test_relu'],
  ['tanh', 'tanh', 'tanh', Math.tanh, 'test_sigmoid'],
];

// erf by its Taylor series (converges for the |x| < 5 used here)
function erf(x: number): number {
  if (Math.abs(x) > 4) return Math.sign(x);
  let sum = 0, term = x, n = 0;
  while (Math.abs(term) > 1e-17 * Math.abs(sum) || n < 5) {
    sum += term / (2 * n + 1);
    n++;
    term *= (-x * x) / n;
    if (n > 200) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

// [MLX class, mlx-compat/node-mlx class (null where node-mlx lacks it), constructor args, function it applies]
const ACTIVATION_CLASSES: Array<[string, string | null, unknown[], string]> = [
  ['Sigmoid', 'Sigmoid', [], 'sigmoid'], ['ReLU', 'ReLU', [], 'relu'], ['ReLU2', null, [], 'relu2'], ['ReLU6', 'ReLU6', [], 'relu6'],
  ['LeakyReLU', 'LeakyReLU', [], 'leaky_relu'], ['ELU', 'ELU', [], 'elu'], ['CELU', 'CELU', [], 'celu'], ['SELU', 'SELU', [], 'selu'],
  ['SiLU', 'SiLU', [], 'silu'], ['Softplus', 'Softplus', [], 'softplus'], ['Softsign', 'Softsign', [], 'softsign'],
  ['Softshrink', null, [], 'softshrink'], ['LogSigmoid', 'LogSigmoid', [], 'log_sigmoid'], ['GELU', 'GELU', [], 'gelu'],
  ['Mish', 'Mish', [], 'mish'], ['Hardswish', 'Hardswish', [], 'hardswish'], ['HardTanh', null, [], 'hard_tanh'],
  ['HardShrink', null, [], 'hard_shrink'], ['Step', 'Step', [], 'step'], ['Tanh', 'Tanh', [], 'tanh'],
];

const softmaxRows = (rows: number[][], sign = 1) =>
  rows.map((r) => {
    const m = Math.max(...r.map((v) => sign * v));
    const e = r.map((v) => Math.exp(sign * v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
const ROWS = [[1, 2, 3, -1], [0.5, -2, 0, 4]];

// node-mlx 0.0.7 initializes the bias of LayerNorm and InstanceNorm to ones
// (MLX: zeros); they get MLX's zeros before a comparison.
function zeroRealNormBias(m: Lib): void {
  for (const sub of m.modules())
    if ((sub instanceof realLib.nn.LayerNorm || sub instanceof realLib.nn.InstanceNorm) && sub.bias) sub.bias = realLib.core.zerosLike(sub.bias);
}

// Parameter names and shapes, sorted; node-mlx spells MLX's snake_case member
// names (query_proj, running_mean) in camelCase, so both are compared in snake_case.
const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, (_, a: string, b: string) => `${a}_${b.toLowerCase()}`);
const namesAndShapes = (lib: Lib, params: unknown) =>
  lib.utils.treeFlatten(params).map(([k, v]: [string, { shape: number[] }]) => `${k.split('.').map((p) => (/^W/.test(p) ? p : snake(p))).join('.')}:${v.shape}`).sort().join(' ');

// A layer built after seeding, applied to a fixed input: output and parameter names/shapes against MLX's.
function layer(id: string, cls: string, tests: string[], build: (lib: Lib) => Lib, apply: (lib: Lib, m: Lib) => unknown, rtol?: number): ParityCase {
  return {
    id: `nn.${id}`, family: 'nn', upstream: tests.map(up), symbols: [`mlx.nn.${cls}`], oracle: 'mlx-0.13', rtol,
    run: () => {
      const run = (lib: Lib) => {
        lib.core.random.seed(11);
        const m = build(lib);
        if (lib === realLib) zeroRealNormBias(m);
        return { out: apply(lib, m), names: namesAndShapes(lib, m.parameters()) };
      };
      const o = run(oursLib), r = run(realLib);
      return [[o.out, Number(o.names === r.names)], [r.out, 1]];
    },
  };
}

export function cases(): ParityCase[] {
  return [
    ...ACTIVATIONS.map(([name, fn, realFn, def, test]) =>
      realFn
        ? same(name, [name], [test], (lib) => lib.nn[lib === oursLib ? fn : realFn](lib.core.array(X)))
        : math(name, [name], [test], () => oursLib.nn[fn](oursLib.core.array(X)), () => X.map(def)),
    ),
    ...ACTIVATION_CLASSES.map(([cls, realCls, args, fn]) => {
      const entry = ACTIVATIONS.find((a) => a[0] === fn)!;
      return realCls
        ? same(cls, [cls], [entry[4]], (lib) => new lib.nn[cls](...args).forward(lib.core.array(X)))
        : math(cls, [cls], [entry[4]], () => new oursLib.nn[cls](...args).forward(oursLib.core.array(X)), () => X.map(entry[3]));
    }),
    same('softmax', ['softmax', 'Softmax'], ['test_softmax'], (lib) => [lib.nn.softmax(lib.core.array(ROWS)), new lib.nn.Softmax().forward(lib.core.array(ROWS))]),
    same('log_softmax', ['log_softmax', 'LogSoftmax'], ['test_log_softmax'], (lib) => [lib.nn.logSoftmax(lib.core.array(ROWS)), new lib.nn.LogSoftmax().forward(lib.core.array(ROWS))]),
    math('softmin', ['softmin', 'Softmin'], ['test_softmin'], () => [oursLib.nn.softmin(oursLib.core.array(ROWS)), new oursLib.nn.Softmin().forward(oursLib.core.array(ROWS))], () => [softmaxRows(ROWS, -1), softmaxRows(ROWS, -1)]),
    same('glu', ['glu', 'GLU'], ['test_glu'], (lib) => [lib.nn.glu(lib.core.array(ROWS)), new lib.nn.GLU().forward(lib.core.array(ROWS))]),
    same('prelu', ['prelu', 'PReLU'], ['test_prelu'], (lib) => [lib.nn.prelu(lib.core.array(X), lib.core.array([0.2])), new lib.nn.PReLU().forward(lib.core.array(X))]),
    // MLX 0.13's GELU lacks v0.31.2's 'tanh' (the same function as 'precise'); gelu_approx covers it
    same('gelu_modes', ['GELU'], ['test_gelu'], (lib) => ['precise', 'fast'].map((a) => new lib.nn.GELU(a).forward(lib.core.array(X))), 2e-5),

    layer('Linear', 'Linear', ['test_linear'], (lib) => new lib.nn.Linear(5, 3), (lib, m) => m.forward(input(lib, [4, 5]))),
    layer('Linear_no_bias', 'Linear', ['test_linear'], (lib) => new lib.nn.Linear(5, 3, false), (lib, m) => m.forward(input(lib, [2, 4, 5]))),
    layer('Bilinear', 'Bilinear', ['test_bilinear'], (lib) => new lib.nn.Bilinear(4, 3, 5), (lib, m) => m.forward(input(lib, [2, 4]), input(lib, [2, 3], 1))),
    layer('Identity', 'Identity', ['test_identity'], (lib) => new lib.nn.Identity(), (lib, m) => m.forward(input(lib, [3, 2]))),
    layer('Embedding', 'Embedding', ['test_module_utilities'], (lib) => new lib.nn.Embedding(10, 4), (lib, m) => [m.forward(lib.core.array([[1, 9], [0, 1]], lib.core.int32)), m.asLinear(input(lib, [2, 4]))]),
    layer('Sequential', 'Sequential', ['test_sequential'], (lib) => new lib.nn.Sequential(new lib.nn.Linear(4, 6), lib.nn.relu, new lib.nn.Linear(6, 2)), (lib, m) => m.forward(input(lib, [3, 4]))),
    layer('LayerNorm', 'LayerNorm', ['test_group_norm'], (lib) => new lib.nn.LayerNorm(6), (lib, m) => m.forward(input(lib, [2, 3, 6]))),
    layer('RMSNorm', 'RMSNorm', ['test_group_norm'], (lib) => new lib.nn.RMSNorm(6), (lib, m) => m.forward(input(lib, [2, 3, 6]))),
    layer('GroupNorm', 'GroupNorm', ['test_group_norm'], (lib) => new lib.nn.GroupNorm(2, 6), (lib, m) => m.forward(input(lib, [2, 3, 6]))),
    layer('GroupNorm_pytorch', 'GroupNorm', ['test_group_norm'], (lib) => new lib.nn.GroupNorm(3, 6, 1e-5, true, true), (lib, m) => m.forward(input(lib, [2, 4, 6]))),
    layer('InstanceNorm', 'InstanceNorm', ['test_instance_norm'], (lib) => new lib.nn.InstanceNorm(4, 1e-5, true), (lib, m) => m.forward(input(lib, [2, 3, 3, 4]))),
    layer('BatchNorm', 'BatchNorm', ['test_batch_norm', 'test_batch_norm_stats'], (lib) => new lib.nn.BatchNorm(4), (lib, m) => {
      const train = m.forward(input(lib, [5, 4]));
      const stats = [m.running_mean ?? m.runningMean, m.running_var ?? m.runningVar];
      m.eval();
      return [train, ...stats, m.forward(input(lib, [3, 4], 2)), namesAndShapes(lib, m.trainableParameters()) === 'weight:4 bias:4' ? 1 : 0];
    }),
    layer('Dropout', 'Dropout', ['test_dropout'], (lib) => new lib.nn.Dropout(0.3), (lib, m) => {
      const train = m.forward(input(lib, [4, 6]));
      m.eval();
      return [train, m.forward(input(lib, [4, 6]))];
    }),
    layer('Dropout2d', 'Dropout2d', ['test_dropout2d'], (lib) => new lib.nn.Dropout2d(0.5), (lib, m) => m.forward(input(lib, [2, 3, 3, 4]))),
    layer('Dropout3d', 'Dropout3d', ['test_dropout3d'], (lib) => new lib.nn.Dropout3d(0.5), (lib, m) => m.forward(input(lib, [2, 2, 2, 2, 3]))),
    layer('MultiHeadAttention', 'MultiHeadAttention', ['test_attention', 'test_causal_mask'], (lib) => new lib.nn.MultiHeadAttention(8, 2), (lib, m) => {
      // the causal mask of v0.31.2 uses finfo.min where MLX 0.13 used -1e9: after softmax the same
      const mask = lib.nn.MultiHeadAttention.createAdditiveCausalMask(4);
      return [m.forward(input(lib, [2, 4, 8]), input(lib, [2, 4, 8], 1), input(lib, [2, 4, 8], 2)), m.forward(input(lib, [1, 4, 8]), input(lib, [1, 4, 8], 1), input(lib, [1, 4, 8], 2), mask)];
    }),
    layer('Transformer', 'Transformer', ['test_transformer', 'test_transformer_encoder', 'test_transformer_decoder'], (lib) => new lib.nn.Transformer(8, 2, 1, 1, 16), (lib, m) =>
      m.forward(input(lib, [2, 3, 8]), input(lib, [2, 4, 8], 1))),
    // (post-norm layers, normFirst = false, are left out: MLX 0.13's differ from v0.31.2's)
    recurrent('RNN', ['test_rnn'], (lib, m) => [m.forward(input(lib, [2, 4, 3])), m.forward(input(lib, [4, 3]), input(lib, [5], 1))]),
    recurrent('GRU', ['test_gru'], (lib, m) => [m.forward(input(lib, [2, 4, 3])), m.forward(input(lib, [4, 3]), input(lib, [5], 1))]),
    recurrent('LSTM', ['test_lstm'], (lib, m) => [...m.forward(input(lib, [2, 4, 3])), ...m.forward(input(lib, [4, 3]), input(lib, [5], 1), input(lib, [5], 2))]),
    layer('MaxPool1d', 'MaxPool1d', ['test_pooling'], (lib) => new lib.nn.MaxPool1d(3, 2, 1), (lib, m) => m.forward(input(lib, [2, 7, 3]))),
    layer('AvgPool1d', 'AvgPool1d', ['test_pooling'], (lib) => new lib.nn.AvgPool1d(2), (lib, m) => m.forward(input(lib, [2, 7, 3]))),
    layer('MaxPool2d', 'MaxPool2d', ['test_pooling'], (lib) => new lib.nn.MaxPool2d([2, 3], [1, 2], 1), (lib, m) => m.forward(input(lib, [1, 5, 6, 2]))),
    layer('AvgPool2d', 'AvgPool2d', ['test_pooling'], (lib) => new lib.nn.AvgPool2d(2), (lib, m) => m.forward(input(lib, [2, 4, 5, 3]))),
    pool3d('MaxPool3d', 'max'),
    pool3d('AvgPool3d', 'avg'),
    layer('Upsample_nearest', 'Upsample', ['test_upsample'], (lib) => new lib.nn.Upsample(2), (lib, m) => m.forward(input(lib, [1, 2, 3, 2]))),
    layer('Upsample_linear', 'Upsample', ['test_upsample'], (lib) => new lib.nn.Upsample([2, 1.5], 'linear'), (lib, m) => m.forward(input(lib, [1, 3, 4, 2]))),
    layer('Upsample_linear_aligned', 'Upsample', ['test_upsample'], (lib) => new lib.nn.Upsample(2, 'linear', true), (lib, m) => m.forward(input(lib, [1, 3, 4, 2]))),
    layer('RoPE', 'RoPE', ['test_rope'], (lib) => new lib.nn.RoPE(4), (lib, m) => [m.forward(input(lib, [2, 3, 6])), m.forward(input(lib, [1, 5, 4]), 3)]),
    layer('RoPE_traditional', 'RoPE', ['test_rope'], (lib) => new lib.nn.RoPE(6, true, 500, 0.5), (lib, m) => m.forward(input(lib, [2, 3, 6]), 2)),
    layer('ALiBi', 'ALiBi', ['test_alibi'], (lib) => new lib.nn.ALiBi(), (lib, m) => [m.forward(input(lib, [1, 4, 3, 5])), m.forward(input(lib, [2, 2, 3, 3]), 0, input(lib, [3, 3], 1))]),
    layer('SinusoidalPositionalEncoding', 'SinusoidalPositionalEncoding', ['test_sin_pe'], (lib) => new lib.nn.SinusoidalPositionalEncoding(8), (lib, m) => m.forward(lib.core.arange(5))),
    moduleTree(),
    valueAndGrad(),
    cubic('Upsample_cubic', [1, 3, 4, 2], [2, 1.5], false),
    cubic('Upsample_cubic_aligned', [2, 3, 2], [2], true),
    transformerCheckpoint(),
    // (MLX 0.13 quantizes rows of at least 256 values at 4 bits, 128 at 8)
    carried('QuantizedLinear', ['QuantizedLinear'], ['test_quantize'], (lib) => new lib.nn.QuantizedLinear(256, 24, true, 64, 4), (lib, m) => [m.forward(input(lib, [3, 256])), m.forward(input(lib, [2, 2, 256]))]),
    carried('QuantizedEmbedding', ['QuantizedEmbedding'], ['test_quantized_embedding'], (lib) => new lib.nn.QuantizedEmbedding(20, 128, 32, 8), (lib, m) =>
      [m.forward(lib.core.array([[1, 19], [0, 7]], lib.core.int32)), m.asLinear(input(lib, [3, 128]))]),
    carried('quantize', ['quantize', 'QuantizedLinear', 'QuantizedEmbedding'], ['test_quantize'], (lib) => {
      const m = new lib.nn.Sequential(new lib.nn.Embedding(16, 256), new lib.nn.Linear(256, 256), lib.nn.relu, new lib.nn.Linear(256, 32));
      lib.nn.quantize(m, 64, 4);
      return m;
    }, (lib, m) => m.forward(lib.core.array([[1, 5, 15], [0, 2, 2]], lib.core.int32)), 1e-4),
  ];
}

// Cubic upsampling against MLX's definition in float64, axis by axis (Keys'
// kernel, a = -0.75, at MLX's source positions; sources past an edge repeat
// it). MLX 0.13's cubic weights do not sum to one: it is no oracle here.
function cubic(id: string, shape: number[], scales: number[], alignCorners: boolean): ParityCase {
  const keys = (t: number) => {
    const x = Math.abs(t);
    return x <= 1 ? (1.25 * x - 2.25) * x * x + 1 : x < 2 ? -0.75 * (((x - 5) * x + 8) * x - 4) : 0;
  };
  return math(id, ['Upsample'], ['test_upsample'], () => new oursLib.nn.Upsample(scales, 'cubic', alignCorners).forward(input(oursLib, shape)), () => {
    let v = plainInput(shape), s = [...shape];
    scales.forEach((scale, d) => {
      const n = s[d + 1], m = Math.floor(scale * n), inner = s.slice(d + 2).reduce((a, b) => a * b, 1), outer = s.slice(0, d + 1).reduce((a, b) => a * b, 1);
      const out = new Array<number>(outer * m * inner).fill(0);
      for (let j = 0; j < m; j++) {
        const pos = alignCorners ? (m > 1 ? (j * (n - 1)) / (m - 1) : 0) : j / scale - ((m - 1) / scale - n + 1) / 2, base = Math.floor(pos);
        for (let o = -1; o <= 2; o++) {
          const src = Math.min(Math.max(base + o, 0), n - 1), w = keys(pos - base - o);
          for (let a = 0; a < outer; a++) for (let b = 0; b < inner; b++) out[(a * m + j) * inner + b] += w * v[(a * n + src) * inner + b];
        }
      }
      v = out;
      s = [...s.slice(0, d + 1), m, ...s.slice(d + 2)];
    });
    return oursLib.core.reshape(oursLib.core.array(v), s);
  }, 2e-6);
}

// Quantized layers: MLX 0.13 packs as v0.31.2 but picks its scales by an older
// rule, so the arrays real MLX packed are carried into ours (the parameter
// names and shapes must agree) and both compute from them.
function carried(id: string, symbols: string[], tests: string[], build: (lib: Lib) => Lib, apply: (lib: Lib, m: Lib) => unknown, rtol = 1e-5): ParityCase {
  return {
    id: `nn.${id}`, family: 'nn', upstream: tests.map(up), symbols: symbols.map((s) => `mlx.nn.${s}`), oracle: 'mlx-0.13', rtol,
    run: () => {
      realLib.core.random.seed(11);
      const theirs = build(realLib);
      oursLib.core.random.seed(11);
      const ours = build(oursLib);
      const same = namesAndShapes(oursLib, ours.parameters()) === namesAndShapes(realLib, theirs.parameters());
      const uint = (d: unknown) => String(d).includes('uint32');
      ours.loadWeights(realLib.utils.treeFlatten(theirs.parameters()).map(([k, v]: [string, Lib]) => [k, oursLib.core.array(v.tolist(), uint(v.dtype) ? oursLib.core.uint32 : oursLib.core.float32)]));
      return [[apply(oursLib, ours), Number(same)], [apply(realLib, theirs), 1]];
    },
  };
}

// A checkpointed Transformer (each layer recomputed in the backward pass): by
// definition the loss and every gradient of the same model without
// checkpoints (MLX 0.13 cannot be the oracle: node-mlx 0.0.7's binary lacks
// mx.checkpoint, and its own gradients of this model vary from run to run in
// one process, its final LayerNorm's by up to 5; nn-layers.test.ts compares
// with them within a tolerance).
function transformerCheckpoint(): ParityCase {
  const run = (checkpoint: boolean) => {
    oursLib.core.random.seed(13);
    const m = new oursLib.nn.Transformer(8, 2, 2, 1, 16, 0, oursLib.nn.relu, undefined, undefined, true, checkpoint);
    const [v, g] = oursLib.nn.valueAndGrad(m, (a: unknown, b: unknown) => oursLib.core.sum(oursLib.core.square(m.forward(a, b))))(input(oursLib, [2, 3, 8]), input(oursLib, [2, 4, 8], 1));
    return [v, ...oursLib.utils.treeFlatten(g).map(([, a]: [string, unknown]) => a)];
  };
  return math('Transformer_checkpoint', ['Transformer'], ['test_transformer'], () => run(true), () => run(false), 1e-5);
}

// MLX 0.13 stores the recurrent weights transposed ((input, hidden)); v0.31.2
// stores them (hidden, input) as here. Real MLX's weights, transposed, are
// loaded into ours, then both run.
function recurrent(cls: string, tests: string[], apply: (lib: Lib, m: Lib) => unknown): ParityCase {
  return {
    id: `nn.${cls}`, family: 'nn', upstream: tests.map(up), symbols: [`mlx.nn.${cls}`], oracle: 'mlx-0.13',
    run: () => {
      realLib.core.random.seed(11);
      const theirs = new realLib.nn[cls](3, 5);
      const ours = new oursLib.nn[cls](3, 5);
      const weights = realLib.utils.treeFlatten(theirs.parameters()).map(([k, v]: [string, Lib]) => [k, oursLib.core.array(v.ndim === 2 ? realLib.core.transpose(v).tolist() : v.tolist())]);
      ours.loadWeights(weights);
      return [apply(oursLib, ours), apply(realLib, theirs)];
    },
  };
}

// node-mlx has no 3-D pooling: a loop over the windows is the reference.
function pool3d(cls: string, kind: 'max' | 'avg'): ParityCase {
  const shape = [1, 4, 3, 5, 2];
  return math(cls, [cls], ['test_pooling'], () => new oursLib.nn[cls](2, [2, 1, 2]).forward(input(oursLib, shape)).reshape(-1), () => {
    const v = plainInput(shape);
    const at = (d: number, h: number, w: number, c: number) => v[((d * 3 + h) * 5 + w) * 2 + c];
    const out: number[] = [];
    for (let d = 0; d < 2; d++)
      for (let h = 0; h < 2; h++)
        for (let w = 0; w < 2; w++)
          for (let c = 0; c < 2; c++) {
            const window: number[] = [];
            for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) window.push(at(d * 2 + i, h + j, w * 2 + k, c));
            out.push(kind === 'max' ? Math.max(...window) : window.reduce((a, b) => a + b, 0) / 8);
          }
    return out;
  });
}

// A model's names, freezing, update and children, as MLX.
function moduleTree(): ParityCase {
  return {
    id: 'nn.Module_tree', family: 'nn', upstream: [up('test_module_utilities'), up('test_update'), up('test_update_modules'), up('test_model_with_dict')],
    symbols: ['mlx.nn.Sequential', 'mlx.nn.Linear'], oracle: 'mlx-0.13',
    run: () => {
      const run = (lib: Lib) => {
        lib.core.random.seed(5);
        const m = new lib.nn.Sequential(new lib.nn.Linear(3, 4), new lib.nn.Sequential(new lib.nn.Linear(4, 4), lib.nn.relu), new lib.nn.Linear(4, 2, false));
        const sig = [namesAndShapes(lib, m.parameters())];
        m.freeze();
        m.layers[1].unfreeze(true, 'weight');
        sig.push(namesAndShapes(lib, m.trainableParameters()));
        m.unfreeze();
        m.layers[0].freeze(false, ['bias']);
        sig.push(namesAndShapes(lib, m.trainableParameters()));
        m.update({ layers: [{ bias: lib.core.zeros([4]) }] });
        m.updateModules({ layers: [{}, {}, new lib.nn.Linear(4, 2)] });
        sig.push(namesAndShapes(lib, m.parameters()));
        sig.push(lib.utils.treeFlatten(m.leafModules(), '', (x: unknown) => x instanceof lib.nn.Module).map(([k]: [string]) => k).join(' '));
        return [sig.join('|'), m.layers[0].bias];
      };
      const [osig, ob] = run(oursLib), [rsig, rb] = run(realLib);
      return [[Number(osig === rsig), ob], [1, rb]];
    },
  };
}

function valueAndGrad(): ParityCase {
  return same('value_and_grad', ['value_and_grad'], ['test_grad_of_module'], (lib) => {
    lib.core.random.seed(9);
    const m = new lib.nn.Sequential(new lib.nn.Linear(3, 4), lib.nn.tanh, new lib.nn.Linear(4, 1));
    const [v, g] = lib.nn.valueAndGrad(m, (x: unknown) => lib.core.sum(lib.core.square(m.forward(x))))(input(lib, [5, 3]));
    return [v, ...lib.utils.treeFlatten(g).map(([, a]: [string, unknown]) => a)];
  }, 1e-4);
}
