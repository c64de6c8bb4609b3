import type Database from 'better-sqlite3';
import {
  DEFAULT_ALERT_THRESHOLDS, type AlertDraft, type AlertKind, type AlertThresholds, type Severity, type StoredAlert,
} from '../../alerts/alert-types';
import {
  entryComplete, entryFilledAlert, exitOverfillAlert, positionClosedAlerts, reconciliationAlerts, tradingHaltAlert, tradingResumedAlert,
  type ClosedFact,
} from '../../alerts/fact-alerts';
import type { Clock } from '../../time/clock';
import { tradingDayOf } from '../../time/trading-calendar';
import { isoTime, parseJsonObject, type ActivePosition } from '../types';
import { EventsRepository } from './events-repository';

export interface OutboxRow {
  id: number; kind: string; severity: string; dedupe_key: string; condition_key: string | null; title: string; symbol: string | null; data: string;
  app: string; trading_day: string; created_at: string; created_at_ms: number; routed_at_ms: number | null;
}

export function toStoredAlert(row: OutboxRow): StoredAlert {
  return {
    id: row.id, kind: row.kind as AlertKind, severity: row.severity as Severity, dedupeKey: row.dedupe_key, conditionKey: row.condition_key, title: row.title,
    symbol: row.symbol, data: parseJsonObject(row.data), app: row.app, tradingDay: row.trading_day, createdAt: row.created_at, createdAtMs: row.created_at_ms,
    routedAtMs: row.routed_at_ms,
  };
}

export interface AuditFact {
  event: string;
  data?: Record<string, unknown>;
  symbol?: string | null;
  level?: 'info' | 'warn' | 'error';
}

/** One alert with where it went, for `npm run alerts -- list`. */
export interface ListedAlert extends StoredAlert {
  deliveries: Array<{ channel: string; status: string; messageId: number | null; attempts: number | null; lastError: string | null; deliveredAtMs: number | null }>;
}

/**
 * `alerts_outbox`, the writers' side: `enqueue` is called INSIDE the transaction that records the fact (a
 * fill booked, a position closed, a reconciliation run, a halt set), so the fact and its alert commit or
 * roll back together. A fact recorded twice (the same fill booked by two processes, a restart noticed by
 * the supervisor and by the restarted process) enqueues once: the dedupe key is unique. The fact-specific
 * methods below decide which alerts a fact makes (shared/alerts/fact-alerts.ts) with the configured money
 * thresholds.
 */
export class AlertsOutboxRepository {
  private readonly insertStmt: Database.Statement;
  private readonly existsStmt: Database.Statement<[string]>;
  private readonly recentStmt: Database.Statement<[number]>;
  private readonly deliveriesOfStmt: Database.Statement<[number]>;
  private readonly dayRealizedStmt: Database.Statement<[string]>;
  private readonly events: EventsRepository;
  private readonly factTx: (fact: AuditFact, drafts: readonly AlertDraft[], onlyIfNew: boolean) => boolean;

  constructor(
    db: Database.Database,
    private readonly clock: Clock,
    private readonly app: string,
    readonly thresholds: AlertThresholds = DEFAULT_ALERT_THRESHOLDS,
  ) {
    this.insertStmt = db.prepare(`INSERT INTO alerts_outbox (kind, severity, dedupe_key, condition_key, title, symbol, data, app, trading_day, created_at, created_at_ms)
      VALUES (@kind, @severity, @dedupeKey, @conditionKey, @title, @symbol, @data, @app, @tradingDay, @createdAt, @createdAtMs)
      ON CONFLICT (dedupe_key) DO NOTHING`);
    this.existsStmt = db.prepare('SELECT 1 FROM alerts_outbox WHERE dedupe_key = ?').pluck();
    this.recentStmt = db.prepare('SELECT * FROM alerts_outbox ORDER BY id DESC LIMIT ?');
    this.deliveriesOfStmt = db.prepare(`SELECT d.channel, d.status, d.message_id, m.attempts, m.last_error, m.delivered_at_ms
      FROM alert_deliveries d LEFT JOIN alert_messages m ON m.id = d.message_id WHERE d.alert_id = ? ORDER BY d.channel`);
    this.dayRealizedStmt = db.prepare('SELECT COALESCE(SUM(realized_pnl), 0) FROM closed_positions_today WHERE close_date = ?').pluck();
    this.events = new EventsRepository(db, clock);
    const tx = db.transaction((fact: AuditFact, drafts: readonly AlertDraft[], onlyIfNew: boolean): boolean => {
      if (onlyIfNew && drafts.every((d) => this.existsStmt.get(d.dedupeKey) !== undefined)) return false;
      this.events.record(this.app, fact.event, fact.data ?? {}, fact.symbol ?? null, fact.level ?? 'info');
      let inserted = false;
      for (const draft of drafts) inserted = this.enqueue(draft) || inserted;
      return inserted;
    });
    this.factTx = (fact, drafts, onlyIfNew) => tx.immediate(fact, drafts, onlyIfNew);
  }

