// core_symbols: the rest of mlx.core that runs on a CPU (einsum, kron, roll,
// median, partition, views, the engine's other products, dynamic slices,
// printing options, graph export, memory limits, streams and devices).
// Real MLX 0.13 is the oracle where it has the op (asStrided,
// blockMaskedMM, blockSparseMM for gather_mm, partition's kth value);
// elsewhere the values come from the definition, computed here in float64
// (a brute-force einsum, direct Kronecker and Hadamard sums, sorted medians),
// and gradients from central finite differences of the forward function.
import { arch, machine } from 'node:os';
import { type Lib, type ParityCase, ours, real } from '../case.js';

const t = (name: string) => `test_ops.py::${name}`;
const o = (name: string) => `ops_tests.cpp::${name}`;

function make(family: string, id: string, symbols: string[], upstream: string[], run: () => [unknown, unknown], oracle: ParityCase['oracle'] = 'math', rtol?: number): ParityCase {
  return { id: `${family}.${id}`, family, upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle, run, rtol };
}
const ops = (id: string, symbols: string[], upstream: string[], run: () => [unknown, unknown], oracle?: ParityCase['oracle'], rtol?: number) => make('ops_numeric', id, symbols, upstream, run, oracle, rtol);
const dev = (id: string, symbols: string[], upstream: string[], run: () => [unknown, unknown], oracle?: ParityCase['oracle']) => make('device_eval_memory', id, symbols, upstream, run, oracle);

// sin of a running index: deterministic, varied values of any shape
const seq = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * (0.37 + k)) * 3);
const input = (lib: Lib, shape: number[], k: number) => lib.reshape(lib.array(seq(shape.reduce((a, b) => a * b, 1), k)), shape);
const values = (a: { tolist(): unknown }): number[] => [a.tolist()].flat(Infinity as 1) as number[];
const strides = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));

/** einsum by its definition: every assignment of the labels, summed (no ellipsis). */
function bruteEinsum(spec: string, arrays: Array<{ shape: number[]; data: number[] }>): { shape: number[]; data: number[] } {
  const [lhs, out] = spec.split('->');
  const terms = lhs.split(',');
  const size = new Map<string, number>();
  terms.forEach((term, i) => [...term].forEach((l, d) => size.set(l, arrays[i].shape[d])));
  const labels = [...size.keys()];
  const outShape = [...out].map((l) => size.get(l)!);
  const data = new Array<number>(outShape.reduce((p, q) => p * q, 1)).fill(0);
  const at = new Map<string, number>();
  const visit = (k: number): void => {
    if (k === labels.length) {
      let p = 1;
      terms.forEach((term, i) => {
        const st = strides(arrays[i].shape);
        p *= arrays[i].data[[...term].reduce((acc, l, d) => acc + at.get(l)! * st[d], 0)];
      });
      const st = strides(outShape);
      data[[...out].reduce((acc, l, d) => acc + at.get(l)! * st[d], 0)] += p;
      return;
    }
    for (let v = 0; v < size.get(labels[k])!; v++) {
      at.set(labels[k], v);
      visit(k + 1);
    }
  };
  visit(0);
  return { shape: outShape, data };
}

function einsumCase(spec: string, shapes: number[][]): [unknown, unknown] {
  const arrays = shapes.map((s, i) => ({ shape: s, data: seq(s.reduce((a, b) => a * b, 1), i) }));
  const got = ours.einsum(spec, ...arrays.map((a) => ours.reshape(ours.array(a.data, ours.float64), a.shape)));
  const want = bruteEinsum(spec, arrays);
  return [got, ours.reshape(ours.array(want.data, ours.float64), want.shape)];
}

/** Central finite differences of sum(f(x) * w) at x (float64), against grad. */
function gradCheck(f: (x: unknown) => unknown, shape: number[], k = 1): [unknown, unknown] {
  const n = shape.reduce((a, b) => a * b, 1);
  const x0 = seq(n, k);
  const loss = (x: unknown) => {
    const y = f(x) as { size: number; shape: number[] };
    return ours.sum(ours.multiply(y, ours.reshape(ours.array(seq(y.size, 5), ours.float64), y.shape)));
  };
  const g = ours.grad(loss)(ours.reshape(ours.array(x0, ours.float64), shape));
  const h = 1e-6;
  const fd = x0.map((_, i) => {
    const xp = [...x0], xm = [...x0];
    xp[i] += h;
    xm[i] -= h;
    const lp = loss(ours.reshape(ours.array(xp, ours.float64), shape)).item() as number;
    const lm = loss(ours.reshape(ours.array(xm, ours.float64), shape)).item() as number;
    return (lp - lm) / (2 * h);
  });
  return [g, ours.reshape(ours.array(fd, ours.float64), shape)];
}

