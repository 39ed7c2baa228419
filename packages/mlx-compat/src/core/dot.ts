// exportToDot: the lazy graph behind some arrays in Graphviz's DOT language,
// as MLX's export_to_dot writes it: a box per op, an ellipse per array
// (labelled with its shape and dtype), edges from inputs through ops to outputs.
import { writeFileSync } from 'node:fs';
import { MxArray, type Value } from './array.js';
import { MxError } from './errors.js';
import { describe } from './args.js';
import { walk } from './transforms/walk.js';

type Sink = string | { write(text: string): unknown };

/**
 * exportToDot(file, ...arrays): writes the graph that computes the arrays
 * (lists and records of them too; a record's keys name its arrays) to a path
 * or to anything with a write(text) method.
 */
export function exportToDot(file: Sink, ...arrays: unknown[]): void {
  const named = new Map<Value, string>();
  const outputs: Value[] = [];
  const collect = (v: unknown, name?: string): void => {
    if (v instanceof MxArray) {
      outputs.push(v._v);
      if (name) named.set(v._v, name);
    } else if (Array.isArray(v)) v.forEach((x) => collect(x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) collect(x, k);
    else throw new MxError('exportToDot', 'arrays', `expected arrays (or lists and records of them), got ${describe(v)}`);
  };
  arrays.forEach((a) => collect(a));
  const { order } = walk(outputs, () => false);
  const ids = new Map<Value, string>();
  const lines = ['digraph {'];
  const arrayNode = (v: Value): string => {
    let id = ids.get(v);
    if (!id) {
      id = `a${v.id}`;
      ids.set(v, id);
      const label = `${named.get(v) ?? ''}${named.has(v) ? ' ' : ''}(${v.shape.join(',')}) ${v.dtype.name}`;
      lines.push(`  ${id} [label="${label}", shape=ellipse];`);
    }
    return id;
  };
  for (const node of order) {
    lines.push(`  n${node.id} [label="${node.op}", shape=box];`);
    for (const input of node.inputs) lines.push(`  ${arrayNode(input)} -> n${node.id};`);
    for (const out of node.values) if (out) lines.push(`  n${node.id} -> ${arrayNode(out)};`);
  }
  for (const v of outputs) arrayNode(v);
  lines.push('}');
  const text = lines.join('\n') + '\n';
  if (typeof file === 'string') writeFileSync(file, text);
  else if (file && typeof file.write === 'function') file.write(text);
  else throw new MxError('exportToDot', 'file', `expected a path or an object with write(text), got ${describe(file)}`);
}
