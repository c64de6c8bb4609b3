import { randomUUID } from 'node:crypto';
import type { TradingDay } from '../time/trading-calendar';

/**
 * Position (claim) ids double as the entry order's orderRef, so they must be unique forever, not only in
 * this DB: the broker keeps orders and executions from before a DB was deleted. Readable on purpose:
 * `P-20261123-AAPL-3f9a1c` says what it is in any log or TWS window.
 */
export function newPositionId(symbol: string, tradingDay: TradingDay, prefix: 'P' | 'A' = 'P'): string {
  // 24 random bits as six hex digits: the head of a v4 UUID is all random, and randomUUID draws from Node's
  // buffered CSPRNG (~0.15 µs) where randomBytes(3) asks OpenSSL afresh each time (~3 µs, bench:db profile).
  return `${prefix}-${tradingDay.replace(/-/g, '')}-${symbolForId(symbol)}-${randomUUID().slice(0, 6)}`;
}

/**
 * The symbol as it appears inside ids and order refs. IB writes share classes with a space (`BRK B`); a
 * space inside an order ref breaks every pattern that reads it back, so ids carry `BRK_B`. Ids are for
 * reading and matching; the symbol itself always comes from the DB row or the broker's contract.
 */
export function symbolForId(symbol: string): string {
  return symbol.trim().toUpperCase().replace(/[^A-Z0-9.]+/g, '_');
}

/** The shape of a position id: P (claimed) or A (adopted), trading day, symbol as in ids, random suffix. */
export const POSITION_ID_PATTERN = '[PA]-\\d{8}-[A-Z0-9._]+-[0-9a-f]{6}';

/** Order refs of protective and closing orders: `<positionId>:<purpose>:<n>`; n grows on each replacement. */
export function childOrderRef(positionId: string, purpose: string, sequence: number): string {
  return `${positionId}:${purpose}:${sequence}`;
}

/** The position id an orderRef belongs to (the part before the first ':'), or undefined for foreign refs. */
export function positionIdFromOrderRef(orderRef: string | undefined | null): string | undefined {
  if (!orderRef) return undefined;
  const head = orderRef.split(':')[0]!;
  return new RegExp(`^${POSITION_ID_PATTERN}$`).test(head) ? head : undefined;
}
