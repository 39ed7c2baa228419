// einsum and einsumPath: Einstein summation as a composite, as MLX builds
// it. Repeated labels in one operand take a diagonal, labels no one else
// needs are summed first, then pairs are contracted as batched matrix
// products in a greedy order (each step the pair with the smallest result).
import { type ArrayLike, MxArray } from '../array.js';
import { MxError } from '../errors.js';
import { asArray } from '../node.js';
import { checkStream, type StreamOrDevice } from '../device.js';
import { describe } from '../args.js';
import { broadcastTo, reshape, transpose } from './shape.js';
import { sum } from './reduce.js';
import { diagonal, matmul } from './linalg.js';

/** A dimension's label: a letter, or "..k" for the k-th dimension under an ellipsis. */
type Label = string;

interface Parsed {
  inputs: Label[][];
  output: Label[];
  sizes: Map<Label, number>;
}

const LETTER = /^[a-zA-Z]$/;

function labelsOf(term: string, ndim: number | undefined, ellipsisDims: number, where: string): Label[] {
  const parts = term.split('...');
  if (parts.length > 2) throw new MxError('einsum', 'subscripts', `${where} "${term}" has more than one ellipsis`);
  for (const ch of parts.join('')) if (!LETTER.test(ch)) throw new MxError('einsum', 'subscripts', `${where} "${term}" holds "${ch}"; labels are letters`);
  if (parts.length === 1) {
    if (ndim !== undefined && term.length !== ndim) throw new MxError('einsum', 'subscripts', `${where} "${term}" names ${term.length} dimensions of an operand of rank ${ndim}`);
    return [...term];
  }
  const [head, tail] = parts;
  const e = ndim === undefined ? ellipsisDims : ndim - head.length - tail.length;
  if (e < 0) throw new MxError('einsum', 'subscripts', `${where} "${term}" names more dimensions than the operand's ${ndim}`);
  const dots = Array.from({ length: e }, (_, i) => `..${ellipsisDims - e + i}`);
  return [...head, ...dots, ...tail];
}

function parse(subscripts: string, xs: MxArray[]): Parsed {
  if (typeof subscripts !== 'string') throw new MxError('einsum', 'subscripts', `expected a string, got ${describe(subscripts)}`);
  const text = subscripts.replace(/\s/g, '');
  const arrow = text.split('->');
  if (arrow.length > 2) throw new MxError('einsum', 'subscripts', `"${subscripts}" has more than one "->"`);
  const terms = arrow[0].split(',');
  if (terms.length !== xs.length) throw new MxError('einsum', 'operands', `"${subscripts}" names ${terms.length} operands, got ${xs.length}`);
  const ellipsisDims = Math.max(0, ...terms.map((t, i) => (t.includes('...') ? xs[i].ndim - t.replace('...', '').length : 0)));
  const inputs = terms.map((t, i) => labelsOf(t, xs[i].ndim, ellipsisDims, `operand ${i}`));
  const sizes = new Map<Label, number>();
  inputs.forEach((ls, i) =>
    ls.forEach((l, d) => {
      const n = xs[i].shape[d], had = sizes.get(l);
      if (had === undefined || had === 1) sizes.set(l, n);
      else if (n !== had && n !== 1) throw new MxError('einsum', 'operands', `label "${l.startsWith('..') ? '...' : l}" has sizes ${had} and ${n}`);
    }),
  );
  let output: Label[];
  if (arrow.length === 2) {
    output = labelsOf(arrow[1], undefined, ellipsisDims, 'the output');
    if (new Set(output).size !== output.length) throw new MxError('einsum', 'subscripts', `the output "${arrow[1]}" repeats a label`);
    for (const l of output) if (!sizes.has(l)) throw new MxError('einsum', 'subscripts', `the output's "${l}" is in no operand`);
  } else {
    // implicit output: the ellipsis, then the letters used once, in order
    const count = new Map<Label, number>();
    for (const l of inputs.flat()) count.set(l, (count.get(l) ?? 0) + 1);
    const dots = Array.from({ length: ellipsisDims }, (_, i) => `..${i}`);
    output = [...dots, ...[...count].filter(([l, c]) => c === 1 && !l.startsWith('..')).map(([l]) => l).sort()];
  }
  return { inputs, output, sizes };
}

interface Operand {
  x: MxArray;
  labels: Label[];
}

const sizeOf = (labels: Label[], sizes: Map<Label, number>) => labels.reduce((p, l) => p * sizes.get(l)!, 1);

// Diagonals of repeated labels, broadcast size-1 dimensions, and labels that
// no other operand and not the output need summed away.
function prepare(op: Operand, others: Label[][], output: Label[], sizes: Map<Label, number>): Operand {
  let { x, labels } = op;
  for (;;) {
    const p = labels.findIndex((l, i) => labels.indexOf(l) !== i);
    if (p < 0) break;
    const first = labels.indexOf(labels[p]);
    x = diagonal(x, 0, first, p);
    labels = [...labels.filter((_, i) => i !== first && i !== p), labels[p]];
  }
  const full = labels.map((l) => sizes.get(l)!);
  if (full.join() !== x.shape.join()) x = broadcastTo(x, full);
  const needed = new Set([...output, ...others.flat()]);
  const drop = labels.flatMap((l, i) => (needed.has(l) ? [] : [i]));
  if (drop.length) {
    x = sum(x, drop);
    labels = labels.filter((_, i) => !drop.includes(i));
  }
  return { x, labels };
}

