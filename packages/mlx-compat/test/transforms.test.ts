// grad, valueAndGrad, vjp and jvp: every op with a vjp rule against central
// finite differences in float64, whole functions against real MLX, and the
// transforms composed.
import { describe, expect, it } from 'vitest';
import mlx, { MxError, type MxArray } from '../src/index.js';
import { capabilities } from 'mlx-capi-bridge';
import { opsWithVjp } from '../src/core/transforms/gradients/index.js';
import { real } from './oracle.js';

const mx = mlx.core;
const f64 = (v: number[] | number[][]) => mx.array(v, mx.float64);

// Fixed weights, so that every output of f counts with a different factor.
const weightsFor = (out: MxArray) => mx.reshape(mx.array(Array.from({ length: out.size }, (_, i) => 0.5 + 0.1 * i), mx.float64), out.shape);
const weighted = (f: (x: MxArray) => MxArray) => (v: MxArray) => {
  const out = f(v);
  return mx.sum(mx.multiply(out, weightsFor(out)));
};

// d/dx sum(f(x) * w) by central differences.
function numericGrad(f: (x: MxArray) => MxArray, x: number[], h: number): number[] {
  const value = (v: number[]) => weighted(f)(f64(v)).item() as number;
  return x.map((_, i) => {
    const up = [...x], down = [...x];
    up[i] += h;
    down[i] -= h;
    return (value(up) - value(down)) / (2 * h);
  });
}

function analyticGrad(f: (x: MxArray) => MxArray, x: number[]): number[] {
  return (mx.grad(weighted(f))(f64(x)) as MxArray).tolist() as number[];
}

