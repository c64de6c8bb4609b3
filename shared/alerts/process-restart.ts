import type { Repositories } from '../db';
import { errorMessage } from '../errors/errors';
import type { Logger } from '../log/logger';
import type { Clock } from '../time/clock';
import { tradingDayOf } from '../time/trading-calendar';
import { processRestartedAlert } from './fact-alerts';

/** Whether a pid is a running process (EPERM: it runs as another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Called by a process at start, before its first heartbeat: when its predecessor's heartbeat row was never
 * marked stopped and that pid is gone, the predecessor died without a shutdown (SIGKILL, OOM, a hang the
 * supervisor killed, a crash in its last breath). That restart is a fact: an `events` row and its alert in
 * one transaction. The alert's key is the dead pid, so when the supervisor already said it (it killed the
 * process) this says nothing more. Never fails the start: a locked DB costs the alert, logged.
 */
export function noteUncleanRestart(repos: Repositories, app: string, clock: Clock, log: Logger, isAlive: (pid: number) => boolean = pidAlive): boolean {
  try {
    const previous = repos.heartbeats.get(app);
    if (!previous || previous.pid === process.pid || previous.state === 'stopped' || isAlive(previous.pid)) return false;
    const sinceBeatS = Math.max(0, Math.round((Date.now() - previous.beatAtMs) / 100) / 10);
    const reason = `pid ${previous.pid} ended without a shutdown (killed or crashed) while ${previous.state}; its last beat was ${sinceBeatS} s before this start`;
    const recorded = repos.alerts.recordEventWithAlert(
      { event: 'process_restarted', data: { previousPid: previous.pid, previousState: previous.state, sinceLastBeatS: sinceBeatS, pid: process.pid }, level: 'warn' },
      processRestartedAlert({ app, previousPid: previous.pid, reason, by: app, tradingDay: tradingDayOf(clock.now()), atMs: Date.now() }),
      { onlyIfNew: true },
    );
    if (recorded) log.warn('restarted_after_unclean_exit', { previousPid: previous.pid, previousState: previous.state, sinceLastBeatS: sinceBeatS });
    return recorded;
  } catch (error) {
    log.warn('restart_alert_not_recorded', { error: errorMessage(error), what: 'the DB could not be written at start; the log line is the record' });
    return false;
  }
}

/**
 * The crash journal's audit row and its alert in one transaction (run-app's uncaught-error handler). Keyed
 * like a restart of this pid, so the restarted process does not say it again. Throws when the DB cannot be
 * written (the caller's log line is the journal then).
 */
export function recordCrash(repos: Repositories, app: string, clock: Clock, kind: string, message: string): void {
  repos.alerts.recordEventWithAlert(
    { event: 'crashed', data: { kind, error: message }, level: 'error' },
    processRestartedAlert({ app, previousPid: process.pid, reason: `${kind}: ${message}`, by: app, tradingDay: tradingDayOf(clock.now()), atMs: Date.now(), kind: 'process_crashed' }),
  );
}
