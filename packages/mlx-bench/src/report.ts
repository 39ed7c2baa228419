// A run's results: the terminal table, geometric means of the ratios to real
// MLX per suite, Markdown, an SVG bar chart, and the comparison of two runs.
import type { CaseResult } from './measure.js';
import type { Machine } from './machine.js';

export interface Run {
  schema_version: 1;
  machine: Machine;
  peers: Array<{ name: string; version: string; unavailable: string | null }>;
  options: { repeat: number; warmup: number; quick: boolean };
  cases: CaseResult[];
}

const BASE = 'MLX';

/** Speed relative to real MLX (its median over this peer's): above 1 is faster. */
export function ratio(c: CaseResult, peer: string): number | undefined {
  const base = c.peers.find((p) => p.peer === BASE)?.stats, mine = c.peers.find((p) => p.peer === peer)?.stats;
  return base && mine ? base.median_ms / mine.median_ms : undefined;
}

export function geomeans(run: Run): Array<{ suite: string; peer: string; geomean: number; cases: number }> {
  const out: Array<{ suite: string; peer: string; geomean: number; cases: number }> = [];
  for (const suite of [...new Set(run.cases.map((c) => c.suite))])
    for (const { name } of run.peers) {
      const rs = run.cases.filter((c) => c.suite === suite).map((c) => ratio(c, name)).filter((r): r is number => r !== undefined);
      if (rs.length) out.push({ suite, peer: name, geomean: Math.exp(rs.reduce((a, r) => a + Math.log(r), 0) / rs.length), cases: rs.length });
    }
  return out;
}

function cell(c: CaseResult, peer: string): string {
  const p = c.peers.find((x) => x.peer === peer);
  if (!p || p.status !== 'ok' || !p.stats) return p ? `(${p.status})` : '-';
  const r = ratio(c, peer);
  return `${p.stats.median_ms.toFixed(2)} ms${r !== undefined && peer !== BASE ? ` ${r.toFixed(2)}x` : ''}`;
}

export function table(run: Run): string {
  const peers = run.peers.filter((p) => !p.unavailable).map((p) => p.name);
  const rows = [['case', 'unit', ...peers], ...run.cases.map((c) => [`${c.suite}/${c.id}`, c.unit, ...peers.map((p) => cell(c, p))])];
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((x, i) => x.padEnd(w[i])).join('  '));
  lines.push('', 'geometric mean of the speed relative to MLX, per suite:');
  for (const g of geomeans(run)) if (g.peer !== BASE) lines.push(`  ${g.suite.padEnd(12)} ${g.peer.padEnd(12)} ${g.geomean.toFixed(2)}x (${g.cases} cases)`);
  for (const p of run.peers.filter((x) => x.unavailable)) lines.push(`skipped peer ${p.name}: ${p.unavailable}`);
  for (const c of run.cases) for (const p of c.peers.filter((x) => x.status === 'unsupported' || x.status === 'disagrees' || x.status === 'error'))
    if (!run.peers.find((q) => q.name === p.peer)?.unavailable) lines.push(`${c.suite}/${c.id}: ${p.peer} ${p.status}: ${p.reason}`);
  return lines.join('\n');
}

