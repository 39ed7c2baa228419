// asyncEval: evaluation on the engine's threads while the event loop runs,
// and arrays in flight that can be read, extended, evaluated again and
// disposed, each computed once.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MlxRefusedError, MlxRequestError } from 'mlx-capi-bridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import mlx from '../src/index.js';
import type { MxArray } from '../src/core/array.js';
import { setInlineElements } from '../src/core/flight.js';
import { observeReceipts, session } from '../src/core/graph.js';
import { rng } from './oracle.js';

const mx = mlx.core;

// Every request the engine ran, synchronously or as a job, with its nodes: a node computed twice shows up twice.
let sent: Array<Array<{ id: string; op: string }>> = [];
beforeEach(() => {
  sent = [];
  observeReceipts((receipt, text) => {
    const nodes = (JSON.parse(text) as { nodes: Array<{ id: string; op: string }> }).nodes;
    expect(receipt.op_count).toBe(nodes.length);
    sent.push(nodes);
  });
});
afterEach(() => observeReceipts(undefined));

/** How many requests run so far had an op named `op`. */
const requestsWith = (op: string) => sent.filter((nodes) => nodes.some((n) => n.op === op)).length;
const expectEachNodeOnce = () => {
  const ids = sent.flat().map((n) => n.id);
  expect(new Set(ids).size, `node ids sent: ${ids}`).toBe(ids.length);
};

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
// A collection, then turns of the event loop for the finalizers to release what was dropped.
async function collect(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

const inFlight = (a: MxArray) => a._v.flight !== undefined;

describe('asyncEval', () => {
  // these tests are about flights on the engine's thread: small graphs go there too
  let inlineBound = 0;
  beforeEach(() => {
    inlineBound = setInlineElements(0);
  });
  afterEach(() => {
    setInlineElements(inlineBound);
  });

  it('returns at once; timers fire while the engine computes', async () => {
    const a = mx.random.normal([512, 512]);
    mx.eval(a);
    const y = mx.sum(mx.matmul(mx.matmul(a, a), mx.matmul(a, a)));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const landed = mx.asyncEval(y);
    expect(inFlight(y)).toBe(true);
    await landed;
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    expect(inFlight(y)).toBe(false);
    // the same value eval computes from the same inputs
    const again = mx.sum(mx.matmul(mx.matmul(a, a), mx.matmul(a, a)));
    mx.eval(again);
    expect(y.item()).toBe(again.item());
  });

  it('gives what eval gives, bit for bit, over random graphs', async () => {
    const next = rng(1919);
    for (let round = 0; round < 20; round++) {
      const x = mx.random.uniform(-2, 2, [8, 16]);
      const seed = Math.floor(next() * 1e9);
      // the same random graph twice, from the same seed
      const rebuild = () => {
        const local = rng(seed);
        let h = x;
        for (let k = 0; k < 6; k++) {
          const r = local();
          h = r < 0.25 ? mx.tanh(h) : r < 0.5 ? mx.add(h, mx.square(h)) : r < 0.75 ? mx.softmax(h, -1) : mx.multiply(h, 0.5);
        }
        return [h, mx.sum(h, 1), mx.matmul(h, mx.transpose(h))];
      };
      const viaAsync = rebuild();
      const viaSync = rebuild();
      await mx.asyncEval(viaAsync);
      mx.eval(viaSync);
      viaAsync.forEach((a, i) => expect(Array.from(a.toTypedArray())).toEqual(Array.from(viaSync[i].toTypedArray())));
    }
  });

  it('rejects with the typed error eval throws; reading the array then throws it too', async () => {
    const big = () => mx.add(mx.zeros([70000, 70000]), 1);
    let sync: unknown;
    try {
      mx.eval(big());
    } catch (e) {
      sync = e;
    }
    const z = big();
    const err = await mx.asyncEval(z).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlxRefusedError);
    for (const key of ['code', 'scope', 'subject', 'detail'] as const) expect((err as MlxRefusedError)[key]).toBe((sync as MlxRefusedError)[key]);
    expect((err as MlxRefusedError).code).toBe('resource_limit');
    // the array stays unevaluated; evaluating it again raises the same error
    expect(() => mx.eval(z)).toThrow(MlxRefusedError);
    // a join that throws counts as handling the rejection (no unhandled rejection here)
    const w = big();
    const p = mx.asyncEval(w);
    expect(() => mx.eval(w)).toThrow(MlxRefusedError);
    await p.catch(() => {});
  });

  it('lets arrays in flight be read, extended and evaluated again, each computed once', async () => {
    const a = mx.random.normal([256, 256]);
    mx.eval(a);
    const y = mx.matmul(a, a);
    const landed = mx.asyncEval(y);
    // more graph on top of it, and a second asyncEval of it, while it is in flight
    const z = mx.sum(mx.exp(mx.multiply(y, 0.01)));
    const again = mx.asyncEval(y, z);
    expect(inFlight(y) && inFlight(z)).toBe(true);
    // item() joins: y lands, then z is computed from y's handle
    const total = z.item() as number;
    const rows = y.tolist() as number[][];
    mx.eval(y, z);
    await Promise.all([landed, again]);
    expect(requestsWith('matmul')).toBe(1);
    expect(requestsWith('exp')).toBe(1);
    expectEachNodeOnce();
    const ref = (a.tolist() as number[][]);
    const yRef = ref.map((r) => ref[0].map((_, j) => r.reduce((s, v, k) => s + v * ref[k][j], 0)));
    rows.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(yRef[i][j], 2)));
    const zRef = yRef.flat().reduce((s, v) => s + Math.exp(v * 0.01), 0);
    expect(total / zRef).toBeCloseTo(1, 4);
  });

  it('lets arrays in flight be disposed, alone or by tidy, leaking nothing', async () => {
    await collect();
    const before = session().handleCount();
    // (not mx.random: its global key changes handles as it goes)
    const a = mx.divide(mx.reshape(mx.arange(16384), [128, 128]), 16384);
    mx.eval(a);
    const y = mx.matmul(a, a);
    const p = mx.asyncEval(y);
    mx.dispose(y);
    await p;
    expect(() => y.tolist()).toThrow(/disposed/);
    const kept = mx.tidy(() => {
      const t = mx.tanh(a);
      const u = mx.square(t);
      void mx.asyncEval(t, u);
      return u;
    });
    // tidy waited for what it keeps; the rest lands and is released
    expect(inFlight(kept)).toBe(false);
    mx.synchronize();
    mx.dispose(a, kept);
    await collect();
    expect(session().handleCount()).toBe(before);
    expectEachNodeOnce();
  });

  it('keeps several evaluations in flight in order, each step reading the last', async () => {
    let x = mx.array([1, 2, 3], mx.float32);
    const flights: Promise<void>[] = [];
    const steps: MxArray[] = [];
    for (let i = 0; i < 30; i++) {
      x = mx.add(mx.multiply(x, 1.5), 1);
      flights.push(mx.asyncEval(x));
      steps.push(x);
    }
    await Promise.all(flights);
    let ref = [1, 2, 3];
    steps.forEach((s) => {
      ref = ref.map((v) => Math.fround(Math.fround(v * 1.5) + 1));
      expect(s.tolist()).toEqual(ref);
    });
    expect(requestsWith('multiply')).toBe(30);
    expectEachNodeOnce();
  });

  it('survives random mixes of asyncEval, reads, new graph and dispose (many rounds), computing each node once', async () => {
    const next = rng(4242);
    await collect();
    const before = session().handleCount();
    for (let round = 0; round < 40; round++) {
      sent = [];
      // each array with its float64 reference; every op tagged by a distinct constant
      type Entry = { a: MxArray; ref: number[]; live: boolean; children: Entry[] };
      const pool: Entry[] = [{ a: mx.array([0.5, -1, 2, 0.25]), ref: [0.5, -1, 2, 0.25], live: true, children: [] }];
      // as with eval, an array may be disposed once nothing left to compute reads it: its users are
      // evaluated, disposed, or in flight already (it may itself be anywhere: computed, in flight, waiting)
      const disposable = (e: Entry) => e.children.every((c) => !c.live || c.a._v.handle !== undefined || c.a._v.flight?.job !== undefined);
      const promises: Promise<void>[] = [];
      for (let step = 0; step < 30; step++) {
        const live = pool.filter((p) => p.live);
        const pick = live[Math.floor(next() * live.length)];
        const r = next();
        if (r < 0.35) {
          const c = Math.round(next() * 1000) / 1000 + step;
          const a = mx.add(mx.multiply(pick.a, 0.5), c);
          const entry = { a, ref: pick.ref.map((v) => v * 0.5 + c), live: true, children: [] };
          pick.children.push(entry);
          pool.push(entry);
        } else if (r < 0.6) {
          promises.push(mx.asyncEval(pick.a));
        } else if (r < 0.75) {
          const got = pick.a.tolist() as number[];
          got.forEach((v, i) => expect(v).toBeCloseTo(pick.ref[i], 3));
        } else if (r < 0.85 && live.length > 1 && disposable(pick)) {
          mx.dispose(pick.a);
          pick.live = false;
        } else {
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      await Promise.all(promises);
      for (const p of pool.filter((q) => q.live)) (p.a.tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo(p.ref[i], 3));
      expectEachNodeOnce();
      mx.dispose(pool.map((p) => p.a));
    }
    mx.synchronize();
    await collect();
    expect(session().handleCount()).toBe(before);
  });
});

