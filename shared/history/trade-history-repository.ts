import type Database from 'better-sqlite3';
import type { ReportTrade } from '../analytics/report/report-model';
import type { ClosedTradeInput } from '../analytics/trade-stats';
import { isoTime, parseJsonObject } from '../db/types';
import type { Clock } from '../time/clock';
import { tradingDayOf, type TradingDay } from '../time/trading-calendar';
import { tradingDayEndIso, tradingDayStartIso } from './trading-day-bounds';
import { prepareAgentEquityBefore } from './agent-equity-before';
import type { RoundTrip, TradeDirection, TradeFilter } from './types';

interface RoundTripRow {
  id: number; position_id: string; symbol: string; agent_name: string; direction: string; status: string;
  quantity: number; entry_price: number; entry_time: string; exit_price: number | null; exit_time: string | null;
  exit_reason: string | null; commission: number; realized_pnl: number | null; pnl_pct: number | null;
  trading_day: string; source: string; metadata: string;
}

function toRoundTrip(row: RoundTripRow): RoundTrip {
  return {
    id: row.id, positionId: row.position_id, symbol: row.symbol, agentName: row.agent_name,
    direction: row.direction as TradeDirection, status: row.status as RoundTrip['status'], quantity: row.quantity,
    entryPrice: row.entry_price, entryTime: row.entry_time, exitPrice: row.exit_price, exitTime: row.exit_time,
    exitReason: row.exit_reason, commission: row.commission, realizedPnl: row.realized_pnl, pnlPct: row.pnl_pct,
    tradingDay: row.trading_day, source: row.source, metadata: parseJsonObject(row.metadata),
  };
}

export interface NewTrade {
  positionId: string;
  symbol: string;
  agentName: string;
  direction?: TradeDirection;
  quantity: number;
  entryPrice: number;
  entryTimeMs: number;
  /** Entry commission (money). */
  commission?: number;
  source?: string;
  metadata?: Record<string, unknown>;
}

export interface TradeExit {
  exitPrice: number;
  exitTimeMs: number;
  exitReason: string;
  /** Added to the commission already on the row (the entry's). */
  exitCommission?: number;
}

export type CloseTradeResult =
  | { status: 'closed'; trade: RoundTrip }
  | { status: 'not_found' }
  | { status: 'already_closed'; trade: RoundTrip };

export interface OverallStats {
  closedTrades: number;
  openTrades: number;
  wins: number;
  losses: number;
  breakeven: number;
  netPnl: number;
  grossProfit: number;
  /** Sum of losing P&L, ≤ 0. */
  grossLoss: number;
  commissions: number;
  firstExitTime: string | null;
  lastExitTime: string | null;
}

/**
 * `round_trips` as the trade history: filtered reads for reports, stats and exports, plus `recordTrade` /
 * `closeTrade` for imports and tools (the bots write their own rows through PositionLedger). Filtered
 * statements are prepared once per filter shape, so each query still uses the matching index.
 */
export class TradeHistoryRepository {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly insertStmt: Database.Statement;
  private readonly getStmt: Database.Statement<[string]>;
  private readonly closeStmt: Database.Statement;
  private readonly closeTx: (positionId: string, exit: TradeExit) => CloseTradeResult;
  private readonly openCountStmt: Database.Statement<[]>;
  /** Prepared on first use: only reports need it. */
  private agentEquityBeforeQuery: ReturnType<typeof prepareAgentEquityBefore> | undefined;

  constructor(private readonly db: Database.Database, private readonly clock: Clock) {
    this.insertStmt = db.prepare(`
      INSERT INTO round_trips (position_id, symbol, agent_name, direction, status, quantity, entry_price, entry_time,
        commission, trading_day, source, metadata)
      VALUES (@positionId, @symbol, @agentName, @direction, 'OPEN', @quantity, @entryPrice, @entryTime, @commission,
        @tradingDay, @source, @metadata)
      ON CONFLICT (position_id) DO NOTHING`);
    this.getStmt = db.prepare('SELECT * FROM round_trips WHERE position_id = ?');
    this.closeStmt = db.prepare(`
      UPDATE round_trips SET status = 'CLOSED', exit_price = @exitPrice, exit_time = @exitTime, exit_reason = @exitReason,
        commission = @commission, realized_pnl = @realizedPnl, pnl_pct = @pnlPct
      WHERE position_id = @positionId AND status = 'OPEN'`);
    this.openCountStmt = db.prepare("SELECT COUNT(*) FROM round_trips WHERE status = 'OPEN'").pluck();
    const tx = db.transaction((positionId: string, exit: TradeExit) => this.applyClose(positionId, exit));
    this.closeTx = (positionId, exit) => tx.immediate(positionId, exit);
  }

