// Adam training steps written with mlx.nn and mlx.optimizers: an MLP
// 784-512-512-10 (batch 128), a small CNN (28x28 images, two 3x3
// convolutions with max pooling, a linear head; batch 64) and a transformer
// encoder block (d 256, 4 heads, sequence 128, batch 8), through mlx-compat
// and real MLX (node-mlx 0.0.7, MLX 0.13), each compiled and not, and
// TensorFlow.js (CPU backend; it has no compile), interleaved in one run.
// Prints the median step times, each library's products alone (the matrix
// products, and for the CNN its convolutions with their gradients; compiled),
// and the time a step spends outside them. mlx-compat compiles its step as MLX's
// partial(mx.compile, inputs=state, outputs=state); node-mlx's compile has no
// state capture, so its compiled step takes and returns the parameters and
// Adam's moments as arguments (the same computation).
// Usage: node --expose-gc dist/nn-bench.js [--steps N] [--only mlp|cnn|transformer] [--no-tfjs]
import { createRequire } from 'node:module';
import mlx from 'mlx-compat';
import { timeBlock } from './timing.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = any;
const real: Lib = require('@frost-beta/mlx');
const ours: Lib = mlx;
const tf: Lib = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-cpu');
tf.setBackend('cpu');

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const STEPS = Number(arg('--steps') ?? 6);
const ONLY = arg('--only');
const TFJS = !process.argv.includes('--no-tfjs');
const LR = 1e-3, B1 = 0.9, B2 = 0.999, EPS = 1e-8;
const SLOW_MS = 2000;

/** The products of a step, forward and backward, alone: their count of floating-point operations and a compiled run of them. */
interface Products {
  gflop: number;
  run: (lib: Lib) => () => number;
}

interface Workload {
  name: string;
  key: string;
  build: (lib: Lib) => { model: Lib; loss: (x: unknown, y: unknown) => unknown; x: unknown; y: unknown };
  tfjs: () => () => number;
  products: Products;
}

/** Matrix products, each [batch, m, k, n] as its forward shape; the backward pass adds two of each. */
function matmuls(shapes: number[][]): Products {
  return {
    gflop: shapes.reduce((s, [b, m, k, n]) => s + (3 * 2 * b * m * k * n) / 1e9, 0),
    run: (lib) => {
      const mx = lib.core;
      mx.random.seed(11);
      const operands = shapes.map(([b, m, k, n]) => {
        const lead = b > 1 ? [b] : [];
        return [mx.random.normal([...lead, m, k]), mx.random.normal([...lead, k, n]), mx.random.normal([...lead, m, n])];
      });
      mx.eval(operands);
      const t = (a: Lib) => mx.swapaxes(a, -1, -2);
      const f = mx.compile((...flat: Lib[]) => {
        const out: Lib[] = [];
        for (let i = 0; i < flat.length; i += 3) {
          const [a, b, d] = flat.slice(i, i + 3);
          out.push(mx.matmul(a, b), mx.matmul(d, t(b)), mx.matmul(t(a), d));
        }
        return out;
      });
      return () => {
        mx.eval(f(...operands.flat()));
        return 0;
      };
    },
  };
}

// node-mlx 0.0.7 initializes LayerNorm's bias to ones; MLX to zeros
function fixLayerNorms(lib: Lib, model: Lib): void {
  if (lib !== real) return;
  for (const m of model.modules()) if (m instanceof real.nn.LayerNorm && m.bias) m.bias = real.core.zerosLike(m.bias);
}

