import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import { isoTime, parseJsonObject } from '../types';
import { AlertsOutboxRepository } from './alerts-outbox-repository';

export interface TradingHalt {
  id: number;
  reason: string;
  setBy: string;
  /** Market time (ISO). */
  setAt: string;
  /** Real time (epoch ms). */
  setAtMs: number;
  detail: Record<string, unknown>;
}

interface HaltRow {
  id: number; reason: string; set_by: string; set_at: string; set_at_ms: number; detail: string; lifted_by: string | null; lifted_at: string | null;
}

/**
 * `trading_halts`: the emergency stop. While a halt is active no bot opens a position, places protection or
 * sends an exit of its own: the emergency liquidation owns the account until an operator lifts it
 * (`npm run liquidate -- --resume`). Setting it is idempotent: an active halt is kept, not stacked. A new halt
 * and its alert, and a lift and its alert, are each one transaction.
 */
export class TradingHaltsRepository {
  private readonly activeStmt: Database.Statement<[]>;
  private readonly insertStmt: Database.Statement;
  private readonly liftStmt: Database.Statement<[string, string]>;
  private readonly setTx: (reason: string, setBy: string, detail: Record<string, unknown>) => TradingHalt;
  private readonly liftTx: (liftedBy: string) => boolean;
  private alertsRepo: AlertsOutboxRepository | undefined;

  constructor(private readonly db: Database.Database, private readonly clock: Clock, private readonly app = 'liquidate') {
    this.activeStmt = db.prepare('SELECT * FROM trading_halts WHERE lifted_at IS NULL ORDER BY id DESC LIMIT 1');
    this.insertStmt = db.prepare('INSERT INTO trading_halts (reason, set_by, set_at, set_at_ms, detail) VALUES (@reason, @setBy, @setAt, @setAtMs, @detail)');
    this.liftStmt = db.prepare('UPDATE trading_halts SET lifted_by = ?, lifted_at = ? WHERE lifted_at IS NULL');
    const set = db.transaction((reason: string, setBy: string, detail: Record<string, unknown>): TradingHalt => {
      const existing = this.active();
      if (existing) return existing;
      this.insertStmt.run({ reason, setBy, setAt: isoTime(this.clock.now()), setAtMs: Date.now(), detail: JSON.stringify(detail) });
      const halt = this.active()!;
      this.alerts().haltSet(halt);
      return halt;
    });
    this.setTx = (reason, setBy, detail) => set.immediate(reason, setBy, detail);
    const lift = db.transaction((liftedBy: string): boolean => {
      const active = this.active();
      if (!active || this.liftStmt.run(liftedBy, isoTime(this.clock.now())).changes === 0) return false;
      this.alerts().haltLifted(active, liftedBy);
      return true;
    });
    this.liftTx = (liftedBy) => lift.immediate(liftedBy);
  }

  /** Created on first write: a read-only console on an older schema constructs this repository too. */
  private alerts(): AlertsOutboxRepository {
    this.alertsRepo ??= new AlertsOutboxRepository(this.db, this.clock, this.app);
    return this.alertsRepo;
  }

  /** The halt in force, or undefined when the bots may trade. */
  active(): TradingHalt | undefined {
    const row = this.activeStmt.get() as HaltRow | undefined;
    return row ? { id: row.id, reason: row.reason, setBy: row.set_by, setAt: row.set_at, setAtMs: row.set_at_ms, detail: parseJsonObject(row.detail) } : undefined;
  }

  set(reason: string, setBy: string, detail: Record<string, unknown> = {}): TradingHalt {
    return this.setTx(reason, setBy, detail);
  }

  /** Lifts the active halt; returns false when there was none. */
  lift(liftedBy: string): boolean {
    return this.liftTx(liftedBy);
  }
}
