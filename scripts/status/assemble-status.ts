import type { BrokerPosition } from '../../shared/broker/types';
import type { Heartbeat } from '../../shared/db';
import { formatNewYork, marketPhase, tradingDayOf } from '../../shared/time/trading-calendar';
import { alertsOutboxStatus, outboxAlerts } from './alerts-outbox-status';
import { foreignPositionLines, foreignSharesOf, isForeignBrokerPosition, usdStockPositions } from './foreign-positions';
import { formatDuration, formatShares } from './format';
import { heartbeatStatus } from './heartbeat-status';
import { hostAlerts, hostStatus } from './host-status';
import { protectionOf, protectionOfUntracked } from './protection-state';
import {
  SYSTEM_APPS, type AppStatus, type BrokerSnapshot, type ClosedLine, type HaltStatus, type Pm2ProcessInfo,
  type PositionLine, type StatusInputs, type StatusReport,
} from './status-model';

/**
 * Turns what the collectors found into the report (pure: unit-tested on hand-made inputs). Every section is
 * filled from whatever source answered; a missing source leaves `null`s and an alert, never a crash.
 */
export function assembleStatus(inputs: StatusInputs): StatusReport {
  const { db, broker } = inputs;
  const heartbeats = db.usable ? db.heartbeats : [];
  const apps = appStatuses(inputs, heartbeats);
  const positions = positionLines(inputs);
  const closedToday: ClosedLine[] = db.usable
    ? db.closedToday.map((c) => ({
        symbol: c.symbol, positionId: c.positionId, quantity: c.quantity, entryPrice: c.entryPrice, exitPrice: c.exitPrice,
        exitReason: c.exitReason, realizedPnl: c.realizedPnl, profitLossPct: c.profitLossPct, closedAt: c.timestamp,
      }))
    : [];
  const positionsKnown = db.usable || (broker.reachable && broker.positions !== undefined);
  const pnl = dayPnl(db.usable, positionsKnown, closedToday, positions);
  const report: StatusReport = {
    generatedAt: new Date(inputs.nowRealMs).toISOString(),
    mode: inputs.mode,
    halt: haltStatus(inputs),
    market: {
      time: new Date(inputs.nowMarketMs).toISOString(),
      newYorkTime: formatNewYork(inputs.nowMarketMs),
      phase: marketPhase(inputs.nowMarketMs),
      tradingDay: tradingDayOf(inputs.nowMarketMs),
      clock: inputs.clockDescription,
    },
    processes: {
      pm2: inputs.pm2.daemon,
      pm2Home: inputs.pm2.pm2Home,
      pm2Problem: inputs.pm2.daemon === 'unknown' ? inputs.pm2.problem : null,
      apps,
    },
    broker: brokerSection(broker),
    database: {
      path: db.path,
      usable: db.usable,
      problemKind: db.usable ? null : db.problem.kind,
      problem: db.usable ? null : db.problem.message,
    },
    positions,
    foreignPositions: foreignPositionLines(db),
    closedToday,
    pnl,
    reconciliation: db.usable && db.reconciliation
      ? {
          runAt: db.reconciliation.runAt, trigger: db.reconciliation.trigger, status: db.reconciliation.status, symbols: db.reconciliation.symbols,
          discrepancies: db.reconciliation.discrepancies, repaired: db.reconciliation.repaired, flagged: db.reconciliation.flagged, error: db.reconciliation.error,
        }
      : null,
    schedule: {
      recent: db.usable ? db.recentTriggers.map((t) => ({ key: t.key, kind: t.kind, dueAt: t.dueAt, firedAt: t.firedAt, status: t.status })) : [],
      next: inputs.nextTrigger
        ? { key: inputs.nextTrigger.key, kind: inputs.nextTrigger.kind, dueAt: new Date(inputs.nextTrigger.dueAtMs).toISOString(), newYorkTime: formatNewYork(inputs.nextTrigger.dueAtMs, 'yyyy-LL-dd HH:mm') }
        : null,
    },
    events: db.usable ? db.problemEvents.map((e) => ({ at: e.at, app: e.app, level: e.level, event: e.event, symbol: e.symbol, data: e.data })) : [],
    alerts: [],
    alertsOutbox: alertsOutboxStatus(inputs),
  };
  report.host = hostStatus(heartbeats);
  report.alerts = [...alertsFor(inputs, report), ...outboxAlerts(report.alertsOutbox), ...hostAlerts(report.host)];
  return report;
}

