import { formatCsv } from './csv';
import type { ReportData } from './report-model';
import { summaryRows } from './summary';

/**
 * The report as CSV files for spreadsheets: `trades` (one closed round trip per row), `summary`
 * (metric,value with raw numbers) and `symbols` (per-symbol breakdown). Times are ISO-8601 UTC.
 */
export function renderCsv(data: ReportData): { trades: string; summary: string; symbols: string } {
  const trades = formatCsv(
    ['position_id', 'symbol', 'agent_name', 'direction', 'quantity', 'entry_price', 'entry_time', 'exit_price', 'exit_time', 'holding_minutes', 'exit_reason', 'commission', 'realized_pnl', 'pnl_pct', 'source'],
    data.trades.map((t) => [
      t.positionId, t.symbol, t.agentName, t.direction, t.quantity, t.entryPrice, new Date(t.entryTimeMs).toISOString(), t.exitPrice,
      new Date(t.exitTimeMs).toISOString(), (t.exitTimeMs - t.entryTimeMs) / 60_000, t.exitReason, t.commission, t.realizedPnl, t.pnlPct, t.source,
    ]),
  );
  const summary = formatCsv(
    ['metric', 'value'],
    [['period', data.period.key], ['from', data.period.from], ['to', data.period.to], ...summaryRows(data).map((r) => [r.key, r.raw])],
  );
  const symbols = formatCsv(
    ['symbol', 'trades', 'wins', 'losses', 'win_rate', 'net_pnl', 'gross_profit', 'gross_loss', 'profit_factor', 'average_trade', 'average_holding_minutes'],
    data.bySymbol.map((s) => [s.key, s.trades, s.wins, s.losses, s.winRate, s.netProfit, s.grossProfit, s.grossLoss, s.profitFactor, s.averageTrade, s.averageHoldingMinutes]),
  );
  return { trades, summary, symbols };
}
