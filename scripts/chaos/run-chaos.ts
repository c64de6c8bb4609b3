import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { integrityCheck } from '../../shared/db/open-database';
import { errorMessage } from '../../shared/errors/errors';
import { CompressedClock } from '../../shared/time/compressed-clock';
import { readClockAnchor } from '../../shared/time/sim-clock-file';
import { formatNewYork, newYorkTime, sessionHours } from '../../shared/time/trading-calendar';
import { SystemHarness } from '../harness/system-harness';
import { checkDayEnd, faultWindow, ledgerAndOrderChecks, readDb, tradingDays, type DbSnapshot } from './day-checks';
import type { FaultContext, FaultRecord } from './fault-context';
import { runFault } from './fault-runner';
import { buildSchedule, type ScheduledFault, type ScheduleLimits } from './fault-schedule';
import type { ForeignPolicy } from './foreign-book';
import { dbBrokerViolations, dedupe, type Violation } from './invariants';
import { sleep } from './process-control';
import { SeededRandom } from './random';
import { assembleSummary } from './assemble-summary';
import type { SimStateView } from './broker-state';
import type { ChaosSummary, DayReport } from './summary';
import { SystemMonitor } from './system-monitor';

export interface ChaosOptions {
  dir: string;
  days: number;
  faults: number;
  seed: number;
  speed: number;
  startDay: string;
  pollMs: number;
  maxUnprotectedMs: number;
  /** Extra environment for every process (wins over the chaos defaults). */
  env: Record<string, string>;
  progress: (line: string) => void;
  /** The command line that repeats this run (printed with a failure). */
  reproduce?: string;
}

/**
 * Strategy settings that make the simulated market trade enough for chaos to matter (several positions
 * open most of the day, exits by stop and target), and a broker-down alert short enough to be exercised.
 * The simulator runs its realistic profile (the default, written out so nothing can turn it into the
 * ideal one): lagging position reports, corrections, delayed data, pacing, ambiguous symbols, strict
 * modifications, and the foreign holdings of a real account, which the bots leave alone.
 */
export const CHAOS_ENV: Record<string, string> = {
  LOG_CONSOLE: 'false', SCANNER_REFRESH_S: '600', MAX_OPEN_POSITIONS: '6', MIN_ATR_PCT: '0.02', MIN_SCORE: '40', ENTRY_RSI_MAX: '80',
  STOP_LOSS_PCT: '1.5', TAKE_PROFIT_PCT: '3', BROKER_DOWN_ALERT_S: '5', HEARTBEAT_STALE_MS: '3000',
  SIM_PROFILE: 'realistic', SIM_FOREIGN_HOLDINGS: 'true', FOREIGN_POSITIONS: 'ignore',
};

/**
 * What a run has so far, shared with whoever may have to stop it from outside (the CLI's SIGINT/SIGTERM
 * handler): the system to stop, and the records to summarize.
 */
export interface LiveRun {
  options: ChaosOptions;
  startedMs: number;
  env: Record<string, string>;
  system?: SystemHarness;
  monitor?: SystemMonitor;
  records: FaultRecord[];
  violations: Violation[];
  dayReports: DayReport[];
  pm2Restarts: Record<string, number>;
  finalState?: SimStateView;
  finalDb?: DbSnapshot;
  /** Set when the run is being stopped from outside: the run loop injects nothing more. */
  interrupted?: string;
}

export function newLiveRun(options: ChaosOptions): LiveRun {
  return { options, startedMs: Date.now(), env: { ...CHAOS_ENV, ...options.env }, records: [], violations: [], dayReports: [], pm2Restarts: {} };
}

/** Real ms of a market time on the compressed clock. */
function realAt(clock: CompressedClock, marketMs: number): number {
  return clock.realTimeFor(marketMs);
}

export function scheduleLimits(env: Record<string, string>): ScheduleLimits {
  return {
    livenessTimeoutMs: Number(env.IB_LIVENESS_TIMEOUT_MS ?? 3_000), livenessIntervalMs: Number(env.IB_LIVENESS_INTERVAL_MS ?? 1_000),
    heartbeatStaleMs: Number(env.HEARTBEAT_STALE_MS ?? 3_000), busyTimeoutMs: Number(env.DB_BUSY_TIMEOUT_MS ?? 5_000),
    brokerDownAlertMs: Number(env.BROKER_DOWN_ALERT_S ?? 30) * 1000, requestTimeoutMs: Number(env.IB_REQUEST_TIMEOUT_MS ?? 8_000),
  };
}

