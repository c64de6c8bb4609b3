import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { listBackups } from '../../shared/ops/backup-files';
import { dbBytes } from '../../shared/ops/db-backup';
import { HeartbeatsRepository } from '../../shared/db/repositories/heartbeats-repository';
import { errorMessage } from '../../shared/errors/errors';
import { CompressedClock } from '../../shared/time/compressed-clock';
import { readClockAnchor } from '../../shared/time/sim-clock-file';
import { earlyCloseReason, formatNewYork, newYorkTime, nextTradingDay, sessionHours } from '../../shared/time/trading-calendar';
import { dirBytes } from '../../apps/supervisor/log-housekeeping';
import { SystemHarness } from '../harness/system-harness';
import { checkDayEnd, tradingDays } from '../chaos/day-checks';
import { dedupe, type Violation } from '../chaos/invariants';
import { CHAOS_ENV } from '../chaos/run-chaos';
import { SystemMonitor } from '../chaos/system-monitor';
import { percentile, type ProcessDayFigures, type SoakDay } from './soak-figures';

export interface SoakOptions {
  dir: string;
  days: number;
  speed: number;
  seed: number;
  startDay: string;
  dayStart: string;
  dayEnd: string;
  pollMs: number;
  maxUnprotectedMs: number;
  env: Record<string, string>;
  progress: (line: string) => void;
  /** Called after each day with the rows so far (the CLI writes them out as it goes). */
  onDay?: (days: readonly SoakDay[]) => void;
}

/**
 * The strategy settings of the chaos run (so the simulated market trades), the realistic simulator profile,
 * and the periods a long run needs at a high speed: a reconciliation every 300 market seconds instead of 60
 * (at x300 that is once a real second, not five times), a status line every 30 market minutes. The console
 * lines stay on (PM2's own logs grow as in production), backups go to the run's folder and keep 5 days.
 */
export function soakEnv(dir: string): Record<string, string> {
  return {
    ...CHAOS_ENV, LOG_CONSOLE: 'true', RECONCILE_INTERVAL_S: '300', POSITION_RESYNC_S: '300', SUPERVISOR_STATUS_S: '1800',
    BACKUP_DIR: path.join(dir, 'backups'), BACKUP_KEEP: '5', BACKUP_AFTER_CLOSE_MIN: '12', GATEWAY_RESTART_TIME: 'none', BROKER_DOWN_ALERT_S: '30',
  };
}

const APPS = ['sim-gateway', 'exit-manager', 'day-trader', 'reconciler', 'supervisor', 'dashboard', 'notifier'];

interface DayAccumulator {
  rssMax: Map<string, number>;
  lag: Map<string, number[]>;
  restartsAtStart: Map<string, number>;
}

/**
 * `npm run soak`: the whole system under a private PM2 on the realistic simulator at a high speed, one
 * trading day after another (holidays skipped, early closes and DST changes as the calendar has them), with
 * the daily schedule, reports and backups the supervisor runs, no faults. Per day: the chaos invariants
 * (continuously, through chaos's SystemMonitor, and after each close with its day-end checks), RSS of every
 * process (PM2's figure), the event-loop delay the heartbeats carry, DB and log sizes, the backup.
 */
