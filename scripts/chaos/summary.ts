import { percentile, round } from '../bench/stats';
import type { FaultRecord } from './fault-context';
import { INVARIANTS, type Violation } from './invariants';
import type { UnprotectedInterval } from './unprotected-tracker';

export interface Distribution { n: number; p50: number | null; p99: number | null; max: number | null }

export interface DayReport {
  tradingDay: string;
  postCloseReconciliation: string | null;
  /** No position of the bots, no active row, no working bot order (foreign holdings stay). */
  flatAfterClose: boolean;
  /** Positions with foreign shares at the day's end ("SYM quantity"). */
  foreignHeld: string;
  entries: number;
  closed: Record<string, number>;
  violations: number;
}

export interface ChaosSummary {
  ok: boolean;
  seed: number;
  /** The command line that repeats this run. */
  reproduce?: string;
  /** The signal that stopped the run before it finished. */
  interrupted?: string;
  options: Record<string, unknown>;
  startedAt: string;
  durationMs: number;
  daysSimulated: number;
  days: DayReport[];
  faults: { requested: number; injected: number; notReached: number; skipped: number; byKind: Record<string, number>; byTarget: Record<string, number> };
  restarts: { pm2: Record<string, number>; supervisorKills: Record<string, number> };
  protection: {
    longestUnprotectedMs: number;
    longestUnprotectedIncludingGatewayOutagesMs: number;
    boundMs: number;
    intervals: number;
    over500Ms: number;
    worst: Array<UnprotectedInterval & { faultsAround: string[] }>;
    gatewayBlindWindows: number;
    pollIntervalMs: number;
    maxPollGapMs: number;
    overProtection: { intervals: number; longestMs: number; maxShares: number; afterManualTrade: number; examples: Array<{ symbol: string; startRealMs: number; durationMs: number; shares: number; afterManualTrade: boolean }> };
    note: string;
  };
  /** The simulator's exposure monitor: intervals with API sells able to trade past what the account may sell. */
  exposure: {
    longestMs: number;
    intervals: number;
    afterManualTrade: { intervals: number; longestMs: number };
    checksBySimulator: number;
    examples: Array<{ symbol: string; startRealMs: number; lengthMs: number; excessShares: number; afterManualTrade: boolean }>;
  };
  foreign: { description: string; heldAtEnd: string[] };
  hangDetection: { maxDetectionMs: number | null; maxHangToWorkingMs: number | null; events: Array<{ app: string; detectionMs: number | null; hangToWorkingMs: number | null }> };
  killToWorkingMs: Record<string, Distribution & { readyP99: number | null }>;
  gatewayRecovery: { backToEmProtectingMs: Distribution; backToAllConnectedMs: Distribution };
  targets: Record<string, { target: number; measured: number | null; met: boolean | null }>;
  invariants: { checked: string[]; violationCounts: Record<string, number>; violations: Violation[] };
  trades: { executions: number; booked: number; corrected: number; correctedBooked: number; entries: number; closedByReason: Record<string, number> };
  errorsLogged: Record<string, number>;
  errorExamples: Record<string, string>;
  faultLog: FaultRecord[];
  dir: string;
}

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { n: 0, p50: null, p99: null, max: null };
  return { n: values.length, p50: round(percentile(values, 50), 0), p99: round(percentile(values, 99), 0), max: round(Math.max(...values), 0) };
}

export function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

