import type { TradingDay } from '../time/trading-calendar';

export type PositionStatus = 'PENDING_ENTRY' | 'OPEN' | 'PROTECTED' | 'CLOSING';

export const EXIT_REASONS = [
  'STOP_LOSS',
  'PROFIT_TARGET',
  'TRAILING_STOP',
  'TIME_EXIT',
  'EOD_LIQUIDATION',
  'EOD_LIQUIDATION_UNTRACKED',
  'RECONCILED_FLAT',
  'EMERGENCY_LIQUIDATION',
  'MANUAL',
] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];

export interface ActivePosition {
  id: string;
  symbol: string;
  /** Signed filled shares: positive long, negative short (only adopted positions can be short). */
  quantity: number;
  entryPrice: number | null;
  entryTimestamp: string | null;
  agentName: string;
  profitTargetPrice: number | null;
  stopLossPrice: number | null;
  status: PositionStatus;
  tradingDay: TradingDay;
  entryOrderRef: string;
  entryOrderId: number | null;
  requestedQuantity: number;
  ocaGroup: string | null;
  stopOrderId: number | null;
  targetOrderId: number | null;
  protectedQuantity: number;
  exitReason: string | null;
  /** IB contract id of the stock, when known. */
  conId: number | null;
  /** Entry shares the broker reported filled (orderStatus), ahead of their executions. */
  entryReported: number;
  /** Entry shares booked from executions. */
  entryBooked: number;
  /** The entry order may still fill (sent, not yet terminal at the broker). */
  entryWorking: boolean;
  claimedAt: string;
  lastUpdated: string;
  metadata: Record<string, unknown>;
}

export interface ClosedPosition {
  id: number;
  symbol: string;
  closeDate: TradingDay;
  positionId: string;
  quantity: number;
  entryPrice: number | null;
  exitPrice: number;
  exitReason: string;
  profitLossPct: number | null;
  realizedPnl: number;
  commission: number;
  agentName: string;
  entryTimestamp: string | null;
  timestamp: string;
}

/** One execution as the broker reported it (what recordEntryFill / recordExit book). */
export interface ExecutionRecord {
  execId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  quantity: number;
  price: number;
  /** Unknown until IB's commission report arrives; booked later with recordCommission. */
  commission?: number;
  orderRef?: string;
  orderId?: number;
  permId?: number;
  clientId?: number;
  /** Market time of the execution, epoch ms. */
  executedAtMs: number;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function parseJsonObject(text: string | null | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return { unparsable: text };
  }
}