export async function runChaos(options: ChaosOptions, live: LiveRun = newLiveRun(options)): Promise<ChaosSummary> {
  const env = live.env;
  const limits = scheduleLimits(env);
  const days = tradingDays(options.startDay, options.days);
  const windows = days.map(faultWindow);
  const schedule = buildSchedule({ seed: options.seed, faults: options.faults, dayWeights: windows.map((w) => w.endMs - w.startMs), limits });
  options.progress(`chaos: seed ${options.seed}, ${options.faults} faults over ${days.length} day(s) (${days.join(', ')}) at x${options.speed}; dir ${options.dir}`);

  fs.mkdirSync(options.dir, { recursive: true });
  const system = await SystemHarness.prepare({ dir: options.dir, speed: options.speed, dayStart: '09:20', dayEnd: '16:15', startDay: days[0], seed: options.seed, env, snapshotBuild: true });
  live.system = system;
  let readDbHandle: Database.Database | undefined;
  try {
    await system.launch();
    options.progress(`system started: PM2_HOME ${system.env.PM2_HOME}, gateway admin http://127.0.0.1:${system.env.SIM_ADMIN_PORT}`);
    const clock = new CompressedClock(readClockAnchor(system.env.SIM_CLOCK_FILE!)!);
    readDbHandle = new Database(system.env.DB_PATH!, { readonly: true, fileMustExist: true });
    readDbHandle.pragma('busy_timeout = 5000');
    const monitor = await SystemMonitor.create(system, readDbHandle, options.pollMs, (env.FOREIGN_POSITIONS ?? 'ignore') as ForeignPolicy);
    live.monitor = monitor;
    monitor.onFirstExposure = (s) => options.progress(`EXPOSURE ${s.symbol}: API sell orders able to trade ${s.excessShares} share(s) more than the account may sell (from ${new Date(s.startRealMs).toISOString()})`);
    options.progress(`foreign holdings: ${monitor.book.describe()}`);
    monitor.start();
    const ctx: FaultContext = {
      system, monitor, clock, limits, random: new SeededRandom(options.seed).fork('run-time'),
      strategy: { stopLossPct: Number(env.STOP_LOSS_PCT), takeProfitPct: Number(env.TAKE_PROFIT_PCT) },
      violate: (invariant, detail) => live.violations.push({ invariant, detail, atRealMs: Date.now(), tradingDay: formatNewYork(clock.now(), 'yyyy-LL-dd') }),
      progress: options.progress,
    };
    let carried: ScheduledFault[] = [];
    for (let d = 0; d < days.length && !live.interrupted; d++) {
      const day = days[d]!;
      const last = d === days.length - 1;
      const windowStart = realAt(clock, windows[d]!.startMs);
      const windowEnd = realAt(clock, windows[d]!.endMs);
      options.progress(`day ${d + 1}/${days.length} ${day}: faults from ${formatNewYork(windows[d]!.startMs, 'HH:mm')} to ${formatNewYork(windows[d]!.endMs, 'HH:mm')} New York time`);
      const todays = [...carried.map((f) => ({ fault: f, atMs: windowStart })), ...schedule.filter((f) => f.day === d).map((f) => ({ fault: f, atMs: windowStart + f.at * (windowEnd - windowStart) }))];
      carried = [];
      for (const { fault, atMs } of todays) {
        await sleep(atMs - Date.now());
        if (live.interrupted) break;
        if (Date.now() > windowEnd) {
          // Late (earlier faults took long): never into the EOD flatten; the next day takes it first.
          if (!last) carried.push(fault);
          else live.records.push(skippedLate(fault, atMs, clock));
          continue;
        }
        live.records.push(await runFault(ctx, fault, atMs));
      }
      if (live.interrupted) break;
      const nextOpen = last ? realAt(clock, sessionHours(day)!.closeMs) + 60_000 : realAt(clock, newYorkTime(days[d + 1]!, '09:30'));
      const { report, violations: dayViolations } = await checkDayEnd(system, monitor, day, nextOpen);
      live.violations.push(...dayViolations);
      live.dayReports.push(report);
      options.progress(`day ${day} closed: reconciliation ${report.postCloseReconciliation}, bots flat ${report.flatAfterClose} (foreign held: ${report.foreignHeld || 'none'}), ${report.entries} entries, closed ${JSON.stringify(report.closed)}, ${dayViolations.length} violation(s)`);
    }
    if (!live.interrupted) {
      live.finalState = await monitor.fetchState();
      live.finalDb = readDb(system);
      live.violations.push(...ledgerAndOrderChecks(live.finalState, live.finalDb, monitor.book), ...dbBrokerViolations(live.finalDb.active, live.finalState.positions, monitor.book));
      await monitor.stop();
      live.pm2Restarts = Object.fromEntries(system.processes().map((p) => [p.name, p.restarts]));
    }
  } catch (error) {
    if (!live.interrupted) {
      live.violations.push({ invariant: 'botsRecover', detail: `the chaos run itself failed: ${errorMessage(error)}` });
      options.progress(`chaos run failed: ${(error as Error).stack ?? errorMessage(error)}`);
    }
  } finally {
    if (live.monitor) await live.monitor.stop().catch(() => undefined);
    readDbHandle?.close();
    await system.stop();
  }
  return finishRun(live);
}

