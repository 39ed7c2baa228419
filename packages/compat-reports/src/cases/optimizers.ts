// mlx.optimizers: each optimizer's parameters and state after several steps
// of a small model through mlx-compat and real MLX (node-mlx 0.0.7, MLX
// 0.13), schedules at a range of steps, clipGradNorm, state saved and
// reloaded. MLX 0.13 lacks Muon and MultiOptimizer: Muon is checked against
// a float64 reference (within bfloat16's precision, the dtype of its
// Newton-Schulz iterations); MultiOptimizer against its optimizers run by
// real MLX on their parts of the tree.
import { type Lib, type ParityCase, oursLib, realLib } from '../case.js';

const up = (name: string) => `test_optimizers.py::${name}`;
const STEPS = 4;

// A seeded two-layer model, its loss on fixed data, and `steps` updates by opt.
function train(lib: Lib, makeOpt: (lib: Lib) => Lib, steps = STEPS) {
  lib.core.random.seed(17);
  const model = new lib.nn.Sequential(new lib.nn.Linear(4, 5), lib.nn.tanh, new lib.nn.Linear(5, 3));
  const x = lib.core.reshape(lib.core.sin(lib.core.arange(24)), [6, 4]);
  const y = lib.core.array([0, 2, 1, 1, 0, 2], lib.core.int32);
  const loss = (a: unknown, b: unknown) => lib.nn.losses.crossEntropy(model.forward(a), b, undefined, -1, 0, 'mean');
  const vg = lib.nn.valueAndGrad(model, loss);
  const opt = makeOpt(lib);
  for (let i = 0; i < steps; i++) {
    const [, g] = vg(x, y);
    opt.update(model, g);
    lib.core.eval(model.parameters());
  }
  return { model, opt, vg, x, y };
}

// parameters, then each per-parameter state array in path order, then the step count
function summary(lib: Lib, model: Lib, state: Lib): unknown[] {
  const params = lib.utils.treeFlatten(model.parameters()).map(([, v]: [string, unknown]) => v);
  const perParam = lib.utils.treeFlatten(state).filter(([k]: [string]) => k.includes('.')).map(([, v]: [string, unknown]) => v);
  return [...params, ...perParam, Number(state.step.item())];
}

function optimizerCase(name: string, tests: string[], make: (lib: Lib) => Lib, rtol?: number): ParityCase {
  return {
    id: `optimizers.${name}`, family: 'optimizers', upstream: tests.map(up), symbols: [`mlx.optimizers.${name.split('_')[0]}`], oracle: 'mlx-0.13', rtol,
    run: () => {
      const o = train(oursLib, make), r = train(realLib, make);
      return [summary(oursLib, o.model, o.opt.state), summary(realLib, r.model, r.opt.state)];
    },
  };
}

const OPTIMIZERS: Array<[string, string[], (lib: Lib) => Lib]> = [
  ['SGD', ['test_sgd'], (lib) => new lib.optimizers.SGD(0.1)],
  ['SGD_weight_decay', ['test_sgd'], (lib) => new lib.optimizers.SGD(0.1, 0, 0.01)],
  ['RMSprop', ['test_rmsprop'], (lib) => new lib.optimizers.RMSprop(0.01)],
  ['Adagrad', ['test_adagrad'], (lib) => new lib.optimizers.Adagrad(0.1)],
  ['AdaDelta', ['test_adadelta'], (lib) => new lib.optimizers.AdaDelta(1.0)],
  ['Adam', ['test_adam'], (lib) => new lib.optimizers.Adam(0.01)],
  ['AdamW', ['test_adamw_matches_pytorch'], (lib) => new lib.optimizers.AdamW(0.01, [0.9, 0.99], 1e-8, 0.1)],
  ['Adamax', ['test_optimizers'], (lib) => new lib.optimizers.Adamax(0.01)],
  ['Lion', ['test_lion'], (lib) => new lib.optimizers.Lion(0.01, [0.9, 0.99], 0.1)],
  ['Adafactor', ['test_adafactor'], (lib) => new lib.optimizers.Adafactor()],
  ['Adafactor_beta1', ['test_adafactor'], (lib) => new lib.optimizers.Adafactor(0.01, [1e-30, 1e-3], 1.0, -0.8, 0.9, 0.01, true, false)],
];

