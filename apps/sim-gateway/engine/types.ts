/** The simulated broker's own state: what a real IB account holds. */

export type SimOrderType = 'MKT' | 'LMT' | 'STP' | 'STP LMT' | 'TRAIL';
export const SUPPORTED_ORDER_TYPES: readonly string[] = ['MKT', 'LMT', 'STP', 'STP LMT', 'TRAIL'];

/** IB order statuses as orderStatus reports them. */
export type SimOrderStatus = 'PreSubmitted' | 'Submitted' | 'Filled' | 'Cancelled' | 'Inactive';

export interface SimOrder {
  clientId: number;
  orderId: number;
  permId: number;
  symbol: string;
  action: 'BUY' | 'SELL';
  totalQuantity: number;
  orderType: SimOrderType;
  lmtPrice?: number;
  /** Stop price for STP / STP LMT; trailing amount (money) for TRAIL. */
  auxPrice?: number;
  trailingPercent?: number;
  /** Current stop level of a TRAIL order (moves with the best price). */
  trailStopPrice?: number;
  tif: string;
  ocaGroup?: string;
  ocaType?: number;
  orderRef: string;
  parentId: number;
  /** false = staged: held until a later order of the same bracket arrives with transmit=true. */
  transmitted: boolean;
  outsideRth: boolean;
  account: string;
  status: SimOrderStatus;
  filled: number;
  avgFillPrice: number;
  lastFillPrice: number;
  /** A stop that has triggered now works as market (or limit for STP LMT). */
  triggered: boolean;
  /** Trading day it was placed: DAY orders expire at that day's close. */
  tradingDay: string;
  createdMs: number;
  updatedMs: number;
  /** Wall-clock ms when the gateway received the order (benchmarks measure real latencies with it). */
  createdRealMs?: number;
  whyHeld: string;
}

export function remainingOf(order: SimOrder): number {
  return order.totalQuantity - order.filled;
}

export function isWorking(order: SimOrder): boolean {
  return order.status === 'PreSubmitted' || order.status === 'Submitted';
}

export interface SimExecution {
  execId: string;
  permId: number;
  clientId: number;
  orderId: number;
  symbol: string;
  side: 'BOT' | 'SLD';
  shares: number;
  price: number;
  /** Market time, epoch ms. */
  timeMs: number;
  tradingDay: string;
  orderRef: string;
  cumQty: number;
  avgPrice: number;
  commission: number;
  /** Realized P&L of a closing fill (after commissions), undefined for opening fills. */
  realizedPnl?: number;
  /** Wall-clock ms of the fill (benchmarks). */
  realMs?: number;
}

export interface SimPosition {
  symbol: string;
  /** Signed shares. */
  quantity: number;
  /** Average cost per share including commissions, as IB reports avgCost for stocks. */
  averageCost: number;
}

export interface MarketSnapshot {
  symbol: string;
  last: number;
  lastSize: number;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  /** Today's volume so far (regular and extended hours). */
  volume: number;
  high: number;
  low: number;
  open: number;
  previousClose: number;
  /** Market time of the last trade. */
  timeMs: number;
  /** Real wall-clock time (ms, fractional) the feed emitted the last trade: benchmarks stamp RT_VOLUME with it. */
  emittedAtRealMs?: number;
}
