import type Database from 'better-sqlite3';

export interface ReconciliationSummaryRow {
  id: number;
  runAt: string;
  trigger: string;
  status: string;
  symbols: number;
  discrepancies: number;
  repaired: number;
  flagged: number;
  unrealizedPnl: number | null;
  error: string | null;
}

/** The reconciler's recent runs without their per-symbol details (the dashboard's reconciliation history). */
export class ReconciliationHistoryRepository {
  private readonly recentStmt: Database.Statement<[number]>;

  constructor(db: Database.Database) {
    this.recentStmt = db.prepare(`SELECT id, run_at AS runAt, trigger, status, symbols, discrepancies, repaired, flagged, unrealized_pnl AS unrealizedPnl, error
      FROM reconciliation_log ORDER BY id DESC LIMIT ?`);
  }

  recent(limit: number): ReconciliationSummaryRow[] {
    return this.recentStmt.all(limit) as ReconciliationSummaryRow[];
  }
}
