import { agentNames, type BacktestRunRow, type BacktestRunSummary } from '../../../shared/db/repositories/backtest-runs-repository';
import { formatNewYork } from '../../../shared/time/trading-calendar';
import type { BacktestCompareData, BacktestDetailData, BacktestListData } from '../views/backtests';
import { html, money, percent, price, signClass, type RawHtml } from './format';
import { layout, section } from './layout';
import { svgLine } from './svg';

// ---- the list ----

export function backtestListPage(d: BacktestListData): string {
  const query = (page: number) => `?${new URLSearchParams({ ...(page > 1 ? { page: String(page) } : {}), ...(d.pageSize !== 50 ? { pageSize: String(d.pageSize) } : {}) }).toString()}`.replace(/\?$/, '');
  if (d.total === 0) {
    const why = d.available ? 'No backtest runs stored yet.' : 'No backtest runs yet: this database has no backtest tables (schema 5); the first backtest creates them.';
    const body = html`<section class="panel" id="backtests-empty"><h2>Backtests</h2><p class="muted">${why} Make one with:</p>
<pre><code>${d.howToRun}</code></pre>
<p class="muted">It is stored in this database (<code>backtest_runs</code>) and listed here, newest first, with <code>optimize</code>, <code>walk-forward</code> and <code>parity</code> runs; <code>npm run backtest -- list</code> shows the same in the terminal.</p></section>`;
    return layout({ page: 'backtests', title: 'Backtests', jsonUrl: `/api/backtests${query(d.page)}`, body });
  }
  const first = (d.page - 1) * d.pageSize + 1;
  const last = Math.min(d.total, first + d.runs.length - 1);
  const pager = html`<p class="pager">${d.page > 1 ? html`<a href="/backtests${query(d.page - 1)}">← newer</a>` : ''} page ${d.page} of ${d.pages} ${d.page < d.pages ? html`<a href="/backtests${query(d.page + 1)}">older →</a>` : ''}</p>`;
  const rows = d.runs.map((r) => html`<tr data-run-id="${r.id}"><td><input type="checkbox" name="ids" value="${r.id}" aria-label="compare run ${r.id}"></td><td><a href="/backtest?id=${r.id}">#${r.id}</a></td>
<td>${r.kind}${r.label ? html` <small>${r.label}</small>` : ''}</td><td>${r.agents.join(', ') || 'n/a'}</td><td><code>${r.bars}</code></td><td>${r.fromDay} → ${r.toDay}</td><td>${utc(r.createdAt)}</td>
<td>${r.trades}</td><td class="${signClass(r.netPnl)}">${money(r.netPnl, { sign: true })}</td><td class="${signClass(r.totalReturn)}">${percent(r.totalReturn, { fromRatio: true })}</td>
<td>${fixed(r.sharpe)}</td><td>${percent(r.maxDrawdown, { fromRatio: true })}</td><td>${percent(r.winRate, { fromRatio: true, sign: false })}</td><td>${parityCell(r)}</td>
<td class="${r.status === 'FAILED' ? 'bad' : ''}">${r.status}</td></tr>`);
  const body = html`<p id="backtests-count">${d.total} stored run${d.total === 1 ? '' : 's'}, newest first; showing ${first}–${last}. Optimisation points and walk-forward windows are inside their run.</p>
<form method="get" action="/backtests/compare">
${pager}<div class="scroll"><table class="data" id="backtests-table"><thead><tr><th>compare</th><th>run</th><th>kind</th><th>strategies (agents)</th><th>bars</th><th>period</th><th>created (UTC)</th>
<th>trades</th><th>net P&L</th><th>total return</th><th>Sharpe</th><th>max drawdown</th><th>win rate</th><th>parity: matched, P&L difference</th><th>status</th></tr></thead><tbody>${rows}</tbody></table></div>
<p><button type="submit">Compare the ticked runs</button> <span class="muted">(two to six)</span></p>${pager}</form>`;
  return layout({ page: 'backtests', title: 'Backtests', jsonUrl: `/api/backtests${query(d.page)}`, body });
}