export async function runSoak(options: SoakOptions): Promise<{ days: SoakDay[]; violations: Violation[]; realMinutes: number; aborted?: string }> {
  const startedMs = Date.now();
  const days = tradingDays(options.startDay, options.days);
  const env = { ...soakEnv(options.dir), ...options.env };
  fs.mkdirSync(options.dir, { recursive: true });
  const system = await SystemHarness.prepare({ dir: options.dir, speed: options.speed, dayStart: options.dayStart, dayEnd: options.dayEnd, startDay: days[0], seed: options.seed, env, snapshotBuild: true });
  const rows: SoakDay[] = [];
  const allViolations: Violation[] = [];
  const seen = new Set<string>();
  let handle: Database.Database | undefined;
  let monitor: SystemMonitor | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let aborted: string | undefined;
  const stopSignal = { stop: false };
  const onSignal = (signal: string) => {
    aborted = `interrupted (${signal})`;
    stopSignal.stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    options.progress(`soak: ${days.length} trading days ${days[0]} .. ${days[days.length - 1]} at x${options.speed} (${options.dayStart}-${options.dayEnd} New York), seed ${options.seed}; dir ${options.dir}`);
    await system.launch();
    const clock = new CompressedClock(readClockAnchor(system.env.SIM_CLOCK_FILE!)!);
    handle = new Database(system.env.DB_PATH!, { readonly: true, fileMustExist: true });
    handle.pragma('busy_timeout = 5000');
    const heartbeats = new HeartbeatsRepository(handle);
    monitor = await SystemMonitor.create(system, handle, options.pollMs, 'ignore');
    monitor.start();
    options.progress(`system started (PM2_HOME ${system.env.PM2_HOME})`);

    let acc = newAccumulator(system);
    let pm2SampleMs = 0;
    const sample = () => {
      try {
        for (const beat of heartbeats.getAll()) {
          const list = acc.lag.get(beat.app) ?? [];
          list.push(beat.loopLagMs);
          acc.lag.set(beat.app, list);
        }
      } catch {
        // a lock or a beat being written: next second
      }
      if (Date.now() - pm2SampleMs >= 10_000) {
        pm2SampleMs = Date.now();
        for (const p of system.processes()) acc.rssMax.set(p.name, Math.max(acc.rssMax.get(p.name) ?? 0, p.memoryBytes));
      }
    };
    sampler = setInterval(sample, 1_000);

    for (let d = 0; d < days.length && !stopSignal.stop; d++) {
      const day = days[d]!;
      const dayStartedMs = Date.now();
      const closeMs = sessionHours(day)!.closeMs;
      const nextOpenReal = d < days.length - 1 ? clock.realTimeFor(newYorkTime(days[d + 1]!, '09:30')) : clock.realTimeFor(closeMs) + 120_000;
      await sleepUntil(clock.realTimeFor(closeMs), stopSignal);
      if (stopSignal.stop) break;
      const { report, violations: dayEnd } = await checkDayEnd(system, monitor, day, nextOpenReal);
      // The backup is due at the close + 12 min; it may finish after the compressed day jumped to the next one.
      const backup = await waitForBackup(system, day, clock.realTimeFor(newYorkTime(day, options.dayEnd)) + 15_000, stopSignal);
      const dayViolations = [...dayEnd, ...monitor.violations, ...unprotectedOver(monitor, options.maxUnprotectedMs)];
      const fresh = dedupe(dayViolations).filter((v) => {
        const key = `${v.invariant}|${v.detail}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      allViolations.push(...fresh);
      const processes = system.processes();
      const figures: Record<string, ProcessDayFigures> = {};
      for (const app of APPS) {
        const p = processes.find((x) => x.name === app);
        const lags = acc.lag.get(app) ?? [];
        figures[app] = {
          rssEndMb: p ? mb(p.memoryBytes) : null, rssMaxMb: acc.rssMax.has(app) ? mb(Math.max(acc.rssMax.get(app)!, p?.memoryBytes ?? 0)) : null,
          loopDelayP99Ms: round1(percentile(lags, 99)), loopDelayMaxMs: round1(lags.length ? Math.max(...lags) : null),
          restarts: p ? p.restarts - (acc.restartsAtStart.get(app) ?? p.restarts) : 0,
        };
      }
      const tradesTotal = system.query<{ n: number }>('SELECT COUNT(*) AS n FROM trades')[0]!.n;
      const row: SoakDay = {
        index: d + 1, tradingDay: day, notes: dayNotes(day, d > 0 ? days[d - 1]! : undefined), realSeconds: Math.round((Date.now() - dayStartedMs) / 100) / 10,
        violations: fresh.length, violationSamples: fresh.slice(0, 3).map((v) => `${v.invariant}: ${v.detail}`.slice(0, 300)),
        entries: report.entries, closed: Object.values(report.closed).reduce((n, c) => n + c, 0), tradesTotal,
        dbBytes: dbBytes(system.env.DB_PATH!), logBytes: dirBytes(system.env.LOG_DIR!), backups: listBackups(env.BACKUP_DIR!, system.env.DB_PATH!).length,
        backupOk: backup, reportsWritten: countFiles(system.env.REPORTS_DIR!), processes: figures,
      };
      rows.push(row);
      options.onDay?.(rows);
      options.progress(`day ${row.index}/${days.length} ${day}${row.notes.length ? ` (${row.notes.join(', ')})` : ''}: ${row.entries} entries, ${row.closed} closed, ${row.violations} violation(s), backup ${backup === null ? 'not seen' : backup ? 'ok' : 'FAILED'}, DB ${mb(row.dbBytes)} MB, logs ${mb(row.logBytes)} MB, RSS ${APPS.map((a) => `${a} ${figures[a]!.rssEndMb ?? '-'}`).join(' / ')} MB`);
      acc = newAccumulator(system);
      // The monitor keeps every log line it read; a day's are not needed once the day is judged.
      (monitor as unknown as { lines: Map<string, unknown[]> }).lines.clear();
      monitor.violations.length = 0;
    }
  } catch (error) {
    aborted = `the soak run failed: ${errorMessage(error)}`;
    options.progress(`soak run failed: ${(error as Error).stack ?? errorMessage(error)}`);
  } finally {
    if (sampler) clearInterval(sampler);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (monitor) await monitor.stop().catch(() => undefined);
    handle?.close();
    await system.stop();
  }
  return { days: rows, violations: allViolations, realMinutes: Math.round((Date.now() - startedMs) / 6_000) / 10, aborted };
}

function newAccumulator(system: SystemHarness): DayAccumulator {
  return { rssMax: new Map(), lag: new Map(), restartsAtStart: new Map(system.processes().map((p) => [p.name, p.restarts])) };
}

/** Unprotected intervals closed since the last call, longer than the bound (outside gateway outages). */
function unprotectedOver(monitor: SystemMonitor, maxMs: number): Violation[] {
  const intervals = monitor.tracker.intervals.splice(0);
  return intervals.filter((i) => i.effectiveMs > maxMs).map((i) => ({
    invariant: 'protectedWithinBound' as const, atRealMs: i.startRealMs,
    detail: `${i.symbol} unprotected (${i.how}) for ${i.effectiveMs} ms from ${new Date(i.startRealMs).toISOString()}`,
  }));
}

/** The day's BACKUP trigger outcome: true DONE, false FAILED, null not finished before the deadline. */
async function waitForBackup(system: SystemHarness, day: string, deadlineMs: number, stop: { stop: boolean }): Promise<boolean | null> {
  while (!stop.stop) {
    const row = system.query<{ status: string }>("SELECT status FROM scheduled_triggers WHERE trigger_key = ?", `${day}:backup`)[0];
    if (row?.status === 'DONE') return true;
    if (row?.status === 'FAILED') return false;
    if (Date.now() >= deadlineMs) return null;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return null;
}

function dayNotes(day: string, previous: string | undefined): string[] {
  const notes: string[] = [];
  const early = earlyCloseReason(day);
  if (early) notes.push(`early close: ${early}`);
  if (previous) {
    // A holiday between two trading days: the next trading day after `previous` on the calendar is not a weekday away.
    const gapDays = (Date.parse(`${day}T12:00:00Z`) - Date.parse(`${previous}T12:00:00Z`)) / 86_400_000;
    const weekend = new Date(`${previous}T12:00:00Z`).getUTCDay() === 5 ? 3 : 1;
    if (gapDays > weekend) notes.push(`after a holiday`);
    const offsetBefore = formatNewYork(Date.parse(`${previous}T17:00:00Z`), 'ZZ');
    const offsetNow = formatNewYork(Date.parse(`${day}T17:00:00Z`), 'ZZ');
    if (offsetBefore !== offsetNow) notes.push(`DST change (${offsetBefore} → ${offsetNow})`);
  }
  void nextTradingDay;
  return notes;
}

function countFiles(dir: string): number {
  let n = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) n += entry.isDirectory() ? countFiles(path.join(dir, entry.name)) : 1;
  return n;
}

async function sleepUntil(realMs: number, stop: { stop: boolean }): Promise<void> {
  while (!stop.stop && Date.now() < realMs) await new Promise((resolve) => setTimeout(resolve, Math.min(500, realMs - Date.now())));
}

function mb(bytes: number): number {
  return Math.round((bytes / 1_048_576) * 10) / 10;
}

function round1(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}
