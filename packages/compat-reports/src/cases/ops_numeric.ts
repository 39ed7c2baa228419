// ops_numeric: elementwise, reductions, scans, shape ops, creation, sorting,
// matmul and composites; each call runs through mlx-compat and real MLX.
import { type Lib, type ParityCase, ours as ourLib, real as realLib } from '../case.js';

const M = [[0.5, -1.25, 2], [3, -0.75, 1.5]];
const POS = [[0.5, 1.25, 2], [3, 0.75, 1.5]];
const UNIT = [[0.5, -0.25, 0.75], [-0.5, 0.1, 0.3]];
const I = [[3, -7, 2], [5, 1, -4]];
const arr = (lib: Lib, data: unknown, dtype?: string) => lib.array(data, dtype ? lib[dtype] : undefined);

function same(id: string, symbols: string[], upstream: string[], call: (lib: Lib) => unknown, rtol?: number): ParityCase {
  return { id: `ops_numeric.${id}`, family: 'ops_numeric', upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle: 'mlx-0.13', run: () => [call(ourLib), call(realLib)], rtol };
}

const t = (name: string) => `test_ops.py::${name}`;

// [MLX name, facade/oracle name, input, upstream tests]
const UNARY: Array<[string, string, number[][], string[]]> = [
  ['abs', 'abs', M, [t('test_abs')]], ['negative', 'negative', M, [t('test_negative')]], ['sign', 'sign', M, [t('test_sign')]],
  ['square', 'square', M, [t('test_square')]], ['sqrt', 'sqrt', POS, [t('test_sqrt')]], ['rsqrt', 'rsqrt', POS, [t('test_rsqrt')]],
  ['reciprocal', 'reciprocal', POS, [t('test_reciprocal')]], ['exp', 'exp', M, [t('test_exp')]], ['expm1', 'expm1', M, [t('test_expm1')]],
  ['log', 'log', POS, [t('test_log')]], ['log2', 'log2', POS, [t('test_log2')]], ['log10', 'log10', POS, [t('test_log10')]],
  ['log1p', 'log1p', POS, [t('test_log1p')]], ['sin', 'sin', M, [t('test_sin'), t('test_trig_ops')]], ['cos', 'cos', M, [t('test_cos'), t('test_trig_ops')]],
  ['tan', 'tan', UNIT, [t('test_trig_ops')]], ['arcsin', 'arcsin', UNIT, [t('test_trig_ops')]], ['arccos', 'arccos', UNIT, [t('test_trig_ops')]],
  ['arctan', 'arctan', M, [t('test_trig_ops')]], ['sinh', 'sinh', M, [t('test_trig_ops')]], ['cosh', 'cosh', M, [t('test_trig_ops')]],
  ['tanh', 'tanh', M, [t('test_trig_ops')]], ['arcsinh', 'arcsinh', M, [t('test_trig_ops')]], ['arccosh', 'arccosh', [[1.5, 2, 3]], [t('test_trig_ops')]],
  ['arctanh', 'arctanh', UNIT, [t('test_trig_ops')]], ['sigmoid', 'sigmoid', M, [t('test_sigmoid')]], ['erf', 'erf', M, [t('test_erf')]],
  ['erfinv', 'erfinv', UNIT, [t('test_erfinv')]], ['floor', 'floor', M, [t('test_floor')]], ['ceil', 'ceil', M, [t('test_ceil')]],
  ['round', 'round', M, [t('test_round')]], ['isnan', 'isnan', M, [t('test_isnan')]], ['isinf', 'isinf', M, [t('test_isinf')]],
  ['isposinf', 'isposinf', M, [t('test_isposinf')]], ['isneginf', 'isneginf', M, [t('test_isneginf')]], ['degrees', 'degrees', M, [t('test_degrees')]],
  ['radians', 'radians', M, [t('test_radians')]], ['stop_gradient', 'stopGradient', M, [t('test_stop_gradient')]],
  ['logical_not', 'logicalNot', [[1, 0, 1]], [t('test_logical_not')]],
];

