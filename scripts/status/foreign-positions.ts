import type { BrokerPosition } from '../../shared/broker/types';
import type { BrokerPositionRecord, DbSnapshot, ForeignPositionLine } from './status-model';

/**
 * Broker positions that are not the bots': a stock held for years, a stock bought by hand, options on a
 * traded symbol, a stock in another currency. The reconciler records each instrument in `broker_positions`
 * with how it is handled (ignored, protected, adopted, not-tradable); the console lists the ones that are not
 * (only) the bots' and keeps them out of the positions the bots are answerable for.
 */

/** Handlings under which the bots never close the position (they may protect it: `protected`). */
const NOT_MANAGED = new Set(['ignored', 'protected', 'not-tradable']);

export function foreignPositionLines(db: DbSnapshot): ForeignPositionLine[] {
  if (!db.usable || !db.brokerPositions) return [];
  return db.brokerPositions
    .filter((r) => r.quantity !== 0 && (r.handling !== 'ours' || r.foreignQuantity !== 0))
    .map((r) => ({ ...r }))
    .sort((a, b) => a.description.localeCompare(b.description) || a.conId - b.conId);
}

function instrumentOf(position: BrokerPosition): { conId: number; secType: string; currency: string } {
  const p = position as BrokerPosition & { conId?: number; secType?: string; currency?: string };
  return { conId: p.conId ?? 0, secType: p.secType || 'STK', currency: p.currency || 'USD' };
}

function recordFor(position: BrokerPosition, records: readonly BrokerPositionRecord[]): BrokerPositionRecord | undefined {
  const { conId, secType, currency } = instrumentOf(position);
  return records.find((r) => (conId > 0 && r.conId === conId) || (r.symbol === position.symbol && r.secType === secType && r.currency === currency));
}

/**
 * A live broker position that the positions section must not count as the bots': anything that is not a US
 * stock in USD, and a stock the reconciler recorded as not managed by the bots.
 */
export function isForeignBrokerPosition(position: BrokerPosition, records: readonly BrokerPositionRecord[] | undefined): boolean {
  const { secType, currency } = instrumentOf(position);
  if (secType !== 'STK' || currency !== 'USD') return true;
  const record = records ? recordFor(position, records) : undefined;
  return record !== undefined && NOT_MANAGED.has(record.handling) && record.oursQuantity === 0;
}

/** Shares of a US stock that are known not to be the bots' (0 when unknown). */
export function foreignSharesOf(symbol: string, records: readonly BrokerPositionRecord[] | undefined): number {
  const record = records?.find((r) => r.symbol === symbol && r.secType === 'STK' && r.currency === 'USD');
  return record?.foreignQuantity ?? 0;
}

/** Only the US stocks in USD of the account: what the bots' positions are compared with. */
export function usdStockPositions(positions: readonly BrokerPosition[] | undefined): BrokerPosition[] | undefined {
  return positions?.filter((p) => {
    const { secType, currency } = instrumentOf(p);
    return secType === 'STK' && currency === 'USD';
  });
}
