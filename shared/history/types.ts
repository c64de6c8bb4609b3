import type { TradingDay } from '../time/trading-calendar';

export type TradeStatus = 'OPEN' | 'CLOSED';
export type TradeDirection = 'LONG' | 'SHORT';
/** Who wrote the row: the bots ('bot'), the reconciler adopting a manual position ('adopted'), a journal import. */
export type TradeSource = 'bot' | 'adopted' | 'import' | string;

/** One round trip (entry to exit) from `round_trips`: the trade history. Times are ISO-8601 UTC. */
export interface RoundTrip {
  id: number;
  positionId: string;
  symbol: string;
  agentName: string;
  direction: TradeDirection;
  status: TradeStatus;
  quantity: number;
  entryPrice: number;
  entryTime: string;
  exitPrice: number | null;
  exitTime: string | null;
  exitReason: string | null;
  /** Entry and exit commissions, money. */
  commission: number;
  /** Money after commissions; null while OPEN. */
  realizedPnl: number | null;
  /** Percent (1.5 = +1.5 %), before commissions, signed by direction; null while OPEN. */
  pnlPct: number | null;
  /** Trading day of the entry. */
  tradingDay: TradingDay;
  source: TradeSource;
  metadata: Record<string, unknown>;
}

/**
 * Filters of the trade history. Dates are trading days, both included: a CLOSED trade matches by the trading
 * day of its EXIT (the day its P&L counts), an OPEN trade by its entry trading day.
 */
export interface TradeFilter {
  symbol?: string;
  agentName?: string;
  status?: TradeStatus;
  source?: string;
  from?: TradingDay;
  to?: TradingDay;
  /** Most recent first when set, otherwise oldest first (exit time, then entry time). */
  limit?: number;
}