const BINARY: Array<[string, string, string[], string?]> = [
  ['add', 'add', [t('test_add'), t('test_binary_ops')]], ['subtract', 'subtract', [t('test_subtract')]], ['multiply', 'multiply', [t('test_multiply')]],
  ['divide', 'divide', [t('test_divide')]], ['remainder', 'remainder', [t('test_remainder')]], ['floor_divide', 'floorDivide', [t('test_binary_ops')]],
  ['maximum', 'maximum', [t('test_maximum')]], ['minimum', 'minimum', [t('test_minimum')]], ['power', 'power', [t('test_binary_ops')]],
  ['logaddexp', 'logaddexp', [t('test_logaddexp')]], ['arctan2', 'arctan2', [t('test_trig_ops')]],
  ['equal', 'equal', [t('test_comparisons')]], ['not_equal', 'notEqual', [t('test_comparisons')]], ['less', 'less', [t('test_comparisons')]],
  ['less_equal', 'lessEqual', [t('test_comparisons')]], ['greater', 'greater', [t('test_comparisons')]], ['greater_equal', 'greaterEqual', [t('test_comparisons')]],
  ['logical_and', 'logicalAnd', [t('test_logical_and')], 'bool'], ['logical_or', 'logicalOr', [t('test_logical_or')], 'bool'],
  ['bitwise_and', 'bitwiseAnd', [t('test_bitwise_ops')], 'int32'], ['bitwise_or', 'bitwiseOr', [t('test_bitwise_ops')], 'int32'],
  ['bitwise_xor', 'bitwiseXor', [t('test_bitwise_ops')], 'int32'], ['left_shift', 'leftShift', [t('test_bitwise_ops')], 'int32'],
  ['right_shift', 'rightShift', [t('test_bitwise_ops')], 'int32'],
];

const REDUCE: Array<[string, string, string[]]> = [
  ['sum', 'sum', [t('test_sum'), 'test_reduce.py::test_many_reduction_axes']], ['prod', 'prod', [t('test_prod')]], ['max', 'max', [t('test_min_and_max')]],
  ['min', 'min', [t('test_min_and_max')]], ['mean', 'mean', [t('test_mean')]], ['var', 'variance', [t('test_var')]], ['std', 'std', [t('test_std')]],
  ['logsumexp', 'logsumexp', [t('test_logsumexp')]], ['all', 'all', [t('test_all')]], ['any', 'any', [t('test_any')]],
];

function byHand(id: string, symbols: string[], upstream: string[], run: () => [unknown, unknown]): ParityCase {
  return { id: `ops_numeric.${id}`, family: 'ops_numeric', upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle: 'math', run };
}