// node-mlx 0.0.7's SGD ignores its momentum (each step is -lr * g): SGD with
// momentum, dampening and Nesterov against v0.31.2's formula in float64.
function sgdMomentum(id: string, momentum: number, weightDecay: number, dampening: number, nesterov: boolean): ParityCase {
  return {
    id: `optimizers.${id}`, family: 'optimizers', upstream: [up('test_sgd')], symbols: ['mlx.optimizers.SGD'], oracle: 'math',
    run: () => {
      const mx = oursLib.core;
      const p0 = [0.5, -1.0, 2.0], grads = [[0.1, -0.2, 0.3], [0.2, 0.1, -0.1], [-0.3, 0.05, 0.2], [0.4, -0.4, 0.1]];
      const opt = new oursLib.optimizers.SGD(0.1, momentum, weightDecay, dampening, nesterov);
      let param = mx.array(p0);
      for (const g of grads) param = (opt.applyGradients({ w: mx.array(g) }, { w: param }) as { w: unknown }).w;
      const p = [...p0], v = [0, 0, 0];
      for (const g of grads)
        g.forEach((gi, i) => {
          const gd = gi + weightDecay * p[i];
          v[i] = momentum * v[i] + (dampening > 0 ? (1 - dampening) * gd : gd);
          p[i] -= 0.1 * (nesterov ? gd + momentum * v[i] : v[i]);
        });
      return [[param, opt.state.w.v], [p, v]];
    },
  };
}

// test_decay_lr: a scheduled learning rate is the schedule at the step before
// the update (0.1 * 0.9^it after update it); node-mlx 0.0.7 evaluates it after.
function decayLr(): ParityCase {
  return {
    id: 'optimizers.SGD_schedule', family: 'optimizers', upstream: [up('test_decay_lr')], symbols: ['mlx.optimizers.SGD', 'mlx.optimizers.exponential_decay'], oracle: 'math',
    run: () => {
      const mx = oursLib.core;
      const opt = new oursLib.optimizers.SGD(oursLib.optimizers.exponentialDecay(0.1, 0.9));
      const params = { w: mx.ones([5, 5]) }, grads = { w: mx.ones([5, 5]) };
      const lrs: unknown[] = [];
      for (let it = 0; it < 10; it++) {
        opt.applyGradients(grads, params);
        lrs.push(opt.learningRate);
      }
      return [lrs, Array.from({ length: 10 }, (_, it) => 0.1 * 0.9 ** it)];
    },
  };
}

// MLX 0.13's Adam has no bias correction; v0.31.2's (biasCorrection = true) is m_hat / (sqrt(v_hat) + eps)
function adamBiasCorrection(): ParityCase {
  return {
    id: 'optimizers.Adam_bias_correction', family: 'optimizers', upstream: [up('test_adam')], symbols: ['mlx.optimizers.Adam'], oracle: 'math',
    run: () => {
      const mx = oursLib.core;
      const p = [0.5, -1.0, 2.0], grads = [[0.1, -0.2, 0.3], [0.2, 0.1, -0.1], [-0.3, 0.05, 0.2]];
      const opt = new oursLib.optimizers.Adam(0.1, [0.9, 0.999], 1e-8, true);
      let param = mx.array(p);
      for (const g of grads) param = (opt.applyGradients({ w: mx.array(g) }, { w: param }) as { w: unknown }).w;
      const expected = [...p];
      const m = [0, 0, 0], v = [0, 0, 0];
      grads.forEach((g, t) => g.forEach((gi, i) => {
        m[i] = 0.9 * m[i] + 0.1 * gi;
        v[i] = 0.999 * v[i] + 0.001 * gi * gi;
        expected[i] -= (0.1 * m[i] / (1 - 0.9 ** (t + 1))) / (Math.sqrt(v[i] / (1 - 0.999 ** (t + 1))) + 1e-8);
      }));
      return [param, expected];
    },
  };
}

