import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { StoredAlert } from '../../alerts/alert-types';
import { composeContent, type MessageContent } from '../../alerts/message-content';
import { planNextMessage, type PlanSettings } from '../../alerts/message-planner';
import { AlertOutboxCounts, toHealth, type ChannelHealth, type HealthRow, type OutboxCounts } from './alert-outbox-counts';
import { toStoredAlert, type OutboxRow } from './alerts-outbox-repository';

export type { ChannelHealth, OutboxCounts } from './alert-outbox-counts';

/** Where one alert goes: a channel, and not before when (quiet hours). */
export interface RouteDecision {
  channel: string;
  notBeforeMs: number;
}

export interface ClaimedMessage {
  id: number;
  channel: string;
  content: MessageContent;
  attempts: number;
  failures: number;
  createdAtMs: number;
}

export type NextMessage =
  | { kind: 'send'; message: ClaimedMessage }
  | { kind: 'wait'; untilMs: number }
  | { kind: 'idle' };

export type SendOutcome =
  | { result: 'delivered' }
  /** Try again at `retryAtMs`; `rateLimited`: the receiver asked us to wait (Slack 429), not a failure. */
  | { result: 'retry'; error: string; retryAtMs: number; rateLimited: boolean }
  /** The receiver refused it for good (a 4xx, a 5xx SMTP reply) or the attempts ran out. */
  | { result: 'failed'; error: string };

/**
 * The notifier's side of the outbox: routing alerts to channels, composing each channel's next message
 * (grouping, throttling), and recording every send attempt. Each step is one immediate transaction, so a
 * notifier killed at any moment leaves either the step done or not: at most the message being sent at that
 * moment is sent again after a restart (its row says `sending`).
 */
export class AlertDeliveriesRepository {
  private readonly unroutedStmt: Database.Statement<[number]>;
  private readonly insertDeliveryStmt: Database.Statement;
  private readonly markRoutedStmt: Database.Statement<[number, number]>;
  private readonly openMessageStmt: Database.Statement<[string]>;
  private readonly claimMessageStmt: Database.Statement;
  private readonly pendingStmt: Database.Statement;
  private readonly lastOfKindStmt: Database.Statement<[string, string]>;
  private readonly conditionStmt: Database.Statement<[string, string]>;
  private readonly throttleStmt: Database.Statement;
  private readonly bumpSuppressedStmt: Database.Statement;
  private readonly upsertConditionStmt: Database.Statement;
  private readonly suppressedStmt: Database.Statement<[string, string]>;
  private readonly alertKindStmt: Database.Statement<[number]>;
  private readonly alertsByIdStmt: Database.Statement<[string]>;
  private readonly insertMessageStmt: Database.Statement;
  private readonly attachStmt: Database.Statement;
  private readonly messageDoneStmt: Database.Statement;
  private readonly deliveriesOfMessageStmt: Database.Statement;
  private readonly messageRetryStmt: Database.Statement;
  private readonly healthUpsertStmt: Database.Statement;
  private readonly healthGetStmt: Database.Statement<[string]>;
  private readonly recoverStmt: Database.Statement<[number]>;
  private readonly dropDeliveriesStmt: Database.Statement;
  private readonly dropMessagesStmt: Database.Statement;
  private readonly pruneStmt: Database.Statement<[number]>;
  private readonly pruneMessagesStmt: Database.Statement<[number]>;
  private readonly routeTx: (routes: ReadonlyArray<{ alertId: number; decisions: RouteDecision[] }>, nowMs: number) => void;
  private readonly nextTx: (channel: string, nowMs: number, settings: PlanSettings) => NextMessage;
  private readonly outcomeTx: (message: ClaimedMessage, outcome: SendOutcome, nowMs: number) => void;

