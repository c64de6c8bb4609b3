import { randomBytes } from 'node:crypto';
import type { TradingDay } from '../time/trading-calendar';

/**
 * Position (claim) ids double as the entry order's orderRef, so they must be unique forever, not only in
 * this DB: the broker keeps orders and executions from before a DB was deleted. Readable on purpose:
 * `P-20261123-AAPL-3f9a1c` says what it is in any log or TWS window.
 */
export function newPositionId(symbol: string, tradingDay: TradingDay, prefix: 'P' | 'A' = 'P'): string {
  return `${prefix}-${tradingDay.replace(/-/g, '')}-${symbol}-${randomBytes(3).toString('hex')}`;
}

/** Order refs of protective and closing orders: `<positionId>:<purpose>:<n>`; n grows on each replacement. */
export function childOrderRef(positionId: string, purpose: string, sequence: number): string {
  return `${positionId}:${purpose}:${sequence}`;
}

/** The position id an orderRef belongs to (the part before the first ':'), or undefined for foreign refs. */
export function positionIdFromOrderRef(orderRef: string | undefined | null): string | undefined {
  if (!orderRef) return undefined;
  const head = orderRef.split(':')[0]!;
  return /^[PA]-\d{8}-[A-Z0-9.]+-[0-9a-f]{6}$/.test(head) ? head : undefined;
}

/** The symbol a position id names (`P-20261123-NOVA-3f9a1c` → NOVA). */
export function symbolFromPositionId(positionId: string): string | undefined {
  return /^[PA]-\d{8}-([A-Z0-9.]+)-[0-9a-f]{6}$/.exec(positionId)?.[1];
}
