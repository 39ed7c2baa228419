# The MLX Python original of char_transformer.mjs: a small character-level
# transformer language model trained on data/lighthouse.txt.
from functools import partial
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim

text = (Path(__file__).parent / "data" / "lighthouse.txt").read_text()
vocab = sorted(set(text))
data = mx.array([vocab.index(c) for c in text], mx.int32)


class CharLM(nn.Module):
    def __init__(self, vocab_size, dims, heads, num_layers, context):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dims)
        self.positions = nn.Embedding(context, dims)
        self.layers = [nn.TransformerEncoderLayer(dims, heads, dims * 4) for _ in range(num_layers)]
        self.norm = nn.LayerNorm(dims)
        self.out = nn.Linear(dims, vocab_size)

    def __call__(self, x):
        L = x.shape[1]
        mask = nn.MultiHeadAttention.create_additive_causal_mask(L)
        h = self.embedding(x) + self.positions(mx.arange(L, dtype=mx.int32))
        for layer in self.layers:
            h = layer(h, mask)
        return self.out(self.norm(h))


context, batch_size, steps = 32, 16, 300
mx.random.seed(0)
model = CharLM(len(vocab), 64, 4, 2, context)


def loss_fn(x, y):
    return nn.losses.cross_entropy(model(x), y, reduction="mean")


loss_and_grad = nn.value_and_grad(model, loss_fn)
optimizer = optim.Adam(learning_rate=3e-3)
state = [model.state, optimizer.state]


@partial(mx.compile, inputs=state, outputs=state)
def train_step(x, y):
    loss, grads = loss_and_grad(x, y)
    optimizer.update(model, grads)
    return loss


offsets = mx.arange(context, dtype=mx.int32)


def batch():
    starts = mx.random.randint(0, data.size - context - 1, (batch_size, 1), dtype=mx.int32)
    idx = starts + offsets
    return data[idx], data[idx + 1]


recent = []
for step in range(steps):
    x, y = batch()
    loss = train_step(x, y)
    mx.eval(state)
    recent = recent[-19:] + [loss.item()]
print(f"vocabulary {len(vocab)}, mean loss over the last 20 steps {sum(recent) / len(recent):.3f}")