  constructor(private readonly db: Database.Database) {
    this.unroutedStmt = db.prepare('SELECT * FROM alerts_outbox WHERE routed_at_ms IS NULL ORDER BY id LIMIT ?');
    this.insertDeliveryStmt = db.prepare(`INSERT INTO alert_deliveries (alert_id, channel, kind, condition_key, status, not_before_ms, updated_at_ms)
      VALUES (@alertId, @channel, @kind, @conditionKey, 'pending', @notBeforeMs, @nowMs) ON CONFLICT (alert_id, channel) DO NOTHING`);
    this.markRoutedStmt = db.prepare('UPDATE alerts_outbox SET routed_at_ms = ? WHERE id = ?');
    this.openMessageStmt = db.prepare("SELECT * FROM alert_messages WHERE channel = ? AND status IN ('pending','sending') ORDER BY id LIMIT 1");
    this.claimMessageStmt = db.prepare("UPDATE alert_messages SET status = 'sending', attempts = attempts + 1 WHERE id = @id AND status = 'pending'");
    this.pendingStmt = db.prepare(`SELECT alert_id AS alertId, kind, condition_key AS conditionKey FROM alert_deliveries
      WHERE channel = @channel AND status = 'pending' AND not_before_ms <= @nowMs ORDER BY alert_id LIMIT @limit`);
    this.lastOfKindStmt = db.prepare('SELECT MAX(created_at_ms) FROM alert_messages WHERE channel = ? AND kind = ?').pluck();
    this.conditionStmt = db.prepare('SELECT last_sent_at_ms FROM alert_conditions WHERE channel = ? AND condition_key = ?').pluck();
    this.throttleStmt = db.prepare("UPDATE alert_deliveries SET status = 'throttled', updated_at_ms = @nowMs WHERE alert_id = @alertId AND channel = @channel AND status = 'pending'");
    this.bumpSuppressedStmt = db.prepare('UPDATE alert_conditions SET suppressed = suppressed + 1 WHERE channel = @channel AND condition_key = @conditionKey');
    this.upsertConditionStmt = db.prepare(`INSERT INTO alert_conditions (channel, condition_key, last_sent_at_ms, suppressed) VALUES (@channel, @conditionKey, @nowMs, 0)
      ON CONFLICT (channel, condition_key) DO UPDATE SET last_sent_at_ms = excluded.last_sent_at_ms, suppressed = 0`);
    this.suppressedStmt = db.prepare('SELECT suppressed FROM alert_conditions WHERE channel = ? AND condition_key = ?').pluck();
    this.alertKindStmt = db.prepare('SELECT kind, condition_key FROM alerts_outbox WHERE id = ?');
    this.alertsByIdStmt = db.prepare('SELECT * FROM alerts_outbox WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id');
    this.insertMessageStmt = db.prepare(`INSERT INTO alert_messages (channel, kind, idempotency_key, alert_count, content, status, attempts, failures, next_attempt_at_ms, created_at_ms)
      VALUES (@channel, @kind, @idempotencyKey, @alertCount, @content, 'sending', 1, 0, @nowMs, @nowMs)`);
    this.attachStmt = db.prepare("UPDATE alert_deliveries SET status = 'sending', message_id = @messageId, updated_at_ms = @nowMs WHERE alert_id = @alertId AND channel = @channel");
    this.messageDoneStmt = db.prepare('UPDATE alert_messages SET status = @status, last_error = @error, delivered_at_ms = @deliveredAtMs WHERE id = @id');
    this.deliveriesOfMessageStmt = db.prepare('UPDATE alert_deliveries SET status = @status, updated_at_ms = @nowMs WHERE message_id = @messageId');
    this.messageRetryStmt = db.prepare(`UPDATE alert_messages SET status = 'pending', failures = failures + @failed, next_attempt_at_ms = @retryAtMs, last_error = @error
      WHERE id = @id`);
    this.healthUpsertStmt = db.prepare(`INSERT INTO alert_channels (channel, state, consecutive_failures, failing_since_ms, last_error, last_attempt_at_ms, last_success_at_ms, retry_at_ms, updated_at_ms)
      VALUES (@channel, @state, @consecutiveFailures, @failingSinceMs, @lastError, @lastAttemptAtMs, @lastSuccessAtMs, @retryAtMs, @nowMs)
      ON CONFLICT (channel) DO UPDATE SET state = excluded.state, consecutive_failures = excluded.consecutive_failures, failing_since_ms = excluded.failing_since_ms,
        last_error = excluded.last_error, last_attempt_at_ms = excluded.last_attempt_at_ms, last_success_at_ms = excluded.last_success_at_ms,
        retry_at_ms = excluded.retry_at_ms, updated_at_ms = excluded.updated_at_ms`);
    this.healthGetStmt = db.prepare('SELECT * FROM alert_channels WHERE channel = ?');
    this.recoverStmt = db.prepare("UPDATE alert_messages SET status = 'pending', next_attempt_at_ms = ? WHERE status = 'sending'");
    this.dropDeliveriesStmt = db.prepare(`UPDATE alert_deliveries SET status = 'dropped', updated_at_ms = @nowMs
      WHERE status IN ('pending','sending') AND channel NOT IN (SELECT value FROM json_each(@channels))`);
    this.dropMessagesStmt = db.prepare(`UPDATE alert_messages SET status = 'failed', last_error = 'channel no longer configured'
      WHERE status IN ('pending','sending') AND channel NOT IN (SELECT value FROM json_each(@channels))`);
    // Only alerts whose every delivery is over (delivered, failed, throttled, dropped) are pruned.
    this.pruneStmt = db.prepare(`DELETE FROM alerts_outbox WHERE created_at_ms < ? AND routed_at_ms IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = alerts_outbox.id AND d.status IN ('pending','sending'))`);
    this.pruneMessagesStmt = db.prepare("DELETE FROM alert_messages WHERE created_at_ms < ? AND status IN ('delivered','failed')");

    this.routeTx = wrapImmediate(db, (routes: ReadonlyArray<{ alertId: number; decisions: RouteDecision[] }>, nowMs: number) => {
      for (const { alertId, decisions } of routes) {
        const alert = this.alertKindStmt.get(alertId) as { kind: string; condition_key: string | null } | undefined;
        if (!alert) continue;
        for (const d of decisions) {
          this.insertDeliveryStmt.run({ alertId, channel: d.channel, kind: alert.kind, conditionKey: alert.condition_key, notBeforeMs: d.notBeforeMs, nowMs });
        }
        this.markRoutedStmt.run(nowMs, alertId);
      }
    });
    this.nextTx = wrapImmediate(db, (channel: string, nowMs: number, settings: PlanSettings) => this.next(channel, nowMs, settings));
    this.outcomeTx = wrapImmediate(db, (message: ClaimedMessage, outcome: SendOutcome, nowMs: number) => this.applyOutcome(message, outcome, nowMs));
  }

