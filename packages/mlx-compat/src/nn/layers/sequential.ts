// Sequential(...layers): each layer (a module or a function) applied to the
// output of the previous one; the layers are its member `layers`.
import { Module } from './base.js';
import { type ArrayLike, MxArray } from '../ops.js';
import { asArray } from '../../core/node.js';

export type Layer = Module | ((x: MxArray) => MxArray);

export class Sequential extends Module {
  layers: Layer[];
  constructor(...layers: Layer[]) {
    super();
    this.layers = layers;
  }
  forward(input: ArrayLike): MxArray {
    let x = asArray(input);
    for (const layer of this.layers) x = layer instanceof Module ? (layer as unknown as { forward(x: MxArray): MxArray }).forward(x) : layer(x);
    return x;
  }
}
