/**
 * IB's fixed-rate US stock commission: $0.005 per share, at least $1.00, at most 1% of the trade value
 * (interactivebrokers.com, "Commissions Stocks, ETFs and Warrants - Fixed").
 */
export const COMMISSION_PER_SHARE = 0.005;
export const COMMISSION_MINIMUM = 1.0;
export const COMMISSION_MAXIMUM_PCT = 0.01;

/** Commission of one execution. The per-order minimum applies to the first fill of an order only. */
export function commissionFor(shares: number, price: number, isFirstFillOfOrder: boolean): number {
  const perShare = shares * COMMISSION_PER_SHARE;
  const capped = Math.min(perShare, COMMISSION_MAXIMUM_PCT * shares * price);
  const withMinimum = isFirstFillOfOrder ? Math.max(capped, Math.min(COMMISSION_MINIMUM, COMMISSION_MAXIMUM_PCT * shares * price)) : capped;
  return Math.round(withMinimum * 100) / 100;
}
