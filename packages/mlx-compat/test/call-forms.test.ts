// node-mlx's classes and call forms, and the facade's mistakes raising at the
// call (issue 11's list). Values come from real MLX: @frost-beta/mlx (MLX
// 0.13) where it agrees with MLX v0.31.2, and from v0.31.2 (checked through
// ../shared/mlx-runtime, noted per case) where the two differ.
import { describe, expect, it } from 'vitest';
import mlx, { MxError, type MxArray } from '../src/index.js';
import { expectSame, flat, real } from './oracle.js';

const mx = mlx.core;
const same = (ours: MxArray, theirs: unknown, what: string) => expectSame(flat(ours), flat(theirs as never), what);

describe('node-mlx classes and names', () => {
  it('mx.array is a class: new, instanceof, and a function call', () => {
    const a = new mx.array([1, 2], mx.int32);
    expect(a instanceof mx.array).toBe(true);
    expect(mx.zeros([2]) instanceof mx.array).toBe(true);
    expect(a.tolist()).toEqual([1, 2]);
    expect(new real.array([1, 2]) instanceof real.array).toBe(true);
  });

  it('has bool_, Complex literals, constants and the ArrayAt class', () => {
    expect(mx.array([1, 0], mx.bool_).dtype).toBe(mx.bool);
    const c = mx.array([mx.Complex(1, 2), mx.Complex(3, -1)]);
    const theirs = real.array([real.Complex(1, 2), real.Complex(3, -1)]);
    expect(c.dtype.name).toBe(String(theirs.dtype));
    expect(c.tolist()).toEqual(theirs.tolist());
    expect(c.index(0).item()).toEqual(theirs.index(0).item());
    expect(c.toString()).toBe(theirs.toString());
    for (const k of ['pi', 'e', 'eulerGamma', 'inf', 'Inf', 'PINF', 'NINF', 'PZERO'] as const) expect(mx[k]).toBe(real[k]);
    expect(mx.nan).toBeNaN();
    expect(Object.is(mx.NZERO, -0)).toBe(true);
    expect(mx.newaxis).toBe(null);
    expect(mx.array([1, 2]).at(0)).toBeInstanceOf(mx.ArrayAt);
  });

  it('iterates over the first axis and has a length, as node-mlx arrays do', () => {
    const values = [[1, 2], [3, 4], [5, 6]];
    const ours = [...mx.array(values)].map((r) => r.tolist());
    const theirs = [...real.array(values)].map((r: { tolist(): unknown }) => r.tolist());
    expect(ours).toEqual(theirs);
    expect(mx.array(values).length).toBe(real.array(values).length);
    expect(() => mx.array(1).length).toThrow(MxError);
  });

  it('accepts dtype names as strings everywhere a dtype goes', () => {
    expect(mx.zeros([2], 'int32').dtype).toBe(mx.int32);
    expect(mx.array([1.5, 2], 'int32').tolist()).toEqual([1, 2]);
    expect(mx.ones([1]).astype('float16').dtype).toBe(mx.float16);
    expect(mx.arange(3, 'int64').dtype).toBe(mx.int64);
    expect(mx.random.normal([2], 'bfloat16').dtype).toBe(mx.bfloat16);
    expect(mx.full([2], 1, 'uint8').dtype).toBe(mx.uint8);
  });

  it('has the stream and metal names node-mlx code calls', () => {
    const s = mx.toStream(mx.cpu);
    expect(s.device.type).toBe('cpu');
    const scope = mx.stream(mx.newStream(mx.cpu));
    scope.dispose();
    expect(mx.toStream(undefined)).toBe(mx.defaultStream(mx.cpu));
    expect(mx.metal.isAvailable()).toBe(false);
    expect(mx.metal.getActiveMemory()).toBe(mx.getActiveMemory());
  });

  it('ends the scopes of stream and printoptions at dispose or with Symbol.dispose, once', () => {
    const third = 1 / 3;
    const full = mx.array(third).toString();
    const outer = mx.printoptions(2);
    expect(mx.array(third).toString()).toContain('0.33');
    expect(mx.array(third).toString()).not.toContain('0.333');
    const inner = mx.printoptions(4);
    expect(mx.array(third).toString()).toContain('0.3333');
    inner[Symbol.dispose]();
    inner.dispose();
    expect(mx.array(third).toString()).not.toContain('0.333');
    outer.dispose();
    expect(mx.array(third).toString()).toBe(full);
    const cpuDefault = mx.defaultStream(mx.cpu);
    const other = mx.newStream(mx.cpu);
    const scope = mx.stream(other);
    expect(mx.defaultStream(mx.cpu)).toBe(other);
    scope[Symbol.dispose]();
    expect(mx.defaultStream(mx.cpu)).toBe(cpuDefault);
  });
});