const MLP: Workload = {
  name: 'MLP 784-512-512-10, batch 128',
  key: 'mlp',
  build: (lib) => {
    lib.core.random.seed(7);
    const model = new lib.nn.Sequential(new lib.nn.Linear(784, 512), lib.nn.relu, new lib.nn.Linear(512, 512), lib.nn.relu, new lib.nn.Linear(512, 10));
    const x = lib.core.random.uniform(0, 1, [128, 784]);
    const y = lib.core.random.randint(0, 10, [128], lib.core.int32);
    return { model, loss: (a, b) => lib.nn.losses.crossEntropy(model.forward(a), b, undefined, -1, 0, 'mean'), x, y };
  },
  tfjs: () => {
    const dense = (i: number, o: number) => [tf.variable(tf.randomUniform([i, o], -1 / Math.sqrt(i), 1 / Math.sqrt(i))), tf.variable(tf.zeros([o]))];
    const layers = [dense(784, 512), dense(512, 512), dense(512, 10)];
    const x = tf.randomUniform([128, 784]), y = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32'), 10);
    const opt = tf.train.adam(LR, B1, B2, EPS);
    return () => {
      const loss = opt.minimize(() => {
        let h = x;
        layers.forEach(([w, b]: Lib[], i: number) => {
          h = tf.add(tf.matMul(h, w), b);
          if (i < 2) h = tf.relu(h);
        });
        return tf.losses.softmaxCrossEntropy(y, h);
      }, true);
      const v = loss.dataSync()[0];
      loss.dispose();
      return v;
    };
  },
  products: matmuls([[1, 128, 784, 512], [1, 128, 512, 512], [1, 128, 512, 10]]),
};

const CB = 64, HW = 28, C1 = 16, C2 = 32;
const CNN: Workload = {
  name: `CNN 28x28x1, conv 3x3 ${C1}, pool, conv 3x3 ${C2}, pool, linear 10, batch ${CB}`,
  key: 'cnn',
  build: (lib) => {
    lib.core.random.seed(7);
    const nn = lib.nn;
    const model = new nn.Sequential(
      new nn.Conv2d(1, C1, 3, 1, 1), nn.relu, new nn.MaxPool2d(2),
      new nn.Conv2d(C1, C2, 3, 1, 1), nn.relu, new nn.MaxPool2d(2),
      (h: Lib) => lib.core.reshape(h, [h.shape[0], -1]), new nn.Linear(C2 * (HW / 4) ** 2, 10),
    );
    const x = lib.core.random.uniform(0, 1, [CB, HW, HW, 1]);
    const y = lib.core.random.randint(0, 10, [CB], lib.core.int32);
    return { model, loss: (a, b) => lib.nn.losses.crossEntropy(model.forward(a), b, undefined, -1, 0, 'mean'), x, y };
  },
  tfjs: () => {
    const conv = (i: number, o: number) => [tf.variable(tf.randomUniform([3, 3, i, o], -1 / Math.sqrt(9 * i), 1 / Math.sqrt(9 * i))), tf.variable(tf.zeros([o]))];
    const [w1, b1] = conv(1, C1), [w2, b2] = conv(C1, C2);
    const flatDims = C2 * (HW / 4) ** 2;
    const w3 = tf.variable(tf.randomUniform([flatDims, 10], -1 / Math.sqrt(flatDims), 1 / Math.sqrt(flatDims))), b3 = tf.variable(tf.zeros([10]));
    const x = tf.randomUniform([CB, HW, HW, 1]), y = tf.oneHot(tf.randomUniform([CB], 0, 10, 'int32'), 10);
    const opt = tf.train.adam(LR, B1, B2, EPS);
    return () => {
      const loss = opt.minimize(() => {
        let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, w1, 1, 'same'), b1)), 2, 2, 'valid');
        h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, w2, 1, 'same'), b2)), 2, 2, 'valid');
        return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(tf.reshape(h, [CB, -1]), w3), b3));
      }, true);
      const v = loss.dataSync()[0];
      loss.dispose();
      return v;
    };
  },
  // each convolution forward and its weight gradient, the second also its input gradient; the head's three products
  products: {
    gflop: (2 * CB * HW * HW * C1 * 9 * 2 + 2 * CB * (HW / 2) ** 2 * C2 * C1 * 9 * 3 + 2 * CB * C2 * (HW / 4) ** 2 * 10 * 3) / 1e9,
    run: (lib) => {
      const mx = lib.core;
      mx.random.seed(11);
      const x1 = mx.random.normal([CB, HW, HW, 1]), w1 = mx.random.normal([C1, 3, 3, 1]), c1 = mx.random.normal([CB, HW, HW, C1]);
      const x2 = mx.random.normal([CB, HW / 2, HW / 2, C1]), w2 = mx.random.normal([C2, 3, 3, C1]), c2 = mx.random.normal([CB, HW / 2, HW / 2, C2]);
      const head = [mx.random.normal([CB, C2 * (HW / 4) ** 2]), mx.random.normal([C2 * (HW / 4) ** 2, 10]), mx.random.normal([CB, 10])];
      const operands = [x1, w1, c1, x2, w2, c2, ...head];
      mx.eval(operands);
      const f = mx.compile((a1: Lib, k1: Lib, d1: Lib, a2: Lib, k2: Lib, d2: Lib, a: Lib, b: Lib, d: Lib) => {
        const [o1, g1] = mx.vjp((k: Lib) => mx.conv2d(a1, k, 1, 1), [k1], [d1]);
        const [o2, g2] = mx.vjp((x: Lib, k: Lib) => mx.conv2d(x, k, 1, 1), [a2, k2], [d2]);
        return [...o1, ...g1, ...o2, ...g2, mx.matmul(a, b), mx.matmul(d, mx.transpose(b)), mx.matmul(mx.transpose(a), d)];
      });
      return () => {
        mx.eval(f(...operands));
        return 0;
      };
    },
  },
};

