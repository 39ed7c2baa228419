// A small Llama-style language model that generates with a key/value cache,
// its linear layers and embedding quantized to 4 bits: the ops every MLX
// language model runs on each token (fast.rmsNorm, fast.rope,
// fast.scaledDotProductAttention with grouped key/value heads and a causal
// mask, quantizedMatmul through nn.QuantizedLinear). The weights are random
// (seeded), so the text is noise: the program is the point. Run it as a
// script to generate and time; the tests import it.
//   node packages/mlx-compat/examples/llama_generate.mjs [tokens]
import mlx from 'mlx-compat';

const { core: mx, nn } = mlx;

export const config = { vocab: 256, dims: 256, layers: 2, heads: 8, kvHeads: 2, hidden: 512, ropeBase: 10000, eps: 1e-5 };

class Attention extends nn.Module {
  constructor(c) {
    super();
    this.heads = c.heads;
    this.kvHeads = c.kvHeads;
    this.headDim = c.dims / c.heads;
    this.wq = new nn.Linear(c.dims, c.heads * this.headDim, false);
    this.wk = new nn.Linear(c.dims, c.kvHeads * this.headDim, false);
    this.wv = new nn.Linear(c.dims, c.kvHeads * this.headDim, false);
    this.wo = new nn.Linear(c.heads * this.headDim, c.dims, false);
    this.rope = new nn.RoPE(this.headDim, false, c.ropeBase);
  }

  // x: (B, L, dims); cache: the keys and values of the positions before, or undefined
  forward(x, mask, cache) {
    const [B, L] = x.shape;
    const heads = (t, n) => mx.transpose(mx.reshape(t, [B, L, n, this.headDim]), [0, 2, 1, 3]);
    const offset = cache ? cache.keys.shape[2] : 0;
    const q = this.rope.forward(heads(this.wq.forward(x), this.heads), offset);
    let keys = this.rope.forward(heads(this.wk.forward(x), this.kvHeads), offset);
    let values = heads(this.wv.forward(x), this.kvHeads);
    if (cache) {
      keys = mx.concatenate([cache.keys, keys], 2);
      values = mx.concatenate([cache.values, values], 2);
    }
    const o = mx.fast.scaledDotProductAttention(q, keys, values, this.headDim ** -0.5, mask);
    return [this.wo.forward(mx.reshape(mx.transpose(o, [0, 2, 1, 3]), [B, L, -1])), { keys, values }];
  }
}

class FeedForward extends nn.Module {
  constructor(c) {
    super();
    this.gate = new nn.Linear(c.dims, c.hidden, false);
    this.up = new nn.Linear(c.dims, c.hidden, false);
    this.down = new nn.Linear(c.hidden, c.dims, false);
  }

  forward(x) {
    return this.down.forward(mx.multiply(nn.silu(this.gate.forward(x)), this.up.forward(x)));
  }
}

class Block extends nn.Module {
  constructor(c) {
    super();
    this.attention = new Attention(c);
    this.feedForward = new FeedForward(c);
    this.attentionNorm = new nn.RMSNorm(c.dims, c.eps);
    this.feedForwardNorm = new nn.RMSNorm(c.dims, c.eps);
  }

  forward(x, mask, cache) {
    const [a, next] = this.attention.forward(this.attentionNorm.forward(x), mask, cache);
    const h = mx.add(x, a);
    return [mx.add(h, this.feedForward.forward(this.feedForwardNorm.forward(h))), next];
  }
}

export class Llama extends nn.Module {
  constructor(c) {
    super();
    this.embedding = new nn.Embedding(c.vocab, c.dims);
    this.layers = Array.from({ length: c.layers }, () => new Block(c));
    this.norm = new nn.RMSNorm(c.dims, c.eps);
    this.output = new nn.Linear(c.dims, c.vocab, false);
  }

  // tokens: (B, L) int32; caches: one per layer, or undefined for none. The
  // logits of every position, and the caches with these positions added.
  forward(tokens, caches) {
    let h = this.embedding.forward(tokens);
    const mask = tokens.shape[1] > 1 ? 'causal' : undefined;
    const next = [];
    this.layers.forEach((layer, i) => {
      const [y, c] = layer.forward(h, mask, caches?.[i]);
      h = y;
      next.push(c);
    });
    return [this.output.forward(this.norm.forward(h)), next];
  }
}

/** The model with seeded random weights, its linear layers and embedding quantized (4 bits, groups of 64). */
export function makeModel(seed = 0) {
  mx.random.seed(seed);
  const model = new Llama(config);
  nn.quantize(model, 64, 4);
  mx.eval(model.parameters());
  return model;
}

/**
 * Greedy generation: the prompt in one call (the causal prefill), then one
 * token a call against the cache. With `forced`, those tokens are fed instead
 * of the model's choices (teacher forcing, to compare two runs step by
 * step). Returns the tokens chosen and each step's logits (vocab floats).
 */
export function generate(model, prompt, steps, forced) {
  let [logits, caches] = model.forward(mx.array([prompt], mx.int32));
  const tokens = [], stepLogits = [];
  for (let s = 0; s < steps; s++) {
    const last = mx.take(logits, mx.array(logits.shape[1] - 1, mx.int32), 1);
    const token = mx.argmax(last, -1);
    mx.eval(token, caches);
    tokens.push(token.item());
    stepLogits.push(Array.from(last.toTypedArray()));
    [logits, caches] = model.forward(mx.array([[forced ? forced[s] : tokens[s]]], mx.int32), caches);
  }
  return { tokens, logits: stepLogits };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const steps = Number(process.argv[2] ?? 64);
  const model = makeModel(0);
  const prompt = Array.from({ length: 16 }, (_, i) => (i * 37) % config.vocab);
  generate(model, prompt, 4);
  const t0 = performance.now();
  const { tokens } = generate(model, prompt, steps);
  const ms = performance.now() - t0;
  console.log(`generated ${tokens.length} tokens: ${tokens.join(' ')}`);
  console.log(`${(ms / steps).toFixed(2)} ms a token (${(steps / (ms / 1e3)).toFixed(0)} tokens/s)`);
}
