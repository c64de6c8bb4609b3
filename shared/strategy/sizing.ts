export interface SizingInput {
  entryPrice: number;
  netLiquidation: number;
  /** Market value of all open positions (long and short), from the broker. */
  grossPositionValue: number;
}

export type SizingResult =
  | { ok: true; quantity: number; limitingRule: string; stopLossPrice: number; profitTargetPrice: number }
  | { ok: false; reason: string };

/** What sizing needs of a strategy: its allocation and the trade's stop and target distances. */
export interface SizingRules {
  capitalAllocationPct: number;
  stopLossPct: number;
  takeProfitPct: number;
}

/** The account-wide limits every strategy shares (config `risk`). */
export interface RiskLimits {
  riskPerTradePct: number;
  maxPositionPct: number;
  maxGrossExposurePct: number;
  dailyLossLimitPct: number;
  maxOpenPositions: number;
}

/**
 * Shares to buy: the smallest of
 *   risk      — losing `riskPerTradePct` of net liquidation if the stop (`stopLossPct` below entry) is hit,
 *   allocation — `capitalAllocationPct` of net liquidation,
 *   max position — `maxPositionPct` of net liquidation,
 *   gross room — what is left under `maxGrossExposurePct` of net liquidation.
 * Whole shares only; 0 shares is a refusal with the rule that caused it.
 */
export function sizePosition(input: SizingInput, strategy: SizingRules, risk: Pick<RiskLimits, 'riskPerTradePct' | 'maxPositionPct' | 'maxGrossExposurePct'>): SizingResult {
  const { entryPrice, netLiquidation, grossPositionValue } = input;
  if (!(entryPrice > 0) || !(netLiquidation > 0)) return { ok: false, reason: 'no_price_or_equity' };
  const stopDistance = entryPrice * (strategy.stopLossPct / 100);
  const candidates: Array<[string, number]> = [
    ['risk_per_trade', (netLiquidation * risk.riskPerTradePct) / 100 / stopDistance],
    ['capital_allocation', (netLiquidation * strategy.capitalAllocationPct) / 100 / entryPrice],
    ['max_position', (netLiquidation * risk.maxPositionPct) / 100 / entryPrice],
    ['max_gross_exposure', Math.max(0, (netLiquidation * risk.maxGrossExposurePct) / 100 - grossPositionValue) / entryPrice],
  ];
  const [limitingRule, shares] = candidates.reduce((best, c) => (c[1] < best[1] ? c : best));
  const quantity = Math.floor(shares);
  if (quantity < 1) return { ok: false, reason: `size_zero (${limitingRule})` };
  const levels = protectionLevels(entryPrice, strategy);
  return { ok: true, quantity, limitingRule, stopLossPrice: levels.stopLossPrice, profitTargetPrice: levels.profitTargetPrice };
}

/** A long position's broker-side stop and target around an entry price, on the cent grid. */
export function protectionLevels(entryPrice: number, exits: { stopLossPct: number; takeProfitPct: number }): { stopLossPrice: number; profitTargetPrice: number } {
  return {
    stopLossPrice: roundCent(entryPrice * (1 - exits.stopLossPct / 100)),
    profitTargetPrice: roundCent(entryPrice * (1 + exits.takeProfitPct / 100)),
  };
}

export function roundCent(price: number): number {
  return Math.round(price * 100) / 100;
}