const D = 256, HEADS = 4, SEQ = 128, BATCH = 8, MLP_DIMS = 1024;
const TRANSFORMER: Workload = {
  name: `transformer encoder block, d ${D}, ${HEADS} heads, sequence ${SEQ}, batch ${BATCH}`,
  key: 'transformer',
  build: (lib) => {
    lib.core.random.seed(7);
    const model = new lib.nn.TransformerEncoderLayer(D, HEADS, MLP_DIMS);
    fixLayerNorms(lib, model);
    const x = lib.core.random.normal([BATCH, SEQ, D]);
    const y = lib.core.random.normal([BATCH, SEQ, D]);
    return { model, loss: (a, b) => lib.nn.losses.mseLoss(model.forward(a, null), b), x, y };
  },
  tfjs: () => {
    const lin = (i: number, o: number, bias: boolean) => [tf.variable(tf.randomUniform([i, o], -1 / Math.sqrt(i), 1 / Math.sqrt(i))), bias ? tf.variable(tf.zeros([o])) : null];
    const [wq, wk, wv, wo] = [0, 1, 2, 3].map(() => lin(D, D, false)[0]);
    const [w1, b1] = lin(D, MLP_DIMS, true), [w2, b2] = lin(MLP_DIMS, D, true);
    const ln = () => [tf.variable(tf.ones([D])), tf.variable(tf.zeros([D]))];
    const [g1, c1] = ln(), [g2, c2] = ln();
    const x = tf.randomNormal([BATCH, SEQ, D]), y = tf.randomNormal([BATCH, SEQ, D]);
    const opt = tf.train.adam(LR, B1, B2, EPS);
    const norm = (h: Lib, g: Lib, c: Lib) => {
      const { mean, variance } = tf.moments(h, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), c);
    };
    const heads = (h: Lib) => tf.transpose(tf.reshape(h, [BATCH, SEQ, HEADS, D / HEADS]), [0, 2, 1, 3]);
    const flat = (h: Lib) => tf.reshape(h, [BATCH * SEQ, -1]);
    return () => {
      const loss = opt.minimize(() => {
        const a = norm(x, g1, c1);
        const q = heads(tf.reshape(tf.matMul(flat(a), wq), [BATCH, SEQ, D])), k = heads(tf.reshape(tf.matMul(flat(a), wk), [BATCH, SEQ, D]));
        const v = heads(tf.reshape(tf.matMul(flat(a), wv), [BATCH, SEQ, D]));
        const att = tf.matMul(tf.softmax(tf.matMul(tf.mul(q, Math.sqrt(1 / (D / HEADS))), k, false, true)), v);
        const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [BATCH * SEQ, D]);
        const h = tf.add(x, tf.reshape(tf.matMul(merged, wo), [BATCH, SEQ, D]));
        const m = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat(norm(h, g2, c2)), w1), b1)), w2), b2);
        return tf.losses.meanSquaredError(y, tf.add(h, tf.reshape(m, [BATCH, SEQ, D])));
      }, true);
      const val = loss.dataSync()[0];
      loss.dispose();
      return val;
    };
  },
  products: matmuls([
    [1, BATCH * SEQ, D, D], [1, BATCH * SEQ, D, D], [1, BATCH * SEQ, D, D], [1, BATCH * SEQ, D, D],
    [BATCH * HEADS, SEQ, D / HEADS, SEQ], [BATCH * HEADS, SEQ, SEQ, D / HEADS],
    [1, BATCH * SEQ, D, MLP_DIMS], [1, BATCH * SEQ, MLP_DIMS, D],
  ]),
};

