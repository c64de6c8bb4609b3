import type Database from 'better-sqlite3';
import type { TradingDay } from '../../time/trading-calendar';

/** Keeps `round_trips` (the permanent trade history) in step with the ledger; used inside its transactions. */
export class RoundTripsWriter {
  private readonly upsertOpenStmt: Database.Statement;
  private readonly closeStmt: Database.Statement;
  private readonly addCommissionStmt: Database.Statement<[number, number, string]>;
  private readonly correctMoneyStmt: Database.Statement;

  constructor(db: Database.Database) {
    this.upsertOpenStmt = db.prepare(`
      INSERT INTO round_trips (position_id, symbol, agent_name, direction, status, quantity, entry_price, entry_time,
        commission, trading_day, source)
      VALUES (@positionId, @symbol, @agentName, @direction, 'OPEN', @quantity, @entryPrice, @entryTime, @commission,
        @tradingDay, @source)
      ON CONFLICT (position_id) DO UPDATE SET quantity = excluded.quantity, entry_price = excluded.entry_price,
        commission = excluded.commission`);
    this.closeStmt = db.prepare(`
      UPDATE round_trips SET status = 'CLOSED', quantity = @quantity, exit_price = @exitPrice, exit_time = @exitTime,
        exit_reason = @exitReason, commission = @commission, realized_pnl = @realizedPnl, pnl_pct = @pnlPct
      WHERE position_id = @positionId`);
    this.addCommissionStmt = db.prepare(`
      UPDATE round_trips SET commission = commission + ?, realized_pnl = CASE WHEN status = 'CLOSED'
        THEN realized_pnl - ? ELSE realized_pnl END WHERE position_id = ?`);
    this.correctMoneyStmt = db.prepare(`UPDATE round_trips SET entry_price = @entryPrice, exit_price = @exitPrice, realized_pnl = @realizedPnl,
      pnl_pct = @pnlPct WHERE position_id = @positionId`);
  }

  /** An execution of a closed round trip was corrected by the broker: its prices and money follow. */
  correctMoney(row: { positionId: string; entryPrice: number; exitPrice: number; realizedPnl: number; pnlPct: number | null }): void {
    this.correctMoneyStmt.run(row);
  }

  upsertOpen(row: {
    positionId: string;
    symbol: string;
    agentName: string;
    direction: 'LONG' | 'SHORT';
    quantity: number;
    entryPrice: number;
    entryTime: string;
    commission: number;
    tradingDay: TradingDay;
    source: string;
  }): void {
    this.upsertOpenStmt.run(row);
  }

  close(row: {
    positionId: string;
    quantity: number;
    exitPrice: number;
    exitTime: string;
    exitReason: string;
    commission: number;
    realizedPnl: number;
    pnlPct: number | null;
  }): void {
    this.closeStmt.run(row);
  }

  addCommission(positionId: string, commission: number): void {
    this.addCommissionStmt.run(commission, commission, positionId);
  }
}
