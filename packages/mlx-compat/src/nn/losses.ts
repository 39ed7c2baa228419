// mlx.nn.losses: MLX's loss functions, their arguments, defaults and
// reductions ('none', 'mean', 'sum').
import {
  type ArrayLike, MxArray, MxError, abs, clip, exp, log, logaddexp, logsumexp, maximum, minimum, power, sqrt, square, sum, takeAlongAxis, where, less,
} from './ops.js';
import { asArray } from '../core/node.js';

export type Reduction = 'none' | 'mean' | 'sum';

function reduce(op: string, loss: MxArray, reduction: Reduction): MxArray {
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  if (reduction === 'none') return loss;
  throw new MxError(op, 'reduction', `"${reduction}" is not one of 'none', 'mean', 'sum'`);
}

function sameShapes(op: string, a: MxArray, b: MxArray, names: [string, string]): void {
  if (a.shape.join() !== b.shape.join()) throw new MxError(op, names[1], `shape (${b.shape}) differs from ${names[0]}'s (${a.shape})`);
}

function applyWeights(op: string, loss: MxArray, weights: ArrayLike | undefined): MxArray {
  if (weights === undefined || weights === null) return loss;
  const w = asArray(weights);
  if (w.shape.join() !== loss.shape.join()) throw new MxError(op, 'weights', `shape (${w.shape}) differs from the loss's (${loss.shape})`);
  return loss.multiply(w);
}

const normAxis = (axis: number, ndim: number) => (axis < 0 ? axis + ndim : axis);

/** crossEntropy(logits, targets, weights?, axis = -1, labelSmoothing = 0, reduction = 'none'): targets are class indices or probabilities. */
export function crossEntropy(logits: ArrayLike, targets: ArrayLike, weights?: ArrayLike, axis = -1, labelSmoothing = 0.0, reduction: Reduction = 'none'): MxArray {
  const op = 'crossEntropy';
  const x = asArray(logits), t = asArray(targets);
  if (labelSmoothing < 0 || labelSmoothing >= 1) throw new MxError(op, 'labelSmoothing', `must be in [0, 1), got ${labelSmoothing}`);
  const ax = normAxis(axis, x.ndim);
  const asProbs = t.ndim === x.ndim;
  if (asProbs && t.shape[ax] !== x.shape[ax]) throw new MxError(op, 'targets', `targets of shape (${t.shape}) as probabilities must match the logits' (${x.shape}) along axis ${axis}`);
  if (!asProbs && t.shape.join() !== x.shape.filter((_, i) => i !== ax).join())
    throw new MxError(op, 'targets', `class indices of shape (${t.shape}) must have the logits' shape (${x.shape}) without axis ${axis}`);
  const score = asProbs ? sum(x.multiply(t), ax) : takeAlongAxis(x, t.reshape(...t.shape.slice(0, ax), 1, ...t.shape.slice(ax)), ax).squeeze(ax);
  const lse = logsumexp(x, ax);
  let loss: MxArray;
  if (labelSmoothing > 0) {
    const smoothed = x.mean(ax).multiply(-labelSmoothing);
    loss = lse.subtract(score.multiply(1 - labelSmoothing)).add(smoothed);
  } else loss = lse.subtract(score);
  return reduce(op, applyWeights(op, loss, weights), reduction);
}

/** binaryCrossEntropy(inputs, targets, weights?, withLogits = true, reduction = 'mean'). */
export function binaryCrossEntropy(inputs: ArrayLike, targets: ArrayLike, weights?: ArrayLike, withLogits = true, reduction: Reduction = 'mean'): MxArray {
  const op = 'binaryCrossEntropy';
  const x = asArray(inputs), t = asArray(targets);
  sameShapes(op, x, t, ['inputs', 'targets']);
  let loss: MxArray;
  if (withLogits) loss = logaddexp(0, x).subtract(x.multiply(t));
  else {
    const logP = clip(log(x), -100, null), log1mP = clip(log(x.multiply(-1).add(1)), -100, null);
    loss = t.multiply(logP).add(t.multiply(-1).add(1).multiply(log1mP)).multiply(-1);
  }
  return reduce(op, applyWeights(op, loss, weights), reduction);
}

/** l1Loss(predictions, targets, reduction = 'mean'): |p - t|. */
export function l1Loss(predictions: ArrayLike, targets: ArrayLike, reduction: Reduction = 'mean'): MxArray {
  const p = asArray(predictions), t = asArray(targets);
  sameShapes('l1Loss', p, t, ['predictions', 'targets']);
  return reduce('l1Loss', abs(p.subtract(t)), reduction);
}

/** mseLoss(predictions, targets, reduction = 'mean'): (p - t)^2. */
export function mseLoss(predictions: ArrayLike, targets: ArrayLike, reduction: Reduction = 'mean'): MxArray {
  const p = asArray(predictions), t = asArray(targets);
  sameShapes('mseLoss', p, t, ['predictions', 'targets']);
  return reduce('mseLoss', square(p.subtract(t)), reduction);
}

