// vjp rules of matmul (g @ b^T and a^T @ g; 1-d operands are promoted to
// matrices, a row and b a column, and broadcast batch dimensions summed
// back) and of the linalg ops that invert: inv and tri_inv (-B^T g B^T for
// B the inverse, kept to the triangle for tri_inv) and solve and
// solve_triangular (gB = A^-T g, gA = -gB X^T).
import { apply1 } from '../../node.js';
import { unaryOps } from '../../ops/elementwise.js';
import { matmul, tril, triu } from '../../ops/linalg.js';
import { reshape, swapaxes } from '../../ops/shape.js';
import type { MxArray } from '../../array.js';
import type { VjpRule } from './index.js';
import { unbroadcast } from './util.js';

const t = (x: MxArray) => swapaxes(x, -1, -2);
const inverseRule = ({ outputs: [b], cotangents: [g] }: { outputs: MxArray[]; cotangents: Array<MxArray | undefined> }) => unaryOps.negative(matmul(matmul(t(b), g!), t(b)));

export const linalgRules: Record<string, VjpRule> = {
  inv: (args) => [inverseRule(args)],
  tri_inv: (args) => [(args.attrs.upper ? triu : tril)(inverseRule(args))],
  solve: ({ primals: [a], outputs: [x], cotangents: [g] }) => {
    const gb = apply1('solve', [t(a), g!], {}, { dtype: g!.dtype, shape: g!.shape });
    return [unaryOps.negative(matmul(gb, t(x))), gb];
  },
  solve_triangular: ({ primals: [a], outputs: [x], cotangents: [g], attrs }) => {
    const gb = apply1('solve_triangular', [t(a), g!], { upper: !attrs.upper }, { dtype: g!.dtype, shape: g!.shape });
    return [(attrs.upper ? triu : tril)(unaryOps.negative(matmul(gb, t(x)))), gb];
  },
  matmul: ({ primals: [a, b], cotangents: [g] }) => {
    const A = a.ndim === 1 ? reshape(a, [1, -1]) : a;
    const B = b.ndim === 1 ? reshape(b, [-1, 1]) : b;
    // the cotangent with the dimensions 1-d operands dropped put back
    const batch = g!.shape.slice(0, g!.ndim - (a.ndim > 1 ? 1 : 0) - (b.ndim > 1 ? 1 : 0));
    const G = reshape(g!, [...batch, A.shape[A.ndim - 2], B.shape[B.ndim - 1]]);
    const gA = matmul(G, swapaxes(B, -1, -2));
    const gB = matmul(swapaxes(A, -1, -2), G);
    return [reshape(unbroadcast(gA, A.shape), a.shape), reshape(unbroadcast(gB, B.shape), b.shape)];
  },
};
