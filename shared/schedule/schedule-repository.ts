import type Database from 'better-sqlite3';
import { isoTime, parseJsonObject } from '../db/types';
import type { Clock } from '../time/clock';
import type { TradingDay } from '../time/trading-calendar';
import type { Trigger, TriggerKind } from './due-triggers';

/**
 * FIRED: due and waiting for its consumer · CONSUMED: taken by a process (detail.consumedBy) ·
 * DONE / FAILED: the consumer finished (detail.result / detail.error) · EXPIRED: never consumed on its day.
 */
export type TriggerStatus = 'FIRED' | 'CONSUMED' | 'DONE' | 'FAILED' | 'EXPIRED';

export interface FiredTrigger {
  key: string;
  kind: TriggerKind;
  tradingDay: TradingDay;
  dueAt: string;
  firedAt: string;
  status: TriggerStatus;
  detail: Record<string, unknown>;
}

interface TriggerRow {
  trigger_key: string; kind: string; trading_day: string; due_at: string; fired_at: string; status: string; detail: string;
}

function toFired(row: TriggerRow): FiredTrigger {
  return {
    key: row.trigger_key, kind: row.kind as TriggerKind, tradingDay: row.trading_day, dueAt: row.due_at, firedAt: row.fired_at,
    status: row.status as TriggerStatus, detail: parseJsonObject(row.detail),
  };
}

/**
 * `scheduled_triggers`. The primary key makes each trigger fire once however often the supervisor restarts;
 * a consumer (day-trader for SCAN, reconciler for RECONCILE_AFTER_CLOSE, the scheduler itself for reports)
 * takes a fired trigger in one immediate transaction, so exactly one process runs it. No schema change:
 * who consumed it and when lives in `detail` (JSON) next to `status`.
 */
export class ScheduleRepository {
  private readonly insertStmt: Database.Statement;
  private readonly keysForDayStmt: Database.Statement<[string]>;
  private readonly getStmt: Database.Statement<[string]>;
  private readonly pendingStmt: Database.Statement;
  private readonly pendingForDayStmt: Database.Statement;
  private readonly setStatusStmt: Database.Statement;
  private readonly expireStmt: Database.Statement;
  private readonly recentStmt: Database.Statement<[number]>;
  private readonly transitionTx: (key: string, from: readonly TriggerStatus[], to: TriggerStatus, detail: Record<string, unknown>) => boolean;
  private readonly consumeNextTx: (kind: TriggerKind, by: string, tradingDay: TradingDay | undefined) => FiredTrigger | undefined;

  constructor(db: Database.Database, private readonly clock: Clock) {
    this.insertStmt = db.prepare(`INSERT INTO scheduled_triggers (trigger_key, kind, trading_day, due_at, fired_at, status, detail)
      VALUES (@key, @kind, @tradingDay, @dueAt, @firedAt, 'FIRED', @detail) ON CONFLICT (trigger_key) DO NOTHING`);
    this.keysForDayStmt = db.prepare('SELECT trigger_key FROM scheduled_triggers WHERE trading_day = ?').pluck();
    this.getStmt = db.prepare('SELECT * FROM scheduled_triggers WHERE trigger_key = ?');
    this.pendingStmt = db.prepare("SELECT * FROM scheduled_triggers WHERE kind = @kind AND status = 'FIRED' ORDER BY due_at, trigger_key");
    this.pendingForDayStmt = db.prepare(`SELECT * FROM scheduled_triggers WHERE trading_day = @tradingDay AND kind = @kind AND status = 'FIRED'
      ORDER BY due_at, trigger_key`);
    this.setStatusStmt = db.prepare('UPDATE scheduled_triggers SET status = @status, detail = @detail WHERE trigger_key = @key');
    this.expireStmt = db.prepare("UPDATE scheduled_triggers SET status = 'EXPIRED' WHERE status = 'FIRED' AND trading_day < ?");
    this.recentStmt = db.prepare('SELECT * FROM scheduled_triggers ORDER BY fired_at DESC, due_at DESC, trigger_key DESC LIMIT ?');
    const transition = db.transaction((key: string, from: readonly TriggerStatus[], to: TriggerStatus, detail: Record<string, unknown>) => {
      const row = this.get(key);
      if (!row || !from.includes(row.status)) return false;
      this.setStatusStmt.run({ key, status: to, detail: JSON.stringify({ ...row.detail, ...detail }) });
      return true;
    });
    this.transitionTx = (key, from, to, detail) => transition.immediate(key, from, to, detail);
    const consumeNext = db.transaction((kind: TriggerKind, by: string, tradingDay: TradingDay | undefined) => {
      const next = this.pending(kind, tradingDay)[0];
      if (!next) return undefined;
      const detail = { ...next.detail, consumedBy: by, consumedAt: isoTime(this.clock.now()) };
      this.setStatusStmt.run({ key: next.key, status: 'CONSUMED', detail: JSON.stringify(detail) });
      return { ...next, status: 'CONSUMED' as const, detail };
    });
    this.consumeNextTx = (kind, by, tradingDay) => consumeNext.immediate(kind, by, tradingDay);
  }

