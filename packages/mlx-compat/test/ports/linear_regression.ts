// Port of MLX's examples/python/linear_regression.py, line by line.
import { core as mx } from 'mlx-compat';

const numFeatures = 100;
const numExamples = 1000;
const numIters = 10000 / 100;
const lr = 0.01;

const wStar = mx.random.normal([numFeatures]);
const X = mx.random.normal([numExamples, numFeatures]);
const eps = mx.multiply(1e-2, mx.random.normal([numExamples]));
const y = mx.add(mx.matmul(X, wStar), eps);

let w = mx.multiply(1e-2, mx.random.normal([numFeatures]));

function lossFn(w: mx.array): mx.array {
  return mx.multiply(0.5, mx.mean(mx.square(mx.subtract(mx.matmul(X, w), y))));
}

const gradFn = mx.grad(lossFn);

for (let i = 0; i < numIters; i++) {
  const grad = gradFn(w);
  w = mx.subtract(w, mx.multiply(lr, grad));
  mx.eval(w);
}

const loss = lossFn(w);
const errorNorm = mx.sqrt(mx.sum(mx.square(mx.subtract(w, wStar)))).item();
console.log(`Loss ${loss.item()}, |w-w*| = ${errorNorm}`);
