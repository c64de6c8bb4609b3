import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import type { TradingDay } from '../../time/trading-calendar';
import { isoTime, type ClosedPosition } from '../types';
import { toClosedPosition, type ClosedPositionRow } from './row-mappers';

export type NewClosedPosition = Omit<ClosedPosition, 'id'>;

/** `closed_positions_today`: what closed on which trading day; the same-day re-entry guard reads it. */
export class ClosedPositionsRepository {
  private readonly wasClosedStmt: Database.Statement<[string, string]>;
  private readonly byDayStmt: Database.Statement<[string]>;
  private readonly insertStmt: Database.Statement;
  private readonly archiveStmt: Database.Statement<[string, string]>;
  private readonly deleteBeforeStmt: Database.Statement<[string]>;
  private readonly archivedDayStmt: Database.Statement<[string]>;

  constructor(private readonly db: Database.Database, private readonly clock: Clock) {
    this.wasClosedStmt = db.prepare('SELECT 1 FROM closed_positions_today WHERE symbol = ? AND close_date = ?').pluck();
    this.byDayStmt = db.prepare('SELECT * FROM closed_positions_today WHERE close_date = ? ORDER BY timestamp, id');
    // One row per position: a symbol closed twice in a day (a manual buy adopted after a bot trade) keeps two
    // rows, each true to its own reason and P&L. A position closes once; a repeat is ignored.
    this.insertStmt = db.prepare(`
      INSERT INTO closed_positions_today (symbol, close_date, position_id, quantity, entry_price, exit_price,
        exit_reason, profit_loss_pct, realized_pnl, commission, agent_name, entry_timestamp, timestamp)
      VALUES (@symbol, @closeDate, @positionId, @quantity, @entryPrice, @exitPrice, @exitReason, @profitLossPct,
        @realizedPnl, @commission, @agentName, @entryTimestamp, @timestamp)
      ON CONFLICT (position_id) DO NOTHING`);
    this.archiveStmt = db.prepare(`
      INSERT OR IGNORE INTO closed_positions_archive (symbol, close_date, position_id, quantity, entry_price, exit_price,
        exit_reason, profit_loss_pct, realized_pnl, commission, agent_name, entry_timestamp, timestamp, archived_at)
      SELECT symbol, close_date, position_id, quantity, entry_price, exit_price, exit_reason, profit_loss_pct,
        realized_pnl, commission, agent_name, entry_timestamp, timestamp, ?
      FROM closed_positions_today WHERE close_date < ?`);
    this.deleteBeforeStmt = db.prepare('DELETE FROM closed_positions_today WHERE close_date < ?');
    this.archivedDayStmt = db.prepare('SELECT * FROM closed_positions_archive WHERE close_date = ? ORDER BY timestamp, id');
  }

  wasClosedToday(symbol: string, tradingDay: TradingDay): boolean {
    return this.wasClosedStmt.get(symbol, tradingDay) !== undefined;
  }

  getClosedToday(tradingDay: TradingDay): ClosedPosition[] {
    return (this.byDayStmt.all(tradingDay) as ClosedPositionRow[]).map(toClosedPosition);
  }

  /** Closed rows of any day, today's table first, then the archive. */
  getClosedOn(tradingDay: TradingDay): ClosedPosition[] {
    const today = this.getClosedToday(tradingDay);
    return today.length > 0 ? today : (this.archivedDayStmt.all(tradingDay) as ClosedPositionRow[]).map(toClosedPosition);
  }

  addClosedPosition(row: NewClosedPosition): void {
    this.insertStmt.run(row);
  }

  /**
   * The trading-day roll: rows of days before `currentTradingDay` move to the archive, in one immediate
   * transaction. Rows of the current day are never touched, so any number of restarts forget nothing.
   */
  clearClosedToday(currentTradingDay: TradingDay): { archived: number } {
    const roll = this.db.transaction(() => {
      this.archiveStmt.run(isoTime(this.clock.now()), currentTradingDay);
      return this.deleteBeforeStmt.run(currentTradingDay).changes;
    });
    return { archived: roll.immediate() };
  }
}