export function measured(records: readonly FaultRecord[], name: string, filter: (r: FaultRecord) => boolean = () => true): number[] {
  return records.filter(filter).map((r) => r.measurements[name]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/** Faults active around an interval (from 1 s before it to its end): what a reader checks first. */
export function faultsAround(records: readonly FaultRecord[], interval: { startRealMs: number; endRealMs: number }): string[] {
  return records.filter((r) => r.startedRealMs <= interval.endRealMs && r.endedRealMs >= interval.startRealMs - 1_000).map((r) => `#${r.index + 1} ${r.description}`);
}

export function checkedInvariants(): string[] {
  return Object.values(INVARIANTS);
}

/** The readable report printed after the run. */
export function renderReport(s: ChaosSummary): string {
  const lines: string[] = [];
  const ms = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${Math.round(v)} ms`);
  lines.push(`Chaos run, seed ${s.seed}: ${s.ok ? 'PASSED' : 'FAILED'} - ${s.invariants.violations.length} invariant violation(s)${s.interrupted ? ` (interrupted by ${s.interrupted})` : ''}`);
  lines.push(`  ${s.daysSimulated} simulated trading day(s) in ${Math.round(s.durationMs / 1000)} s; ${s.faults.injected} faults injected (${s.faults.requested} scheduled, ${s.faults.notReached} crash points not reached, ${s.faults.skipped} skipped)`);
  lines.push(`  faults: ${Object.entries(s.faults.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`  restarts (PM2): ${Object.entries(s.restarts.pm2).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`  longest unprotected position: ${ms(s.protection.longestUnprotectedMs)} (bound ${s.protection.boundMs} ms; ${ms(s.protection.longestUnprotectedIncludingGatewayOutagesMs)} counting gateway outages; ${s.protection.intervals} intervals, ${s.protection.over500Ms} over 500 ms)`);
  lines.push(`  never past flat (simulator's exposure monitor): longest ${ms(s.exposure.longestMs)} over ${s.exposure.intervals} interval(s); after trades by hand ${s.exposure.afterManualTrade.intervals} interval(s), longest ${ms(s.exposure.afterManualTrade.longestMs)}`);
  lines.push(`  foreign holdings: ${s.foreign.description}; held at the end: ${s.foreign.heldAtEnd.join(', ') || 'none'}`);
  lines.push(`  hang detection: max ${ms(s.hangDetection.maxDetectionMs)}, hang to working again max ${ms(s.hangDetection.maxHangToWorkingMs)} (${s.hangDetection.events.length} hangs)`);
  for (const [app, d] of Object.entries(s.killToWorkingMs)) lines.push(`  SIGKILL -> working, ${app}: p50 ${ms(d.p50)}, p99 ${ms(d.p99)}, max ${ms(d.max)} (n=${d.n}; ready p99 ${ms(d.readyP99)})`);
  lines.push(`  gateway back -> exit manager protecting: p50 ${ms(s.gatewayRecovery.backToEmProtectingMs.p50)}, p99 ${ms(s.gatewayRecovery.backToEmProtectingMs.p99)}`);
  lines.push(`  trades: ${s.trades.executions} executions at the broker (${s.trades.corrected} corrected, ${s.trades.correctedBooked} of them booked as corrected), ${s.trades.booked} booked, ${s.trades.entries} entries; closed ${Object.entries(s.trades.closedByReason).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const [name, t] of Object.entries(s.targets)) lines.push(`  target ${name}: ${t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED'} (${t.measured === null ? 'n/a' : Math.round(t.measured)} vs ${t.target})`);
  for (const [name, n] of Object.entries(s.invariants.violationCounts)) lines.push(`  VIOLATED ${name} x${n}: ${INVARIANTS[name as keyof typeof INVARIANTS] ?? ''}`);
  for (const v of s.invariants.violations.slice(0, 15)) lines.push(`    - ${v.invariant}: ${v.detail}`);
  if (s.invariants.violations.length > 15) lines.push(`    ... ${s.invariants.violations.length - 15} more in the JSON`);
  if (s.protection.overProtection.intervals) lines.push(`  double protection: ${s.protection.overProtection.intervals} interval(s), longest ${ms(s.protection.overProtection.longestMs)}, up to ${s.protection.overProtection.maxShares} extra shares of stop`);
  const errors = Object.entries(s.errorsLogged);
  if (errors.length) lines.push(`  error lines logged: ${errors.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`  summary: ${s.dir}/chaos-summary.json`);
  if (!s.ok && s.reproduce) lines.push(`  reproduce: ${s.reproduce}`);
  return lines.join('\n');
}