const X = [0.3, -0.7, 1.1, 0.45];
const POS = [0.3, 0.7, 1.1, 1.45];
const UNIT = [0.3, -0.7, 0.1, 0.45];
const CASES: Array<[string, (x: MxArray) => MxArray, number[]]> = [
  ['exp', mx.exp, X], ['log', mx.log, POS], ['sin', mx.sin, X], ['cos', mx.cos, X], ['tan', mx.tan, UNIT], ['tanh', mx.tanh, X],
  ['sinh', mx.sinh, X], ['cosh', mx.cosh, X], ['arcsin', mx.arcsin, UNIT], ['arccos', mx.arccos, UNIT], ['arctan', mx.arctan, X],
  ['arcsinh', mx.arcsinh, X], ['arccosh', mx.arccosh, [1.3, 1.7, 2.1, 3.45]], ['arctanh', mx.arctanh, UNIT],
  ['sigmoid', mx.sigmoid, X], ['sqrt', mx.sqrt, POS], ['rsqrt', mx.rsqrt, POS], ['reciprocal', mx.reciprocal, POS], ['square', mx.square, X],
  ['abs', mx.abs, X], ['negative', mx.negative, X], ['expm1', mx.expm1, X], ['log1p', mx.log1p, POS], ['log2', mx.log2, POS],
  ['log10', mx.log10, POS], ['erf', mx.erf, X], ['erfinv', mx.erfinv, UNIT], ['degrees', mx.degrees, X],
  ['add', (x) => mx.add(x, mx.square(x)), X], ['subtract', (x) => mx.subtract(mx.exp(x), x), X], ['multiply', (x) => mx.multiply(x, mx.sin(x)), X],
  ['divide', (x) => mx.divide(mx.sin(x), mx.add(mx.square(x), 1)), X], ['power', (x) => mx.power(x, mx.array([2, 3, 0.5, 1.5], mx.float64)), POS],
  ['power exponent', (x) => mx.power(mx.array([1.5, 2, 0.5, 3], mx.float64), x), X], ['maximum', (x) => mx.maximum(x, mx.multiply(x, 0.5)), X],
  ['minimum', (x) => mx.minimum(x, mx.sin(x)), X], ['logaddexp', (x) => mx.logaddexp(x, mx.square(x)), X], ['arctan2', (x) => mx.arctan2(x, mx.add(mx.square(x), 0.5)), X],
  ['remainder', (x) => mx.remainder(mx.multiply(x, 3), mx.array(0.65, mx.float64)), X], ['where', (x) => mx.where(mx.greater(x, 0), mx.exp(x), mx.square(x)), X],
  ['sum', (x) => mx.sum(mx.reshape(mx.exp(x), [2, 2]), 0), X], ['mean', (x) => mx.mean(mx.reshape(mx.square(x), [2, 2]), 1, true), X],
  ['max', (x) => mx.max(mx.reshape(x, [2, 2]), 1), X], ['min', (x) => mx.min(x), X], ['prod', (x) => mx.prod(mx.reshape(x, [2, 2]), 0), X],
  ['logsumexp', (x) => mx.logsumexp(mx.reshape(x, [2, 2]), 1), X], ['variance', (x) => mx.variance(x, undefined, false, 1), X], ['std', (x) => mx.std(x), X],
  ['cumsum', (x) => mx.cumsum(x, 0), X], ['cumsum reverse', (x) => mx.cumsum(mx.reshape(x, [2, 2]), 1, true, false), X],
  ['softmax', (x) => mx.softmax(mx.reshape(x, [2, 2]), [-1]), X], ['reshape', (x) => mx.multiply(mx.reshape(x, [2, 2]), mx.array([[1, 2], [3, 4]], mx.float64)), X],
  ['transpose', (x) => mx.multiply(mx.transpose(mx.reshape(x, [2, 2])), mx.array([[1, 2], [3, 4]], mx.float64)), X],
  ['broadcast_to', (x) => mx.multiply(mx.broadcastTo(mx.reshape(x, [1, 4]), [3, 4]), mx.reshape(mx.arange(12, mx.float64), [3, 4])), X],
  ['expand/squeeze', (x) => mx.squeeze(mx.expandDims(mx.exp(x), 0)), X], ['concatenate', (x) => mx.concatenate([x, mx.square(x)], 0), X],
  ['stack', (x) => mx.stack([x, mx.sin(x)], 1), X], ['split', (x) => mx.multiply(mx.split(x, [1])[1], 2), X],
  ['index slice', (x) => x.index(new mx.Slice(3, 0, -2)), X], ['pad', (x) => mx.pad(mx.exp(x), [1, 2]), X],
  ['take', (x) => mx.take(x, mx.array([3, 0, 3], mx.int32), 0), X], ['take_along_axis', (x) => mx.takeAlongAxis(mx.reshape(x, [2, 2]), mx.array([[1], [1]], mx.int32), 1), X],
  ['matmul', (x) => mx.matmul(mx.reshape(x, [2, 2]), mx.array([[1, -2], [0.5, 3]], mx.float64)), X],
  ['matmul vector', (x) => mx.matmul(mx.array([[1, 2, 3, 4], [0, 1, 0, -1]], mx.float64), x), X],
  ['addmm', (x) => mx.addmm(mx.square(x.index(new mx.Slice(0, 2))), mx.reshape(x, [2, 2]), mx.array([[1, -2], [0.5, 3]], mx.float64), 2, 0.5), X],
  ['astype', (x) => mx.astype(mx.astype(x, mx.float32), mx.float64), X],
  ['sort', (x) => mx.multiply(mx.sort(x), mx.array([1, 2, 3, 4], mx.float64)), X], ['sort flattened', (x) => mx.sort(mx.reshape(x, [2, 2]), null), X],
  ['topk', (x) => mx.topk(x, 2), X], ['cumprod', (x) => mx.cumprod(x, 0), X], ['cummax', (x) => mx.cummax(x, 0), X], ['cummin', (x) => mx.cummin(x, 0), X],
  ['logcumsumexp', (x) => mx.logcumsumexp(x, 0), X], ['tile', (x) => mx.tile(mx.reshape(x, [2, 2]), [2, 3]), X],
  ['repeat', (x) => mx.repeat(mx.reshape(x, [2, 2]), 3, 1), X], ['repeat flattened', (x) => mx.repeat(x, 2), X],
  ['full', (x) => mx.full([3, 4], x), X], ['indexUpdate', (x) => mx.reshape(x, [2, 2]).at(mx.array([0], mx.int32)).add(mx.array([[1, 1]], mx.float64)), X],
];

describe('gradients against central finite differences (float64)', () => {
  for (const [name, f, x] of CASES) {
    it(name, () => {
      // through float32 rounding a finite difference needs a wide step
      const [tol, h] = name === 'astype' ? [1e-4, 1e-2] : [1e-6, 1e-6];
      const got = analyticGrad(f, x), want = numericGrad(f, x, h);
      got.forEach((g, i) => expect(Math.abs(g - want[i]), `${name}[${i}]: ${g} vs ${want[i]}`).toBeLessThan(tol * (1 + Math.abs(want[i]))));
    });
  }
});

describe('against real MLX', () => {
  const xd = [[0.5, -1, 2], [1, 0.25, -0.5]], wd = [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]];
  const fns: Array<[string, (lib: typeof real) => (x: unknown, w: unknown) => unknown]> = [
    ['tanh(x @ w)', (lib) => (x, w) => lib.sum(lib.tanh(lib.matmul(x, w)))],
    ['logsumexp softmax', (lib) => (x, w) => lib.sum(lib.multiply(lib.softmax(lib.matmul(x, w), [-1]), lib.logsumexp(x, [1], true)))],
    ['mean of squares', (lib) => (x, w) => lib.mean(lib.square(lib.subtract(lib.matmul(x, w), 1)))],
  ];
  for (const [what, make] of fns) {
    it(what, () => {
      const ours = mx.grad(make(mx) as never, [0, 1])(mx.array(xd), mx.array(wd)) as MxArray[];
      const theirs = real.grad(make(real), [0, 1])(real.array(xd), real.array(wd)) as Array<{ tolist(): number[][] }>;
      ours.forEach((g, k) => (g.tolist() as number[][]).flat().forEach((v, i) => expect(Math.abs(v - theirs[k].tolist().flat()[i])).toBeLessThan(1e-5)));
    });
  }
});

