import { assessBot, latestBeat, restartDelayMs, type ProcessView } from '../../../apps/supervisor/health';
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

  it('restarts the exit manager with no delay and backs off for the others', () => {
    expect([0, 1, 2, 3, 10].map((n) => restartDelayMs('exit-manager', n, config))).toEqual([0, 0, 0, 0, 0]);
    expect([0, 1, 2, 3, 10].map((n) => restartDelayMs('day-trader', n, config))).toEqual([0, 1_000, 2_000, 4_000, 30_000]);
  });
});
