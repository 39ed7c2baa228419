// vjp rules of the products: matmul (g @ b^T and a^T @ g; 1-d operands are
// promoted to matrices, a row and a column, and broadcast batch dimensions
// summed back), gather_mm, block_masked_mm and hadamard_transform; and of the
// linalg ops that invert: inv and tri_inv (-B^T g B^T for B the inverse, kept
// to the triangle for tri_inv) and solve and solve_triangular (gB = A^-T g,
// gA = -gB X^T).
import type { MxArray } from '../../array.js';
import { int32, bool } from '../../dtype.js';
import { apply1 } from '../../node.js';
import { arange, zeros } from '../../ops/creation.js';
import { binaryOps, unaryOps, where } from '../../ops/elementwise.js';
import { index, SliceIndex, take } from '../../ops/indexing.js';
import { hadamardTransform, matmul, tril, triu } from '../../ops/linalg.js';
import { broadcastTo, repeat, reshape, swapaxes } from '../../ops/shape.js';
import type { VjpRule } from './index.js';
import { unbroadcast } from './util.js';

const T = (x: MxArray) => swapaxes(x, -1, -2);
const inverseRule = ({ outputs: [b], cotangents: [g] }: { outputs: MxArray[]; cotangents: Array<MxArray | undefined> }) => unaryOps.negative(matmul(matmul(T(b), g!), T(b)));

// A block mask spread over the elements of a rows x cols matrix.
function spread(mask: MxArray, bs: number, rows: number, cols: number): MxArray {
  const full = repeat(repeat(mask, bs, -2), bs, -1);
  return index(full, '...', new SliceIndex(0, rows), new SliceIndex(0, cols));
}
const masked = (x: MxArray, mask: MxArray | undefined) => (!mask ? x : mask.dtype === bool ? where(mask, x, zeros([], x.dtype)) : binaryOps.multiply(x, mask));

// gather_mm: the matrices each output used, and the cotangents scattered back to them.
function gatherParts(a: MxArray, b: MxArray, extra: MxArray[], attrs: Record<string, unknown>, g: MxArray) {
  const batch = g.shape.slice(0, -2);
  const count = batch.reduce((p, d) => p * d, 1);
  let k = 0;
  const picks = (has: unknown, x: MxArray) => {
    const own = x.shape.slice(0, -2);
    const idx = has ? extra[k++] : reshape(arange(own.reduce((p, d) => p * d, 1), int32), own);
    return reshape(broadcastTo(idx, batch), [count]);
  };
  const li = picks(attrs.has_lhs_indices, a), ri = picks(attrs.has_rhs_indices, b);
  const flat = (x: MxArray) => reshape(x, [-1, x.shape[x.ndim - 2], x.shape[x.ndim - 1]]);
  return { li, ri, af: flat(a), bf: flat(b), gf: reshape(g, [count, g.shape[g.ndim - 2], g.shape[g.ndim - 1]]) };
}
const scatterRows = (into: MxArray, idx: MxArray, v: MxArray) =>
  apply1('put_along_axis', [zeros(into.shape, v.dtype), reshape(idx, [-1, 1, 1]), v], { axis: 0, reduce: 'add' }, { dtype: v.dtype, shape: into.shape });

export const linalgRules: Record<string, VjpRule> = {
  inv: (args) => [inverseRule(args)],
  tri_inv: (args) => [(args.attrs.upper ? triu : tril)(inverseRule(args))],
  solve: ({ primals: [a], outputs: [x], cotangents: [g] }) => {
    const gb = apply1('solve', [T(a), g!], {}, { dtype: g!.dtype, shape: g!.shape });
    return [unaryOps.negative(matmul(gb, T(x))), gb];
  },
  solve_triangular: ({ primals: [a], outputs: [x], cotangents: [g], attrs }) => {
    const gb = apply1('solve_triangular', [T(a), g!], { upper: !attrs.upper }, { dtype: g!.dtype, shape: g!.shape });
    return [(attrs.upper ? triu : tril)(unaryOps.negative(matmul(gb, T(x)))), gb];
  },
  matmul: ({ primals: [a, b], cotangents: [g], needed: [wantA, wantB] }) => {
    const A = a.ndim === 1 ? reshape(a, [1, -1]) : a;
    const B = b.ndim === 1 ? reshape(b, [-1, 1]) : b;
    // the cotangent with the dimensions 1-d operands dropped put back
    const batch = g!.shape.slice(0, g!.ndim - (a.ndim > 1 ? 1 : 0) - (b.ndim > 1 ? 1 : 0));
    const G = reshape(g!, [...batch, A.shape[A.ndim - 2], B.shape[B.ndim - 1]]);
    // a product the backward pass does not want is not built
    const gA = wantA ? reshape(unbroadcast(matmul(G, swapaxes(B, -1, -2)), A.shape), a.shape) : undefined;
    const gB = wantB ? reshape(unbroadcast(matmul(swapaxes(A, -1, -2), G), B.shape), b.shape) : undefined;
    return [gA, gB];
  },
  gather_mm: ({ primals: [a, b, ...extra], cotangents: [g], attrs }) => {
    const { li, ri, af, bf, gf } = gatherParts(a, b, extra, attrs, g!);
    const ga = scatterRows(af, li, matmul(gf, T(take(bf, ri, 0))));
    const gb = scatterRows(bf, ri, matmul(T(take(af, li, 0)), gf));
    return [reshape(ga, a.shape), reshape(gb, b.shape), ...extra.map(() => undefined)];
  },
  block_masked_mm: ({ primals: [a, b, ...masks], cotangents: [g], attrs }) => {
    const bs = attrs.block_size as number;
    const m = a.shape[a.ndim - 2], k = a.shape[a.ndim - 1], n = b.shape[b.ndim - 1];
    let i = 0;
    const out = attrs.has_mask_out ? spread(masks[i++], bs, m, n) : undefined;
    const lhs = attrs.has_mask_lhs ? spread(masks[i++], bs, m, k) : undefined;
    const rhs = attrs.has_mask_rhs ? spread(masks[i++], bs, k, n) : undefined;
    const gc = masked(g!, out);
    const ga = masked(matmul(gc, T(masked(b, rhs))), lhs);
    const gb = masked(matmul(T(masked(a, lhs)), gc), rhs);
    return [unbroadcast(ga, a.shape), unbroadcast(gb, b.shape), ...masks.map(() => undefined)];
  },
  // H is symmetric: the transform of the cotangent, with the same scale
  hadamard_transform: ({ cotangents: [g], attrs }) => [hadamardTransform(g!, attrs.scale as number | null)],
};