describe('call forms', () => {
  const m = [[1, 2, 3], [4, 5, 6]];

  it('reductions take keepdims second, and null or undefined for any optional argument', () => {
    for (const op of ['sum', 'prod', 'max', 'min', 'mean', 'all', 'any', 'logsumexp'] as const) {
      same(mx[op](mx.array(m), true), real[op](real.array(m), true), `${op}(a, true)`);
      same(mx[op](mx.array(m), undefined, true), real[op](real.array(m), undefined, true), `${op}(a, undefined, true)`);
      same(mx[op](mx.array(m), null, true), real[op](real.array(m), undefined, true), `${op}(a, null, true)`);
      same(mx[op](mx.array(m), 1, undefined), real[op](real.array(m), 1), `${op}(a, 1, undefined)`);
      same(mx.array(m)[op](true), real.array(m)[op](true), `a.${op}(true)`);
    }
    for (const op of ['argmax', 'argmin'] as const) {
      same(mx[op](mx.array(m), true), real[op](real.array(m), true), `${op}(a, true)`);
      same(mx[op](mx.array(m), 1, true), real[op](real.array(m), 1, true), `${op}(a, 1, true)`);
    }
    same(mx.variance(mx.array(m), null, true, 1), real.variance(real.array(m), undefined, true, 1), 'variance(a, null, true, 1)');
  });

  it('reads flatten(x, null, 1), pad(a, widths, value), moveaxis with lists and broadcastTo with a number', () => {
    same(mx.flatten(mx.zeros([2, 2, 2]), null, 1), real.flatten(real.zeros([2, 2, 2]), null as never, 1), 'flatten');
    same(mx.pad(mx.array([1, 2]), [1, 1], 5), real.pad(real.array([1, 2]), [1, 1], 5), 'pad with a constant');
    same(mx.pad(mx.array([1, 2]), 2, 'constant', 3), real.pad(real.array([1, 2]), [2, 2], 3), 'pad with a mode');
    // node-mlx 0.13 takes one axis only: the lists' result is MLX's (NumPy's) permutation
    const v = Array.from({ length: 24 }, (_, i) => i);
    same(mx.moveaxis(mx.reshape(mx.array(v), [2, 3, 4]), [0, 1], [2, 0]), real.transpose(real.reshape(real.array(v), [2, 3, 4]), [1, 2, 0]), 'moveaxis lists');
    same(mx.broadcastTo(mx.array(1), 3), real.broadcastTo(real.array(1), [3]), 'broadcastTo(n)');
    same(mx.squeeze(mx.zeros([1, 2]), null), real.squeeze(real.zeros([1, 2])), 'squeeze(null)');
  });

  it('takes whole JS numbers as int32 indices, as MLX Python takes ints (node-mlx 0.13 refuses them: its JS numbers are float32)', () => {
    const x = mx.reshape(mx.arange(12), [3, 4]), X = real.reshape(real.arange(12), [3, 4]);
    same(mx.take(x, 0, 1), real.take(X, real.array(0, real.int32), 1), 'take(x, 0, 1)');
    same(mx.take(x, [[2, -1]], 1), real.take(X, real.array([[2, -1]], real.int32), 1), 'take(x, [[2, -1]], 1)');
    same(mx.take(x, [5, 0]), real.take(X, real.array([5, 0], real.int32)), 'take(x, [5, 0])');
    same(mx.takeAlongAxis(x, [[1], [0], [3]], 1), real.takeAlongAxis(X, real.array([[1], [0], [3]], real.int32), 1), 'takeAlongAxis');
    const put = Array.from({ length: 12 }, (_, i) => ([1, 4, 11].includes(i) ? 7 : i));  // row r's column [1, 0, 3][r]
    expect(mx.putAlongAxis(x, [[1], [0], [3]], 7, 1).tolist()).toEqual([put.slice(0, 4), put.slice(4, 8), put.slice(8)]);
    expect(() => mx.take(x, 1.5, 1)).toThrow(/\[take\] indices: indices must be integers, not float32/);
    expect(() => mx.take(x, mx.array([0, 2]), 1)).toThrow(/indices must be integers/);
  });
});

