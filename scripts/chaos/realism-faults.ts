import { executionBase } from '../../shared/db/execution-ids';
import { isApiClient, isWorkingOrder, legOf, remainingOf } from './broker-state';
import type { FaultContext, FaultResult } from './fault-context';
import type { FaultSpec } from './fault-schedule';
import { dropConnections } from './gateway-faults';
import { pickProtected, priceJump } from './market-faults';
import { parseDetail, pollUntil, sleep } from './process-control';

interface DelayRange { minMs: number; maxMs: number }
interface RealismView { positionLag: DelayRange; slowPositionLag: DelayRange; correctionProbability: number }

async function realism(ctx: FaultContext): Promise<RealismView> {
  return (await ctx.system.admin<{ realism: RealismView }>('GET /realism')).realism;
}

/**
 * Position reports seconds behind the fills (the realistic profile's slow tail, for every report) while a
 * price gap fills a stop or a target: a bot that believed the stale report would protect or adopt shares
 * already sold, and sell past flat. The simulator's exposure monitor and the DB checks judge it.
 */
export async function positionLag(ctx: FaultContext, spec: Extract<FaultSpec, { kind: 'position-lag' }>): Promise<FaultResult> {
  const before = await realism(ctx);
  const startedMs = Date.now();
  await ctx.system.admin('POST /realism', { positionLag: spec.lag, slowPositionLag: { minMs: spec.lag.maxMs, maxMs: spec.lag.maxMs + 500 } });
  let jump: FaultResult | undefined;
  try {
    jump = await priceJump(ctx, spec.through, 5_000);
    await sleep(startedMs + spec.holdMs - Date.now());
  } finally {
    await ctx.system.admin('POST /realism', { positionLag: before.positionLag, slowPositionLag: before.slowPositionLag });
  }
  const measurements: FaultResult['measurements'] = { lagMinMs: spec.lag.minMs, lagMaxMs: spec.lag.maxMs, heldMs: Date.now() - startedMs, ...jump.measurements };
  if (jump.outcome !== 'injected' || !jump.target) return { outcome: 'injected', measurements, note: `lag applied; ${jump.note ?? 'no jump'}` };
  // Once the reports caught up, nothing of the closed position may remain working (no re-protection, no orphan).
  const symbol = jump.target;
  const settledAt = await pollUntil(async () => {
    const state = await ctx.monitor.fetchState();
    const held = state.positions.find((p) => p.symbol === symbol);
    const ours = held ? ctx.monitor.botQuantity(held) : 0;
    return ours === 0 && !state.orders.some((o) => o.symbol === symbol && isApiClient(o) && isWorkingOrder(o) && o.action === 'SELL') ? Date.now() : undefined;
  }, 15_000, 100);
  measurements.ordersGoneAfterRestoreMs = settledAt === undefined ? null : settledAt - startedMs - spec.holdMs;
  return { outcome: 'injected', target: symbol, measurements, note: settledAt === undefined ? `${symbol}: sell orders still working 15 s after the lag ended` : undefined };
}

/**
 * A share of executions corrected (same execId prefix, next suffix, price one cent off) for a while; a
 * price gap makes sure something fills. Each correction must end up booked once, in the row of its base.
 */
export async function corrections(ctx: FaultContext, spec: Extract<FaultSpec, { kind: 'corrections' }>): Promise<FaultResult> {
  const before = await realism(ctx);
  const startedMs = Date.now();
  await ctx.system.admin('POST /realism', { correctionProbability: spec.probability });
  try {
    await priceJump(ctx, ctx.random.chance(0.5) ? 'stop' : 'target', 3_000);
    await sleep(startedMs + spec.holdMs - Date.now());
  } finally {
    await ctx.system.admin('POST /realism', { correctionProbability: before.correctionProbability });
  }
  // Corrections are decided at the fill and sent up to correctionDelay later: wait for the last one.
  await sleep(1_600);
  const corrected = ctx.monitor.linesOf('sim-gateway', 'execution_corrected', startedMs).map((l) => ({ to: String(l.correctedExecId), atMs: l.atMs }));
  const booked = new Map<string, number>();
  await pollUntil(() => {
    const rows = ctx.system.query<{ exec_id: string; exec_base: string | null }>('SELECT exec_id, exec_base FROM trades');
    const byBase = new Map(rows.map((r) => [r.exec_base ?? executionBase(r.exec_id), r.exec_id]));
    for (const c of corrected) if (!booked.has(c.to) && byBase.get(executionBase(c.to)) === c.to) booked.set(c.to, Date.now() - c.atMs);
    return booked.size === corrected.length;
  }, 30_000, 200);
  const missing = corrected.filter((c) => !booked.has(c.to)).map((c) => c.to);
  for (const execId of missing) ctx.violate('correctionsBookedOnce', `correction ${execId} (sent ${new Date(corrected.find((c) => c.to === execId)!.atMs).toISOString()}) not booked in its base's trades row within 30 s`);
  return {
    outcome: 'injected',
    measurements: { probability: spec.probability, corrections: corrected.length, booked: booked.size, maxCorrectionToBookedMs: booked.size ? Math.max(...booked.values()) : null },
  };
}

