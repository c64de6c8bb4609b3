import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import type { TradingDay } from '../../time/trading-calendar';
import { isoTime } from '../types';
import { AlertsOutboxRepository } from './alerts-outbox-repository';

export type ReconciliationStatus = 'OK' | 'REPAIRED' | 'FLAGGED' | 'FAILED';

export interface ReconciliationRun {
  id: number;
  runAt: string;
  tradingDay: TradingDay;
  trigger: string;
  status: ReconciliationStatus;
  symbols: number;
  discrepancies: number;
  repaired: number;
  flagged: number;
  unrealizedPnl: number | null;
  details: unknown[];
  error: string | null;
}

/**
 * `reconciliation_log`: one row per reconciler run, what it found and what it did. A run with mismatches
 * (DISCREPANCY, MISSING_IN_DB, MISSING_AT_BROKER: repaired or flagged) writes its alerts in the same
 * transaction as its row.
 */
export class ReconciliationLogRepository {
  private readonly insertStmt: Database.Statement;
  private readonly latestStmt: Database.Statement<[]>;
  private readonly recordTx: (run: Omit<ReconciliationRun, 'id' | 'runAt'>) => number;
  private alerts: AlertsOutboxRepository | undefined;

  constructor(private readonly db: Database.Database, private readonly clock: Clock, private readonly app = 'reconciler') {
    this.insertStmt = db.prepare(`INSERT INTO reconciliation_log (run_at, trading_day, trigger, status, symbols, discrepancies,
      repaired, flagged, unrealized_pnl, details, error) VALUES (@runAt, @tradingDay, @trigger, @status, @symbols, @discrepancies,
      @repaired, @flagged, @unrealizedPnl, @details, @error)`);
    this.latestStmt = db.prepare('SELECT * FROM reconciliation_log ORDER BY id DESC LIMIT 1');
    const tx = db.transaction((run: Omit<ReconciliationRun, 'id' | 'runAt'>): number => {
      const id = Number(
        this.insertStmt.run({ ...run, runAt: isoTime(this.clock.now()), details: JSON.stringify(run.details), error: run.error ?? null }).lastInsertRowid,
      );
      if (run.status === 'FLAGGED' || run.status === 'REPAIRED') {
        this.alerts ??= new AlertsOutboxRepository(this.db, this.clock, this.app);
        this.alerts.reconciliationRun({ id, tradingDay: run.tradingDay, trigger: run.trigger, status: run.status }, run.details);
      }
      return id;
    });
    this.recordTx = (run) => tx.immediate(run);
  }

  /** The run's row and, for a run with mismatches, its alerts: one immediate transaction. */
  record(run: Omit<ReconciliationRun, 'id' | 'runAt'>): number {
    return this.recordTx(run);
  }

  latest(): ReconciliationRun | undefined {
    const row = this.latestStmt.get() as (Record<string, unknown> & { details: string }) | undefined;
    if (!row) return undefined;
    return {
      id: row.id as number, runAt: row.run_at as string, tradingDay: row.trading_day as string, trigger: row.trigger as string,
      status: row.status as ReconciliationStatus, symbols: row.symbols as number, discrepancies: row.discrepancies as number,
      repaired: row.repaired as number, flagged: row.flagged as number, unrealizedPnl: row.unrealized_pnl as number | null,
      details: JSON.parse(row.details) as unknown[], error: row.error as string | null,
    };
  }
}