function haltStatus(inputs: StatusInputs): HaltStatus | null {
  const halt = inputs.db.usable ? inputs.db.halt : undefined;
  if (!halt) return null;
  const setAtMs = Date.parse(halt.setAt);
  return {
    reason: halt.reason, setBy: halt.setBy, setAt: halt.setAt, setAtNewYork: Number.isFinite(setAtMs) ? formatNewYork(setAtMs) : halt.setAt, setAtMs: halt.setAtMs,
    detail: halt.detail,
  };
}

function brokerSection(broker: BrokerSnapshot): StatusReport['broker'] {
  if (!broker.reachable) {
    return {
      reachable: false, endpoint: broker.endpoint, clientId: broker.clientId, problem: broker.problem, accountId: null, netLiquidation: null,
      buyingPower: null, positionsKnown: false, problems: [],
    };
  }
  return {
    reachable: true, endpoint: broker.endpoint, clientId: broker.clientId, problem: null, accountId: broker.accountId,
    netLiquidation: broker.netLiquidation, buyingPower: broker.buyingPower, positionsKnown: broker.positions !== undefined, problems: broker.problems,
  };
}

function appStatuses(inputs: StatusInputs, heartbeats: Heartbeat[]): AppStatus[] {
  const pm2Processes = inputs.pm2.daemon === 'running' ? inputs.pm2.processes : [];
  const names = [...SYSTEM_APPS] as string[];
  for (const extra of [...pm2Processes.map((p) => p.name), ...heartbeats.map((h) => h.app)]) if (!names.includes(extra)) names.push(extra);
  return names.map((name) => {
    const pm2 = pm2Processes.find((p) => p.name === name);
    const heartbeat = heartbeats.find((h) => h.app === name);
    return {
      name,
      pm2Status: pm2Status(inputs, pm2),
      pid: pm2?.pid ?? null,
      uptimeMs: pm2?.uptimeMs ?? null,
      restarts: pm2?.restarts ?? null,
      memoryBytes: pm2?.memoryBytes ?? null,
      heartbeat: heartbeat ? heartbeatStatus(heartbeat, inputs) : null,
    };
  });
}

function pm2Status(inputs: StatusInputs, pm2: Pm2ProcessInfo | undefined): string {
  if (inputs.pm2.daemon === 'unknown') return 'unknown';
  return pm2?.status ?? 'not running';
}

function positionLines(inputs: StatusInputs): PositionLine[] {
  const { db, broker } = inputs;
  const records = db.usable ? db.brokerPositions : undefined;
  // Options on a traded symbol share its symbol: the bots' rows are compared with US stocks in USD only.
  const brokerPositions: BrokerPosition[] | undefined = usdStockPositions(broker.reachable ? broker.positions : undefined);
  const openOrders = broker.reachable ? broker.openOrders : undefined;
  const lastPrices = broker.reachable ? broker.lastPrices : {};
  const lines: PositionLine[] = [];
  const rows = db.usable ? db.activePositions : [];
  for (const row of rows) {
    const atBroker = brokerPositions?.find((p) => p.symbol === row.symbol);
    const brokerQuantity = brokerPositions === undefined ? null : atBroker?.quantity ?? 0;
    const heldQuantity = brokerQuantity ?? row.quantity;
    const entryPrice = row.entryPrice ?? atBroker?.averageCost ?? null;
    const lastPrice = lastPrices[row.symbol] ?? null;
    const verdict = protectionOf({
      row, brokerQuantity, openOrders, exitManagerClientId: inputs.exitManagerClientId, nowMarketMs: inputs.nowMarketMs, clockSpeed: inputs.clockSpeed,
      unprotectedAfterMs: inputs.unprotectedAfterMs,
    });
    lines.push({
      symbol: row.symbol, positionId: row.id, source: brokerQuantity ? 'db_and_broker' : 'db', status: row.status, quantity: row.quantity,
      brokerQuantity, entryPrice, lastPrice, unrealizedPnl: unrealized(heldQuantity, entryPrice, lastPrice),
      stopLossPrice: row.stopLossPrice, profitTargetPrice: row.profitTargetPrice, stopOrderId: row.stopOrderId, targetOrderId: row.targetOrderId,
      protection: verdict.state, unprotectedForMs: verdict.unprotectedForMs, agentName: row.agentName, entryTime: row.entryTimestamp,
    });
  }
  const known = new Set(rows.map((r) => r.symbol));
  for (const position of brokerPositions ?? []) {
    // Not the bots' (bought by hand, held long): listed with the foreign positions, not answered for here.
    if (known.has(position.symbol) || position.quantity === 0 || isForeignBrokerPosition(position, records)) continue;
    const lastPrice = lastPrices[position.symbol] ?? null;
    lines.push({
      symbol: position.symbol, positionId: null, source: 'broker_only', status: 'UNTRACKED', quantity: position.quantity, brokerQuantity: position.quantity,
      entryPrice: position.averageCost || null, lastPrice, unrealizedPnl: unrealized(position.quantity, position.averageCost || null, lastPrice),
      stopLossPrice: null, profitTargetPrice: null, stopOrderId: null, targetOrderId: null,
      protection: protectionOfUntracked(position.symbol, position.quantity, openOrders), unprotectedForMs: null, agentName: null, entryTime: null,
    });
  }
  return lines;
}

