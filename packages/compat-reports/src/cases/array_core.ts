// array_core: construction, properties, conversion, printing, dtypes,
// indexing and updates of mlx.core.array, against real MLX.
import { type Lib, type ParityCase, ours, real } from '../case.js';

const a = (lib: Lib) => lib.reshape(lib.arange(24), [2, 3, 4]);
const up = (name: string) => `test_array.py::${name}`;

function same(id: string, symbols: string[], upstream: string[], call: (lib: Lib) => unknown): ParityCase {
  return { id: `array_core.${id}`, family: 'array_core', upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle: 'mlx-0.13', run: () => [call(ours), call(real)] };
}

// A string or number result compared through its char codes / value.
const text = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

const METHODS: Array<[string, string, unknown[]]> = [
  ['sum', 'sum', [0]], ['mean', 'mean', [1, true]], ['max', 'max', []], ['min', 'min', [0]], ['prod', 'prod', []], ['abs', 'abs', []],
  ['exp', 'exp', []], ['square', 'square', []], ['sqrt', 'sqrt', []], ['log', 'log', []], ['log2', 'log2', []], ['log10', 'log10', []],
  ['log1p', 'log1p', []], ['sin', 'sin', []], ['cos', 'cos', []], ['rsqrt', 'rsqrt', []], ['reciprocal', 'reciprocal', []],
  ['round', 'round', []], ['all', 'all', []], ['any', 'any', [1]], ['logsumexp', 'logsumexp', [0]], ['variance', 'variance', [0]],
  ['std', 'std', []], ['argmax', 'argmax', [1]], ['argmin', 'argmin', []], ['cumsum', 'cumsum', [0]], ['cumprod', 'cumprod', [1]],
  ['cummax', 'cummax', [0]], ['cummin', 'cummin', [1]], ['transpose', 'transpose', []], ['flatten', 'flatten', []],
  ['moveaxis', 'moveaxis', [0, 1]], ['swapaxes', 'swapaxes', [0, 1]], ['diagonal', 'diagonal', []], ['diag', 'diag', []],
];

export function cases(): ParityCase[] {
  return [
    same('array_from_lists', ['array'], [up('test_construction_from_lists'), up('test_array_basics')], (lib) => lib.array([[1, 2], [3, 4]], lib.int32)),
    same('array_properties', ['array.shape', 'array.ndim', 'array.size', 'array.itemsize', 'array.nbytes', 'array.dtype'], [up('test_array_basics')], (lib) => {
      const x = lib.zeros([2, 3], lib.float16);
      return [...x.shape, x.ndim, x.size, x.itemsize, x.nbytes, text(String(x.dtype)).length];
    }),
    same('item', ['array.item'], [up('test_scalar_conversion'), up('test_to_scalar')], (lib) => [lib.sum(lib.array([1.5, 2])).item()]),
    same('tolist', ['array.tolist'], [up('test_array_to_list')], (lib) => lib.array([[1, 2], [3, 4]]).tolist()),
    same('repr', ['array'], [up('test_array_repr'), up('test_array_repr_precision')], (lib) => text(String(lib.array([[1e10, 0.5], [1 / 3, -2]])))),
    same('repr_int_bool', ['array'], [up('test_array_repr')], (lib) => text(String(lib.array([true, false])) + String(lib.array([1, 2, 3, 4, 5, 6, 7], lib.int32)))),
    same('dtype_promotion', ['Dtype'], [up('test_dtype_promotion')], (lib) => text(['int8', 'uint8', 'float16', 'bfloat16', 'uint64'].map((d) => String(lib.add(lib.array([1], lib[d]), lib.array([1], lib.int16)).dtype)).join())),
    same('scalar_promotion', ['Dtype'], [up('test_dtype_python_scalar_promotion')], (lib) => text(['int32', 'float16', 'bool', 'uint8'].map((d) => String(lib.add(lib.array([1], lib[d]), 1).dtype)).join())),
    same('index_basic', ['array'], [up('test_indexing'), up('test_slice_negative_step')], (lib) => a(lib).index(lib.Slice(null, null, -1), null, 1)),
    same('index_ellipsis', ['array'], [up('test_indexing')], (lib) => a(lib).index('...', 2)),
    same('index_arrays', ['array'], [up('test_indexing'), up('test_getitem_with_list')], (lib) => a(lib).index(lib.array([0, 1], lib.int32), lib.Slice(), lib.array([1, 2], lib.int32))),
    same('setitem', ['array'], [up('test_setitem')], (lib) => {
      const x = lib.zeros([3, 4]);
      x.indexPut_([1, lib.Slice(1, 3)], 7);
      return x;
    }),
    same('at_add', ['array.at'], [up('test_array_at')], (lib) => lib.zeros([4]).at(lib.array([0, 0, 2], lib.int32)).add(1)),
    same('astype', ['array.astype'], [up('test_array_type_cast')], (lib) => lib.array([1.7, -2.5, 3]).astype(lib.int32)),
    same('neg', ['negative'], [up('test_array_neg')], (lib) => lib.negative(lib.array([1, -2]))),
    { id: 'array_core.finfo', family: 'array_core', upstream: [up('test_finfo')], symbols: ['mlx.core.finfo'], oracle: 'math', run: () => [[ours.finfo(ours.float16).max, ours.finfo(ours.float32).eps, ours.finfo(ours.bfloat16).eps], [65504, 2 ** -23, 2 ** -7]] },
    // methods of mlx-compat arrays against MLX's functions of the same name
    ...METHODS.map(([method, fn, args]) =>
      ({
        id: `array_core.method_${method}`,
        family: 'array_core',
        upstream: [up('test_api')],
        symbols: [`mlx.core.array.${method === 'variance' ? 'var' : method}`],
        oracle: 'mlx-0.13',
        run: () => {
          const x = [[1, 4], [9, 16]];
          return [(ours.array(x) as Record<string, (...a: unknown[]) => unknown>)[method](...args), real[fn](real.array(x), ...args)];
        },
      }) as ParityCase),
  ];
}
