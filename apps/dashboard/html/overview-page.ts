import type { AuditEvent } from '../../../shared/db/repositories/events-repository';
import type { AppStatus, StatusReport } from '../../../scripts/status/status-model';
import type { OverviewData, PositionView } from '../views/overview';
import { bytes, duration, html, money, nyTime, percent, price, raw, shares, signClass, type RawHtml } from './format';
import { chartPoints, layout, section } from './layout';
import { svgLine } from './svg';

/** The panels the live feed re-renders, by element id (the SSE `state` message carries them). */
export function overviewPanels(d: OverviewData): Record<string, string> {
  return {
    'panel-banner-body': bannerPanel(d).text,
    'panel-system-body': systemPanel(d.status).text,
    'panel-positions-body': positionsPanel(d).text,
    'panel-today-body': todayPanel(d).text,
    'panel-equity-stats': equityStats(d).text,
    'headline-box': headline(d.status).text,
  };
}

export function overviewPage(d: OverviewData): string {
  const body = html`
<section id="panel-banner" class="banner"><div id="panel-banner-body">${raw(bannerPanel(d).text)}</div></section>
<div class="grid">
${section('panel-positions', 'Positions', positionsPanel(d), 'wide')}
${section('panel-today', 'Today', todayPanel(d))}
<section id="panel-equity" class="panel"><h2>Equity and drawdown${d.equity.tradingDay ? html` <small>${d.equity.tradingDay}, from portfolio snapshots</small>` : ''}</h2>
<div id="panel-equity-stats">${equityStats(d)}</div>
<figure class="chart" id="chart-equity" data-chart="intraday">${svgLine(d.equity.points.map((p) => p.nav), { label: 'NAV today', baseline: d.equity.openNav })}</figure>
</section>
${section('panel-system', 'System', systemPanel(d.status), 'wide')}
${section('panel-events', 'Audit trail', eventsTable(d.events), 'wide')}
</div>`;
  return layout({
    page: 'overview', title: 'Overview', jsonUrl: '/api/overview', body, live: true, headline: headline(d.status),
    data: { lastEventId: d.lastEventId, equity: { openNav: d.equity.openNav, tradingDay: d.equity.tradingDay, points: chartPoints(d.equity.points) } },
  });
}

/** A page whose data cannot be read: what is wrong and how to fix it, with the navigation (the overview shows the rest). */
export function problemPage(problem: { kind: string; message: string }): string {
  const body = html`<section class="banner"><ul class="notices"><li>${problem.kind === 'missing' ? 'No database yet: ' : `The database cannot be read (${problem.kind}): `}${problem.message}</li></ul>
<p>The <a href="/">overview</a> shows what the processes, PM2 and the broker say meanwhile.</p></section>`;
  return layout({ page: 'overview', title: 'Database unavailable', jsonUrl: '/api/status', body });
}

export function headline(status: StatusReport): RawHtml {
  return html`${status.mode} · ${status.market.newYorkTime} ET · ${status.market.phase} · day ${status.market.tradingDay}`;
}

function bannerPanel(d: OverviewData): RawHtml {
  const { status, freshness } = d;
  const halt = status.halt
    ? html`<div class="halt" role="alert">TRADING HALTED by ${status.halt.setBy} at ${status.halt.setAtNewYork} ET (${status.halt.reason}) — no entries, no protection changes; lift with <code>npm run liquidate -- --resume</code></div>`
    : '';
  const alerts = status.alerts.length
    ? html`<ul class="alerts" role="alert">${status.alerts.map((a) => html`<li>${a}</li>`)}</ul>`
    : html`<p class="ok">No alerts.</p>`;
  const notices = freshness.notices.length ? html`<ul class="notices">${freshness.notices.map((n) => html`<li>${n}</li>`)}</ul>` : '';
  return html`${halt}${notices}${alerts}`;
}

function systemPanel(status: StatusReport): RawHtml {
  const pm2 = status.processes.pm2 === 'running' ? '' : status.processes.pm2 === 'not_running'
    ? html`<p class="warn">PM2 is not running under ${status.processes.pm2Home}: no processes are managed (npm start starts them).</p>`
    : html`<p class="warn">PM2 could not be asked: ${status.processes.pm2Problem}</p>`;
  const rows = status.processes.apps.map((app) => appRow(app));
  const broker = status.broker.reachable
    ? html`<p>Broker (dashboard's read-only link, client ${status.broker.clientId}): ${status.broker.endpoint}, account ${status.broker.accountId ?? 'n/a'}, net liquidation ${money(status.broker.netLiquidation)}, buying power ${money(status.broker.buyingPower)}${status.broker.problems.length ? html` — <span class="warn">${status.broker.problems.join('; ')}</span>` : ''}${!status.broker.positionsKnown && status.broker.problems.length === 0 ? html` — <span class="muted">positions and working orders are read again after the latest fill (IB reports them up to seconds later): protection shows as unverified until then</span>` : ''}</p>`
    : html`<p class="warn">Broker: ${status.broker.problem}</p>`;
  const db = status.database.usable ? html`<p>Database: ${status.database.path}</p>` : html`<p class="warn">Database (${status.database.problemKind}): ${status.database.problem}</p>`;
  return html`${pm2}<table class="data"><thead><tr><th>process</th><th>PM2</th><th>pid</th><th>uptime</th><th>restarts</th><th>memory</th><th>heartbeat</th><th>broker link</th><th>state</th></tr></thead>
<tbody>${rows}</tbody></table>${broker}${db}
<p>Next scheduled: ${status.schedule.next ? html`${status.schedule.next.kind} at ${status.schedule.next.newYorkTime} ET` : 'none'}${status.reconciliation ? html` · last reconciliation ${nyTime(status.reconciliation.runAt, true)} ET: <span class="${status.reconciliation.status === 'OK' ? 'ok' : 'warn'}">${status.reconciliation.status}</span>, ${status.reconciliation.discrepancies} discrepancies` : ''}</p>`;
}