/** The step through mlx.nn: value and gradients, then Adam's update of the model. */
function uncompiled(lib: Lib, w: Workload): () => number {
  const { model, loss, x, y } = w.build(lib);
  const vg = lib.nn.valueAndGrad(model, loss);
  const opt = new lib.optimizers.Adam(LR, [B1, B2], EPS);
  return () => {
    const [l, g] = vg(x, y);
    opt.update(model, g);
    lib.core.eval(model.parameters(), opt.state, l);
    return l.item();
  };
}

/** mlx-compat: the same step compiled with the model and optimizer state as implicit inputs and outputs. */
function compiledOurs(w: Workload): [() => number, { traces: number }] {
  const { model, loss, x, y } = w.build(ours);
  const vg = ours.nn.valueAndGrad(model, loss);
  const opt = new ours.optimizers.Adam(LR, [B1, B2], EPS);
  const state = [model.state, opt.state];
  const step = ours.core.compile((a: unknown, b: unknown) => {
    const [l, g] = vg(a, b);
    opt.update(model, g);
    return l;
  }, { inputs: state, outputs: state });
  return [() => {
    const l = step(x, y);
    ours.core.eval(l);
    return l.item();
  }, step];
}

/** node-mlx: parameters and Adam's moments in and out of one compiled function. */
function compiledReal(w: Workload): () => number {
  const { model, loss, x, y } = w.build(real);
  const mx = real.core, utils = real.utils;
  const names: string[] = utils.treeFlatten(model.trainableParameters()).map(([k]: [string]) => k);
  const n = names.length;
  const vg = real.nn.valueAndGrad(model, loss);
  const f = mx.compile((a: unknown, b: unknown, ...flat: Lib[]) => {
    const p = flat.slice(0, n), m = flat.slice(n, 2 * n), v = flat.slice(2 * n);
    model.update(utils.treeUnflatten(names.map((k, i) => [k, p[i]])));
    const [l, g] = vg(a, b);
    const gs: Lib[] = utils.treeFlatten(g).map(([, t]: [string, Lib]) => t);
    const m2 = gs.map((gi, i) => mx.add(mx.multiply(m[i], B1), mx.multiply(gi, 1 - B1)));
    const v2 = gs.map((gi, i) => mx.add(mx.multiply(v[i], B2), mx.multiply(mx.square(gi), 1 - B2)));
    const p2 = p.map((pi, i) => mx.subtract(pi, mx.divide(mx.multiply(m2[i], LR), mx.add(mx.sqrt(v2[i]), EPS))));
    return [l, ...p2, ...m2, ...v2];
  });
  const params: Lib[] = utils.treeFlatten(model.trainableParameters()).map(([, t]: [string, Lib]) => t);
  let state = [...params, ...params.map((t) => mx.zerosLike(t)), ...params.map((t) => mx.zerosLike(t))];
  return () => {
    const out = f(x, y, ...state);
    mx.eval(out);
    state = out.slice(1);
    return out[0].item();
  };
}

