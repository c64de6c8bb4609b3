import { finiteOrNull, meanOrNull, sampleStdOrNull } from './numbers';
import { TRADING_DAYS_PER_YEAR } from './conventions';

/** Formulas and conventions: see conventions.ts. Inputs are daily simple returns as fractions (0.01 = 1 %). */

/**
 * Simple returns of an equity series: r_t = E_t / E_{t-1} - 1 (n points give n - 1 returns). A non-positive
 * previous equity has no defined return; it counts as 0 so the series stays finite.
 */
export function simpleReturns(equity: readonly number[]): number[] {
  const returns: number[] = [];
  for (let i = 1; i < equity.length; i++) {
    const previous = equity[i - 1]!;
    returns.push(previous > 0 ? equity[i]! / previous - 1 : 0);
  }
  return returns;
}

/** Π(1 + r) - 1; null for no returns. */
export function totalReturn(returns: readonly number[]): number | null {
  if (returns.length === 0) return null;
  let growth = 1;
  for (const r of returns) growth *= 1 + r;
  return finiteOrNull(growth - 1);
}

/** The cumulative return after each day: Π_{s<=t}(1 + r_s) - 1. */
export function cumulativeReturns(returns: readonly number[]): number[] {
  const out: number[] = [];
  let growth = 1;
  for (const r of returns) {
    growth *= 1 + r;
    out.push(growth - 1);
  }
  return out;
}

/** (1 + total)^(P / n) - 1, years = n / P (empyrical annual_return). null for no returns or a wiped-out account. */
export function cagr(returns: readonly number[], periodsPerYear = TRADING_DAYS_PER_YEAR): number | null {
  const total = totalReturn(returns);
  if (total === null || 1 + total < 0) return null;
  return finiteOrNull(Math.pow(1 + total, periodsPerYear / returns.length) - 1);
}

/** mean(r) × P: the arithmetic annualized return. */
export function annualizedReturn(returns: readonly number[], periodsPerYear = TRADING_DAYS_PER_YEAR): number | null {
  const mean = meanOrNull(returns);
  return mean === null ? null : finiteOrNull(mean * periodsPerYear);
}

/** std(r, ddof = 1) × √P; null below two returns. */
export function annualizedVolatility(returns: readonly number[], periodsPerYear = TRADING_DAYS_PER_YEAR): number | null {
  const std = sampleStdOrNull(returns);
  return std === null ? null : finiteOrNull(std * Math.sqrt(periodsPerYear));
}

export interface PeriodReturn {
  /** 'YYYY-MM' for months, 'YYYY' for years. */
  period: string;
  return: number;
  tradingDays: number;
}

/** Compounded returns per calendar period, in order: Π(1 + r_t) - 1 over the days whose key matches. */
export function periodReturns(days: readonly string[], returns: readonly number[], keyOf: (day: string) => string): PeriodReturn[] {
  const out: PeriodReturn[] = [];
  let current: { period: string; growth: number; tradingDays: number } | undefined;
  for (let i = 0; i < returns.length; i++) {
    const key = keyOf(days[i]!);
    if (!current || current.period !== key) {
      if (current) out.push({ period: current.period, return: current.growth - 1, tradingDays: current.tradingDays });
      current = { period: key, growth: 1, tradingDays: 0 };
    }
    current.growth *= 1 + returns[i]!;
    current.tradingDays++;
  }
  if (current) out.push({ period: current.period, return: current.growth - 1, tradingDays: current.tradingDays });
  return out.map((p) => ({ ...p, return: finiteOrNull(p.return) ?? 0 }));
}

export function monthlyReturns(days: readonly string[], returns: readonly number[]): PeriodReturn[] {
  return periodReturns(days, returns, (day) => day.slice(0, 7));
}

export function yearlyReturns(days: readonly string[], returns: readonly number[]): PeriodReturn[] {
  return periodReturns(days, returns, (day) => day.slice(0, 4));
}