function appRow(app: AppStatus): RawHtml {
  const beat = app.heartbeat;
  const pm2Class = app.pm2Status === 'online' ? 'ok' : app.pm2Status === 'unknown' || app.pm2Status === 'not running' ? 'muted' : 'bad';
  const state: string[] = [];
  if (beat?.protecting === true) state.push('protecting');
  if (beat?.protecting === false) state.push('NOT protecting');
  if (beat?.marketData) state.push(`market data ${beat.marketData.type}${beat.marketData.reason ? ` (${beat.marketData.reason})` : ''}`);
  return html`<tr data-app="${app.name}"><td>${app.name}</td><td class="${pm2Class}">${app.pm2Status}</td><td>${app.pid ?? '—'}</td><td>${duration(app.uptimeMs)}</td>
<td>${app.restarts ?? '—'}</td><td>${bytes(app.memoryBytes)}</td>
<td class="${beat ? (beat.stale ? 'bad' : 'ok') : 'muted'}">${beat ? `${duration(beat.ageMs)} ago, ${beat.state}` : '—'}</td>
<td class="${beat?.brokerLink === 'up' ? 'ok' : beat?.brokerLink === 'connecting' || !beat?.brokerLink ? 'muted' : 'bad'}">${beat?.brokerLink ?? '—'}</td>
<td class="data-cell${beat?.protecting === false ? ' bad' : ''}">${state.join(', ') || '—'}</td></tr>`;
}

function positionsPanel(d: OverviewData): RawHtml {
  if (!d.status.database.usable && d.positions.length === 0) return html`<p class="muted">Unknown: the database cannot be read and the broker's positions are not known.</p>`;
  const rows = d.positions.map((p) => positionRow(p));
  const table = d.positions.length === 0
    ? html`<p class="muted">No open positions.</p>`
    : html`<table class="data" id="positions-table"><thead><tr><th>symbol</th><th>status</th><th>qty</th><th>entry</th><th>last</th><th>unrealized</th><th>stop</th><th>target</th><th>protection</th><th>age</th></tr></thead><tbody>${rows}</tbody></table>`;
  const foreign = d.status.foreignPositions.length
    ? html`<h3>Not the bots' (as the reconciler last saw the account)</h3><table class="data"><thead><tr><th>instrument</th><th>qty</th><th>of which the bots'</th><th>avg cost</th><th>handling</th></tr></thead><tbody>${d.status.foreignPositions.map((f) => html`<tr><td>${f.description}</td><td>${shares(f.quantity)}</td><td>${shares(f.oursQuantity)}</td><td>${price(f.averageCost)}</td><td>${f.handling}</td></tr>`)}</tbody></table>`
    : '';
  return html`${table}${foreign}`;
}

function positionRow(p: PositionView): RawHtml {
  const qty = p.brokerQuantity !== null && p.brokerQuantity !== p.quantity ? `${shares(p.quantity)} (broker ${shares(p.brokerQuantity)})` : shares(p.quantity);
  const protectionClass = p.protection === 'PROTECTED' || p.protection === 'PROTECTED_UNVERIFIED' ? 'ok' : p.protection === 'UNPROTECTED' || p.protection === 'PROTECTION_MISSING' ? 'bad' : 'muted';
  return html`<tr data-symbol="${p.symbol}"><td>${p.symbol}</td><td>${p.status}</td><td>${qty}</td><td>${price(p.entryPrice)}</td>
<td title="${p.priceSource === 'snapshot' ? 'from the latest portfolio snapshot (no live quote)' : p.priceSource === 'broker' ? 'live quote' : 'no price'}">${price(p.lastPrice)}${p.priceSource === 'snapshot' ? '*' : ''}</td>
<td class="${signClass(p.unrealizedPnl)}">${money(p.unrealizedPnl, { sign: true })} (${percent(p.unrealizedPct)})</td>
<td>${price(p.stopLossPrice)} <small>${percent(p.stopDistancePct)}</small></td><td>${price(p.profitTargetPrice)} <small>${percent(p.targetDistancePct)}</small></td>
<td class="${protectionClass}">${p.protection}${p.unprotectedForMs !== null ? ` for ${duration(p.unprotectedForMs)}` : ''}</td><td>${duration(p.ageMs)}</td></tr>`;
}

