import type { ResolvedConfig } from '../../shared/config/schema';

export interface SizingInput {
  entryPrice: number;
  netLiquidation: number;
  /** Market value of all open positions (long and short), from the broker. */
  grossPositionValue: number;
}

export type SizingResult =
  | { ok: true; quantity: number; limitingRule: string; stopLossPrice: number; profitTargetPrice: number }
  | { ok: false; reason: string };

/**
 * Shares to buy: the smallest of
 *   risk      — losing `riskPerTradePct` of net liquidation if the stop (`stopLossPct` below entry) is hit,
 *   allocation — `capitalAllocationPct` of net liquidation,
 *   max position — `maxPositionPct` of net liquidation,
 *   gross room — what is left under `maxGrossExposurePct` of net liquidation.
 * Whole shares only; 0 shares is a refusal with the rule that caused it.
 */
export function sizePosition(input: SizingInput, strategy: ResolvedConfig['strategy'], risk: ResolvedConfig['risk']): SizingResult {
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
  return {
    ok: true,
    quantity,
    limitingRule,
    stopLossPrice: roundCent(entryPrice * (1 - strategy.stopLossPct / 100)),
    profitTargetPrice: roundCent(entryPrice * (1 + strategy.takeProfitPct / 100)),
  };
}

export function roundCent(price: number): number {
  return Math.round(price * 100) / 100;
}
