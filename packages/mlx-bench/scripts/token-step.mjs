// Where a decoding step of examples/llama_generate.mjs spends its time
// outside the kernels, per token: building the graph (the model's forward,
// take, argmax), the JavaScript side of mx.eval, the engine call minus the
// engine's own elapsed time, and reading the token and logits. With
// --against DIR (another checkout, built), that tree's facade runs in this
// process too, with its own model, in alternated blocks: the host moves
// every figure by up to 2x within minutes, so only the per-block ratios of
// the two mean much. Prints the medians over blocks.
//   node packages/mlx-bench/scripts/token-step.mjs [--blocks 40] [--against /path/to/checkout]
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const here = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const trees = { this: here };
if (arg('--against')) trees.other = resolve(arg('--against'));
const BLOCKS = Number(arg('--blocks', 40)), TOKENS = 20, RESTART = 400;

async function load(root) {
  const url = (p) => pathToFileURL(join(root, p)).href;
  const koffi = (await import(url('node_modules/koffi/index.js'))).default;
  // two trees' bridges declare the same struct in one koffi
  const struct = koffi.struct;
  koffi.struct = (...a) => {
    try {
      return struct(...a);
    } catch (e) {
      if (!/Duplicate/.test(e.message)) throw e;
    }
  };
  const mx = (await import(url('packages/mlx-compat/dist/index.js'))).default.core;
  const { Session } = await import(url('packages/mlx-capi-bridge/dist/index.js'));
  const example = await import(url('packages/mlx-compat/examples/llama_generate.mjs'));
  const side = { mx, call: 0, engine: 0 };
  for (const m of ['evalText', 'runCompact']) {
    const original = Session.prototype[m];
    Session.prototype[m] = function (...a) {
      const t0 = performance.now();
      const r = original.apply(this, a);
      side.call += performance.now() - t0;
      side.engine += r.receipt ? r.receipt.elapsed_ms : r.elapsed_ms;
      return r;
    };
  }
  side.model = example.makeModel(0);
  side.prompt = Array.from({ length: 16 }, (_, i) => (i * 37) % example.config.vocab);
  return side;
}

function restart(s) {
  [s.logits, s.caches] = s.model.forward(s.mx.array([s.prompt], s.mx.int32));
  s.position = 0;
}

// One block of decoding steps; each phase in ms a token.
function block(s) {
  const { mx } = s;
  if (s.position >= RESTART) restart(s);
  const t = { build: 0, evalJs: 0, callOutsideEngine: 0, reading: 0, engine: 0, token: 0 };
  const call0 = s.call, engine0 = s.engine, start = performance.now();
  for (let k = 0; k < TOKENS; k++, s.position++) {
    const t0 = performance.now();
    const last = mx.take(s.logits, mx.array(s.logits.shape[1] - 1, mx.int32), 1);
    const token = mx.argmax(last, -1);
    const t1 = performance.now(), c1 = s.call;
    mx.eval(token, s.caches);
    const t2 = performance.now();
    t.evalJs += t2 - t1 - (s.call - c1);
    const next = token.item();
    Array.from(last.toTypedArray());
    const t3 = performance.now();
    t.reading += t3 - t2;
    [s.logits, s.caches] = s.model.forward(mx.array([[next]], mx.int32), s.caches);
    t.build += t1 - t0 + (performance.now() - t3);
  }
  t.token = performance.now() - start;
  t.engine = s.engine - engine0;
  t.callOutsideEngine = s.call - call0 - t.engine;
  for (const k in t) t[k] /= TOKENS;
  t.js = t.build + t.evalJs + t.callOutsideEngine + t.reading;
  return t;
}

const sides = {};
for (const [name, root] of Object.entries(trees)) sides[name] = await load(root);
for (const s of Object.values(sides)) {
  restart(s);
  block(s);
}
const rows = Object.fromEntries(Object.keys(sides).map((n) => [n, []]));
const names = Object.keys(sides);
for (let b = 0; b < BLOCKS; b++) for (const n of b % 2 ? [...names].reverse() : names) rows[n].push(block(sides[n]));
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const n of names) {
  const m = (k) => median(rows[n].map((r) => r[k])).toFixed(3);
  console.log(
    `${n} (${trees[n]}): build ${m('build')}, eval JS side ${m('evalJs')}, call outside the engine ${m('callOutsideEngine')}, reading ${m('reading')}; ` +
      `JS and bridge ${m('js')}; engine ${m('engine')}; token ${m('token')} ms`,
  );
}
if (rows.other) {
  const ratio = (k) => median(rows.this.map((r, i) => r[k] / rows.other[i][k])).toFixed(3);
  console.log(`this/other, median of per-block ratios: JS and bridge ${ratio('js')}, token ${ratio('token')}`);
}
