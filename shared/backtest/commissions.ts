/**
 * IB's US stock commission schedules (interactivebrokers.com, "Commissions Stocks, ETFs and Warrants").
 *
 * Fixed: USD 0.005 a share, at least USD 1.00 and at most 1 % of the trade value per ORDER (exchange and most
 * regulatory fees included); the transaction fees of sales are passed through (`regulatoryFees`).
 *
 * Tiered: by the month's share volume so far, USD 0.0035 (≤ 300,000), 0.002 (≤ 3,000,000), 0.0015
 * (≤ 20,000,000), 0.001 (≤ 100,000,000), 0.0005 (more) a share, at least USD 0.35 and at most 1 % of the trade
 * value per order; plus clearing (NSCC/DTC USD 0.0002 a share), exchange fees (`exchangeFeePerShare`: taking
 * liquidity, USD 0.003 by default; a resting limit that adds liquidity gets `addLiquidityRebatePerShare`), the
 * pass-through fees (NYSE 0.000175 and FINRA 0.000563 times the commission) and the regulatory fees.
 *
 * Regulatory fees on sales: SEC USD 0.0000278 × the sale's value, FINRA TAF USD 0.000166 a share sold (at most
 * USD 8.30 a trade). Everything is rounded to the cent per order, the way the statement shows it.
 *
 * An order filled in several parts pays in total what it would have paid filled at once (minimum and cap are
 * per order, as at IB and in the simulator): `orderCommission` is applied to the cumulative fill.
 */
export type CommissionSchedule = 'fixed' | 'tiered';

export interface CommissionSettings {
  schedule: CommissionSchedule;
  /** Pass the SEC and FINRA transaction fees of sales through (IB does; the simulator does not). */
  regulatoryFees: boolean;
  /** Tiered only: exchange fee per share taking liquidity (marketable orders). */
  exchangeFeePerShare: number;
  /** Tiered only: exchange rebate per share adding liquidity (a resting limit order that fills). */
  addLiquidityRebatePerShare: number;
}

export const DEFAULT_COMMISSIONS: CommissionSettings = { schedule: 'fixed', regulatoryFees: true, exchangeFeePerShare: 0.003, addLiquidityRebatePerShare: 0.002 };

export const FIXED_PER_SHARE = 0.005;
export const FIXED_MINIMUM = 1.0;
export const MAXIMUM_PCT_OF_VALUE = 0.01;
export const TIERED_MINIMUM = 0.35;
export const TIERED_TIERS: ReadonlyArray<{ upToShares: number; perShare: number }> = [
  { upToShares: 300_000, perShare: 0.0035 },
  { upToShares: 3_000_000, perShare: 0.002 },
  { upToShares: 20_000_000, perShare: 0.0015 },
  { upToShares: 100_000_000, perShare: 0.001 },
  { upToShares: Infinity, perShare: 0.0005 },
];
export const CLEARING_PER_SHARE = 0.0002;
export const NYSE_PASS_THROUGH = 0.000175;
export const FINRA_PASS_THROUGH = 0.000563;
export const SEC_FEE_RATE = 0.0000278;
export const FINRA_TAF_PER_SHARE = 0.000166;
export const FINRA_TAF_MAXIMUM = 8.3;

export interface OrderFill {
  side: 'BUY' | 'SELL';
  /** Shares of the order filled so far (cumulative) and their value. */
  shares: number;
  value: number;
  /** The order rested and added liquidity (a limit that was not marketable when it filled). */
  addsLiquidity: boolean;
  /** Shares traded this calendar month BEFORE this order (tiered pricing). */
  monthShares: number;
}

const cents = (x: number) => Math.round(x * 100) / 100;

/** Total charges of an order filled `fill.shares` so far. */
export function orderCommission(fill: OrderFill, settings: CommissionSettings): number {
  if (fill.shares <= 0) return 0;
  const cap = MAXIMUM_PCT_OF_VALUE * fill.value;
  let total: number;
  if (settings.schedule === 'fixed') {
    total = Math.min(Math.max(fill.shares * FIXED_PER_SHARE, FIXED_MINIMUM), cap);
  } else {
    const perShare = TIERED_TIERS.find((t) => fill.monthShares < t.upToShares)!.perShare;
    const commission = Math.min(Math.max(fill.shares * perShare, TIERED_MINIMUM), cap);
    const exchange = fill.shares * (fill.addsLiquidity ? -settings.addLiquidityRebatePerShare : settings.exchangeFeePerShare);
    total = commission + fill.shares * CLEARING_PER_SHARE + exchange + commission * (NYSE_PASS_THROUGH + FINRA_PASS_THROUGH);
  }
  if (settings.regulatoryFees && fill.side === 'SELL') {
    total += cents(SEC_FEE_RATE * fill.value) + Math.min(FINRA_TAF_MAXIMUM, cents(FINRA_TAF_PER_SHARE * fill.shares));
  }
  return cents(total);
}

/** What one execution adds to its order's charges (the first part carries the minimum). */
export function executionCommission(before: OrderFill, added: { shares: number; value: number }, settings: CommissionSettings): number {
  const after = orderCommission({ ...before, shares: before.shares + added.shares, value: before.value + added.value }, settings);
  return cents(after - orderCommission(before, settings));
}