function todayPanel(d: OverviewData): RawHtml {
  const { pnl } = d.status;
  const l = d.lossLimit;
  const used = l.usedRatio === null ? null : Math.min(1, l.usedRatio);
  const meter = l.limit === null || l.dayPnl === null
    ? html`<p class="muted">Daily loss limit (${l.limitPct} % of net liquidation): not known (${l.nav === null ? 'no net liquidation' : 'no unrealized P&L'}).</p>`
    : html`<p class="${l.breached ? 'bad' : ''}">Daily loss limit ${l.limitPct} % of ${money(l.nav)} = ${money(l.limit)}: day P&L ${money(l.dayPnl, { sign: true })}, headroom <strong>${money(l.headroom)}</strong>${l.breached ? ' — LIMIT HIT: no new entries today' : ''}</p>
<meter id="loss-meter" min="0" max="1" low="0.5" high="0.8" optimum="0" value="${(used ?? 0).toFixed(3)}">${percent(used, { fromRatio: true, sign: false })}</meter>`;
  const closed = d.status.closedToday.length
    ? html`<table class="data"><thead><tr><th>closed</th><th>symbol</th><th>qty</th><th>entry</th><th>exit</th><th>reason</th><th>P&L</th></tr></thead><tbody>${d.status.closedToday.map((c) => html`<tr><td>${nyTime(c.closedAt)}</td><td>${c.symbol}</td><td>${shares(c.quantity)}</td><td>${price(c.entryPrice)}</td><td>${price(c.exitPrice)}</td><td>${c.exitReason}</td><td class="${signClass(c.realizedPnl)}">${money(c.realizedPnl, { sign: true })}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No trades closed today.</p>`;
  const fills = d.fills.length
    ? html`<details><summary>${d.fills.length} fills today</summary><table class="data" id="fills-table"><thead><tr><th>time</th><th>symbol</th><th>side</th><th>qty</th><th>price</th><th>purpose</th><th>commission</th></tr></thead><tbody>${d.fills.slice(0, 200).map((f) => html`<tr><td>${nyTime(f.executedAt)}</td><td>${f.symbol}</td><td>${f.side}</td><td>${shares(f.quantity)}</td><td>${price(f.price)}</td><td>${f.purpose}${f.exitReason ? ` ${f.exitReason}` : ''}</td><td>${money(f.commission)}</td></tr>`)}</tbody></table></details>`
    : '';
  return html`<dl class="figures"><div><dt>realized</dt><dd class="${signClass(pnl.realized)}" id="pnl-realized">${money(pnl.realized, { sign: true })}</dd></div>
<div><dt>unrealized${pnl.unrealizedComplete ? '' : ' (incomplete)'}</dt><dd class="${signClass(pnl.unrealized)}" id="pnl-unrealized">${money(pnl.unrealized, { sign: true })}</dd></div>
<div><dt>total</dt><dd class="${signClass(pnl.total)}" id="pnl-total">${money(pnl.total, { sign: true })}</dd></div></dl>
${meter}${closed}${fills}`;
}

function equityStats(d: OverviewData): RawHtml {
  if (!d.snapshotsAvailable) return html`<p class="muted">Portfolio snapshots start once the bots run this version (schema 3).</p>`;
  const s = d.equity.latest;
  if (!s) return html`<p class="muted">No portfolio snapshot yet: the reconciler takes one every market minute while the market is open.</p>`;
  return html`<dl class="figures"><div><dt>NAV (${s.navSource === 'ib' ? 'IB' : 'ours'})</dt><dd>${money(s.nav)}</dd></div>
<div><dt>peak</dt><dd>${money(d.equity.highWater?.peakNav ?? s.peakNav)}</dd></div>
<div><dt>drawdown</dt><dd class="${signClass(s.drawdown)}">${money(s.drawdown)} (${percent(s.drawdownPct)})</dd></div>
<div><dt>IB − ours</dt><dd title="IB's net liquidation minus our books (opening NAV + our P&L): holdings that are not the bots', commissions, prices">${money(s.navDifference, { sign: true })}</dd></div></dl>
<p class="muted">Snapshot ${nyTime(s.takenAt, true)} ET · ${s.positions} instruments held, ${s.ourPositions} the bots' · <a href="/portfolio">IB's figures beside ours</a></p>`;
}

export function eventRow(e: AuditEvent): RawHtml {
  const data = Object.entries(e.data).slice(0, 6).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  return html`<tr data-event-id="${e.id}" class="level-${e.level}"><td>${e.id}</td><td>${nyTime(e.at, true)}</td><td>${e.app}</td><td>${e.level}</td><td>${e.event}</td><td>${e.symbol ?? ''}</td><td class="data-cell">${data}</td></tr>`;
}

export function eventsTable(events: AuditEvent[]): RawHtml {
  return html`<table class="data" id="events-table"><thead><tr><th>id</th><th>time (ET)</th><th>app</th><th>level</th><th>event</th><th>symbol</th><th>data</th></tr></thead><tbody>${events.map(eventRow)}</tbody></table>${events.length === 0 ? html`<p class="muted">No audit events yet.</p>` : ''}`;
}