  /** Inserts an OPEN round trip; false when the position id already exists (nothing changes then). */
  recordTrade(trade: NewTrade): boolean {
    return this.insertStmt.run({
      positionId: trade.positionId,
      symbol: trade.symbol,
      agentName: trade.agentName,
      direction: trade.direction ?? 'LONG',
      quantity: trade.quantity,
      entryPrice: trade.entryPrice,
      entryTime: isoTime(trade.entryTimeMs),
      commission: trade.commission ?? 0,
      tradingDay: tradingDayOf(trade.entryTimeMs),
      source: trade.source ?? 'import',
      metadata: JSON.stringify({ ...trade.metadata, recordedAt: isoTime(this.clock.now()) }),
    }).changes === 1;
  }

  /**
   * Marks an OPEN round trip CLOSED with its exit, in one immediate transaction. P&L follows PositionLedger:
   * realized = direction × (exit - entry) × quantity - all commissions; pnl % = direction × (exit / entry - 1) × 100.
   */
  closeTrade(positionId: string, exit: TradeExit): CloseTradeResult {
    return this.closeTx(positionId, exit);
  }

  private applyClose(positionId: string, exit: TradeExit): CloseTradeResult {
    const row = this.get(positionId);
    if (!row) return { status: 'not_found' };
    if (row.status === 'CLOSED') return { status: 'already_closed', trade: row };
    const sign = row.direction === 'SHORT' ? -1 : 1;
    const commission = row.commission + (exit.exitCommission ?? 0);
    this.closeStmt.run({
      positionId,
      exitPrice: exit.exitPrice,
      exitTime: isoTime(exit.exitTimeMs),
      exitReason: exit.exitReason,
      commission,
      realizedPnl: sign * (exit.exitPrice - row.entryPrice) * row.quantity - commission,
      pnlPct: row.entryPrice > 0 ? sign * (exit.exitPrice / row.entryPrice - 1) * 100 : null,
    });
    return { status: 'closed', trade: this.get(positionId)! };
  }

  get(positionId: string): RoundTrip | undefined {
    const row = this.getStmt.get(positionId) as RoundTripRow | undefined;
    return row ? toRoundTrip(row) : undefined;
  }

  /** The trade history with filters (see TradeFilter for the date rules). */
  list(filter: TradeFilter = {}): RoundTrip[] {
    const { sql, params } = this.whereClause(filter);
    const order = filter.limit !== undefined
      ? 'ORDER BY COALESCE(exit_time, entry_time) DESC, id DESC LIMIT @limit'
      : 'ORDER BY COALESCE(exit_time, entry_time), id';
    const rows = this.statement(`SELECT * FROM round_trips ${sql} ${order}`).all({ ...params, limit: filter.limit ?? -1 }) as RoundTripRow[];
    return rows.map(toRoundTrip);
  }

  /** Closed trades in the shape the analytics take, oldest exit first; the fast path for 100,000 rows. */
  closedForAnalytics(filter: Omit<TradeFilter, 'status' | 'limit'> = {}): ClosedTradeInput[] {
    const { sql, params } = this.whereClause({ ...filter, status: 'CLOSED' });
    const rows = this.statement(`SELECT symbol, agent_name, realized_pnl, entry_time, exit_time, commission FROM round_trips ${sql}
      ORDER BY exit_time, id`).raw().all(params) as Array<[string, string, number | null, string, string, number]>;
    return rows.map(([symbol, agentName, pnl, entry, exit, commission]) => ({
      symbol, agentName, realizedPnl: pnl ?? 0, entryTimeMs: Date.parse(entry), exitTimeMs: Date.parse(exit), commission,
    }));
  }

  /**
   * The closed trades a report lists: trading day of exit from `from` to `to` (as list() with status CLOSED),
   * oldest exit first, in the shape reports show. Only the columns reports print, read as arrays.
   */
  closedForReport(from: TradingDay, to: TradingDay): ReportTrade[] {
    const rows = this.statement(`SELECT position_id, symbol, agent_name, direction, quantity, entry_price, entry_time, exit_price, exit_time,
        exit_reason, commission, realized_pnl, pnl_pct, source
      FROM round_trips WHERE status = 'CLOSED' AND exit_time >= @fromIso AND exit_time < @toIso ORDER BY exit_time, id`)
      .raw().all({ fromIso: tradingDayStartIso(from), toIso: tradingDayEndIso(to) }) as Array<[
        string, string, string, string, number, number, string, number | null, string, string | null, number, number | null, number | null, string]>;
    return rows.map(([positionId, symbol, agentName, direction, quantity, entryPrice, entryTime, exitPrice, exitTime, exitReason, commission, pnl, pnlPct, source]) => ({
      positionId, symbol, agentName, direction, quantity, entryPrice, entryTimeMs: Date.parse(entryTime), exitPrice, exitTimeMs: Date.parse(exitTime),
      exitReason, commission, realizedPnl: pnl ?? 0, pnlPct, source,
    }));
  }

