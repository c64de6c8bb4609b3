import { formatNewYork } from '../../shared/time/trading-calendar';
import { renderHost } from './host-status';
import { formatBytes, formatDuration, formatMoney, formatPct, formatPrice, formatShares, formatSignedMoney } from './format';
import type { AlertsOutboxStatus, AppStatus, HaltStatus, PositionLine, ProtectionState, StatusReport } from './status-model';
import { paint, textTable, type Tone } from './text-table';

export interface RenderOptions {
  /** ANSI colours (a terminal only). */
  color: boolean;
}

/** The console view of a report: alerts first, then one block per section. Pure. */
export function renderStatus(report: StatusReport, options: RenderOptions): string {
  const { color } = options;
  const blocks: string[] = [];
  if (report.halt) blocks.push(haltBanner(report.halt, color));
  blocks.push(
    `${paint('STATUS', 'bold', color)}  market ${report.market.newYorkTime} ET (${report.market.phase}, trading day ${report.market.tradingDay})` +
      `  mode ${report.mode}  ${paint(`[${report.market.clock}]`, 'dim', color)}`,
  );
  if (report.alerts.length > 0) {
    blocks.push([paint(`ALERTS (${report.alerts.length})`, 'red', color), ...report.alerts.map((a) => `  ${paint('!', 'red', color)} ${a}`)].join('\n'));
  }
  blocks.push(processesBlock(report, color));
  blocks.push(brokerBlock(report, color));
  blocks.push(databaseBlock(report, color));
  if (report.database.usable || report.positions.length > 0) blocks.push(positionsBlock(report, color));
  if (report.foreignPositions.length > 0) blocks.push(foreignBlock(report, color));
  if (report.database.usable) {
    blocks.push(closedBlock(report, color));
    blocks.push(reconciliationBlock(report, color));
  }
  blocks.push(pnlLine(report, color));
  blocks.push(scheduleBlock(report, color));
  if (report.alertsOutbox) blocks.push(alertsOutboxBlock(report.alertsOutbox, color));
  if (report.host) blocks.push(renderHost(report.host));
  if (report.database.usable) blocks.push(eventsBlock(report, color));
  return blocks.join('\n\n');
}

/** First on the screen: while a halt is active the bots do nothing, and whoever looks must know at once. */
function haltBanner(halt: HaltStatus, color: boolean): string {
  const line = `TRADING HALTED by ${halt.setBy} at ${halt.setAtNewYork} ET (${halt.reason}) — no entries, no protection changes; lift with npm run liquidate -- --resume`;
  const rule = '='.repeat(Math.min(line.length, 120));
  return [paint(rule, 'red', color), paint(line, 'red', color), paint(rule, 'red', color)].join('\n');
}

function processesBlock(report: StatusReport, color: boolean): string {
  const { processes } = report;
  const header =
    processes.pm2 === 'running'
      ? paint('PROCESSES', 'bold', color)
      : processes.pm2 === 'not_running'
        ? `${paint('PROCESSES', 'bold', color)}  PM2 is not running (no daemon under ${processes.pm2Home}): no processes are managed; start them with npm start`
        : `${paint('PROCESSES', 'bold', color)}  PM2 could not be asked: ${processes.pm2Problem}`;
  const rows = processes.apps.map((app) => [
    app.name,
    paint(app.pm2Status, pm2Tone(app.pm2Status), color),
    app.pid ?? '—',
    formatDuration(app.uptimeMs),
    app.restarts ?? '—',
    formatBytes(app.memoryBytes),
    heartbeatCell(app, report.database.usable, color),
    brokerLinkCell(app, color),
    notesCell(app, color, report.halt !== null),
  ]);
  return `${header}\n${textTable(['app', 'pm2', 'pid', 'uptime', 'restarts', 'memory', 'heartbeat', 'broker link', 'notes'], rows, color)}`;
}

function pm2Tone(status: string): Tone {
  if (status === 'online') return 'green';
  if (status === 'errored') return 'red';
  return 'yellow';
}