// The kth-element contract of partition, per line: [in place, none larger before, none smaller after].
function partitionHolds(p: number[][], kth: number): number[] {
  return p.flatMap((line) => {
    const k = kth < 0 ? kth + line.length : kth;
    const sorted = [...line].sort((a, b) => a - b);
    return [Number(line[k] === sorted[k]), Number(line.slice(0, k).every((v) => v <= line[k])), Number(line.slice(k + 1).every((v) => v >= line[k]))];
  });
}

function hadamardByDefinition(rows: number[][], scale: number): number[][] {
  const n = rows[0].length;
  // Sylvester's H: entry (i, j) is (-1)^popcount(i & j)
  const sign = (i: number, j: number) => ((i & j).toString(2).split('1').length % 2 ? 1 : -1);
  return rows.map((r) => r.map((_, i) => scale * r.reduce((acc, v, j) => acc + sign(i, j) * v, 0)));
}

export function cases(): ParityCase[] {
  return [
    // --- sorting ---
    ...([[1, -1], [2, 0], [-2, 1]] as const).map(([kth, axis]) =>
      ops(`partition_kth${String(kth).replace('-', 'm')}_axis${String(axis).replace('-', 'm')}`, ['partition'], [t('test_partition')], () => {
        const x = input(ours, [3, 6], 2), r = input(real, [3, 6], 2);
        const p = ours.partition(x, kth, axis), q = real.partition(r, kth, axis);
        const lines = (a: Lib) => (axis === 0 ? a.transpose() : a).tolist() as number[][];
        const kthOf = (a: Lib) => lines(a).map((l) => l[kth < 0 ? kth + l.length : kth]);
        return [[...partitionHolds(lines(p), kth), ...kthOf(p)], [...partitionHolds(lines(p), kth).map(() => 1), ...kthOf(q)]];
      }, 'mlx-0.13')),
    ops('argpartition', ['argpartition'], [t('test_argpartition')], () => {
      const x = input(ours, [4, 7], 3);
      const idx = ours.argpartition(x, 2, 1);
      const picked = ours.takeAlongAxis(x, idx, 1).tolist() as number[][];
      const kthReal = (real.takeAlongAxis(input(real, [4, 7], 3), real.argpartition(input(real, [4, 7], 3), 2, 1), 1).tolist() as number[][]).map((l) => l[2]);
      return [[...partitionHolds(picked, 2), ...picked.map((l) => l[2])], [...partitionHolds(picked, 2).map(() => 1), ...kthReal]];
    }, 'mlx-0.13'),
    ops('partition_flat_int', ['partition'], [t('test_partition')], () => {
      const p = ours.partition(ours.array([5, -2, 9, 0, 3, 3, -7], ours.int32), 3, null).tolist() as number[];
      return [partitionHolds([p], 3), [1, 1, 1]];
    }),
    ops('partition_grad', ['partition'], [t('test_partition')], () => gradCheck((x) => ours.partition(x, 2, -1), [3, 5]), 'math', 1e-6),
    ...([[null, false], [1, false], [0, true], [[0, 2], false]] as const).map(([axis, keepdims], i) =>
      ops(`median_${i}`, ['median'], [t('test_median')], () => {
        const shape = [4, 3, 5];
        const data = seq(60, 4);
        const x = ours.reshape(ours.array(data, ours.float32), shape);
        const got = ours.median(x, axis, keepdims);
        // the median of every line of the reduced axes, by sorting in JS
        const axes = axis === null ? [0, 1, 2] : Array.isArray(axis) ? axis : [axis];
        const rest = [0, 1, 2].filter((a) => !axes.includes(a));
        const st = strides(shape);
        const groups = new Map<string, number[]>();
        data.forEach((v, flat) => {
          const coord = shape.map((d, k) => Math.floor(flat / st[k]) % d);
          const key = rest.map((a) => coord[a]).join();
          groups.set(key, [...(groups.get(key) ?? []), Math.fround(v)]);
        });
        const med = [...groups.values()].map((g) => {
          const s = g.sort((a, b) => a - b), m = s.length >> 1;
          return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
        });
        return [got, ours.reshape(ours.array(med, ours.float32), got.shape)];
      })),
    ops('median_int', ['median'], [t('test_median')], () => [ours.median(ours.array([4, 1, 3, 2], ours.int32)), ours.array(2.5, ours.float32)]),
    // --- composites ---
    ...([[2, null], [-1, 1], [[1, 2], [0, 1]], [7, 0]] as const).map(([shift, axis], i) =>
      ops(`roll_${i}`, ['roll'], [t('test_roll')], () => {
        const shape = [3, 4];
        const data = seq(12, 1);
        const got = ours.roll(ours.reshape(ours.array(data), shape), shift, axis);
        const shifts = Array.isArray(shift) ? shift : [shift];
        const want = new Array<number>(12);
        data.forEach((v, flat) => {
          if (axis === null) return void (want[(((flat + shifts[0]) % 12) + 12) % 12] = v);
          const c = [Math.floor(flat / 4), flat % 4];
          const axes = Array.isArray(axis) ? axis : [axis];
          axes.forEach((a, k) => (c[a] = (((c[a] + (shifts.length > 1 ? shifts[k] : shifts[0])) % shape[a]) + shape[a]) % shape[a]));
          want[c[0] * 4 + c[1]] = v;
        });
        return [got, ours.reshape(ours.array(want), shape)];
      })),
    ops('roll_grad', ['roll'], [t('test_roll')], () => gradCheck((x) => ours.roll(x, [1, -2], [0, 1]), [3, 4]), 'math', 1e-6),
    ...([[[2, 2], [3, 2]], [[3], [2, 2]], [[2, 1, 2], [2, 3]]] as const).map(([sa, sb], i) =>
      ops(`kron_${i}`, ['kron'], [t('test_kron')], () => {
        const na = sa.reduce((p: number, q) => p * q, 1), nb = sb.reduce((p: number, q) => p * q, 1);
        const a = seq(na, 1), b = seq(nb, 2);
        const got = ours.kron(ours.reshape(ours.array(a, ours.float64), [...sa]), ours.reshape(ours.array(b, ours.float64), [...sb]));
        // out[i] = a[i / sb] * b[i % sb] per axis, ranks aligned on the right
        const nd = Math.max(sa.length, sb.length);
        const A = [...new Array(nd - sa.length).fill(1), ...sa], B = [...new Array(nd - sb.length).fill(1), ...sb];
        const out = A.map((d, k) => d * B[k]);
        const want = new Array<number>(out.reduce((p, q) => p * q, 1)).fill(0).map((_, flat) => {
          const c = out.map((d, k) => Math.floor(flat / strides(out)[k]) % d);
          const ia = c.reduce((acc, v, k) => acc + Math.floor(v / B[k]) * strides(A)[k], 0), ib = c.reduce((acc, v, k) => acc + (v % B[k]) * strides(B)[k], 0);
          return a[ia] * b[ib];
        });
        return [got, ours.reshape(ours.array(want, ours.float64), out)];
      })),
    ...([
      ['ij,jk->ik', [[3, 4], [4, 5]]], ['ii->', [[4, 4]]], ['ii->i', [[3, 3]]], ['ij->ji', [[2, 3]]], ['ijk->kj', [[2, 3, 4]]],
      ['i,i->', [[5], [5]]], ['i,j->ij', [[3], [4]]], ['bij,bjk->bik', [[2, 3, 4], [2, 4, 2]]], ['ij,jk,kl->il', [[2, 3], [3, 4], [4, 5]]],
      ['iij,jk->ik', [[3, 3, 2], [2, 4]]], ['ab,cd,bc->ad', [[2, 3], [4, 2], [3, 4]]],
    ] as const).map(([spec, shapes]) =>
      ops(`einsum_${spec.replace(/[,>-]/g, '_')}`, ['einsum'], ['test_einsum.py::test_simple_einsum', 'test_einsum.py::test_two_input_einsum', 'test_einsum.py::test_multi_input_einsum'], () => einsumCase(spec, shapes.map((s) => [...s])))),
    ops('einsum_implicit_ellipsis', ['einsum'], ['test_einsum.py::test_ellipses'], () => {
      const a = input(ours, [2, 3, 4], 1), b = input(ours, [4, 5], 2);
      // "...ij,jk" is the matmul over the leading axis; implicit output "...ik"
      return [ours.einsum('...ij,jk', a, b), real.matmul(input(real, [2, 3, 4], 1), input(real, [4, 5], 2))];
    }, 'mlx-0.13'),
    ops('einsum_grad', ['einsum'], ['test_einsum.py::test_two_input_einsum'], () => gradCheck((x) => ours.einsum('ij,jk->ik', x, ours.reshape(ours.array(seq(12, 3), ours.float64), [4, 3])), [2, 4]), 'math', 1e-6),
    ops('einsum_path', ['einsum_path'], ['test_einsum.py::test_simple_path', 'test_einsum.py::test_longer_paths'], () => {
      // (2,3)(3,4) first costs 24 and leaves (2,4); (3,4)(4,5) first costs 60: the cheaper pair goes first
      const [path] = ours.einsumPath('ij,jk,kl->il', ours.ones([2, 3]), ours.ones([3, 4]), ours.ones([4, 5]));
      const [path2] = ours.einsumPath('ij,jk,kl->il', ours.ones([5, 4]), ours.ones([4, 3]), ours.ones([3, 2]));
      const [path1] = ours.einsumPath('ii', ours.ones([3, 3]));
      return [[...path.flat(), ...path2.flat(), ...path1.flat()], [0, 1, 0, 1, 1, 2, 0, 1, 0]];
    }),
    ops('broadcast_arrays', ['broadcast_arrays'], [t('test_broadcast_arrays')], () => {
      const got = ours.broadcastArrays(ours.array([1, 2, 3]), ours.array([[1], [2]]), ours.array(5));
      return [got, [real.broadcastTo(real.array([1, 2, 3]), [2, 3]), real.broadcastTo(real.array([[1], [2]]), [2, 3]), real.broadcastTo(real.array(5), [2, 3])]];
    }, 'mlx-0.13'),
    ops('unflatten', ['unflatten'], [o('test unflatten'), 'test_autograd.py::test_flatten_unflatten_vjps'], () => {
      const got = ours.unflatten(ours.reshape(ours.array(seq(24, 1)), [2, 12]), 1, [3, -1, 2]);
      return [[...got.shape, ...values(got)], [2, 3, 2, 2, ...seq(24, 1).map(Math.fround)]];
    }),
    // --- views ---
    ops('view', ['view', 'array.view'], [t('test_view')], () => {
      const f = new Float32Array([1, -2.5, 0.1, 3e38]);
      const bits = new Uint32Array(f.buffer), halves = new Uint16Array(f.buffer), bytes = new Int8Array(f.buffer);
      const x = ours.array([...f], ours.float32);
      return [[ours.view(x, ours.uint32), x.view(ours.uint16), ours.view(x, 'int8'), ours.view(ours.view(x, ours.int16), ours.float32)],
        [[...bits], [...halves], [...bytes], [...f]]];
    }),
    ops('view_wider', ['view'], [t('test_view')], () => {
      const b = new Uint8Array([1, 0, 0, 0, 0, 0, 128, 63, 255, 255, 255, 255, 0, 0, 0, 0]);
      const got = ours.view(ours.reshape(ours.array([...b], ours.uint8), [2, 8]), ours.float32);
      return [got, ours.reshape(ours.array([...new Float32Array(b.buffer)], ours.float32), [2, 2])];
    }),
    ops('as_strided', ['as_strided'], [t('test_as_strided')], () => {
      const call = (lib: Lib) => [lib.asStrided(input(lib, [3, 4], 1), [3, 3], [4, 1], 1), lib.asStrided(input(lib, [10], 2), [4, 4], [1, 2]), lib.asStrided(input(lib, [2, 3], 3), [6], [1])];
      return [call(ours), call(real)];
    }, 'mlx-0.13'),
    ops('as_strided_grad', ['as_strided'], ['autograd_tests.cpp::test as_strided grads'], () => gradCheck((x) => ours.asStrided(x, [4, 3], [1, 2], 1), [12]), 'math', 1e-6),
    ops('contiguous', ['contiguous'], [o('test contiguous')], () => {
      const x = ours.transpose(input(ours, [3, 4], 1));
      return [ours.contiguous(x), real.transpose(input(real, [3, 4], 1))];
    }, 'mlx-0.13'),
    // --- products ---
    ...([[[4, 8], null], [[2, 3, 16], 0.5], [[1], null]] as const).map(([shape, scale], i) =>
      ops(`hadamard_${i}`, ['hadamard_transform'], [t('test_hadamard')], () => {
        const n = shape[shape.length - 1], rows = shape.reduce((p: number, q) => p * q, 1) / n;
        const data = seq(rows * n, 2);
        const got = ours.hadamardTransform(ours.reshape(ours.array(data, ours.float64), [...shape]), scale);
        const lines = Array.from({ length: rows }, (_, r) => data.slice(r * n, (r + 1) * n));
        return [got, ours.reshape(ours.array(hadamardByDefinition(lines, scale ?? 1 / Math.sqrt(n)).flat(), ours.float64), [...shape])];
      })),
    ops('hadamard_grad', ['hadamard_transform'], [t('test_hadamard_grad_vmap')], () => gradCheck((x) => ours.hadamardTransform(x), [3, 8]), 'math', 1e-6),
    ops('gather_mm', ['gather_mm'], ['test_blas.py::test_gather_matmul'], () => {
      const call = (lib: Lib, fn: string) => [
        lib[fn](input(lib, [3, 4, 5], 1), input(lib, [2, 5, 6], 2), lib.array([2, 0, 1, 2], lib.uint32), lib.array([1, 1, 0, 0], lib.uint32)),
        lib[fn](input(lib, [2, 3, 4], 3), input(lib, [2, 4, 2], 4)),
      ];
      return [call(ours, 'gatherMm'), call(real, 'blockSparseMM')];
    }, 'mlx-0.13', 1e-5),
    ops('gather_mm_grad', ['gather_mm'], ['test_blas.py::test_gather_matmul_grad'], () =>
      gradCheck((x) => ours.gatherMm(x, ours.reshape(ours.array(seq(40, 3), ours.float64), [2, 4, 5]), ours.array([0, 2, 2], ours.uint32), ours.array([1, 0, 1], ours.uint32)), [3, 2, 4]), 'math', 1e-6),
    ops('block_masked_mm', ['block_masked_mm'], ['test_blas.py::test_block_masked_matmul'], () => {
      const mask = (lib: Lib, rows: number, cols: number, k: number) => lib.reshape(lib.array(Array.from({ length: rows * cols }, (_, i) => (i * 7 + k) % 3 !== 0), lib.bool), [rows, cols]);
      const call = (lib: Lib, fn: string) => [
        lib[fn](input(lib, [70, 40], 1), input(lib, [40, 50], 2), 32, mask(lib, 3, 2, 0), mask(lib, 3, 2, 1), mask(lib, 2, 2, 2)),
        lib[fn](input(lib, [64, 64], 3), input(lib, [64, 64], 4), 64, mask(lib, 1, 1, 1)),
      ];
      return [call(ours, 'blockMaskedMm'), call(real, 'blockMaskedMM')];
    }, 'mlx-0.13', 1e-4),
    ops('block_masked_mm_float_masks', ['block_masked_mm'], ['test_blas.py::test_block_masked_matmul'], () => {
      // float masks scale blocks: out = mo * ((a * ml) @ (b * mr)) blockwise, in float64 here
      const a = seq(40 * 40, 1), b = seq(40 * 40, 2), bs = 32;
      const ml = [0.5, 2, -1, 0], mr = [1, 0.25, 3, 1], mo = [2, 1, 0, -1];
      const got = ours.blockMaskedMm(ours.reshape(ours.array(a, ours.float64), [40, 40]), ours.reshape(ours.array(b, ours.float64), [40, 40]), bs,
        ours.reshape(ours.array(mo, ours.float64), [2, 2]), ours.reshape(ours.array(ml, ours.float64), [2, 2]), ours.reshape(ours.array(mr, ours.float64), [2, 2]));
      const blk = (i: number, j: number) => Math.floor(i / bs) * 2 + Math.floor(j / bs);
      const want = Array.from({ length: 1600 }, (_, f) => {
        const i = Math.floor(f / 40), j = f % 40;
        let s = 0;
        for (let k = 0; k < 40; k++) s += a[i * 40 + k] * ml[blk(i, k)] * b[k * 40 + j] * mr[blk(k, j)];
        return s * mo[blk(i, j)];
      });
      return [got, ours.reshape(ours.array(want, ours.float64), [40, 40])];
    }),
    ops('block_masked_mm_grad', ['block_masked_mm'], ['test_blas.py::test_block_masked_matmul'], () =>
      gradCheck((x) => ours.blockMaskedMm(x, ours.reshape(ours.array(seq(40 * 36, 2), ours.float64), [40, 36]), 32, ours.array([[true, false], [true, true]]), ours.array([[true, false], [false, true]])), [36, 40]), 'math', 1e-6),
    // --- dynamic slices ---
    ops('slice', ['slice'], [t('test_dynamic_slicing'), o('test dynamic slice')], () => {
      const data = seq(30, 1);
      const x = ours.reshape(ours.array(data), [5, 6]);
      const got = ours.slice(x, ours.array([1, 2], ours.int32), [0, 1], [3, 2]);
      const want = [1, 2, 3].flatMap((r) => [2, 3].map((c) => data[r * 6 + c]));
      return [got, ours.reshape(ours.array(want), [3, 2])];
    }),
    ops('slice_update', ['slice_update'], [t('test_dynamic_slicing'), o('test dynamic slice update')], () => {
      const data = seq(30, 1);
      const x = ours.reshape(ours.array(data), [5, 6]);
      const got = ours.sliceUpdate(x, ours.reshape(ours.array([10, 20, 30, 40]), [2, 2]), ours.array([3, 1], ours.int32), [0, 1]);
      const want = [...data];
      [[3, 1, 10], [3, 2, 20], [4, 1, 30], [4, 2, 40]].forEach(([r, c, v]) => (want[r * 6 + c] = v));
      return [got, ours.reshape(ours.array(want), [5, 6])];
    }),
    ops('slice_update_grad', ['slice_update', 'slice'], ['autograd_tests.cpp::test grad dynamic slices'], () =>
      gradCheck((x) => ours.slice(ours.sliceUpdate(x, ours.zeros([1, 2], ours.float64), ours.array([1], ours.int32), [1]), ours.array([0], ours.int32), [1], [3]), [2, 4]), 'math', 1e-6),
    // --- array methods ---
    make('array_core', 'logcumsumexp_method', ['array.logcumsumexp'], [t('test_logcumsumexp')], () => {
      const data = seq(6, 1);
      let acc = -Infinity;
      const want = data.map((v) => (acc = Math.max(acc, v) + Math.log(Math.exp(acc - Math.max(acc, v)) + Math.exp(v - Math.max(acc, v)))));
      return [ours.array(data, ours.float64).logcumsumexp(0), ours.array(want, ours.float64)];
    }),
    // --- printing and graph export ---
    make('array_core', 'printoptions', ['PrintOptions', 'set_printoptions', 'get_printoptions', 'printoptions'], ['test_array.py::test_array_repr_precision'], () => {
      const x = ours.array([Math.PI, -Math.E / 1000], ours.float64);
      const before = ours.getPrintoptions().precision;
      ours.setPrintoptions(3);
      const three = x.toString();
      const scoped = ours.printoptions(new ours.PrintOptions(9));
      const nine = x.toString();
      scoped.dispose();
      const back = ours.getPrintoptions().precision;
      ours.setPrintoptions(before);
      // MLX's formatter prints fixed with `precision` decimals: pi and -e/1000 to 3 and 9 places, by hand from their expansions
      return [[Number(three === 'array([3.142, -0.003], dtype=float64)'), Number(nine === 'array([3.141592654, -0.002718282], dtype=float64)'), back, before],
        [1, 1, 3, -1]];
    }),
    make('array_core', 'export_to_dot', ['export_to_dot'], ['test_graph.py::test_to_dot'], () => {
      let text = '';
      const a = ours.array([1, 2]), y = ours.exp(ours.add(a, 1));
      ours.exportToDot({ write: (s: string) => (text += s) }, { y });
      const lines = text.trim().split('\n');
      // digraph, two op boxes, four array ellipses (a, the scalar 1, a+1, y) and four edges into ops, two out
      const count = (re: RegExp) => lines.filter((l) => re.test(l)).length;
      return [[Number(lines[0] === 'digraph {' && lines[lines.length - 1] === '}'), count(/shape=box/), count(/shape=ellipse/), count(/->/), Number(/label="add"/.test(text) && /label="exp"/.test(text) && /label="y \(2\) float32"/.test(text))],
        [1, 2, 4, 5, 1]];
    }),
    // --- memory limits ---
    dev('memory_limit', ['set_memory_limit'], ['test_memory.py::test_memory_info'], () => {
      const before = ours.setMemoryLimit(1 << 20);
      let refused = 0;
      try {
        ours.eval(ours.zeros([1024, 1024]));
      } catch (e) {
        refused = Number((e as { code?: string }).code === 'resource_limit');
      }
      const restored = ours.setMemoryLimit(before);
      ours.eval(ours.zeros([1024, 1024]));
      return [[refused, restored], [1, 1 << 20]];
    }),
    dev('cache_limit', ['set_cache_limit'], ['test_memory.py::test_memory_info'], () => {
      const before = ours.setCacheLimit(0);
      const x = ours.zeros([512, 1024]);
      ours.eval(x);
      ours.dispose(x);
      const kept = ours.getCacheMemory();
      const zero = ours.setCacheLimit(before);
      return [[kept, zero], [0, 0]];
    }),
    dev('wired_limit', ['set_wired_limit'], ['test_memory.py::test_wired_memory'], () => [[ours.setWiredLimit(1 << 20), ours.setWiredLimit(0)], [0, 0]]),
    // --- streams and devices ---
    dev('streams_scoped', ['stream', 'set_default_stream', 'new_thread_local_stream', 'clear_streams'], ['test_device.py::test_stream', 'test_threads.py::test_threadlocal_stream', 'scheduler_tests.cpp::test thread local stream'], () => {
      const first = ours.defaultStream(ours.cpu);
      const s = ours.newThreadLocalStream(ours.cpu);
      const scope = ours.stream(s);
      const inScope = ours.defaultStream(ours.cpu) === s;
      const r = ours.multiply(ours.array([1, 2, 3]), 2);
      scope.dispose();
      const restored = ours.defaultStream(ours.cpu) === first;
      ours.setDefaultStream(s);
      const set = ours.defaultStream(ours.cpu) === s;
      ours.clearStreams();
      const cleared = ours.defaultStream(ours.cpu) === first;
      return [[Number(inScope), Number(restored), Number(set), Number(cleared), ...values(r)], [1, 1, 1, 1, ...values(real.multiply(real.array([1, 2, 3]), 2))]];
    }, 'mlx-0.13'),
    dev('device_count', ['device_count'], ['test_device.py::test_device_count'], () => [[ours.deviceCount(ours.cpu), ours.deviceCount(ours.gpu), ours.deviceCount('cpu')], [1, 0, 1]]),
    dev('device_info', ['device_info'], ['test_device.py::test_device_info_cpu', 'test_device.py::test_device_info_default'], () => {
      const info = ours.deviceInfo(ours.cpu), dflt = ours.deviceInfo();
      const archName = typeof machine === 'function' ? machine() : arch();
      return [[Number(info.architecture === archName), Number(typeof info.device_name === 'string' && info.device_name.length > 0), Number(dflt.device_name === info.device_name)], [1, 1, 1]];
    }),
    dev('device_info_gpu', ['device_info'], ['test_device.py::test_device_info_gpu'], () => [ours.deviceInfo(ours.gpu), null]),
    dev('metal_cuda_available', ['metal.is_available', 'cuda.is_available'], ['test_device.py::test_device'], () => [[Number(ours.metal.isAvailable()), Number(ours.cuda.isAvailable())], [Number(real.metal.isAvailable()), 0]], 'mlx-0.13'),
    ...(['device_info', 'start_capture', 'stop_capture'] as const).map((name) =>
      dev(`metal_${name}`, [`metal.${name}`], ['gpu_tests.cpp::test memory info'], () => [ours.metal[name === 'device_info' ? 'deviceInfo' : name === 'start_capture' ? 'startCapture' : 'stopCapture']('trace.gputrace'), null])),
  ];
}
