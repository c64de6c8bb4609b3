import Table from 'cli-table3';
import { formatEt } from '../trading-days';
import { asciiEquityChart } from './ascii-chart';
import { AGENT_ALIGN, AGENT_COLUMNS, agentCells, showsAgentTable } from './by-agent';
import { duration, money, num, pct } from './format';
import type { ReportData } from './report-model';
import { summaryRows } from './summary';

/** What `npm run report` prints: summary table, ASCII equity chart, per-symbol and per-agent tables, the latest trades. */
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
  if (showsAgentTable(data)) {
    const agents = new Table({ head: [...AGENT_COLUMNS], colAligns: AGENT_ALIGN.map((a) => (a === 'r' ? 'right' : 'left')), style: { head: [], border: [], compact: true } });
    for (const a of data.byAgent) agents.push(agentCells(a));
    out.push('By agent', agents.toString(), '');
  }
  const maxTrades = options.maxTrades ?? 15;
  if (data.trades.length === 0) out.push('No closed trades in this period.');
  else {
    // The agent column only when several agents traded: with one, it would say the same on every line.
    const withAgent = showsAgentTable(data);
    const trades = new Table({
      head: ['Exit (ET)', 'Symbol', ...(withAgent ? ['Agent'] : []), 'Side', 'Qty', 'Held', 'Reason', 'P&L'],
      colAligns: ['left', 'left', ...(withAgent ? ['left' as const] : []), 'left', 'right', 'right', 'left', 'right'],
      style: { head: [], border: [], compact: true },
    });
    for (const t of data.trades.slice(-maxTrades)) {
      trades.push([formatEt(t.exitTimeMs), t.symbol, ...(withAgent ? [t.agentName] : []), t.direction, t.quantity, duration((t.exitTimeMs - t.entryTimeMs) / 60_000), t.exitReason ?? '', money(t.realizedPnl)]);
    }
    out.push(data.trades.length > maxTrades ? `Last ${maxTrades} of ${data.trades.length} trades` : 'Trades', trades.toString());
  }
  return out.join('\n');
}
