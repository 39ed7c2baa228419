// An MLP classifier on three interleaved spirals (300 points, 2-D), trained
// with Adam. The MLX Python original is mlp_classifier.py beside this file.
import mlx from 'mlx-compat';

const { core: mx, nn, optimizers: optim } = mlx;

// Three spiral arms; a fixed wobble stands in for noise, so runs repeat exactly.
function spirals(perClass = 100, classes = 3) {
  const points = [], labels = [];
  for (let c = 0; c < classes; c++)
    for (let i = 0; i < perClass; i++) {
      const r = (i + 1) / perClass;
      const t = (c * 2 * Math.PI) / classes + 4 * r + 0.2 * Math.sin(i * 12.9898 + c * 78.233);
      points.push([r * Math.sin(t), r * Math.cos(t)]);
      labels.push(c);
    }
  return [mx.array(points), mx.array(labels, mx.int32)];
}

class MLP extends nn.Module {
  constructor(inDims, hidden, outDims) {
    super();
    this.layers = [new nn.Linear(inDims, hidden), new nn.Linear(hidden, hidden), new nn.Linear(hidden, outDims)];
  }
  forward(x) {
    for (const l of this.layers.slice(0, -1)) x = nn.relu(l.forward(x));
    return this.layers[this.layers.length - 1].forward(x);
  }
}

mx.random.seed(0);
const [X, y] = spirals();
const model = new MLP(2, 64, 3);
const lossFn = (x, t) => nn.losses.crossEntropy(model.forward(x), t, undefined, -1, 0, 'mean');
const lossAndGrad = nn.valueAndGrad(model, lossFn);
const optimizer = new optim.Adam(0.01);

let loss;
for (let step = 0; step < 400; step++) {
  const [l, grads] = lossAndGrad(X, y);
  optimizer.update(model, grads);
  mx.eval(model.parameters(), optimizer.state, l);
  loss = l;
}
const accuracy = mx.mean(mx.equal(mx.argmax(model.forward(X), 1), y)).item();
console.log(`loss ${loss.item().toFixed(4)} accuracy ${accuracy.toFixed(3)}`);
