import type Database from 'better-sqlite3';
import { isoTime } from '../db/types';
import type { Clock } from '../time/clock';
import type { TradingDay } from '../time/trading-calendar';
import { tradingDayEndIso, tradingDayStartIso } from './trading-day-bounds';

export interface DailySummary {
  tradingDay: TradingDay;
  trades: number;
  wins: number;
  losses: number;
  realizedPnl: number;
  commissions: number;
  grossProfit: number;
  /** Sum of the losing trades' P&L, ≤ 0. */
  grossLoss: number;
  /** Account net liquidation at the start / end of the day (null until the reconciler records it). */
  startEquity: number | null;
  endEquity: number | null;
  updatedAt: string;
}

interface DailySummaryRow {
  trading_day: string; trades: number; wins: number; losses: number; realized_pnl: number; commissions: number;
  gross_profit: number; gross_loss: number; start_equity: number | null; end_equity: number | null; updated_at: string;
}

function toSummary(row: DailySummaryRow): DailySummary {
  return {
    tradingDay: row.trading_day, trades: row.trades, wins: row.wins, losses: row.losses, realizedPnl: row.realized_pnl,
    commissions: row.commissions, grossProfit: row.gross_profit, grossLoss: row.gross_loss, startEquity: row.start_equity,
    endEquity: row.end_equity, updatedAt: row.updated_at,
  };
}

export interface EquityUpdate {
  /** Net liquidation at the start of the day; omitted keeps what the row has. */
  startEquity?: number | null;
  /** Net liquidation after the close (the reconciler's figure); omitted keeps what the row has. */
  endEquity?: number | null;
}

/**
 * `daily_summary`: one row per trading day. `recomputeDay` rebuilds the counts and money from the round trips
 * CLOSED that trading day (by exit time, like closed_positions_today.close_date), so it can run any number of
 * times (after a late commission report, after an import) and always gives the same row.
 */
export class DailySummaryRepository {
  private readonly aggregateStmt: Database.Statement;
  private readonly upsertStmt: Database.Statement;
  private readonly getStmt: Database.Statement<[string]>;
  private readonly rangeStmt: Database.Statement;
  private readonly recomputeTx: (tradingDay: TradingDay, equity: EquityUpdate) => DailySummary;

  constructor(db: Database.Database, private readonly clock: Clock) {
    this.aggregateStmt = db.prepare(`
      SELECT COUNT(*) AS trades, COALESCE(SUM(realized_pnl > 0), 0) AS wins, COALESCE(SUM(realized_pnl < 0), 0) AS losses,
        COALESCE(SUM(realized_pnl), 0) AS realizedPnl, COALESCE(SUM(commission), 0) AS commissions,
        COALESCE(SUM(CASE WHEN realized_pnl > 0 THEN realized_pnl ELSE 0 END), 0) AS grossProfit,
        COALESCE(SUM(CASE WHEN realized_pnl < 0 THEN realized_pnl ELSE 0 END), 0) AS grossLoss
      FROM round_trips WHERE status = 'CLOSED' AND exit_time >= @fromIso AND exit_time < @toIso`);
    // COALESCE keeps recorded equity when the caller has none (recomputing after an import must not erase it).
    this.upsertStmt = db.prepare(`
      INSERT INTO daily_summary (trading_day, trades, wins, losses, realized_pnl, commissions, gross_profit, gross_loss,
        start_equity, end_equity, updated_at)
      VALUES (@tradingDay, @trades, @wins, @losses, @realizedPnl, @commissions, @grossProfit, @grossLoss, @startEquity,
        @endEquity, @now)
      ON CONFLICT (trading_day) DO UPDATE SET trades = excluded.trades, wins = excluded.wins, losses = excluded.losses,
        realized_pnl = excluded.realized_pnl, commissions = excluded.commissions, gross_profit = excluded.gross_profit,
        gross_loss = excluded.gross_loss,
        start_equity = CASE WHEN @setStart THEN excluded.start_equity ELSE daily_summary.start_equity END,
        end_equity = CASE WHEN @setEnd THEN excluded.end_equity ELSE daily_summary.end_equity END,
        updated_at = excluded.updated_at`);
    this.getStmt = db.prepare('SELECT * FROM daily_summary WHERE trading_day = ?');
    this.rangeStmt = db.prepare('SELECT * FROM daily_summary WHERE trading_day >= @from AND trading_day <= @to ORDER BY trading_day');
    const tx = db.transaction((tradingDay: TradingDay, equity: EquityUpdate) => this.applyRecompute(tradingDay, equity));
    this.recomputeTx = (tradingDay, equity) => tx.immediate(tradingDay, equity);
  }

  /** Rebuilds a day's row from round_trips in one immediate transaction; equity given here is stored. */
  recomputeDay(tradingDay: TradingDay, equity: EquityUpdate = {}): DailySummary {
    return this.recomputeTx(tradingDay, equity);
  }

  private applyRecompute(tradingDay: TradingDay, equity: EquityUpdate): DailySummary {
    const totals = this.aggregateStmt.get({ fromIso: tradingDayStartIso(tradingDay), toIso: tradingDayEndIso(tradingDay) }) as Omit<
      DailySummary, 'tradingDay' | 'startEquity' | 'endEquity' | 'updatedAt'>;
    const setStart = equity.startEquity !== undefined;
    const setEnd = equity.endEquity !== undefined;
    this.upsertStmt.run({
      tradingDay,
      ...totals,
      startEquity: equity.startEquity ?? null,
      endEquity: equity.endEquity ?? null,
      setStart: setStart ? 1 : 0,
      setEnd: setEnd ? 1 : 0,
      now: isoTime(this.clock.now()),
    });
    return this.get(tradingDay)!;
  }

  get(tradingDay: TradingDay): DailySummary | undefined {
    const row = this.getStmt.get(tradingDay) as DailySummaryRow | undefined;
    return row ? toSummary(row) : undefined;
  }

  /** Rows from `from` to `to` inclusive (both optional), oldest first. */
  range(from?: TradingDay, to?: TradingDay): DailySummary[] {
    return (this.rangeStmt.all({ from: from ?? '0000-00-00', to: to ?? '9999-99-99' }) as DailySummaryRow[]).map(toSummary);
  }
}
