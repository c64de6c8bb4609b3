import type { DailyEquity } from '../analytics/equity-series';
import { duration, money, num, pct, pctUnits, price } from '../analytics/report/format';
import { summaryRows } from '../analytics/report/summary';
import { escapeXml, svgEquityChart } from '../analytics/report/svg-chart';
import type { BreakdownRow } from '../analytics/trade-stats';
import { formatEt } from '../analytics/trading-days';
import type { BacktestAnalysis } from './analysis';
import type { BacktestResult } from './result';

const STYLE = `body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ddd;padding:3px 7px;font-size:13px}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pos{color:#1a7f37}.neg{color:#cf222e}.note{color:#666;font-size:13px}.grid{display:flex;flex-wrap:wrap;gap:2em}
td.heat{text-align:right;font-size:12px;min-width:3.2em}`;

const MAX_TRADE_ROWS = 500;

/**
 * A backtest's tear sheet: one self-contained HTML page (no script, no network): the summary (the live
 * reports' figures), the equity curve, the drawdown ("underwater") curve, the monthly returns heatmap, the
 * distribution of trade P&L, the breakdowns per strategy, exit reason and symbol, the assumptions, the trades.
 */
export function renderTearSheet(result: BacktestResult, analysis: BacktestAnalysis, options: { title?: string; source?: string } = {}): string {
  const report = analysis.report;
  const title = options.title ?? report.period.title;
  const parts: string[] = [];
  parts.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${STYLE}</style></head><body>`);
  parts.push(`<h1>${escapeXml(title)}</h1>`);
  parts.push(`<p class="note">${result.fromDay} to ${result.toDay} · ${result.stats.tradingDays} trading days · ${result.symbols.length} symbols · ${result.stats.bars.toLocaleString('en-US')} minute bars${options.source ? ` · bars: ${escapeXml(options.source)}` : ''}</p>`);
  parts.push('<h2>Strategies</h2>', table(['Agent', 'Strategy', 'Parameters'], result.strategies.map((s) => [td(s.agent), td(s.strategy), td(Object.entries(s.params).map(([k, v]) => `${k}=${String(v)}`).join(', '))])));
  parts.push('<div class="grid"><div><h2>Summary</h2>');
  parts.push(table(['Metric', 'Value'], summaryRows(report).map((r) => [td(r.label), td(r.value, true)])));
  parts.push('</div><div><h2>Monthly returns</h2>', monthlyHeatmap(analysis), '</div></div>');
  parts.push('<h2>Equity</h2>', svgEquityChart(report.curve));
  parts.push('<h2>Drawdown</h2>', drawdownChart(analysis.daily));
  parts.push('<h2>Trade P&L distribution</h2>', histogram(result.trades.map((t) => t.pnlPct)));
  parts.push('<h2>By strategy</h2>', breakdownTable(analysis.byAgent, 'Agent'));
  parts.push('<h2>By exit reason</h2>', breakdownTable(analysis.byExitReason, 'Exit reason'));
  parts.push('<h2>By symbol</h2>', breakdownTable(analysis.bySymbol.slice(0, 30), 'Symbol'));
  parts.push('<h2>Engine</h2>', table(['Assumption', 'Value'], assumptionRows(result).map(([k, v]) => [td(k), td(v)])));
  parts.push(`<h2>Trades${result.trades.length > MAX_TRADE_ROWS ? ` (first ${MAX_TRADE_ROWS} of ${result.trades.length}; all in the CSV)` : ''}</h2>`);
  if (result.trades.length === 0) parts.push('<p>No trades.</p>');
  else {
    parts.push(table(['#', 'Day', 'Symbol', 'Agent', 'Qty', 'Entry', 'Entry (ET)', 'Exit', 'Exit (ET)', 'Held', 'Reason', 'P&L', 'P&L %'],
      result.trades.slice(0, MAX_TRADE_ROWS).map((t, i) => [td(i + 1, true), td(t.tradingDay), td(t.symbol), td(t.agentName), td(`${t.quantity}${t.quantity < t.requestedQuantity ? `/${t.requestedQuantity}` : ''}`, true),
        td(price(t.entryPrice), true), td(formatEt(t.entryTimeMs, 'time')), td(price(t.exitPrice), true), td(formatEt(t.exitTimeMs, 'time')),
        td(duration((t.exitTimeMs - t.entryTimeMs) / 60_000), true), td(t.exitReason), td(money(t.realizedPnl), true, t.realizedPnl), td(pctUnits(t.pnlPct), true, t.pnlPct)])));
  }
  parts.push('<p class="note">Metrics: daily simple returns, 252 trading days a year, sample standard deviation (shared/analytics/conventions.ts), the same code as the live reports.</p>');
  parts.push('</body></html>');
  return `${parts.join('\n')}\n`;
}

export function assumptionRows(result: BacktestResult): Array<[string, string]> {
  const s = result.settings;
  return [
    ['Initial capital', money(s.initialCapital, false)],
    ['Commissions', `IB ${s.commissions.schedule}${s.commissions.regulatoryFees ? ' + SEC/FINRA fees on sales' : ''}`],
    ['Spread', s.spread === 'model' ? 'modelled from dollar volume (wider at the open and on gap-and-go movers)' : `${s.spread} bps`],
    ['Slippage', `${s.slippageBps} bps on marketable orders`],
    ['Fill size', `at most ${(s.participation * 100).toFixed(1)}% of a bar's volume per order`],
    ['Entries', 'IOC at the next bar\'s open + half the spread + slippage, within the limit'],
    ['Stop', 'at the stop less half the spread; a gap through the stop fills at the open'],
    ['Target', 'at the target when the bid reaches it; a gap above fills at the open'],
    ['Stop and target in one bar', 'the stop (conservative)'],
    ['Decisions', 'on bars that ended by the decision time; scans at SCAN_TIMES and every SCANNER_REFRESH_S from the open'],
  ];
}

