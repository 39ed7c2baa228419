// The peers a case runs on. Each prepares a workload on identical inputs and
// returns a runner, or a reason it cannot run the case (shown, not dropped).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { backendInfo } from 'mlx-capi-bridge';
import mlx from 'mlx-compat';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = any;

export interface Case {
  suite: string;
  id: string;
  workload: 'matmul' | 'add' | 'chain' | 'reduce' | 'softmax' | 'layernorm' | 'gather' | 'graph' | 'mlp_step' | 'fft' | 'rfft' | 'inv' | 'svd';
  dtype?: 'float32' | 'float16' | 'bfloat16';
  shape: number[];
  axis?: number | null;
  compiled?: boolean;
}

export interface Prepared {
  /** One run of the workload, evaluated. */
  run(): void;
  /** Values of the last run, to check that every peer computed the same thing. */
  values(): number[];
}

export interface Peer {
  name: string;
  version: string;
  /** Why the peer cannot run at all on this machine, or null. */
  unavailable: string | null;
  prepare(c: Case): Prepared | string;
}

// Seeded uniform data in [-1, 1), the same for every peer.
export function data(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const sample = (xs: ArrayLike<number>) => Array.from(xs).slice(0, 256);

// ---- mlx-compat and real MLX share node-mlx's API

function mlxLike(name: string, version: string, lib: Lib, fromData: (d: Float32Array, shape: number[]) => unknown, isReal: boolean): Peer {
  const tensor = (n: number, shape: number[], seed: number, dtype = 'float32') => {
    const t = fromData(data(n, seed), shape);
    return dtype === 'float32' ? t : (t as { astype(d: unknown): unknown }).astype(lib[dtype]);
  };
  const flat = (x: unknown) => sample(((x as { astype(d: unknown): { reshape(s: number[]): { tolist(): number[] } } }).astype(lib.float32).reshape([-1]).tolist() as number[]));
  const mlp = (c: Case) => {
    const [batch, ...sizes] = c.shape;
    const params: unknown[] = [];
    for (let l = 0; l + 1 < sizes.length; l++) params.push(lib.multiply(tensor(sizes[l] * sizes[l + 1], [sizes[l], sizes[l + 1]], 10 + l), Math.sqrt(2 / sizes[l])), lib.zeros([sizes[l + 1]]));
    const x = tensor(batch * sizes[0], [batch, sizes[0]], 3);
    const y = lib.array(Array.from({ length: batch }, (_, i) => (i * 7) % sizes[sizes.length - 1]), lib.int32);
    const layers = params.length / 2;
    const loss = (...args: unknown[]) => {
      let h = args[params.length];
      for (let l = 0; l < layers; l++) {
        h = lib.add(lib.matmul(h, args[2 * l]), args[2 * l + 1]);
        if (l + 1 < layers) h = lib.maximum(h, 0);
      }
      const picked = lib.squeeze(lib.takeAlongAxis(h, lib.expandDims(args[params.length + 1], [1]), 1), [1]);
      return lib.mean(lib.subtract(lib.logsumexp(h, [1]), picked));
    };
    const grads = lib.valueAndGrad(loss, params.map((_, i) => i));
    const step0 = (...args: unknown[]) => {
      const [value, g] = grads(...args);
      return [value, ...(g as unknown[]).map((gi, i) => lib.subtract(args[i], lib.multiply(gi, 0.01)))];
    };
    const step = c.compiled ? lib.compile(step0) : step0;
    let last: unknown[] = [];
    lib.eval([...params, x, y]);
    return {
      // the step is timed on the same parameters each run, so every run does the same work
      run: () => {
        last = step(...params, x, y) as unknown[];
        lib.eval(last);
      },
      values: () => [(last[0] as { item(): number }).item()],
    };
  };
  return {
    name,
    version,
    unavailable: null,
    prepare(c) {
      const dtype = c.dtype ?? 'float32';
      if (isReal && c.workload === 'matmul' && dtype !== 'float32') return 'MLX 0.13 CPU matmul takes float32 only (other dtypes abort its process)';
      const fn = (f: (...a: unknown[]) => unknown) => (c.compiled ? lib.compile(f) : f);
      let out: unknown;
      const evaluated = (f: () => unknown) => ({
        run: () => {
          out = f();
          lib.eval(out);
        },
        values: () => flat(out),
      });
      const s = c.shape;
      switch (c.workload) {
        case 'matmul': {
          const [m, k, n] = s;
          const a = tensor(m * k, [m, k], 1, dtype), b = tensor(k * n, [k, n], 2, dtype);
          lib.eval([a, b]);
          return evaluated(() => lib.matmul(a, b));
        }
        case 'add': {
          const a = tensor(size(s), s, 1), b = tensor(size(s), s, 2);
          lib.eval([a, b]);
          return evaluated(() => lib.add(a, b));
        }
        case 'chain': {
          const x = tensor(size(s), s, 1);
          lib.eval(x);
          const f = fn((v: unknown) => lib.negative(lib.square(lib.maximum(lib.add(lib.multiply(v, v), v), v))));
          return evaluated(() => f(x));
        }
        case 'reduce': {
          const x = tensor(size(s), s, 1);
          lib.eval(x);
          return evaluated(() => (c.axis === null || c.axis === undefined ? lib.sum(x) : lib.sum(x, [c.axis])));
        }
        case 'softmax': {
          const x = tensor(size(s), s, 1);
          lib.eval(x);
          return evaluated(() => lib.softmax(x, [-1]));
        }
        case 'layernorm': {
          const x = tensor(size(s), s, 1);
          lib.eval(x);
          const f = fn((v: unknown) => {
            const mu = lib.mean(v, [-1], true);
            return lib.divide(lib.subtract(v, mu), lib.sqrt(lib.add(lib.variance(v, [-1], true), 1e-5)));
          });
          return evaluated(() => f(x));
        }
        case 'gather': {
          const [rows, cols, k] = s;
          const table = tensor(rows * cols, [rows, cols], 1);
          const idx = lib.array(Array.from({ length: k }, (_, i) => (i * 7919) % rows), lib.int32);
          lib.eval([table, idx]);
          return evaluated(() => lib.take(table, idx, 0));
        }
        case 'graph': {
          const c0 = lib.array([0.5]);
          return evaluated(() => {
            let x = lib.ones([16]);
            for (let i = 0; i < s[0]; i += 4) x = lib.tanh(lib.maximum(lib.multiply(lib.add(x, c0), c0), c0));
            return x;
          });
        }
        case 'mlp_step':
          return mlp(c);
        case 'fft': case 'rfft': {
          const x = tensor(size(s), s, 1, c.workload === 'fft' ? 'complex64' : 'float32');
          lib.eval(x);
          return evaluated(() => lib.fft[c.workload](x));
        }
        case 'inv': {
          // diagonally dominant, so that both libraries' rounding stays small
          const a = lib.add(tensor(size(s), s, 1), lib.multiply(lib.eye(s[0]), 4 * Math.sqrt(s[0])));
          lib.eval(a);
          return evaluated(() => lib.linalg.inv(a));
        }
        case 'svd': {
          const a = tensor(size(s), s, 1);
          lib.eval(a);
          let parts: unknown[] = [];
          // U and V are unique only up to signs: the singular values are compared
          return {
            run: () => {
              parts = lib.linalg.svd(a);
              lib.eval(parts);
            },
            values: () => flat(parts[1]),
          };
        }
      }
    },
  };
}

// ---- TensorFlow.js on its pure-JavaScript CPU backend: what a TypeScript user has today

function tfjsPeer(): Peer {
  // the umbrella package: tfjs-core alone registers no gradients
  const tf = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-cpu');
  tf.setBackend('cpu');
  const version = require('@tensorflow/tfjs/package.json').version as string;
  return {
    name: 'tfjs-cpu',
    version,
    unavailable: null,
    prepare(c) {
      if (c.compiled) return 'TensorFlow.js has no compile';
      if ((c.dtype ?? 'float32') !== 'float32') return 'TensorFlow.js has no float16 or bfloat16';
      const t = (n: number, shape: number[], seed: number) => tf.tensor(data(n, seed), shape);
      const s = c.shape;
      let out: { dataSync(): Float32Array; dispose(): void } | undefined;
      const evaluated = (f: () => { dataSync(): Float32Array; dispose(): void }) => ({
        run: () => {
          out?.dispose();
          out = tf.tidy(f);
          out!.dataSync();
        },
        values: () => sample(out!.dataSync()),
      });
      switch (c.workload) {
        case 'matmul': {
          const [m, k, n] = s;
          const a = t(m * k, [m, k], 1), b = t(k * n, [k, n], 2);
          return evaluated(() => tf.matMul(a, b));
        }
        case 'add': {
          const a = t(size(s), s, 1), b = t(size(s), s, 2);
          return evaluated(() => tf.add(a, b));
        }
        case 'chain': {
          const x = t(size(s), s, 1);
          return evaluated(() => tf.neg(tf.square(tf.maximum(tf.add(tf.mul(x, x), x), x))));
        }
        case 'reduce': {
          const x = t(size(s), s, 1);
          return evaluated(() => (c.axis === null || c.axis === undefined ? tf.sum(x) : tf.sum(x, c.axis)));
        }
        case 'softmax': {
          const x = t(size(s), s, 1);
          return evaluated(() => tf.softmax(x));
        }
        case 'layernorm': {
          const x = t(size(s), s, 1);
          return evaluated(() => {
            const { mean, variance } = tf.moments(x, -1, true);
            return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
          });
        }
        case 'gather': {
          const [rows, cols, k] = s;
          const table = t(rows * cols, [rows, cols], 1);
          const idx = tf.tensor1d(Array.from({ length: k }, (_, i) => (i * 7919) % rows), 'int32');
          return evaluated(() => tf.gather(table, idx, 0));
        }
        case 'graph': {
          const c0 = tf.tensor1d([0.5]);
          return evaluated(() => {
            let x = tf.ones([16]);
            for (let i = 0; i < s[0]; i += 4) x = tf.tanh(tf.maximum(tf.mul(tf.add(x, c0), c0), c0));
            return x;
          });
        }
        case 'fft': case 'rfft': case 'inv': case 'svd':
          return 'not compared with TensorFlow.js (its CPU backend has no LAPACK and its FFT is a JavaScript loop)';
        case 'mlp_step': {
          const [batch, ...sizes] = s;
          const params: unknown[] = [];
          for (let l = 0; l + 1 < sizes.length; l++)
            params.push(tf.mul(t(sizes[l] * sizes[l + 1], [sizes[l], sizes[l + 1]], 10 + l), Math.sqrt(2 / sizes[l])), tf.zeros([sizes[l + 1]]));
          const x = t(batch * sizes[0], [batch, sizes[0]], 3);
          const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 7) % sizes[sizes.length - 1]), 'int32'), sizes[sizes.length - 1]);
          const layers = params.length / 2;
          const loss = (...ps: unknown[]) => {
            let h = x;
            for (let l = 0; l < layers; l++) {
              h = tf.add(tf.matMul(h, ps[2 * l]), ps[2 * l + 1]);
              if (l + 1 < layers) h = tf.relu(h);
            }
            return tf.mean(tf.sub(tf.logSumExp(h, 1), tf.sum(tf.mul(h, y), 1)));
          };
          const grad = tf.valueAndGrads(loss);
          let value = 0;
          return {
            run: () => {
              tf.tidy(() => {
                const { value: v, grads } = grad(params);
                grads.forEach((g: unknown, i: number) => tf.sub(params[i], tf.mul(g, 0.01)).dataSync());
                value = v.dataSync()[0];
              });
            },
            values: () => [value],
          };
        }
      }
    },
  };
}

