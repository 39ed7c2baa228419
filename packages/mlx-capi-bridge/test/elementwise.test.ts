// Unary and binary elementwise ops, type promotion and broadcasting against real MLX.
import { describe, expect, it } from 'vitest';
import { MlxRefusedError, MlxRequestError, type DType } from '../src/index.js';
import { expectClose, mx, oracle, randomArr, rng, run, type Arr } from './helpers.js';

const SEED = Number(process.env.MLXCOMPAT_SEED ?? 20261122);
console.log(`elementwise tests: seed ${SEED}`);

// op name -> the oracle's function name (node-mlx's camelCase)
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

const UNARY = [
  'abs', 'negative', 'sign', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'exp', 'expm1', 'log', 'log1p', 'log2', 'log10',
  'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh', 'arcsinh', 'arccosh', 'arctanh',
  'sigmoid', 'erf', 'erfinv', 'floor', 'ceil', 'round', 'isnan', 'isinf', 'isposinf', 'isneginf', 'logical_not',
  'degrees', 'radians', 'stop_gradient', 'zeros_like', 'ones_like',
];
const UNARY_DTYPES: DType[] = ['float32', 'float16', 'bfloat16', 'int32', 'uint8', 'int8', 'bool'];

// Inputs inside each op's domain, so results compare as numbers, not NaN.
function domainArr(op: string, r: () => number, dtype: DType, shape: number[]): Arr {
  const a = randomArr(r, dtype, shape);
  const unit = ['arcsin', 'arccos', 'arctanh', 'erfinv'].includes(op);
  if (unit && !['bool', 'uint8', 'int8', 'int32'].includes(dtype)) a.data = a.data.map((v) => Math.max(-0.75, Math.min(0.75, v / 8)));
  if (op === 'arccosh') a.data = a.data.map((v) => Math.abs(v) + 1);
  if (['exp', 'expm1', 'sinh', 'cosh'].includes(op) && dtype.startsWith('int')) a.data = a.data.map((v) => v % 8);
  return a;
}

