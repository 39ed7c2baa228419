// Repeated evaluations run as engine plans (src/core/request-plans.ts): the
// second time a graph is sent it becomes a plan, later ones send only their
// inputs. Results are checked against float64 arithmetic done here.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlxRequestError, Session } from 'mlx-capi-bridge';
import mlx from '../src/index.js';
import { session } from '../src/core/graph.js';
import { requestPlanCount } from '../src/core/request-plans.js';
import { rng } from './oracle.js';

const mx = mlx.core;

// The kind of each request the facade sends: a full graph, a plan's definition or a plan's run.
let kinds: string[] = [];
const original = Session.prototype.evalText;
const originalCompact = Session.prototype.runCompact;
beforeEach(() => {
  kinds = [];
  Session.prototype.evalText = function (this: Session, text: string, buffers?: ArrayBufferView[]) {
    kinds.push(text.includes('"run_plan"') ? 'run' : text.includes('"define_plan"') ? 'define' : 'full');
    return original.call(this, text, buffers);
  };
  // a plan's run asks for the compact reply
  Session.prototype.runCompact = function (this: Session, text: string, buffers?: ArrayBufferView[]) {
    kinds.push('run');
    return originalCompact.call(this, text, buffers);
  };
});
afterEach(() => {
  Session.prototype.evalText = original;
  Session.prototype.runCompact = originalCompact;
});

describe('repeated evaluations as plans', () => {
  it('runs the same step as a plan from its second time, with each step its own inputs', () => {
    const rand = rng(5);
    const [n, d, lr] = [40, 6, 0.1];
    const xs = Array.from({ length: n }, () => Array.from({ length: d }, () => rand() * 2 - 1));
    const ys = xs.map((row) => row.reduce((s, v, j) => s + v * (j - 2), 0));
    const X = mx.array(xs), y = mx.array(ys);
    let w = mx.zeros([d]);
    mx.eval(w);
    const loss = (w: ReturnType<typeof mx.zeros>) => mx.multiply(0.5, mx.mean(mx.square(mx.subtract(mx.matmul(X, w), y))));
    const gradFn = mx.grad(loss);
    // the same loop in float64
    let ref = new Array<number>(d).fill(0);
    for (let step = 0; step < 6; step++) {
      w = mx.subtract(w, mx.multiply(lr, gradFn(w)));
      mx.eval(w);
      const r = xs.map((row, i) => row.reduce((s, v, j) => s + v * ref[j], 0) - ys[i]);
      ref = ref.map((wj, j) => wj - (lr * xs.reduce((s, row, i) => s + row[j] * r[i], 0)) / n);
      (w.tolist() as number[]).forEach((v, j) => expect(v).toBeCloseTo(ref[j], 5));
    }
    // (reading w back is no evaluation) the first step is sent whole, the second defines the plan and runs it
    expect(kinds).toEqual(['full', 'full', 'define', 'run', 'run', 'run', 'run', 'run']);
  });

  it('reads new scalars and host data on each run', () => {
    const x = mx.array([1, 2, 3]);
    mx.eval(x);
    for (let k = 1; k <= 4; k++) {
      const y = mx.add(mx.multiply(x, k), mx.array([k, 0, -k]));
      expect(y.tolist()).toEqual([k + k, 2 * k, 3 * k - k]);
    }
    expect(kinds.filter((k) => k === 'run').length).toBeGreaterThanOrEqual(2);
  });

  it('raises the engine error of a run whose inputs are wrong (an index out of range)', () => {
    const a = mx.array([10, 20, 30]);
    mx.eval(a);
    const pick = (i: number) => mx.take(a, mx.array([i], mx.int32)).tolist();
    expect(pick(1)).toEqual([20]);
    expect(pick(2)).toEqual([30]); // now a plan
    expect(() => pick(7)).toThrow(MlxRequestError);
    expect(() => pick(7)).toThrow(/index_out_of_range|out of range/);
    expect(pick(0)).toEqual([10]); // the plan still runs after a failed run
  });

  it('tells apart graphs of the plans run last that differ only in attributes, wiring or an input dtype', () => {
    // a square matrix: sums over either axis have the same shape, so only the attrs differ
    const m = mx.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    const v = mx.array([1, 10, 100]);
    const vi = mx.array([1, 10, 100], mx.int32);
    mx.eval(m, v, vi);
    const cases: Array<[() => ReturnType<typeof mx.sum>, number[]]> = [
      [() => mx.sum(mx.multiply(m, 2), 0), [24, 30, 36]],
      [() => mx.sum(mx.multiply(m, 2), 1), [12, 30, 48]],
      [() => mx.subtract(mx.multiply(v, 2), v), [1, 10, 100]],
      [() => mx.subtract(v, mx.multiply(v, 2)), [-1, -10, -100]],
      [() => mx.add(mx.multiply(vi, 3), 1), [4, 31, 301]],
      [() => mx.add(mx.multiply(v, 3), 1), [4, 31, 301]],
    ];
    // each graph runs five times, interleaved: from the third round every one is a plan run
    for (let round = 0; round < 5; round++)
      for (const [make, want] of cases) {
        const r = make();
        expect(r.tolist()).toEqual(want);
      }
    expect(kinds.filter((k) => k === 'define').length).toBe(cases.length);
    expect(kinds.filter((k) => k === 'run').length).toBe(cases.length * 4);
  });

  it('keeps a bounded number of plans, releasing the least recently run', () => {
    const before = session().planCount() - requestPlanCount();
    const x = mx.array([1, 2, 3, 4]);
    mx.eval(x);
    // 100 different graphs (the shape of z differs), each sent twice: the second time defines a plan
    for (let k = 1; k <= 100; k++) {
      for (let t = 0; t < 2; t++) {
        const z = mx.add(mx.sum(mx.multiply(x, k + t)), mx.zeros([k]));
        expect(z.tolist()).toEqual(new Array(k).fill(10 * (k + t)));
      }
    }
    expect(kinds.filter((k) => k === 'define').length).toBe(100);
    expect(requestPlanCount()).toBeLessThanOrEqual(64);
    expect(session().planCount() - requestPlanCount()).toBe(before);
  });
});
