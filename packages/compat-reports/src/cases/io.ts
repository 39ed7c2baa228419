// io: files written by one library and read by the other. Each case saves
// arrays with one library and loads them with the other; the expected value
// is the array as the writer holds it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Lib, type ParityCase, ours, real } from '../case.js';

const up = (name: string) => `test_load.py::${name}`;
let dir: string | undefined;
const file = (name: string) => join((dir ??= mkdtempSync(join(tmpdir(), 'mlxc-parity-io-'))), name);

const sample = (lib: Lib, dtype: string) => lib.array([[1.5, -2, 0.25], [4, 1e-3, -65]], lib[dtype]);

function io(id: string, symbols: string[], test: string, run: () => [unknown, unknown]): ParityCase {
  return { id: `io.${id}`, family: 'io', upstream: [up(test)], symbols: symbols.map((s) => `mlx.core.${s}`), oracle: 'mlx-0.13', run };
}

export function cases(): ParityCase[] {
  const dtypes = ['float32', 'float16', 'bfloat16', 'int32', 'uint8'];
  return [
    io('npy_from_mlx', ['load'], 'test_save_and_load', () => {
      real.save(file('r.npy'), sample(real, 'float16'));
      return [ours.load(file('r.npy')), sample(real, 'float16')];
    }),
    io('npy_to_mlx', ['save'], 'test_save_and_load', () => {
      ours.save(file('o'), sample(ours, 'bfloat16'));
      return [sample(ours, 'bfloat16'), real.load(file('o.npy'))];
    }),
    ...dtypes.map((d) =>
      io(`safetensors_from_mlx_${d}`, ['load'], 'test_save_and_load_safetensors', () => {
        real.saveSafetensors(file(`r_${d}.safetensors`), { a: sample(real, d), b: real.arange(7) }, { k: 'v' });
        const [arrays, meta] = ours.load(file(`r_${d}.safetensors`), null, true);
        return [[arrays.a, meta.k === 'v' ? 1 : 0], [sample(real, d), 1]];
      }),
    ),
    ...dtypes.map((d) =>
      io(`safetensors_to_mlx_${d}`, ['save_safetensors'], 'test_save_and_load_safetensors', () => {
        ours.saveSafetensors(file(`o_${d}`), { a: sample(ours, d) }, { k: 'v' });
        return [sample(ours, d), real.load(file(`o_${d}.safetensors`)).a];
      }),
    ),
    io('gguf_from_mlx', ['load'], 'test_save_and_load_gguf', () => {
      real.saveGGUF(file('r.gguf'), { w: sample(real, 'float32') }, { n: real.array(4, real.int32) });
      const [arrays, meta] = ours.load(file('r.gguf'), null, true);
      return [[arrays.w, meta.n], [sample(real, 'float32'), real.array(4, real.int32)]];
    }),
    io('gguf_to_mlx', ['save_gguf'], 'test_save_and_load_gguf_metadata_basic', () => {
      ours.saveGguf(file('o'), { w: sample(ours, 'float16') }, { s: 'x' });
      return [sample(ours, 'float16'), real.load(file('o.gguf')).w];
    }),
    // MLX 0.13's binding has no savez: a round trip through mlx-compat, against the values saved.
    { ...io('savez', ['savez', 'load'], 'test_savez_and_loadz', () => {
      ours.savez(file('o'), sample(ours, 'float32'), { b: sample(ours, 'int32') });
      const z = ours.load(file('o.npz'));
      return [[z.arr_0, z.b], [sample(ours, 'float32'), sample(ours, 'int32')]];
    }), oracle: 'math' },
    { ...io('savez_compressed', ['savez_compressed', 'load'], 'test_savez_and_loadz', () => {
      ours.savezCompressed(file('oz'), { a: sample(ours, 'float16') });
      return [ours.load(file('oz.npz')).a, sample(ours, 'float16')];
    }), oracle: 'math' },
  ];
}
