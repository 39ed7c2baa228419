// Runs one case on every peer: checks that they agree, then times them
// interleaved by blocks (warm-up first, then rounds until the repeat count or
// the time budget).
import type { Case, Peer, Prepared } from './peers.js';
import { timeBlock } from './timing.js';

export interface Stats {
  median_ms: number;
  p10_ms: number;
  p90_ms: number;
  runs: number;
}

export interface PeerResult {
  peer: string;
  status: 'ok' | 'unsupported' | 'unavailable' | 'disagrees' | 'error';
  reason?: string;
  stats?: Stats;
  /** GFLOP/s, GB/s or runs/s, as the workload measures. */
  throughput?: number;
}

export interface CaseResult {
  suite: string;
  id: string;
  workload: string;
  unit: string;
  peers: PeerResult[];
}

const percentile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

// Work per run in the unit the workload is measured in.
export function work(c: Case): { amount: number; unit: string } {
  const s = c.shape, n = s.reduce((a, b) => a * b, 1), bytes = (c.dtype && c.dtype !== 'float32' ? 2 : 4);
  switch (c.workload) {
    case 'matmul': return { amount: (2 * s[0] * s[1] * s[2]) / 1e9, unit: 'GFLOP/s' };
    case 'add': return { amount: (3 * n * bytes) / 1e9, unit: 'GB/s' };
    case 'chain': case 'softmax': case 'layernorm': return { amount: (2 * n * bytes) / 1e9, unit: 'GB/s' };
    case 'reduce': return { amount: (n * bytes) / 1e9, unit: 'GB/s' };
    case 'gather': return { amount: (2 * s[2] * s[1] * bytes) / 1e9, unit: 'GB/s' };
    case 'graph': return { amount: s[0], unit: 'ops/s' };
    // the conventional count of an FFT, 5 n log2 n (half for a real input)
    case 'fft': return { amount: (5 * n * Math.log2(n)) / 1e9, unit: 'GFLOP/s' };
    case 'rfft': return { amount: (2.5 * n * Math.log2(n)) / 1e9, unit: 'GFLOP/s' };
    // the nominal count of an inverse through LU, 2 n^3
    case 'inv': return { amount: (2 * s[0] ** 3) / 1e9, unit: 'GFLOP/s' };
    default: return { amount: 1, unit: 'steps/s' };
  }
}

function agree(a: number[], b: number[], c: Case): boolean {
  // a transform's rounding grows with its largest coefficient, not each one
  if (c.workload === 'fft' || c.workload === 'rfft') {
    const scale = Math.max(1, ...b.map(Math.abs));
    return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-4 * scale);
  }
  const tol = c.workload === 'mlp_step' ? 2e-3 : c.dtype && c.dtype !== 'float32' ? 2e-2 : 2e-3;
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(b[i])));
}

// Timed runs per peer in each of its turns (see timing.ts).
const BLOCK = 5;

export async function measure(c: Case, peers: Peer[], opts: { repeat: number; warmup: number; budgetMs: number }): Promise<CaseResult> {
  const { amount, unit } = work(c);
  const results: PeerResult[] = [];
  const running: Array<{ peer: Peer; prepared: Prepared; times: number[] }> = [];
  let reference: number[] | undefined;
  for (const peer of peers) {
    if (peer.unavailable) {
      results.push({ peer: peer.name, status: 'unavailable', reason: peer.unavailable });
      continue;
    }
    let prepared: Prepared | string, values: number[];
    try {
      prepared = peer.prepare(c);
      if (typeof prepared === 'string') {
        results.push({ peer: peer.name, status: 'unsupported', reason: prepared });
        continue;
      }
      prepared.run();
      values = prepared.values();
    } catch (e) {
      // one peer failing a case does not stop the run
      results.push({ peer: peer.name, status: 'error', reason: (e as Error).message });
      continue;
    }
    reference ??= values;
    // a fast wrong answer never wins: a peer that disagrees is not timed
    if (!agree(values, reference, c)) {
      results.push({ peer: peer.name, status: 'disagrees', reason: `values differ from ${running[0]?.peer.name ?? 'the first peer'}` });
      continue;
    }
    running.push({ peer, prepared, times: [] });
    results.push({ peer: peer.name, status: 'ok' });
  }
  for (let w = 0; w < opts.warmup; w++) for (const r of running) r.prepared.run();
  const start = Date.now();
  for (let round = 0; round * BLOCK < opts.repeat && (round < 2 || Date.now() - start < opts.budgetMs); round++)
    for (const r of running) r.times.push(...(await timeBlock(r.prepared.run, BLOCK)));
  for (const r of running) {
    const res = results.find((x) => x.peer === r.peer.name)!;
    const median = percentile(r.times, 0.5);
    res.stats = { median_ms: median, p10_ms: percentile(r.times, 0.1), p90_ms: percentile(r.times, 0.9), runs: r.times.length };
    res.throughput = amount / (median / 1e3);
  }
  return { suite: c.suite, id: c.id, workload: c.workload, unit, peers: results };
}