function parityCell(r: BacktestRunSummary): RawHtml | string {
  if (!r.parity) return '';
  const p = r.parity;
  return html`<span class="${p.passed === false ? 'warn' : ''}">${percent(p.matchedShare, { fromRatio: true, sign: false, digits: 1 })} matched, ${money(p.pnlDifference, { sign: true })} (${percent(p.pnlDifferenceShare, { fromRatio: true, sign: false })})</span>`;
}

// ---- one run ----

export function backtestDetailPage(d: BacktestDetailData): string {
  const r = d.run;
  const m = r.metrics;
  const parity = r.kind === 'parity' ? r.detail : undefined;
  const figures: Array<[string, string, number | null]> = parity
    ? [['matched', percent(num(parity.matchedShare), { fromRatio: true, sign: false, digits: 1 }), null], ['P&L difference', money(num(parity.pnlDifference), { sign: true }), num(parity.pnlDifference)],
      ['live / backtest trades', `${String(parity.liveTrades ?? 'n/a')} / ${String(parity.backtestTrades ?? 'n/a')}`, null], ['result', parity.passed === true ? 'passed' : parity.passed === false ? 'below target' : 'n/a', null]]
    : [['trades', String(r.trades), null], ['net P&L', money(r.netPnl, { sign: true }), r.netPnl], ['total return', percent(r.totalReturn, { fromRatio: true }), r.totalReturn],
      ['Sharpe', fixed(r.sharpe), null], ['max drawdown', percent(r.maxDrawdown, { fromRatio: true }), null], ['win rate', percent(num(m.winRate), { fromRatio: true, sign: false }), null]];
  const head = html`<p id="backtest-headline"><strong>Run #${r.id}</strong> · ${r.kind}${r.label ? html` (${r.label})` : ''} · <span class="${r.status === 'FAILED' ? 'bad' : 'ok'}">${r.status}</span>${r.error ? html`: ${r.error}` : ''}
· ${r.fromDay} → ${r.toDay} · bars <code>${r.bars}</code> · ${r.symbols.length} symbol${r.symbols.length === 1 ? '' : 's'} · created ${utc(r.createdAt)} UTC${r.parentId ? html` · part of <a href="/backtest?id=${r.parentId}">#${r.parentId}</a>` : ''}
${r.objective ? html` · objective ${r.objective} ${fixed(r.objectiveValue, 3)}` : ''}</p>
<dl class="figures" id="backtest-figures">${figures.map(([k, v, sign]) => html`<div><dt>${k}</dt><dd class="${signClass(sign)}">${v}</dd></div>`)}</dl>`;
  const equity = d.equity.length > 0
    ? html`<section class="panel wide"><h2>Equity and drawdown <small>daily, ${d.equity.length} trading days</small></h2><figure class="chart" id="chart-backtest-equity" data-chart="daily-equity">${svgLine([d.equity[0]!.startEquity, ...d.equity.map((x) => x.endEquity)], { label: 'equity by day' })}</figure></section>`
    : section('panel-equity', 'Equity', html`<p class="muted">${r.kind === 'optimize' ? 'An optimisation stores its points\' figures, not an equity curve: run the best point with npm run backtest -- run to see one.' : r.kind === 'parity' ? 'A parity check compares trades; it stores no equity curve.' : 'This run stored no daily equity.'}</p>`, 'wide');
  const metricsRows = Object.entries(m).filter(([, v]) => typeof v !== 'object' || v === null);
  const metrics = html`<table class="data stats" id="backtest-metrics"><tbody>${metricsRows.map(([k, v]) => html`<tr><th>${k}</th><td>${metricText(k, v)}</td></tr>`)}</tbody></table>
${m.stats && typeof m.stats === 'object' ? html`<details><summary>engine counts</summary><pre>${JSON.stringify(m.stats, null, 2)}</pre></details>` : ''}`;
  const body = html`${head}<div class="grid">${equity}
${section('panel-backtest-metrics', 'Metrics', metricsRows.length ? metrics : html`<p class="muted">No metrics stored.</p>`)}
${section('panel-backtest-params', 'Parameters and configuration', paramsPanel(r))}
${d.byAgent.length > 1 ? section('panel-backtest-agents', 'By strategy (agent)', agentsTable(d), 'wide') : ''}
${parity ? section('panel-backtest-parity', 'Parity', parityPanel(r), 'wide') : ''}
${d.childCount > 0 ? section('panel-backtest-children', r.kind === 'optimize' ? `Points (${d.childCount}, best first)` : `Windows (${d.childCount})`, childrenTable(d), 'wide') : ''}
${section('panel-backtest-trades', 'Trades', tradesTable(d), 'wide')}</div>`;
  return layout({
    page: 'backtests', title: `Backtest #${r.id}`, jsonUrl: `/api/backtest?id=${r.id}`, body,
    data: { daily: d.equity.map((x) => ({ day: x.tradingDay, equity: x.endEquity, start: x.startEquity, pnl: x.realizedPnl, drawdownPct: x.drawdownPct })) },
  });
}

