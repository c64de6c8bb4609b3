import { formatEt } from '../trading-days';
import { asciiEquityChart } from './ascii-chart';
import { AGENT_ALIGN, AGENT_COLUMNS, agentCells, showsAgentTable } from './by-agent';
import { duration, money, num, pct, pctUnits, price } from './format';
import type { ReportData } from './report-model';
import { summaryRows } from './summary';

const MARKDOWN_SPECIAL = /[|\r\n]/;

function cell(text: string | number): string {
  const value = String(text);
  // Most cells have no pipe or line break: one test instead of two replaces.
  return MARKDOWN_SPECIAL.test(value) ? value.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ') : value;
}

function table(header: string[], rows: Array<Array<string | number>>, align?: Array<'l' | 'r'>): string {
  const sep = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

/** The report as Markdown: summary, ASCII equity chart, trades, per-symbol and per-agent breakdowns, scan activity. */
export function renderMarkdown(data: ReportData): string {
  const { period, metrics } = data;
  const out: string[] = [];
  out.push(`# ${period.title}`, '');
  out.push(
    `Period ${period.from} to ${period.to} (${period.tradingDays.length} trading day${period.tradingDays.length === 1 ? '' : 's'}) · ` +
      `generated ${data.generatedAt} · equity: ${equityNote(data)}`,
    '',
  );
  out.push('## Summary', '', table(['Metric', 'Value'], summaryRows(data).map((r) => [r.label, r.value]), ['l', 'r']), '');
  out.push('## Equity curve', '', '```text', asciiEquityChart(data.curve), '```', '');
  out.push('## Trades', '');
  if (data.trades.length === 0) out.push('No closed trades in this period.', '');
  else {
    out.push(
      table(
        ['#', 'Symbol', 'Agent', 'Side', 'Qty', 'Entry', 'Entry time (ET)', 'Exit', 'Exit time (ET)', 'Held', 'Reason', 'P&L', 'P&L %'],
        data.trades.map((t, i) => [
          i + 1, t.symbol, t.agentName, t.direction, t.quantity, price(t.entryPrice), formatEt(t.entryTimeMs), price(t.exitPrice),
          formatEt(t.exitTimeMs), duration((t.exitTimeMs - t.entryTimeMs) / 60_000), t.exitReason ?? '', money(t.realizedPnl), pctUnits(t.pnlPct),
        ]),
        ['r', 'l', 'l', 'l', 'r', 'r', 'l', 'r', 'l', 'r', 'l', 'r', 'r'],
      ),
      '',
    );
  }
  if (data.openTrades > 0) out.push(`Open positions now: ${data.openTrades} (not in the figures above).`, '');
  out.push('## By symbol', '');
  if (data.bySymbol.length === 0) out.push('No closed trades in this period.', '');
  else {
    out.push(
      table(
        ['Symbol', 'Trades', 'Won', 'Lost', 'Win rate', 'Net P&L', 'Profit factor', 'Avg trade', 'Avg held'],
        data.bySymbol.map((s) => [s.key, s.trades, s.wins, s.losses, pct(s.winRate), money(s.netProfit), num(s.profitFactor), money(s.averageTrade), duration(s.averageHoldingMinutes)]),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
      '',
    );
  }
  if (showsAgentTable(data)) {
    out.push('## By agent', '', table([...AGENT_COLUMNS], data.byAgent.map(agentCells), AGENT_ALIGN), '');
  }
  if (period.kind !== 'daily' && metrics.tradingDays > 0) {
    out.push('## Daily returns', '', `Best day ${metrics.bestDay ? `${metrics.bestDay.day} ${pct(metrics.bestDay.return)}` : 'n/a'}, worst day ${metrics.worstDay ? `${metrics.worstDay.day} ${pct(metrics.worstDay.return)}` : 'n/a'}, ` +
      `longest winning streak ${metrics.longestWinningDayStreak} day(s), longest losing streak ${metrics.longestLosingDayStreak} day(s).`, '');
  }
  if (data.activity) {
    const a = data.activity;
    out.push('## Scans', '', `${a.runs} scan run(s) (${a.failedRuns} failed), ${a.candidates} candidate(s) scored, ${a.taken} taken.`, '');
  }
  out.push('---', '', `Conventions: returns are daily simple returns, 252 trading days a year, sample standard deviation; see shared/analytics/conventions.ts.`, '');
  return out.join('\n');
}

export function equityNote(data: ReportData): string {
  switch (data.equitySource) {
    case 'account': return 'account net liquidation recorded after each close';
    case 'derived': return `initial capital ${money(data.initialCapital, false)} + cumulative realized P&L (no account equity recorded)`;
    case 'mixed': return 'account net liquidation where recorded, otherwise previous equity + realized P&L';
    default: return 'no data';
  }
}