describe('unary ops', () => {
  for (const op of UNARY) {
    it(`${op} matches MLX on every dtype it accepts`, () => {
      const r = rng(SEED ^ op.length * 7919);
      let compared = 0;
      for (const dtype of UNARY_DTYPES) {
        const a = domainArr(op, r, dtype, [3, 5]);
        const want = oracle((x) => mx[camel(op)](x), [a]);
        if ('raised' in want) {
          // MLX rejects it (e.g. negative of bool): we must refuse or error, never answer.
          expect(() => run(op, [a]), `${op} ${dtype}`).toThrow(/refused|at/);
          continue;
        }
        expectClose(run(op, [a]), want, `${op}(${dtype})`);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    });
  }

  it('handles NaN and infinities at the edges of each function', () => {
    const edge: Arr = { dtype: 'float32', shape: [6], data: [NaN, Infinity, -Infinity, 0, 1e-30, 3.5] };
    const json = { data: ['nan', 'inf', '-inf', 0, 1e-30, 3.5] };
    for (const op of ['exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'isnan', 'isinf', 'floor', 'abs', 'sign']) {
      const want = oracle((x) => mx[camel(op)](x), [edge]);
      const got = run(op, [{ ...edge, data: json.data as unknown as number[] }]);
      expectClose(got, want as never, `${op}(edges)`);
    }
  });

  it('keeps exp accurate up to float32 overflow (the math; MLX 0.13 saturates at 2^80 there)', () => {
    const got = run('exp', [{ dtype: 'float32', shape: [4], data: [80, 88, 88.5, 89] }]).values;
    [80, 88, 88.5].forEach((x, i) => expect(Math.abs(got[i] - Math.exp(x)) / Math.exp(x)).toBeLessThan(1e-6));
    expect(got[3]).toBe(Infinity);
  });

  it('rounds half to even, with decimals', () => {
    const a: Arr = { dtype: 'float32', shape: [6], data: [0.5, 1.5, 2.5, -0.5, -1.5, 2.675] };
    expect(run('round', [a]).values).toEqual([0, 2, 2, -0, -2, 3]);
    expect(run('round', [a], { decimals: 1 }).values.map((v) => Math.round(v * 10) / 10)).toEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.7]);
  });

  it('converts with astype across every pair of real dtypes', () => {
    const dtypes: DType[] = ['bool', 'uint8', 'uint16', 'uint32', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16', 'float32'];
    // Non-negative sources: MLX 0.13 builds out-of-range JS numbers differently per dtype.
    const src: Arr = { dtype: 'float32', shape: [6], data: [0, 1, 2.75, 3.5, 100.25, 7] };
    for (const from of dtypes) {
      for (const to of dtypes) {
        const base = oracle((x) => mx.array(x.tolist(), mx[from]), [src]);
        if ('raised' in base) continue;
        const a: Arr = { dtype: from, shape: [6], data: base.values };
        const want = oracle((x) => x.astype(mx[to]), [a]);
        if ('raised' in want) continue;
        expectClose(run('astype', [a], { dtype: to }), want, `astype ${from}->${to}`);
      }
    }
  });
});

const BINARY = [
  'add', 'subtract', 'multiply', 'divide', 'floor_divide', 'remainder', 'maximum', 'minimum', 'logaddexp', 'arctan2',
  'equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal', 'logical_and', 'logical_or',
  'bitwise_and', 'bitwise_or', 'bitwise_xor', 'left_shift', 'right_shift', 'power',
];
const BINARY_DTYPES: DType[] = ['float32', 'float16', 'bfloat16', 'int32', 'uint32', 'int8', 'uint8', 'bool'];

describe('binary ops', () => {
  for (const op of BINARY) {
    it(`${op} matches MLX on every dtype it accepts`, () => {
      const r = rng(SEED ^ (op.length * 104729));
      let compared = 0;
      for (const dtype of BINARY_DTYPES) {
        const a = randomArr(r, dtype, [4, 3]);
        let b = randomArr(r, dtype, [4, 3]);
        // Keep divisors non-zero, exponents and shifts small and non-negative:
        // MLX 0.13 hangs on negative integer powers and shifts past the width are undefined.
        if (['divide', 'floor_divide', 'remainder'].includes(op)) b.data = b.data.map((v) => (v === 0 ? 1 : v));
        if (['power', 'left_shift', 'right_shift'].includes(op)) b = { ...b, data: b.data.map((v) => Math.abs(v) % 4) };
        if (op === 'power' && !dtype.startsWith('float') && dtype !== 'bfloat16') a.data = a.data.map((v) => v % 5);
        // MLX 0.13 widens int8 shifts to int16; MLX documents promotion, so int8 is checked by hand below.
        if (op.endsWith('_shift') && dtype === 'int8') continue;
        const want = oracle((x, y) => mx[camel(op)](x, y), [a, b]);
        if ('raised' in want) {
          expect(() => run(op, [a, b]), `${op} ${dtype}`).toThrow();
          continue;
        }
        expectClose(run(op, [a, b]), want, `${op}(${dtype})`);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    });
  }

  it('follows the integer edge cases without trapping', () => {
    const a: Arr = { dtype: 'int32', shape: [4], data: [7, -7, -2147483648, 5] };
    const b: Arr = { dtype: 'int32', shape: [4], data: [0, 2, -1, -1] };
    // by hand: x/0 -> 0, C truncation for floor_divide as MLX does, INT_MIN/-1 wraps
    expect(run('floor_divide', [a, b]).values).toEqual([0, -3, -2147483648, -5]);
    expect(run('remainder', [a, b]).values).toEqual([0, 1, 0, 0]);
  });

  it('shifts int8 in int8 (by hand)', () => {
    const a: Arr = { dtype: 'int8', shape: [3], data: [1, -8, 64] };
    const b: Arr = { dtype: 'int8', shape: [3], data: [3, 1, 1] };
    expect(run('left_shift', [a, b])).toEqual({ dtype: 'int8', shape: [3], values: [8, -16, -128] });
    expect(run('right_shift', [a, b])).toEqual({ dtype: 'int8', shape: [3], values: [0, -4, 32] });
  });

  it('propagates NaN through maximum and minimum as MLX does', () => {
    const a: Arr = { dtype: 'float32', shape: [2], data: [NaN, 1] };
    const b: Arr = { dtype: 'float32', shape: [2], data: [1, NaN] };
    for (const op of ['maximum', 'minimum']) {
      const nanA = { ...a, data: ['nan', 1] as unknown as number[] }, nanB = { ...b, data: [1, 'nan'] as unknown as number[] };
      expectClose(run(op, [nanA, nanB]), oracle((x, y) => mx[op](x, y), [a, b]) as never, op);
    }
  });

  it('where selects with a bool condition and promotes the branches', () => {
    const r = rng(SEED + 5);
    const c = randomArr(r, 'bool', [2, 3]), x = randomArr(r, 'int32', [2, 3]), y = randomArr(r, 'float16', [3]);
    expectClose(run('where', [c, x, y]), oracle((p, q, s) => mx.where(p, q, s), [c, x, y]) as never, 'where');
  });
});

describe('type promotion', () => {
  const dtypes: DType[] = ['bool', 'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16', 'float32'];
  it('matches MLX for every pair of dtypes MLX 0.13 has', () => {
    for (const a of dtypes) {
      for (const b of dtypes) {
        const want = oracle((x, y) => mx.add(x, y), [
          { dtype: a, shape: [1], data: [1] },
          { dtype: b, shape: [1], data: [1] },
        ]);
        const got = run('add', [{ dtype: a, shape: [1], data: [1] }, { dtype: b, shape: [1], data: [1] }]);
        expect(`${a}+${b}=${got.dtype}`).toBe(`${a}+${b}=${(want as { dtype: string }).dtype}`);
      }
    }
  });

  it('puts float64 above every other real type (the rule MLX documents)', () => {
    for (const other of dtypes) {
      expect(run('add', [{ dtype: 'float64', shape: [1], data: [1] }, { dtype: other, shape: [1], data: [1] }]).dtype).toBe('float64');
    }
    expect(run('add', [{ dtype: 'float64', shape: [1], data: [1] }, { dtype: 'complex64', shape: [1], data: [1] }]).dtype).toBe('complex64');
  });

  it('divides integers into float32 and compares into bool', () => {
    const i: Arr = { dtype: 'int32', shape: [2], data: [1, 2] };
    expect(run('divide', [i, i]).dtype).toBe('float32');
    expect(run('less', [i, i]).dtype).toBe('bool');
  });
});

describe('broadcasting', () => {
  const cases: Array<[number[], number[]]> = [
    [[3, 1], [1, 4]], [[2, 3, 4], [4]], [[], [2, 2]], [[0, 3], [1, 3]], [[5, 1, 3], [1, 2, 1]], [[1], []], [[2, 1, 1, 3], [4, 1]],
  ];
  for (const [sa, sb] of cases) {
    it(`${JSON.stringify(sa)} with ${JSON.stringify(sb)} matches MLX`, () => {
      const r = rng(SEED + sa.length * 31 + sb.length);
      const a = randomArr(r, 'float32', sa), b = randomArr(r, 'int16', sb);
      expectClose(run('multiply', [a, b]), oracle((x, y) => mx.multiply(x, y), [a, b]) as never, 'multiply');
    });
  }

  it('rejects incompatible shapes with a path to the inputs', () => {
    const a: Arr = { dtype: 'float32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] };
    const b: Arr = { dtype: 'float32', shape: [3, 2], data: [1, 2, 3, 4, 5, 6] };
    try {
      run('add', [a, b]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MlxRequestError);
      expect((e as MlxRequestError).code).toBe('invalid_shape');
      expect((e as MlxRequestError).path).toBe('/nodes/0/inputs');
    }
  });

  it('refuses dtypes an op does not support, naming op and dtype', () => {
    const c: Arr = { dtype: 'complex64', shape: [1], data: [1] };
    try {
      run('erf', [c]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MlxRefusedError);
      expect((e as MlxRefusedError).code).toBe('unsupported_dtype');
      expect((e as MlxRefusedError).detail).toMatch(/erf.*complex64/);
    }
  });
});