describe('transforms composed and their arguments', () => {
  it('differentiate and map the arguments as passed when fn updates them in place', () => {
    // f zeroes x[0] in place, then sums squares: d/dx = 2x except at 0
    const f = (x: MxArray) => {
      x.indexPut_(0, mx.array(0, mx.float64));
      return mx.sum(mx.square(x));
    };
    const x = f64([3, -1, 2]);
    expect((mx.grad(f)(x) as MxArray).tolist()).toEqual([0, -2, 4]);
    const [[out], [ct]] = mx.vjp(f, [x], [f64(1)]);
    expect([out.item(), ct.tolist()]).toEqual([5, [0, -2, 4]]);
    expect(mx.jvp(f, [x], [f64([1, 1, 1])])[1][0].item()).toBe(2); // 0 - 2 + 4
    expect((mx.vmap(f)(mx.stack([x, mx.multiply(x, 2)])) as MxArray).tolist()).toEqual([5, 20]);
    expect(x.tolist()).toEqual([3, -1, 2]); // the caller's array is untouched
  });

  it('grad of grad, and grad of grad of grad', () => {
    const f = (x: MxArray) => mx.sum(mx.multiply(mx.sin(x), x));
    const x = 0.7;
    expect(mx.grad(mx.grad(f) as never)(f64([x])).tolist()[0]).toBeCloseTo(2 * Math.cos(x) - x * Math.sin(x), 10);
    const third = mx.grad(((y: MxArray) => mx.sum(mx.grad(mx.grad(f) as never)(y) as MxArray)) as never)(f64([x])) as MxArray;
    expect(third.tolist()[0]).toBeCloseTo(-3 * Math.sin(x) - x * Math.cos(x), 8);
  });

  it('jvp agrees with vjp by transposition: <J t, c> = <t, J^T c>', () => {
    const f = (x: MxArray) => mx.matmul(mx.reshape(mx.tanh(x), [2, 2]), mx.array([[1, 2], [3, -1]], mx.float64));
    const x = f64(X), t = f64([0.2, -0.1, 0.4, 0.3]), c = f64([[1, -1], [0.5, 2]]);
    const [, [jt]] = mx.jvp(f, [x], [t]);
    const [, [jc]] = mx.vjp(f, [x], [c]);
    expect(mx.sum(mx.multiply(jt, c)).item()).toBeCloseTo(mx.sum(mx.multiply(t, jc)).item() as number, 12);
  });

  it('trees of arguments and argnums give gradients in the same shape', () => {
    const loss = (params: { w: MxArray; b: [MxArray] }, x: MxArray) => mx.sum(mx.square(mx.add(mx.matmul(x, params.w), params.b[0])));
    const params = { w: f64([[1, 2], [3, 4]]), b: [f64([0.5, -0.5])] as [MxArray] };
    const x = f64([[1, 0], [0, 1]]);
    const g = mx.grad(loss)(params, x) as { w: MxArray; b: [MxArray] };
    // by hand: r = x @ w + b = [[1.5, 1.5], [3.5, 3.5]]; dL/dw = 2 x^T r, dL/db = 2 sum_rows r
    expect(g.w.tolist()).toEqual([[3, 3], [7, 7]]);
    expect(g.b[0].tolist()).toEqual([10, 10]);
    const [value, [gp, gx]] = mx.valueAndGrad(loss, [0, 1])(params, x) as unknown as [MxArray, [unknown, MxArray]];
    expect(value.item()).toBe(2 * 1.5 ** 2 + 2 * 3.5 ** 2);
    expect((gp as { w: MxArray }).w.tolist()).toEqual([[3, 3], [7, 7]]);
    expect(gx.shape).toEqual([2, 2]);
  });

  it('valueAndGrad takes a tuple whose first item is the loss', () => {
    const [[loss, aux], g] = mx.valueAndGrad((x: MxArray) => [mx.sum(mx.square(x)), mx.multiply(x, 2)])(f64([1, 2])) as unknown as [[MxArray, MxArray], MxArray];
    expect(loss.item()).toBe(5);
    expect(aux.tolist()).toEqual([2, 4]);
    expect(g.tolist()).toEqual([2, 4]);
  });

  it('walks a deep diamond-shaped graph once per node (60 levels, 2^60 paths)', () => {
    const g = mx.grad((x: MxArray) => {
      let y = x;
      for (let i = 0; i < 60; i++) y = mx.add(mx.sin(y), mx.cos(y));
      return mx.sum(y);
    })(f64([0.3])) as MxArray;
    // the chain rule by hand: dy/dx = prod (cos y_i - sin y_i)
    let y = 0.3, d = 1;
    for (let i = 0; i < 60; i++) {
      d *= Math.cos(y) - Math.sin(y);
      y = Math.sin(y) + Math.cos(y);
    }
    expect(Math.abs((g.tolist() as number[])[0] - d)).toBeLessThan(1e-12 + 1e-9 * Math.abs(d));
  });

  it('stopGradient blocks the gradient', () => {
    const g = mx.grad((x: MxArray) => mx.sum(mx.multiply(x, mx.stopGradient(x))))(f64([3])) as MxArray;
    expect(g.tolist()).toEqual([3]);
  });

  it('evaluating inside the traced function keeps the gradient', () => {
    const g = mx.grad((x: MxArray) => {
      const y = mx.exp(x);
      mx.eval(y);
      return mx.sum(y);
    })(f64([0, 1])) as MxArray;
    expect(g.tolist()).toEqual([1, Math.E]);
  });

  it('every engine op has a vjp rule but those with nothing to differentiate', () => {
    // creation ops read no array (full, which reads its fill value, has a rule); all and any return bool;
    // view reinterprets bits, which has no derivative (MLX defines none)
    const nothing = ['zeros', 'ones', 'arange', 'linspace', 'eye', 'identity', 'tri', 'all', 'any', 'view'];
    // factorizations without a vjp in MLX v0.31.2 either (its QRF, SVD, LUF, Eig, Eigh and Cholesky primitives
    // define none): grad raises the typed "no vjp rule" error
    const noneInMlx = ['qr', 'svd', 'lu_factor', 'eigh', 'eig', 'cholesky'];
    const have = new Set(opsWithVjp());
    expect(capabilities().ops.filter((o) => o.backends.includes('native')).map((o) => o.name).filter((op) => !have.has(op)).sort()).toEqual([...nothing, ...noneInMlx].sort());
  });

  it('raises typed errors: non-scalar outputs, bad argnums, ops without a rule', () => {
    expect(() => mx.grad((x: MxArray) => mx.exp(x))(f64([1, 2]))).toThrow(/must return a scalar, got an array of shape \(2\)/);
    expect(() => mx.grad((x: MxArray) => mx.sum(x), 2)(f64([1]))).toThrow(MxError);
    expect(() => mx.grad((x: MxArray) => mx.sum(mx.cumsum(mx.cumprod(x, 0, true))))(f64([2, 1]))).toThrow(/\[cumprod\] grad: the op has no vjp rule for this variant/);
  });
});