function heartbeatCell(app: AppStatus, dbUsable: boolean, color: boolean): string {
  const beat = app.heartbeat;
  // The gateway has no DB heartbeat by design; the others' beats are unknown without the DB.
  if (!beat) return app.name === 'sim-gateway' ? 'n/a' : dbUsable ? 'none' : 'unknown (no DB)';
  const text = `${formatDuration(beat.ageMs)} ago, ${beat.state}`;
  return beat.stale && beat.state !== 'stopped' ? paint(`${text} (STALE)`, 'red', color) : text;
}

function brokerLinkCell(app: AppStatus, color: boolean): string {
  const beat = app.heartbeat;
  if (!beat || beat.brokerLink === null) return '—';
  if (beat.brokerLink === 'up') return paint('up', 'green', color);
  if (beat.brokerLink === 'connecting') return paint(`connecting ${formatDuration(beat.connectingForMs)}`, 'yellow', color);
  if (beat.brokerLink === 'never_linked') return paint(`NOT LINKED since start ${formatDuration(beat.connectingForMs)}`, 'red', color);
  return paint(beat.brokerDownForMs !== null ? `DOWN ${formatDuration(beat.brokerDownForMs)}` : 'DOWN', 'red', color);
}

function notesCell(app: AppStatus, color: boolean, halted: boolean): string {
  const beat = app.heartbeat;
  if (!beat) return '';
  if (beat.marketData) {
    const { type, reason } = beat.marketData;
    const text = `market data ${type}${reason ? ` (${reason})` : ''}`;
    return paint(text, type === 'live' ? 'green' : type === 'unavailable' ? 'red' : 'yellow', color);
  }
  if (app.name !== 'exit-manager' || beat.protecting === null) return '';
  if (beat.protecting) return paint('protecting', 'green', color);
  return halted ? paint('not protecting (halted)', 'yellow', color) : paint('NOT protecting', 'red', color);
}

function brokerBlock(report: StatusReport, color: boolean): string {
  const b = report.broker;
  if (!b.reachable) return `${paint('BROKER', 'bold', color)}  ${paint(`${b.problem}`, 'red', color)}\n  continuing without broker data (no account, live quantities, prices or order checks)`;
  const lines = [
    `${paint('BROKER', 'bold', color)}  connected to ${b.endpoint} as client ${b.clientId}  account ${b.accountId ?? '?'}` +
      `  net liquidation ${formatMoney(b.netLiquidation)}  buying power ${formatMoney(b.buyingPower)}`,
  ];
  for (const problem of b.problems) lines.push(`  ${paint('!', 'yellow', color)} ${problem}`);
  return lines.join('\n');
}

function databaseBlock(report: StatusReport, color: boolean): string {
  const d = report.database;
  if (d.usable) return `${paint('DATABASE', 'bold', color)}  ${d.path}`;
  return `${paint('DATABASE', 'bold', color)}  ${paint(`cannot be read (${d.problemKind})`, 'red', color)}\n  ${d.problem}\n  (positions, closed trades, heartbeats, reconciliation and events come from it; PM2 and broker data above are live)`;
}

const PROTECTION_TONE: Record<ProtectionState, Tone> = {
  PROTECTED: 'green', PROTECTED_UNVERIFIED: 'yellow', PROTECTION_MISSING: 'red', UNPROTECTED: 'red', AWAITING_PROTECTION: 'yellow',
  PENDING_ENTRY: 'dim', CLOSING: 'yellow', FLAT_AT_BROKER: 'yellow',
};

function positionsBlock(report: StatusReport, color: boolean): string {
  const title = paint(`ACTIVE POSITIONS (${report.positions.length})`, 'bold', color);
  if (report.positions.length === 0) return `${title}\n  none`;
  const rows = report.positions.map((p) => [
    p.symbol,
    p.status,
    quantityCell(p),
    formatPrice(p.entryPrice),
    formatPrice(p.lastPrice),
    formatSignedMoney(p.unrealizedPnl),
    paint(protectionText(p), PROTECTION_TONE[p.protection], color),
    p.stopLossPrice !== null || p.stopOrderId !== null ? `${formatPrice(p.stopLossPrice)} #${p.stopOrderId ?? '—'}` : '—',
    p.profitTargetPrice !== null || p.targetOrderId !== null ? `${formatPrice(p.profitTargetPrice)} #${p.targetOrderId ?? '—'}` : '—',
    p.positionId ?? 'not in DB',
  ]);
  return `${title}\n${textTable(['symbol', 'status', 'qty', 'entry', 'last', 'unrealized', 'protection', 'stop #order', 'target #order', 'position id'], rows, color)}`;
}

