import type { ActivePosition } from '../../shared/db/types';

/**
 * OK: DB and broker agree. FOREIGN: the broker holds shares the bots did not buy (all of them, or more than
 * ours): not a discrepancy, the foreign-position policy decides. MISSING_IN_DB: shares our own executions
 * explain but no row holds. MISSING_AT_BROKER: a row holds shares the broker does not. DISCREPANCY: the
 * broker holds fewer of ours than the DB says (or the other way round).
 */
export type SymbolStatus = 'OK' | 'FOREIGN' | 'DISCREPANCY' | 'MISSING_IN_DB' | 'MISSING_AT_BROKER';

export interface SymbolReport {
  symbol: string;
  status: SymbolStatus;
  dbQuantity: number | null;
  brokerQuantity: number;
  /** Shares at the broker that are not ours. */
  foreignQuantity: number;
  dbEntryPrice: number | null;
  brokerAverageCost: number | null;
  unrealizedPnl: number | null;
  action: string;
  flagged: boolean;
  positionId: string | null;
}

/** Broker average cost includes commissions; beyond this relative difference the price counts as different. */
export const PRICE_TOLERANCE = 0.005;

/**
 * Classifies one US stock from the DB row, the broker position and what our own executions of today
 * explain (pure). PENDING_ENTRY rows with nothing at the broker are entries in flight, not discrepancies.
 */
export function classifySymbol(
  symbol: string,
  row: ActivePosition | undefined,
  broker: { quantity: number; averageCost: number } | undefined,
  lastPrice: number | undefined,
  ourExecutionsNet: number,
): SymbolReport {
  const brokerQuantity = broker?.quantity ?? 0;
  const ours = row ? row.quantity : 0;
  const unrealizedPnl = broker && ours !== 0 && lastPrice ? round2((lastPrice - (row?.entryPrice ?? broker.averageCost)) * ours) : null;
  const base = {
    symbol, dbQuantity: row ? row.quantity : null, brokerQuantity, foreignQuantity: 0, dbEntryPrice: row?.entryPrice ?? null,
    brokerAverageCost: broker && brokerQuantity !== 0 ? broker.averageCost : null, unrealizedPnl, action: 'none', flagged: false, positionId: row?.id ?? null,
  };
  if (!row) {
    if (brokerQuantity === 0) return { ...base, status: 'OK' };
    // Our own fills of today account for these shares: they are ours even though no row holds them (a lost DB).
    if (ourExecutionsNet !== 0 && ourExecutionsNet === brokerQuantity) return { ...base, status: 'MISSING_IN_DB' };
    return { ...base, status: 'FOREIGN', foreignQuantity: brokerQuantity };
  }
  if (brokerQuantity === 0) {
    return { ...base, status: row.quantity === 0 && (row.status === 'PENDING_ENTRY' || row.entryWorking) ? 'OK' : row.quantity === 0 ? 'OK' : 'MISSING_AT_BROKER' };
  }
  const sameSide = Math.sign(brokerQuantity) === Math.sign(ours) || ours === 0;
  if (sameSide && Math.abs(brokerQuantity) > Math.abs(ours)) return { ...base, status: 'FOREIGN', foreignQuantity: brokerQuantity - ours };
  if (!sameSide || Math.abs(brokerQuantity) < Math.abs(ours)) return { ...base, status: 'DISCREPANCY' };
  const priceDiffers = row.entryPrice !== null && broker && Math.abs(broker.averageCost - row.entryPrice) / row.entryPrice > PRICE_TOLERANCE;
  return { ...base, status: priceDiffers ? 'DISCREPANCY' : 'OK' };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
