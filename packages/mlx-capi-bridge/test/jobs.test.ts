// Jobs: requests queued on a session that run off the event loop, in the
// order submitted, settle as promises, and can be joined synchronously.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MlxRefusedError, MlxRequestError, Session, type EvalRequest } from '../src/index.js';
import { rng } from './helpers.js';

// (a @ a) @ (a @ a) summed, a = ones(n, n) / n: every product of ones/n is ones/n again, so the sum is n.
function products(n: number): EvalRequest {
  return {
    schema_version: 1,
    inputs: [{ id: 'k', dtype: 'float32', shape: [], data: 1 / n }],
    nodes: [
      { id: 'one', op: 'ones', attrs: { shape: [n, n], dtype: 'float32' } },
      { id: 'a', op: 'multiply', inputs: ['one', 'k'] },
      { id: 'b', op: 'matmul', inputs: ['a', 'a'] },
      { id: 'c', op: 'matmul', inputs: ['b', 'b'] },
      { id: 'd', op: 'sum', inputs: ['c'] },
    ],
    outputs: ['d'],
  };
}

const text = (r: EvalRequest) => JSON.stringify(r);
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('jobs', () => {
  it('return at once and leave the event loop running while the engine computes', async () => {
    const s = new Session();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    // queued before the timer can fire: it fires only if the job leaves the loop free
    const jobs = Array.from({ length: 3 }, () => s.submit(text(products(768))));
    expect(jobs.every((j) => !j.settled)).toBe(true);
    const firstTicks = await jobs[0].result.then(() => ticks);
    await Promise.all(jobs.map((j) => j.result));
    clearInterval(timer);
    expect(firstTicks).toBeGreaterThan(0);
    for (const j of jobs) expect((await j.result).outputs[0].array![0]).toBeCloseTo(768, 1);
    s.close();
  });

  it('give the response eval gives, buffers read in place', async () => {
    const s = new Session();
    const next = rng(19);
    const x = new Float32Array(4096).map(() => next() * 4 - 2);
    const req: EvalRequest = {
      schema_version: 1,
      inputs: [{ id: 'x', dtype: 'float32', shape: [64, 64], buffer: 0 }],
      nodes: [
        { id: 'y', op: 'tanh', inputs: ['x'] },
        { id: 'z', op: 'matmul', inputs: ['y', 'x'] },
        { id: 'm', op: 'logsumexp', inputs: ['z'], attrs: { axes: [1] } },
      ],
      outputs: ['z', 'm'],
    };
    const sync = s.eval(req, [x]);
    const res = await s.submit(text(req), [x]).result;
    expect(res.outputs.map((o) => [o.dtype, o.shape])).toEqual(sync.outputs.map((o) => [o.dtype, o.shape]));
    expect(Array.from(res.outputs[0].array!)).toEqual(Array.from(sync.outputs[0].array!));
    expect(Array.from(res.outputs[1].array!)).toEqual(Array.from(sync.outputs[1].array!));
    s.close();
  });

  it('reject with the typed errors eval throws, with their codes and paths', async () => {
    // the engine's own checks, not the bridge's schema validation (which throws at submit, as evalText does)
    const s = new Session({ validate: false });
    const missing = text({ schema_version: 1, nodes: [{ id: 'y', op: 'exp', inputs: ['nowhere'] }], outputs: ['y'] });
    const refused = text({ schema_version: 1, nodes: [{ id: 'y', op: 'no_such_op' }], outputs: ['y'] });
    const bad = s.submit(missing, []);
    const nope = s.submit(refused, []);
    const err = await bad.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlxRequestError);
    expect((err as MlxRequestError).code).toBe('missing_reference');
    expect((err as MlxRequestError).path).toBe('/nodes/0/inputs/0');
    let syncErr: unknown;
    try {
      s.evalText(missing);
    } catch (e) {
      syncErr = e;
    }
    expect((syncErr as MlxRequestError).path).toBe((err as MlxRequestError).path);
    const ref = await nope.result.catch((e: unknown) => e);
    expect(ref).toBeInstanceOf(MlxRefusedError);
    expect((ref as MlxRefusedError).code).toBe('unsupported_op');
    expect((ref as MlxRefusedError).subject).toBe('/nodes/0/op');
    // join() throws the same error the promise rejects with
    const again = s.submit(missing, []);
    expect(() => again.join()).toThrow(MlxRequestError);
    expect(await again.result.catch((e: unknown) => e)).toBeInstanceOf(MlxRequestError);
    s.close();
  });

  it('run in the order submitted: each redefines a plan the next one runs', async () => {
    const s = new Session({ validate: false });
    const x = new Float32Array([1, 2, 3]);
    const runs = [];
    for (let k = 1; k <= 40; k++) {
      s.submit(
        text({
          schema_version: 1,
          define_plan: 'p',
          inputs: [{ id: 'x', dtype: 'float32', shape: [3], placeholder: true }, { id: 'k', dtype: 'float32', shape: [], data: k }],
          nodes: [{ id: 'y', op: 'multiply', inputs: ['x', 'k'] }],
          outputs: ['y'],
        }),
      );
      runs.push(s.submit(text({ schema_version: 1, run_plan: 'p', inputs: [{ id: 'x', buffer: 0 }] }), [x]));
    }
    // joining one in the middle runs what was queued before it, in order, here
    expect(Array.from(runs[25].join().outputs[0].array!)).toEqual([26, 52, 78]);
    const all = await Promise.all(runs.map((r) => r.result));
    all.forEach((r, i) => expect(Array.from(r.outputs[0].array!)).toEqual([i + 1, 2 * (i + 1), 3 * (i + 1)]));
    s.close();
  });

  it('run once when joined and awaited: one resident handle per job, released after the jobs that read it', async () => {
    const s = new Session({ validate: false });
    const seed = s.eval({ schema_version: 1, nodes: [{ id: 'a', op: 'arange', attrs: { start: 0, stop: 6, step: 1, dtype: 'float32' } }], outputs: [{ ref: 'a', as: 'handle' }] });
    const h = seed.outputs[0].handle!;
    const reads = (out: 'handle' | 'buffer') =>
      text({ schema_version: 1, inputs: [{ id: 'a', handle: h }], nodes: [{ id: 'y', op: 'square', inputs: ['a'] }], outputs: [{ ref: 'y', as: out }] });
    const jobs = Array.from({ length: 10 }, () => s.submit(reads('handle')));
    const last = s.submit(reads('buffer'));
    // queued behind every job above, which still read it
    expect(s.releaseAfterJobs(h)).toBe(true);
    jobs[3].join();
    jobs[9].join();
    const res = await last.result;
    expect(Array.from(res.outputs[0].array!)).toEqual([0, 1, 4, 9, 16, 25]);
    await Promise.all(jobs.map((j) => j.result));
    // ten handles made, the one they read released: nothing ran twice
    expect(s.handleCount()).toBe(10);
    // with nothing pending it releases at once and says whether the handle existed
    expect(s.releaseAfterJobs(h)).toBe(false);
    s.close();
  });

  it('run in parallel on separate sessions', async () => {
    const sessions = [new Session(), new Session()];
    const jobs = sessions.map((s) => s.submit(text(products(512))));
    const both = await Promise.all(jobs.map((j) => j.result));
    both.forEach((r) => expect(r.outputs[0].array![0]).toBeCloseTo(512, 1));
    sessions.forEach((s) => s.close());
  });

  it('are run by close() when still queued', async () => {
    const s = new Session();
    const jobs = Array.from({ length: 3 }, () => s.submit(text(products(128))));
    s.close();
    for (const j of jobs) expect((await j.result).outputs[0].array![0]).toBeCloseTo(128, 1);
  });

  it('survive random mixes of submit, join, release and await (many rounds)', async () => {
    const next = rng(1919);
    for (let round = 0; round < 30; round++) {
      const s = new Session({ validate: false });
      const held: string[] = [];
      const pending: Array<{ job: ReturnType<Session['submit']>; value: number }> = [];
      for (let step = 0; step < 25; step++) {
        const r = next();
        if (r < 0.5 || !held.length) {
          const v = Math.floor(next() * 100);
          const job = s.submit(
            text({
              schema_version: 1,
              inputs: [{ id: 'v', dtype: 'float32', shape: [], data: v }],
              nodes: [{ id: 'one', op: 'ones', attrs: { shape: [257], dtype: 'float32' } }, { id: 'a', op: 'multiply', inputs: ['one', 'v'] }, { id: 's', op: 'sum', inputs: ['a'] }],
              outputs: [{ ref: 's', as: 'handle' }, 's'],
            }),
          );
          pending.push({ job, value: v * 257 });
        } else if (r < 0.7) {
          const i = Math.floor(next() * pending.length);
          if (pending[i]) expect(pending[i].job.join().outputs[1].array![0]).toBe(pending[i].value);
        } else if (r < 0.85) {
          s.releaseAfterJobs(held.splice(Math.floor(next() * held.length), 1)[0]);
        } else {
          await new Promise((resolve) => setImmediate(resolve));
        }
        for (const p of pending.splice(0))
          if (p.job.settled) {
            const res = p.job.join();
            held.push(res.outputs[0].handle!);
            expect(res.outputs[1].array![0]).toBe(p.value);
          } else pending.push(p);
      }
      for (const p of pending) {
        const res = await p.job.result;
        expect(res.outputs[1].array![0]).toBe(p.value);
        held.push(res.outputs[0].handle!);
      }
      expect(s.handleCount()).toBe(held.length);
      s.close();
    }
  });

  it('hold up from several threads at once in C (native/capi/tests/jobs_stress.c)', () => {
    const out = execFileSync(join(root, 'build/native/mlxcompat_jobs_stress'), ['20'], { encoding: 'utf8' });
    expect(out).toContain('20 rounds, 0 failures');
  });
});
