// Port of MLX's examples/python/logistic_regression.py.
import { core as mx } from 'mlx-compat';

const numFeatures = 100;
const numExamples = 1000;
const numIters = 100;
const lr = 0.1;

const wStar = mx.random.normal([numFeatures]);
const X = mx.random.normal([numExamples, numFeatures]);
const y = mx.greater(mx.matmul(X, wStar), 0);

let w = mx.multiply(1e-2, mx.random.normal([numFeatures]));

const lossFn = (w: mx.array): mx.array => {
  const logits = mx.matmul(X, w);
  return mx.mean(mx.subtract(mx.logaddexp(0.0, logits), mx.multiply(y, logits)));
};

const gradFn = mx.grad(lossFn);
for (let i = 0; i < numIters; i++) {
  const grad = gradFn(w);
  w = mx.subtract(w, mx.multiply(lr, grad));
  mx.eval(w);
}

const loss = lossFn(w);
const acc = mx.mean(mx.equal(mx.greater(mx.matmul(X, w), 0), y));
console.log(`Loss ${loss.item()}, Accuracy ${acc.item()}`);
