import { retryDelayMs } from '../../shared/alerts/backoff';
import type { AlertChannel, SendResult } from '../../shared/alerts/channels/channel';
import type { PlanSettings } from '../../shared/alerts/message-planner';
import { redact } from '../../shared/alerts/redact';
import type { AlertsConfig } from '../../shared/config/alerts-schema';
import { isBusyError, type AlertDeliveriesRepository, type ClaimedMessage, type SendOutcome } from '../../shared/db';
import { errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';

export interface ChannelWorkerDeps {
  channel: AlertChannel;
  deliveries: AlertDeliveriesRepository;
  settings: PlanSettings;
  delivery: AlertsConfig['delivery'];
  log: Logger;
  /** Called after each delivered message (benchmarks, heartbeat detail). */
  onDelivered?: (message: ClaimedMessage) => void;
  random?: () => number;
}

/** How long to wait before trying again when the DB is locked by someone else (real ms). */
const DB_RETRY_MS = 250;

/**
 * Delivers one channel's messages, one at a time and in order, so a channel that fails or is rate limited
 * holds back only itself: every channel has its own worker. Each message is written as `sending` before it
 * leaves and its outcome right after; an outcome that cannot be written (the DB locked) is kept and written
 * before anything else, so a delivered message is never sent again by a live notifier.
 */
export class ChannelWorker {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs: number | undefined;
  private unrecorded: { message: ClaimedMessage; outcome: SendOutcome; atMs: number } | undefined;

  constructor(private readonly d: ChannelWorkerDeps) {}

  get name(): string {
    return this.d.channel.name;
  }

  /** Look for work now (new deliveries were routed to this channel, a timer fired, a periodic sweep). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pump()
      .catch((error: unknown) => {
        this.d.log.error('alert_worker_failed', { channel: this.name, error: this.safe(errorMessage(error)), what: 'retried in a second' });
        this.wakeAt(Date.now() + 1_000);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops taking new messages; resolves once the message in flight (if any) is sent and recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      this.again = false;
      if (this.unrecorded && !this.recordPending()) return;
      let next;
      try {
        next = this.d.deliveries.nextMessage(this.name, Date.now(), this.d.settings);
      } catch (error) {
        if (!isBusyError(error)) throw error;
        this.wakeAt(Date.now() + DB_RETRY_MS);
        return;
      }
      if (next.kind === 'idle') return;
      if (next.kind === 'wait') {
        this.wakeAt(next.untilMs);
        return;
      }
      await this.attempt(next.message);
    }
  }

  private async attempt(message: ClaimedMessage): Promise<void> {
    let result: SendResult;
    try {
      result = await this.d.channel.send(message.content, AbortSignal.timeout(this.d.delivery.timeoutMs));
    } catch (error) {
      result = { outcome: 'retry', error: errorMessage(error) };
    }
    const nowMs = Date.now();
    const outcome = this.outcomeOf(message, result, nowMs);
    this.log(message, outcome, nowMs);
    this.unrecorded = { message, outcome, atMs: nowMs };
    this.recordPending();
    if (outcome.result === 'delivered') this.d.onDelivered?.(message);
  }

  /** Writes the kept outcome; false (and a retry soon) while the DB is locked. */
  private recordPending(): boolean {
    const pending = this.unrecorded!;
    try {
      this.d.deliveries.recordOutcome(pending.message, pending.outcome, pending.atMs);
      this.unrecorded = undefined;
      return true;
    } catch (error) {
      if (!isBusyError(error)) throw error;
      this.wakeAt(Date.now() + DB_RETRY_MS);
      return false;
    }
  }

  private outcomeOf(message: ClaimedMessage, result: SendResult, nowMs: number): SendOutcome {
    if (result.outcome === 'delivered') return { result: 'delivered' };
    const error = this.safe(result.error);
    if (result.outcome === 'rejected') return { result: 'failed', error: `refused by the receiver: ${error}` };
    const rateLimited = result.rateLimited === true;
    const failures = message.failures + (rateLimited ? 0 : 1);
    const { maxAttempts, retryBaseMs, retryMaxMs } = this.d.delivery;
    if (!rateLimited && maxAttempts > 0 && failures >= maxAttempts) return { result: 'failed', error: `gave up after ${failures} failed attempts: ${error}` };
    const delayMs = result.retryAfterMs ?? retryDelayMs(rateLimited ? message.attempts : failures, retryBaseMs, retryMaxMs, this.d.random);
    return { result: 'retry', error, retryAtMs: nowMs + delayMs, rateLimited };
  }

  private log(message: ClaimedMessage, outcome: SendOutcome, nowMs: number): void {
    const fields = { channel: this.name, messageId: message.id, kind: message.content.kind, count: message.content.count, key: message.content.idempotencyKey, attempt: message.attempts };
    if (outcome.result === 'delivered') this.d.log.info('alert_delivered', { ...fields, sinceComposedMs: nowMs - message.createdAtMs });
    else if (outcome.result === 'failed') this.d.log.error('alert_failed', { ...fields, error: outcome.error });
    else this.d.log.warn(outcome.rateLimited ? 'alert_rate_limited' : 'alert_send_failed', { ...fields, error: outcome.error, retryInMs: outcome.retryAtMs - nowMs });
  }

  private wakeAt(atMs: number): void {
    if (this.stopped) return;
    if (this.timer && this.timerAtMs !== undefined && this.timerAtMs <= atMs) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = undefined;
      this.kick();
    }, Math.max(0, atMs - Date.now()));
  }

  /** Error texts with the channel's secrets taken out (they go to the log and the DB). */
  private safe(text: string): string {
    return redact(text, this.d.channel.secrets);
  }
}
