/**
 * IB's fixed-rate US stock commission: $0.005 per share, at least $1.00, at most 1% of the trade value
 * (interactivebrokers.com, "Commissions Stocks, ETFs and Warrants - Fixed"). The minimum and the cap are
 * per ORDER: an order filled in parts pays in total what it would have paid filled at once.
 */
export const COMMISSION_PER_SHARE = 0.005;
export const COMMISSION_MINIMUM = 1.0;
export const COMMISSION_MAXIMUM_PCT = 0.01;

/** Commission of a whole order (or of everything filled of it so far), rounded to the cent. */
export function orderCommission(shares: number, tradeValue: number): number {
  if (shares <= 0) return 0;
  const withMinimum = Math.max(shares * COMMISSION_PER_SHARE, COMMISSION_MINIMUM);
  return Math.round(Math.min(withMinimum, COMMISSION_MAXIMUM_PCT * tradeValue) * 100) / 100;
}

/** Commission of one execution: what it adds to its order's commission (the first fill carries the minimum). */
export function commissionFor(shares: number, price: number, filledBefore = 0, valueBefore = 0): number {
  const after = orderCommission(filledBefore + shares, valueBefore + shares * price);
  return Math.round((after - orderCommission(filledBefore, valueBefore)) * 100) / 100;
}
