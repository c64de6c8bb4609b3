import type { MarketSnapshot, SimOrder } from './types';
import { remainingOf } from './types';

/**
 * How a working order reacts to the market: pure functions, so the rules are unit-tested on their own.
 * Stops trigger on TRADES (IB's default trigger method for US stocks), then fill like market orders at the
 * bid/ask, so a gap through a stop fills at the gap price. Fills are at the bid/ask, never at mid.
 */

/** Updates a TRAIL order's stop level with the latest trade; returns the new level. */
export function updatedTrailStop(order: SimOrder, lastPrice: number): number | undefined {
  if (order.orderType !== 'TRAIL') return order.trailStopPrice;
  const amount = order.trailingPercent !== undefined ? (lastPrice * order.trailingPercent) / 100 : (order.auxPrice ?? 0);
  const candidate = order.action === 'SELL' ? lastPrice - amount : lastPrice + amount;
  const current = order.trailStopPrice;
  if (current === undefined) return roundToCent(candidate);
  return roundToCent(order.action === 'SELL' ? Math.max(current, candidate) : Math.min(current, candidate));
}

/** Does this trade trigger the stop of a STP / STP LMT / TRAIL order? */
export function stopTriggered(order: SimOrder, lastPrice: number): boolean {
  const stop = order.orderType === 'TRAIL' ? order.trailStopPrice : order.auxPrice;
  if (stop === undefined) return false;
  return order.action === 'SELL' ? lastPrice <= stop : lastPrice >= stop;
}

/** The price a marketable order gets now, or undefined when it cannot fill (limit not reached). */
export function executablePrice(order: SimOrder, market: MarketSnapshot): number | undefined {
  const behavesAsMarket = order.orderType === 'MKT' || ((order.orderType === 'STP' || order.orderType === 'TRAIL') && order.triggered);
  const touch = order.action === 'BUY' ? market.ask : market.bid;
  if (!(touch > 0)) return undefined;
  if (behavesAsMarket) return touch;
  const isLimit = order.orderType === 'LMT' || (order.orderType === 'STP LMT' && order.triggered);
  if (!isLimit || order.lmtPrice === undefined) return undefined;
  if (order.action === 'BUY') return touch <= order.lmtPrice ? touch : undefined;
  return touch >= order.lmtPrice ? touch : undefined;
}

/**
 * Shares that can fill now: limited by what is displayed on the touch and by what this tick has left
 * (several orders share one tick's liquidity), so an order large against the bar's volume fills in parts.
 */
export function fillableQuantity(order: SimOrder, availableShares: number): number {
  return Math.max(0, Math.min(remainingOf(order), Math.floor(availableShares)));
}

export function roundToCent(price: number): number {
  return Math.round(price * 100) / 100;
}
