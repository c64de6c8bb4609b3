import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { HeartbeatsRepository, HeartbeatState } from '../db';
import type { Logger } from '../log/logger';
import { errorMessage } from '../errors/errors';

/**
 * Writes this process's heartbeat row every interval (REAL time): state, pid, event-loop lag, broker link and
 * the last time the app's work loop made progress. A hung event loop stops the beats; a stuck broker call
 * stops the progress; the supervisor restarts on either.
 */
export class HeartbeatPublisher {
  private state: HeartbeatState = 'starting';
  private readonly startedAtMs = Date.now();
  private readyAtMs: number | null = null;
  private progressAtMs: number | null = null;
  private brokerConnected: boolean | null = null;
  private brokerDownSinceMs: number | null = null;
  private detail: Record<string, unknown> = {};
  private timer: NodeJS.Timeout | undefined;
  private readonly lag: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private failures = 0;
  /** Real time since which every beat was written (undefined while writes fail: the DB is locked). */
  private writableSinceMs: number | undefined;

  constructor(
    private readonly app: string,
    private readonly repository: HeartbeatsRepository,
    private readonly log: Logger,
    private readonly intervalMs: number,
    /** Runs the write with a short busy timeout: a beat must not block the event loop for the full DB timeout. */
    private readonly withShortBusyTimeout: <T>(fn: () => T) => T = (fn) => fn(),
  ) {}

  /** How long the DB has been writable for this process, continuously (0 while it is not). */
  dbWritableForMs(): number {
    return this.writableSinceMs === undefined ? 0 : Date.now() - this.writableSinceMs;
  }

  start(): void {
    this.lag.enable();
    this.beat();
    this.timer = setInterval(() => this.beat(), this.intervalMs);
  }

  setState(state: HeartbeatState): void {
    this.state = state;
    if (state === 'ready' && this.readyAtMs === null) this.readyAtMs = Date.now();
    this.beat();
  }

  getState(): HeartbeatState {
    return this.state;
  }

  /** The app's work loop completed an iteration. */
  progress(): void {
    this.progressAtMs = Date.now();
  }

  setBrokerConnected(connected: boolean): void {
    if (connected) this.brokerDownSinceMs = null;
    else if (this.brokerConnected !== false) this.brokerDownSinceMs = Date.now();
    this.brokerConnected = connected;
  }

  setDetail(detail: Record<string, unknown>): void {
    this.detail = { ...this.detail, ...detail };
  }

  stop(finalState: HeartbeatState = 'stopped'): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.lag.disable();
    this.state = finalState;
    this.beat();
  }

  private beat(): void {
    const loopLagMs = Number.isFinite(this.lag.max) ? this.lag.max / 1e6 : 0;
    this.lag.reset();
    try {
      this.withShortBusyTimeout(() => this.repository.beat({
        app: this.app,
        pid: process.pid,
        state: this.state,
        beatAtMs: Date.now(),
        startedAtMs: this.startedAtMs,
        readyAtMs: this.readyAtMs,
        progressAtMs: this.progressAtMs,
        loopLagMs,
        brokerConnected: this.brokerConnected,
        brokerDownSinceMs: this.brokerDownSinceMs,
        detail: this.detail,
      }));
      this.writableSinceMs ??= Date.now();
      if (this.failures > 0) this.log.info('heartbeat_restored', { failedBeats: this.failures });
      this.failures = 0;
    } catch (error) {
      // A locked DB delays a beat; it must not kill the process. The supervisor sees the gap if it lasts.
      this.failures += 1;
      this.writableSinceMs = undefined;
      if (this.failures === 1 || this.failures % 30 === 0) this.log.warn('heartbeat_write_failed', { error: errorMessage(error), failures: this.failures });
    }
  }
}