  /** Records a due trigger; true only for the call that inserted it (a trigger fires once). */
  fire(trigger: Trigger, detail: Record<string, unknown> = {}): boolean {
    return this.insertStmt.run({
      key: trigger.key, kind: trigger.kind, tradingDay: trigger.tradingDay, dueAt: isoTime(trigger.dueAtMs), firedAt: isoTime(this.clock.now()),
      detail: JSON.stringify({ ...(trigger.scanTime ? { scanTime: trigger.scanTime } : {}), ...detail }),
    }).changes === 1;
  }

  /** Keys already fired on a trading day (the `alreadyFired` of dueTriggers). */
  firedKeys(tradingDay: TradingDay): Set<string> {
    return new Set(this.keysForDayStmt.all(tradingDay) as string[]);
  }

  get(key: string): FiredTrigger | undefined {
    const row = this.getStmt.get(key) as TriggerRow | undefined;
    return row ? toFired(row) : undefined;
  }

  /** Fired, not yet consumed triggers of a kind, oldest first; pass the current trading day to skip stale ones. */
  pending(kind: TriggerKind, tradingDay?: TradingDay): FiredTrigger[] {
    const rows = tradingDay === undefined ? this.pendingStmt.all({ kind }) : this.pendingForDayStmt.all({ kind, tradingDay });
    return (rows as TriggerRow[]).map(toFired);
  }

  /** Takes one fired trigger for process `by`; true for exactly one caller however many race. */
  markConsumed(key: string, by: string): boolean {
    return this.transitionTx(key, ['FIRED'], 'CONSUMED', { consumedBy: by, consumedAt: isoTime(this.clock.now()) });
  }

  /** Takes the oldest fired trigger of a kind (of `tradingDay` when given) in one immediate transaction. */
  consumeNext(kind: TriggerKind, by: string, tradingDay?: TradingDay): FiredTrigger | undefined {
    return this.consumeNextTx(kind, by, tradingDay);
  }

  /** The consumer's outcome (a consumed trigger, or a fired one a process ran without consuming first). */
  complete(key: string, status: 'DONE' | 'FAILED', detail: Record<string, unknown> = {}): boolean {
    return this.transitionTx(key, ['CONSUMED', 'FIRED'], status, { ...detail, completedAt: isoTime(this.clock.now()) });
  }

  /** Triggers of days before `tradingDay` still FIRED become EXPIRED (a scan of yesterday must not run today). */
  expireBefore(tradingDay: TradingDay): number {
    return this.expireStmt.run(tradingDay).changes;
  }

  /** The latest triggers, newest first (the status console). */
  recent(limit = 20): FiredTrigger[] {
    return (this.recentStmt.all(limit) as TriggerRow[]).map(toFired);
  }
}
