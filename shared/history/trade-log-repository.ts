import type Database from 'better-sqlite3';
import { parseJsonObject } from '../db/types';
import type { TradingDay } from '../time/trading-calendar';
import { tradingDayEndIso, tradingDayStartIso } from './trading-day-bounds';
import type { RoundTrip, TradeDirection } from './types';

/** Where a chunked read of the log continues: after this trade (exit time, then id, both descending). */
export interface TradeLogCursor {
  exitTime: string;
  id: number;
}

/** Filters of the dashboard's trade log. Dates are trading days of the exit, both included. */
export interface TradeLogFilter {
  symbol?: string;
  agentName?: string;
  exitReason?: string;
  /** 'win' (P&L > 0), 'loss' (< 0). */
  outcome?: 'win' | 'loss';
  source?: string;
  from?: TradingDay;
  to?: TradingDay;
}

interface Row {
  id: number; position_id: string; symbol: string; agent_name: string; direction: string; status: string; quantity: number; entry_price: number;
  entry_time: string; exit_price: number | null; exit_time: string | null; exit_reason: string | null; commission: number; realized_pnl: number | null;
  pnl_pct: number | null; trading_day: string; source: string; metadata: string;
}

function toRoundTrip(r: Row): RoundTrip {
  return {
    id: r.id, positionId: r.position_id, symbol: r.symbol, agentName: r.agent_name, direction: r.direction as TradeDirection, status: r.status as RoundTrip['status'],
    quantity: r.quantity, entryPrice: r.entry_price, entryTime: r.entry_time, exitPrice: r.exit_price, exitTime: r.exit_time, exitReason: r.exit_reason,
    commission: r.commission, realizedPnl: r.realized_pnl, pnlPct: r.pnl_pct, tradingDay: r.trading_day, source: r.source, metadata: parseJsonObject(r.metadata),
  };
}

/**
 * The closed trades as a log that pages through 100,000 rows: newest exit first over the exit_time index,
 * filtered, counted, and read in chunks for CSV downloads (never all in memory). Open round trips are
 * the positions on the overview, not part of the log.
 */
export class TradeLogRepository {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly valuesStmt: Database.Statement<[]>;
  private readonly versionStmt: Database.Statement<[]>;

  constructor(private readonly db: Database.Database) {
    this.valuesStmt = db.prepare(`SELECT 'reason' AS kind, exit_reason AS value FROM round_trips WHERE status = 'CLOSED' AND exit_reason IS NOT NULL GROUP BY exit_reason
      UNION ALL SELECT 'agent', agent_name FROM round_trips GROUP BY agent_name
      UNION ALL SELECT 'source', source FROM round_trips GROUP BY source`);
    // Index lookups only (microseconds on 100,000 rows): a new round trip, a close, an open one, a day's summary.
    this.versionStmt = db.prepare(`SELECT (SELECT MAX(id) FROM round_trips) || ':' || COALESCE((SELECT MAX(exit_time) FROM round_trips), '') || ':' ||
      (SELECT COUNT(*) FROM round_trips WHERE status = 'OPEN') || ':' || COALESCE((SELECT MAX(updated_at) FROM daily_summary), '')`).pluck();
  }

  /** Changes when the trade history or the daily summaries change: what derived figures (all-history metrics) are cached by. */
  historyVersion(): string {
    return String(this.versionStmt.get() ?? '');
  }

  page(filter: TradeLogFilter, limit: number, offset: number): RoundTrip[] {
    const { sql, params } = where(filter);
    return (this.statement(`SELECT * FROM round_trips ${sql} ORDER BY exit_time DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit, offset }) as Row[]).map(toRoundTrip);
  }

  count(filter: TradeLogFilter): { trades: number; realizedPnl: number; wins: number; losses: number } {
    const { sql, params } = where(filter);
    const row = this.statement(`SELECT COUNT(*) AS trades, COALESCE(SUM(realized_pnl), 0) AS realizedPnl, COALESCE(SUM(realized_pnl > 0), 0) AS wins,
      COALESCE(SUM(realized_pnl < 0), 0) AS losses FROM round_trips ${sql}`).get(params) as { trades: number; realizedPnl: number; wins: number; losses: number };
    return row;
  }

  /**
   * The next `limit` matching trades after `cursor` (newest exit first; keyset paging over the exit_time
   * index): a download walks the whole log in short reads, never holding the connection or the rows.
   */
  chunk(filter: TradeLogFilter, cursor: TradeLogCursor | null, limit: number): RoundTrip[] {
    const { sql, params } = where(filter);
    const after = cursor ? ' AND (exit_time < @cursorTime OR (exit_time = @cursorTime AND id < @cursorId))' : '';
    return (this.statement(`SELECT * FROM round_trips ${sql}${after} ORDER BY exit_time DESC, id DESC LIMIT @limit`)
      .all({ ...params, ...(cursor ? { cursorTime: cursor.exitTime, cursorId: cursor.id } : {}), limit }) as Row[]).map(toRoundTrip);
  }

  /** The values the filters offer: exit reasons, agents and sources present in the history. */
  filterValues(): { reasons: string[]; agents: string[]; sources: string[] } {
    const out = { reasons: [] as string[], agents: [] as string[], sources: [] as string[] };
    for (const { kind, value } of this.valuesStmt.all() as Array<{ kind: string; value: string }>) {
      (kind === 'reason' ? out.reasons : kind === 'agent' ? out.agents : out.sources).push(value);
    }
    return out;
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

function where(filter: TradeLogFilter): { sql: string; params: Record<string, unknown> } {
  const parts = ["status = 'CLOSED'"];
  const params: Record<string, unknown> = {};
  if (filter.symbol) {
    parts.push('symbol = @symbol');
    params.symbol = filter.symbol.toUpperCase();
  }
  if (filter.agentName) {
    parts.push('agent_name = @agentName');
    params.agentName = filter.agentName;
  }
  if (filter.exitReason) {
    parts.push('exit_reason = @exitReason');
    params.exitReason = filter.exitReason;
  }
  if (filter.source) {
    parts.push('source = @source');
    params.source = filter.source;
  }
  if (filter.outcome === 'win') parts.push('realized_pnl > 0');
  if (filter.outcome === 'loss') parts.push('realized_pnl < 0');
  if (filter.from) {
    parts.push('exit_time >= @fromIso');
    params.fromIso = tradingDayStartIso(filter.from);
  }
  if (filter.to) {
    parts.push('exit_time < @toIso');
    params.toIso = tradingDayEndIso(filter.to);
  }
  return { sql: `WHERE ${parts.join(' AND ')}`, params };
}
