import { formatEt } from '../trading-days';
import { AGENT_COLUMNS, AGENT_NET_PNL_COLUMN, agentCells, showsAgentTable } from './by-agent';
import { duration, money, num, pct, pctUnits, price } from './format';
import { equityNote } from './markdown';
import type { ReportData } from './report-model';
import { summaryRows } from './summary';
import { escapeXml, svgEquityChart } from './svg-chart';

const STYLE = `body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ddd;padding:4px 8px;font-size:13px}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pos{color:#1a7f37}.neg{color:#cf222e}.note{color:#666;font-size:13px}`;

function td(text: string | number, numeric = false, sign?: number | null): string {
  const signClass = sign !== undefined && sign !== null && sign !== 0 ? (sign > 0 ? 'pos' : 'neg') : '';
  const cls = numeric ? (signClass ? `n ${signClass}` : 'n') : signClass;
  return `<td${cls ? ` class="${cls}"` : ''}>${escapeXml(String(text))}</td>`;
}

function tableHtml(header: string[], rows: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.join('')}</tr>`).join('\n')}\n</tbody></table>`;
}

/** The report as one self-contained HTML page with an inline SVG equity curve. */
export function renderHtml(data: ReportData): string {
  const { period } = data;
  const parts: string[] = [];
  parts.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(period.title)}</title><style>${STYLE}</style></head><body>`);
  parts.push(`<h1>${escapeXml(period.title)}</h1>`);
  parts.push(`<p class="note">Period ${period.from} to ${period.to} (${period.tradingDays.length} trading days) · generated ${escapeXml(data.generatedAt)} · equity: ${escapeXml(equityNote(data))}</p>`);
  parts.push('<h2>Summary</h2>', tableHtml(['Metric', 'Value'], summaryRows(data).map((r) => [td(r.label), td(r.value, true, typeof r.raw === 'number' && /pnl|win$|loss$|trade$|return/.test(r.key) ? r.raw : null)])));
  parts.push('<h2>Equity curve</h2>', svgEquityChart(data.curve));
  parts.push('<h2>Trades</h2>');
  if (data.trades.length === 0) parts.push('<p>No closed trades in this period.</p>');
  else {
    parts.push(tableHtml(
      ['#', 'Symbol', 'Agent', 'Side', 'Qty', 'Entry', 'Entry time (ET)', 'Exit', 'Exit time (ET)', 'Held', 'Reason', 'P&L', 'P&L %'],
      data.trades.map((t, i) => [
        td(i + 1, true), td(t.symbol), td(t.agentName), td(t.direction), td(t.quantity, true), td(price(t.entryPrice), true),
        td(formatEt(t.entryTimeMs)), td(price(t.exitPrice), true), td(formatEt(t.exitTimeMs)), td(duration((t.exitTimeMs - t.entryTimeMs) / 60_000), true),
        td(t.exitReason ?? ''), td(money(t.realizedPnl), true, t.realizedPnl), td(pctUnits(t.pnlPct), true, t.pnlPct),
      ]),
    ));
  }
  if (data.openTrades > 0) parts.push(`<p class="note">Open positions now: ${data.openTrades} (not in the figures above).</p>`);
  parts.push('<h2>By symbol</h2>');
  if (data.bySymbol.length === 0) parts.push('<p>No closed trades in this period.</p>');
  else {
    parts.push(tableHtml(
      ['Symbol', 'Trades', 'Won', 'Lost', 'Win rate', 'Net P&L', 'Profit factor', 'Avg trade', 'Avg held'],
      data.bySymbol.map((s) => [td(s.key), td(s.trades, true), td(s.wins, true), td(s.losses, true), td(pct(s.winRate), true),
        td(money(s.netProfit), true, s.netProfit), td(num(s.profitFactor), true), td(money(s.averageTrade), true), td(duration(s.averageHoldingMinutes), true)]),
    ));
  }
  if (showsAgentTable(data)) {
    parts.push('<h2>By agent</h2>', tableHtml([...AGENT_COLUMNS], data.byAgent.map((a) =>
      agentCells(a).map((text, i) => (i === 0 ? td(text) : td(text, true, i === AGENT_NET_PNL_COLUMN ? a.netProfit : undefined))))));
  }
  if (data.activity) {
    const a = data.activity;
    parts.push(`<h2>Scans</h2><p>${a.runs} scan run(s) (${a.failedRuns} failed), ${a.candidates} candidate(s) scored, ${a.taken} taken.</p>`);
  }
  parts.push('<p class="note">Conventions: daily simple returns, 252 trading days a year, sample standard deviation (see shared/analytics/conventions.ts).</p>');
  parts.push('</body></html>');
  return parts.join('\n') + '\n';
}
