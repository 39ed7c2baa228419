// A two-layer MLP trained by hand (MLX's mlp example without mlx.nn):
// parameters as a tree, valueAndGrad over it, SGD.
import { core as mx } from 'mlx-compat';

interface Params {
  w1: mx.array;
  b1: mx.array;
  w2: mx.array;
  b2: mx.array;
}

const [inDim, hidden, outDim, batch] = [16, 32, 4, 64];
const X = mx.random.normal([batch, inDim]);
const labels = mx.random.randint(0, outDim, [batch]);

let params: Params = {
  w1: mx.multiply(mx.random.normal([inDim, hidden]), Math.sqrt(1 / inDim)),
  b1: mx.zeros([hidden]),
  w2: mx.multiply(mx.random.normal([hidden, outDim]), Math.sqrt(1 / hidden)),
  b2: mx.zeros([outDim]),
};

function forward(p: Params, x: mx.array): mx.array {
  const h = mx.maximum(mx.add(mx.matmul(x, p.w1), p.b1), 0);
  return mx.add(mx.matmul(h, p.w2), p.b2);
}

function loss(p: Params, x: mx.array, t: mx.array): mx.array {
  const logits = forward(p, x);
  const picked = mx.takeAlongAxis(logits, mx.expandDims(t, -1), -1);
  return mx.mean(mx.subtract(mx.logsumexp(logits, -1, true), picked));
}

const lossAndGrad = mx.valueAndGrad(loss);
for (let step = 0; step < 20; step++) {
  const [value, grads] = lossAndGrad(params, X, labels);
  params = {
    w1: mx.subtract(params.w1, mx.multiply(0.1, grads.w1)),
    b1: mx.subtract(params.b1, mx.multiply(0.1, grads.b1)),
    w2: mx.subtract(params.w2, mx.multiply(0.1, grads.w2)),
    b2: mx.subtract(params.b2, mx.multiply(0.1, grads.b2)),
  };
  mx.eval(params, value);
  if (step % 10 === 0) console.log(`step ${step}: loss ${value.item()}`);
}

const predict = mx.compile((x: mx.array) => mx.argmax(forward(params, x), -1));
const correct: mx.array = mx.equal(predict(X), labels);
console.log(`accuracy ${mx.mean(correct).item()}`);
