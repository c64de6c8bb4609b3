import { growthTrend, memoryTrends, type SoakDay } from './soak-figures';
import type { Violation } from '../chaos/invariants';

export interface SoakSummary {
  ok: boolean;
  command: string;
  days: number;
  daysPlanned: number;
  speed: number;
  seed: number;
  realMinutes: number;
  aborted: string | null;
  violations: number;
  violationSamples: string[];
  memory: ReturnType<typeof memoryTrends>;
  growth: ReturnType<typeof growthTrend>;
  perDay: SoakDay[];
}

export function summarize(args: { command: string; daysPlanned: number; speed: number; seed: number; realMinutes: number; aborted?: string; days: SoakDay[]; violations: Violation[] }): SoakSummary {
  return {
    ok: !args.aborted && args.violations.length === 0 && args.days.length === args.daysPlanned,
    command: args.command, days: args.days.length, daysPlanned: args.daysPlanned, speed: args.speed, seed: args.seed, realMinutes: args.realMinutes,
    aborted: args.aborted ?? null, violations: args.violations.length, violationSamples: args.violations.slice(0, 10).map((v) => `${v.tradingDay ?? ''} ${v.invariant}: ${v.detail}`.trim()),
    memory: memoryTrends(args.days), growth: growthTrend(args.days), perDay: args.days,
  };
}

const SHOWN = ['exit-manager', 'day-trader', 'reconciler', 'supervisor', 'sim-gateway', 'dashboard', 'notifier'];

/** The per-day table (markdown, as the README shows it) and the trends. */
export function renderSoak(summary: SoakSummary): string {
  const lines: string[] = [];
  lines.push(`soak: ${summary.days}/${summary.daysPlanned} trading days at x${summary.speed}, seed ${summary.seed}, ${summary.realMinutes} real minutes${summary.aborted ? ` — ${summary.aborted}` : ''}; ${summary.violations} invariant violation(s)`);
  lines.push('');
  lines.push(`| day | date | notes | entries | closed | trades (total) | violations | DB MB | logs MB | backup | ${SHOWN.map((a) => `${short(a)} RSS MB`).join(' | ')} | loop p99 ms (em/dt/rc/sv) |`);
  lines.push(`|${'---|'.repeat(10 + SHOWN.length + 1)}`);
  for (const d of summary.perDay) {
    const loop = ['exit-manager', 'day-trader', 'reconciler', 'supervisor'].map((a) => fmt(d.processes[a]?.loopDelayP99Ms ?? null)).join('/');
    lines.push(`| ${d.index} | ${d.tradingDay} | ${d.notes.join('; ')} | ${d.entries} | ${d.closed} | ${d.tradesTotal} | ${d.violations} | ${(d.dbBytes / 1_048_576).toFixed(1)} | ${(d.logBytes / 1_048_576).toFixed(1)} | ${d.backupOk === null ? '-' : d.backupOk ? 'ok' : 'FAILED'} | ${SHOWN.map((a) => fmt(d.processes[a]?.rssEndMb ?? null)).join(' | ')} | ${loop} |`);
  }
  lines.push('');
  lines.push('End-of-day RSS trend (least squares over the days after the first 3), MB per trading day:');
  for (const m of summary.memory) lines.push(`  ${m.app.padEnd(13)} slope ${m.slopeMbPerDay ?? 'n/a'}  (first ${m.firstMb}, last ${m.lastMb}, min ${m.minMb}, max ${m.maxMb})`);
  const g = summary.growth;
  lines.push(`DB: ${g.dbBytesPerTrade ?? 'n/a'} bytes per trade (correlation with trades ${g.dbCorrelation ?? 'n/a'}), ${g.dbBytesPerDay ?? 'n/a'} bytes per day; logs: ${g.logBytesPerDay ?? 'n/a'} bytes per day (correlation with trades ${g.logCorrelationWithTrades ?? 'n/a'})`);
  for (const sample of summary.violationSamples) lines.push(`  violation: ${sample}`);
  return lines.join('\n');
}

function short(app: string): string {
  return ({ 'exit-manager': 'em', 'day-trader': 'dt', reconciler: 'rc', supervisor: 'sv', 'sim-gateway': 'sim', dashboard: 'dash', notifier: 'nt' } as Record<string, string>)[app] ?? app;
}

function fmt(value: number | null): string {
  return value === null ? '-' : String(value);
}