// The labels a contraction of a and b keeps: those the output or another operand needs.
function kept(a: Label[], b: Label[], rest: Label[][], output: Label[]): Label[] {
  const needed = new Set([...output, ...rest.flat()]);
  return [...new Set([...a, ...b])].filter((l) => needed.has(l));
}

function contract(a: Operand, b: Operand, keep: Label[], sizes: Map<Label, number>): Operand {
  const batch = keep.filter((l) => a.labels.includes(l) && b.labels.includes(l));
  const aOnly = keep.filter((l) => a.labels.includes(l) && !b.labels.includes(l));
  const bOnly = keep.filter((l) => b.labels.includes(l) && !a.labels.includes(l));
  const inner = a.labels.filter((l) => b.labels.includes(l) && !keep.includes(l));
  const order = (o: Operand, ls: Label[]) => transpose(o.x, ls.map((l) => o.labels.indexOf(l)));
  const n = (ls: Label[]) => sizeOf(ls, sizes);
  const x = reshape(order(a, [...batch, ...aOnly, ...inner]), [n(batch), n(aOnly), n(inner)]);
  const y = reshape(order(b, [...batch, ...inner, ...bOnly]), [n(batch), n(inner), n(bOnly)]);
  const labels = [...batch, ...aOnly, ...bOnly];
  return { x: reshape(matmul(x, y), labels.map((l) => sizes.get(l)!)), labels };
}

// The greedy order: each step contracts the pair whose result is smallest
// (positions in the current list; the result goes to its end).
function plan(inputs: Label[][], output: Label[], sizes: Map<Label, number>): Array<[number, number]> {
  const list = inputs.map((l) => [...l]);
  const path: Array<[number, number]> = [];
  while (list.length > 1) {
    let best: [number, number] = [0, 1], cost = Infinity;
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const c = sizeOf(kept(list[i], list[j], list.filter((_, k) => k !== i && k !== j), output), sizes);
        if (c < cost) [best, cost] = [[i, j], c];
      }
    const [i, j] = best;
    const result = kept(list[i], list[j], list.filter((_, k) => k !== i && k !== j), output);
    list.splice(j, 1);
    list.splice(i, 1);
    list.push(result);
    path.push(best);
  }
  return path;
}

function operandsOf(op: string, operands: ArrayLike[]): MxArray[] {
  if (!operands.length) throw new MxError(op, 'operands', 'at least one operand is needed');
  return operands.map((v, i) => asArray(v, undefined, op, `operands[${i}]`));
}

/** einsum(subscripts, ...operands), as MLX's (and NumPy's) einsum. */
export function einsum(subscripts: string, ...operands: Array<ArrayLike | StreamOrDevice>): MxArray {
  const last = operands[operands.length - 1];
  const stream = last !== undefined && !(last instanceof MxArray) && typeof last === 'object' && !Array.isArray(last) ? (operands.pop() as StreamOrDevice) : undefined;
  checkStream('einsum', stream);
  const xs = operandsOf('einsum', operands as ArrayLike[]);
  const { inputs, output, sizes } = parse(subscripts, xs);
  let list: Operand[] = xs.map((x, i) => prepare({ x, labels: inputs[i] }, inputs.filter((_, k) => k !== i), output, sizes));
  for (const [i, j] of plan(list.map((o) => o.labels), output, sizes)) {
    const rest = list.filter((_, k) => k !== i && k !== j);
    const c = contract(list[i], list[j], kept(list[i].labels, list[j].labels, rest.map((o) => o.labels), output), sizes);
    list = [...rest, c];
  }
  const [r] = list;
  return transpose(r.x, output.map((l) => r.labels.indexOf(l)));
}

/**
 * einsumPath(subscripts, ...operands): [path, description], the contraction
 * order einsum takes (pairs of positions in the list of operands left, the
 * result going to its end) and a summary of its cost.
 */
export function einsumPath(subscripts: string, ...operands: ArrayLike[]): [number[][], string] {
  const xs = operandsOf('einsumPath', operands);
  const { inputs, output, sizes } = parse(subscripts, xs);
  const path: number[][] = xs.length === 1 ? [[0]] : plan(inputs, output, sizes);
  const all = [...sizes.keys()];
  const naive = sizeOf(all, sizes);
  let optimized = 0, list = inputs.map((l) => [...l]);
  for (const step of path.filter((p) => p.length === 2)) {
    const [i, j] = step;
    const rest = list.filter((_, k) => k !== i && k !== j);
    optimized += sizeOf([...new Set([...list[i], ...list[j]])], sizes);
    list = [...rest, kept(list[i], list[j], rest, output)];
  }
  const name = (ls: Label[]) => ls.map((l) => (l.startsWith('..') ? '' : l)).join('');
  const text = [
    `  Complete contraction:  ${inputs.map(name).join(',')}->${name(output)}`,
    `         Naive scaling:  ${all.length}`,
    `      Naive FLOP count:  ${naive * Math.max(1, xs.length)}`,
    `  Optimized FLOP count:  ${optimized || naive}`,
    `   Path:  ${JSON.stringify(path)}`,
  ].join('\n');
  return [path, text];
}
