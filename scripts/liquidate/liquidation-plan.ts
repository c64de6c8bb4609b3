import type { BrokerPosition, OrderSide } from '../../shared/broker/types';

/** Refs of our liquidation orders: `LIQ-<UTC time>-<SYMBOL>`, readable in any TWS window or log. */
export const LIQUIDATION_REF_PREFIX = 'LIQ-';

export interface ClosingOrder {
  symbol: string;
  side: OrderSide;
  /** Shares to trade: the whole position. */
  quantity: number;
  /** The signed position it closes. */
  brokerQuantity: number;
}

/** One market order per non-flat broker position, opposite side, full size; sorted by symbol. */
export function closingOrdersFor(positions: readonly BrokerPosition[]): ClosingOrder[] {
  return positions
    .filter((p) => p.quantity !== 0)
    .map((p) => ({ symbol: p.symbol, side: p.quantity > 0 ? ('SELL' as const) : ('BUY' as const), quantity: Math.abs(p.quantity), brokerQuantity: p.quantity }))
    .sort((a, b) => a.symbol.localeCompare(b.symbol));
}

/**
 * `LIQ-20261123T151502.123Z-AAPL`. Real time to the millisecond, so the retry of a symbol (seconds later)
 * gets its own ref: refs are idempotency keys and must never repeat.
 */
export function liquidationOrderRef(symbol: string, atRealMs: number): string {
  const stamp = new Date(atRealMs).toISOString().replace(/[-:]/g, '');
  return `${LIQUIDATION_REF_PREFIX}${stamp}-${symbol}`;
}