/** nllLoss(inputs, targets, axis = -1, reduction = 'none'): minus the log probability of each target class. */
export function nllLoss(inputs: ArrayLike, targets: ArrayLike, axis = -1, reduction: Reduction = 'none'): MxArray {
  const x = asArray(inputs), t = asArray(targets);
  const loss = takeAlongAxis(x, t.reshape(...t.shape, 1), axis).squeeze(-1).multiply(-1);
  return reduce('nllLoss', loss, reduction);
}

/** gaussianNllLoss(inputs, targets, vars, full = false, eps = 1e-6, reduction = 'mean'). */
export function gaussianNllLoss(inputs: ArrayLike, targets: ArrayLike, vars: ArrayLike, full = false, eps = 1e-6, reduction: Reduction = 'mean'): MxArray {
  const op = 'gaussianNllLoss';
  const x = asArray(inputs), t = asArray(targets), v = asArray(vars);
  sameShapes(op, x, t, ['inputs', 'targets']);
  sameShapes(op, x, v, ['inputs', 'vars']);
  const clipped = maximum(v, eps);
  let loss = log(clipped).add(square(t.subtract(x)).divide(clipped)).multiply(0.5);
  if (full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
  return reduce(op, loss, reduction);
}

/** klDivLoss(inputs, targets, axis = -1, reduction = 'none'): both as log probabilities. */
export function klDivLoss(inputs: ArrayLike, targets: ArrayLike, axis = -1, reduction: Reduction = 'none'): MxArray {
  const x = asArray(inputs), t = asArray(targets);
  return reduce('klDivLoss', sum(exp(t).multiply(t.subtract(x)), axis), reduction);
}

/** smoothL1Loss(predictions, targets, beta = 1, reduction = 'mean'). */
export function smoothL1Loss(predictions: ArrayLike, targets: ArrayLike, beta = 1.0, reduction: Reduction = 'mean'): MxArray {
  const p = asArray(predictions), t = asArray(targets);
  sameShapes('smoothL1Loss', p, t, ['predictions', 'targets']);
  const diff = abs(p.subtract(t));
  return reduce('smoothL1Loss', where(less(diff, beta), square(diff).multiply(0.5 / beta), diff.subtract(0.5 * beta)), reduction);
}

/** tripletLoss(anchors, positives, negatives, axis = -1, p = 2, margin = 1, eps = 1e-6, reduction = 'none'). */
export function tripletLoss(anchors: ArrayLike, positives: ArrayLike, negatives: ArrayLike, axis = -1, p = 2, margin = 1.0, eps = 1e-6, reduction: Reduction = 'none'): MxArray {
  const a = asArray(anchors);
  const dist = (o: ArrayLike) => sqrt(sum(power(a.subtract(o), p), axis).add(eps));
  return reduce('tripletLoss', maximum(dist(positives).subtract(dist(negatives)).add(margin), 0), reduction);
}

/** hingeLoss(inputs, targets, reduction = 'none'): max(1 - inputs * targets, 0). */
export function hingeLoss(inputs: ArrayLike, targets: ArrayLike, reduction: Reduction = 'none'): MxArray {
  return reduce('hingeLoss', maximum(asArray(inputs).multiply(targets).multiply(-1).add(1), 0), reduction);
}

/** huberLoss(inputs, targets, delta = 1, reduction = 'none'). */
export function huberLoss(inputs: ArrayLike, targets: ArrayLike, delta = 1.0, reduction: Reduction = 'none'): MxArray {
  const err = abs(asArray(inputs).subtract(targets));
  const quadratic = minimum(err, delta);
  return reduce('huberLoss', square(quadratic).multiply(0.5).add(err.subtract(quadratic).multiply(delta)), reduction);
}

/** logCoshLoss(inputs, targets, reduction = 'none'): log(cosh(inputs - targets)). */
export function logCoshLoss(inputs: ArrayLike, targets: ArrayLike, reduction: Reduction = 'none'): MxArray {
  const e = asArray(inputs).subtract(targets);
  return reduce('logCoshLoss', logaddexp(e, e.multiply(-1)).subtract(Math.log(2)), reduction);
}

/** cosineSimilarityLoss(x1, x2, axis = 1, eps = 1e-8, reduction = 'none'). */
export function cosineSimilarityLoss(x1: ArrayLike, x2: ArrayLike, axis = 1, eps = 1e-8, reduction: Reduction = 'none'): MxArray {
  const a = asArray(x1), b = asArray(x2);
  const norm = (x: MxArray) => sqrt(sum(square(x), axis));
  return reduce('cosineSimilarityLoss', sum(a.multiply(b), axis).divide(maximum(norm(a).multiply(norm(b)), eps)), reduction);
}

/** marginRankingLoss(inputs1, inputs2, targets, margin = 0, reduction = 'none'): max(0, -targets * (inputs1 - inputs2) + margin). */
export function marginRankingLoss(inputs1: ArrayLike, inputs2: ArrayLike, targets: ArrayLike, margin = 0.0, reduction: Reduction = 'none'): MxArray {
  const op = 'marginRankingLoss';
  const a = asArray(inputs1), b = asArray(inputs2), t = asArray(targets);
  sameShapes(op, a, b, ['inputs1', 'inputs2']);
  sameShapes(op, a, t, ['inputs1', 'targets']);
  return reduce(op, maximum(t.multiply(-1).multiply(a.subtract(b)).add(margin), 0), reduction);
}