describe('values as MLX v0.31.2 gives them', () => {
  it('grad keeps a captured array constant when the same array is passed', () => {
    const a = mx.array([1, 2, 3]);
    // d/dx sum(a + x) = 1 and d/dx sum(a * x) = a, whatever x's value: MLX gives these
    expect(mx.grad((x: MxArray) => mx.sum(mx.add(a, x)))(a).tolist()).toEqual([1, 1, 1]);
    expect(mx.grad((x: MxArray) => mx.sum(mx.multiply(a, x)))(a).tolist()).toEqual([1, 2, 3]);
    const ra = real.array([1, 2, 3]);
    expect(real.grad((x: never) => real.sum(real.add(ra, x)))(ra).tolist()).toEqual([1, 1, 1]);
  });

  it('rounds integers to tens with negative decimals (v0.31.2: [15, 27, -35] to [20, 30, -40])', () => {
    expect(mx.round(mx.array([15, 27, -35, 149], mx.int32), -1).tolist()).toEqual([20, 30, -40, 150]);
    expect(mx.round(mx.array([150, 249], mx.int32), -2).tolist()).toEqual([200, 200]);
  });

  it('arange with an integer dtype takes start and start + step in the dtype (v0.31.2 and 0.13 agree)', () => {
    same(mx.arange(0, 3, 0.2, mx.int32), real.arange(0, 3, 0.2, real.int32), 'arange(0, 3, 0.2, int32)');
    same(mx.arange(0.5, 5, 0.7, mx.int32), real.arange(0.5, 5, 0.7, real.int32), 'arange(0.5, 5, 0.7, int32)');
  });

  it('linspace with one point is the start (v0.31.2 gives [1] for linspace(1, 10, 1))', () => {
    expect(mx.linspace(1, 10, 1).tolist()).toEqual([1]);
  });

  it('normal in half types is the float32 draw rounded, never -inf (v0.31.2: erfinv in float32, then the dtype)', () => {
    for (const d of [mx.float16, mx.bfloat16]) {
      const x = mx.random.normal([200000], d, 0, 1, mx.random.key(0));
      expect(mx.any(mx.isinf(x)).item(), d.name).toBe(false);
      // the float32 draw, rounded to the dtype, up to one rounding of the final multiply
      const ref = mx.astype(mx.random.normal([200000], mx.float32, 0, 1, mx.random.key(0)), d);
      expect(mx.allclose(x, ref, 1e-2, 1e-2).item(), d.name).toBe(true);
    }
  });

  it('updates with leading size-1 axes and index updates mixing one integer array with ints and slices', () => {
    const a = mx.zeros([3]);
    a.indexPut_(0, mx.array([[[1]]]));
    const ra = real.zeros([3]);
    ra.indexPut_(0, real.array([[[1]]]));
    expect(a.tolist()).toEqual(ra.tolist());
    same(mx.zeros([3, 2]).at(1).maximum(mx.array([[4]])), real.zeros([3, 2]).at(1).maximum(real.array([[4]])), 'at(1).maximum((1,1))');
    const b = mx.zeros([3, 4]);
    b.indexPut_([mx.array([0, 2], mx.int32), 1], 7);
    const rb = real.zeros([3, 4]);
    rb.indexPut_([real.array([0, 2], real.int32), 1], 7);
    expect(b.tolist()).toEqual(rb.tolist());
    same(mx.zeros([3, 4]).at(new mx.Slice(0, 2), mx.array([1, 1, 3], mx.int32)).add(1),
      real.zeros([3, 4]).at(real.Slice(0, 2), real.array([1, 1, 3], real.int32)).add(1), 'at(slice, array).add');
  });

  it('topk with k = 0 over an empty axis is an empty array (the engine once divided by zero there)', () => {
    expect(mx.topk(mx.zeros([0]), 0).shape).toEqual([0]);
    expect(mx.topk(mx.zeros([2, 0]), 0, 1).shape).toEqual([2, 0]);
    expect(mx.topk(mx.array([3, 1, 2]), 0).shape).toEqual([0]);
  });

  it('refuses eye(0), logsumexp of an empty array and argmax of a 0-d array with keepdims, as MLX v0.31.2 does', () => {
    expect(() => mx.eye(0)).toThrow(/\[eye\] n/);
    expect(() => mx.logsumexp(mx.zeros([0]))).toThrow(/\[logsumexp\] a/);
    expect(() => mx.argmax(mx.array(1), true)).toThrow(/\[argmax\] keepdims/);
  });
});