function quantityCell(p: PositionLine): string {
  if (p.brokerQuantity === null || p.brokerQuantity === p.quantity) return formatShares(p.quantity);
  return `${formatShares(p.quantity)} (broker ${formatShares(p.brokerQuantity)})`;
}

function protectionText(p: PositionLine): string {
  if (p.protection === 'UNPROTECTED') return p.unprotectedForMs !== null ? `UNPROTECTED ${formatDuration(p.unprotectedForMs)}` : 'UNPROTECTED';
  if (p.protection === 'PROTECTION_MISSING') return 'PROTECTION MISSING';
  if (p.protection === 'PROTECTED_UNVERIFIED') return 'protected (unverified)';
  if (p.protection === 'AWAITING_PROTECTION') return `awaiting protection ${formatDuration(p.unprotectedForMs)}`;
  return p.protection.toLowerCase().replace(/_/g, ' ');
}

const HANDLING_WORDS: Record<string, string> = {
  ignored: 'ignored: never touched by the bots',
  protected: 'protected: stop/target kept, never closed by the bots',
  adopted: 'adopted: managed like the bots\' own',
  'not-tradable': 'not a USD stock: never touched',
  ours: 'the bots\'',
};

function foreignBlock(report: StatusReport, color: boolean): string {
  const title = paint(`NOT THE BOTS' POSITIONS (${report.foreignPositions.length})`, 'bold', color);
  const rows = report.foreignPositions.map((f) => [
    f.description, f.secType, f.currency, formatShares(f.quantity), f.oursQuantity !== 0 ? `${formatShares(f.foreignQuantity)} (bots ${formatShares(f.oursQuantity)})` : formatShares(f.foreignQuantity),
    HANDLING_WORDS[f.handling] ?? f.handling, newYorkClock(f.updatedAt),
  ]);
  return `${title}  as the reconciler last saw them\n${textTable(['instrument', 'type', 'currency', 'position', 'not the bots\'', 'handling', 'seen (ET)'], rows, color)}`;
}

function closedBlock(report: StatusReport, color: boolean): string {
  const title = paint(`CLOSED TODAY (${report.closedToday.length})`, 'bold', color);
  if (report.closedToday.length === 0) return `${title}\n  none`;
  const rows = report.closedToday.map((c) => [
    c.symbol, c.quantity, formatPrice(c.entryPrice), formatPrice(c.exitPrice), c.exitReason, formatSignedMoney(c.realizedPnl), formatPct(c.profitLossPct),
    newYorkClock(c.closedAt),
  ]);
  return `${title}\n${textTable(['symbol', 'qty', 'entry', 'exit', 'reason', 'realized', 'P&L %', 'closed (ET)'], rows, color)}`;
}

function pnlLine(report: StatusReport, color: boolean): string {
  const { pnl } = report;
  const tone: Tone = pnl.total === null ? 'yellow' : pnl.total >= 0 ? 'green' : 'red';
  const note = pnl.unrealizedComplete ? '' : '  (unrealized is partial: no live price for some positions)';
  return `${paint('DAY P&L', 'bold', color)}  realized ${formatSignedMoney(pnl.realized)}  unrealized ${formatSignedMoney(pnl.unrealized)}` +
    `  total ${paint(formatSignedMoney(pnl.total), tone, color)}${note}`;
}

