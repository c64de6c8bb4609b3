import { formatCsv } from '../analytics/report/csv';
import type { JournalFile } from './journal-format';
import type { RoundTrip } from './types';

/** Column order of the trade-history CSV (snake_case like the DB, one round trip per row). */
export const TRADE_CSV_COLUMNS = [
  'position_id', 'symbol', 'agent_name', 'direction', 'status', 'quantity', 'entry_price', 'entry_time', 'exit_price',
  'exit_time', 'exit_reason', 'commission', 'realized_pnl', 'pnl_pct', 'trading_day', 'source',
] as const;

export function tradesToCsv(trades: readonly RoundTrip[]): string {
  return formatCsv(TRADE_CSV_COLUMNS, trades.map((t) => [
    t.positionId, t.symbol, t.agentName, t.direction, t.status, t.quantity, t.entryPrice, t.entryTime, t.exitPrice,
    t.exitTime, t.exitReason, t.commission, t.realizedPnl, t.pnlPct, t.tradingDay, t.source,
  ]));
}

/** An exported journal row: the import format plus the computed fields, for people (ignored on import). */
export interface ExportedJournalTrade {
  positionId: string;
  symbol: string;
  side: 'LONG' | 'SHORT';
  quantity: number;
  entryPrice: number;
  entryTime: string;
  exitPrice?: number;
  exitTime?: string;
  commission: number;
  exitReason?: string;
  agent: string;
  status: 'OPEN' | 'CLOSED';
  realizedPnl: number | null;
  pnlPct: number | null;
  tradingDay: string;
  source: string;
}

/** The trade history as a journal file: importing it back into the same DB changes nothing (positionId). */
export function tradesToJournal(trades: readonly RoundTrip[], exportedAt: string): JournalFile & { trades: ExportedJournalTrade[] } {
  return {
    version: 1,
    exportedAt,
    trades: trades.map((t) => ({
      positionId: t.positionId,
      symbol: t.symbol,
      side: t.direction,
      quantity: t.quantity,
      entryPrice: t.entryPrice,
      entryTime: t.entryTime,
      ...(t.exitPrice !== null && t.exitTime !== null ? { exitPrice: t.exitPrice, exitTime: t.exitTime } : {}),
      commission: t.commission,
      ...(t.exitReason ? { exitReason: t.exitReason } : {}),
      agent: t.agentName,
      status: t.status,
      realizedPnl: t.realizedPnl,
      pnlPct: t.pnlPct,
      tradingDay: t.tradingDay,
      source: t.source,
    })),
  };
}