function td(text: string | number, numeric = false, sign?: number | null): string {
  const cls = [numeric ? 'n' : '', sign ? (sign > 0 ? 'pos' : 'neg') : ''].filter(Boolean).join(' ');
  return `<td${cls ? ` class="${cls}"` : ''}>${escapeXml(String(text))}</td>`;
}

function table(header: string[], rows: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.join('')}</tr>`).join('\n')}\n</tbody></table>`;
}

function breakdownTable(rows: readonly BreakdownRow[], label: string): string {
  if (rows.length === 0) return '<p>No trades.</p>';
  return table([label, 'Trades', 'Won', 'Lost', 'Win rate', 'Net P&L', 'Profit factor', 'Avg trade', 'Avg held'],
    rows.map((r) => [td(r.key), td(r.trades, true), td(r.wins, true), td(r.losses, true), td(pct(r.winRate), true), td(money(r.netProfit), true, r.netProfit),
      td(num(r.profitFactor), true), td(money(r.averageTrade), true), td(duration(r.averageHoldingMinutes), true)]));
}

/** Years down, months across, each cell coloured by its compounded return (green up, red down). */
function monthlyHeatmap(analysis: BacktestAnalysis): string {
  const months = analysis.metrics.monthlyReturns;
  if (months.length === 0) return '<p>No full day yet.</p>';
  const byYear = new Map<string, Map<number, number>>();
  for (const m of months) {
    const [year, month] = m.period.split('-');
    if (!byYear.has(year!)) byYear.set(year!, new Map());
    byYear.get(year!)!.set(Number(month), m.return);
  }
  const yearly = new Map(analysis.metrics.yearlyReturns.map((y) => [y.period, y.return]));
  const scale = Math.max(0.005, ...months.map((m) => Math.abs(m.return)));
  const cell = (value: number | undefined) => {
    if (value === undefined) return '<td class="heat"></td>';
    const strength = Math.min(1, Math.abs(value) / scale);
    const colour = value >= 0 ? `rgba(26,127,55,${(0.15 + 0.7 * strength).toFixed(2)})` : `rgba(207,34,46,${(0.15 + 0.7 * strength).toFixed(2)})`;
    return `<td class="heat" style="background:${colour}">${escapeXml(pct(value, 1))}</td>`;
  };
  const names = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const rows = [...byYear.entries()].sort().map(([year, byMonth]) => `<tr><th>${year}</th>${names.map((_, i) => cell(byMonth.get(i + 1))).join('')}${cell(yearly.get(year))}</tr>`);
  return `<table class="heatmap"><thead><tr><th></th>${names.map((n) => `<th>${n}</th>`).join('')}<th>Year</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The underwater curve: equity against its running peak, day by day (0 at a new high). */
function drawdownChart(daily: readonly DailyEquity[], width = 800, height = 180): string {
  if (daily.length === 0) return '<p>No days.</p>';
  let peak = daily[0]!.startEquity;
  const points = [{ label: 'start', dd: 0 }];
  for (const d of daily) {
    peak = Math.max(peak, d.endEquity);
    points.push({ label: d.tradingDay, dd: peak > 0 ? d.endEquity / peak - 1 : 0 });
  }
  const left = 70, top = 10, plotW = width - left - 20, plotH = height - top - 30;
  const min = Math.min(-0.001, ...points.map((p) => p.dd));
  const x = (i: number) => left + (points.length === 1 ? 0 : (i * plotW) / (points.length - 1));
  const y = (v: number) => top + (v / min) * plotH;
  const path = points.map((p, i) => `${x(i).toFixed(1)},${y(p.dd).toFixed(1)}`).join(' ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Drawdown" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ddd"/>`,
    `<polygon fill="rgba(207,34,46,0.35)" stroke="#cf222e" points="${x(0).toFixed(1)},${top} ${path} ${x(points.length - 1).toFixed(1)},${top}"/>`,
    `<text x="${left - 6}" y="${top + 10}" text-anchor="end" font-size="12">0%</text>`,
    `<text x="${left - 6}" y="${top + plotH}" text-anchor="end" font-size="12">${escapeXml(pct(min, 1))}</text>`,
    `<text x="${left}" y="${height - 8}" font-size="12">${escapeXml(points[1]?.label ?? '')}</text>`,
    `<text x="${left + plotW}" y="${height - 8}" text-anchor="end" font-size="12">${escapeXml(points[points.length - 1]!.label)}</text>`,
    '</svg>',
  ].join('\n');
}

