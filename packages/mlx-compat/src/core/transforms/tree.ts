// Trees of arrays (nested lists and plain objects): their array leaves in
// order, and the same tree rebuilt with other leaves.
import { MxArray } from '../array.js';

export function leaves(tree: unknown, out: MxArray[] = []): MxArray[] {
  if (tree instanceof MxArray) out.push(tree);
  else if (Array.isArray(tree)) tree.forEach((t) => leaves(t, out));
  else if (tree && typeof tree === 'object' && !ArrayBuffer.isView(tree)) Object.values(tree).forEach((t) => leaves(t, out));
  return out;
}

/** The tree with its array leaves replaced, in order, by `values`. */
export function rebuild(tree: unknown, values: MxArray[]): unknown {
  let i = 0;
  const walk = (t: unknown): unknown => {
    if (t instanceof MxArray) return values[i++];
    if (Array.isArray(t)) return t.map(walk);
    if (t && typeof t === 'object' && !ArrayBuffer.isView(t)) return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, walk(v)]));
    return t;
  };
  return walk(tree);
}

type Container = { [key: string | number]: unknown };

/** Where each array leaf sits, as [container, key] pairs in the order leaves() lists them. */
export function leafSlots(tree: unknown, out: Array<[Container, string | number]> = []): Array<[Container, string | number]> {
  if (Array.isArray(tree)) tree.forEach((t, i) => (t instanceof MxArray ? out.push([tree as unknown as Container, i]) : leafSlots(t, out)));
  else if (tree && typeof tree === 'object' && !(tree instanceof MxArray) && !ArrayBuffer.isView(tree))
    for (const [k, t] of Object.entries(tree)) {
      if (t instanceof MxArray) out.push([tree as Container, k]);
      else leafSlots(t, out);
    }
  return out;
}
