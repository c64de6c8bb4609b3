import { executionVersion } from '../../shared/db/execution-ids';
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
  /** Undefined when the run was stopped before the system was up. */
  monitor: SystemMonitor | undefined;
  pm2Restarts: Record<string, number>;
  finalState: SimStateView | undefined;
  finalDb: DbSnapshot | undefined;
  requestedFaults: number;
  maxUnprotectedMs: number;
  pollMs: number;
  dir: string;
  /** The signal that stopped the run early, if one did. */
  interrupted?: string;
  reproduce?: string;
}

export const TARGETS = { unprotectedMs: 2_000, hangDetectedAndRestartedMs: 5_000, killToWorkingP99Ms: 1_000 } as const;

const GATEWAY_KINDS = new Set(['gateway-restart', 'gateway-outage', 'ids-backwards', 'replay-executions', 'gateway-silence', 'drop-connections', 'positions-timeout', 'open-orders-timeout', 'ib-link-loss']);

/** Turns the fault log, the tracker's intervals and the final books into the summary (and the last violations). */
export function assembleSummary(input: SummaryInput): ChaosSummary {
  const { records, monitor } = input;
  const violations = [...input.violations, ...(monitor?.violations ?? [])];
  const intervals = monitor ? monitor.tracker.finish(Date.now()) : [];
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
  const exposure = monitor?.exposureSeen() ?? [];
  const overProtection = monitor?.overProtection ?? [];
  const corrected = state ? state.executions.filter((e) => isApiClient(e) && executionVersion(e.execId) > 1) : [];
  return {
    ok: finalViolations.length === 0 && !input.interrupted,
    seed: Number(input.options.seed),
    ...(input.reproduce ? { reproduce: input.reproduce } : {}),
    ...(input.interrupted ? { interrupted: input.interrupted } : {}),
    options: input.options,
    startedAt: new Date(input.startedMs).toISOString(),
    durationMs: Date.now() - input.startedMs,
    daysSimulated: input.dayReports.length,
    days: input.dayReports,
    faults: {
      requested: input.requestedFaults, injected: injected.length, notReached: records.filter((r) => r.outcome === 'not-reached').length,
      skipped: records.filter((r) => r.outcome === 'skipped').length, byKind: countBy(injected, (r) => r.kind), byTarget: countBy(injected, (r) => (r.target && r.kind.startsWith('sig') ? `${r.kind}:${r.target}` : undefined)),
    },
    restarts: { pm2: input.pm2Restarts, supervisorKills: countBy(monitor?.linesOf('supervisor', 'bot_unhealthy') ?? [], (l) => String(l.target)) },
    protection: {
      longestUnprotectedMs: longest, longestUnprotectedIncludingGatewayOutagesMs: longestAll, boundMs: input.maxUnprotectedMs, intervals: intervals.length,
      over500Ms: intervals.filter((i) => i.effectiveMs > 500).length, worst, gatewayBlindWindows: monitor?.tracker.blindWindows.length ?? 0,
      pollIntervalMs: input.pollMs, maxPollGapMs: monitor?.maxPollGapMs ?? 0,
      overProtection: {
        intervals: overProtection.filter((o) => !o.afterManualTrade).length, longestMs: Math.max(0, ...overProtection.filter((o) => !o.afterManualTrade).map((o) => o.endRealMs - o.startRealMs)),
        maxShares: Math.max(0, ...overProtection.filter((o) => !o.afterManualTrade).map((o) => o.shares)),
        afterManualTrade: overProtection.filter((o) => o.afterManualTrade).length,
        examples: overProtection.slice(0, 10).map((o) => ({ symbol: o.symbol, startRealMs: o.startRealMs, durationMs: o.endRealMs - o.startRealMs, shares: o.shares, afterManualTrade: o.afterManualTrade })),
      },
      note: 'Measured at the simulator: a position counts as protected when working stop-loss and take-profit orders (or closing orders) each cover all of it. '
        + 'Starts use the fill\'s gateway stamp when known, else the last poll that saw the position fine; ends use the protective order\'s gateway stamp when known, else the poll. '
        + 'Time while the gateway itself was restarting, silent or dropping connections (until the exit manager reconnected) is excluded from longestUnprotectedMs and shown in the "including" figure: no order can be placed through a gateway that is not there.',
    },
    exposure: {
      longestMs: Math.max(0, ...exposure.filter((e) => !e.afterManualTrade).map((e) => e.lengthMs)),
      // (an excess seen and gone within one engine step has length 0: the invariant allows it, the count does not show it)
      intervals: exposure.filter((e) => !e.afterManualTrade && e.lengthMs > 0).length,
      afterManualTrade: { intervals: exposure.filter((e) => e.afterManualTrade).length, longestMs: Math.max(0, ...exposure.filter((e) => e.afterManualTrade).map((e) => e.lengthMs)) },
      checksBySimulator: monitor?.exposureChecks ?? 0,
      examples: exposure.slice(0, 10).map((e) => ({ symbol: e.symbol, startRealMs: e.startRealMs, lengthMs: e.lengthMs, excessShares: e.excessShares, afterManualTrade: e.afterManualTrade })),
    },
    foreign: monitor ? { description: monitor.book.describe(), heldAtEnd: state ? state.positions.filter((p) => monitor.book.botQuantity(p) !== p.quantity).map((p) => `${p.symbol} ${p.quantity}`) : [] } : { description: 'not read', heldAtEnd: [] },
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
      executions: state ? state.executions.filter(isApiClient).length : 0, booked: db ? db.trades.length : 0, corrected: corrected.length,
      correctedBooked: db ? corrected.filter((e) => db.trades.some((t) => t.exec_id === e.execId)).length : 0,
      entries: db ? new Set(db.trades.filter((t) => t.purpose === 'ENTRY').map((t) => t.position_id)).size : 0,
      closedByReason: db ? countBy(db.closed, (r) => r.exit_reason) : {},
    },
    errorsLogged: Object.fromEntries(monitor?.errorCounts ?? []),
    errorExamples: Object.fromEntries(monitor?.errorExamples ?? []),
    faultLog: records,
    dir: input.dir,
  };
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
