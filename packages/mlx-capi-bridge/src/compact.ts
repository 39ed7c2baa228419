// Reading the engine's compact reply without JSON.parse. The reply of a
// decoding step carries some 64 new handle names, which JSON.parse puts in
// V8's string table one by one (it interns short strings): 50-85 us a reply
// against 2-5 us for this scan. The engine writes the reply in one fixed
// form (respond_compact in native/capi/src/engine.cpp); anything else, an
// error or a refusal among them, is left to JSON.parse (undefined here).

/** The compact reply's fields, as the engine writes them. */
export interface RawCompact {
  outputs: Array<string | number>;
  types: number[];
  op_count: number;
  fused_groups: number;
  elapsed_ms: number;
}

const HEAD = '{"compact":{"outputs":[';
const TAIL = '},"schema_version":1,"status":"ok"}';
const [QUOTE, COMMA, CLOSE, ZERO, NINE] = [34, 44, 93, 48, 57];

/** The compact reply in `t`, or undefined when `t` is not one in the engine's form. */
export function scanCompact(t: string): RawCompact | undefined {
  if (!t.startsWith(HEAD) || !t.endsWith(TAIL)) return undefined;
  let at = HEAD.length;
  // a natural number at `at`, or -1
  const natural = (): number => {
    let n = 0;
    const from = at;
    for (let c = t.charCodeAt(at); c >= ZERO && c <= NINE; c = t.charCodeAt(++at)) n = n * 10 + (c - ZERO);
    return at === from ? -1 : n;
  };
  // the rest of a list of what `item` reads, after its "[" (false when malformed)
  const list = (item: () => boolean): boolean => {
    if (t.charCodeAt(at) === CLOSE) return ++at > 0;
    for (;;) {
      if (!item()) return false;
      const c = t.charCodeAt(at++);
      if (c === CLOSE) return true;
      if (c !== COMMA) return false;
    }
  };
  const field = (name: string): boolean => {
    if (!t.startsWith(name, at)) return false;
    at += name.length;
    return true;
  };
  const outputs: Array<string | number> = [];
  const types: number[] = [];
  const output = (): boolean => {
    if (t.charCodeAt(at) !== QUOTE) {
      const n = natural();
      outputs.push(n);
      return n >= 0;
    }
    const end = t.indexOf('"', at + 1);
    const name = end < 0 ? '' : t.slice(at + 1, end);
    if (!name || name.includes('\\')) return false;
    outputs.push(name);
    at = end + 1;
    return true;
  };
  const type = (): boolean => {
    const n = natural();
    types.push(n);
    return n >= 0;
  };
  if (!list(output) || !field(',"types":[') || !list(type) || !field(',"op_count":')) return undefined;
  const opCount = natural();
  if (opCount < 0 || !field(',"fused_groups":')) return undefined;
  const fused = natural();
  if (fused < 0 || !field(',"elapsed_ms":')) return undefined;
  const rest = t.slice(at, t.length - TAIL.length);
  const ms = Number(rest);
  if (rest === '' || rest.trim() !== rest || !(ms >= 0)) return undefined;
  return { outputs, types, op_count: opCount, fused_groups: fused, elapsed_ms: ms };
}
