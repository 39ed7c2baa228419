// vjp rule of matmul: g @ b^T and a^T @ g. 1-d operands are promoted to
// matrices (a row, b a column) and broadcast batch dimensions summed back.
import { matmul } from '../../ops/linalg.js';
import { reshape, swapaxes } from '../../ops/shape.js';
import type { VjpRule } from './index.js';
import { unbroadcast } from './util.js';

export const linalgRules: Record<string, VjpRule> = {
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