function paramsPanel(r: BacktestRunRow): RawHtml {
  const strategies = Array.isArray(r.strategies) ? (r.strategies as Array<{ agent?: string; strategy?: string; params?: unknown }>) : [];
  const block = (title: string, value: unknown) => (value && typeof value === 'object' && Object.keys(value).length > 0 ? html`<details><summary>${title}</summary><pre>${JSON.stringify(value, null, 2)}</pre></details>` : '');
  // A parity run's unmatched trades and a walk-forward's windows have tables of their own.
  const { unmatched: _unmatched, windows: _windows, ...detail } = r.detail;
  return html`${strategies.length ? html`<table class="data" id="backtest-strategies"><thead><tr><th>agent</th><th>strategy</th><th>parameters</th></tr></thead><tbody>${strategies.map((s) => html`<tr><td>${s.agent ?? ''}</td><td>${s.strategy ?? ''}</td><td class="data-cell"><code>${JSON.stringify(s.params ?? {})}</code></td></tr>`)}</tbody></table>` : html`<p class="muted">${agentNames(r.strategies).length === 0 && r.strategies && typeof r.strategies === 'object' && !Array.isArray(r.strategies) ? 'Strategies stored as the configuration (an older run): see below.' : 'No strategies stored with this run.'}</p>`}
${r.symbols.length ? html`<p class="muted">Symbols: ${r.symbols.slice(0, 50).join(', ')}${r.symbols.length > 50 ? ` and ${r.symbols.length - 50} more` : ''}</p>` : ''}
${!Array.isArray(r.strategies) ? block('strategies', r.strategies) : ''}${block('engine settings', r.settings)}${block('trading configuration', r.config)}${block('detail', detail)}
${r.resultSha256 ? html`<p class="muted">Result digest <code>${r.resultSha256}</code></p>` : ''}`;
}

function agentsTable(d: BacktestDetailData): RawHtml {
  return html`<table class="data" id="backtest-agents"><thead><tr><th>agent</th><th>strategy</th><th>trades</th><th>won</th><th>lost</th><th>win rate</th><th>net P&L</th><th>commissions</th></tr></thead><tbody>
${d.byAgent.map((a) => html`<tr><td>${a.agentName}</td><td>${a.strategy}</td><td>${a.trades}</td><td>${a.wins}</td><td>${a.losses}</td><td>${percent(a.trades ? a.wins / a.trades : null, { fromRatio: true, sign: false })}</td><td class="${signClass(a.netPnl)}">${money(a.netPnl, { sign: true })}</td><td>${money(a.commissions)}</td></tr>`)}</tbody></table>`;
}