export function markdown(run: Run): string {
  const m = run.machine;
  const peers = run.peers.filter((p) => !p.unavailable).map((p) => p.name);
  const lines = [
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, ${m.blas}; peak ${m.peak_gflops_fp32.toFixed(0)} GFLOP/s float32 (vector units x cores x ${m.mhz.toFixed(0)} MHz), copy ${m.copy_gb_s.toFixed(1)} GB/s; node ${m.node}; commit ${m.git_commit.slice(0, 12)}.`,
    '',
    `| case | unit | ${peers.map((p) => `${p} (median; speed vs MLX)`).join(' | ')} |`,
    `| --- | --- | ${peers.map(() => '---').join(' | ')} |`,
    ...run.cases.map((c) => `| ${c.suite}/${c.id} | ${c.unit} | ${peers.map((p) => {
      const r = c.peers.find((x) => x.peer === p);
      return r?.stats ? `${r.throughput!.toPrecision(3)} ${c.unit.replace('/s', '')}/s; ${(ratio(c, p) ?? NaN).toFixed(2)}x` : `${r?.status ?? '-'}`;
    }).join(' | ')} |`),
    '',
    '| suite | peer | geometric mean vs MLX |',
    '| --- | --- | ---: |',
    ...geomeans(run).filter((g) => g.peer !== BASE).map((g) => `| ${g.suite} | ${g.peer} | ${g.geomean.toFixed(2)}x |`),
  ];
  for (const p of run.peers.filter((x) => x.unavailable)) lines.push('', `Skipped peer ${p.name}: ${p.unavailable}.`);
  return lines.join('\n') + '\n';
}

/** Horizontal bars of each peer's speed relative to MLX, log scale, one group per case. */
export function svg(run: Run): string {
  const peers = run.peers.filter((p) => !p.unavailable && p.name !== BASE).map((p) => p.name);
  const colors = ['#2f6fb0', '#d9822b', '#3a9a5b', '#8e5ba6'];
  const rowH = 16, groupH = rowH * peers.length + 10, left = 260, width = 760, scale = 110;
  const x = (r: number) => left + 220 + Math.log2(r) * (scale / 1.5);
  const parts: string[] = [];
  run.cases.forEach((c, i) => {
    const y0 = 40 + i * groupH;
    parts.push(`<text x="8" y="${y0 + rowH}" font-size="12">${c.suite}/${c.id}</text>`);
    peers.forEach((p, k) => {
      const r = ratio(c, p);
      const y = y0 + k * rowH;
      if (r === undefined) {
        parts.push(`<text x="${left}" y="${y + 12}" font-size="11" fill="#888">${p}: ${c.peers.find((q) => q.peer === p)?.status ?? '-'}</text>`);
        return;
      }
      const a = Math.min(x(1), x(r)), b = Math.max(x(1), x(r));
      parts.push(`<rect x="${a.toFixed(1)}" y="${y + 2}" width="${Math.max(1, b - a).toFixed(1)}" height="${rowH - 4}" fill="${colors[k % colors.length]}"/>`);
      parts.push(`<text x="${(b + 4).toFixed(1)}" y="${y + 12}" font-size="11">${p} ${r.toFixed(2)}x</text>`);
    });
  });
  const height = 60 + run.cases.length * groupH;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width + 200}" height="${height}" font-family="sans-serif">`,
    `<text x="8" y="20" font-size="14">Speed relative to real MLX (log scale; right of the line is faster)</text>`,
    `<line x1="${x(1)}" y1="30" x2="${x(1)}" y2="${height - 10}" stroke="#444"/>`,
    ...parts,
    '</svg>',
  ].join('\n') + '\n';
}

/** Changes from one run to another, flagging slowdowns beyond the spread seen between repeats. */
export function compare(old: Run, next: Run): { lines: string[]; regressions: number } {
  const lines = ['case  peer  old ms  new ms  change  noise  verdict'];
  let regressions = 0;
  for (const c of next.cases)
    for (const p of c.peers) {
      const before = old.cases.find((o) => o.suite === c.suite && o.id === c.id)?.peers.find((q) => q.peer === p.peer)?.stats;
      if (!before || !p.stats) continue;
      const change = p.stats.median_ms / before.median_ms;
      const spread = (s: { p10_ms: number; p90_ms: number; median_ms: number }) => (s.p90_ms - s.p10_ms) / s.median_ms;
      const noise = Math.max(spread(before), spread(p.stats), 0.05);
      const verdict = change > 1 + noise ? 'REGRESSION' : change < 1 - noise ? 'faster' : 'same';
      if (verdict === 'REGRESSION') regressions++;
      lines.push(`${c.suite}/${c.id}  ${p.peer}  ${before.median_ms.toFixed(2)}  ${p.stats.median_ms.toFixed(2)}  ${change.toFixed(2)}x  ±${(noise * 100).toFixed(0)}%  ${verdict}`);
    }
  return { lines, regressions };
}