interface Peer {
  name: string;
  run: () => number;
  times: number[];
  losses: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bench(w: Workload): Promise<void> {
  const [ourCompiled, traced] = compiledOurs(w);
  const peers: Peer[] = [
    { name: 'mlx-compat', run: uncompiled(ours, w), times: [], losses: [] },
    { name: 'mlx-compat compiled', run: ourCompiled, times: [], losses: [] },
    { name: 'MLX', run: uncompiled(real, w), times: [], losses: [] },
    { name: 'MLX compiled', run: compiledReal(w), times: [], losses: [] },
    ...(TFJS ? [{ name: 'tfjs-cpu', run: w.tfjs(), times: [], losses: [] }] : []),
    { name: 'mlx-compat products', run: w.products.run(ours), times: [], losses: [] },
    { name: 'MLX products', run: w.products.run(real), times: [], losses: [] },
  ];
  const BLOCK = 3;
  const rounds = Math.ceil(STEPS / BLOCK);
  // a first untimed step each (tracing, allocation); a peer whose step takes
  // over SLOW_MS (TensorFlow.js's CPU convolutions) is then timed by one step only
  const slow = new Set<Peer>();
  for (const p of peers) {
    const t0 = performance.now();
    p.losses.push(p.run());
    if (performance.now() - t0 > SLOW_MS) slow.add(p);
  }
  for (let round = 0; round < rounds; round++)
    for (const p of peers) {
      if (slow.has(p) && round > 0) continue;
      const losses: number[] = [];
      const times = await timeBlock(() => losses.push(p.run()), slow.has(p) ? 1 : BLOCK);
      p.losses.push(...losses);
      p.times.push(...times);
    }
  // mlx-compat and MLX train the same model from the same start: their losses must agree, step by step
  const ref = peers[2].losses;
  for (const p of peers.slice(0, 4))
    p.losses.forEach((l, i) => {
      if (i < ref.length && Math.abs(l - ref[i]) > 2e-3 * Math.max(1, Math.abs(ref[i]))) throw new Error(`${p.name}: loss ${l} differs from MLX's ${ref[i]} at step ${i}`);
    });
  const time = (name: string) => median(peers.find((p) => p.name === name)!.times);
  const gflop = w.products.gflop;
  console.log(`\n${w.name}: Adam step (median of ${rounds * BLOCK} steps, blocks of ${BLOCK} interleaved; mlx-compat and MLX losses agree)`);
  const mlxCompiled = time('MLX compiled');
  for (const p of peers)
    console.log(`  ${p.name.padEnd(22)} ${median(p.times).toFixed(2).padStart(9)} ms   ${(mlxCompiled / median(p.times)).toFixed(2)}x the speed of compiled MLX${slow.has(p) ? ` (one step timed: over ${SLOW_MS / 1000} s a step)` : ''}`);
  console.log(`  products: ${(gflop * 1e3).toFixed(0)} MFLOP per step; mlx-compat ${time('mlx-compat products').toFixed(2)} ms, MLX ${time('MLX products').toFixed(2)} ms`);
  for (const [lib, prod] of [['mlx-compat', 'mlx-compat products'], ['MLX', 'MLX products']])
    for (const c of ['', ' compiled']) console.log(`  outside the products, ${`${lib}${c}`.padEnd(20)} ${(time(lib + c) - time(prod)).toFixed(2).padStart(8)} ms`);
  const oursOut = time('mlx-compat compiled') - time('mlx-compat products'), mlxOut = mlxCompiled - time('MLX products');
  console.log(`  goals: compiled step at least as fast as compiled MLX: ${(mlxCompiled / time('mlx-compat compiled')).toFixed(2)}x; time outside the products at most half of MLX's: ${(oursOut / mlxOut).toFixed(2)} of it`);
  console.log(`  mlx-compat compiled traced ${traced.traces} time(s)`);
}

if (ONLY && ![MLP, CNN, TRANSFORMER].some((w) => w.key === ONLY)) throw new Error(`--only ${ONLY}: expected mlp, cnn or transformer`);
for (const w of [MLP, CNN, TRANSFORMER]) if (!ONLY || w.key === ONLY) await bench(w);