/** A protected position of the bots with no foreign shares in its symbol (a trade by hand there is unambiguous). */
async function ownProtectedPosition(ctx: FaultContext, minShares: number): Promise<{ symbol: string; quantity: number } | undefined> {
  const found = await pickProtected(ctx, 10_000, (view) => view.quantity >= minShares && ctx.monitor.book.ignoredOf(view.symbol) === 0);
  return found;
}

/**
 * The next modifications are refused (IB 104/105/110/201): a refused modify leaves the order working as it
 * was. A partial sale by hand makes the exit manager shrink its legs to the bots' remaining shares (the
 * only modification it sends); it must keep the orders, retry, and end with legs of the right size.
 */
export async function rejectModify(ctx: FaultContext, spec: Extract<FaultSpec, { kind: 'reject-modify' }>): Promise<FaultResult> {
  const target = await ownProtectedPosition(ctx, 3);
  if (!target) return { outcome: 'skipped', measurements: {}, note: 'no protected position of 3+ shares to shrink by hand (nothing would be modified)' };
  const sold = Math.max(1, Math.floor(target.quantity / 3));
  const left = target.quantity - sold;
  const startedMs = Date.now();
  await ctx.system.admin('POST /faults/reject-next-modify', { count: spec.count, code: spec.code });
  ctx.monitor.noteManualTrade(target.symbol);
  await ctx.system.admin('POST /quirks/manual-trade', { symbol: target.symbol, quantity: -sold });
  const refusals = () => ctx.monitor.linesOf('sim-gateway', 'order_rejected', startedMs).filter((l) => Number(l.code) === spec.code && legOf(String(l.orderRef)) !== undefined);
  const consumed = await pollUntil(() => (refusals().length >= spec.count ? refusals() : undefined), 20_000, 100);
  // A refused modify leaves the order working: right after each refusal the leg must still be there.
  const state = await ctx.monitor.fetchState();
  const refusedRefs = new Set(refusals().map((l) => String(l.orderRef)));
  const vanished = [...refusedRefs].filter((ref) => !state.orders.some((o) => o.orderRef === ref && (isWorkingOrder(o) || o.status === 'Filled')));
  const resizedAt = await pollUntil(async () => {
    const now = await ctx.monitor.fetchState();
    const legs = now.orders.filter((o) => o.symbol === target.symbol && isApiClient(o) && isWorkingOrder(o) && legOf(o.orderRef) !== undefined);
    const held = now.positions.find((p) => p.symbol === target.symbol);
    const ours = held ? ctx.monitor.botQuantity(held) : 0;
    if (ours !== left) return ours < left ? Date.now() : undefined; // it exited meanwhile: nothing left to compare
    const stops = legs.filter((o) => legOf(o.orderRef) === 'SL').reduce((n, o) => n + remainingOf(o), 0);
    const targets = legs.filter((o) => legOf(o.orderRef) === 'TP').reduce((n, o) => n + remainingOf(o), 0);
    return stops === left && targets === left ? Date.now() : undefined;
  }, 30_000, 100);
  return {
    outcome: 'injected', target: target.symbol,
    measurements: {
      code: spec.code, armed: spec.count, refused: refusals().length, consumed: consumed !== undefined, sharesSoldByHand: sold, sharesLeft: left,
      legsGoneAfterRefusal: vanished.join(' '), resizedMs: resizedAt === undefined ? null : resizedAt - startedMs,
    },
    note: resizedAt === undefined ? `legs of ${target.symbol} not resized to ${left} within 30 s` : consumed === undefined ? `only ${refusals().length} of ${spec.count} refusals used (the rest stays armed for later modifications)` : undefined,
  };
}

const BROKER_BOTS = ['exit-manager', 'day-trader', 'reconciler'] as const;

/**
 * IB's 1100 with the socket up: the gateway answers, nothing reaches the exchange (no fills, no data). Each
 * bot must stop sending orders; at 1101 (data lost: resubscribe) or 1102 the exit manager re-reads and
 * protects again. Orders that reached the gateway during the loss (after a 500 ms grace for the notice to
 * arrive) are counted.
 */