describe('mistakes raise MxError at the call, naming the op and the argument', () => {
  const a = mx.array([1, 2, 3]);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ["add(a, '1')", () => mx.add(a, '1' as never), /^\[add\] b: expected an array/],
    ["random.normal([2], 'float33')", () => mx.random.normal([2], 'float33' as never), /^\[random\.normal\] dtype: expected a dtype/],
    ["random.uniform(0, 1, [2], 'int32')", () => mx.random.uniform(0, 1, [2], 'int32'), /^\[random\.uniform\] dtype: int32 is not/],
    ["zeros([2]).astype('int33')", () => mx.zeros([2]).astype('int33' as never), /^\[astype\] dtype: expected a dtype/],
    ['random.normal([-1])', () => mx.random.normal([-1]), /^\[random\.normal\] shape: expected a shape/],
    ['add(disposed, 1)', () => { const d = mx.array([1]); mx.dispose(d); return mx.add(d, 1); }, /^\[add\] a: the array .* was disposed/],
    ['zeros(undefined)', () => mx.zeros(undefined as never), /^\[zeros\] shape: expected a shape/],
    ['cumsum(a, 1.5)', () => mx.cumsum(a, 1.5), /^\[cumsum\] axis: expected an integer, got 1.5/],
    ['a.index(1.5)', () => a.index(1.5), /^\[index\] index: expected an integer/],
    ['array([NaN, 1.5], int32)', () => mx.array([NaN, 1.5], mx.int32), /^\[array\] value \(item 0\): NaN cannot be stored in int32/],
    ['random.randint(5, 1, [3])', () => mx.random.randint(5, 1, [3]), /^\[random\.randint\] high: expected high above low/],
    ['sum(a, {axis: 1})', () => mx.sum(a, { axis: 1 } as never), /^\[sum\] axis: expected an integer axis/],
    ['sum(a, 1.5)', () => mx.sum(a, 1.5), /^\[sum\] axis: expected an integer axis/],
    ['reshape(a, [2, 2])', () => mx.reshape(a, [2, 2]), /^\[reshape\] shape:/],
    ["zeros([2], 'float')", () => mx.zeros([2], 'float' as never), /^\[zeros\] dtype: expected a dtype/],
    ['array(undefined)', () => mx.array(undefined as never), /^\[array\] value: expected/],
    ["array(['x'])", () => mx.array(['x'] as never), /^\[array\] value \(item 0\): expected a number/],
    ['concatenate(a)', () => mx.concatenate(a as never), /^\[concatenate\] arrays: expected a list/],
    ["pad(a, 1, 'edge')", () => mx.pad(a, 1, 'edge' as never), /^\[pad\] mode:/],
    ['eye(2.5)', () => mx.eye(2.5), /^\[eye\] n: expected an integer/],
    ['arange()', () => (mx.arange as (...a: unknown[]) => unknown)(), /^\[arange\] arguments:/],
    ['linspace(0, 1, 2.5)', () => mx.linspace(0, 1, 2.5), /^\[linspace\] num: expected an integer/],
    ['random.normal([2], float32, 0, 1, 5)', () => mx.random.normal([2], mx.float32, 0, 1, 5 as never), /^\[random\.normal\] key: expected a key/],
    ['argmax(a, 0.5)', () => mx.argmax(a, 0.5), /^\[argmax\] axis: expected an integer/],
    ['softmax(a, precise "yes")', () => mx.softmax(a, -1, 'yes' as never), /^\[softmax\] precise: expected a boolean/],
    ['split(a, 1.5)', () => mx.split(a, 1.5), /^\[split\] indicesOrSections: expected an integer/],
    ['where(undefined, a, a)', () => mx.where(undefined as never, a, a), /^\[where\] condition: expected/],
  ];
  for (const [name, call, message] of cases)
    it(name, () => {
      let caught: unknown;
      try {
        call();
      } catch (e) {
        caught = e;
      }
      expect(caught, name).toBeInstanceOf(MxError);
      expect((caught as Error).message).toMatch(message);
    });

  it('a compiled function may return a constant or its input', () => {
    expect(mx.compile((_x: MxArray) => mx.array([1, 2]))(a).tolist()).toEqual([1, 2]);
    expect(mx.compile((x: MxArray) => x)(a).tolist()).toEqual([1, 2, 3]);
  });
});