  /** Counts and money over the closed trades that match, plus the number of open trades overall. */
  overallStats(filter: Omit<TradeFilter, 'status' | 'limit'> = {}): OverallStats {
    const { sql, params } = this.whereClause({ ...filter, status: 'CLOSED' });
    const row = this.statement(`SELECT COUNT(*) AS closedTrades,
        COALESCE(SUM(realized_pnl > 0), 0) AS wins, COALESCE(SUM(realized_pnl < 0), 0) AS losses,
        COALESCE(SUM(realized_pnl = 0), 0) AS breakeven, COALESCE(SUM(realized_pnl), 0) AS netPnl,
        COALESCE(SUM(CASE WHEN realized_pnl > 0 THEN realized_pnl ELSE 0 END), 0) AS grossProfit,
        COALESCE(SUM(CASE WHEN realized_pnl < 0 THEN realized_pnl ELSE 0 END), 0) AS grossLoss,
        COALESCE(SUM(commission), 0) AS commissions, MIN(exit_time) AS firstExitTime, MAX(exit_time) AS lastExitTime
      FROM round_trips ${sql}`).get(params) as Omit<OverallStats, 'openTrades'>;
    return { ...row, openTrades: this.openCountStmt.get() as number };
  }

  /**
   * Realized P&L and closed-trade count per UTC hour of exit ('YYYY-MM-DDTHH'), up to an exclusive ISO bound and
   * from an inclusive one (an hour's start: whole hours stay whole, so each hour sums the same rows either way).
   */
  realizedByExitHour(beforeIso?: string, sinceIso?: string): Array<{ hour: string; pnl: number; trades: number }> {
    const sql = `SELECT substr(exit_time, 1, 13) AS hour, COALESCE(SUM(realized_pnl), 0) AS pnl, COUNT(*) AS trades
      FROM round_trips WHERE status = 'CLOSED' AND exit_time IS NOT NULL ${beforeIso ? 'AND exit_time < @before' : ''}
      ${sinceIso ? 'AND exit_time >= @since' : ''}
      GROUP BY hour ORDER BY hour`;
    const params: Record<string, string> = {};
    if (beforeIso) params.before = beforeIso;
    if (sinceIso) params.since = sinceIso;
    return this.statement(sql).all(params) as Array<{ hour: string; pnl: number; trades: number }>;
  }

  /**
   * Each agent's equity before the trading day `from`, from its closed trades before it (see
   * agent-equity-before.ts); undefined when only the whole history gives the same figures.
   */
  agentEquityBefore(from: TradingDay, initialCapital: number): Map<string, number> | undefined {
    this.agentEquityBeforeQuery ??= prepareAgentEquityBefore(this.db);
    return this.agentEquityBeforeQuery(from, initialCapital);
  }

  openCount(): number {
    return this.openCountStmt.get() as number;
  }

  private whereClause(filter: TradeFilter): { sql: string; params: Record<string, unknown> } {
    const parts: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.symbol) {
      parts.push('symbol = @symbol');
      params.symbol = filter.symbol.toUpperCase();
    }
    if (filter.agentName) {
      parts.push('agent_name = @agentName');
      params.agentName = filter.agentName;
    }
    if (filter.source) {
      parts.push('source = @source');
      params.source = filter.source;
    }
    if (filter.from || filter.to) {
      if (filter.from) {
        params.fromIso = tradingDayStartIso(filter.from);
        params.fromDay = filter.from;
      }
      if (filter.to) {
        params.toIso = tradingDayEndIso(filter.to);
        params.toDay = filter.to;
      }
      const closed = ["status = 'CLOSED'", filter.from ? 'exit_time >= @fromIso' : '', filter.to ? 'exit_time < @toIso' : ''].filter(Boolean).join(' AND ');
      const open = ["status = 'OPEN'", filter.from ? 'trading_day >= @fromDay' : '', filter.to ? 'trading_day <= @toDay' : ''].filter(Boolean).join(' AND ');
      if (filter.status === 'CLOSED') parts.push(`(${closed})`);
      else if (filter.status === 'OPEN') parts.push(`(${open})`);
      else parts.push(`((${closed}) OR (${open}))`);
    } else if (filter.status) {
      parts.push('status = @status');
      params.status = filter.status;
    }
    return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', params };
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
