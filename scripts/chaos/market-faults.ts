import Database from 'better-sqlite3';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { isApiClient, isWorkingOrder, legOf, type SimExecutionView, type SimStateView } from './broker-state';
import type { FaultContext, FaultResult } from './fault-context';
import { pollUntil, sleep } from './process-control';
import { assessProtection } from './protection';

/** Positions the exit manager fully protects with its pair (the ones a jump or a manual close can hit cleanly). */
function protectedPositions(state: SimStateView): Array<{ symbol: string; quantity: number }> {
  return assessProtection(state).filter((v) => v.how === 'pair' && v.quantity > 0);
}

async function pickProtected(ctx: FaultContext, waitMs: number): Promise<{ symbol: string; quantity: number } | undefined> {
  const found = await pollUntil(async () => {
    const held = protectedPositions(await ctx.monitor.fetchState());
    return held.length ? held : undefined;
  }, waitMs, 250);
  return found ? ctx.random.pick(found) : undefined;
}

function activeSymbols(ctx: FaultContext): Set<string> {
  return new Set(ctx.system.query<{ symbol: string }>('SELECT symbol FROM active_positions').map((r) => r.symbol));
}

/**
 * A position opened by hand in TWS (no API order): the exit manager must adopt it and protect it at once.
 * The symbol is one the bots know (it was scanned) but that nobody touched today.
 */
export async function openByHand(ctx: FaultContext, quantity: number): Promise<{ symbol: string; execution: SimExecutionView } | undefined> {
  const state = await ctx.monitor.fetchState();
  const today = tradingDayOf(ctx.clock.now());
  const busy = new Set([
    ...state.positions.map((p) => p.symbol), ...state.executions.filter((e) => e.tradingDay === today).map((e) => e.symbol),
    ...state.orders.filter(isWorkingOrder).map((o) => o.symbol), ...activeSymbols(ctx),
  ]);
  const known = ctx.system.query<{ symbol: string }>('SELECT DISTINCT symbol FROM signals ORDER BY symbol').map((r) => r.symbol).filter((s) => !busy.has(s));
  if (known.length === 0) return undefined;
  const symbol = ctx.random.pick(known);
  const { execution } = await ctx.system.admin<{ execution: SimExecutionView }>('POST /quirks/manual-trade', { symbol, quantity });
  return { symbol, execution };
}

export async function manualOpen(ctx: FaultContext, quantity: number): Promise<FaultResult> {
  const opened = await openByHand(ctx, quantity);
  if (!opened) return { outcome: 'skipped', measurements: {}, note: 'no untouched symbol to buy by hand' };
  const protectedAt = await pollUntil(async () => {
    const view = assessProtection(await ctx.monitor.fetchState()).find((v) => v.symbol === opened.symbol);
    return view?.protected ? view.protectedSinceRealMs ?? Date.now() : undefined;
  }, 10_000, 20);
  return {
    outcome: 'injected', target: opened.symbol,
    measurements: { quantity, fillToProtectedMs: protectedAt !== undefined && opened.execution.realMs ? protectedAt - opened.execution.realMs : null },
  };
}

/** A held position closed by hand: the DB must notice (RECONCILED_FLAT) and the orphaned protection must go. */
export async function manualClose(ctx: FaultContext): Promise<FaultResult> {
  const target = await pickProtected(ctx, 10_000);
  if (!target) return { outcome: 'skipped', measurements: {}, note: 'no protected position to close by hand' };
  const { execution } = await ctx.system.admin<{ execution: SimExecutionView }>('POST /quirks/manual-trade', { symbol: target.symbol, quantity: -target.quantity });
  const day = tradingDayOf(ctx.clock.now());
  const startMs = Date.now();
  let orphansGoneMs: number | undefined;
  const closed = await pollUntil(async () => {
    const state = await ctx.monitor.fetchState();
    if (orphansGoneMs === undefined && !state.orders.some((o) => o.symbol === target.symbol && isApiClient(o) && isWorkingOrder(o) && legOf(o.orderRef))) orphansGoneMs = Date.now() - startMs;
    const row = ctx.system.query<{ exit_reason: string }>('SELECT exit_reason FROM closed_positions_today WHERE symbol = ? AND close_date = ?', target.symbol, day)[0];
    return row && !activeSymbols(ctx).has(target.symbol) && orphansGoneMs !== undefined ? row : undefined;
  }, 30_000, 100);
  return {
    outcome: 'injected', target: target.symbol,
    measurements: { quantity: target.quantity, execId: execution.execId, dbClosedWithin30s: closed !== undefined, exitReason: closed?.exit_reason ?? null, orphansCancelledMs: orphansGoneMs ?? null },
  };
}