describe('asyncEval of a small graph', () => {
  it('computes it on the calling thread, once, and settles as a promise with what eval gives', async () => {
    const x = mx.array([0.25, -1.5, 3], mx.float32);
    const y = mx.tanh(mx.add(mx.multiply(x, 0.5), 0.5));
    const landed = mx.asyncEval(y);
    expect(inFlight(y)).toBe(false); // computed already: nothing was queued
    let settled = false;
    void landed.then(() => (settled = true));
    expect(settled).toBe(false); // a promise settles on a later turn, never inside the call
    await landed;
    const ref = [0.25, -1.5, 3].map((v) => Math.fround(Math.tanh(Math.fround(Math.fround(v * 0.5) + 0.5))));
    (y.tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo(ref[i], 6));
    expect(requestsWith('tanh')).toBe(1);
  });

  it('rejects with the typed error eval throws', async () => {
    // a graph the engine refuses: an index past the end of the axis
    const taken = () => mx.take(mx.array([1, 2, 3], mx.float32), mx.array([7], mx.int32), 0);
    let sync: unknown;
    try {
      mx.eval(taken());
    } catch (e) {
      sync = e;
    }
    expect(sync).toBeInstanceOf(MlxRequestError);
    const err = await mx.asyncEval(taken()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlxRequestError);
    for (const key of ['code', 'path', 'message'] as const) expect((err as MlxRequestError)[key]).toBe((sync as MlxRequestError)[key]);
  });

  it('goes to the engine thread when another evaluation is running there, keeping order', async () => {
    const a = mx.random.normal([384, 384]);
    mx.eval(a);
    const big = mx.sum(mx.matmul(mx.matmul(a, a), a));
    const small = mx.add(mx.array([1, 2], mx.float32), 1);
    const first = mx.asyncEval(big);
    const second = mx.asyncEval(small);
    expect(inFlight(big)).toBe(true);
    expect(inFlight(small)).toBe(true); // queued behind big, not run here while big holds the session
    await Promise.all([first, second]);
    expect(small.tolist()).toEqual([2, 3]);
  });
});

