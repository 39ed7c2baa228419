// QuantizedLinear, QuantizedEmbedding and nn.quantize, as MLX: the weight is
// packed by mx.quantize into `weight` (uint32), `scales` and, in the affine
// mode, `biases` (MLX's names and shapes, so MLX's quantized checkpoints
// load), frozen, and multiplied by mx.quantizedMatmul without a dequantized
// copy. `mode` goes through to the core, which says which modes it has.
import { Module } from './base.js';
import { type ArrayLike, MxArray, MxError, random, reshape, take, zeros } from '../ops.js';
import { asArray } from '../../core/node.js';
import { isInteger } from '../../core/dtype.js';
import { dequantize, quantize as quantizeArray, quantizedMatmul, type QuantizationMode } from '../../core/quantized.js';
import { treeMapWithPath } from '../../utils/tree.js';

// MLX's group size and bits when a mode is given without them.
const MODE_DEFAULTS: { [mode: string]: [groupSize: number, bits: number] } = { affine: [64, 4], mxfp4: [32, 4], mxfp8: [32, 8], nvfp4: [16, 4] };

function settings(layer: string, groupSize: number | undefined, bits: number | undefined, mode: QuantizationMode): [number, number] {
  const defaults = MODE_DEFAULTS[mode];
  if (!defaults) throw new MxError(layer, 'mode', `"${mode}" is not one of ${Object.keys(MODE_DEFAULTS).join(', ')}`);
  return [groupSize ?? defaults[0], bits ?? defaults[1]];
}

/** The packed weight, its scales and (affine mode) biases, as mx.quantize gives them. */
interface Packed {
  weight: MxArray;
  scales: MxArray;
  biases?: MxArray;
}
function pack(w: MxArray, groupSize: number, bits: number, mode: QuantizationMode): Packed {
  const [weight, scales, biases] = quantizeArray(w, groupSize, bits, mode) as MxArray[];
  return biases ? { weight, scales, biases } : { weight, scales };
}

/** A module whose own arrays stay frozen: unfreeze reaches its children only (MLX). */
abstract class Quantized extends Module {
  weight!: MxArray;
  scales!: MxArray;
  biases?: MxArray;
  constructor(public groupSize: number, public bits: number, public mode: QuantizationMode) {
    super();
  }
  protected setPacked(p: Packed): void {
    this.weight = p.weight;
    this.scales = p.scales;
    if (p.biases) this.biases = p.biases;
    else delete this.biases;
  }
  unfreeze(recurse = true, keys?: string | string[], strict = false): this {
    super.unfreeze(recurse, keys, strict);
    return this.freeze(false);
  }
  /** The unpacked length of a row of the weight. */
  protected get rowLength(): number {
    return (this.weight.shape[this.weight.ndim - 1] * 32) / this.bits;
  }
}

export class QuantizedLinear extends Quantized {
  bias?: MxArray;
  constructor(inputDims: number, outputDims: number, bias = true, groupSize?: number, bits?: number, mode: QuantizationMode = 'affine') {
    const [gs, b] = settings('QuantizedLinear', groupSize, bits, mode);
    super(gs, b, mode);
    const scale = Math.sqrt(1 / inputDims);
    this.setPacked(pack(random.uniform(-scale, scale, [outputDims, inputDims]), gs, b, mode));
    if (bias) this.bias = zeros([outputDims]);
    this.freeze();
  }
  /** A QuantizedLinear holding linear's weight quantized and its bias as it is. */
  static fromLinear(linear: { weight: MxArray; bias?: MxArray }, groupSize?: number, bits?: number, mode: QuantizationMode = 'affine'): QuantizedLinear {
    const [outputDims, inputDims] = linear.weight.shape;
    const q = new QuantizedLinear(inputDims, outputDims, false, groupSize, bits, mode);
    q.setPacked(pack(linear.weight, q.groupSize, q.bits, mode));
    if (linear.bias) q.bias = linear.bias;
    return q.freeze();
  }
  protected extraRepr(): string {
    return `input_dims=${this.rowLength}, output_dims=${this.weight.shape[0]}, bias=${this.has('bias')}, group_size=${this.groupSize}, bits=${this.bits}, mode=${this.mode}`;
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    const k = this.rowLength;
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== k) throw new MxError('QuantizedLinear', 'x', `the last axis must have ${k} features, got shape (${x.shape})`);
    // the core's product takes (..., M, K): a single vector is a row
    const rows = x.ndim === 1 ? reshape(x, [1, k]) : x;
    let y = quantizedMatmul(rows, this.weight, this.scales, this.biases as MxArray, true, this.groupSize, this.bits, this.mode);
    if (x.ndim === 1) y = reshape(y, [-1]);
    return this.bias ? y.add(this.bias) : y;
  }
}