  /** Alerts no channel decision was made for yet, oldest first. */
  unrouted(limit = 500): StoredAlert[] {
    return (this.unroutedStmt.all(limit) as OutboxRow[]).map(toStoredAlert);
  }

  /** Records each alert's channels (possibly none) and marks it routed, in one transaction. */
  route(routes: ReadonlyArray<{ alertId: number; decisions: RouteDecision[] }>, nowMs: number): void {
    if (routes.length > 0) this.routeTx(routes, nowMs);
  }

  /**
   * The channel's next message: the one already composed when it is due again (a retry, or the one in flight
   * when the notifier died), otherwise a new one from the due deliveries (throttled ones set aside). A new
   * message is written as `sending` before it leaves.
   */
  nextMessage(channel: string, nowMs: number, settings: PlanSettings): NextMessage {
    return this.nextTx(channel, nowMs, settings);
  }

  /** Records how a send ended: delivered, to be retried (back-off or Retry-After), or failed for good. */
  recordOutcome(message: ClaimedMessage, outcome: SendOutcome, nowMs: number): void {
    this.outcomeTx(message, outcome, nowMs);
  }

  /** At start: messages that were being sent when the notifier died are sent again (at least once). */
  recoverInFlight(nowMs: number): number {
    return this.recoverStmt.run(nowMs).changes;
  }

  /** Deliveries to channels no longer configured are dropped (and said so in status), never left pending forever. */
  dropUnconfigured(channels: readonly string[], nowMs: number): number {
    const list = JSON.stringify(channels);
    const tx = this.db.transaction(() => {
      this.dropMessagesStmt.run({ channels: list });
      return this.dropDeliveriesStmt.run({ channels: list, nowMs }).changes;
    });
    return tx.immediate();
  }

  /** Alerts older than `beforeMs` whose deliveries are all over, and finished messages. */
  prune(beforeMs: number): number {
    const tx = this.db.transaction(() => {
      const alerts = this.pruneStmt.run(beforeMs).changes;
      this.pruneMessagesStmt.run(beforeMs);
      return alerts;
    });
    return tx.immediate();
  }

  health(channel: string): ChannelHealth | undefined {
    const row = this.healthGetStmt.get(channel) as HealthRow | undefined;
    return row ? toHealth(row) : undefined;
  }

  /** What status and the dashboard show: per channel, deliveries by state and the channel's health. */
  counts(): OutboxCounts {
    return new AlertOutboxCounts(this.db).read();
  }

