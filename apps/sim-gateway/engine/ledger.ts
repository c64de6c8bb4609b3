import type { SimPosition } from './types';

/**
 * Cash and positions of the simulated account. Average cost includes commissions, as IB reports avgCost:
 * a long's cost per share goes up by them, a short's net proceeds per share go down by them (so that
 * closing at the average cost with no commission realizes exactly zero). Realized P&L is booked on the
 * part of a fill that reduces a position.
 */
export interface FillEffect {
  position: SimPosition;
  cashDelta: number;
  /** Realized P&L of the reducing part (after this fill's commission share), undefined for opening fills. */
  realizedPnl?: number;
}

export function applyFill(position: SimPosition, signedShares: number, price: number, commission: number): FillEffect {
  const before = position.quantity;
  const after = before + signedShares;
  const cashDelta = -signedShares * price - commission;
  const reducing = before !== 0 && Math.sign(signedShares) !== Math.sign(before);
  if (!reducing) {
    const cost = Math.abs(before) * position.averageCost + Math.abs(signedShares) * price + Math.sign(after) * commission;
    return { position: { symbol: position.symbol, quantity: after, averageCost: cost / Math.abs(after) }, cashDelta };
  }
  const closedShares = Math.min(Math.abs(signedShares), Math.abs(before));
  const direction = Math.sign(before);
  const closingCommission = commission * (closedShares / Math.abs(signedShares));
  const realizedPnl = direction * (price - position.averageCost) * closedShares - closingCommission;
  if (Math.abs(signedShares) <= Math.abs(before)) {
    return { position: { symbol: position.symbol, quantity: after, averageCost: after === 0 ? 0 : position.averageCost }, cashDelta, realizedPnl };
  }
  // Flipped through zero: the rest opens a new position at this price.
  const openedShares = Math.abs(signedShares) - closedShares;
  const openingCommission = commission - closingCommission;
  return {
    position: { symbol: position.symbol, quantity: after, averageCost: (openedShares * price + Math.sign(after) * openingCommission) / openedShares },
    cashDelta,
    realizedPnl,
  };
}