  /**
   * Adds one alert; call it inside the transaction of the fact it reports. False when the same fact (dedupe
   * key) is in the outbox already.
   */
  enqueue(draft: AlertDraft): boolean {
    const nowMs = this.clock.now();
    return this.insertStmt.run({
      kind: draft.kind, severity: draft.severity, dedupeKey: draft.dedupeKey, conditionKey: draft.conditionKey ?? null, title: draft.title,
      symbol: draft.symbol ?? null, data: JSON.stringify(draft.data ?? {}), app: this.app, tradingDay: draft.tradingDay ?? tradingDayOf(nowMs),
      createdAt: isoTime(nowMs), createdAtMs: Date.now(),
    }).changes === 1;
  }

  /**
   * An audit `events` row and its alerts in ONE immediate transaction, for facts that are an event row and
   * nothing else (protection given up, a restart, a broker outage). `onlyIfNew`: when every alert is in the
   * outbox already, nothing is written (a condition re-checked every scan is recorded once).
   */
  recordEventWithAlert(fact: AuditFact, drafts: AlertDraft | readonly AlertDraft[], options: { onlyIfNew?: boolean } = {}): boolean {
    return this.factTx(fact, Array.isArray(drafts) ? drafts : [drafts as AlertDraft], options.onlyIfNew ?? false);
  }

  has(dedupeKey: string): boolean {
    return this.existsStmt.get(dedupeKey) !== undefined;
  }

  // ---- facts (each runs inside the caller's transaction) ----

  /** The entry is complete (booked, no longer working): "entry filled", once per position. */
  entryProgress(position: ActivePosition): void {
    if (entryComplete(position)) this.enqueue(entryFilledAlert(position));
  }

  /**
   * A position closed (its closed row is written already, in this transaction): its exit with the reason, a
   * large win or loss, and the day's realized-P&L milestones this close crossed.
   */
  positionClosed(closed: ClosedFact): void {
    const dayAfter = this.dayRealizedStmt.get(closed.closeDate) as number;
    for (const draft of positionClosedAlerts(closed, dayAfter - closed.realizedPnl, dayAfter, this.thresholds)) this.enqueue(draft);
  }

  exitOverfill(position: ActivePosition, remaining: number): void {
    this.enqueue(exitOverfillAlert(position, remaining));
  }

  /** A reconciliation run with mismatches (DISCREPANCY, MISSING_*): one alert per symbol, repeats throttled. */
  reconciliationRun(run: { id: number; tradingDay: string; trigger: string; status: string }, details: readonly unknown[]): void {
    for (const draft of reconciliationAlerts(run, details)) this.enqueue(draft);
  }

  haltSet(halt: { id: number; reason: string; setBy: string; setAt: string; detail: Record<string, unknown> }): void {
    this.enqueue(tradingHaltAlert(halt, tradingDayOf(this.clock.now())));
  }

  haltLifted(halt: { id: number; reason: string; setBy: string }, liftedBy: string): void {
    this.enqueue(tradingResumedAlert(halt, liftedBy, tradingDayOf(this.clock.now())));
  }

  // ---- reads ----

  recent(limit = 50): StoredAlert[] {
    return (this.recentStmt.all(limit) as OutboxRow[]).map(toStoredAlert);
  }

  /** The latest alerts with their delivery per channel (newest first). */
  list(limit = 50): ListedAlert[] {
    return this.recent(limit).map((alert) => ({
      ...alert,
      deliveries: (this.deliveriesOfStmt.all(alert.id) as Array<{ channel: string; status: string; message_id: number | null; attempts: number | null; last_error: string | null; delivered_at_ms: number | null }>)
        .map((d) => ({ channel: d.channel, status: d.status, messageId: d.message_id, attempts: d.attempts, lastError: d.last_error, deliveredAtMs: d.delivered_at_ms })),
    }));
  }
}
