import type { ChaosSummary } from './summary';

/** One line per seed of a multi-seed run, and the totals: what `npm run chaos -- --seeds N` prints last. */
export interface CombinedSummary {
  ok: boolean;
  seeds: number[];
  runs: Array<{
    seed: number; ok: boolean; interrupted?: string; days: number; faultsInjected: number; faultsScheduled: number; violations: number; violationCounts: Record<string, number>;
    longestUnprotectedMs: number; exposureLongestMs: number; exposureAfterManualTradeIntervals: number; entries: number; executions: number; corrected: number;
    durationMs: number; summaryFile: string; reproduce?: string;
  }>;
  totals: { days: number; faultsInjected: number; violations: number; entries: number; executions: number; corrected: number; durationMs: number; failedSeeds: number[] };
}

export function combineSummaries(summaries: readonly ChaosSummary[]): CombinedSummary {
  const runs = summaries.map((s) => ({
    seed: s.seed, ok: s.ok, ...(s.interrupted ? { interrupted: s.interrupted } : {}), days: s.daysSimulated, faultsInjected: s.faults.injected, faultsScheduled: s.faults.requested,
    violations: s.invariants.violations.length, violationCounts: s.invariants.violationCounts, longestUnprotectedMs: s.protection.longestUnprotectedMs,
    exposureLongestMs: s.exposure.longestMs, exposureAfterManualTradeIntervals: s.exposure.afterManualTrade.intervals, entries: s.trades.entries,
    executions: s.trades.executions, corrected: s.trades.corrected, durationMs: s.durationMs, summaryFile: `${s.dir}/chaos-summary.json`, ...(s.reproduce ? { reproduce: s.reproduce } : {}),
  }));
  const sum = (key: 'days' | 'faultsInjected' | 'violations' | 'entries' | 'executions' | 'corrected' | 'durationMs') => runs.reduce((n, r) => n + r[key], 0);
  return {
    ok: runs.length > 0 && runs.every((r) => r.ok),
    seeds: runs.map((r) => r.seed),
    runs,
    totals: {
      days: sum('days'), faultsInjected: sum('faultsInjected'), violations: sum('violations'), entries: sum('entries'), executions: sum('executions'),
      corrected: sum('corrected'), durationMs: sum('durationMs'), failedSeeds: runs.filter((r) => !r.ok).map((r) => r.seed),
    },
  };
}

/** The combined table, plain text, one row per seed. */
export function renderCombined(combined: CombinedSummary): string {
  const header = ['seed', 'result', 'days', 'faults', 'violations', 'unprotected max', 'past flat max', 'entries', 'executions (corrected)', 'minutes'];
  const rows = combined.runs.map((r) => [
    String(r.seed), r.interrupted ? `STOPPED (${r.interrupted})` : r.ok ? 'passed' : 'FAILED', String(r.days), `${r.faultsInjected}/${r.faultsScheduled}`,
    r.violations ? `${r.violations}: ${Object.entries(r.violationCounts).map(([k, n]) => `${k} ${n}`).join(', ')}` : '0',
    `${r.longestUnprotectedMs} ms`, `${r.exposureLongestMs} ms`, String(r.entries), `${r.executions} (${r.corrected})`, (r.durationMs / 60_000).toFixed(1),
  ]);
  const t = combined.totals;
  rows.push(['all', combined.ok ? 'passed' : `FAILED: ${t.failedSeeds.join(', ')}`, String(t.days), String(t.faultsInjected), String(t.violations), '', '', String(t.entries), `${t.executions} (${t.corrected})`, (t.durationMs / 60_000).toFixed(1)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [`Chaos runs over ${combined.runs.length} seed(s): ${combined.ok ? 'PASSED' : 'FAILED'}`, line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const r of combined.runs.filter((x) => !x.ok && x.reproduce)) out.push(r.interrupted ? `seed ${r.seed} stopped (${r.interrupted}): run it again with ${r.reproduce}` : `seed ${r.seed} failed: reproduce with ${r.reproduce}`);
  return out.join('\n');
}