describe('customFunction and checkpoint', () => {
  it('a vjp override replaces the derivative', () => {
    const f = mx.customFunction((x: MxArray) => mx.exp(x)).vjp((_, cts) => [mx.multiply(cts[0], 2)]);
    expect((mx.grad((x: MxArray) => mx.sum(f(x) as MxArray))(f64([1, 2])) as MxArray).tolist()).toEqual([2, 2]);
  });
  it('a jvp override serves forward mode, and transposed, reverse mode', () => {
    const g = mx.customFunction((x: MxArray) => mx.sin(x)).jvp((_, ts) => [mx.multiply(ts[0], 3)]);
    expect(mx.jvp((x: MxArray) => g(x) as MxArray, [f64([1])], [f64([2])])[1][0].tolist()).toEqual([6]);
    expect((mx.grad((x: MxArray) => mx.sum(g(x) as MxArray))(f64([1, 2])) as MxArray).tolist()).toEqual([3, 3]);
  });
  it('without overrides the function differentiates itself, over several outputs', () => {
    const h = mx.customFunction((x: MxArray, y: MxArray) => [mx.multiply(x, y), mx.add(x, y)]);
    const grads = mx.grad((x: MxArray, y: MxArray) => {
      const [a, b] = h(x, y) as MxArray[];
      return mx.sum(mx.add(a, mx.multiply(b, 2)));
    }, [0, 1])(f64([2]), f64([5])) as MxArray[];
    // by hand: d/dx (xy + 2(x + y)) = y + 2 = 7, d/dy = x + 2 = 4
    expect(grads.map((a) => a.tolist())).toEqual([[7], [4]]);
  });
  it('checkpoint gives equal gradients with lower peak memory (engine figures)', () => {
    const layer = (x: MxArray) => mx.sin(mx.multiply(mx.exp(x), x));
    const deep = (ck: boolean) => (x: MxArray) => {
      for (let i = 0; i < 8; i++) x = ck ? (mx.checkpoint(layer)(x) as MxArray) : layer(x);
      return mx.sum(x);
    };
    const x = mx.random.uniform(0, 1, [1 << 18], mx.float32, mx.random.key(1));
    mx.eval(x);
    const run = (ck: boolean) => {
      mx.resetPeakMemory();
      const base = mx.getActiveMemory();
      const g = mx.grad(deep(ck))(x) as MxArray;
      mx.eval(g);
      return { g: g.toTypedArray() as Float32Array, peak: mx.getPeakMemory() - base };
    };
    const plain = run(false), checked = run(true);
    expect(Array.from(checked.g)).toEqual(Array.from(plain.g));
    expect(checked.peak).toBeLessThan(plain.peak * 0.6);
  });
});