/** Histogram of trade returns (%), 20 bins between the extremes, losses red, gains green. */
function histogram(values: readonly number[], width = 800, height = 200): string {
  if (values.length === 0) return '<p>No trades.</p>';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const bins = 20;
  const span = hi - lo || 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / span) * bins))]! += 1;
  const left = 40, top = 10, plotW = width - left - 20, plotH = height - top - 30;
  const most = Math.max(...counts);
  const barW = plotW / bins;
  const bars = counts.map((c, i) => {
    const from = lo + (i * span) / bins;
    const h = (c / most) * plotH;
    const colour = from + span / bins / 2 >= 0 ? '#1a7f37' : '#cf222e';
    return `<rect x="${(left + i * barW + 1).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${colour}"><title>${from.toFixed(2)}% to ${(from + span / bins).toFixed(2)}%: ${c}</title></rect>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Trade P&amp;L distribution" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    ...bars,
    `<text x="${left}" y="${height - 8}" font-size="12">${escapeXml(pctUnits(lo))}</text>`,
    `<text x="${left + plotW}" y="${height - 8}" text-anchor="end" font-size="12">${escapeXml(pctUnits(hi))}</text>`,
    `<text x="${left - 6}" y="${top + 10}" text-anchor="end" font-size="12">${most}</text>`,
    '</svg>',
  ].join('\n');
}