function reconciliationBlock(report: StatusReport, color: boolean): string {
  const r = report.reconciliation;
  if (!r) return `${paint('RECONCILIATION', 'bold', color)}  no run recorded yet`;
  const tone: Tone = r.status === 'OK' ? 'green' : r.status === 'REPAIRED' ? 'yellow' : 'red';
  return `${paint('RECONCILIATION', 'bold', color)}  ${paint(r.status, tone, color)} at ${newYorkClock(r.runAt)} ET (${r.trigger}): ` +
    `${r.symbols} symbols, ${r.discrepancies} discrepancies, ${r.repaired} repaired, ${r.flagged} flagged${r.error ? `, error: ${r.error}` : ''}`;
}

function scheduleBlock(report: StatusReport, color: boolean): string {
  const next = report.schedule.next ? `next ${report.schedule.next.kind} at ${report.schedule.next.newYorkTime} ET` : 'no trigger in the next two weeks';
  const lines = [`${paint('SCHEDULE', 'bold', color)}  ${next}`];
  if (report.schedule.recent.length > 0) {
    lines.push(textTable(['trigger', 'kind', 'due (ET)', 'fired (ET)', 'status'],
      report.schedule.recent.map((t) => [t.key, t.kind, newYorkClock(t.dueAt), newYorkClock(t.firedAt), t.status]), color));
  } else if (report.database.usable) {
    lines.push('  no trigger has fired yet');
  }
  return lines.join('\n');
}

function eventsBlock(report: StatusReport, color: boolean): string {
  const title = paint(`RECENT WARNINGS AND ERRORS (${report.events.length})`, 'bold', color);
  if (report.events.length === 0) return `${title}\n  none`;
  const rows = report.events.map((e) => [
    newYorkClock(e.at), e.app, paint(e.level, e.level === 'error' ? 'red' : 'yellow', color), e.event, e.symbol ?? '', truncate(JSON.stringify(e.data), 60),
  ]);
  return `${title}\n${textTable(['time (ET)', 'app', 'level', 'event', 'symbol', 'data'], rows, color)}`;
}

function alertsOutboxBlock(outbox: AlertsOutboxStatus, color: boolean): string {
  const notifier = outbox.notifier === 'running' ? paint('notifier running', 'green', color) : paint(`notifier ${outbox.notifier.replace('_', ' ')}`, 'red', color);
  const waiting = outbox.unrouted > 0 ? `  ${outbox.unrouted} not picked up yet (oldest ${formatDuration(outbox.oldestUnroutedAgeMs)})` : '';
  const title = `${paint('ALERTS OUTBOX', 'bold', color)}  ${notifier}${waiting}`;
  if (outbox.channels.length === 0) return `${title}\n  no channel configured (ALERT_WEBHOOK_URL, ALERT_SLACK_WEBHOOK_URL, ALERT_SMTP_URL): alerts are recorded, not sent`;
  const rows = outbox.channels.map((c) => [
    c.channel,
    c.state === 'ok' ? paint('ok', 'green', color) : c.state === 'idle' ? 'no send yet' : c.state === 'rate_limited'
      ? paint(`RATE LIMITED${c.retryInMs !== null ? `, retry in ${formatDuration(c.retryInMs)}` : ''}`, 'yellow', color)
      : paint(`FAILING ${formatDuration(c.failingForMs)} (${c.consecutiveFailures})`, 'red', color),
    c.pending > 0 ? `${c.pending} (oldest ${formatDuration(c.oldestPendingAgeMs)})` : '0',
    c.delivered,
    c.failed > 0 ? paint(String(c.failed), 'red', color) : '0',
    c.heldBack,
    c.lastDeliveryAgeMs !== null ? `${formatDuration(c.lastDeliveryAgeMs)} ago` : '—',
    truncate(c.lastError ?? (c.configured ? c.description ?? '' : 'no longer configured'), 60),
  ]);
  return `${title}\n${textTable(['channel', 'state', 'pending', 'delivered', 'failed', 'held back', 'last delivery', 'last error / where'], rows, color)}`;
}

/** Stored times are ISO (market time); operators read New York wall time. */
function newYorkClock(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? formatNewYork(ms, 'LL-dd HH:mm:ss') : iso;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