function parityPanel(r: BacktestRunRow): RawHtml {
  const p = r.detail;
  const unmatched = Array.isArray(p.unmatched) ? (p.unmatched as Array<{ side: string; why: string; trade: { tradingDay: string; symbol: string; exitReason: string; realizedPnl: number } }>) : [];
  return html`<table class="data stats"><tbody>
<tr><th>trades: live / backtest / matched</th><td>${String(p.liveTrades ?? 'n/a')} / ${String(p.backtestTrades ?? 'n/a')} / ${String(p.matched ?? 'n/a')}</td></tr>
<tr><th>matched share</th><td>${percent(num(p.matchedShare), { fromRatio: true, sign: false, digits: 1 })}</td></tr>
<tr><th>P&L: live / backtest</th><td>${money(num(p.livePnl))} / ${money(num(p.backtestPnl))}</td></tr>
<tr><th>P&L difference</th><td class="${signClass(num(p.pnlDifference))}">${money(num(p.pnlDifference), { sign: true })} (${percent(num(p.pnlDifferenceShare), { fromRatio: true, sign: false })} of the live P&L)</td></tr>
<tr><th>of the matched trades</th><td>${money(num(p.matchedPnlDifference), { sign: true })}</td></tr></tbody></table>
${unmatched.length ? html`<h3>Unmatched trades (${unmatched.length}${unmatched.length > 100 ? ', the first 100' : ''})</h3><table class="data" id="parity-unmatched"><thead><tr><th>side</th><th>day</th><th>symbol</th><th>reason</th><th>P&L</th><th>why</th></tr></thead><tbody>
${unmatched.slice(0, 100).map((u) => html`<tr><td>${u.side}</td><td>${u.trade?.tradingDay ?? ''}</td><td>${u.trade?.symbol ?? ''}</td><td>${u.trade?.exitReason ?? ''}</td><td>${money(u.trade?.realizedPnl)}</td><td class="data-cell">${u.why}</td></tr>`)}</tbody></table>` : ''}`;
}

