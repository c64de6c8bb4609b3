import type { ResolvedConfig } from '../../shared/config/schema';
import type { Heartbeat } from '../../shared/db/repositories/heartbeats-repository';

export type Pm2Status = 'online' | 'launching' | 'stopping' | 'stopped' | 'errored' | 'one-launch-status' | 'waiting restart' | 'not_found';

export interface ProcessView {
  name: string;
  status: Pm2Status;
  pid: number | undefined;
  /** Real ms since PM2 started this instance. */
  uptimeMs: number;
  restarts: number;
}

export type Health =
  | { healthy: true; note: string }
  | { healthy: false; reason: string; action: 'restart' | 'kill' };

/** A bot's latest beat, from its heartbeat row or its liveness file, whichever is newer. */
export type BeatView = Heartbeat & {
  /** Since when (real ms) the bot's heartbeat row could not be written because the DB was locked; null: it could. */
  waitingForDbLockSinceMs?: number | null;
  source?: 'row' | 'file';
};

/**
 * The newest sign of life from the process PM2 runs: the row and the liveness file are two copies of the
 * same beat, and only a live event loop writes either. While someone else holds the DB's write lock only
 * the file keeps up; a hung bot stops both. Beats of another pid (a previous instance) count only when
 * there is nothing from the current one, so that "no heartbeat from pid N" keeps its meaning.
 */
export function latestBeat(pid: number | undefined, row: Heartbeat | undefined, file: (Heartbeat & { waitingForDbLockSinceMs: number | null }) | undefined): BeatView | undefined {
  const candidates: BeatView[] = [];
  if (row) candidates.push({ ...row, waitingForDbLockSinceMs: null, source: 'row' });
  if (file) candidates.push({ ...file, source: 'file' });
  const own = candidates.filter((c) => c.pid === pid);
  const pool = own.length > 0 ? own : candidates;
  return pool.reduce<BeatView | undefined>((best, c) => (!best || c.beatAtMs > best.beatAtMs ? c : best), undefined);
}

/** A work loop that has not completed for this long while the event loop still beats is stuck (a hung broker call). */
export function progressStaleMs(config: ResolvedConfig): number {
  return Math.max(10_000, 5 * config.supervisor.heartbeatStaleMs);
}

/**
 * Decides whether a bot is healthy from PM2's view and its latest beat (pure, unit-tested).
 * kill = SIGKILL the pid (a hung process ignores SIGINT; PM2 then restarts it at once);
 * restart = ask PM2 to (re)start a stopped or errored app.
 * dbLockObserved: the supervisor found the DB's write lock held by another connection just now.
 */
export function assessBot(view: ProcessView, heartbeat: BeatView | undefined, realNowMs: number, config: ResolvedConfig, dbLockObserved = false): Health {
  const { startupGraceMs } = config.supervisor;
  if (view.status === 'stopped' || view.status === 'errored' || view.status === 'not_found') return { healthy: false, reason: `pm2 status ${view.status}`, action: 'restart' };
  if (view.status !== 'online') return { healthy: true, note: view.status };
  const booting = view.uptimeMs < startupGraceMs;
  if (!heartbeat || heartbeat.pid !== view.pid) {
    return booting ? { healthy: true, note: 'starting' } : { healthy: false, reason: `no heartbeat from pid ${view.pid} after ${Math.round(view.uptimeMs)} ms`, action: 'kill' };
  }
  const ageMs = realNowMs - heartbeat.beatAtMs;
  const stale = judgeBeatAge(view.name, ageMs, { waitingForDbLock: heartbeat.waitingForDbLockSinceMs != null, lockObserved: dbLockObserved }, config);
  if (stale.hung) return { healthy: false, reason: stale.reason, action: 'kill' };
  if (stale.lockWait) return { healthy: true, note: stale.reason };
  // A work loop that needs the DB cannot complete while someone else holds its write lock: that is the lock,
  // not a stuck loop (the beats above prove the event loop runs). It is judged again once the lock is gone.
  if (heartbeat.state === 'ready' && heartbeat.progressAtMs !== null && heartbeat.waitingForDbLockSinceMs == null) {
    const progressAge = realNowMs - heartbeat.progressAtMs;
    if (progressAge > progressStaleMs(config)) return { healthy: false, reason: `work loop stuck for ${progressAge} ms (heartbeat fine)`, action: 'kill' };
  }
  if (heartbeat.state !== 'ready' && !booting && heartbeat.state === 'starting') {
    return { healthy: false, reason: `still starting after ${Math.round(view.uptimeMs)} ms`, action: 'kill' };
  }
  return { healthy: true, note: heartbeat.state };
}

export type BeatAgeVerdict =
  | { hung: false; lockWait: false }
  | { hung: false; lockWait: true; reason: string }
  | { hung: true; lockWait: false; reason: string };

/**
 * Whether a beat this old means a hung event loop (pure, unit-tested). Past the app's staleness limit it
 * does, unless a DB write lock held elsewhere explains a late beat: the bot's last beat said it was waiting
 * for the lock, or the supervisor sees the lock itself. Then the bot gets `dbLockGraceMs` more, and no more:
 * its writes fail fast during a lock (db-lock-breaker.ts), so a lock delays a beat by about one busy
 * timeout, and a bot hung while someone holds the lock (or hung holding it itself) is still killed.
 */
export function judgeBeatAge(app: string, ageMs: number, lock: { waitingForDbLock: boolean; lockObserved: boolean }, config: ResolvedConfig): BeatAgeVerdict {
  const limitMs = staleLimitMs(app, config);
  if (ageMs <= limitMs) return { hung: false, lockWait: false };
  const locked = lock.waitingForDbLock || lock.lockObserved;
  const evidence = lock.waitingForDbLock ? 'its last beat waits for the DB lock' : 'the DB write lock is held';
  if (!locked) return { hung: true, lockWait: false, reason: `heartbeat stale for ${ageMs} ms (event loop hung)` };
  const withGraceMs = limitMs + dbLockGraceMs(config);
  if (ageMs <= withGraceMs) return { hung: false, lockWait: true, reason: `heartbeat ${ageMs} ms old, ${evidence}: waiting, up to ${withGraceMs} ms` };
  return { hung: true, lockWait: false, reason: `heartbeat stale for ${ageMs} ms (event loop hung; ${evidence}, but no lock wait lasts past ${withGraceMs} ms)` };
}

/**
 * Extra heartbeat age allowed while a DB write lock is held elsewhere: one more exit-manager staleness
 * period, at least two busy timeouts. During a lock a bot's write waits the busy timeout once per probe
 * interval and fails at once otherwise, so this covers a probe and a busy machine, not a long stall.
 */
export function dbLockGraceMs(config: ResolvedConfig): number {
  return Math.max(config.supervisor.exitManagerHeartbeatStaleMs, 2 * config.db.botBusyTimeoutMs);
}

/** Heartbeat age that counts as hung: shorter for the exit manager, which beats four times a second. */
export function staleLimitMs(app: string, config: ResolvedConfig): number {
  return app === 'exit-manager' ? config.supervisor.exitManagerHeartbeatStaleMs : config.supervisor.heartbeatStaleMs;
}

/** Back-off before restarting a bot again: none for the exit manager, doubling for the others. */
export function restartDelayMs(app: string, recentRestarts: number, config: ResolvedConfig): number {
  if (app === 'exit-manager') return 0;
  const { restartBackoffBaseMs, restartBackoffMaxMs } = config.supervisor;
  return Math.min(restartBackoffMaxMs, recentRestarts === 0 ? 0 : restartBackoffBaseMs * 2 ** (recentRestarts - 1));
}
