import type { ReportData } from '../analytics/report/report-model';
import type { DaySummaryFigures } from './fact-alerts';

/** The daily summary alert's figures, from the day's report (the trades closed that trading day). */
export function daySummaryFigures(data: ReportData, tradingDay: string, reportFiles: readonly string[]): DaySummaryFigures {
  const pnls = data.trades.map((t) => t.realizedPnl);
  const wins = pnls.filter((p) => p > 0);
  const losses = pnls.filter((p) => p < 0);
  return {
    tradingDay,
    trades: data.trades.length,
    wins: wins.length,
    losses: losses.length,
    realizedPnl: pnls.reduce((sum, p) => sum + p, 0),
    largestWin: wins.length > 0 ? Math.max(...wins) : null,
    largestLoss: losses.length > 0 ? Math.min(...losses) : null,
    bySymbol: data.trades.map((t) => ({ symbol: t.symbol, realizedPnl: Math.round(t.realizedPnl * 100) / 100, exitReason: t.exitReason })),
    reportFiles: [...reportFiles],
  };
}