export class QuantizedEmbedding extends Quantized {
  constructor(public numEmbeddings: number, public dims: number, groupSize?: number, bits?: number, mode: QuantizationMode = 'affine') {
    const [gs, b] = settings('QuantizedEmbedding', groupSize, bits, mode);
    super(gs, b, mode);
    this.setPacked(pack(random.normal([numEmbeddings, dims], undefined, 0, Math.sqrt(1 / dims)), gs, b, mode));
    this.freeze();
  }
  /** A QuantizedEmbedding holding embedding's table quantized. */
  static fromEmbedding(embedding: { weight: MxArray }, groupSize?: number, bits?: number, mode: QuantizationMode = 'affine'): QuantizedEmbedding {
    const [numEmbeddings, dims] = embedding.weight.shape;
    const q = new QuantizedEmbedding(numEmbeddings, dims, groupSize, bits, mode);
    q.setPacked(pack(embedding.weight, q.groupSize, q.bits, mode));
    return q.freeze();
  }
  protected extraRepr(): string {
    return `${this.numEmbeddings}, ${this.dims}, group_size=${this.groupSize}, bits=${this.bits}, mode=${this.mode}`;
  }
  forward(input: ArrayLike): MxArray {
    const x = asArray(input);
    if (!isInteger(x.dtype)) throw new MxError('QuantizedEmbedding', 'x', `indices must be integers, got ${x.dtype.name}`);
    // rows picked from the packed table, then unpacked: (indices..., dims)
    const idx = reshape(x, [-1]);
    const pick = (a: MxArray) => take(a, idx, 0);
    const rows = dequantize(pick(this.weight), pick(this.scales), (this.biases && pick(this.biases)) as MxArray, this.groupSize, this.bits, this.mode);
    return reshape(rows, [...x.shape, this.dims]);
  }
  /** x times the table's transpose, read packed (tied input and output embeddings). */
  asLinear(input: ArrayLike): MxArray {
    const x = asArray(input);
    if (x.ndim < 2 || x.shape[x.ndim - 1] !== this.dims) throw new MxError('QuantizedEmbedding.asLinear', 'x', `expected (..., ${this.dims}), got shape (${x.shape})`);
    return quantizedMatmul(x, this.weight, this.scales, this.biases as MxArray, true, this.groupSize, this.bits, this.mode);
  }
}

/** Settings a classPredicate may return instead of true: passed to the layer's toQuantized. */
export interface QuantizeSettings {
  groupSize?: number;
  bits?: number;
  mode?: QuantizationMode;
}
export type ClassPredicate = (path: string, module: Module) => boolean | QuantizeSettings;

interface Quantizable {
  toQuantized(groupSize?: number, bits?: number, mode?: QuantizationMode): Module;
}
const quantizable = (m: Module): m is Module & Quantizable => typeof (m as Partial<Quantizable>).toQuantized === 'function';

/**
 * Replace, in place, each leaf module that classPredicate(path, module)
 * accepts (by default: those with a toQuantized method, Linear and
 * Embedding) by its quantized form; a predicate may return settings for
 * that layer instead of true.
 */
export function quantize(model: Module, groupSize?: number, bits?: number, classPredicate: ClassPredicate = (_p, m) => quantizable(m), mode: QuantizationMode = 'affine'): void {
  const swap = (path: string | undefined, m: Module): Module => {
    const verdict = classPredicate(path ?? '', m);
    if (verdict === false) return m;
    if (!quantizable(m)) throw new MxError('quantize', 'model', `unable to quantize ${path} (a ${m.constructor.name}, which has no toQuantized)`);
    if (verdict === true) return m.toQuantized(groupSize, bits, mode);
    if (verdict && typeof verdict === 'object') return m.toQuantized(verdict.groupSize, verdict.bits, verdict.mode ?? 'affine');
    throw new MxError('quantize', 'classPredicate', `must return a boolean or settings ({groupSize, bits, mode}), got ${String(verdict)} for ${path}`);
  };
  const leaves = treeMapWithPath(swap as (path: string | undefined, ...leaves: never[]) => unknown, model.leafModules(), [], Module.isModule);
  model.updateModules(leaves as never);
}
