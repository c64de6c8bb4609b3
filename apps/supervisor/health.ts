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

/** A work loop that has not completed for this long while the event loop still beats is stuck (a hung broker call). */
export function progressStaleMs(config: ResolvedConfig): number {
  return Math.max(10_000, 5 * config.supervisor.heartbeatStaleMs);
}

/**
 * Decides whether a bot is healthy from PM2's view and its heartbeat row (pure, unit-tested).
 * kill = SIGKILL the pid (a hung process ignores SIGINT; PM2 then restarts it at once);
 * restart = ask PM2 to (re)start a stopped or errored app.
 */
export function assessBot(view: ProcessView, heartbeat: Heartbeat | undefined, realNowMs: number, config: ResolvedConfig): Health {
  const { startupGraceMs } = config.supervisor;
  const heartbeatStaleMs = staleLimitMs(view.name, config);
  if (view.status === 'stopped' || view.status === 'errored' || view.status === 'not_found') return { healthy: false, reason: `pm2 status ${view.status}`, action: 'restart' };
  if (view.status !== 'online') return { healthy: true, note: view.status };
  const booting = view.uptimeMs < startupGraceMs;
  if (!heartbeat || heartbeat.pid !== view.pid) {
    return booting ? { healthy: true, note: 'starting' } : { healthy: false, reason: `no heartbeat from pid ${view.pid} after ${Math.round(view.uptimeMs)} ms`, action: 'kill' };
  }
  const ageMs = realNowMs - heartbeat.beatAtMs;
  if (ageMs > heartbeatStaleMs) return { healthy: false, reason: `heartbeat stale for ${ageMs} ms (event loop hung)`, action: 'kill' };
  if (heartbeat.state === 'ready' && heartbeat.progressAtMs !== null) {
    const progressAge = realNowMs - heartbeat.progressAtMs;
    if (progressAge > progressStaleMs(config)) return { healthy: false, reason: `work loop stuck for ${progressAge} ms (heartbeat fine)`, action: 'kill' };
  }
  if (heartbeat.state !== 'ready' && !booting && heartbeat.state === 'starting') {
    return { healthy: false, reason: `still starting after ${Math.round(view.uptimeMs)} ms`, action: 'kill' };
  }
  return { healthy: true, note: heartbeat.state };
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
