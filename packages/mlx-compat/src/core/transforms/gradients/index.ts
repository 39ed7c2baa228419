// Vector-Jacobian products, one rule per engine op, kept apart from the ops
// themselves (as tfjs keeps gradients apart from kernels). Each family's file
// registers its rules here.
import type { MxArray } from '../../array.js';
import { elementwiseRules } from './elementwise.js';
import { reductionRules, scanRules } from './reduce.js';
import { shapeRules } from './shape.js';
import { linalgRules } from './linalg.js';
import { fastRules } from './fast.js';
import { quantizedRules } from './quantized.js';
import { fftRules } from './fft.js';
import { convRules } from './conv.js';

export interface VjpArgs {
  primals: MxArray[];
  /** The node's outputs (all of them), for rules that reuse them. */
  outputs: MxArray[];
  /** One per output; undefined for an output no cotangent reached. */
  cotangents: Array<MxArray | undefined>;
  attrs: Record<string, unknown>;
  /** needed[i]: whether the backward pass wants input i's cotangent (a rule may leave the others undefined). */
  needed: boolean[];
}

/** Cotangents for each input (undefined for an input with none, like indices). */
export type VjpRule = (args: VjpArgs) => Array<MxArray | undefined>;

const RULES: Record<string, VjpRule> = { ...elementwiseRules, ...reductionRules, ...scanRules, ...shapeRules, ...linalgRules, ...fastRules, ...quantizedRules, ...convRules, ...fftRules };

export function vjpRule(op: string): VjpRule | undefined {
  return RULES[op];
}

export function opsWithVjp(): string[] {
  return Object.keys(RULES);
}