describe('vmap', () => {
  // vmap(f) over axis 0 must equal f applied to each example, stacked.
  const loop = (f: (...xs: MxArray[]) => MxArray, ...batched: MxArray[]) =>
    mx.stack(Array.from({ length: batched[0].shape[0] }, (_, b) => f(...batched.map((x) => x.index(b)))), 0);
  const A = mx.array([[[1, 2, 3], [0.5, -1, 2]], [[0, 1, 0], [2, 2, -1]], [[3, -2, 1], [1, 1, 1]]], mx.float64);
  const V = mx.array([[1, 2, 3], [4, 5, 6], [-1, 0, 1]], mx.float64);
  const fns: Array<[string, (...xs: MxArray[]) => MxArray, MxArray[]]> = [
    ['elementwise with broadcasting', (x, v) => mx.add(mx.exp(x), v), [A, V]],
    ['sum and keepdims', (x) => mx.sum(x, 1, true), [A]],
    ['max over all axes', (x) => mx.max(x), [A]],
    ['softmax', (x) => mx.softmax(x, [-1]), [A]],
    ['matmul matrix-vector', (x, v) => mx.matmul(x, v), [A, V]],
    ['addmm with a fixed c', (x, v) => mx.addmm(mx.array([[1], [-1]], mx.float64), x, mx.reshape(v, [3, 1]), 2, 0.5), [A, V]],
    ['matmul vector-matrix', (v, x) => mx.matmul(v.index(new mx.Slice(0, 2)), x), [V, A]],
    ['transpose and reshape', (x) => mx.reshape(mx.transpose(x), [-1]), [A]],
    ['cumsum and argmax', (x) => mx.add(mx.cumsum(x, 1), mx.astype(mx.argmax(x, 0), mx.float64)), [A]],
    ['sort flattened', (x) => mx.sort(x, null), [A]],
    ['broadcast_to', (v) => mx.broadcastTo(v, [2, 3]), [V]],
    ['take with mapped indices', (v, i) => mx.take(v, i, 0), [V, mx.array([[2, 0], [1, 1], [0, 2]], mx.int32)]],
    ['take with mapped 2-d indices, negative ones, inside the array', (x, i) => mx.take(x, i, 1), [A, mx.array([[[2, -1], [0, 0]], [[1, 2], [-3, 1]], [[0, 1], [2, 2]]], mx.int32)]],
    ['take with a mapped scalar index', (x, i) => mx.take(x, i, 0), [A, mx.array([1, 0, 1], mx.int32)]],
    ['take flattened with mapped indices', (x, i) => mx.take(x, i), [A, mx.array([[5, 0, 3], [1, 1, 4], [-1, 2, 0]], mx.int32)]],
    ['take with fixed indices', (x) => mx.take(x, mx.array([2, 0], mx.int32), 1), [A]],
    ['take_along_axis', (x, i) => mx.takeAlongAxis(x, i, 1), [A, mx.array([[[0, 2, 1]], [[1, 1, 0]], [[0, 0, 0]]], mx.int32)]],
    ['put_along_axis with mapped indices and values', (x, i, v) => mx.putAlongAxis(x, i, v, 1), [A, mx.array([[[1, 0, 2]], [[0, 0, 1]], [[1, 1, 1]]], mx.int32), mx.array([[[7, 8, 9]], [[1, 2, 3]], [[4, 5, 6]]], mx.float64)]],
    ['put_along_axis with fixed indices', (x) => mx.putAlongAxis(x, mx.array([[2], [0]], mx.int32), mx.array(-5, mx.float64), 1), [A]],
    ['slice update with a mapped update', (x, u) => { const y = mx.array(x); y.indexPut_([new mx.Slice(0, 2), new mx.Slice(1, 3)], u); return y; }, [A, mx.array([[[10, 20]], [[30, 40]], [[50, 60]]], mx.float64)]],
    ['slice update with a fixed update', (x) => { const y = mx.array(x); y.indexPut_([new mx.Slice(null, null, -1), 0], mx.array([7, 8], mx.float64)); return y; }, [A]],
    ['concatenate with an unmapped part', (x) => mx.concatenate([x, mx.ones([2, 1], mx.float64)], 1), [A]],
    ['stack and split', (x) => mx.stack(mx.split(x, 3, 1), 0), [A]],
    ['slice through index', (x) => x.index(new mx.Slice(null, null, -1), new mx.Slice(1, 3)), [A]],
    ['pad', (x) => mx.pad(x, [[1, 0], [0, 2]], 'constant', 7), [A]],
    ['tile and repeat', (v) => mx.add(mx.tile(v, [2, 1]), mx.reshape(mx.repeat(v, 2), [2, 3])), [V]],
  ];
  for (const [what, f, args] of fns) {
    it(`equals a loop over the batch: ${what}`, () => {
      expect((mx.vmap(f)(...args) as MxArray).tolist()).toEqual(loop(f, ...args).tolist());
    });
  }

  it('gathers with mapped indices in a graph whose size does not grow with the batch', () => {
    const nodes = (a: MxArray) => {
      const seen = new Set<unknown>(), work = [a._v];
      while (work.length) {
        const v = work.pop()!;
        if (!v.node || seen.has(v.node)) continue;
        seen.add(v.node);
        work.push(...v.node.inputs);
      }
      return seen.size;
    };
    const gather = mx.vmap((v: MxArray, i: MxArray) => mx.take(v, i, 0));
    const rows = (b: number) => mx.reshape(mx.arange(b * 3, mx.float32), [b, 3]);
    const picks = (b: number) => mx.remainder(mx.arange(b * 2, mx.int32), mx.array(3, mx.int32)).reshape([b, 2]);
    const small = gather(rows(4), picks(4)) as MxArray, large = gather(rows(400), picks(400)) as MxArray;
    expect(nodes(large)).toBe(nodes(small));
    expect(large.index(399).tolist()).toEqual([399 * 3 + 0, 399 * 3 + 1]); // picks 798 % 3 = 0 and 799 % 3 = 1
    // an index past its own example's row is an error, not a read of the next example
    expect(() => (gather(rows(2), mx.array([[3, 0], [0, 0]], mx.int32)) as MxArray).tolist()).toThrow(/index_out_of_range|out of range/);
  });

  it('in and out axes, and unmapped arguments', () => {
    const f = (x: MxArray, w: MxArray) => mx.matmul(x, w);
    const w = mx.array([[1, 0], [2, 1], [0, 3]], mx.float64);
    const byColumns = mx.vmap(f, [1, null], 1)(mx.swapaxes(A, 0, 1), w) as MxArray;
    expect(byColumns.tolist()).toEqual(mx.swapaxes(loop((x) => f(x, w), A), 0, 1).tolist());
    expect(() => mx.vmap((x: MxArray) => x, null)(A)).toThrow(/at least one argument must be mapped/);
    expect(() => mx.vmap((x: MxArray, y: MxArray) => mx.add(x, y))(A, V.index(new mx.Slice(0, 2)))).toThrow(/batch size/);
  });

  it('agrees with real MLX when every argument is mapped', () => {
    const data = [[0.5, 1, -1], [2, 0.25, 3]];
    const ours = mx.vmap((x: MxArray, y: MxArray) => mx.logsumexp(mx.multiply(x, y)))(mx.array(data), mx.array(data));
    const theirs = real.vmap((x: unknown, y: unknown) => real.logsumexp(real.multiply(x, y)))(real.array(data), real.array(data));
    (ours as MxArray).tolist().forEach((v: number, i: number) => expect(v).toBeCloseTo(theirs.tolist()[i], 5));
  });

  it('composes: nested vmap, vmap of grad, grad of vmap', () => {
    const outer = mx.vmap(mx.vmap((a: MxArray, b: MxArray) => mx.multiply(a, b)))(mx.array([[1, 2], [3, 4]]), mx.array([[5, 6], [7, 8]])) as MxArray;
    expect(outer.tolist()).toEqual([[5, 12], [21, 32]]);
    const perExample = mx.vmap(mx.grad((x: MxArray) => mx.sum(mx.square(mx.sin(x)))) as never)(A) as MxArray;
    const looped = loop((x) => mx.grad((y: MxArray) => mx.sum(mx.square(mx.sin(y))))(x) as MxArray, A);
    expect(perExample.tolist()).toEqual(looped.tolist());
    const g = mx.grad((x: MxArray) => mx.sum(mx.vmap((r: MxArray) => mx.multiply(mx.sum(r), r))(x) as MxArray))(V) as MxArray;
    // by hand: d/dx_ij sum_i (s_i * sum_j x_ij) = 2 s_i
    expect(g.tolist()).toEqual((mx.multiply(mx.sum(V, 1, true), mx.onesLike(V)).multiply(2) as MxArray).tolist());
  });

  it('a function that reads its traced input gets a typed error', () => {
    expect(() => mx.vmap((x: MxArray) => mx.multiply(x, x.sum().item() as number))(V)).toThrow(/cannot evaluate or read its inputs/);
  });
});