function unrealized(heldQuantity: number, entryPrice: number | null, lastPrice: number | null): number | null {
  if (heldQuantity === 0) return null;
  if (entryPrice === null || lastPrice === null) return null;
  return (lastPrice - entryPrice) * heldQuantity;
}

/** Unknown stays unknown: with neither the DB nor the broker's positions, "no positions" would be a guess. */
function dayPnl(dbUsable: boolean, positionsKnown: boolean, closed: ClosedLine[], positions: PositionLine[]): StatusReport['pnl'] {
  const realized = dbUsable ? closed.reduce((sum, c) => sum + c.realizedPnl, 0) : null;
  if (!positionsKnown) return { realized, unrealized: null, total: null, unrealizedComplete: false };
  const held = positions.filter((p) => (p.brokerQuantity ?? p.quantity) !== 0);
  const known = held.filter((p) => p.unrealizedPnl !== null);
  const unrealizedPnl = held.length === 0 ? 0 : known.length === 0 ? null : known.reduce((sum, p) => sum + p.unrealizedPnl!, 0);
  return {
    realized,
    unrealized: unrealizedPnl,
    total: realized !== null && unrealizedPnl !== null ? realized + unrealizedPnl : null,
    unrealizedComplete: known.length === held.length,
  };
}

/** What happens to a stock the DB does not know, by FOREIGN_POSITIONS. */
const UNTRACKED_WORDS = {
  ignore: 'bought by hand? the bots leave it alone (FOREIGN_POSITIONS=ignore)',
  protect: 'the exit manager protects it when running (FOREIGN_POSITIONS=protect)',
  adopt: 'the exit manager adopts and protects it when running (FOREIGN_POSITIONS=adopt)',
} as const;