// ---- MLX v0.31.2 through the engine's mlx backend: the same facade calls as
// mlx-compat's, so the same requests, computed by real current MLX (mlx-c)
// instead of the native kernels; the difference between the two peers is the
// backend alone. The runtime is MLXCOMPAT_MLXC_LIBRARY's libmlxc, else the
// shared one beside the checkout, else the system's.

function mlxBackendPeer(): Peer {
  const shared = fileURLToPath(new URL('../../../../shared/mlx-runtime/lib/libmlxc.so', import.meta.url));
  if (!process.env.MLXCOMPAT_MLXC_LIBRARY && existsSync(shared)) process.env.MLXCOMPAT_MLXC_LIBRARY = shared;
  const info = backendInfo('mlx');
  const name = 'MLX 0.31.2 (mlx-c)';
  if (!info.available) return { name, version: '-', unavailable: `the engine's mlx backend is unavailable: ${info.reason}`, prepare: () => 'unavailable' };
  const onMlx = <T>(f: () => T): T => {
    const before = mlx.core.getBackend();
    mlx.core.setBackend('mlx');
    try {
      return f();
    } finally {
      mlx.core.setBackend(before);
    }
  };
  const inner = mlxLike(name, `MLX ${info.version} via the engine's mlx backend`, mlx.core, (d, shape) => mlx.core.array(d).reshape(...shape), false);
  return {
    ...inner,
    prepare(c) {
      const p = onMlx(() => inner.prepare(c));
      return typeof p === 'string' ? p : { run: () => onMlx(p.run), values: () => onMlx(p.values) };
    },
  };
}

// Real MLX is an optional peer dependency of the package: without it the peer is unavailable.
function realMlxPeer(): Peer {
  let real: Lib, mlxVersion: string;
  try {
    real = require('@frost-beta/mlx').core;
    mlxVersion = require('@frost-beta/mlx/package.json').version as string;
  } catch {
    return { name: 'MLX', version: '-', unavailable: 'not installed (npm install --ignore-scripts @frost-beta/mlx@0.0.7)', prepare: () => 'unavailable' };
  }
  return mlxLike('MLX', `@frost-beta/mlx ${mlxVersion} (MLX 0.13)`, real, (d, shape) => real.reshape(real.array(Array.from(d)), shape), true);
}

export function allPeers(): Peer[] {
  const compatVersion = require('mlx-capi-bridge').version() as string;
  return [
    mlxLike('mlx-compat', compatVersion, mlx.core, (d, shape) => mlx.core.array(d).reshape(...shape), false),
    realMlxPeer(),
    tfjsPeer(),
    mlxBackendPeer(),
  ];
}