  private next(channel: string, nowMs: number, settings: PlanSettings): NextMessage {
    const open = this.openMessageStmt.get(channel) as MessageRow | undefined;
    if (open) {
      // One message in flight per channel: a retry keeps its place at the head (order is kept), and a
      // channel that fails holds back only its own later alerts, which are grouped when it recovers.
      if (open.status === 'sending') return { kind: 'idle' };
      if (open.next_attempt_at_ms > nowMs) return { kind: 'wait', untilMs: open.next_attempt_at_ms };
      this.claimMessageStmt.run({ id: open.id });
      return { kind: 'send', message: toClaimed({ ...open, attempts: open.attempts + 1 }) };
    }
    // Without grouping only the head of the queue matters (and the repeats in it): reading the whole backlog
    // for every message would make a burst quadratic.
    const limit = settings.groupWindowMs > 0 ? Math.max(settings.maxAlertsPerMessage * 2, 1_000) : 100;
    const pending = this.pendingStmt.all({ channel, nowMs, limit }) as Array<{ alertId: number; kind: string; conditionKey: string | null }>;
    if (pending.length === 0) return { kind: 'idle' };
    const kinds = new Set(pending.map((p) => p.kind));
    const conditions = new Set(pending.map((p) => p.conditionKey).filter((c): c is string => c !== null));
    const lastMessageOfKindMs = new Map<string, number>();
    for (const kind of kinds) {
      const last = this.lastOfKindStmt.get(channel, kind) as number | null;
      if (last !== null) lastMessageOfKindMs.set(kind, last);
    }
    const conditionLastSentMs = new Map<string, number>();
    for (const key of conditions) {
      const last = this.conditionStmt.get(channel, key) as number | undefined;
      if (last !== undefined) conditionLastSentMs.set(key, last);
    }
    const plan = planNextMessage({ nowMs, pending, lastMessageOfKindMs, conditionLastSentMs, settings });
    const byId = new Map(pending.map((p) => [p.alertId, p]));
    for (const alertId of plan.throttle) {
      this.throttleStmt.run({ alertId, channel, nowMs });
      this.bumpSuppressedStmt.run({ channel, conditionKey: byId.get(alertId)!.conditionKey });
    }
    if (!plan.send) return plan.wakeAtMs !== undefined ? { kind: 'wait', untilMs: plan.wakeAtMs } : { kind: 'idle' };
    const alerts = (this.alertsByIdStmt.all(JSON.stringify(plan.send.alertIds)) as OutboxRow[]).map(toStoredAlert);
    let suppressed = 0;
    for (const key of new Set(alerts.map((a) => a.conditionKey).filter((c): c is string => c !== null))) {
      suppressed += (this.suppressedStmt.get(channel, key) as number | undefined) ?? 0;
      this.upsertConditionStmt.run({ channel, conditionKey: key, nowMs });
    }
    const content = composeContent(alerts, suppressed, digest);
    const id = Number(this.insertMessageStmt.run({
      channel, kind: content.kind, idempotencyKey: content.idempotencyKey, alertCount: alerts.length, content: JSON.stringify(content), nowMs,
    }).lastInsertRowid);
    for (const alert of alerts) this.attachStmt.run({ messageId: id, alertId: alert.id, channel, nowMs });
    return { kind: 'send', message: { id, channel, content, attempts: 1, failures: 0, createdAtMs: nowMs } };
  }

  private applyOutcome(message: ClaimedMessage, outcome: SendOutcome, nowMs: number): void {
    const previous = this.health(message.channel);
    if (outcome.result === 'delivered') {
      this.messageDoneStmt.run({ id: message.id, status: 'delivered', error: null, deliveredAtMs: nowMs });
      this.deliveriesOfMessageStmt.run({ messageId: message.id, status: 'delivered', nowMs });
      this.healthUpsertStmt.run({
        channel: message.channel, state: 'ok', consecutiveFailures: 0, failingSinceMs: null, lastError: previous?.lastError ?? null, lastAttemptAtMs: nowMs,
        lastSuccessAtMs: nowMs, retryAtMs: null, nowMs,
      });
      return;
    }
    const rateLimited = outcome.result === 'retry' && outcome.rateLimited;
    const failures = (previous?.consecutiveFailures ?? 0) + (rateLimited ? 0 : 1);
    if (outcome.result === 'failed') {
      this.messageDoneStmt.run({ id: message.id, status: 'failed', error: outcome.error, deliveredAtMs: null });
      this.deliveriesOfMessageStmt.run({ messageId: message.id, status: 'failed', nowMs });
    } else {
      this.messageRetryStmt.run({ id: message.id, failed: rateLimited ? 0 : 1, retryAtMs: outcome.retryAtMs, error: outcome.error });
    }
    this.healthUpsertStmt.run({
      channel: message.channel, state: rateLimited ? 'rate_limited' : 'failing', consecutiveFailures: failures,
      failingSinceMs: rateLimited ? previous?.failingSinceMs ?? null : previous?.failingSinceMs ?? nowMs, lastError: outcome.error, lastAttemptAtMs: nowMs,
      lastSuccessAtMs: previous?.lastSuccessAtMs ?? null, retryAtMs: outcome.result === 'retry' ? outcome.retryAtMs : null, nowMs,
    });
  }
}

interface MessageRow {
  id: number; channel: string; kind: string; idempotency_key: string; alert_count: number; content: string; status: string; attempts: number; failures: number;
  next_attempt_at_ms: number; last_error: string | null; created_at_ms: number; delivered_at_ms: number | null;
}

function toClaimed(row: MessageRow): ClaimedMessage {
  return { id: row.id, channel: row.channel, content: JSON.parse(row.content) as MessageContent, attempts: row.attempts, failures: row.failures, createdAtMs: row.created_at_ms };
}

/** A group's idempotency key: the same alerts give the same key, so a resent group is recognisable. */
function digest(keys: string[]): string {
  return createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 24);
}

function wrapImmediate<A extends unknown[], R>(db: Database.Database, fn: (...args: A) => R): (...args: A) => R {
  const tx = db.transaction(fn);
  return (...args: A) => tx.immediate(...args);
}
