import type { Heartbeat } from '../../../shared/db';
import type { LivenessBeat } from '../../../shared/process/liveness-file';
import { marketPhase } from '../../../shared/time/trading-calendar';
import type { DbProblem } from '../../../scripts/status/status-model';
import { duration } from '../html/format';
import type { DashboardServices } from '../services';

/** The bots that write heartbeats and liveness files. */
export const BOT_APPS = ['exit-manager', 'day-trader', 'reconciler', 'supervisor'] as const;

export interface AppFreshness {
  app: string;
  /** Real ms since the heartbeat row was written (null: no row, or the DB cannot be read). */
  rowAgeMs: number | null;
  /** Real ms since the liveness file was written (null: no file). */
  fileAgeMs: number | null;
  /** Since when (real ms) the bot's DB writes have been refused by another process's lock; null: not blocked. */
  waitingForDbLockSinceMs: number | null;
}

export interface Freshness {
  database: { readable: boolean; problem: DbProblem | null; lastGoodReadAtMs: number | null };
  /** Another process holds the DB's write lock: the bots are alive but cannot write (from their liveness files). */
  writeLock: { heldForMs: number; blockedApps: string[] } | null;
  apps: AppFreshness[];
  broker: { enabled: boolean; refreshedAtMs: number | null; ageMs: number | null };
  /** The latest portfolio snapshot's age (real ms), null without one. */
  snapshotAgeMs: number | null;
  /** Sentences for the page: what is stale, since when, and why. */
  notices: string[];
}

/**
 * What on the page may be stale, and why. In WAL mode the dashboard can always read the last commit, so a
 * DB whose write lock another process holds looks healthy but silently old: the bots' liveness files (written
 * beside the DB whatever the lock) say that their writes are blocked and since when.
 */
export function assessFreshness(s: DashboardServices, input: { heartbeats: Heartbeat[] | null; latestSnapshotAtMs: number | null }): Freshness {
  const nowMs = Date.now();
  const apps: AppFreshness[] = BOT_APPS.map((app) => {
    const row = input.heartbeats?.find((h) => h.app === app);
    let file: LivenessBeat | undefined;
    try {
      file = s.liveness.read(app);
    } catch (error) {
      s.log.debug('liveness_file_unreadable', { app, error: (error as Error).message });
    }
    const fileFresh = file !== undefined && nowMs - file.beatAtMs < s.config.supervisor.heartbeatStaleMs;
    return {
      app,
      rowAgeMs: row ? Math.max(0, nowMs - row.beatAtMs) : null,
      fileAgeMs: file ? Math.max(0, nowMs - file.beatAtMs) : null,
      waitingForDbLockSinceMs: fileFresh ? file!.waitingForDbLockSinceMs : null,
    };
  });
  const blocked = apps.filter((a) => a.waitingForDbLockSinceMs !== null);
  const heldSince = blocked.length ? Math.min(...blocked.map((a) => a.waitingForDbLockSinceMs!)) : null;
  const writeLock = heldSince !== null ? { heldForMs: nowMs - heldSince, blockedApps: blocked.map((a) => a.app) } : null;
  const brokerState = s.broker.current();
  const freshness: Freshness = {
    database: { readable: s.db.problem === undefined, problem: s.db.problem ?? null, lastGoodReadAtMs: s.db.lastGoodReadAtMs },
    writeLock,
    apps,
    broker: { enabled: s.broker.enabled, refreshedAtMs: brokerState.refreshedAtMs, ageMs: brokerState.refreshedAtMs === null ? null : nowMs - brokerState.refreshedAtMs },
    snapshotAgeMs: input.latestSnapshotAtMs === null ? null : Math.max(0, nowMs - input.latestSnapshotAtMs),
    notices: [],
  };
  freshness.notices = noticesFor(s, freshness);
  return freshness;
}

function noticesFor(s: DashboardServices, f: Freshness): string[] {
  const notices: string[] = [];
  const problem = f.database.problem;
  if (problem?.kind === 'missing') {
    notices.push(`No database at ${s.db.path} yet: nothing has run here. Start the system (npm start); this page fills in by itself when the file appears.`);
  } else if (problem) {
    const since = f.database.lastGoodReadAtMs === null ? 'nothing could be read since the dashboard started' : `figures below are from the last good read, ${duration(Date.now() - f.database.lastGoodReadAtMs)} ago`;
    notices.push(`The database cannot be read (${problem.kind}): ${problem.message} — ${since}.`);
  }
  if (f.writeLock) {
    notices.push(`Another process has held the database's write lock for ${duration(f.writeLock.heldForMs)}: ${f.writeLock.blockedApps.join(', ')} ` +
      `${f.writeLock.blockedApps.length === 1 ? 'is' : 'are'} alive but cannot write, so heartbeats, fills, positions and P&L below are as of the last commit before it ` +
      `(the broker-side stops still protect open positions). Find the holder: fuser ${s.db.path}`);
  } else {
    const staleRows = f.apps.filter((a) => a.rowAgeMs !== null && a.fileAgeMs !== null && a.rowAgeMs > s.config.supervisor.heartbeatStaleMs && a.fileAgeMs < s.config.supervisor.heartbeatStaleMs);
    if (staleRows.length > 0) notices.push(`${staleRows.map((a) => a.app).join(', ')}: alive (liveness file fresh) but the heartbeat row is ${duration(Math.max(...staleRows.map((a) => a.rowAgeMs!)))} old: DB writes are lagging.`);
  }
  if (f.broker.enabled && f.broker.ageMs !== null && f.broker.ageMs > Math.max(10_000, s.config.dashboard.brokerRefreshMs * 3)) {
    notices.push(`Broker figures (working orders, account) were refreshed ${duration(f.broker.ageMs)} ago.`);
  }
  const snapshotEveryMs = Math.max(1_000, (s.config.intervals.snapshotSeconds * 1000) / s.clock.speed);
  if (f.snapshotAgeMs !== null && marketPhase(s.clock.now()) === 'REGULAR' && f.snapshotAgeMs > snapshotEveryMs * 3 + 5_000) {
    notices.push(`The latest portfolio snapshot is ${duration(f.snapshotAgeMs)} old (the reconciler takes one every ${duration(snapshotEveryMs)} while the market is open): NAV and the equity curve are behind.`);
  }
  return notices;
}
