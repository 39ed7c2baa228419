// export_import: MLX's .mlxfn functions. Each case writes a function with
// mx.exportFunction or mx.exporter (the engine's mlx backend asks MLX to
// trace and write it), reads it back with mx.importFunction, and compares
// what MLX computes from the file with the definition, in float64. Without
// MLX v0.31.2 (libmlxc) the calls are refused, and so are the cases.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParityCase, ours } from '../case.js';

const py = (name: string) => `test_export_import.py::${name}`;
const cpp = (name: string) => `export_import_tests.cpp::${name}`;

let dir: string | undefined;
const file = (name: string) => join((dir ??= mkdtempSync(join(tmpdir(), 'parity-mlxfn-'))), name);

const seq = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * (0.37 + k)) * 3));
const input = (shape: number[], k: number) => ours.reshape(ours.array(seq(shape.reduce((a, b) => a * b, 1), k), ours.float32), shape);
// the definition in float64, rounded to the float32 the functions compute in
const f64 = (v: number[], shape: number[]) => ours.reshape(ours.array(v, ours.float32), shape);

function make(id: string, symbols: string[], upstream: string[], run: () => [unknown, unknown]): ParityCase {
  return { id: `export_import.${id}`, family: 'export_import', upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle: 'math', rtol: 1e-5, run };
}

export function cases(): ParityCase[] {
  type A = ReturnType<typeof input>;
  return [
    make('basic_two_outputs', ['export_function', 'import_function'], [py('test_basic_export_import'), cpp('test export basic functions'), cpp('test export multi output primitives')], () => {
      const path = file('basic.mlxfn');
      ours.exportFunction(path, (x: A, y: A) => [ours.add(ours.multiply(ours.exp(x), y), ours.array(1, ours.float32)), ours.sum(ours.multiply(x, y), 0)], input([2, 3], 1), input([2, 3], 2));
      const got = ours.importFunction(path)(input([2, 3], 1), input([2, 3], 2));
      const x = seq(6, 1), y = seq(6, 2);
      return [got, [f64(x.map((v, i) => Math.exp(v) * y[i] + 1), [2, 3]), f64([0, 1, 2].map((k) => x[k] * y[k] + x[k + 3] * y[k + 3]), [3])]];
    }),
    make('shapeless', ['export_function', 'import_function'], [py('test_export_import_shapeless')], () => {
      const path = file('shapeless.mlxfn');
      ours.exportFunction(path, (x: A) => ours.tanh(ours.multiply(x, ours.array(0.5, ours.float32))), input([4], 1), { shapeless: true });
      const got = ours.importFunction(path)(input([7], 1));
      return [got, [f64(seq(7, 1).map((v) => Math.tanh(v * 0.5)), [7])]];
    }),
    make('exporter_variable_inputs', ['exporter', 'import_function'], [py('test_export_variable_inputs'), cpp('test export function with variable inputs')], () => {
      const path = file('variable.mlxfn');
      const ex = ours.exporter(path, (...xs: A[]) => xs.reduce((a, b) => ours.add(a, b)));
      ex(input([3], 1), input([3], 2));
      ex(input([3], 1), input([3], 2), input([3], 3));
      ex.close();
      const f = ours.importFunction(path);
      const [a, b, c] = [seq(3, 1), seq(3, 2), seq(3, 3)];
      return [[f(input([3], 1), input([3], 2)), f(input([3], 1), input([3], 2), input([3], 3))], [[f64(a.map((v, i) => v + b[i]), [3])], [f64(a.map((v, i) => v + b[i] + c[i]), [3])]]];
    }),
    make('constants', ['export_function', 'import_function'], [py('test_export_import_multi_with_constants')], () => {
      const path = file('constants.mlxfn');
      const w = input([3, 2], 4);
      ours.exportFunction(path, (x: A) => ours.matmul(x, w), input([2, 3], 1));
      const got = ours.importFunction(path)(input([2, 3], 1));
      const x = seq(6, 1), wv = seq(6, 4);
      return [got, [f64([0, 1].flatMap((i) => [0, 1].map((j) => [0, 1, 2].reduce((s, k) => s + x[i * 3 + k] * wv[k * 2 + j], 0))), [2, 2])]];
    }),
  ];
}
