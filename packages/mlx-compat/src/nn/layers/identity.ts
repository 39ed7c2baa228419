// Identity(): returns its input (a placeholder in a model's structure).
import { Module } from './base.js';
import { type ArrayLike, MxArray } from '../ops.js';
import { asArray } from '../../core/node.js';

export class Identity extends Module {
  forward(x: ArrayLike): MxArray {
    return asArray(x);
  }
}