export async function ibLinkLoss(ctx: FaultContext, spec: Extract<FaultSpec, { kind: 'ib-link-loss' }>): Promise<FaultResult> {
  const startedMs = Date.now();
  const endBlind = ctx.monitor.tracker.beginBlindWindow(startedMs, 'ib-link-loss');
  await ctx.system.admin('POST /quirks/connectivity', { code: 1100 });
  const noticed = await pollUntil(() => {
    const seen = BROKER_BOTS.map((app) => ctx.monitor.linesOf(app, 'broker_ib_link_lost', startedMs)[0]?.atMs);
    return seen.every((t) => t !== undefined) ? seen : undefined;
  }, spec.lostMs, 50);
  await sleep(startedMs + spec.lostMs - Date.now());
  const restoredMs = Date.now();
  await ctx.system.admin('POST /quirks/connectivity', { code: spec.restoreCode });
  const resynced = await pollUntil(() => ctx.monitor.linesOf('exit-manager', 'protection_resynced', restoredMs).find((l) => l.trigger === 'reconnected')?.atMs
    ?? (() => {
      const hb = ctx.monitor.heartbeat('exit-manager');
      return hb && hb.beat_at_ms > restoredMs && parseDetail(hb.detail).protecting === true ? hb.beat_at_ms : undefined;
    })(), 30_000, 50);
  endBlind(resynced ?? Date.now());
  const state = await ctx.monitor.fetchState();
  const sentDuringLoss = state.orders.filter((o) => isApiClient(o) && (o.createdRealMs ?? 0) > startedMs + 500 && (o.createdRealMs ?? 0) < restoredMs);
  const filledDuringLoss = state.executions.filter((e) => isApiClient(e) && (e.realMs ?? 0) > startedMs + 50 && (e.realMs ?? 0) < restoredMs);
  if (resynced === undefined) ctx.violate('botsRecover', `the exit manager did not protect again within 30 s after ${spec.restoreCode} ended a ${spec.lostMs} ms loss of the IB link (1100)`);
  const measurements: FaultResult['measurements'] = {
    lostMs: spec.lostMs, restoreCode: spec.restoreCode, allBotsNoticed: noticed !== undefined,
    restoredToEmProtectingMs: resynced === undefined ? null : resynced - restoredMs, backToEmProtectingMs: resynced === undefined ? null : resynced - restoredMs,
    ordersSentDuringLoss: sentDuringLoss.map((o) => `${o.orderRef} (client ${o.clientId})`).join(' '), executionsDuringLoss: filledDuringLoss.length,
  };
  for (const app of BROKER_BOTS) {
    const line = ctx.monitor.linesOf(app, 'broker_ib_link_lost', startedMs)[0];
    measurements[`${app}NoticedMs`] = line ? line.atMs - startedMs : null;
  }
  return { outcome: 'injected', measurements };
}

/** The next historical data requests are refused for pacing (162): the day-trader must back off and keep scanning. */
export async function historicalPacing(ctx: FaultContext, spec: Extract<FaultSpec, { kind: 'historical-pacing' }>): Promise<FaultResult> {
  const startedMs = Date.now();
  const dayTrader = ctx.monitor.heartbeat('day-trader');
  const lastRun = ctx.system.query<{ id: number }>('SELECT COALESCE(MAX(id), 0) AS id FROM pipeline_runs')[0]?.id ?? 0;
  await ctx.system.admin('POST /quirks/pacing', { historical: spec.count });
  const consumed = await pollUntil(async () => Number((await ctx.monitor.fetchState()).faults.historicalPacingViolations) === 0, 15_000, 200);
  if (!consumed) await ctx.system.admin('POST /quirks/pacing', { historical: 0 });
  const nextRun = await pollUntil(() => ctx.system.query<{ id: number; status: string }>("SELECT id, status FROM pipeline_runs WHERE id > ? AND status != 'RUNNING' ORDER BY id LIMIT 1", lastRun)[0], 10_000, 200);
  const after = ctx.monitor.heartbeat('day-trader');
  return {
    outcome: 'injected',
    measurements: {
      count: spec.count, consumed: consumed === true, nextPipelineRun: nextRun?.status ?? null, dayTraderRestarted: !!dayTrader && !!after && after.pid !== dayTrader.pid,
      refusedAfterMs: Date.now() - startedMs,
    },
  };
}

/**
 * Open-orders (or positions) queries answered after the requester's timeout: the late end marker carries
 * no request id and looks like the end of the next query. Nobody may take a late or partial answer for
 * "no orders" (that would double protection) or "no positions". The time until the exit manager has a
 * complete snapshot again is a gateway fault like an outage (blind window).
 */
