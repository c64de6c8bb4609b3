import type { ActivePosition } from '../../shared/db/types';

export type SymbolStatus = 'OK' | 'DISCREPANCY' | 'MISSING_IN_DB' | 'MISSING_AT_BROKER';

export interface SymbolReport {
  symbol: string;
  status: SymbolStatus;
  dbQuantity: number | null;
  brokerQuantity: number;
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
 * Classifies one symbol from the DB row and the broker position (pure). PENDING_ENTRY rows with nothing at
 * the broker are entries in flight, not discrepancies.
 */
export function classifySymbol(symbol: string, row: ActivePosition | undefined, broker: { quantity: number; averageCost: number } | undefined, lastPrice: number | undefined): SymbolReport {
  const brokerQuantity = broker?.quantity ?? 0;
  const unrealizedPnl = broker && brokerQuantity !== 0 && lastPrice ? round2((lastPrice - broker.averageCost) * brokerQuantity) : null;
  const base = {
    symbol, dbQuantity: row ? row.quantity : null, brokerQuantity, dbEntryPrice: row?.entryPrice ?? null,
    brokerAverageCost: broker && brokerQuantity !== 0 ? broker.averageCost : null, unrealizedPnl, action: 'none', flagged: false, positionId: row?.id ?? null,
  };
  if (!row) return { ...base, status: brokerQuantity === 0 ? 'OK' : 'MISSING_IN_DB' };
  if (brokerQuantity === 0) {
    return { ...base, status: row.status === 'PENDING_ENTRY' && row.quantity === 0 ? 'OK' : 'MISSING_AT_BROKER' };
  }
  const priceDiffers = row.entryPrice !== null && broker && Math.abs(broker.averageCost - row.entryPrice) / row.entryPrice > PRICE_TOLERANCE;
  if (row.quantity !== brokerQuantity || priceDiffers) return { ...base, status: 'DISCREPANCY' };
  return { ...base, status: 'OK' };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