describe('compile', () => {
  it('traced first inside tidy, keeps its graph for later calls (the scope does not dispose it)', () => {
    const mx = mlx.core;
    const double = mx.compile((w: MxArray) => mx.add(mx.multiply(w, 2), 1));
    let w = mx.array([1, -2, 0.5]);
    const expected = [1, -2, 0.5];
    for (let i = 0; i < 3; i++) {
      const next = mx.tidy(() => double(w));
      mx.dispose(w);
      w = next;
      expected.forEach((v, k) => (expected[k] = 2 * v + 1));
      expect(w.tolist()).toEqual(expected);
    }
    expect(double.traces).toBe(1);
  });
  const f = (x: MxArray, y: MxArray) => mx.add(mx.exp(mx.multiply(x, y)), 1);
  const a = mx.array([1, 2, 3]), b = mx.array([0.5, 0.25, 1]);

  it('gives the same values as the function, tracing once per signature', () => {
    const cf = mx.compile(f);
    expect((cf(a, b) as MxArray).tolist()).toEqual(f(a, b).tolist());
    expect((cf(mx.array([0, 0, 0]), b) as MxArray).tolist()).toEqual([2, 2, 2]);
    expect(cf.traces).toBe(1); // the second call did not trace
    cf(mx.array([1, 2]), mx.array([1, 1]));
    expect(cf.traces).toBe(2); // new shapes, new trace
    cf(mx.array([1, 2], mx.float16), mx.array([1, 1], mx.float16));
    expect(cf.traces).toBe(3); // new dtypes too
  });

  it('shapeless: inputs of new shapes reuse the tracing; new ranks or dtypes trace again', () => {
    // a layer and a loss over a batch of any size: matmul, bias, relu, logsumexp, mean
    const loss = (x: MxArray, w: MxArray, bias: MxArray) => mx.mean(mx.logsumexp(mx.maximum(mx.add(mx.matmul(x, w), bias), 0), [1]));
    const w = mx.array([[0.5, -1, 0.25], [1, 0.5, -0.5]]), bias = mx.array([0.1, 0, -0.2]);
    const cf = mx.compile(loss, true);
    for (const rows of [4, 7, 1, 7]) {
      const x = mx.reshape(mx.sin(mx.arange(rows * 2, mx.float32)), [rows, 2]);
      expect((cf(x, w, bias) as MxArray).item()).toBeCloseTo(loss(x, w, bias).item() as number, 6);
    }
    expect(cf.traces).toBe(1);
    const outer = mx.compile((x: MxArray, y: MxArray) => mx.multiply(x, y), true);
    expect((outer(mx.array([1, 2]), mx.array([[1], [10]])) as MxArray).tolist()).toEqual([[1, 2], [10, 20]]);
    expect((outer(mx.array([1, 2, 3]), mx.array([[2]])) as MxArray).shape).toEqual([1, 3]); // output shapes follow the inputs
    expect(outer.traces).toBe(1);
    // shapes that do not broadcast fail where the engine plans them, with its typed error
    expect(() => outer(mx.array([1, 2]), mx.array([[1, 2, 3]]))).toThrow(/invalid_shape/);
    const shifted = mx.compile((x: MxArray) => mx.add(mx.onesLike(x), mx.multiply(x, mx.zerosLike(x))), true);
    expect((shifted(mx.array([[1, 2]])) as MxArray).tolist()).toEqual([[1, 1]]);
    expect((shifted(mx.array([[1, 2, 3], [4, 5, 6]])) as MxArray).tolist()).toEqual([[1, 1, 1], [1, 1, 1]]);
    expect(shifted.traces).toBe(1); // onesLike and zerosLike follow the input's shape
    outer(mx.array([[1, 2]]), mx.array([[1], [10]]));
    outer(mx.array([1, 2], mx.float16), mx.array([[1], [10]], mx.float16));
    expect(outer.traces).toBe(3);
  });

  it('shapeless: a training step (value and gradients) over batches of any size, traced once', () => {
    // reductions take their counts when the graph runs: a count traced at one
    // batch size would scale every gradient at another
    const loss = (w: MxArray, bias: MxArray, x: MxArray, y: MxArray) => {
      const logits = mx.add(mx.matmul(mx.maximum(x, 0), w), bias);
      const picked = mx.squeeze(mx.takeAlongAxis(logits, mx.expandDims(y, [1]), 1), [1]);
      const spread = mx.add(mx.mean(mx.std(x, 0)), mx.sum(mx.variance(logits, 1, false, 1)));
      return mx.add(mx.mean(mx.subtract(mx.logsumexp(logits, [1]), picked)), mx.multiply(spread, 0.01));
    };
    const step = mx.valueAndGrad(loss, [0, 1]);
    const compiled = mx.compile(step, true);
    const w = mx.reshape(mx.cos(mx.arange(12, mx.float64)), [3, 4]), bias = mx.array([0.1, -0.2, 0, 0.3], mx.float64);
    for (const n of [2, 5, 3]) {
      const x = mx.reshape(mx.sin(mx.arange(n * 3, mx.float64)), [n, 3]);
      const y = mx.remainder(mx.arange(n, mx.int32), mx.array(4, mx.int32));
      const [value, grads] = compiled(w, bias, x, y) as [MxArray, MxArray[]];
      const [v, gs] = step(w, bias, x, y) as [MxArray, MxArray[]];
      expect(value.item()).toBeCloseTo(v.item() as number, 12);
      grads.forEach((g, k) => (g.tolist() as number[] | number[][]).flat().forEach((e, i) => expect(e).toBeCloseTo((gs[k].tolist() as number[] | number[][]).flat()[i] as number, 12)));
    }
    expect(compiled.traces).toBe(1);
  });

  it('shapeless refuses a function whose graph fixes a shape, naming the op', () => {
    const flat = mx.compile((x: MxArray) => mx.sum(mx.reshape(x, [-1])), true);
    expect(() => flat(mx.ones([2, 3]))).toThrow(/\[compile\] shapeless: the function uses reshape/);
    const sized = mx.compile((x: MxArray) => mx.add(x, mx.zeros(x.shape)), true);
    expect(() => sized(mx.ones([2, 3]))).toThrow(/uses zeros/);
    expect((mx.compile((x: MxArray) => mx.sum(mx.reshape(x, [-1])))(mx.ones([2, 3])) as MxArray).item()).toBe(6); // fine with shapes fixed
  });

  it("releases a compiled function's plans when the function is collected", async () => {
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const { session } = await import('../src/core/graph.js');
    const { requestPlanCount } = await import('../src/core/request-plans.js');
    // the plans of repeated evaluations (request-plans.ts) are not compile's
    const compiledPlans = () => session().planCount() - requestPlanCount();
    const settle = async () => {
      for (let k = 0; k < 5; k++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await settle(); // compiled functions of earlier tests go first
    const before = compiledPlans();
    (() => {
      const cf = mx.compile((x: MxArray) => mx.exp(x), true);
      for (const n of [1, 2, 3]) (cf(mx.ones([n])) as MxArray).tolist(); // a plan per shape
      expect(compiledPlans()).toBe(before + 3);
    })();
    await settle();
    expect(compiledPlans()).toBe(before);
  });

  it('sends only the inputs after the first call (the engine keeps the plan)', async () => {
    const { Session } = await import('mlx-capi-bridge');
    const sent: unknown[] = [];
    const original = Session.prototype.eval;
    Session.prototype.eval = function (this: InstanceType<typeof Session>, req: never, bufs?: ArrayBufferView[]) {
      sent.push(req);
      return original.call(this, req, bufs);
    };
    try {
      const cf = mx.compile(f);
      cf(a, b);
      sent.length = 0;
      cf(mx.array([3, 2, 1]), b);
      const runs = sent.filter((r) => (r as { run_plan?: string }).run_plan);
      expect(runs).toHaveLength(1);
      expect((runs[0] as { nodes?: unknown }).nodes).toBeUndefined();
    } finally {
      Session.prototype.eval = original;
    }
  });

  it('takes and returns trees; grad and vmap see through it; disableCompile runs it plainly', () => {
    const tree = mx.compile((p: { w: MxArray }) => ({ s: mx.sum(p.w), m: mx.matmul(p.w, p.w) }));
    const out = tree({ w: mx.eye(2) }) as { s: MxArray; m: MxArray };
    expect(out.s.item()).toBe(2);
    expect(out.m.tolist()).toEqual([[1, 0], [0, 1]]);
    const cf = mx.compile(f);
    const g = mx.grad((x: MxArray) => mx.sum(cf(x, b) as MxArray))(a) as MxArray;
    expect(g.tolist()).toEqual((mx.grad((x: MxArray) => mx.sum(f(x, b)))(a) as MxArray).tolist());
    const v = mx.vmap((x: MxArray) => cf(x, mx.array(2)) as MxArray)(mx.array([[1, 2], [3, 4]])) as MxArray;
    expect(v.tolist()).toEqual(f(mx.array([[1, 2], [3, 4]]), mx.array(2)).tolist());
    mx.disableCompile();
    try {
      const plain = mx.compile(f);
      plain(a, b);
      expect(plain.traces).toBe(0);
    } finally {
      mx.enableCompile();
    }
  });
});
