/** The reason of the trading halt this tool sets (trading_halts.reason). */
export const HALT_REASON = 'emergency liquidation';

/** Refs of our liquidation orders: `LIQ-<UTC time>-<SYMBOL>`, readable in any TWS window or log. */
export const LIQUIDATION_REF_PREFIX = 'LIQ-';

/**
 * `LIQ-20261123T151502.123Z-AAPL`. Real time to the millisecond, so the retry of a symbol (seconds later)
 * gets its own ref: refs are idempotency keys and must never repeat. A share-class symbol ("BRK B") keeps
 * its class with a dot, so the ref stays one word.
 */
export function liquidationOrderRef(symbol: string, atRealMs: number): string {
  const stamp = new Date(atRealMs).toISOString().replace(/[-:]/g, '');
  return `${LIQUIDATION_REF_PREFIX}${stamp}-${symbol.replace(/\s+/g, '.')}`;
}