/** Most urgent first: exposure without protection, then the exit manager, then what limits this report. */
function alertsFor(inputs: StatusInputs, report: StatusReport): string[] {
  const exposure: string[] = [];
  const processes: string[] = [];
  const sources: string[] = [];
  const other: string[] = [];

  for (const p of report.positions) {
    const held = formatShares(p.brokerQuantity ?? p.quantity);
    if (p.protection === 'UNPROTECTED' && p.source === 'broker_only') {
      exposure.push(`UNPROTECTED: ${p.symbol} ${held} is held at the broker, unknown to the DB, with no working stop (${UNTRACKED_WORDS[inputs.foreignPolicy ?? 'ignore']})`);
    } else if (p.protection === 'UNPROTECTED') {
      exposure.push(`UNPROTECTED: ${p.symbol} ${held} has been OPEN for ${formatDuration(p.unprotectedForMs)} with no stop/target at the broker`);
    } else if (p.protection === 'PROTECTION_MISSING') {
      exposure.push(`PROTECTION MISSING: ${p.symbol} ${held} is PROTECTED in the DB but stop #${p.stopOrderId ?? '?'} / target #${p.targetOrderId ?? '?'} are not working at the broker`);
    }
    const foreignShares = foreignSharesOf(p.symbol, inputs.db.usable ? inputs.db.brokerPositions : undefined);
    if (p.source !== 'broker_only' && p.brokerQuantity !== null && p.status !== 'PENDING_ENTRY' && p.brokerQuantity - foreignShares !== p.quantity) {
      other.push(`MISMATCH: ${p.symbol} DB ${formatShares(p.quantity)} vs broker ${formatShares(p.brokerQuantity)}${foreignShares ? ` (of which ${formatShares(foreignShares)} not the bots')` : ''} (the reconciler repairs or flags it)`);
    }
  }

  const exitManager = report.processes.apps.find((a) => a.name === 'exit-manager');
  const exposed = report.positions.some((p) => (p.brokerQuantity ?? p.quantity) !== 0);
  if (exitManager) {
    const beat = exitManager.heartbeat;
    const beatFresh = beat !== null && !beat.stale && beat.state !== 'stopped';
    // Either source can say "not running"; with PM2 down and no DB nobody can tell, so nothing is claimed.
    const pm2SaysDown = inputs.pm2.daemon === 'running' && exitManager.pm2Status !== 'online';
    const heartbeatSaysDown = inputs.pm2.daemon !== 'running' && report.database.usable && !beatFresh;
    if (exposed && (pm2SaysDown || heartbeatSaysDown)) {
      const why = pm2SaysDown ? `PM2: ${exitManager.pm2Status}` : beat ? `last heartbeat ${formatDuration(beat.ageMs)} ago, ${beat.state}` : 'no heartbeat ever';
      processes.push(`exit-manager is not running (${why}): open positions rely on broker-side orders only, nothing trails or closes them`);
    } else if (beatFresh && beat.protecting === false && report.halt === null) {
      // During a halt the exit manager stands still on purpose: the banner says so.
      processes.push('exit-manager is running but NOT protecting (no complete broker snapshot yet, or its broker link is down)');
    }
  }
  for (const app of report.processes.apps) {
    const beat = app.heartbeat;
    if (app.pm2Status === 'errored') processes.push(`${app.name} is errored in PM2 (restarts: ${app.restarts ?? '?'}): pm2 logs ${app.name}`);
    if (beat && beat.stale && (app.pm2Status === 'online' || app.pm2Status === 'unknown') && beat.state !== 'stopped') {
      processes.push(`${app.name} heartbeat is ${formatDuration(beat.ageMs)} old (state ${beat.state}): hung or dead; the supervisor restarts it`);
    }
    if (beat && !beat.stale && beat.brokerLink === 'down') {
      processes.push(`${app.name} has had no broker link${beat.brokerDownForMs !== null ? ` for ${formatDuration(beat.brokerDownForMs)}` : ''}`);
    }
    if (beat && !beat.stale && beat.brokerLink === 'never_linked') {
      processes.push(`${app.name} has not reached the broker since it started ${formatDuration(beat.connectingForMs)} ago (startup grace ${formatDuration(inputs.startupGraceMs)}): is the gateway up and logged in?`);
    }
    if (beat && !beat.stale && beat.marketData?.type === 'unavailable') {
      processes.push(`${app.name} gets no market data${beat.marketData.reason ? `: ${beat.marketData.reason}` : ''} (it cannot price entries)`);
    }
  }

  // Short here: the sections (and database.problem / broker.problem in JSON) carry the full message and fix.
  if (!report.database.usable) sources.push(`database cannot be read (${report.database.problemKind}): ${report.database.path}`);
  if (!report.broker.reachable) sources.push(`broker: gateway at ${report.broker.endpoint} is not answering`);
  for (const problem of report.broker.problems) sources.push(`broker: ${problem}`);
  if (inputs.pm2.daemon === 'unknown') sources.push(`pm2: ${inputs.pm2.problem}`);

  const reconciliation = report.reconciliation;
  if (reconciliation && (reconciliation.status === 'FLAGGED' || reconciliation.status === 'FAILED')) {
    other.push(`last reconciliation ${reconciliation.status} at ${reconciliation.runAt}: ${reconciliation.flagged} flagged${reconciliation.error ? `, ${reconciliation.error}` : ''}`);
  }
  return [...exposure, ...processes, ...sources, ...other];
}

