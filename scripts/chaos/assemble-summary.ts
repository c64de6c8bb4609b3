import { isApiClient, type SimStateView } from './broker-state';
import type { DbSnapshot } from './day-checks';
import type { FaultRecord } from './fault-context';
import { dedupe, type Violation } from './invariants';
import { checkedInvariants, countBy, distribution, faultsAround, measured, type ChaosSummary, type DayReport } from './summary';
import type { SystemMonitor } from './system-monitor';

export interface SummaryInput {
  options: Record<string, unknown>;
  startedMs: number;
  records: FaultRecord[];
  violations: Violation[];
  dayReports: DayReport[];
  monitor: SystemMonitor;
  pm2Restarts: Record<string, number>;
  finalState: SimStateView | undefined;
  finalDb: DbSnapshot | undefined;
  requestedFaults: number;
  maxUnprotectedMs: number;
  pollMs: number;
  dir: string;
}

export const TARGETS = { unprotectedMs: 2_000, hangDetectedAndRestartedMs: 5_000, killToWorkingP99Ms: 1_000 } as const;

const GATEWAY_KINDS = new Set(['gateway-restart', 'gateway-outage', 'ids-backwards', 'replay-executions', 'gateway-silence', 'drop-connections', 'positions-timeout']);

/** Turns the fault log, the tracker's intervals and the final books into the summary (and the last violations). */
export function assembleSummary(input: SummaryInput): ChaosSummary {
  const { records, monitor } = input;
  const violations = [...input.violations, ...monitor.violations];
  const intervals = monitor.tracker.finish(Date.now());
  for (const interval of intervals.filter((i) => i.effectiveMs > input.maxUnprotectedMs || i.openAtEnd)) {
    violations.push({
      invariant: 'protectedWithinBound', atRealMs: interval.startRealMs,
      detail: `${interval.symbol} unprotected (${interval.how}) for ${interval.effectiveMs} ms${interval.blindMs ? ` (+${interval.blindMs} ms while the gateway was down)` : ''} from ${new Date(interval.startRealMs).toISOString()}${interval.openAtEnd ? ', still unprotected at the end' : ''}; faults around: ${faultsAround(records, interval).join('; ') || 'none'}`,
    });
  }
  const injected = records.filter((r) => r.outcome === 'injected');
  const kills = injected.filter((r) => r.kind === 'sigkill' || r.kind === 'sigkill-in-flight');
  const killApps = [...new Set(kills.map((r) => r.target!))].sort();
  const killToWorkingMs = Object.fromEntries(killApps.map((app) => {
    const mine = (r: FaultRecord) => r.target === app;
    const working = distribution(measured(kills, 'killToWorkingMs', mine));
    return [app, { ...working, readyP99: distribution(measured(kills, 'killToReadyMs', mine)).p99 }];
  }));
  const hangs = injected.filter((r) => r.kind === 'sigstop');
  const hangEvents = hangs.map((r) => ({ app: r.target!, detectionMs: num(r.measurements.detectionMs), hangToWorkingMs: num(r.measurements.hangToWorkingMs) }));
  const maxOf = (values: Array<number | null>) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length ? Math.max(...known) : null;
  };
  const gateway = injected.filter((r) => GATEWAY_KINDS.has(r.kind));
  const longest = Math.max(0, ...intervals.map((i) => i.effectiveMs));
  const longestAll = Math.max(0, ...intervals.map((i) => i.durationMs));
  const worst = [...intervals].sort((a, b) => b.effectiveMs - a.effectiveMs).slice(0, 5).map((i) => ({ ...i, faultsAround: faultsAround(records, i) }));
  const hangMax = maxOf(hangEvents.map((e) => e.hangToWorkingMs));
  const killTargets = Object.fromEntries(killApps.map((app) => [`killToWorkingP99Ms:${app}`, { target: TARGETS.killToWorkingP99Ms, measured: killToWorkingMs[app]!.p99, met: killToWorkingMs[app]!.p99 === null ? null : killToWorkingMs[app]!.p99! <= TARGETS.killToWorkingP99Ms }]));
  const finalViolations = dedupe(violations);
  const state = input.finalState;
  const db = input.finalDb;
  return {
    ok: finalViolations.length === 0,
    seed: Number(input.options.seed),
    options: input.options,
    startedAt: new Date(input.startedMs).toISOString(),
    durationMs: Date.now() - input.startedMs,
    daysSimulated: input.dayReports.length,
    days: input.dayReports,
    faults: {
      requested: input.requestedFaults, injected: injected.length, notReached: records.filter((r) => r.outcome === 'not-reached').length,
      skipped: records.filter((r) => r.outcome === 'skipped').length, byKind: countBy(injected, (r) => r.kind), byTarget: countBy(injected, (r) => (r.target && r.kind.startsWith('sig') ? `${r.kind}:${r.target}` : undefined)),
    },
    restarts: { pm2: input.pm2Restarts, supervisorKills: countBy(monitor.linesOf('supervisor', 'bot_unhealthy'), (l) => String(l.target)) },
    protection: {
      longestUnprotectedMs: longest, longestUnprotectedIncludingGatewayOutagesMs: longestAll, boundMs: input.maxUnprotectedMs, intervals: intervals.length,
      over500Ms: intervals.filter((i) => i.effectiveMs > 500).length, worst, gatewayBlindWindows: monitor.tracker.blindWindows.length,
      pollIntervalMs: input.pollMs, maxPollGapMs: monitor.maxPollGapMs,
      overProtection: {
        intervals: monitor.overProtection.length, longestMs: Math.max(0, ...monitor.overProtection.map((o) => o.endRealMs - o.startRealMs)),
        maxShares: Math.max(0, ...monitor.overProtection.map((o) => o.shares)),
        examples: monitor.overProtection.slice(0, 10).map((o) => ({ symbol: o.symbol, startRealMs: o.startRealMs, durationMs: o.endRealMs - o.startRealMs, shares: o.shares })),
      },
      note: 'Measured at the simulator: a position counts as protected when working stop-loss and take-profit orders (or closing orders) each cover all of it. '
        + 'Starts use the fill\'s gateway stamp when known, else the last poll that saw the position fine; ends use the protective order\'s gateway stamp when known, else the poll. '
        + 'Time while the gateway itself was restarting, silent or dropping connections (until the exit manager reconnected) is excluded from longestUnprotectedMs and shown in the "including" figure: no order can be placed through a gateway that is not there.',
    },
    hangDetection: { maxDetectionMs: maxOf(hangEvents.map((e) => e.detectionMs)), maxHangToWorkingMs: hangMax, events: hangEvents },
    killToWorkingMs,
    gatewayRecovery: { backToEmProtectingMs: distribution(measured(gateway, 'backToEmProtectingMs')), backToAllConnectedMs: distribution(measured(gateway, 'backToAllConnectedMs')) },
    targets: {
      unprotectedMs: { target: TARGETS.unprotectedMs, measured: longest, met: longest <= TARGETS.unprotectedMs },
      hangDetectedAndRestartedMs: { target: TARGETS.hangDetectedAndRestartedMs, measured: hangMax, met: hangEvents.length === 0 ? null : hangEvents.every((e) => e.hangToWorkingMs !== null && e.hangToWorkingMs <= TARGETS.hangDetectedAndRestartedMs) },
      ...killTargets,
    },
    invariants: { checked: checkedInvariants(), violationCounts: countBy(finalViolations, (v) => v.invariant), violations: finalViolations.slice(0, 200) },
    trades: {
      executions: state ? state.executions.filter(isApiClient).length : 0, booked: db ? db.trades.length : 0,
      entries: db ? new Set(db.trades.filter((t) => t.purpose === 'ENTRY').map((t) => t.position_id)).size : 0,
      closedByReason: db ? countBy(db.closed, (r) => r.exit_reason) : {},
    },
    errorsLogged: Object.fromEntries(monitor.errorCounts),
    errorExamples: Object.fromEntries(monitor.errorExamples),
    faultLog: records,
    dir: input.dir,
  };
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
