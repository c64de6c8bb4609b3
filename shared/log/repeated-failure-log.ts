import type { Clock } from '../time/clock';
import type { LogFields, Logger } from './logger';

export interface RepeatedFailureLogOptions {
  log: Logger;
  /** Real time for the episode's duration (the caller's real clock, e.g. SystemClock): a DB lock lasts real seconds. */
  clock: Pick<Clock, 'now'>;
  /** The error line that starts an episode; repeats are the same event at debug level. */
  event: string;
  /** The line that ends an episode, with its count and duration. */
  endEvent: string;
  /** What happens to what failed (e.g. "booked from the broker at the next resync"). */
  what: string;
  /**
   * A failure this long (real ms) after the episode's last one, with no success seen in between, starts a new
   * episode: a lock an hour later is news, not a repeat. Default 60 s.
   */
  quietMs?: number;
}

interface Episode {
  startedAtMs: number;
  lastFailureAtMs: number;
  failures: number;
  firstError: string;
}

/**
 * One failure repeated many times is one fact: a DB lock held for 4 s by another process fails every order
 * event of those seconds (1,256 error lines in one chaos run), all redone by the same resync. This says it
 * once at error level when an episode starts, counts the repeats (debug), and says once when the episode
 * ends (the first success after the failures) how many failed and for how long. Episodes are per kind
 * (a caller's key: "db_locked", an error message): a different failure during one is said at once.
 */
export class RepeatedFailureLog {
  private readonly episodes = new Map<string, Episode>();
  private readonly quietMs: number;

  constructor(private readonly o: RepeatedFailureLogOptions) {
    this.quietMs = o.quietMs ?? 60_000;
  }

  /** A failure of this kind: an error line if it starts an episode, a debug line if it repeats one. */
  failed(kind: string, fields: LogFields & { error: string }): void {
    const nowMs = this.o.clock.now();
    const open = this.episodes.get(kind);
    if (open && nowMs - open.lastFailureAtMs <= this.quietMs) {
      open.failures += 1;
      open.lastFailureAtMs = nowMs;
      this.o.log.debug(this.o.event, { ...fields, episode: 'repeated', failuresSoFar: open.failures });
      return;
    }
    if (open) this.end(kind, open, 'quiet', open.lastFailureAtMs);
    this.episodes.set(kind, { startedAtMs: nowMs, lastFailureAtMs: nowMs, failures: 1, firstError: fields.error });
    this.o.log.error(this.o.event, {
      ...fields, episode: 'started', failureKind: kind,
      what: `${this.o.what}; further failures like this one are counted (debug level) until one succeeds (then ${this.o.endEvent})`,
    });
  }

  /** A success: every open episode is over. */
  succeeded(): void {
    if (this.episodes.size === 0) return;
    const nowMs = this.o.clock.now();
    for (const [kind, episode] of [...this.episodes]) this.end(kind, episode, 'success', nowMs);
  }

  /** Failures in the open episode of this kind (0 when none is open). */
  failuresOf(kind: string): number {
    return this.episodes.get(kind)?.failures ?? 0;
  }

  private end(kind: string, episode: Episode, endedBy: 'success' | 'quiet', endedAtMs: number): void {
    this.episodes.delete(kind);
    this.o.log.warn(this.o.endEvent, {
      failedEvent: this.o.event, failureKind: kind, failures: episode.failures, durationMs: endedAtMs - episode.startedAtMs,
      startedAt: new Date(episode.startedAtMs).toISOString(), firstError: episode.firstError, endedBy,
      what: endedBy === 'success' ? `the first success after ${episode.failures} failure(s)` : `no failure for ${Math.round(this.quietMs / 1000)} s (no success seen to end it)`,
    });
  }
}
