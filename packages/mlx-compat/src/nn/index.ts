// mlx.nn: modules, layers (one per file in layers/), activations, losses and
// initializers, under MLX's names in camelCase.
import * as activations from './activations.js';
import * as losses from './losses.js';
import * as init from './init.js';
import { Module } from './layers/base.js';
import { Linear } from './layers/linear.js';
import { Bilinear } from './layers/bilinear.js';
import { Identity } from './layers/identity.js';
import { Embedding } from './layers/embedding.js';
import { Sequential } from './layers/sequential.js';
import { LayerNorm } from './layers/layer_norm.js';
import { RMSNorm } from './layers/rms_norm.js';
import { GroupNorm } from './layers/group_norm.js';
import { InstanceNorm } from './layers/instance_norm.js';
import { BatchNorm } from './layers/batch_norm.js';
import { Dropout, Dropout2d, Dropout3d } from './layers/dropout.js';
import { MultiHeadAttention } from './layers/multi_head_attention.js';
import { Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer } from './layers/transformer.js';
import { RNN } from './layers/rnn.js';
import { GRU } from './layers/gru.js';
import { LSTM } from './layers/lstm.js';
import { AvgPool1d, AvgPool2d, AvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d } from './layers/pooling.js';
import { Upsample } from './layers/upsample.js';
import { ALiBi } from './layers/alibi.js';
import { RoPE } from './layers/rope.js';
import { SinusoidalPositionalEncoding } from './layers/sinusoidal_positional_encoding.js';
import { Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from './layers/convolution.js';
import { QuantizedEmbedding, QuantizedLinear, quantize } from './layers/quantized.js';
import { valueAndGrad } from './value_and_grad.js';

export type { Params } from './layers/base.js';
export type { Reduction } from './losses.js';
export type { Initializer } from './init.js';

export const nn = {
  Module,
  Linear, Bilinear, Identity, Embedding, Sequential,
  LayerNorm, RMSNorm, GroupNorm, InstanceNorm, BatchNorm,
  Dropout, Dropout2d, Dropout3d,
  MultiHeadAttention, Transformer, TransformerEncoder, TransformerEncoderLayer, TransformerDecoder, TransformerDecoderLayer,
  RNN, GRU, LSTM,
  MaxPool1d, MaxPool2d, MaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d,
  Upsample, ALiBi, RoPE, SinusoidalPositionalEncoding,
  Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
  QuantizedLinear, QuantizedEmbedding, quantize,
  ...activations,
  valueAndGrad,
  losses,
  init,
};

export {
  Module, Linear, Bilinear, Identity, Embedding, Sequential, LayerNorm, RMSNorm, GroupNorm, InstanceNorm, BatchNorm, Dropout, Dropout2d, Dropout3d,
  MultiHeadAttention, Transformer, RNN, GRU, LSTM, Upsample, ALiBi, RoPE, SinusoidalPositionalEncoding,
};
