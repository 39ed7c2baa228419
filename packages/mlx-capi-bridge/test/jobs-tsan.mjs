// The bridge's jobs from Node against a ThreadSanitizer build of the engine
// (scripts/native-tests.sh runs it with the TSan runtime preloaded and
// MLXCOMPAT_LIBRARY set): jobs run on libuv's threads while the main thread
// submits, joins and releases, on two sessions. Prints "jobs-tsan: ok" and
// exits 0 when every result held; TSan itself fails the run on a report.
import { Session } from '../dist/index.js';

const sessions = [new Session({ validate: false }), new Session({ validate: false })];
const request = (v) =>
  JSON.stringify({
    schema_version: 1,
    inputs: [{ id: 'v', dtype: 'float32', shape: [], data: v }],
    nodes: [
      { id: 'o', op: 'ones', attrs: { shape: [65536], dtype: 'float32' } },
      { id: 'a', op: 'multiply', inputs: ['o', 'v'] },
      { id: 's', op: 'sum', inputs: ['a'] },
    ],
    outputs: ['s', { ref: 'a', as: 'handle' }],
  });

let seed = 7;
const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const check = (res, v) => {
  if (res.outputs[0].array[0] !== v * 65536) throw new Error(`wrong sum ${res.outputs[0].array[0]} for ${v}`);
  return res.outputs[1].handle;
};

for (let round = 0; round < 6; round++) {
  const pending = [];
  for (let i = 0; i < 24; i++) {
    const s = sessions[i % 2];
    const v = Math.floor(next() * 100);
    const job = s.submit(request(v));
    pending.push(job.result.then((res) => s.releaseAfterJobs(check(res, v))));
    if (next() < 0.3) s.releaseAfterJobs(check(job.join(), v));
    if (next() < 0.2) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(pending);
}
for (const s of sessions) {
  if (s.handleCount() !== 0) throw new Error(`${s.handleCount()} handles left`);
  s.close();
}
console.log('jobs-tsan: ok');
