// A small CNN (two convolutions with max pooling, then a linear layer)
// classifying 12x12 images of four kinds of stroke: horizontal, vertical,
// diagonal and anti-diagonal lines at varied places and lengths, over a
// texture as bright as the strokes. No download: the images are drawn here.
// Trained with Adam on 256 images, scored on 128 others. The MLX Python
// original is cnn_classifier.py beside this file.
import mlx from 'mlx-compat';

const { core: mx, nn, optimizers: optim } = mlx;
const SIZE = 12;

// Image i of class c: a stroke placed and sized by i, over a texture fixed by i, so runs repeat exactly.
function strokes(from, count) {
  const images = [], labels = [];
  for (let i = from; i < from + count; i++) {
    const c = i % 4, r = 2 + ((i * 7) % 8), s = 1 + ((i * 5) % 4), len = 4 + ((i * 3) % 4);
    const img = Array.from({ length: SIZE }, (_, y) => Array.from({ length: SIZE }, (_, x) => [Math.sin(x * 3.1 + y * 1.7 + i * i)]));
    for (let k = 0; k < len; k++) {
      const [y, x] = [[r, s + k], [s + k, r], [s + k, s + k], [s + k, SIZE - 1 - s - k]][c];
      img[y][x][0] = 1;
    }
    images.push(img);
    labels.push(c);
  }
  return [mx.array(images), mx.array(labels, mx.int32)];
}

class CNN extends nn.Module {
  constructor(classes) {
    super();
    this.conv1 = new nn.Conv2d(1, 8, 3, 1, 1);
    this.conv2 = new nn.Conv2d(8, 16, 3, 1, 1);
    this.pool = new nn.MaxPool2d(2);
    this.head = new nn.Linear(16 * 3 * 3, classes);
  }
  forward(x) {
    x = this.pool.forward(nn.relu(this.conv1.forward(x)));
    x = this.pool.forward(nn.relu(this.conv2.forward(x)));
    return this.head.forward(mx.reshape(x, [x.shape[0], -1]));
  }
}

mx.random.seed(0);
const [X, y] = strokes(0, 256), [Xtest, ytest] = strokes(256, 128);
const model = new CNN(4);
const lossFn = (x, t) => nn.losses.crossEntropy(model.forward(x), t, undefined, -1, 0, 'mean');
const lossAndGrad = nn.valueAndGrad(model, lossFn);
const optimizer = new optim.Adam(0.01);

const first = lossFn(X, y).item();
let loss;
for (let step = 0; step < 20; step++) {
  const [l, grads] = lossAndGrad(X, y);
  optimizer.update(model, grads);
  mx.eval(model.parameters(), optimizer.state, l);
  loss = l;
}
const accuracy = mx.mean(mx.equal(mx.argmax(model.forward(Xtest), 1), ytest)).item();
console.log(`first loss ${first.toFixed(4)} last loss ${loss.item().toFixed(4)} test accuracy ${accuracy.toFixed(3)}`);
