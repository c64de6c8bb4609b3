import { showsAgentTable } from '../../../shared/analytics/report/by-agent';
import type { PerformanceData, PerformanceQueryParams } from '../views/performance';
import type { OperationsData, PortfolioData, TradesData } from '../views/tables';
import { tradesQueryString } from '../views/tables';
import { duration, html, money, nyTime, percent, price, raw, shares, signClass, type RawHtml } from './format';
import { chartPoints, layout, section } from './layout';
import { svgBars, svgLine } from './svg';

// ---- performance ----

export function performancePage(d: PerformanceData): string {
  const m = d.metrics;
  const t = m.trades;
  const q = d.query;
  const filter = html`<form class="filters" method="get" action="/performance">
<label>from <input type="date" name="from" value="${q.from ?? ''}"></label> <label>to <input type="date" name="to" value="${q.to ?? ''}"></label>
<label>symbol <input name="symbol" value="${q.symbol ?? ''}" size="8"></label> <label>agent <input name="agent" value="${q.agent ?? ''}" size="12"></label>
<button type="submit">Apply</button> <a href="/performance">reset</a></form>`;
  const stats: Array<[string, string]> = [
    ['trading days', String(m.tradingDays)], ['start → end equity', `${money(m.startEquity)} → ${money(m.endEquity)}`], ['realized P&L', money(m.realizedPnl, { sign: true })],
    ['total return', percent(m.totalReturn, { fromRatio: true })], ['CAGR', percent(m.cagr, { fromRatio: true })], ['annualized volatility', percent(m.annualizedVolatility, { fromRatio: true, sign: false })],
    ['Sharpe', fixed(m.sharpeRatio)], ['Sortino', fixed(m.sortinoRatio)], ['Calmar', fixed(m.calmarRatio)], ['max drawdown', percent(m.maxDrawdown, { fromRatio: true })],
    ['max drawdown days (trading)', String(m.drawdown.maxDrawdownTradingDays ?? 'n/a')], ['current drawdown', percent(m.drawdown.currentDrawdown, { fromRatio: true })],
    ['recovery factor', fixed(m.recoveryFactor)], ['best / worst day', `${m.bestDay ? `${m.bestDay.day} ${money(m.bestDay.pnl, { sign: true })}` : 'n/a'} / ${m.worstDay ? `${m.worstDay.day} ${money(m.worstDay.pnl, { sign: true })}` : 'n/a'}`],
    ['daily win rate', percent(m.dailyWinRate, { fromRatio: true, sign: false })], ['trades', String(t.trades)], ['win rate', percent(t.winRate, { fromRatio: true, sign: false })],
    ['profit factor', fixed(t.profitFactor)], ['average trade', money(t.averageTrade, { sign: true })], ['average win / loss', `${money(t.averageWin)} / ${money(t.averageLoss)}`],
    ['largest win / loss', `${money(t.largestWin)} / ${money(t.largestLoss)}`], ['win / loss streaks', `${t.longestWinningStreak} / ${t.longestLosingStreak}`],
    ['average holding', t.averageHoldingMinutes === null ? 'n/a' : `${t.averageHoldingMinutes.toFixed(1)} min`], ['commissions', money(t.commissions)],
    ['exposure (time in market)', percent(m.timeInMarket, { fromRatio: true, sign: false })],
    ['NAV high-water mark', d.highWater ? `${money(d.highWater.peakNav)} (${nyTime(d.highWater.peakAt, true)} ET)` : 'n/a (no snapshots)'],
  ];
  const body = html`${filter}
<div class="grid">
<section class="panel wide"><h2>Equity and drawdown <small>daily; ${d.snapshotDays} days with portfolio snapshots</small></h2>
<figure class="chart" id="chart-daily-equity" data-chart="daily-equity">${svgLine([d.daily[0]?.startEquity ?? null, ...d.daily.map((x) => x.endEquity)], { label: 'equity by day' })}</figure></section>
<section class="panel wide"><h2>Daily P&L <small>realized, by trading day of the exit</small></h2><figure class="chart" id="chart-daily-pnl" data-chart="daily-pnl">${svgBars(d.daily.map((x) => x.pnl), { label: 'P&L by day' })}</figure></section>
${section('panel-stats', 'Statistics', html`<table class="data stats"><tbody>${stats.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>`)}
${section('panel-monthly', 'Monthly returns', monthlyTable(d))}
${section('panel-heatmap', 'P&L by symbol and time of day (exit, New York)', heatmapTable(d), 'wide')}
${showsAgentTable(d) ? section('panel-agents', 'By strategy', agentTable(d), 'wide') : ''}
${section('panel-symbols', 'By symbol', html`<table class="data"><thead><tr><th>symbol</th><th>trades</th><th>win rate</th><th>net P&L</th><th>profit factor</th></tr></thead><tbody>${d.bySymbol.map((r) => html`<tr><td>${r.key}</td><td>${r.trades}</td><td>${percent(r.winRate, { fromRatio: true, sign: false })}</td><td class="${signClass(r.netProfit)}">${money(r.netProfit, { sign: true })}</td><td>${fixed(r.profitFactor)}</td></tr>`)}</tbody></table>`)}
</div>`;
  return layout({
    page: 'performance', title: 'Performance', jsonUrl: `/api/performance${queryOf(q)}`, body,
    data: { daily: d.daily.map((x) => ({ day: x.tradingDay, equity: x.endEquity, start: x.startEquity, pnl: x.pnl, drawdownPct: x.drawdownPct })) },
  });
}

function queryOf(q: PerformanceQueryParams): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function fixed(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

/** One row per agent_name, the figures of `npm run stats`; each name opens the page filtered to that agent. */
function agentTable(d: PerformanceData): RawHtml {
  return html`<table class="data" id="agents-table"><thead><tr><th>agent</th><th>trades</th><th>won</th><th>lost</th><th>win rate</th><th>net P&L</th><th>profit factor</th><th>avg win</th><th>avg loss</th><th>max drawdown</th></tr></thead><tbody>
${d.byAgent.map((r) => html`<tr><td><a href="/performance${queryOf({ ...d.query, agent: r.agent })}">${r.agent}</a></td><td>${r.trades}</td><td>${r.wins}</td><td>${r.losses}</td><td>${percent(r.winRate, { fromRatio: true, sign: false })}</td><td class="${signClass(r.netProfit)}">${money(r.netProfit, { sign: true })}</td><td>${r.losses === 0 ? 'n/a (no losers)' : fixed(r.profitFactor)}</td><td>${money(r.averageWin)}</td><td>${money(r.averageLoss)}</td><td>${percent(r.maxDrawdown, { fromRatio: true })}</td></tr>`)}</tbody></table>
<p class="muted">Max drawdown of each strategy's own equity: initial capital + its realized P&L (the account's NAV belongs to all of them).</p>`;
}

function monthlyTable(d: PerformanceData): RawHtml {
  if (d.monthly.length === 0) return html`<p class="muted">No trading days yet.</p>`;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return html`<table class="data monthly"><thead><tr><th>year</th>${months.map((m) => html`<th>${m}</th>`)}<th>year</th></tr></thead><tbody>${d.monthly.map((y) => html`<tr><th>${y.year}</th>${y.months.map((r) => html`<td class="${signClass(r)}">${r === null ? '' : percent(r, { fromRatio: true })}</td>`)}<td class="${signClass(y.total)}"><strong>${percent(y.total, { fromRatio: true })}</strong></td></tr>`)}</tbody></table>`;
}

/** Colour classes in steps (no inline styles: the page's CSP allows none). */
function heatClass(pnl: number, maxAbs: number): string {
  if (maxAbs <= 0 || pnl === 0) return 'heat-0';
  const step = Math.min(4, Math.max(1, Math.ceil((Math.abs(pnl) / maxAbs) * 4)));
  return pnl > 0 ? `heat-p${step}` : `heat-n${step}`;
}

function heatmapTable(d: PerformanceData): RawHtml {
  const h = d.heatmap;
  if (h.rows.length === 0) return html`<p class="muted">No closed trades in this range.</p>`;
  const cell = (c: { pnl: number; trades: number }) => html`<td class="${heatClass(c.pnl, h.maxAbsPnl)}" title="${c.trades} trades">${c.trades ? money(c.pnl) : ''}</td>`;
  return html`<div class="scroll"><table class="data heatmap"><thead><tr><th>symbol</th>${h.buckets.map((b) => html`<th>${b}</th>`)}<th>total</th></tr></thead><tbody>
${h.rows.map((r) => html`<tr><th>${r.symbol}</th>${r.cells.map(cell)}<td class="${signClass(r.pnl)}">${money(r.pnl, { sign: true })}</td></tr>`)}
<tr class="total"><th>all symbols</th>${h.total.map((c) => html`<td class="${signClass(c.pnl)}">${c.trades ? money(c.pnl) : ''}</td>`)}<td></td></tr></tbody></table></div>
<p class="muted">The ${h.rows.length} most traded symbols; darker is larger P&L (green gains, red losses).</p>`;
}

// ---- trades ----

export function tradesPage(d: TradesData): string {
  const q = d.query;
  const option = (value: string, selected: string | undefined) => html`<option value="${value}"${raw(value === (selected ?? '') ? ' selected' : '')}>${value || 'any'}</option>`;
  const filter = html`<form class="filters" method="get" action="/trades">
<label>symbol <input name="symbol" value="${q.symbol ?? ''}" size="8"></label>
<label>agent <select name="agent">${['', ...d.filterValues.agents].map((v) => option(v, q.agentName))}</select></label>
<label>exit reason <select name="reason">${['', ...d.filterValues.reasons].map((v) => option(v, q.exitReason))}</select></label>
<label>outcome <select name="outcome">${['', 'win', 'loss'].map((v) => option(v, q.outcome))}</select></label>
<label>from <input type="date" name="from" value="${q.from ?? ''}"></label> <label>to <input type="date" name="to" value="${q.to ?? ''}"></label>
<button type="submit">Filter</button> <a href="/trades">reset</a> · <a id="csv-link" href="/api/trades.csv${tradesQueryString({ ...q, page: 1 })}" download>download CSV</a></form>`;
  const rows = d.trades.map((t) => html`<tr><td>${nyTime(t.exitTime, true)}</td><td>${t.symbol}</td><td>${t.agentName}</td><td>${t.direction}</td><td>${shares(t.quantity)}</td><td>${price(t.entryPrice)}</td><td>${price(t.exitPrice)}</td>
<td>${t.exitReason ?? ''}</td><td>${duration(t.exitTime ? Date.parse(t.exitTime) - Date.parse(t.entryTime) : null)}</td><td>${money(t.commission)}</td><td class="${signClass(t.realizedPnl)}">${money(t.realizedPnl, { sign: true })}</td><td class="${signClass(t.pnlPct)}">${percent(t.pnlPct)}</td><td><code>${t.positionId}</code></td></tr>`);
  const pager = html`<p class="pager">${q.page > 1 ? html`<a href="/trades${tradesQueryString(q, { page: q.page - 1 })}">← newer</a>` : ''} page ${q.page} of ${d.pages} ${q.page < d.pages ? html`<a href="/trades${tradesQueryString(q, { page: q.page + 1 })}">older →</a>` : ''}</p>`;
  const body = html`${filter}
<p>${d.totals.trades} closed trade${d.totals.trades === 1 ? '' : 's'} · ${d.totals.wins} won, ${d.totals.losses} lost · net <span class="${signClass(d.totals.realizedPnl)}">${money(d.totals.realizedPnl, { sign: true })}</span></p>
${pager}<div class="scroll"><table class="data" id="trades-table"><thead><tr><th>exit (ET)</th><th>symbol</th><th>agent</th><th>side</th><th>qty</th><th>entry</th><th>exit</th><th>reason</th><th>held (market)</th><th>commission</th><th>P&L</th><th>%</th><th>position</th></tr></thead><tbody>${rows}</tbody></table></div>${pager}`;
  return layout({ page: 'trades', title: 'Trades', jsonUrl: `/api/trades${tradesQueryString(q)}`, body });
}

// ---- portfolio ----

export function portfolioPage(d: PortfolioData): string {
  const s = d.snapshot;
  if (!d.available || !s) {
    const why = !d.available ? 'This database has no snapshot tables yet: the bots create them when they start with this version (schema 3).' : 'No portfolio snapshot yet: the reconciler takes one every SNAPSHOT_INTERVAL_S of market time while the market is open, and one after the close.';
    return layout({ page: 'portfolio', title: 'Portfolio', jsonUrl: '/api/portfolio', body: html`<p class="muted">${why}</p>` });
  }
  const row = (label: string, ib: number | null, ours: number | null, diff: number | null, note = '') => html`<tr><th>${label}</th><td>${money(ib)}</td><td>${money(ours)}</td><td class="${signClass(diff)}">${money(diff, { sign: true })}</td><td class="muted">${note}</td></tr>`;
  const ourDay = s.ourUnrealizedPnl === null ? null : s.ourRealizedPnl + s.ourUnrealizedPnl;
  const figures = html`<table class="data"><thead><tr><th></th><th>IB</th><th>ours</th><th>IB − ours</th><th></th></tr></thead><tbody>
${row('net liquidation', s.ibNetLiquidation, s.ourNav, s.navDifference, `ours = opening NAV ${money(s.ourStartNav)} + our realized and unrealized P&L`)}
${row('day P&L', s.ibDailyPnl, ourDay, s.dailyPnlDifference, 'IB: the whole account; ours: the bots\' positions')}
${row('realized today', s.ibRealizedPnl, s.ourRealizedPnl, s.ibRealizedPnl === null ? null : s.ibRealizedPnl - s.ourRealizedPnl)}
${row('unrealized', s.ibUnrealizedPnl, s.ourUnrealizedPnl, s.ibUnrealizedPnl === null || s.ourUnrealizedPnl === null ? null : s.ibUnrealizedPnl - s.ourUnrealizedPnl)}
${row('gross position value', s.ibGrossPositionValue, s.ourGrossPositionValue, s.grossPositionValueDifference, 'the difference is what the bots do not hold')}
${row('cash', s.ibTotalCash, null, null)}</tbody></table>`;
  const positions = html`<table class="data" id="snapshot-positions"><thead><tr><th>instrument</th><th>bots'</th><th>broker qty</th><th>our qty</th><th>IB avg cost</th><th>our entry</th><th>price</th><th>market value</th><th>unrealized (IB cost)</th><th>unrealized (ours)</th><th>realized today</th><th>qty difference</th></tr></thead><tbody>
${d.positions.map((p) => html`<tr><td>${p.symbol} <small>${p.secType} ${p.currency}</small></td><td>${p.ours ? 'yes' : 'no'}</td><td>${shares(p.quantity)}</td><td>${shares(p.ourQuantity)}</td><td>${price(p.averageCost)}</td><td>${price(p.ourEntryPrice)}</td><td>${price(p.price)}</td><td>${money(p.marketValue)}</td><td class="${signClass(p.unrealizedPnl)}">${money(p.unrealizedPnl, { sign: true })}</td><td class="${signClass(p.ourUnrealizedPnl)}">${money(p.ourUnrealizedPnl, { sign: true })}</td><td>${money(p.realizedPnl, { sign: true })}</td><td class="${p.quantityDifference ? 'warn' : ''}">${shares(p.quantityDifference)}</td></tr>`)}</tbody></table>`;
  const body = html`<p>Snapshot #${s.id} (${s.kind}) at ${nyTime(s.takenAt, true)} ET, account ${s.account || 'n/a'}; NAV ${money(s.nav)} from ${s.navSource === 'ib' ? 'IB' : 'our books (IB did not answer)'} ·
peak ${money(d.highWater?.peakNav ?? s.peakNav)}${d.highWater ? html` (${nyTime(d.highWater.peakAt, true)} ET)` : ''} · drawdown ${money(s.drawdown)} (${percent(s.drawdownPct)}) · ${d.totalSnapshots} snapshots stored</p>
<div class="grid">${section('panel-figures', 'IB\'s figures beside ours', figures, 'wide')}
<section class="panel wide"><h2>Intraday NAV ${s.tradingDay}</h2><figure class="chart" id="chart-portfolio" data-chart="intraday">${svgLine(d.intraday.map((p) => p.nav), { label: 'NAV' })}</figure></section>
${section('panel-snapshot-positions', 'Positions in this snapshot', positions, 'wide')}
${Object.keys(s.detail).length ? section('panel-detail', 'Notes', html`<pre>${JSON.stringify(s.detail, null, 2)}</pre>`) : ''}</div>`;
  return layout({ page: 'portfolio', title: 'Portfolio', jsonUrl: `/api/portfolio?id=${s.id}`, body, data: { equity: { openNav: s.ourStartNav, tradingDay: s.tradingDay, points: chartPoints(d.intraday) } } });
}

// ---- operations ----

export function operationsPage(d: OperationsData): string {
  const schedule = html`<table class="data" id="schedule-table"><thead><tr><th>trigger</th><th>due (ET)</th><th>state</th><th>detail</th></tr></thead><tbody>
${d.schedule.upcoming.map((t) => html`<tr><td>${t.kind}${t.scanTime ? ` ${t.scanTime}` : ''}</td><td>${nyTime(t.dueAt, true)}</td><td class="${t.fired?.status === 'FAILED' || t.fired?.status === 'EXPIRED' ? 'bad' : t.fired ? 'ok' : 'muted'}">${t.fired?.status ?? 'not yet'}</td><td class="data-cell">${t.fired ? detailText(t.fired.detail) : ''}</td></tr>`)}</tbody></table>
<h3>Last runs</h3><table class="data"><thead><tr><th>key</th><th>fired</th><th>status</th><th>detail</th></tr></thead><tbody>${d.schedule.recent.map((t) => html`<tr><td>${t.key}</td><td>${nyTime(t.firedAt, true)}</td><td>${t.status}</td><td class="data-cell">${detailText(t.detail)}</td></tr>`)}</tbody></table>`;
  const latest = d.reconciliation.latest;
  const details = (latest?.details ?? []) as Array<Record<string, unknown>>;
  const reconciliation = html`${latest ? html`<p>Last run ${nyTime(latest.runAt, true)} ET (${latest.trigger}): <strong class="${latest.status === 'OK' ? 'ok' : 'warn'}">${latest.status}</strong>, ${latest.symbols} symbols, ${latest.discrepancies} discrepancies, ${latest.repaired} repaired, ${latest.flagged} flagged${latest.error ? html`, error: ${latest.error}` : ''}</p>
<table class="data" id="reconciliation-details"><thead><tr><th>symbol</th><th>status</th><th>DB</th><th>broker</th><th>not ours</th><th>action</th></tr></thead><tbody>${details.filter((r) => r.status !== 'OK').map((r) => html`<tr class="${r.flagged ? 'bad' : ''}"><td>${r.symbol}</td><td>${r.status}</td><td>${shares(r.dbQuantity as number | null)}</td><td>${shares(r.brokerQuantity as number)}</td><td>${shares(r.foreignQuantity as number)}</td><td>${r.action}</td></tr>`)}</tbody></table>` : html`<p class="muted">No reconciliation yet.</p>`}
<h3>Recent runs</h3><table class="data"><thead><tr><th>time (ET)</th><th>trigger</th><th>status</th><th>symbols</th><th>discrepancies</th><th>repaired</th><th>flagged</th></tr></thead><tbody>${d.reconciliation.recent.map((r) => html`<tr><td>${nyTime(r.runAt, true)}</td><td>${r.trigger}</td><td class="${r.status === 'OK' ? 'ok' : 'warn'}">${r.status}</td><td>${r.symbols}</td><td>${r.discrepancies}</td><td>${r.repaired}</td><td>${r.flagged}</td></tr>`)}</tbody></table>`;
  const run = d.signals.run;
  const signals = run
    ? html`<p>Scan #${run.id} (${run.trigger}) started ${nyTime(run.started_at, true)} ET: ${run.status}, ${run.candidates} candidates, ${run.taken} taken${run.error ? html`, error: ${run.error}` : ''}</p>
<table class="data" id="signals-table"><thead><tr><th>symbol</th><th>score</th><th>decision</th><th>why</th><th>price</th><th>RSI</th><th>ATR %</th><th>gap %</th><th>rel. volume</th><th>spread %</th></tr></thead><tbody>${d.signals.candidates.map((c) => html`<tr class="${c.decision === 'TAKEN' ? 'ok' : ''}"><td>${c.symbol}</td><td>${fixed(c.score as number, 0)}</td><td>${c.decision}</td><td>${c.reason}</td><td>${price(c.price as number | null)}</td><td>${fixed(c.rsi as number | null, 1)}</td><td>${fixed(c.atr_pct as number | null)}</td><td>${fixed(c.gap_pct as number | null)}</td><td>${fixed(c.relative_volume as number | null)}</td><td>${fixed(c.spread_pct as number | null)}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No scan yet.</p>`;
  const body = html`<div class="grid">${section('panel-schedule', `Schedule (trading day ${d.schedule.tradingDay} and the next)`, schedule)}
${section('panel-reconciliation', 'Reconciliation', reconciliation)}
${section('panel-signals', 'Signals of the last scan', signals, 'wide')}</div>`;
  return layout({ page: 'operations', title: 'Operations', jsonUrl: '/api/operations', body });
}

function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
}