// One Muon step on a 3x4 matrix: momentum, nesterov, Newton-Schulz, shape scaling, in float64.
function muon(): ParityCase {
  return {
    id: 'optimizers.Muon', family: 'optimizers', upstream: [up('test_muon')], symbols: ['mlx.optimizers.Muon'], oracle: 'math', rtol: 3e-2,
    run: () => {
      const mx = oursLib.core;
      const W = [[0.5, -0.2, 0.1, 0.3], [0.0, 0.4, -0.6, 0.2], [0.7, 0.1, 0.2, -0.3]];
      const G = [[0.1, -0.3, 0.2, 0.05], [0.4, 0.1, -0.2, 0.3], [-0.1, 0.2, 0.3, 0.1]];
      const opt = new oursLib.optimizers.Muon(0.02, 0.95, 0.01, true, 5);
      const out = (opt.applyGradients({ w: mx.array(G) }, { w: mx.array(W) }) as { w: unknown }).w;
      const g = G.map((r, i) => r.map((v, j) => v + 0.01 * W[i][j]));
      const vel = g.map((r) => r.map((v) => 0.05 * v));
      let X = g.map((r, i) => r.map((v, j) => v * 0.05 + vel[i][j] * 0.95));
      const mm = (a: number[][], b: number[][]) => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
      const T = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));
      const norm = Math.sqrt(X.flat().reduce((s, v) => s + v * v, 0));
      X = X.map((r) => r.map((v) => v / (norm + 1e-7)));
      for (let s = 0; s < 5; s++) {
        const A = mm(X, T(X));
        const B = A.map((r, i) => r.map((v, j) => -4.775 * v + 2.0315 * mm(A, A)[i][j]));
        const BX = mm(B, X);
        X = X.map((r, i) => r.map((v, j) => 3.4445 * v + BX[i][j]));
      }
      return [out, W.map((r, i) => r.map((v, j) => v - 0.02 * X[i][j]))];
    },
  };
}

function multiOptimizer(): ParityCase {
  return {
    id: 'optimizers.MultiOptimizer', family: 'optimizers', upstream: [up('test_multi_optimizer')], symbols: ['mlx.optimizers.MultiOptimizer'], oracle: 'mlx-0.13',
    run: () => {
      const params = (lib: Lib) => ({ a: { weight: lib.core.array([[0.5, -1], [2, 0.1]]), bias: lib.core.array([0.3, -0.3]) } });
      const grads = (lib: Lib, k: number) => ({ a: { weight: lib.core.array([[0.1 * k, -0.2], [0.3, 0.05 * k]]), bias: lib.core.array([0.2, -0.1 * k]) } });
      const opt = new oursLib.optimizers.MultiOptimizer([new oursLib.optimizers.SGD(0.1), new oursLib.optimizers.Adam(0.01)], [(path: string) => path.endsWith('weight')]);
      let p: Lib = params(oursLib);
      for (let k = 1; k <= 3; k++) p = opt.applyGradients(grads(oursLib, k), p);
      // real MLX: the SGD on the weights alone, the Adam on the biases alone
      const sgd = new realLib.optimizers.SGD(0.1), adam = new realLib.optimizers.Adam(0.01);
      let w: Lib = { a: { weight: params(realLib).a.weight } }, b: Lib = { a: { bias: params(realLib).a.bias } };
      for (let k = 1; k <= 3; k++) {
        w = sgd.applyGradients({ a: { weight: grads(realLib, k).a.weight } }, w);
        b = adam.applyGradients({ a: { bias: grads(realLib, k).a.bias } }, b);
      }
      return [[p.a.weight, p.a.bias, (opt.state as Lib).states[1].a.bias.m], [w.a.weight, b.a.bias, adam.state.a.bias.m]];
    },
  };
}

