import Database from 'better-sqlite3';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { isApiClient, isWorkingOrder, legOf, type SimExecutionView, type SimStateView } from './broker-state';
import type { FaultContext, FaultResult } from './fault-context';
import { pollUntil, sleep } from './process-control';
import { assessProtection, type ProtectionView } from './protection';

/** The bots' positions the exit manager fully protects with its pair (the ones a jump or a manual close can hit cleanly). */
function protectedPositions(ctx: FaultContext, state: SimStateView): ProtectionView[] {
  return assessProtection(state, ctx.monitor.botQuantity).filter((v) => v.how === 'pair' && v.quantity > 0);
}

/** One of the bots' protected positions (waiting up to waitMs for one), optionally only those `accept` takes. */
export async function pickProtected(ctx: FaultContext, waitMs: number, accept: (view: ProtectionView) => boolean = () => true): Promise<{ symbol: string; quantity: number } | undefined> {
  const found = await pollUntil(async () => {
    const held = protectedPositions(ctx, await ctx.monitor.fetchState()).filter(accept);
    return held.length ? held : undefined;
  }, waitMs, 250);
  return found ? ctx.random.pick(found) : undefined;
}

function activeSymbols(ctx: FaultContext): Set<string> {
  return new Set(ctx.system.query<{ symbol: string }>('SELECT symbol FROM active_positions').map((r) => r.symbol));
}

/**
 * A position opened by hand in TWS (no API order). The symbol is one the bots know (it was scanned) but that
 * nobody touched today. Under FOREIGN_POSITIONS=ignore these shares are foreign: the harness books them as
 * such BEFORE the trade, so no poll ever counts them as the bots'.
 */
export async function openByHand(ctx: FaultContext, quantity: number): Promise<{ symbol: string; execution: SimExecutionView } | undefined> {
  const state = await ctx.monitor.fetchState();
  const today = tradingDayOf(ctx.clock.now());
  const busy = new Set([
    ...state.positions.map((p) => p.symbol), ...state.executions.filter((e) => e.tradingDay === today).map((e) => e.symbol),
    ...state.orders.filter(isWorkingOrder).map((o) => o.symbol), ...activeSymbols(ctx), ...ctx.monitor.book.foreignStockSymbols(),
    ...(state.reportedPositions ?? []).map((h) => h.symbol),
  ]);
  const known = ctx.system.query<{ symbol: string }>('SELECT DISTINCT symbol FROM signals ORDER BY symbol').map((r) => r.symbol).filter((s) => !busy.has(s));
  if (known.length === 0) return undefined;
  const symbol = ctx.random.pick(known);
  ctx.monitor.book.recordManualOpen(symbol, quantity, Date.now());
  ctx.monitor.noteManualTrade(symbol);
  const { execution } = await ctx.system.admin<{ execution: SimExecutionView }>('POST /quirks/manual-trade', { symbol, quantity });
  return { symbol, execution };
}

/** How long the bots must have left a position bought by hand alone before the fault counts it as ignored (real ms). */
const LEFT_ALONE_MS = 5_000;

export async function manualOpen(ctx: FaultContext, quantity: number): Promise<FaultResult> {
  const opened = await openByHand(ctx, quantity);
  if (!opened) return { outcome: 'skipped', measurements: {}, note: 'no untouched symbol to buy by hand' };
  if (ctx.monitor.book.policy === 'ignore') {
    // Left alone: no row, no order of a bot, through at least one reconciliation after the trade.
    const sinceMs = Date.now();
    const lastRun = ctx.system.query<{ id: number }>('SELECT COALESCE(MAX(id), 0) AS id FROM reconciliation_log')[0]?.id ?? 0;
    const reconciled = await pollUntil(() => ctx.system.query<{ details: string }>("SELECT details FROM reconciliation_log WHERE id > ? AND status != 'FAILED' ORDER BY id LIMIT 1", lastRun)[0], 15_000, 250);
    await sleep(sinceMs + LEFT_ALONE_MS - Date.now());
    const state = await ctx.monitor.fetchState();
    const named = state.orders.filter((o) => isApiClient(o) && o.symbol === opened.symbol);
    // The day-trader may well enter the symbol itself meanwhile (a claim, P-): the bots then hold shares of
    // their own beside the foreign ones. Taking the foreign shares over is an adoption (A-).
    const adopted = ctx.system.query<{ id: string }>("SELECT id FROM active_positions WHERE symbol = ? AND id LIKE 'A-%'", opened.symbol)[0];
    if (adopted) ctx.violate('foreignUntouched', `${opened.symbol}: ${quantity} shares bought by hand were taken over as ${adopted.id} (FOREIGN_POSITIONS=ignore)`);
    const ownEntries = named.filter((o) => o.action === 'BUY').length;
    return {
      outcome: 'injected', target: opened.symbol,
      measurements: {
        quantity, leftAlone: !adopted, botOrders: named.map((o) => o.orderRef).join(' '), botEntriesMeanwhile: ownEntries,
        reconciledSinceTrade: reconciled !== undefined, reconcilerSawIt: reconciled ? reconciled.details.includes(opened.symbol) : null,
      },
    };
  }
  const protectedAt = await pollUntil(async () => {
    const view = assessProtection(await ctx.monitor.fetchState(), ctx.monitor.botQuantity).find((v) => v.symbol === opened.symbol);
    return view?.protected ? view.protectedSinceRealMs ?? Date.now() : undefined;
  }, 10_000, 20);
  return {
    outcome: 'injected', target: opened.symbol,
    measurements: { quantity, fillToProtectedMs: protectedAt !== undefined && opened.execution.realMs ? protectedAt - opened.execution.realMs : null },
  };
}

/**
 * A held position closed by hand: the DB must notice (RECONCILED_FLAT) and the orphaned protection must go.
 * Only a symbol without foreign shares: selling by hand where the account also holds shares of its own would
 * leave nobody able to tell whose shares went.
 */
export async function manualClose(ctx: FaultContext): Promise<FaultResult> {
  const target = await pickProtected(ctx, 10_000, (view) => ctx.monitor.book.ignoredOf(view.symbol) === 0);
  if (!target) return { outcome: 'skipped', measurements: {}, note: 'no protected position to close by hand' };
  ctx.monitor.noteManualTrade(target.symbol);
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
export async function priceJump(ctx: FaultContext, through: 'stop' | 'target', waitMs = 10_000): Promise<FaultResult> {
  const target = await pickProtected(ctx, waitMs);
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
    if (now.positions.some((p) => p.symbol === target.symbol && ctx.monitor.botQuantity(p) !== 0)) return undefined;
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
  }, 12_000, 100);
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
