import { PerformanceObserver } from 'node:perf_hooks';
import mlx from './packages/mlx-compat/dist/index.js';
const mx = mlx.core;
const gcs = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) gcs.push([e.startTime, e.duration, e.detail?.kind]); }).observe({ entryTypes: ['gc'] });
const a = mx.random.normal([1024, 1024]); mx.eval(a);
const products = (k) => { let y = a; for (let i = 0; i < k; i++) y = mx.matmul(y, a); return mx.sum(y); };
for (let round = 0; round < 6; round++) {
  global.gc?.(); await new Promise((r) => setTimeout(r, 200));
  gcs.length = 0;
  const late = [];
  let last = performance.now();
  const t = setInterval(() => { const now = performance.now(); if (now - last > 3) late.push([last.toFixed(1), (now - last).toFixed(1)]); last = now; }, 1);
  const t0 = performance.now();
  const p = mx.asyncEval(products(12));
  const t1 = performance.now();
  await p;
  const t2 = performance.now();
  clearInterval(t);
  console.log(`round ${round}: call ${(t1 - t0).toFixed(2)} ms, total ${(t2 - t0).toFixed(0)} ms, start ${t0.toFixed(1)}; gaps>3ms:`, JSON.stringify(late), 'gcs:', JSON.stringify(gcs.map(g => g.map(x => typeof x === 'number' ? +x.toFixed(1) : x))));
}
