import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { isBusyError, type Heartbeat, type HeartbeatsRepository, type HeartbeatState } from '../db';
import type { Logger } from '../log/logger';
import { errorMessage } from '../errors/errors';
import type { LivenessFiles } from './liveness-file';

/**
 * Writes this process's heartbeat every interval (REAL time): state, pid, event-loop lag, broker link and
 * the last time the app's work loop made progress, to its `heartbeats` row and to its liveness file. A hung
 * event loop stops both; a DB write lock held by someone else stops only the row (the file then says
 * since when the row could not be written); a stuck broker call stops the progress. The supervisor
 * restarts on a hang or a stuck loop, never on a lock.
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
  /** The same since start (never reset): how responsive the process has been, for the benchmarks and people. */
  private readonly lagSinceStart: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private failures = 0;
  private fileFailures = 0;
  /** Real time of the first of the consecutive row writes that failed with SQLITE_BUSY (undefined: the last one worked). */
  private waitingForDbLockSinceMs: number | undefined;

  constructor(
    private readonly app: string,
    private readonly repository: HeartbeatsRepository,
    private readonly log: Logger,
    private readonly intervalMs: number,
    /** Where the beat also goes, lock or no lock (absent: the row only). */
    private readonly liveness?: LivenessFiles,
  ) {}

  start(): void {
    this.lag.enable();
    this.lagSinceStart.enable();
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

  /**
   * The same, and when a value changed, a beat now instead of at the next interval: what the supervisor
   * and the status console act on (the exit manager protecting again after a restart) is known at once,
   * not up to a whole interval later (the realistic benchmark's slow "SIGKILL -> protecting" samples).
   */
  publishDetail(detail: Record<string, unknown>): void {
    const changed = Object.entries(detail).some(([key, value]) => this.detail[key] !== value);
    this.setDetail(detail);
    if (changed && this.timer) this.beat();
  }

  stop(finalState: HeartbeatState = 'stopped'): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.lag.disable();
    this.lagSinceStart.disable();
    this.state = finalState;
    this.beat();
  }

  private beat(): void {
    const loopLagMs = Number.isFinite(this.lag.max) ? this.lag.max / 1e6 : 0;
    this.lag.reset();
    const heartbeat: Heartbeat = {
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
      detail: { ...this.detail, loopDelaySinceStartMs: this.loopDelaySinceStart() },
    };
    this.writeRow(heartbeat);
    this.writeFile(heartbeat);
  }

  /** Event-loop delay since start, p50/p99/max in ms (the histogram's 10 ms sampling adds up to that much). */
  private loopDelaySinceStart(): { p50: number; p99: number; max: number } | null {
    if (this.lagSinceStart.count === 0) return null;
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    return { p50: ms(this.lagSinceStart.percentile(50)), p99: ms(this.lagSinceStart.percentile(99)), max: ms(this.lagSinceStart.max) };
  }

  /** The row, with the connection's (short) busy timeout: a lock held by someone else costs this beat, never the event loop. */
  private writeRow(heartbeat: Heartbeat): void {
    try {
      this.repository.beat(heartbeat);
      if (this.failures > 0) this.log.info('heartbeat_restored', { failedBeats: this.failures });
      this.failures = 0;
      this.waitingForDbLockSinceMs = undefined;
    } catch (error) {
      // A locked DB delays a beat; it must not kill the process. The liveness file says why the row is late.
      this.failures += 1;
      if (isBusyError(error)) this.waitingForDbLockSinceMs ??= heartbeat.beatAtMs;
      else this.waitingForDbLockSinceMs = undefined;
      if (this.failures === 1 || this.failures % 30 === 0) this.log.warn('heartbeat_write_failed', { error: errorMessage(error), failures: this.failures, dbLocked: isBusyError(error) });
    }
  }

  private writeFile(heartbeat: Heartbeat): void {
    if (!this.liveness) return;
    try {
      this.liveness.write({ ...heartbeat, waitingForDbLockSinceMs: this.waitingForDbLockSinceMs ?? null });
      if (this.fileFailures > 0) this.log.info('liveness_file_restored', { failedBeats: this.fileFailures });
      this.fileFailures = 0;
    } catch (error) {
      // Without the file the supervisor judges by the row alone (as before the files existed): say so, keep beating.
      this.fileFailures += 1;
      if (this.fileFailures === 1 || this.fileFailures % 60 === 0) this.log.warn('liveness_file_write_failed', { file: this.liveness.fileOf(this.app), error: errorMessage(error), failures: this.fileFailures });
    }
  }
}