export async function lateAnswers(ctx: FaultContext, spec: Extract<FaultSpec, { kind: 'open-orders-timeout' | 'positions-timeout' }>): Promise<FaultResult> {
  const route = spec.kind === 'open-orders-timeout' ? '/quirks/open-orders-timeout' : '/quirks/positions-timeout';
  const counter = spec.kind === 'open-orders-timeout' ? 'openOrdersTimeouts' : 'positionsTimeouts';
  const startedMs = Date.now();
  const endBlind = ctx.monitor.tracker.beginBlindWindow(startedMs, spec.kind);
  await ctx.system.admin('POST /quirks/late-answer-ms', { ms: spec.lateMs });
  await ctx.system.admin(`POST ${route}`, { count: spec.count });
  const measurements: FaultResult['measurements'] = { count: spec.count, forceResync: spec.forceResync, lateMs: spec.lateMs };
  if (spec.forceResync) Object.assign(measurements, (await dropConnections(ctx, true)).measurements);
  const consumedAt = await pollUntil(async () => (Number((await ctx.monitor.fetchState()).faults[counter]) === 0 ? Date.now() : undefined), 30_000, 200);
  if (consumedAt === undefined) await ctx.system.admin(`POST ${route}`, { count: 0 });
  // The late answers arrive lateMs after the last armed query; then the exit manager must be protecting.
  const lateDoneMs = (consumedAt ?? Date.now()) + spec.lateMs;
  await sleep(lateDoneMs - Date.now());
  const protecting = await pollUntil(() => {
    const hb = ctx.monitor.heartbeat('exit-manager');
    return hb && hb.beat_at_ms > lateDoneMs && parseDetail(hb.detail).protecting === true ? hb.beat_at_ms : undefined;
  }, 30_000, 100);
  endBlind(protecting ?? Date.now());
  const failed = ctx.monitor.linesOf('exit-manager', 'protection_resync_failed', startedMs);
  Object.assign(measurements, {
    consumed: consumedAt !== undefined, emResyncFailures: failed.length, reconcilerFailures: ctx.monitor.linesOf('reconciler', 'reconciliation_failed', startedMs).length,
    lateAnswerToEmProtectingMs: protecting === undefined ? null : protecting - lateDoneMs,
  });
  if (protecting === undefined) ctx.violate('botsRecover', `the exit manager was not protecting 30 s after the late ${spec.kind === 'open-orders-timeout' ? 'open-orders' : 'positions'} answers had all arrived`);
  return { outcome: 'injected', measurements };
}

/**
 * The next new orders get IB's informational 10349 ("Order TIF was set to DAY based on order preset.") ahead
 * of their acknowledgement, and then work as usual. A bot that took it for a rejection would release an
 * entry that then fills (its fill unbooked, the symbol free to enter again) or place a second pair beside a
 * protective order that works: the global invariants judge the books; here, no bot may call those orders
 * refused.
 */
export async function presetWarnings(ctx: FaultContext, spec: Extract<FaultSpec, { kind: 'preset-warning' }>): Promise<FaultResult> {
  const sinceMs = Date.now();
  await ctx.system.admin('POST /quirks/preset-warnings', { count: spec.count });
  const warned = () => ctx.monitor.linesOf('sim-gateway', 'order_preset_warning', sinceMs);
  const allWarned = () => (warned().length >= spec.count ? true : undefined);
  let consumed = await pollUntil(allWarned, 8_000, 100);
  let trigger = 'natural';
  if (!consumed) {
    // A quiet market sends no new orders: a gap through a held position's stop frees a slot for an entry,
    // whose protection follows (new orders of both bots).
    const jump = await priceJump(ctx, 'stop', 2_000);
    trigger = jump.target ? `stop of ${jump.target} gapped through` : 'none available';
    consumed = await pollUntil(allWarned, 15_000, 100);
  }
  if (!consumed) await ctx.system.admin('POST /quirks/preset-warnings', { count: 0 }); // do not leak into the next fault
  const refs = warned().map((l) => String(l.orderRef));
  // The bots' word on those orders, a moment later (their reactions are immediate; the books are checked globally).
  await sleep(1_500);
  const refused = [
    ...ctx.monitor.linesOf('day-trader', 'entry_rejected', sinceMs).filter((l) => refs.includes(String(l.positionId))).map((l) => `day-trader entry_rejected ${String(l.positionId)}`),
    ...ctx.monitor.linesOf('exit-manager', 'protection_rejected', sinceMs).filter((l) => refs.includes(String(l.orderRef))).map((l) => `exit-manager protection_rejected ${String(l.orderRef)}`),
  ];
  for (const line of refused) ctx.violate('warningIsNoRejection', `${line}: the order got the informational 10349 and works`);
  return { outcome: 'injected', measurements: { count: spec.count, consumed: refs.length, trigger, refs: refs.join(' '), takenForRejections: refused.length } };
}
