import { agentBreakdown } from '../analytics/agent-breakdown';
import { buildDailyEquity, equityCurve, type DailyEquity } from '../analytics/equity-series';
import { computePerformance, type PerformanceMetrics } from '../analytics/metrics';
import { agentReportRow } from '../analytics/report/by-agent';
import type { AgentReportRow, ReportData, ReportTrade } from '../analytics/report/report-model';
import { breakdownBy, type BreakdownRow, type ClosedTradeInput } from '../analytics/trade-stats';
import { tradingDaysBetween } from '../analytics/trading-days';
import type { BacktestResult, BacktestTrade } from './result';

/**
 * A backtest's figures through the same analytics as live trading (shared/analytics: one code path): the daily
 * equity series, every metric, the breakdowns, and a ReportData that the live report renderers (markdown,
 * CSV, HTML) and the tear sheet print.
 */
export interface BacktestAnalysis {
  daily: DailyEquity[];
  metrics: PerformanceMetrics;
  byAgent: AgentReportRow[];
  bySymbol: BreakdownRow[];
  byExitReason: BreakdownRow[];
  report: ReportData;
}

export function tradeInputs(trades: readonly BacktestTrade[]): ClosedTradeInput[] {
  return trades.map((t) => ({ symbol: t.symbol, agentName: t.agentName, realizedPnl: t.realizedPnl, entryTimeMs: t.entryTimeMs, exitTimeMs: t.exitTimeMs, commission: t.commission }));
}

export function analyzeBacktest(result: BacktestResult, options: { riskFreeRate?: number; title?: string } = {}): BacktestAnalysis {
  const daily = buildDailyEquity(result.daily, { initialCapital: result.settings.initialCapital, fillTradingDays: false });
  const inputs = tradeInputs(result.trades);
  const metrics = computePerformance({ daily, trades: inputs, options: { riskFreeRate: options.riskFreeRate } });
  const byAgent = agentBreakdown({ trades: inputs, initialCapital: result.settings.initialCapital }).map(agentReportRow);
  const bySymbol = breakdownBy(inputs, (t) => t.symbol);
  const reasons = new Map(result.trades.map((t, i) => [inputs[i]!, t.exitReason] as const));
  const byExitReason = breakdownBy(inputs, (t) => reasons.get(t) ?? '');
  const trades: ReportTrade[] = result.trades.map((t) => ({
    positionId: t.id, symbol: t.symbol, agentName: t.agentName, direction: 'LONG', quantity: t.quantity, entryPrice: t.entryPrice, entryTimeMs: t.entryTimeMs,
    exitPrice: t.exitPrice, exitTimeMs: t.exitTimeMs, exitReason: t.exitReason, commission: t.commission, realizedPnl: t.realizedPnl, pnlPct: t.pnlPct, source: 'backtest',
  }));
  const report: ReportData = {
    period: {
      kind: 'range', key: `${result.fromDay}_${result.toDay}`, from: result.fromDay, to: result.toDay,
      tradingDays: result.fromDay ? tradingDaysBetween(result.fromDay, result.toDay) : [], title: options.title ?? `Backtest ${result.fromDay} to ${result.toDay}`,
    },
    // Deterministic: the report of a run says when its data ends, not when it was printed.
    generatedAt: `backtest of ${result.fromDay} to ${result.toDay}`,
    metrics,
    trades,
    bySymbol,
    byAgent,
    curve: equityCurve(daily).map((p) => ({ label: p.label ?? 'start', equity: p.equity })),
    equitySource: daily.length === 0 ? 'none' : 'account',
    initialCapital: result.settings.initialCapital,
    openTrades: 0,
    activity: null,
  };
  return { daily, metrics, byAgent, bySymbol, byExitReason, report };
}

export const OBJECTIVES = ['sharpe', 'sortino', 'cagr', 'total-return', 'max-drawdown', 'profit-factor', 'net-pnl', 'calmar'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/**
 * The value an optimisation maximises. max-drawdown is maximised too (it is <= 0: closer to 0 is better).
 * Undefined (the point is not ranked) when the metric is undefined or the run has fewer than `minTrades` trades.
 */
export function objectiveValue(metrics: PerformanceMetrics, objective: Objective, minTrades = 0): number | undefined {
  if (metrics.trades.trades < minTrades) return undefined;
  const value = {
    sharpe: metrics.sharpeRatio,
    sortino: metrics.sortinoRatio,
    cagr: metrics.cagr,
    'total-return': metrics.totalReturn,
    'max-drawdown': metrics.maxDrawdown,
    'profit-factor': metrics.trades.profitFactor,
    'net-pnl': metrics.trades.netProfit,
    calmar: metrics.calmarRatio,
  }[objective];
  return value === null || value === undefined || !Number.isFinite(value) ? undefined : value;
}

/** The headline figures stored with a run and printed in tables. */
export function headline(metrics: PerformanceMetrics): Record<string, number | null> {
  return {
    trades: metrics.trades.trades,
    netPnl: metrics.trades.netProfit,
    totalReturn: metrics.totalReturn,
    cagr: metrics.cagr,
    sharpe: metrics.sharpeRatio,
    sortino: metrics.sortinoRatio,
    maxDrawdown: metrics.maxDrawdown,
    profitFactor: metrics.trades.profitFactor,
    winRate: metrics.trades.winRate,
    averageTrade: metrics.trades.averageTrade,
    commissions: metrics.trades.commissions,
  };
}
