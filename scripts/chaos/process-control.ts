import fs from 'node:fs';
import type { HeartbeatRow } from './system-monitor';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Polls until the probe returns a value (not undefined/false) or the time is up (then undefined). */
export async function pollUntil<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, intervalMs = 10): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

/** Whether a pid exists (signal 0). A stopped (SIGSTOP) process exists. */
export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends a signal; false when the process is already gone. */
export function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

export interface Recovery {
  newPid: number;
  /** Real ms from the kill to the new instance's `ready` log line (its main finished: connected, state loaded). */
  readyMs: number;
  /** Real ms to working: `ready`, and for the exit manager its first complete resync (it verified every position). */
  workingMs: number;
  /** Real ms until the heartbeat row shows it (what the supervisor and the day-trader can see; beats are 1 s apart). */
  heartbeatWorkingMs: number | undefined;
}

export interface RecoveryProbe {
  heartbeat(app: string): HeartbeatRow | undefined;
  linesOf(app: string, event: string, sinceMs?: number): Array<{ pid?: number; atMs: number; [k: string]: unknown }>;
}

/**
 * A killed bot is "back and working" when a NEW pid logs `ready` (and, for the exit manager, a completed
 * resync: `protection_resynced`). Also measured: when its heartbeat row says ready with progress after the
 * kill (and `protecting: true` for the exit manager), which is what the other processes can see.
 */
export async function waitForWorking(probe: RecoveryProbe, app: string, oldPid: number | undefined, killedAtMs: number, timeoutMs: number, linesSinceMs = killedAtMs): Promise<Recovery | undefined> {
  let fromLogs: { newPid: number; readyAt: number; workingAt: number } | undefined;
  let heartbeatAt: number | undefined;
  // Lines are searched from `linesSinceMs` (the arming of a crash point: the death is known only afterwards,
  // and the restarted process may log `ready` before the observer learns of it); any pid but the old one is new.
  await pollUntil(() => {
    if (!fromLogs) {
      const ready = probe.linesOf(app, 'ready', linesSinceMs).find((l) => l.pid !== undefined && l.pid !== oldPid);
      if (ready) {
        // (a resync that first failed and succeeded later on the timer logs at debug level: the heartbeat tells then)
        const resynced = app === 'exit-manager' ? probe.linesOf(app, 'protection_resynced', linesSinceMs).find((l) => l.pid === ready.pid)?.atMs ?? heartbeatAt : ready.atMs;
        if (resynced !== undefined) fromLogs = { newPid: ready.pid!, readyAt: ready.atMs, workingAt: Math.max(ready.atMs, resynced) };
      }
    }
    if (heartbeatAt === undefined) {
      const hb = probe.heartbeat(app);
      const fresh = hb && hb.pid !== oldPid && hb.state === 'ready' && (hb.progress_at_ms ?? 0) >= Math.min(killedAtMs, linesSinceMs);
      if (fresh && (app !== 'exit-manager' || parseDetail(hb.detail).protecting === true)) heartbeatAt = Date.now();
    }
    return fromLogs !== undefined && heartbeatAt !== undefined;
  }, timeoutMs, 10);
  if (!fromLogs) return undefined;
  // Never negative: a restart that was ready before the death was observed counts as instant.
  return { newPid: fromLogs.newPid, readyMs: Math.max(0, fromLogs.readyAt - killedAtMs), workingMs: Math.max(0, fromLogs.workingAt - killedAtMs), heartbeatWorkingMs: heartbeatAt === undefined ? undefined : Math.max(0, heartbeatAt - killedAtMs) };
}

/**
 * What a failed recovery looked like, for the violation's text: each pid that logged since the kill, with
 * its start-up steps in order, and the heartbeat row. Names the stuck step the next time one is seen.
 */
export function describeRecoveryAttempt(probe: RecoveryProbe, app: string, oldPid: number | undefined, sinceMs: number): string {
  const byPid = new Map<number | undefined, Array<{ event: string; atMs: number }>>();
  for (const event of ['starting', 'restarted_after_unclean_exit', 'broker_connected', 'broker_disconnected', 'broker_down', 'broker_unavailable_at_start', 'protection_resynced', 'protection_resync_failed', 'ready', 'startup_failed']) {
    for (const line of probe.linesOf(app, event, sinceMs)) {
      const seen = byPid.get(line.pid) ?? [];
      seen.push({ event, atMs: line.atMs });
      byPid.set(line.pid, seen);
    }
  }
  const pids = [...byPid.entries()].map(([pid, events]) => `pid ${pid ?? '?'}${pid === oldPid ? ' (old)' : ''}: ${events.sort((a, b) => a.atMs - b.atMs).map((e) => `${e.event} +${e.atMs - sinceMs} ms`).join(', ')}`);
  const hb = probe.heartbeat(app);
  const heartbeat = hb ? `heartbeat pid ${hb.pid} ${hb.state}, beat ${Date.now() - hb.beat_at_ms} ms ago, progress ${hb.progress_at_ms === null || hb.progress_at_ms === undefined ? 'none' : `${hb.progress_at_ms - sinceMs} ms after`}, detail ${hb.detail ?? '{}'}` : 'no heartbeat row';
  return `${pids.length ? pids.join('; ') : 'no start logged since'}; ${heartbeat}`;
}

export function parseDetail(detail: string | null | undefined): Record<string, unknown> {
  try {
    const value = JSON.parse(detail ?? '{}') as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Removes an armed crash point that was never reached (so it cannot fire during a later fault). */
export function disarmCrashPoint(file: string, name: string): boolean {
  let lines: string[];
  try {
    lines = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const index = lines.indexOf(name);
  if (index < 0) return false;
  lines.splice(index, 1);
  fs.writeFileSync(file, lines.join('\n'));
  return true;
}