export function cases(): ParityCase[] {
  const list: ParityCase[] = [];
  for (const [name, fn, data, up] of UNARY) {
    list.push(same(name, [name], up, (lib) => lib[fn](arr(lib, data))));
    if (name !== 'logical_not') list.push(same(`${name}.float16`, [name], up, (lib) => lib[fn](arr(lib, data, 'float16'))));
  }
  for (const [name, fn, up, dtype] of BINARY) {
    const small = dtype === 'int32' ? [[3, 7, 2], [5, 1, 4]] : dtype === 'bool' ? [[1, 0, 1], [0, 0, 1]] : POS;
    const other = dtype === 'int32' ? [1, 2, 3] : dtype === 'bool' ? [1, 1, 0] : [0.5, 2, 1.5];
    list.push(same(name, [name], up, (lib) => lib[fn](arr(lib, small, dtype), arr(lib, other, dtype))));
  }
  list.push(same('add.int_float', ['add'], [t('test_add'), 'test_array.py::test_dtype_promotion'], (lib) => lib.add(arr(lib, I, 'int32'), arr(lib, [1.5, 2, 0.25], 'float16'))));
  list.push(same('multiply.scalar', ['multiply'], [t('test_scalar_inputs'), 'test_array.py::test_dtype_python_scalar_promotion'], (lib) => lib.multiply(arr(lib, I, 'int32'), 2)));
  for (const [name, fn, up] of REDUCE) {
    const data = name === 'all' || name === 'any' ? [[1, 0, 1], [1, 1, 1]] : M;
    list.push(same(`${name}.axis`, [name, `array.${name}`], up, (lib) => lib[fn](arr(lib, data), [1], true)));
    list.push(same(`${name}.all_axes`, [name], up, (lib) => lib[fn](arr(lib, data))));
  }
  list.push(same('argmax', ['argmax', 'array.argmax'], [t('test_argmin_argmax'), 'test_reduce.py::test_arg_reduce'], (lib) => lib.argmax(arr(lib, M), 1)));
  list.push(same('argmin', ['argmin', 'array.argmin'], [t('test_argmin_argmax')], (lib) => lib.argmin(arr(lib, M), 0)));
  for (const s of ['cumsum', 'cumprod', 'cummax', 'cummin'])
    list.push(same(s, [s, `array.${s}`], [t('test_scans')], (lib) => lib[s](arr(lib, M), 1, true, true)));
  list.push(same('softmax', ['softmax'], [t('test_softmax')], (lib) => lib.softmax(arr(lib, M), [-1])));
  list.push(same('matmul', ['matmul'], ['test_blas.py::test_matmul', 'test_blas.py::test_matmul_batched'], (lib) => lib.matmul(arr(lib, M), lib.transpose(arr(lib, POS)))));
  list.push(same('matmul.vector', ['matmul'], ['test_blas.py::test_matrix_vector'], (lib) => lib.matmul(arr(lib, M), arr(lib, [1, 2, 3]))));
  const addmmArgs = (lib: Lib, c: number[]) => [arr(lib, c), arr(lib, M), lib.transpose(arr(lib, POS))] as const;
  list.push(same('addmm', ['addmm'], ['test_blas.py::test_addmm'], (lib) => lib.addmm(...addmmArgs(lib, [0.5, -1]), 2, 0.5)));
  // beta 0: c is not read, so its NaN does not reach the result
  list.push(same('addmm.beta0', ['addmm'], ['test_blas.py::test_addmm'], (lib) => lib.addmm(lib.log(arr(lib, [-1, 2])), arr(lib, M), lib.transpose(arr(lib, POS)), 1, 0)));
  list.push(same('addmm.grad', ['addmm', 'grad'], ['test_blas.py::test_addmm_grad'], (lib) =>
    lib.grad((c: unknown, a: unknown, b: unknown) => lib.sum(lib.addmm(c, a, b, 2, 0.5)), [0, 1, 2])(...addmmArgs(lib, [0.5, -1]))));
  list.push(same('tensordot', ['tensordot'], [t('test_tensordot')], (lib) => lib.tensordot(arr(lib, M), arr(lib, POS), [[1], [1]])));
  list.push(same('inner', ['inner'], [t('test_inner')], (lib) => lib.inner(arr(lib, M), arr(lib, POS))));
  list.push(same('outer', ['outer'], [t('test_outer')], (lib) => lib.outer(arr(lib, [1, 2]), arr(lib, [3, 4, 5]))));
  list.push(same('where', ['where'], [t('test_where')], (lib) => lib.where(lib.greater(arr(lib, M), 0), arr(lib, M), arr(lib, POS))));
  list.push(same('clip', ['clip'], [t('test_clip')], (lib) => lib.clip(arr(lib, M), -1, 1)));
  list.push(same('allclose', ['allclose'], [t('test_allclose')], (lib) => lib.allclose(arr(lib, M), lib.add(arr(lib, M), 1e-7))));
  list.push(same('isclose', ['isclose'], [t('test_isclose')], (lib) => lib.isclose(arr(lib, M), arr(lib, POS))));
  list.push(same('array_equal', ['array_equal'], [t('test_array_equal')], (lib) => lib.arrayEqual(arr(lib, M), arr(lib, M))));
  list.push(same('transpose', ['transpose', 'array.transpose', 'array.T'], [t('test_transpose_noargs'), t('test_transpose_axis')], (lib) => lib.transpose(lib.reshape(lib.arange(24), [2, 3, 4]), [2, 0, 1])));
  list.push(same('moveaxis', ['moveaxis', 'array.moveaxis'], [t('test_move_swap_axes')], (lib) => lib.moveaxis(lib.reshape(lib.arange(24), [2, 3, 4]), 0, 2)));
  list.push(same('swapaxes', ['swapaxes', 'array.swapaxes'], [t('test_move_swap_axes')], (lib) => lib.swapaxes(lib.reshape(lib.arange(24), [2, 3, 4]), 0, 2)));
  list.push(same('reshape', ['reshape', 'array.reshape'], ['test_array.py::test_array_basics'], (lib) => lib.reshape(lib.arange(12), [3, -1])));
  list.push(same('squeeze', ['squeeze', 'array.squeeze'], [t('test_squeeze_expand')], (lib) => lib.squeeze(lib.zeros([1, 3, 1]), 0)));
  list.push(same('expand_dims', ['expand_dims'], [t('test_squeeze_expand')], (lib) => lib.expandDims(arr(lib, M), [0, 2])));
  list.push(same('flatten', ['flatten', 'array.flatten'], [t('test_flatten')], (lib) => lib.flatten(lib.zeros([2, 3, 4]), 1, 2)));
  list.push(same('broadcast_to', ['broadcast_to'], [t('test_broadcast')], (lib) => lib.broadcastTo(arr(lib, [1, 2, 3]), [2, 3])));
  list.push(same('concatenate', ['concatenate'], [t('test_concatenate')], (lib) => lib.concatenate([arr(lib, M), arr(lib, POS)], 1)));
  list.push(same('stack', ['stack'], [t('test_stack')], (lib) => lib.stack([arr(lib, M), arr(lib, POS)], 1)));
  list.push(same('split', ['split', 'array.split'], [t('test_split')], (lib) => lib.split(lib.arange(12), 3)[1]));
  list.push(same('tile', ['tile'], [t('test_tile')], (lib) => lib.tile(arr(lib, M), [2, 1])));
  list.push(same('repeat', ['repeat'], [t('test_repeat')], (lib) => lib.repeat(arr(lib, M), 2, 1)));
  list.push(same('pad', ['pad'], [t('test_pad')], (lib) => lib.pad(arr(lib, M), [1, 2])));
  list.push(same('take', ['take'], [t('test_take')], (lib) => lib.take(arr(lib, M), arr(lib, [2, 0], 'int32'), 1)));
  list.push(same('take_along_axis', ['take_along_axis'], [t('test_take_along_axis')], (lib) => lib.takeAlongAxis(arr(lib, M), arr(lib, [[2], [0]], 'int32'), 1)));
  list.push(same('sort', ['sort'], [t('test_sort')], (lib) => lib.sort(arr(lib, M), 1)));
  list.push(same('argsort', ['argsort'], [t('test_sort')], (lib) => lib.argsort(arr(lib, M), 1)));
  // MLX 0.13 sorts a topk result wrongly, so rows are sorted here
  const sortedRows = (x: { tolist(): number[][] }) => x.tolist().map((r) => [...r].sort((p, q) => p - q));
  list.push({ ...same('topk', ['topk'], [t('test_sort')], () => null), run: () => [sortedRows(ourLib.topk(arr(ourLib, M), 2, 1)), sortedRows(realLib.topk(arr(realLib, M), 2, 1))] });
  list.push(same('zeros_ones_full', ['zeros', 'ones', 'full'], [t('test_full_ones_zeros')], (lib) => lib.add(lib.add(lib.zeros([2, 3]), lib.ones([2, 3])), lib.full([2, 3], 7))));
  list.push(same('zeros_like', ['zeros_like', 'ones_like'], [t('test_full_ones_zeros')], (lib) => lib.add(lib.zerosLike(arr(lib, M)), lib.onesLike(arr(lib, M)))));
  list.push(same('arange', ['arange'], [t('test_arange_overload_dispatch'), t('test_arange_corner_cases_cast')], (lib) => lib.arange(1, 10, 2.5)));
  list.push(same('linspace', ['linspace'], [t('test_linspace')], (lib) => lib.linspace(0, 1, 7)));
  list.push(same('eye', ['eye'], [t('test_eye')], (lib) => lib.eye(3, 4, 1)));
  list.push(same('identity', ['identity'], [t('test_eye')], (lib) => lib.identity(3)));
  list.push(same('tri', ['tri'], [t('test_tri')], (lib) => lib.tri(3, 4, -1)));
  list.push(same('tril', ['tril'], [t('test_tril')], (lib) => lib.tril(lib.ones([3, 3]), 0)));
  list.push(byHand('triu', ['triu'], [t('test_triu')], () => [ourLib.triu(ourLib.ones([3, 3]), 1), [[0, 1, 1], [0, 0, 1], [0, 0, 0]]]));
  list.push(same('diag', ['diag', 'array.diag'], [t('test_diag')], (lib) => lib.diag(arr(lib, [1, 2, 3]), 1)));
  list.push(same('diagonal', ['diagonal', 'array.diagonal'], [t('test_diagonal')], (lib) => lib.diagonal(lib.reshape(lib.arange(12), [3, 4]), 1)));
  list.push(same('meshgrid', ['meshgrid'], [t('test_meshgrid')], (lib) => lib.meshgrid(arr(lib, [1, 2, 3]), arr(lib, [4, 5]))[1]));
  list.push(same('atleast_1d', ['atleast_1d'], [t('test_atleast_1d')], (lib) => (lib === realLib ? lib.atleast1d([arr(lib, 3)])[0] : lib.atleast1d(arr(lib, 3)))));
  list.push(same('atleast_2d', ['atleast_2d'], [t('test_atleast_2d')], (lib) => (lib === realLib ? lib.atleast2d([arr(lib, [1, 2])])[0] : lib.atleast2d(arr(lib, [1, 2])))));
  list.push(same('atleast_3d', ['atleast_3d'], [t('test_atleast_3d')], (lib) => (lib === realLib ? lib.atleast3d([arr(lib, [1, 2])])[0] : lib.atleast3d(arr(lib, [1, 2])))));
  list.push(same('divmod', ['divmod'], [t('test_divmod')], (lib) => lib.divmod(arr(lib, I, 'int32'), arr(lib, [2, 3, 5], 'int32'))[1]));
  list.push(byHand('trace', ['trace'], [t('test_trace')], () => [ourLib.trace(ourLib.reshape(ourLib.arange(9), [3, 3])), 12]));
  list.push(same('astype', ['astype', 'array.astype'], ['test_array.py::test_array_type_cast'], (lib) => arr(lib, M).astype(lib.int32)));
  // MLX 0.13 has no put_along_axis, logcumsumexp, nan_to_num, isfinite, triu or trace: by hand
  list.push(byHand('put_along_axis', ['put_along_axis'], [t('test_put_along_axis')], () => [ourLib.putAlongAxis(ourLib.zeros([2, 3]), arr(ourLib, [[2], [0]], 'int32'), 5, 1), [[0, 0, 5], [5, 0, 0]]]));
  list.push(byHand('logcumsumexp', ['logcumsumexp'], [t('test_logcumsumexp')], () => [ourLib.logcumsumexp(arr(ourLib, [0, 0, 0, 0]), 0), [0, Math.log(2), Math.log(3), Math.log(4)]]));
  list.push(byHand('nan_to_num', ['nan_to_num'], [t('test_nan_to_num')], () => [ourLib.nanToNum(arr(ourLib, [NaN, Infinity, -Infinity, 1]), 0, 9, -9), [0, 9, -9, 1]]));
  list.push(byHand('isfinite', ['isfinite'], [t('test_isfinite')], () => [ourLib.isfinite(arr(ourLib, [NaN, Infinity, 1])), [0, 0, 1]]));
  list.push(byHand('bitwise_invert', ['bitwise_invert'], [t('test_bitwise_ops')], () => [ourLib.bitwiseInvert(arr(ourLib, [0, 5, -1], 'int32')), [-1, -6, 0]]));
  list.push(byHand('issubdtype', ['issubdtype', 'DtypeCategory'], [t('test_issubdtype')], () => [[ourLib.issubdtype(ourLib.int8, ourLib.integer), ourLib.issubdtype(ourLib.float16, ourLib.floating), ourLib.issubdtype(ourLib.uint8, ourLib.signedinteger)].map(Number), [1, 1, 0]]));
  return list;
}