/**
 * The summary of what a run did, complete or not: the last checks that need the whole run (the order ids,
 * the exposure intervals at their final lengths, the DB's integrity) and the assembled figures.
 */
export function finishRun(live: LiveRun): ChaosSummary {
  const { options, monitor } = live;
  const violations = [...live.violations];
  if (monitor) {
    for (const line of monitor.linesOf('sim-gateway', 'order_rejected').filter((l) => Number(l.code) === 103)) {
      violations.push({ invariant: 'orderIdsNeverReused', atRealMs: line.atMs, detail: `client ${String(line.clientId)} sent order id ${String(line.orderId)} (${String(line.orderRef)}) at or below one it used before: rejected with IB 103` });
    }
    violations.push(...monitor.finalViolations());
  }
  let integrity = 'not checked';
  const dbPath = live.system?.env.DB_PATH;
  if (dbPath && fs.existsSync(dbPath)) {
    try {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      integrity = integrityCheck(db);
      db.close();
    } catch (error) {
      integrity = `cannot open: ${errorMessage(error)}`;
    }
    if (integrity !== 'ok') violations.push({ invariant: 'integrity', detail: `PRAGMA integrity_check: ${integrity}` });
  }
  return assembleSummary({
    options: { ...options, progress: undefined, env: live.env }, startedMs: live.startedMs, records: live.records, violations: dedupe(violations), dayReports: live.dayReports,
    // An interrupted run has no final snapshot: its figures come from the last poll and the DB as it is.
    monitor, pm2Restarts: live.pm2Restarts, finalState: live.finalState ?? monitor?.state, finalDb: live.finalDb ?? lastDb(live), requestedFaults: options.faults, maxUnprotectedMs: options.maxUnprotectedMs,
    pollMs: options.pollMs, dir: options.dir, interrupted: live.interrupted, reproduce: options.reproduce,
  });
}

function lastDb(live: LiveRun): DbSnapshot | undefined {
  if (!live.system || !fs.existsSync(live.system.env.DB_PATH!)) return undefined;
  try {
    return readDb(live.system);
  } catch {
    return undefined; // locked or half-written: the figures stay empty
  }
}

function skippedLate(fault: ScheduledFault, atMs: number, clock: CompressedClock): FaultRecord {
  return {
    index: fault.index, day: fault.day, kind: fault.spec.kind, description: 'not injected: the last day\'s fault window was over', outcome: 'skipped',
    marketTime: formatNewYork(clock.now(), 'yyyy-LL-dd HH:mm:ss'), scheduledRealMs: atMs, startedRealMs: Date.now(), endedRealMs: Date.now(),
    positionsOpen: 0, ordersWorking: 0, measurements: {},
  };
}

/** Without --keep-dir only the summary (and, after a failure, the logs) stay. */
export function tidyRunDir(dir: string, keepAll: boolean, keepLogs: boolean): void {
  if (keepAll || !fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir)) {
    if (entry === 'chaos-summary.json' || (keepLogs && entry === 'logs')) continue;
    fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
}
