import { finiteOrNull, meanOrNull, ratio, sampleStdOrNull } from './numbers';
import { periodRiskFreeRate, resolveOptions, type AnalyticsOptions } from './conventions';

/** Risk-adjusted ratios. Formulas and which library each follows: conventions.ts. */

/**
 * A deviation below this (in return units per period) is float dust around a constant series, e.g. 1e-17 from
 * equity arithmetic; dividing by it would print ratios of 1e13. Treated as zero deviation: the ratio is null.
 */
export const NEGLIGIBLE_DEVIATION = 1e-12;

function excess(returns: readonly number[], perPeriodRate: number): number[] {
  return perPeriodRate === 0 ? (returns as number[]) : returns.map((r) => r - perPeriodRate);
}

/** mean(r - rf_d) / std(r - rf_d, ddof = 1) × √P; null below two returns or with zero deviation. */
export function sharpeRatio(returns: readonly number[], options: AnalyticsOptions = {}): number | null {
  const { riskFreeRate, periodsPerYear } = resolveOptions(options);
  if (returns.length < 2) return null;
  const adjusted = excess(returns, periodRiskFreeRate(riskFreeRate, periodsPerYear));
  const std = sampleStdOrNull(adjusted);
  if (std === null || std < NEGLIGIBLE_DEVIATION) return null;
  return finiteOrNull((meanOrNull(adjusted)! / std) * Math.sqrt(periodsPerYear));
}

/** √(Σ min(r - target, 0)² / n) over ALL n returns (per period, not annualized); null for no returns. */
export function downsideDeviation(returns: readonly number[], targetPerPeriod = 0): number | null {
  if (returns.length === 0) return null;
  let sumSquares = 0;
  for (const r of returns) {
    const shortfall = Math.min(r - targetPerPeriod, 0);
    sumSquares += shortfall * shortfall;
  }
  return finiteOrNull(Math.sqrt(sumSquares / returns.length));
}

/** Downside deviation against the risk-free rate, × √P (empyrical downside_risk). */
export function annualizedDownsideDeviation(returns: readonly number[], options: AnalyticsOptions = {}): number | null {
  const { riskFreeRate, periodsPerYear } = resolveOptions(options);
  const dd = downsideDeviation(returns, periodRiskFreeRate(riskFreeRate, periodsPerYear));
  return dd === null ? null : finiteOrNull(dd * Math.sqrt(periodsPerYear));
}

/** mean(r - rf_d) / downsideDeviation(r, rf_d) × √P; null below two returns or without any shortfall. */
export function sortinoRatio(returns: readonly number[], options: AnalyticsOptions = {}): number | null {
  const { riskFreeRate, periodsPerYear } = resolveOptions(options);
  if (returns.length < 2) return null;
  const target = periodRiskFreeRate(riskFreeRate, periodsPerYear);
  const dd = downsideDeviation(returns, target);
  if (dd === null || dd < NEGLIGIBLE_DEVIATION) return null;
  return finiteOrNull((meanOrNull(excess(returns, target))! / dd) * Math.sqrt(periodsPerYear));
}

/**
 * mean(a) / std(a, ddof = 1) with a = returns - benchmark (same length, aligned by day); NOT annualized,
 * like quantstats information_ratio and empyrical excess_sharpe. null below two pairs or zero tracking error.
 */
export function informationRatio(returns: readonly number[], benchmark: readonly number[]): number | null {
  const n = Math.min(returns.length, benchmark.length);
  if (n < 2) return null;
  const active: number[] = [];
  for (let i = 0; i < n; i++) active.push(returns[i]! - benchmark[i]!);
  const trackingError = sampleStdOrNull(active);
  if (trackingError === null || trackingError < NEGLIGIBLE_DEVIATION) return null;
  return finiteOrNull(meanOrNull(active)! / trackingError);
}

/** CAGR / |max drawdown|; null without a drawdown (empyrical returns nan there). */
export function calmarRatio(cagrValue: number | null, maxDrawdown: number | null): number | null {
  if (maxDrawdown === null || maxDrawdown === 0) return null;
  return ratio(cagrValue, Math.abs(maxDrawdown));
}

/** Total return / |max drawdown|, sign kept; null without a drawdown. */
export function recoveryFactor(total: number | null, maxDrawdown: number | null): number | null {
  if (maxDrawdown === null || maxDrawdown === 0) return null;
  return ratio(total, Math.abs(maxDrawdown));
}