// The state after two steps, flattened and rebuilt into a new optimizer, then a third step: MLX's three steps.
function stateRoundTrip(): ParityCase {
  return {
    id: 'optimizers.state_round_trip', family: 'optimizers', upstream: [up('test_init_from_state'), up('test_optimizer_state')], symbols: ['mlx.optimizers.Adam'], oracle: 'mlx-0.13',
    run: () => {
      const o = train(oursLib, (lib) => new lib.optimizers.Adam(0.01), 2);
      const saved = oursLib.utils.treeFlatten(o.opt.state);
      const fresh = new oursLib.optimizers.Adam(0.01);
      fresh.state = oursLib.utils.treeUnflatten(saved);
      const [, g] = o.vg(o.x, o.y);
      fresh.update(o.model, g);
      const r = train(realLib, (lib) => new lib.optimizers.Adam(0.01), 3);
      return [summary(oursLib, o.model, fresh.state), summary(realLib, r.model, r.opt.state)];
    },
  };
}

const SCHEDULES: Array<[string, string, (lib: Lib) => (step: unknown) => unknown]> = [
  ['exponential_decay', 'test_exponential_decay', (lib) => lib.optimizers.exponentialDecay(0.1, 0.9)],
  ['step_decay', 'test_step_decay', (lib) => lib.optimizers.stepDecay(0.1, 0.9, 3)],
  ['cosine_decay', 'test_cosine_decay', (lib) => lib.optimizers.cosineDecay(0.1, 8, 0.01)],
  ['linear_schedule', 'test_linear_warmup_with_cosine_decay', (lib) => lib.optimizers.linearSchedule(0, 0.1, 5)],
  ['join_schedules', 'test_schedule_joiner', (lib) => lib.optimizers.joinSchedules([lib.optimizers.linearSchedule(0, 0.1, 4), lib.optimizers.cosineDecay(0.1, 6)], [4])],
];

export function cases(): ParityCase[] {
  return [
    ...OPTIMIZERS.map(([name, tests, make]) => optimizerCase(name, tests, make, name.startsWith('Adafactor') ? 1e-4 : undefined)),
    adamBiasCorrection(),
    decayLr(),
    sgdMomentum('SGD_momentum', 0.9, 0.01, 0.1, false),
    sgdMomentum('SGD_nesterov', 0.9, 0.0, 0.0, true),
    muon(),
    multiOptimizer(),
    stateRoundTrip(),
    ...SCHEDULES.map(([name, test, make]): ParityCase => ({
      id: `schedulers.${name}`, family: 'schedulers', upstream: [up(test)], symbols: [`mlx.optimizers.${name}`], oracle: 'mlx-0.13',
      run: () => {
        const values = (lib: Lib) => Array.from({ length: 13 }, (_, k) => (make(lib)(lib.core.array(k, lib.core.uint64)) as Lib).astype(lib.core.float32));
        return [values(oursLib), values(realLib)];
      },
    })),
    {
      id: 'optimizers.clip_grad_norm', family: 'optimizers', upstream: [up('test_clip_grad_norm')], symbols: ['mlx.optimizers.clip_grad_norm'], oracle: 'mlx-0.13',
      run: () => {
        const run = (lib: Lib, max: number) => {
          const g = { w: lib.core.array([[3, -4], [1, 2]]), b: [lib.core.array([0.5, -2])] };
          const [clipped, norm] = lib.optimizers.clipGradNorm(g, max);
          return [norm, clipped.w, clipped.b[0]];
        };
        return [[...run(oursLib, 2), ...run(oursLib, 100)], [...run(realLib, 2), ...run(realLib, 100)]];
      },
    },
  ];
}
