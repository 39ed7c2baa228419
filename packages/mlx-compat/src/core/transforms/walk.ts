// The graph behind some values, for the transforms that rewrite it.
import type { GraphNode, Value } from '../array.js';

/**
 * The nodes reachable from `outputs` without passing a value where `stop`
 * holds, inputs before the nodes that use them, and the values of each node
 * that the walk met. Each node is expanded once, however many paths lead to it.
 */
export function walk(outputs: Value[], stop: (v: Value) => boolean, inputsOf: (n: GraphNode) => Value[] = (n) => n.inputs) {
  const order: GraphNode[] = [];
  const outputsOf = new Map<GraphNode, Value[]>();
  const state = new Map<GraphNode, 'open' | 'done'>();
  const stack: Array<[Value, boolean]> = outputs.map((v) => [v, false]);
  while (stack.length) {
    const [v, expanded] = stack.pop()!;
    const node = v.node;
    if (!node || stop(v)) continue;
    const seen = outputsOf.get(node) ?? [];
    if (!seen.includes(v)) outputsOf.set(node, [...seen, v]);
    if (expanded) {
      if (state.get(node) !== 'done') {
        state.set(node, 'done');
        order.push(node);
      }
      continue;
    }
    if (state.has(node)) continue;
    state.set(node, 'open');
    stack.push([v, true]);
    for (const input of inputsOf(node)) stack.push([input, false]);
  }
  return { order, outputsOf };
}
