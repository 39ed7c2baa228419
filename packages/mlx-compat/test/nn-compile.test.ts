// A whole training step compiled as MLX's partial(mx.compile, inputs=state,
// outputs=state): the model's and the optimizer's state enter as implicit
// inputs and are replaced by the results, resident in the engine; it trains
// exactly as the same step uncompiled, and as real MLX's uncompiled step.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import mlx, { MxError, type MxArray } from '../src/index.js';

const require = createRequire(import.meta.url);
const R = require('@frost-beta/mlx');
const mx = mlx.core;
type Lib = typeof mlx;

function setup(lib: Lib) {
  lib.core.random.seed(4);
  const model = new lib.nn.Sequential(new lib.nn.Linear(6, 16), lib.nn.relu, new lib.nn.Linear(16, 3));
  const x = lib.core.reshape(lib.core.sin(lib.core.arange(48)), [8, 6]);
  const y = lib.core.array([0, 1, 2, 0, 1, 2, 1, 0], lib.core.int32);
  const vg = lib.nn.valueAndGrad(model, (a: MxArray, b: MxArray) => lib.nn.losses.crossEntropy(model.forward(a), b, undefined, -1, 0, 'mean'));
  const opt = new lib.optimizers.Adam(0.05);
  const step = (a: MxArray, b: MxArray) => {
    const [loss, grads] = vg(a, b);
    opt.update(model, grads);
    return loss;
  };
  return { model, opt, step, x, y };
}

describe('compiled training step with state', () => {
  it('trains as the uncompiled step and as real MLX, state resident between steps', () => {
    const plain = setup(mlx), compiled = setup(mlx), real = setup(R as Lib);
    const state = [compiled.model.state, compiled.opt.state];
    const cstep = mx.compile(compiled.step, { inputs: state, outputs: state });
    for (let i = 0; i < 6; i++) {
      const a = plain.step(plain.x, plain.y);
      mx.eval(plain.model.parameters(), plain.opt.state);
      const b = cstep(compiled.x, compiled.y) as MxArray;
      const c = real.step(real.x, real.y);
      expect(b.item()).toBeCloseTo(a.item() as number, 5);
      expect(b.item()).toBeCloseTo(c.item() as number, 4);
    }
    // the first call traces without Adam's moments, the second with them; then no more tracing
    expect(cstep.traces).toBe(2);
    const flat = (m: Lib['nn']['Module']['prototype']) => mlx.utils.treeFlatten(m.parameters()).map(([, v]) => (v as MxArray).tolist());
    expect(flat(compiled.model)).toEqual(flat(plain.model));
    const m0 = (compiled.opt.state['layers'] as never[])[0] as { weight: { m: MxArray } };
    expect(m0.weight.m._v.handle).toBeTruthy();
    expect((compiled.opt.state.step as MxArray).item()).toBe(6);
  });

  it('refuses an array where a tree of state is expected', () => {
    expect(() => mx.compile((x: MxArray) => x, { inputs: mx.array(1) })).toThrow(MxError);
  });

  // MLX's Python signature is compile(fun, inputs, outputs, shapeless): a
  // line-by-line port passes the state positionally
  it('takes the state positionally, as MLX does, and trains as the uncompiled step', () => {
    const plain = setup(mlx), compiled = setup(mlx);
    const state = [compiled.model.state, compiled.opt.state];
    const cstep = mx.compile(compiled.step, state, state);
    for (let i = 0; i < 3; i++) {
      const a = plain.step(plain.x, plain.y);
      mx.eval(plain.model.parameters(), plain.opt.state);
      const b = cstep(compiled.x, compiled.y) as MxArray;
      mx.eval(state);
      expect(b.item()).toBeCloseTo(a.item() as number, 5);
    }
    expect((compiled.opt.state.step as MxArray).item()).toBe(3);
  });

  it('refuses options it cannot read, rather than compile without the state', () => {
    const f = (x: MxArray) => x;
    const state = [mx.array(1)];
    expect(() => mx.compile(f, { input: state } as never)).toThrow(/compile.*options/);
    expect(() => mx.compile(f, 'yes' as never)).toThrow(MxError);
    expect(() => mx.compile(f, true, state as never)).toThrow(/only a list of inputs/);
    expect(() => mx.compile(f, state, state, 'no' as never)).toThrow(/boolean last/);
  });
});
