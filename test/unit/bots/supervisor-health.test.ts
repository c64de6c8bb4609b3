import { assessBot, dbLockGraceMs, judgeBeatAge, latestBeat, restartDelayMs, type ProcessView } from '../../../apps/supervisor/health';
import { loadConfig } from '../../../shared/config/load-config';
import type { Heartbeat } from '../../../shared/db/repositories/heartbeats-repository';

const config = loadConfig({ env: {} }); // stale after 3000 ms, startup grace 8000 ms
const now = 1_000_000;
const view: ProcessView = { name: 'day-trader', status: 'online', pid: 42, uptimeMs: 60_000, restarts: 0 };
const beat: Heartbeat = { app: 'day-trader', pid: 42, state: 'ready', beatAtMs: now - 500, startedAtMs: 0, readyAtMs: 1, progressAtMs: now - 500, loopLagMs: 1, brokerConnected: true, brokerDownSinceMs: null, detail: {} };

describe('supervisor health decisions', () => {
  it('is healthy with a fresh heartbeat from the pid PM2 runs', () => {
    expect(assessBot(view, beat, now, config)).toEqual({ healthy: true, note: 'ready' });
  });

  it('restarts what PM2 reports stopped, errored or missing', () => {
    for (const status of ['stopped', 'errored', 'not_found'] as const) {
      expect(assessBot({ ...view, status }, beat, now, config)).toMatchObject({ healthy: false, action: 'restart' });
    }
  });

  it('kills a hung event loop (stale heartbeat) and a stuck work loop (stale progress)', () => {
    expect(assessBot(view, { ...beat, beatAtMs: now - 3_001 }, now, config)).toMatchObject({ healthy: false, action: 'kill', reason: expect.stringMatching(/heartbeat stale/) });
    expect(assessBot(view, { ...beat, progressAtMs: now - 20_000 }, now, config)).toMatchObject({ healthy: false, action: 'kill', reason: expect.stringMatching(/work loop stuck/) });
  });

  it('gives a new process its start-up grace, then expects its own heartbeat', () => {
    const booting = { ...view, pid: 43, uptimeMs: 2_000 };
    expect(assessBot(booting, beat, now, config)).toEqual({ healthy: true, note: 'starting' });
    expect(assessBot({ ...booting, uptimeMs: 9_000 }, beat, now, config)).toMatchObject({ healthy: false, action: 'kill' });
    expect(assessBot({ ...view, status: 'launching' }, undefined, now, config)).toEqual({ healthy: true, note: 'launching' });
  });

  it('goes by the newer of the heartbeat row and the liveness file of the pid PM2 runs', () => {
    const staleRow = { ...beat, beatAtMs: now - 5_000 };
    const freshFile = { ...beat, beatAtMs: now - 200, waitingForDbLockSinceMs: now - 5_000 };
    expect(latestBeat(42, staleRow, freshFile)).toMatchObject({ source: 'file', beatAtMs: now - 200, waitingForDbLockSinceMs: now - 5_000 });
    expect(latestBeat(42, beat, { ...freshFile, beatAtMs: now - 4_000 })).toMatchObject({ source: 'row', beatAtMs: now - 500 });
    expect(assessBot(view, latestBeat(42, staleRow, freshFile), now, config)).toEqual({ healthy: true, note: 'ready' });
    // Beats of the previous instance (pid 41) neither vouch for the current one nor hide its own.
    expect(assessBot(view, latestBeat(42, staleRow, { ...freshFile, pid: 41 }), now, config)).toMatchObject({ healthy: false, action: 'kill' });
    expect(assessBot(view, latestBeat(42, beat, { ...freshFile, pid: 41 }), now, config)).toEqual({ healthy: true, note: 'ready' });
    expect(latestBeat(42, undefined, undefined)).toBeUndefined();
  });

  it('does not call a work loop stuck while the bot reports its DB writes blocked by a lock', () => {
    const blocked = { ...beat, progressAtMs: now - 20_000, waitingForDbLockSinceMs: now - 20_000 };
    expect(assessBot(view, blocked, now, config)).toEqual({ healthy: true, note: 'ready' });
    expect(assessBot(view, { ...blocked, waitingForDbLockSinceMs: null }, now, config)).toMatchObject({ healthy: false, reason: expect.stringMatching(/work loop stuck/) });
  });

  it('lets a DB lock explain a late beat for one grace period, never longer, and nothing else explain it', () => {
    // Exit manager: stale after 1000 ms; grace one more staleness period (at least two busy timeouts of 50 ms).
    expect(dbLockGraceMs(config)).toBe(1_000);
    expect(dbLockGraceMs(loadConfig({ env: { DB_BOT_BUSY_TIMEOUT_MS: '500', EXIT_MANAGER_STALE_MS: '600' } }))).toBe(1_000);
    const none = { waitingForDbLock: false, lockObserved: false };
    const reported = { waitingForDbLock: true, lockObserved: false };
    const observed = { waitingForDbLock: false, lockObserved: true };
    expect(judgeBeatAge('exit-manager', 1_000, none, config)).toEqual({ hung: false, lockWait: false });
    expect(judgeBeatAge('exit-manager', 1_001, none, config)).toEqual({ hung: true, lockWait: false, reason: 'heartbeat stale for 1001 ms (event loop hung)' });
    expect(judgeBeatAge('exit-manager', 1_001, reported, config)).toEqual({ hung: false, lockWait: true, reason: 'heartbeat 1001 ms old, its last beat waits for the DB lock: waiting, up to 2000 ms' });
    expect(judgeBeatAge('exit-manager', 2_000, observed, config)).toEqual({ hung: false, lockWait: true, reason: 'heartbeat 2000 ms old, the DB write lock is held: waiting, up to 2000 ms' });
    expect(judgeBeatAge('exit-manager', 2_001, { waitingForDbLock: true, lockObserved: true }, config)).toEqual({ hung: true, lockWait: false, reason: 'heartbeat stale for 2001 ms (event loop hung; its last beat waits for the DB lock, but no lock wait lasts past 2000 ms)' });
    // The other bots: their own staleness limit (3000 ms) plus the same grace.
    expect(judgeBeatAge('day-trader', 3_500, none, config)).toMatchObject({ hung: true });
    expect(judgeBeatAge('day-trader', 3_500, observed, config)).toMatchObject({ hung: false, lockWait: true });
    expect(judgeBeatAge('day-trader', 4_001, observed, config)).toMatchObject({ hung: true });
  });

  it('does not kill a bot whose late beat a DB lock explains, and kills it past the grace', () => {
    const em: ProcessView = { ...view, name: 'exit-manager' };
    const late = { ...beat, app: 'exit-manager', beatAtMs: now - 1_500 };
    expect(assessBot(em, late, now, config)).toMatchObject({ healthy: false, action: 'kill', reason: 'heartbeat stale for 1500 ms (event loop hung)' });
    expect(assessBot(em, late, now, config, true)).toEqual({ healthy: true, note: 'heartbeat 1500 ms old, the DB write lock is held: waiting, up to 2000 ms' });
    expect(assessBot(em, { ...late, waitingForDbLockSinceMs: now - 1_800 }, now, config)).toMatchObject({ healthy: true });
    expect(assessBot(em, { ...late, beatAtMs: now - 2_500, waitingForDbLockSinceMs: now - 2_800 }, now, config, true)).toMatchObject({ healthy: false, action: 'kill' });
  });

  it('restarts the exit manager with no delay and backs off for the others', () => {
    expect([0, 1, 2, 3, 10].map((n) => restartDelayMs('exit-manager', n, config))).toEqual([0, 0, 0, 0, 0]);
    expect([0, 1, 2, 3, 10].map((n) => restartDelayMs('day-trader', n, config))).toEqual([0, 1_000, 2_000, 4_000, 30_000]);
  });
});