function childrenTable(d: BacktestDetailData): RawHtml {
  return html`<table class="data" id="backtest-children"><thead><tr><th>run</th><th>${d.run.kind === 'optimize' ? 'point' : 'window'}</th><th>status</th><th>objective</th><th>trades</th><th>net P&L</th><th>total return</th><th>Sharpe</th><th>max drawdown</th></tr></thead><tbody>
${d.children.map((c) => html`<tr><td><a href="/backtest?id=${c.id}">#${c.id}</a></td><td><code>${c.label ?? ''}</code></td><td class="${c.status === 'FAILED' ? 'bad' : ''}">${c.status}${c.error ? html` <small>${c.error}</small>` : ''}</td><td>${c.objective ?? ''} ${fixed(c.objectiveValue, 3)}</td><td>${c.trades}</td><td class="${signClass(c.netPnl)}">${money(c.netPnl, { sign: true })}</td><td>${percent(c.totalReturn, { fromRatio: true })}</td><td>${fixed(c.sharpe)}</td><td>${percent(c.maxDrawdown, { fromRatio: true })}</td></tr>`)}</tbody></table>
${d.childCount > d.children.length ? html`<p class="muted">The first ${d.children.length} of ${d.childCount}; all of them: <a href="/api/backtest?id=${d.run.id}">JSON</a> or npm run backtest -- show ${d.run.id} --json.</p>` : ''}`;
}

function tradesTable(d: BacktestDetailData): RawHtml {
  if (d.tradeCount === 0) return html`<p class="muted" id="backtest-trades-count">${d.run.kind === 'optimize' || d.run.kind === 'parity' ? 'This kind of run stores no trades of its own.' : 'No trades.'}</p>`;
  const shown = d.trades.length;
  return html`<p id="backtest-trades-count">${d.tradeCount} trade${d.tradeCount === 1 ? '' : 's'}${shown < d.tradeCount ? html`; the first ${shown} (all of them: <a href="/api/backtest?id=${d.run.id}&amp;trades=${Math.min(d.tradeCount, 10_000)}">JSON</a>, or the run's trades.csv)` : ''}.</p>
<div class="scroll"><table class="data" id="backtest-trades"><thead><tr><th>#</th><th>day</th><th>symbol</th><th>agent</th><th>qty</th><th>entry</th><th>entry (ET)</th><th>exit</th><th>exit (ET)</th><th>reason</th><th>commission</th><th>P&L</th><th>%</th></tr></thead><tbody>
${d.trades.map((t, i) => html`<tr><td>${i + 1}</td><td>${t.tradingDay}</td><td>${t.symbol}</td><td>${t.agentName}</td><td>${t.quantity}</td><td>${price(t.entryPrice)}</td><td>${clock(t.entryTimeMs)}</td><td>${price(t.exitPrice)}</td><td>${clock(t.exitTimeMs)}</td><td>${t.exitReason}</td><td>${money(t.commission)}</td><td class="${signClass(t.realizedPnl)}">${money(t.realizedPnl, { sign: true })}</td><td class="${signClass(t.pnlPct)}">${percent(t.pnlPct)}</td></tr>`)}</tbody></table></div>`;
}

// ---- runs side by side ----

const COMPARED: Array<[string, (r: BacktestRunRow) => string]> = [
  ['kind', (r) => `${r.kind}${r.label ? ` (${r.label})` : ''}`],
  ['strategies (agents)', (r) => agentNames(r.strategies).join(', ') || 'n/a'],
  ['bars', (r) => r.bars],
  ['period', (r) => `${r.fromDay} → ${r.toDay}`],
  ['created (UTC)', (r) => utc(r.createdAt)],
  ['trades', (r) => String(r.trades)],
  ['net P&L', (r) => money(r.netPnl, { sign: true })],
  ['total return', (r) => percent(r.totalReturn, { fromRatio: true })],
  ['CAGR', (r) => percent(num(r.metrics.cagr), { fromRatio: true })],
  ['Sharpe', (r) => fixed(r.sharpe)],
  ['Sortino', (r) => fixed(num(r.metrics.sortino))],
  ['max drawdown', (r) => percent(r.maxDrawdown, { fromRatio: true })],
  ['win rate', (r) => percent(num(r.metrics.winRate), { fromRatio: true, sign: false })],
  ['profit factor', (r) => fixed(num(r.metrics.profitFactor))],
  ['average trade', (r) => money(num(r.metrics.averageTrade), { sign: true })],
  ['commissions', (r) => money(num(r.metrics.commissions))],
  ['objective', (r) => (r.objective ? `${r.objective} ${fixed(r.objectiveValue, 3)}` : '')],
  ['parity: matched', (r) => (r.kind === 'parity' ? percent(num(r.detail.matchedShare), { fromRatio: true, sign: false, digits: 1 }) : '')],
  ['parity: P&L difference', (r) => (r.kind === 'parity' ? money(num(r.detail.pnlDifference), { sign: true }) : '')],
  ['result digest', (r) => r.resultSha256?.slice(0, 12) ?? ''],
];

export function backtestComparePage(d: BacktestCompareData): string {
  const ids = d.runs.map((r) => r.id).join(',');
  const body = html`<p><a href="/backtests">← all runs</a></p>
<div class="scroll"><table class="data" id="backtest-compare"><thead><tr><th></th>${d.runs.map((r) => html`<th><a href="/backtest?id=${r.id}">#${r.id}</a></th>`)}</tr></thead><tbody>
${COMPARED.map(([label, value]) => html`<tr><th>${label}</th>${d.runs.map((r) => html`<td>${value(r)}</td>`)}</tr>`)}</tbody></table></div>`;
  return layout({ page: 'backtests', title: `Backtests ${ids}`, jsonUrl: `/api/backtests/compare?ids=${ids}`, body });
}

export function backtestNotFoundPage(message: string): string {
  return layout({ page: 'backtests', title: 'Backtest not found', jsonUrl: '/api/backtests', body: html`<section class="banner"><ul class="notices"><li>${message}</li></ul><p><a href="/backtests">All stored runs</a></p></section>` });
}

// ---- small formats ----

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function fixed(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

/** A run's created_at is the wall clock (UTC), not market time. */
function utc(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

function clock(ms: number): string {
  return Number.isFinite(ms) ? formatNewYork(ms, 'LL-dd HH:mm') : 'n/a';
}

/** Ratios stored in metrics (returns, drawdown, win rate) as percentages; the rest as numbers. */
const RATIO_METRICS = new Set(['totalReturn', 'cagr', 'maxDrawdown', 'winRate', 'dailyWinRate', 'timeInMarket', 'annualizedVolatility']);
const MONEY_METRICS = new Set(['netPnl', 'averageTrade', 'commissions', 'averageWin', 'averageLoss', 'largestWin', 'largestLoss']);

function metricText(key: string, value: unknown): string {
  if (typeof value !== 'number') return value === null || value === undefined ? 'n/a' : String(value);
  if (RATIO_METRICS.has(key)) return percent(value, { fromRatio: true, sign: key !== 'winRate' });
  if (MONEY_METRICS.has(key)) return money(value, { sign: key === 'netPnl' || key === 'averageTrade' });
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
