// A long training-like loop through the facade (default 100,000 steps): a
// linear model's loss and gradient, an update kept in native memory, a
// compiled step every tenth step, and a mistaken call caught every hundredth.
// Memory must stay within a bound: the engine's live arrays return to what
// they were after the warm-up (a tenth of the loop), and the process's
// resident set grows by at most MAX_GROWTH_MB (default 128) after it.
// Prints the resident set and the JavaScript heap (after a collection) every
// tenth of the loop on stderr, and a JSON summary as stdout's last line, with
// the peak resident set (the kernel's high-water mark, or the largest of
// those samples) and the duration.
//   node scripts/soak-facade.mjs [STEPS] [MAX_GROWTH_MB]
import mlx, { MxError } from 'mlx-compat';

const mx = mlx.core;
const steps = Number(process.argv[2] ?? 100000);
const maxGrowth = Number(process.argv[3] ?? 128) * 2 ** 20;

const x = mx.array(Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i), 1]));
const y = mx.array(Array.from({ length: 64 }, (_, i) => 2 * Math.sin(i) - Math.cos(i) + 0.5));
const loss = (w) => mx.mean(mx.square(mx.subtract(mx.matmul(x, w), y)));
const lossAndGrad = mx.valueAndGrad(loss);
const compiled = mx.compile((w) => mx.subtract(w, mx.multiply(mx.grad(loss)(w), 0.1)));
let w = mx.zeros([3]);
const MB = 2 ** 20;
const t0 = performance.now();
let warm = { rss: 0, active: 0 };
let peak = process.resourceUsage().maxRSS * 1024;
let last = NaN;
let mistakes = 0;
for (let i = 0; i < steps; i++) {
  const next = mx.tidy(() => {
    if (i % 10 === 9) return compiled(w);
    const [l, g] = lossAndGrad(w);
    if (i % 1000 === 0) last = l.item();
    return mx.subtract(w, mx.multiply(g, 0.1));
  });
  mx.eval(next);
  mx.dispose(w);
  w = next;
  if (i % 100 === 0) {
    try {
      mx.add(w, mx.zeros([5]));
    } catch (e) {
      if (!(e instanceof MxError)) throw e;
      mistakes++;
    }
  }
  if (i + 1 === Math.floor(steps / 10)) {
    globalThis.gc?.();
    warm = { rss: process.memoryUsage().rss, active: mx.getActiveMemory() };
  }
  if ((i + 1) % Math.max(1, Math.floor(steps / 10)) === 0) {
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    peak = Math.max(peak, rss);
    const growth = warm.rss ? `, ${((rss - warm.rss) / MB).toFixed(1)} MB over the warm-up's (bound ${maxGrowth / MB} MB)` : ' (warm-up)';
    console.error(`step ${i + 1}: resident set ${(rss / MB).toFixed(1)} MB${growth}, JavaScript heap ${(heapUsed / MB).toFixed(1)} MB, engine active ${mx.getActiveMemory()} bytes, ${((performance.now() - t0) / 1e3).toFixed(1)} s`);
  }
}
globalThis.gc?.();
const end = { rss: process.memoryUsage().rss, active: mx.getActiveMemory() };
const result = {
  steps,
  loss: last,
  weights: w.tolist(),
  mistakes,
  rssWarmMB: warm.rss / MB,
  rssEndMB: end.rss / MB,
  rssPeakMB: Math.max(peak, process.resourceUsage().maxRSS * 1024) / MB,
  boundMB: maxGrowth / MB,
  seconds: (performance.now() - t0) / 1e3,
  activeWarm: warm.active,
  activeEnd: end.active,
};
const ok = end.rss - warm.rss <= maxGrowth && end.active <= warm.active && mistakes === Math.ceil(steps / 100);
console.log(JSON.stringify({ ok, ...result }));
process.exit(ok ? 0 : 1);
