// MLX v0.31.2's upstream tests (fixtures/), addressed as "file::test" or
// "file::class::test"; a case that names a test that does not exist fails loudly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './symbols.js';

export interface UpstreamTest {
  file: string;
  cls: string;
  test: string;
  id: string;
}

let tests: UpstreamTest[] | undefined;

export function upstreamTests(): UpstreamTest[] {
  if (tests) return tests;
  const file = join(ROOT, 'fixtures/mlx-upstream-tests-v0.31.2.tsv');
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  if (lines[0] !== 'file\tclass\ttest') throw new Error(`${file}: expected the header "file<TAB>class<TAB>test"`);
  tests = lines.slice(1).map((line, i) => {
    const [f, cls, test] = line.split('\t');
    if (!f || !test) throw new Error(`${file}:${i + 2}: expected three tab-separated fields`);
    return { file: f, cls: cls ?? '', test, id: `${f}::${cls ? `${cls}::` : ''}${test}` };
  });
  return tests;
}

/** Full ids of the tests a short reference names: "test_ops.py::test_add" or "ops_tests.cpp::test add". */
export function upstream(ref: string): string[] {
  const [file, test] = ref.split('::');
  const found = upstreamTests().filter((t) => t.file.endsWith(`/${file}`) && t.test === test);
  if (!found.length) throw new Error(`no upstream test ${ref} in the MLX v0.31.2 test list`);
  return found.map((t) => t.id);
}

/** The upstream files each parity family mirrors. */
export const FAMILY_FILES: Record<string, string[]> = {
  array_core: ['test_array.py', 'array_tests.cpp', 'test_bf16.py', 'test_double.py'],
  ops_numeric: ['test_ops.py', 'ops_tests.cpp', 'test_reduce.py', 'test_blas.py', 'creations_tests.cpp', 'arg_reduce_tests.cpp', 'einsum_tests.cpp', 'test_einsum.py'],
  device_eval_memory: ['test_device.py', 'test_eval.py', 'device_tests.cpp', 'eval_tests.cpp', 'scheduler_tests.cpp', 'allocator_tests.cpp', 'gpu_tests.cpp', 'test_memory.py'],
  autograd: ['test_autograd.py', 'autograd_tests.cpp'],
  vmap: ['test_vmap.py', 'vmap_tests.cpp'],
  custom_vjp: ['custom_vjp_tests.cpp'],
  compile: ['test_compile.py', 'compile_tests.cpp'],
  export_import: ['test_export_import.py', 'export_import_tests.cpp'],
  io: ['test_load.py', 'load_tests.cpp'],
  nn: ['test_nn.py'],
  losses: ['test_losses.py'],
  init: ['test_init.py'],
  optimizers: ['test_optimizers.py'],
  schedulers: [],
  quantized: ['test_quantized.py'],
  tree: ['test_tree.py', 'utils_tests.cpp'],
  random: ['test_random.py', 'random_tests.cpp'],
  fft: ['test_fft.py', 'fft_tests.cpp'],
  linalg: ['test_linalg.py', 'linalg_tests.cpp'],
  fast: ['test_fast.py', 'test_fast_sdpa.py'],
  conv: ['test_conv.py', 'test_conv_transpose.py'],
  distributed: ['mlx_distributed_tests.py', 'nccl_test_distributed.py', 'mpi_test_distributed.py', 'ring_test_distributed.py'],
};

export function familyTests(family: string): UpstreamTest[] {
  const files = FAMILY_FILES[family] ?? [];
  return upstreamTests().filter((t) => files.some((f) => t.file.endsWith(`/${f}`)));
}