describe('the streaming pattern of MLX language-model examples', () => {
  it('evaluates the next token asynchronously while the last one is read', async () => {
    // a toy "model": the next token is (3 t + 1) mod 17 computed by the engine; the sum of
    // 2^15 zeros makes each step large enough to go to the engine's thread (smaller ones run inline)
    const zeros = mx.zeros([1 << 15], mx.int32);
    mx.eval(zeros);
    const step = (t: MxArray) => mx.remainder(mx.add(mx.multiply(t, 3), mx.add(mx.sum(zeros), 1)), 17);
    let y = step(mx.array([2], mx.int32));
    void mx.asyncEval(y);
    const tokens: number[] = [];
    let overlapped = 0;
    for (let i = 0; i < 12; i++) {
      const next = step(y);
      void mx.asyncEval(next);
      tokens.push(y.item() as number);
      // reading y sent next to the engine at once: it computes while this token is handled
      if (next._v.flight?.job) overlapped++;
      await new Promise((resolve) => setTimeout(resolve, 0));
      y = next;
    }
    const ref: number[] = [];
    let t = 2;
    for (let i = 0; i < 12; i++) ref.push((t = (3 * t + 1) % 17));
    expect(tokens).toEqual(ref);
    expect(overlapped).toBe(12);
  });

  it('runs as examples/stream.mjs prints it', () => {
    const example = join(dirname(fileURLToPath(import.meta.url)), '../examples/stream.mjs');
    const out = execFileSync('node', [example], { encoding: 'utf8' }).trim();
    // greedy decoding by hand: the next token is the argmax over j of (37 (16 t + j)) mod 101
    const ref: number[] = [];
    let t = 1;
    for (let n = 0; n < 12; n++) {
      const row = Array.from({ length: 16 }, (_, j) => (37 * (16 * t + j)) % 101);
      ref.push((t = row.indexOf(Math.max(...row))));
    }
    expect(out).toBe(ref.join(' '));
  });
});
