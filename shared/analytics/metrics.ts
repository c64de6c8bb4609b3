import { resolveOptions, type AnalyticsOptions } from './conventions';
import { drawdownSummary, type DrawdownSummary } from './drawdown';
import type { DailyEquity } from './equity-series';
import { ratio } from './numbers';
import { annualizedReturn, annualizedVolatility, cagr, monthlyReturns, totalReturn, yearlyReturns, type PeriodReturn } from './returns';
import { annualizedDownsideDeviation, calmarRatio, informationRatio, recoveryFactor, sharpeRatio, sortinoRatio } from './risk';
import { exitOrderColumns } from './trade-columns';
import { timeInMarketOfColumns, tradeStatsOfColumns, type ClosedTradeInput, type TradeStats } from './trade-stats';
import { sessionMinutes } from './trading-days';

export interface DayFigure {
  day: string;
  return: number;
  pnl: number;
}

/** Every headline metric; numbers are finite or null (JSON-safe). Definitions: conventions.ts. */
export interface PerformanceMetrics {
  firstDay: string | null;
  lastDay: string | null;
  tradingDays: number;
  startEquity: number | null;
  endEquity: number | null;
  /** Sum of realized P&L over the days (money). */
  realizedPnl: number;
  totalReturn: number | null;
  cagr: number | null;
  annualizedReturn: number | null;
  annualizedVolatility: number | null;
  sharpeRatio: number | null;
  sortinoRatio: number | null;
  annualizedDownsideDeviation: number | null;
  drawdown: DrawdownSummary;
  /** Same as drawdown.maxDrawdown, at top level for tables. */
  maxDrawdown: number | null;
  recoveryFactor: number | null;
  calmarRatio: number | null;
  /** null without a benchmark. */
  informationRatio: number | null;
  benchmarkDays: number;
  bestDay: DayFigure | null;
  worstDay: DayFigure | null;
  dailyWinRate: number | null;
  longestWinningDayStreak: number;
  longestLosingDayStreak: number;
  exposure: number | null;
  timeInMarket: number | null;
  monthlyReturns: PeriodReturn[];
  yearlyReturns: PeriodReturn[];
  trades: TradeStats;
  riskFreeRate: number;
  periodsPerYear: number;
}

export interface PerformanceInput {
  daily: readonly DailyEquity[];
  trades: readonly ClosedTradeInput[];
  /** Benchmark daily returns by trading day (see returnsFromPrices); only days present in both count. */
  benchmark?: ReadonlyMap<string, number>;
  options?: AnalyticsOptions;
}

export function computePerformance(input: PerformanceInput): PerformanceMetrics {
  const options = resolveOptions(input.options);
  // Read once, in exit order, for both: the trade statistics need that order, and time in market then skips
  // sorting the exits (see trade-columns.ts).
  const trades = exitOrderColumns(input.trades);
  const days = input.daily.map((d) => d.tradingDay);
  const returns = input.daily.map((d) => d.return);
  const total = totalReturn(returns);
  const growth = cagr(returns, options.periodsPerYear);
  const drawdown = drawdownSummary(days, returns);

  let best: DayFigure | null = null;
  let worst: DayFigure | null = null;
  let up = 0, down = 0, upStreak = 0, downStreak = 0, longestUp = 0, longestDown = 0, realizedPnl = 0, sessionTotal = 0;
  for (const d of input.daily) {
    realizedPnl += d.pnl;
    sessionTotal += sessionMinutes(d.tradingDay);
    if (!best || d.return > best.return) best = { day: d.tradingDay, return: d.return, pnl: d.pnl };
    if (!worst || d.return < worst.return) worst = { day: d.tradingDay, return: d.return, pnl: d.pnl };
    if (d.return > 0) {
      up++;
      upStreak++;
      downStreak = 0;
    } else if (d.return < 0) {
      down++;
      downStreak++;
      upStreak = 0;
    } else {
      upStreak = 0;
      downStreak = 0;
    }
    longestUp = Math.max(longestUp, upStreak);
    longestDown = Math.max(longestDown, downStreak);
  }

  const ours: number[] = [];
  const theirs: number[] = [];
  if (input.benchmark) {
    for (const d of input.daily) {
      const b = input.benchmark.get(d.tradingDay);
      if (b !== undefined && Number.isFinite(b)) {
        ours.push(d.return);
        theirs.push(b);
      }
    }
  }

  const first = input.daily[0];
  const last = input.daily[input.daily.length - 1];
  return {
    firstDay: first?.tradingDay ?? null,
    lastDay: last?.tradingDay ?? null,
    tradingDays: input.daily.length,
    startEquity: first?.startEquity ?? null,
    endEquity: last?.endEquity ?? null,
    realizedPnl,
    totalReturn: total,
    cagr: growth,
    annualizedReturn: annualizedReturn(returns, options.periodsPerYear),
    annualizedVolatility: annualizedVolatility(returns, options.periodsPerYear),
    sharpeRatio: sharpeRatio(returns, options),
    sortinoRatio: sortinoRatio(returns, options),
    annualizedDownsideDeviation: annualizedDownsideDeviation(returns, options),
    drawdown,
    maxDrawdown: drawdown.maxDrawdown,
    recoveryFactor: recoveryFactor(total, drawdown.maxDrawdown),
    calmarRatio: calmarRatio(growth, drawdown.maxDrawdown),
    informationRatio: input.benchmark ? informationRatio(ours, theirs) : null,
    benchmarkDays: ours.length,
    bestDay: best,
    worstDay: worst,
    dailyWinRate: ratio(up, up + down),
    longestWinningDayStreak: longestUp,
    longestLosingDayStreak: longestDown,
    exposure: ratio(up + down, input.daily.length),
    timeInMarket: timeInMarketOfColumns(trades, sessionTotal),
    monthlyReturns: monthlyReturns(days, returns),
    yearlyReturns: yearlyReturns(days, returns),
    trades: tradeStatsOfColumns(trades),
    riskFreeRate: options.riskFreeRate,
    periodsPerYear: options.periodsPerYear,
  };
}

/** Daily simple returns of a benchmark's closes, keyed by day (the first close has no return). */
export function returnsFromPrices(closes: ReadonlyArray<{ day: string; close: number }>): Map<string, number> {
  const sorted = [...closes].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const out = new Map<string, number>();
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!.close;
    if (previous > 0 && Number.isFinite(sorted[i]!.close)) out.set(sorted[i]!.day, sorted[i]!.close / previous - 1);
  }
  return out;
}
