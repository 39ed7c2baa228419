// Conv1d/2d/3d and ConvTranspose1d/2d/3d need the engine's conv_general op,
// which it does not have yet: constructing one raises a typed error naming it.
import { Module } from './base.js';
import { MxError } from '../ops.js';

type Size = number | number[];

function refuse(layer: string): never {
  throw new MxError(layer, 'engine', 'needs the conv_general op, which the mlx-compat engine does not have yet');
}

abstract class Refused extends Module {
  forward(): never {
    return refuse(this.constructor.name);
  }
}

/* eslint-disable @typescript-eslint/no-unused-vars */
export class Conv1d extends Refused {
  constructor(inChannels: number, outChannels: number, kernelSize: number, stride = 1, padding = 0, dilation = 1, groups = 1, bias = true) {
    super();
    refuse('Conv1d');
  }
}
export class Conv2d extends Refused {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1, groups = 1, bias = true) {
    super();
    refuse('Conv2d');
  }
}
export class Conv3d extends Refused {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1, groups = 1, bias = true) {
    super();
    refuse('Conv3d');
  }
}
export class ConvTranspose1d extends Refused {
  constructor(inChannels: number, outChannels: number, kernelSize: number, stride = 1, padding = 0, dilation = 1, outputPadding = 0, groups = 1, bias = true) {
    super();
    refuse('ConvTranspose1d');
  }
}
export class ConvTranspose2d extends Refused {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1, outputPadding: Size = 0, groups = 1, bias = true) {
    super();
    refuse('ConvTranspose2d');
  }
}
export class ConvTranspose3d extends Refused {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1, outputPadding: Size = 0, groups = 1, bias = true) {
    super();
    refuse('ConvTranspose3d');
  }
}
