// nn.Module's tree against real MLX's (node-mlx, MLX 0.13): parameter names
// and shapes, children, leaf modules, freeze/unfreeze, update, apply,
// train/eval, loadWeights, valueAndGrad and the printed form. (LayerNorm is
// left out here: node-mlx 0.0.7's adds 1 to its output; see nn-layers.test.ts.)
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mlx, { MxError, type MxArray } from '../src/index.js';

const require = createRequire(import.meta.url);
const R = require('@frost-beta/mlx');
const mx = mlx.core, { nn, utils } = mlx;
type Lib = typeof mlx;

// A model with a list of layers, a dict of layers and an array member of its own.
function model(lib: Lib) {
  class Net extends lib.nn.Module {
    layers = [new lib.nn.Linear(3, 4), new lib.nn.Linear(4, 2, false)];
    heads = { left: new lib.nn.RMSNorm(2), right: new lib.nn.Linear(2, 2) };
    scale = lib.core.ones([2]);
    forward(x: MxArray) {
      let y = this.layers[1].forward(lib.nn.relu(this.layers[0].forward(x)));
      y = lib.core.add(this.heads.left.forward(y), this.heads.right.forward(y));
      return lib.core.multiply(y, this.scale);
    }
  }
  lib.core.random.seed(7);
  return new Net();
}
const real = R as Lib;
const names = (params: unknown) => utils.treeFlatten(params).map(([k, v]) => `${k}:${(v as MxArray).shape}`);