/** A price gap through a held position's stop-loss (or take-profit): the broker-side leg must fill, once. */
export async function priceJump(ctx: FaultContext, through: 'stop' | 'target'): Promise<FaultResult> {
  const target = await pickProtected(ctx, 10_000);
  if (!target) return { outcome: 'skipped', measurements: {}, note: 'no protected position to gap through' };
  const state = await ctx.monitor.fetchState();
  const leg = state.orders.find((o) => o.symbol === target.symbol && isWorkingOrder(o) && legOf(o.orderRef) === (through === 'stop' ? 'SL' : 'TP'));
  const level = through === 'stop' ? leg?.auxPrice : leg?.lmtPrice;
  const { snapshot } = await ctx.system.admin<{ snapshot: { last: number } }>('POST /faults/jump', { symbol: target.symbol, pct: 0 });
  const goal = level ? level * (through === 'stop' ? 0.99 : 1.01) : snapshot.last * (1 + (through === 'stop' ? -(2 * ctx.strategy.stopLossPct + 2) : 2 * ctx.strategy.takeProfitPct + 2) / 100);
  const pct = Math.round((goal / snapshot.last - 1) * 10_000) / 100;
  const jump = await ctx.system.admin<{ realMs: number }>('POST /faults/jump', { symbol: target.symbol, pct });
  const flatAt = await pollUntil(async () => {
    const now = await ctx.monitor.fetchState();
    if (now.positions.some((p) => p.symbol === target.symbol && p.quantity !== 0)) return undefined;
    const fills = now.executions.filter((e) => e.symbol === target.symbol && e.realMs !== undefined && e.realMs >= jump.realMs);
    return fills.length ? Math.max(...fills.map((e) => e.realMs!)) : Date.now();
  }, 10_000, 20);
  const day = tradingDayOf(ctx.clock.now());
  const reason = flatAt === undefined ? undefined : await pollUntil(() => ctx.system.query<{ exit_reason: string }>('SELECT exit_reason FROM closed_positions_today WHERE symbol = ? AND close_date = ?', target.symbol, day)[0]?.exit_reason, 10_000, 100);
  return {
    outcome: 'injected', target: target.symbol,
    measurements: { through, pct, level: level ?? null, jumpToFlatMs: flatAt === undefined ? null : flatAt - jump.realMs, exitReason: reason ?? null },
    note: flatAt === undefined ? 'the position did not go flat within 10 s' : undefined,
  };
}

/** The next N orders (anyone's) are rejected by the broker: entries must be released, protection retried. */
export async function rejectOrders(ctx: FaultContext, count: number): Promise<FaultResult> {
  const sinceMs = Date.now();
  await ctx.system.admin('POST /faults/reject-next', { count });
  const rejected = await pollUntil(() => {
    const lines = ctx.monitor.linesOf('sim-gateway', 'order_rejected', sinceMs).filter((l) => Number(l.code) === 201);
    return lines.length >= count ? lines : undefined;
  }, 20_000, 100);
  const lines = rejected ?? ctx.monitor.linesOf('sim-gateway', 'order_rejected', sinceMs).filter((l) => Number(l.code) === 201);
  if (!rejected) await ctx.system.admin('POST /faults/reject-next', { count: 0 }); // do not leak into the next fault
  return { outcome: 'injected', measurements: { count, consumed: lines.length, refs: lines.map((l) => String(l.orderRef)).join(' ') } };
}

/**
 * Another process holds the DB's write lock (BEGIN IMMEDIATE) longer than the heartbeat staleness limit: every
 * heartbeat stops at once. The supervisor must see that this is a lock, not hung bots, and kill nobody.
 */
export async function holdDbLock(ctx: FaultContext, holdMs: number): Promise<FaultResult> {
  const db = new Database(ctx.system.env.DB_PATH!);
  db.pragma('busy_timeout = 10000');
  const requestedMs = Date.now();
  let acquiredMs: number;
  try {
    db.exec('BEGIN IMMEDIATE');
    acquiredMs = Date.now();
    await sleep(holdMs);
  } finally {
    if (db.inTransaction) db.exec('COMMIT');
    db.close();
  }
  const releasedMs = Date.now();
  await sleep(ctx.limits.heartbeatStaleMs + 1_000);
  const kills = ctx.monitor.linesOf('supervisor', 'bot_unhealthy', acquiredMs).filter((l) => l.atMs <= releasedMs + ctx.limits.heartbeatStaleMs);
  for (const kill of kills) ctx.violate('noKillDuringDbLock', `the supervisor acted on ${String(kill.target)} (${String(kill.reason)}) at ${kill.timestamp} while the harness held the DB lock from ${new Date(acquiredMs).toISOString()} for ${releasedMs - acquiredMs} ms`);
  const noticed = ctx.monitor.linesOf('supervisor', 'db_write_blocked', acquiredMs).length > 0;
  const fresh = ctx.monitor.heartbeats();
  const stale = ['exit-manager', 'day-trader', 'reconciler', 'supervisor'].filter((app) => !fresh.get(app) || Date.now() - fresh.get(app)!.beat_at_ms > ctx.limits.heartbeatStaleMs);
  return {
    outcome: 'injected',
    measurements: { holdMs: releasedMs - acquiredMs, waitedForLockMs: acquiredMs - requestedMs, supervisorNoticedLock: noticed, supervisorKills: kills.length, staleAfterRelease: stale.join(' ') },
  };
}
