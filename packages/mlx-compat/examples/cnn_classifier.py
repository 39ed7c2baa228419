# The MLX Python original of cnn_classifier.mjs: a small CNN (two
# convolutions with max pooling, then a linear layer) classifying 12x12
# images of four kinds of stroke over a texture, drawn here, trained with
# Adam on 256 images and scored on 128 others.
import math

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim

SIZE = 12


def strokes(start, count):
    images, labels = [], []
    for i in range(start, start + count):
        c, r, s, length = i % 4, 2 + (i * 7) % 8, 1 + (i * 5) % 4, 4 + (i * 3) % 4
        img = [[[math.sin(x * 3.1 + y * 1.7 + i * i)] for x in range(SIZE)] for y in range(SIZE)]
        for k in range(length):
            y, x = [(r, s + k), (s + k, r), (s + k, s + k), (s + k, SIZE - 1 - s - k)][c]
            img[y][x][0] = 1
        images.append(img)
        labels.append(c)
    return mx.array(images), mx.array(labels, mx.int32)


class CNN(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1, 1)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(16 * 3 * 3, classes)

    def __call__(self, x):
        x = self.pool(nn.relu(self.conv1(x)))
        x = self.pool(nn.relu(self.conv2(x)))
        return self.head(x.reshape(x.shape[0], -1))


mx.random.seed(0)
X, y = strokes(0, 256)
X_test, y_test = strokes(256, 128)
model = CNN(4)


def loss_fn(x, t):
    return nn.losses.cross_entropy(model(x), t, reduction="mean")


loss_and_grad = nn.value_and_grad(model, loss_fn)
optimizer = optim.Adam(learning_rate=0.01)

first = loss_fn(X, y).item()
for step in range(20):
    loss, grads = loss_and_grad(X, y)
    optimizer.update(model, grads)
    mx.eval(model.parameters(), optimizer.state, loss)
accuracy = mx.mean(mx.argmax(model(X_test), axis=1) == y_test).item()
print(f"first loss {first:.4f} last loss {loss.item():.4f} test accuracy {accuracy:.3f}")
