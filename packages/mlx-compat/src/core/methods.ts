// Array methods: each forwards to the op of the same name with the array first.
import { type ArrayLike, MxArray } from './array.js';
import type { DtypeLike } from './args.js';
import { type StreamOrDevice } from './device.js';
import { astype, binaryOps, round, unaryOps } from './ops/elementwise.js';
import * as reduce from './ops/reduce.js';
import * as shape from './ops/shape.js';
import { AtIndexer, type Index, index, indexUpdate, take } from './ops/indexing.js';
import { diag, diagonal, matmul } from './ops/linalg.js';
import { argsort, sort, topk } from './ops/sort.js';

type Axis = reduce.Axis;

declare module './array.js' {
  interface MxArray {
    // unary
    abs(): MxArray; negative(): MxArray; sign(): MxArray; sqrt(): MxArray; rsqrt(): MxArray; square(): MxArray;
    reciprocal(): MxArray; exp(): MxArray; expm1(): MxArray; log(): MxArray; log1p(): MxArray; log2(): MxArray;
    log10(): MxArray; sin(): MxArray; cos(): MxArray; tan(): MxArray; sigmoid(): MxArray; floor(): MxArray; ceil(): MxArray;
    isnan(): MxArray; isinf(): MxArray; logicalNot(): MxArray; erf(): MxArray; tanh(): MxArray;
    round(decimals?: number): MxArray;
    conj(): MxArray;
    /** The real and imaginary parts (float32 of a complex64 array; a real array and zeros otherwise). */
    readonly real: MxArray;
    readonly imag: MxArray;
    // binary
    add(b: ArrayLike): MxArray; subtract(b: ArrayLike): MxArray; multiply(b: ArrayLike): MxArray; divide(b: ArrayLike): MxArray;
    floorDivide(b: ArrayLike): MxArray; remainder(b: ArrayLike): MxArray; power(b: ArrayLike): MxArray;
    maximum(b: ArrayLike): MxArray; minimum(b: ArrayLike): MxArray; equal(b: ArrayLike): MxArray; notEqual(b: ArrayLike): MxArray;
    less(b: ArrayLike): MxArray; lessEqual(b: ArrayLike): MxArray; greater(b: ArrayLike): MxArray; greaterEqual(b: ArrayLike): MxArray;
    logicalAnd(b: ArrayLike): MxArray; logicalOr(b: ArrayLike): MxArray; matmul(b: ArrayLike): MxArray;
    // reductions: keepdims may come first (a.sum(true)), as in node-mlx
    sum(keepdims?: boolean, stream?: StreamOrDevice): MxArray; sum(axis?: Axis, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
    prod(keepdims?: boolean, stream?: StreamOrDevice): MxArray; prod(axis?: Axis, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
    max(keepdims?: boolean, stream?: StreamOrDevice): MxArray; max(axis?: Axis, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
    min(keepdims?: boolean, stream?: StreamOrDevice): MxArray; min(axis?: Axis, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
    mean(keepdims?: boolean, stream?: StreamOrDevice): MxArray; mean(axis?: Axis, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
    all(keepdims?: boolean, stream?: StreamOrDevice): MxArray; all(axis?: Axis, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
    any(keepdims?: boolean, stream?: StreamOrDevice): MxArray; any(axis?: Axis, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
    logsumexp(keepdims?: boolean, stream?: StreamOrDevice): MxArray; logsumexp(axis?: Axis, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
    variance(keepdims?: boolean, stream?: StreamOrDevice): MxArray; variance(axis?: Axis, keepdims?: boolean | null, ddof?: number | null, stream?: StreamOrDevice): MxArray;
    std(keepdims?: boolean, stream?: StreamOrDevice): MxArray; std(axis?: Axis, keepdims?: boolean | null, ddof?: number | null, stream?: StreamOrDevice): MxArray;
    argmax(keepdims?: boolean, stream?: StreamOrDevice): MxArray; argmax(axis?: number | null, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
    argmin(keepdims?: boolean, stream?: StreamOrDevice): MxArray; argmin(axis?: number | null, keepdims?: boolean | null, stream?: StreamOrDevice): MxArray;
    cumsum(axis?: number | null, reverse?: boolean | null, inclusive?: boolean | null, stream?: StreamOrDevice): MxArray;
    cumprod(axis?: number | null, reverse?: boolean | null, inclusive?: boolean | null, stream?: StreamOrDevice): MxArray;
    cummax(axis?: number | null, reverse?: boolean | null, inclusive?: boolean | null, stream?: StreamOrDevice): MxArray;
    cummin(axis?: number | null, reverse?: boolean | null, inclusive?: boolean | null, stream?: StreamOrDevice): MxArray;
    // shape
    reshape(...shape: Array<number | number[]>): MxArray; transpose(...axes: Array<number | number[]>): MxArray;
    readonly T: MxArray;
    squeeze(axis?: number | number[] | null, stream?: StreamOrDevice): MxArray;
    flatten(startAxis?: number | null, endAxis?: number | null, stream?: StreamOrDevice): MxArray;
    swapaxes(axis1: number, axis2: number, stream?: StreamOrDevice): MxArray;
    moveaxis(source: number | number[], destination: number | number[], stream?: StreamOrDevice): MxArray;
    split(indicesOrSections: number | number[], axis?: number | null, stream?: StreamOrDevice): MxArray[];
    diagonal(offset?: number, axis1?: number, axis2?: number): MxArray; diag(k?: number): MxArray;
    astype(dtype: DtypeLike, stream?: StreamOrDevice): MxArray;
    take(indices: ArrayLike, axis?: number): MxArray;
    sort(axis?: number | null): MxArray; argsort(axis?: number | null): MxArray; topk(k: number, axis?: number | null): MxArray;
    logcumsumexp(axis?: number | null, reverse?: boolean | null, inclusive?: boolean | null, stream?: StreamOrDevice): MxArray;
    /** The same bytes as another dtype (mx.view). */
    view(dtype: DtypeLike, stream?: StreamOrDevice): MxArray;
    // indexing
    index(...idx: Index[]): MxArray;
    /**
     * Writes value at idx (one index, or a list of them as a Python tuple), replacing
     * this array's value in place; graphs built earlier keep the old value.
     */
    indexPut_(idx: Index | Index[], value: ArrayLike): MxArray;
    at(...idx: Index[]): AtIndexer;
  }
}

const proto = MxArray.prototype as unknown as Record<string, unknown>;
for (const name of ['abs', 'negative', 'sign', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'exp', 'expm1', 'log', 'log1p', 'log2', 'log10', 'sin', 'cos', 'tan', 'sigmoid', 'floor', 'ceil', 'isnan', 'isinf', 'logicalNot', 'erf', 'tanh'])
  proto[name] = function (this: MxArray) {
    return unaryOps[name as keyof typeof unaryOps](this);
  };
for (const name of Object.keys(binaryOps))
  proto[name] = function (this: MxArray, b: ArrayLike) {
    return binaryOps[name as keyof typeof binaryOps](this, b);
  };
const forward = (fn: (a: MxArray, ...rest: never[]) => unknown) =>
  function (this: MxArray, ...rest: never[]) {
    return fn(this, ...rest);
  };
Object.assign(proto, {
  round: forward(round as never),
  matmul: forward(matmul as never),
  sum: forward(reduce.sum as never), prod: forward(reduce.prod as never), max: forward(reduce.max as never), min: forward(reduce.min as never),
  mean: forward(reduce.mean as never), all: forward(reduce.all as never), any: forward(reduce.any as never), logsumexp: forward(reduce.logsumexp as never),
  variance: forward(reduce.variance as never), std: forward(reduce.std as never), argmax: forward(reduce.argmax as never), argmin: forward(reduce.argmin as never),
  logcumsumexp: forward(reduce.logcumsumexp as never), view: forward(shape.view as never),
  cumsum: forward(reduce.cumsum as never), cumprod: forward(reduce.cumprod as never), cummax: forward(reduce.cummax as never), cummin: forward(reduce.cummin as never),
  squeeze: forward(shape.squeeze as never), flatten: forward(shape.flatten as never), swapaxes: forward(shape.swapaxes as never),
  moveaxis: forward(shape.moveaxis as never), split: forward(shape.split as never), diagonal: forward(diagonal as never), diag: forward(diag as never),
  astype: forward(astype as never), take: forward(take as never), index: forward(index as never),
  sort: forward(sort as never), argsort: forward(argsort as never), topk: forward(topk as never),
  reshape(this: MxArray, ...s: Array<number | number[]>) {
    return shape.reshape(this, s.flat());
  },
  transpose(this: MxArray, ...axes: Array<number | number[]>) {
    return shape.transpose(this, axes.length ? axes.flat() : undefined);
  },
  indexPut_(this: MxArray, idx: Index | Index[], value: ArrayLike) {
    // a JS list is a tuple of indices, as a Python tuple; an integer-array index is an MxArray
    const updated = indexUpdate(this, Array.isArray(idx) ? (idx as Index[]) : [idx], value);
    this._v = updated._v;
    return this;
  },
  at(this: MxArray, ...idx: Index[]) {
    return new AtIndexer(this, idx);
  },
});
proto.conj = function (this: MxArray) {
  return unaryOps.conjugate(this);
};
for (const part of ['real', 'imag'] as const)
  Object.defineProperty(proto, part, {
    get(this: MxArray) {
      return unaryOps[part](this);
    },
  });
Object.defineProperty(proto, 'T', {
  get(this: MxArray) {
    return shape.transpose(this);
  },
});
