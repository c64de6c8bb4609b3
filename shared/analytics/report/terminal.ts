import Table from 'cli-table3';
import { formatEt } from '../trading-days';
import { asciiEquityChart } from './ascii-chart';
import { duration, money, num, pct } from './format';
import type { ReportData } from './report-model';
import { summaryRows } from './summary';

/** What `npm run report` prints: summary table, ASCII equity chart, per-symbol table, the latest trades. */
export function renderTerminal(data: ReportData, options: { maxTrades?: number } = {}): string {
  const out: string[] = [data.period.title, ''];
  const summary = new Table({ head: ['Metric', 'Value'], colAligns: ['left', 'right'], style: { head: [], border: [], compact: true } });
  for (const row of summaryRows(data)) summary.push([row.label, row.value]);
  out.push(summary.toString(), '', 'Equity curve', asciiEquityChart(data.curve), '');
  if (data.bySymbol.length > 0) {
    const symbols = new Table({ head: ['Symbol', 'Trades', 'Win rate', 'Net P&L', 'Profit factor', 'Avg held'], colAligns: ['left', 'right', 'right', 'right', 'right', 'right'], style: { head: [], border: [], compact: true } });
    for (const s of data.bySymbol.slice(0, 20)) symbols.push([s.key, s.trades, pct(s.winRate), money(s.netProfit), num(s.profitFactor), duration(s.averageHoldingMinutes)]);
    out.push(symbols.toString());
    if (data.bySymbol.length > 20) out.push(`… and ${data.bySymbol.length - 20} more symbols (see the report file)`);
    out.push('');
  }
  const maxTrades = options.maxTrades ?? 15;
  if (data.trades.length === 0) out.push('No closed trades in this period.');
  else {
    const trades = new Table({ head: ['Exit (ET)', 'Symbol', 'Side', 'Qty', 'Held', 'Reason', 'P&L'], colAligns: ['left', 'left', 'left', 'right', 'right', 'left', 'right'], style: { head: [], border: [], compact: true } });
    for (const t of data.trades.slice(-maxTrades)) {
      trades.push([formatEt(t.exitTimeMs), t.symbol, t.direction, t.quantity, duration((t.exitTimeMs - t.entryTimeMs) / 60_000), t.exitReason ?? '', money(t.realizedPnl)]);
    }
    out.push(data.trades.length > maxTrades ? `Last ${maxTrades} of ${data.trades.length} trades` : 'Trades', trades.toString());
  }
  return out.join('\n');
}
