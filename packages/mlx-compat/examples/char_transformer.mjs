// A small character-level transformer language model trained on
// data/lighthouse.txt (a text written for this repository). The MLX Python
// original is char_transformer.py beside this file.
import { readFileSync } from 'node:fs';
import mlx from 'mlx-compat';

const { core: mx, nn, optimizers: optim } = mlx;

const text = readFileSync(new URL('./data/lighthouse.txt', import.meta.url), 'utf8');
const vocab = [...new Set(text)].sort();
const data = mx.array([...text].map((c) => vocab.indexOf(c)), mx.int32);

class CharLM extends nn.Module {
  constructor(vocabSize, dims, heads, numLayers, context) {
    super();
    this.embedding = new nn.Embedding(vocabSize, dims);
    this.positions = new nn.Embedding(context, dims);
    this.layers = Array.from({ length: numLayers }, () => new nn.TransformerEncoderLayer(dims, heads, dims * 4));
    this.norm = new nn.LayerNorm(dims);
    this.out = new nn.Linear(dims, vocabSize);
  }
  forward(x) {
    const L = x.shape[1];
    const mask = nn.MultiHeadAttention.createAdditiveCausalMask(L);
    let h = mx.add(this.embedding.forward(x), this.positions.forward(mx.arange(L, mx.int32)));
    for (const layer of this.layers) h = layer.forward(h, mask);
    return this.out.forward(this.norm.forward(h));
  }
}

const context = 32, batchSize = 16, steps = 300;
mx.random.seed(0);
const model = new CharLM(vocab.length, 64, 4, 2, context);
const lossFn = (x, y) => nn.losses.crossEntropy(model.forward(x), y, undefined, -1, 0, 'mean');
const lossAndGrad = nn.valueAndGrad(model, lossFn);
const optimizer = new optim.Adam(3e-3);

// The whole step compiled, with the model's and the optimizer's state as
// implicit inputs and outputs (MLX: partial(mx.compile, inputs=state, outputs=state)).
const state = [model.state, optimizer.state];
const trainStep = mx.compile((x, y) => {
  const [loss, grads] = lossAndGrad(x, y);
  optimizer.update(model, grads);
  return loss;
}, { inputs: state, outputs: state });

// Random windows of the text: inputs and the same windows shifted by one.
const offsets = mx.arange(context, mx.int32);
function batch() {
  const starts = mx.random.randint(0, data.size - context - 1, [batchSize, 1], mx.int32);
  const idx = mx.add(starts, offsets);
  // a JS number beside an integer array makes float32 (node-mlx's rule): the shift is an int32 array
  return [mx.take(data, idx), mx.take(data, mx.add(idx, mx.array(1, mx.int32)))];
}

let recent = [];
for (let step = 0; step < steps; step++) {
  const [x, y] = batch();
  const loss = trainStep(x, y);
  recent = [...recent.slice(-19), loss.item()];
}
const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
console.log(`vocabulary ${vocab.length}, mean loss over the last 20 steps ${mean.toFixed(3)}`);
