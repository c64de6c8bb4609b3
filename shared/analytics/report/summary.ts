import { duration, money, num, pct } from './format';
import type { ReportData } from './report-model';

/** One headline figure: a stable key (CSV), a label (md, html, terminal), the printed value and the raw number. */
export interface SummaryRow {
  key: string;
  label: string;
  value: string;
  raw: number | string | null;
}

/** The headline figures of a report, in display order; the same list feeds every format. */
export function summaryRows(data: ReportData): SummaryRow[] {
  const m = data.metrics;
  const t = m.trades;
  const multiDay = data.period.kind !== 'daily';
  const rows: SummaryRow[] = [
    { key: 'net_pnl', label: 'Net P&L', value: money(t.netProfit), raw: t.netProfit },
    { key: 'trades', label: 'Closed trades', value: String(t.trades), raw: t.trades },
    { key: 'wins', label: 'Winners', value: String(t.wins), raw: t.wins },
    { key: 'losses', label: 'Losers', value: String(t.losses), raw: t.losses },
    { key: 'win_rate', label: 'Win rate', value: pct(t.winRate), raw: t.winRate },
    { key: 'average_win', label: 'Average win', value: money(t.averageWin), raw: t.averageWin },
    { key: 'average_loss', label: 'Average loss', value: money(t.averageLoss), raw: t.averageLoss },
    { key: 'largest_win', label: 'Largest win', value: money(t.largestWin), raw: t.largestWin },
    { key: 'largest_loss', label: 'Largest loss', value: money(t.largestLoss), raw: t.largestLoss },
    { key: 'profit_factor', label: 'Profit factor', value: t.trades > 0 && t.losses === 0 ? 'n/a (no losers)' : num(t.profitFactor), raw: t.profitFactor },
    { key: 'payoff_ratio', label: 'Payoff ratio (avg win / avg loss)', value: num(t.payoffRatio), raw: t.payoffRatio },
    { key: 'average_trade', label: 'Average trade', value: money(t.averageTrade), raw: t.averageTrade },
    { key: 'average_duration_minutes', label: 'Average duration', value: duration(t.averageHoldingMinutes), raw: t.averageHoldingMinutes },
    { key: 'commissions', label: 'Commissions', value: money(t.commissions, false), raw: t.commissions },
    { key: 'longest_winning_streak', label: 'Longest winning streak (trades)', value: String(t.longestWinningStreak), raw: t.longestWinningStreak },
    { key: 'longest_losing_streak', label: 'Longest losing streak (trades)', value: String(t.longestLosingStreak), raw: t.longestLosingStreak },
    { key: 'start_equity', label: 'Start equity', value: money(m.startEquity, false), raw: m.startEquity },
    { key: 'end_equity', label: 'End equity', value: money(m.endEquity, false), raw: m.endEquity },
    { key: 'period_return', label: 'Period return', value: pct(m.totalReturn), raw: m.totalReturn },
    { key: 'max_drawdown', label: multiDay ? 'Max drawdown (daily)' : 'Max drawdown (day close)', value: pct(m.maxDrawdown), raw: m.maxDrawdown },
    { key: 'time_in_market', label: 'Time in market', value: pct(m.timeInMarket, 1), raw: m.timeInMarket },
  ];
  if (multiDay) {
    rows.push(
      { key: 'trading_days', label: 'Trading days counted (up to today)', value: String(m.tradingDays), raw: m.tradingDays },
      { key: 'best_day', label: 'Best day', value: m.bestDay ? `${m.bestDay.day} ${pct(m.bestDay.return)} (${money(m.bestDay.pnl)})` : 'n/a', raw: m.bestDay?.return ?? null },
      { key: 'worst_day', label: 'Worst day', value: m.worstDay ? `${m.worstDay.day} ${pct(m.worstDay.return)} (${money(m.worstDay.pnl)})` : 'n/a', raw: m.worstDay?.return ?? null },
      { key: 'sharpe_ratio', label: 'Sharpe ratio (annualized)', value: num(m.sharpeRatio), raw: m.sharpeRatio },
      { key: 'sortino_ratio', label: 'Sortino ratio (annualized)', value: num(m.sortinoRatio), raw: m.sortinoRatio },
      { key: 'volatility', label: 'Volatility (annualized)', value: pct(m.annualizedVolatility), raw: m.annualizedVolatility },
    );
  }
  return rows;
}