describe('nn.Module', () => {
  it('parameters, children and leaf modules have MLX names', () => {
    const ours = model(mlx), theirs = model(real);
    expect(names(ours.parameters())).toEqual(names(theirs.parameters()));
    expect(names(ours.parameters())).toContain('layers.0.weight:4,3');
    const kids = (m: unknown) => utils.treeFlatten(m, '', (x) => x instanceof nn.Module || x instanceof R.nn.Module).map(([k, v]) => `${k}=${(v as object).constructor.name}`);
    expect(kids(ours.children())).toEqual(kids(theirs.children()));
    expect(kids(ours.leafModules())).toEqual(kids(theirs.leafModules()));
    expect(ours.namedModules().map(([k]) => k)).toEqual(theirs.namedModules().map(([k]: [string]) => k));
    expect(ours.modules().length).toBe(5);
    // same seed, same draws: the same outputs
    const x = [[0.5, -1, 2], [1, 0, -0.5]];
    expect(ours.forward(mx.array(x)).tolist()).toEqual(theirs.forward(R.core.array(x)).tolist());
  });

  it('freeze and unfreeze (recurse, keys, strict) as MLX', () => {
    const cases: Array<(m: InstanceType<typeof nn.Module>) => void> = [
      (m) => m.freeze(),
      (m) => m.freeze().unfreeze(true, ['weight']),
      (m) => m.freeze(false),
      (m) => (m as unknown as { layers: InstanceType<typeof nn.Module>[] }).layers[0].freeze(true, 'bias'),
    ];
    for (const change of cases) {
      const ours = model(mlx), theirs = model(real);
      change(ours);
      change(theirs as never);
      expect(names(ours.trainableParameters())).toEqual(names(theirs.trainableParameters()));
    }
    expect(() => model(mlx).freeze(false, 'nope', true)).toThrow(MxError);
  });

  it('update and apply replace arrays; strict update refuses unknown names', () => {
    const ours = model(mlx);
    ours.update({ scale: mx.array([2, 3]) });
    expect((ours.parameters().scale as MxArray).tolist()).toEqual([2, 3]);
    expect(() => ours.update({ nope: mx.array(1) })).toThrow(/nope/);
    ours.update({ nope: mx.array(1) }, false);
    ours.apply((p) => p.multiply(0));
    expect(utils.treeFlatten(ours.parameters()).every(([, v]) => ((v as MxArray).abs().sum().item() as number) === 0)).toBe(true);
    ours.setDtype(mx.float16);
    expect(String((ours.parameters().scale as MxArray).dtype)).toBe('float16');
  });

  it('train and eval reach every submodule', () => {
    const m = model(mlx);
    m.eval();
    expect(m.modules().every((s) => !s.training)).toBe(true);
    m.train();
    expect(m.modules().every((s) => s.training)).toBe(true);
  });

  it('loadWeights lists every problem in one error and leaves the model unchanged', () => {
    const m = model(mlx);
    const before = utils.treeFlatten(m.parameters()).map(([k, v]) => [k, (v as MxArray).tolist()]);
    const pairs = utils.treeFlatten(m.parameters()) as Array<[string, MxArray]>;
    const bad: Array<[string, MxArray]> = [...pairs.slice(1).map(([k, v]): [string, MxArray] => [k, k === 'scale' ? mx.zeros([3]) : v]), ['extra.weight', mx.zeros([1])]];
    let error: Error | undefined;
    try {
      m.loadWeights(bad);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(MxError);
    expect(error!.message).toMatch(/extra\.weight/);
    expect(error!.message).toMatch(/missing parameters: layers\.0\.weight/);
    expect(error!.message).toMatch(/scale: expected shape \(2\), got \(3\)/);
    expect(utils.treeFlatten(m.parameters()).map(([k, v]) => [k, (v as MxArray).tolist()])).toEqual(before);
    // good weights load, and the outputs follow them
    const other = model(mlx);
    other.apply((p) => p.add(1));
    m.loadWeights(utils.treeFlatten(other.parameters()) as Array<[string, MxArray]>);
    const x = mx.array([[1, 2, 3]]);
    expect(m.forward(x).tolist()).toEqual(other.forward(x).tolist());
  });

  it('valueAndGrad(model, fn) gives MLX gradients for the trainable parameters', () => {
    const run = (lib: Lib) => {
      const m = model(lib);
      m.layers[0].freeze(false, 'bias');
      const x = lib.core.array([[0.5, -1, 2], [1, 0, -0.5]]);
      const [value, grads] = lib.nn.valueAndGrad(m, (y: MxArray) => lib.core.sum(lib.core.square(m.forward(y))))(x);
      return [value.item(), utils.treeFlatten(grads).map(([k, g]) => [k, (g as MxArray).tolist()])];
    };
    const [ov, og] = run(mlx), [rv, rg] = run(real);
    expect(ov).toBeCloseTo(rv as number, 5);
    expect((og as unknown[][]).map(([k]) => k)).toEqual((rg as unknown[][]).map(([k]) => k));
    const flatNums = (g: unknown) => (g as unknown[][]).flatMap(([, v]) => [v].flat(3) as number[]);
    flatNums(og).forEach((v, i) => expect(v).toBeCloseTo(flatNums(rg)[i], 4));
  });

  it('saveWeights then loadWeights gives identical outputs; the files carry MLX names both ways', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn-weights-'));
    try {
      for (const ext of ['safetensors', 'npz']) {
        const file = join(dir, `model.${ext}`);
        const ours = model(mlx);
        ours.saveWeights(file);
        const other = model(mlx);
        other.apply((p) => p.add(0.5));
        const x = mx.array([[0.5, -1, 2], [1, 0, -0.5]]);
        expect(other.forward(x).tolist()).not.toEqual(ours.forward(x).tolist());
        other.loadWeights(file);
        expect(other.forward(x).tolist()).toEqual(ours.forward(x).tolist());
        // real MLX reads our file under its own model's names (node-mlx reads no .npz: mx.load checks those)
        const theirs = model(real);
        const loaded = (ext === 'npz' ? mx.load(file) : R.core.load(file)) as Record<string, { tolist(): unknown }>;
        expect(Object.keys(loaded).sort()).toEqual(utils.treeFlatten(theirs.parameters()).map(([k]) => k).sort());
        expect(loaded['layers.0.weight'].tolist()).toEqual((ours.layers[0].weight as MxArray).tolist());
      }
      // and we read real MLX's
      const file = join(dir, 'real.safetensors');
      const theirs = model(real);
      theirs.saveWeights(file);
      const ours = model(mlx).apply((p) => p.multiply(0));
      ours.loadWeights(file);
      expect(ours.forward(mx.array([[1, 2, 3]])).tolist()).toEqual(theirs.forward(R.core.array([[1, 2, 3]])).tolist());
      expect(() => ours.saveWeights(join(dir, 'model.bin'))).toThrow(MxError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints like MLX', () => {
    const m = new nn.Sequential(new nn.Linear(2, 3), nn.relu, new nn.Linear(3, 1, false));
    expect(m.toString()).toBe(
      'Sequential(\n  (layers.0): Linear(input_dims=2, output_dims=3, bias=true)\n  (layers.2): Linear(input_dims=3, output_dims=1, bias=false)\n)',
    );
  });
});
