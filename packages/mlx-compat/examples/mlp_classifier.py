# The MLX Python original of mlp_classifier.mjs: an MLP classifier on three
# interleaved spirals (300 points, 2-D), trained with Adam.
import math

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim


def spirals(per_class=100, classes=3):
    points, labels = [], []
    for c in range(classes):
        for i in range(per_class):
            r = (i + 1) / per_class
            t = c * 2 * math.pi / classes + 4 * r + 0.2 * math.sin(i * 12.9898 + c * 78.233)
            points.append([r * math.sin(t), r * math.cos(t)])
            labels.append(c)
    return mx.array(points), mx.array(labels, mx.int32)


class MLP(nn.Module):
    def __init__(self, in_dims, hidden, out_dims):
        super().__init__()
        self.layers = [nn.Linear(in_dims, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, out_dims)]

    def __call__(self, x):
        for l in self.layers[:-1]:
            x = nn.relu(l(x))
        return self.layers[-1](x)


mx.random.seed(0)
X, y = spirals()
model = MLP(2, 64, 3)


def loss_fn(x, t):
    return nn.losses.cross_entropy(model(x), t, reduction="mean")


loss_and_grad = nn.value_and_grad(model, loss_fn)
optimizer = optim.Adam(learning_rate=0.01)

for step in range(400):
    loss, grads = loss_and_grad(X, y)
    optimizer.update(model, grads)
    mx.eval(model.parameters(), optimizer.state, loss)
accuracy = mx.mean(mx.argmax(model(X), axis=1) == y).item()
print(f"loss {loss.item():.4f} accuracy {accuracy:.3f}")
