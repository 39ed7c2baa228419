// compile: compiled functions through mlx-compat and real MLX.
import { type Lib, type ParityCase, ours, real } from '../case.js';

const up = (name: string) => `test_compile.py::${name}`;

function same(id: string, symbols: string[], upstream: string[], call: (lib: Lib) => unknown): ParityCase {
  return { id: `compile.${id}`, family: 'compile', upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle: 'mlx-0.13', run: () => [call(ours), call(real)] };
}

const f = (lib: Lib) => (x: unknown, y: unknown) => lib.add(lib.exp(lib.multiply(x, y)), 1);

// Shapeless compiles: fn called at a first and a second pair of shapes; a
// case returns the second result and how often fn ran (traced): once.
interface Shapeless {
  id: string;
  test: string;
  oracle: 'mlx-0.13' | 'math';
  fn: (lib: Lib) => (x: unknown, y: unknown) => unknown;
  first: number[][];
  second: number[][];
  expect?: (x: Plain, y: Plain) => number[] | number[][]; // for 'math': the second result
}
interface Plain {
  shape: number[];
  at: (...i: number[]) => number;
}

// The arguments: sin(arange(n) + k) in the given shape.
const arg = (shape: number[], k: number): Plain => {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return { shape, at: (...i) => Math.sin(i.reduce((o, v, d) => o + v * strides[d], 0) + k) };
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const SHAPELESS: Shapeless[] = [
  { id: 'shapeless', test: 'test_shapeless_compile', oracle: 'mlx-0.13', fn: (lib) => (x, y) => lib.multiply(lib.exp(x), y), first: [[2], [2]], second: [[3], [3]] },
  { id: 'shapeless_broadcasts', test: 'test_shapeless_compile_with_broadcasts', oracle: 'mlx-0.13', fn: (lib) => (x, y) => lib.add(x, y), first: [[2], [3, 1]], second: [[4], [2, 1]] },
  {
    id: 'shapeless_reduction',
    test: 'test_shapeless_compile_with_reduction',
    oracle: 'math',
    fn: (lib) => (x, y) => lib.sum(lib.multiply(x, y), [1]),
    first: [[2, 3], [3]],
    second: [[4, 5], [5]],
    expect: (x, y) => range(4).map((i) => range(5).reduce((s, j) => s + x.at(i, j) * y.at(j), 0)),
  },
  {
    id: 'shapeless_matmul',
    test: 'test_shapeless_compile_matmul',
    oracle: 'math',
    fn: (lib) => (x, y) => lib.matmul(x, y),
    first: [[2, 3], [3, 2]],
    second: [[4, 5], [5, 3]],
    expect: (x, y) => range(4).map((i) => range(3).map((j) => range(5).reduce((s, k) => s + x.at(i, k) * y.at(k, j), 0))),
  },
];

function shapelessRuns(lib: Lib, c: Shapeless): unknown[] {
  let runs = 0;
  const f = c.fn(lib);
  const cf = lib.compile((x: unknown, y: unknown) => {
    runs++;
    return f(x, y);
  }, true);
  const input = (shape: number[], k: number) => lib.reshape(lib.sin(lib.add(lib.arange(shape.reduce((a, b) => a * b, 1)), k)), shape);
  cf(input(c.first[0], 0), input(c.first[1], 1));
  return [cf(input(c.second[0], 2), input(c.second[1], 3)), runs];
}

export function cases(): ParityCase[] {
  return [
    same('simple', ['compile'], [up('test_simple_compile')], (lib) => {
      const cf = lib.compile(f(lib));
      cf(lib.array([1, 2]), lib.array([3, 4]));
      return cf(lib.array([0.5, -1]), lib.array([2, 0.25]));
    }),
    same('grad', ['compile', 'grad'], [up('test_compile_grad'), up('test_compile_two_input_grad')], (lib) =>
      lib.grad((x: unknown) => lib.sum(lib.compile(f(lib))(x, lib.array([0.5, 2]))))(lib.array([1, -1]))),
    same('vmap', ['compile', 'vmap'], [up('test_vmap_compiled')], (lib) => lib.vmap(lib.compile((x: unknown) => lib.softmax(x, [-1])))(lib.array([[1, 2], [0, 3]]))),
    ...SHAPELESS.filter((c) => c.oracle === 'mlx-0.13').map((c) => same(c.id, ['compile'], [up(c.test)], (lib) => shapelessRuns(lib, c))),
    // MLX 0.13 cannot compile these shapeless (later MLX can): against the definition, in plain loops
    ...SHAPELESS.filter((c) => c.oracle === 'math').map(
      (c): ParityCase => ({
        id: `compile.${c.id}`,
        family: 'compile',
        upstream: [up(c.test)],
        symbols: ['mlx.core.compile'],
        oracle: 'math',
        run: () => [shapelessRuns(ours, c), [c.expect!(arg(c.second[0], 2), arg(c.second[1], 3)), 1]],
      }),
    ),
    same('enable_disable', ['compile', 'disable_compile', 'enable_compile'], [up('test_enable_disable')], (lib) => {
      lib.disableCompile();
      const r = lib.compile(f(lib))(lib.array([1]), lib.array([2]));
      lib.enableCompile();
      return r;
    }),
  ];
}
