import path from 'node:path';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime, nextTradingDay } from '../../shared/time/trading-calendar';
import { createRepositories, openDatabase, syncActivePositions, type Db, type Repositories } from '../../shared/db';
import { makeTempDir } from '../helpers/temp-dir';

const DAY = '2026-11-23';
import { MIGRATIONS } from '../../shared/db/migrations';

describe('repositories on a real SQLite file', () => {
  const temp = makeTempDir('repos');
  let db: Db;
  let clock: ManualClock;
  let repos: Repositories;
  let n = 0;

  beforeEach(() => {
    db = openDatabase(path.join(temp.dir, `repos-${n++}.db`));
    clock = new ManualClock(newYorkTime(DAY, '09:40'));
    repos = createRepositories(db, clock, 'test');
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  const claim = (symbol: string, maxOpenPositions = 5) =>
    repos.positions.claimSymbol({ symbol, tradingDay: DAY, agentName: 'test', maxOpenPositions, requestedQuantity: 100 });
  const fill = (positionId: string, execId: string, side: 'BUY' | 'SELL', quantity: number, price: number, commission?: number) => ({
    execId, symbol: repos.positions.getById(positionId)?.symbol ?? 'X', side, quantity, price, commission, executedAtMs: clock.now(),
  });

  it('opens with WAL, foreign keys, NORMAL sync and the schema recorded', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('claims a symbol once, refuses a second claim, the max-open limit and a same-day re-entry', () => {
    const first = claim('AAPL');
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.position).toMatchObject({ symbol: 'AAPL', status: 'PENDING_ENTRY', quantity: 0, entryOrderRef: first.position.id, requestedQuantity: 100 });
    expect(claim('AAPL')).toEqual({ ok: false, reason: 'ALREADY_ACTIVE' });
    expect(claim('MSFT', 1)).toEqual({ ok: false, reason: 'MAX_OPEN_POSITIONS' });
    expect(repos.positions.isPositionActive('AAPL')).toBe(true);

    repos.ledger.recordEntryFill(first.position.id, fill(first.position.id, 'e1', 'BUY', 100, 50, 1));
    repos.ledger.recordExit(first.position.id, fill(first.position.id, 'x1', 'SELL', 100, 51, 1), 'PROFIT_TARGET');
    expect(repos.positions.isPositionActive('AAPL')).toBe(false);
    expect(repos.closed.wasClosedToday('AAPL', DAY)).toBe(true);
    expect(claim('AAPL')).toEqual({ ok: false, reason: 'CLOSED_TODAY' });
    const nextDay = repos.positions.claimSymbol({ symbol: 'AAPL', tradingDay: nextTradingDay(DAY), agentName: 't', maxOpenPositions: 5 });
    expect(nextDay.ok).toBe(true);
  });

  it('releases only an unfilled claim', () => {
    const a = claim('AAPL');
    const b = claim('MSFT');
    if (!a.ok || !b.ok) throw new Error('claims failed');
    repos.ledger.recordEntryFill(b.position.id, fill(b.position.id, 'e-b', 'BUY', 10, 20));
    expect(repos.positions.releaseClaim(a.position.id)).toBe(true);
    expect(repos.positions.releaseClaim(b.position.id)).toBe(false);
    expect(repos.positions.getActivePositions().map((p) => p.symbol)).toEqual(['MSFT']);
  });

  it('averages partial entry fills, books each exec id once and moves PENDING_ENTRY to OPEN', () => {
    const c = claim('TSLA');
    if (!c.ok) throw new Error(c.reason);
    expect(repos.ledger.recordEntryFill(c.position.id, fill(c.position.id, 'e1', 'BUY', 60, 10, 1)).status).toBe('recorded');
    expect(repos.ledger.recordEntryFill(c.position.id, fill(c.position.id, 'e1', 'BUY', 60, 10, 1)).status).toBe('duplicate');
    repos.ledger.recordEntryFill(c.position.id, fill(c.position.id, 'e2', 'BUY', 40, 11, 1));
    const position = repos.positions.getById(c.position.id)!;
    expect(position.status).toBe('OPEN');
    expect(position.quantity).toBe(100);
    expect(position.entryPrice).toBeCloseTo(10.4, 10);
    expect(repos.trades.getByPosition(c.position.id)).toHaveLength(2);
  });

  it('records a partial exit, then the full close once, with P&L from real fills and commissions', () => {
    const c = claim('NVDA');
    if (!c.ok) throw new Error(c.reason);
    repos.ledger.recordEntryFill(c.position.id, fill(c.position.id, 'e1', 'BUY', 100, 100, 1));
    clock.advance(60_000);
    const partial = repos.ledger.recordExit(c.position.id, fill(c.position.id, 'x1', 'SELL', 40, 99, 1), 'STOP_LOSS');
    expect(partial).toMatchObject({ status: 'recorded', closed: false });
    expect(repos.positions.getById(c.position.id)).toMatchObject({ quantity: 60, status: 'CLOSING', exitReason: 'STOP_LOSS' });
    const done = repos.ledger.recordExit(c.position.id, fill(c.position.id, 'x2', 'SELL', 60, 98, 1), 'STOP_LOSS');
    expect(done.status).toBe('recorded');
    expect(repos.ledger.recordExit(c.position.id, fill(c.position.id, 'x2', 'SELL', 60, 98, 1), 'STOP_LOSS')).toEqual({ status: 'duplicate' });
    const [closed] = repos.closed.getClosedToday(DAY);
    // exit avg = (40*99 + 60*98)/100 = 98.4; gross = -1.6 * 100 = -160; commissions 3
    expect(closed).toMatchObject({ symbol: 'NVDA', quantity: 100, exitReason: 'STOP_LOSS', commission: 3 });
    expect(closed!.exitPrice).toBeCloseTo(98.4, 10);
    expect(closed!.realizedPnl).toBeCloseTo(-163, 10);
    expect(closed!.profitLossPct).toBeCloseTo(-1.6, 10);
    expect(repos.positions.getById(c.position.id)).toBeUndefined();
    const trip = db.prepare('SELECT status, realized_pnl FROM round_trips WHERE position_id = ?').get(c.position.id) as { status: string; realized_pnl: number };
    expect(trip.status).toBe('CLOSED');
    expect(trip.realized_pnl).toBeCloseTo(-163, 10);
  });

  it('books a commission that arrives after the close into the closed row once', () => {
    const c = claim('AMD');
    if (!c.ok) throw new Error(c.reason);
    repos.ledger.recordEntryFill(c.position.id, fill(c.position.id, 'e1', 'BUY', 10, 100, 1));
    repos.ledger.recordExit(c.position.id, fill(c.position.id, 'x1', 'SELL', 10, 102), 'PROFIT_TARGET');
    expect(repos.closed.getClosedToday(DAY)[0]!.realizedPnl).toBeCloseTo(19, 10);
    expect(repos.ledger.recordCommission('x1', 1.5)).toBe(true);
    expect(repos.ledger.recordCommission('x1', 1.5)).toBe(false);
    expect(repos.closed.getClosedToday(DAY)[0]!.realizedPnl).toBeCloseTo(17.5, 10);
  });

  it('books an exit for an unknown position as UNTRACKED, once', () => {
    const result = repos.ledger.recordExit('P-20261123-ZZZ-abcdef', { execId: 'x9', symbol: 'ZZZ', side: 'SELL', quantity: 5, price: 10, executedAtMs: clock.now() }, 'STOP_LOSS');
    expect(result).toEqual({ status: 'no_position' });
    expect(repos.trades.getByExecId('x9')?.purpose).toBe('UNTRACKED');
    expect(repos.ledger.recordExit('P-20261123-ZZZ-abcdef', { execId: 'x9', symbol: 'ZZZ', side: 'SELL', quantity: 5, price: 10, executedAtMs: clock.now() }, 'STOP_LOSS')).toEqual({ status: 'duplicate' });
  });

  it('archives earlier days on the roll and never clears today, however often it runs', () => {
    const c = claim('IBM');
    if (!c.ok) throw new Error(c.reason);
    repos.ledger.recordEntryFill(c.position.id, fill(c.position.id, 'e1', 'BUY', 10, 100));
    repos.ledger.recordExit(c.position.id, fill(c.position.id, 'x1', 'SELL', 10, 101), 'PROFIT_TARGET');
    expect(repos.closed.clearClosedToday(DAY)).toEqual({ archived: 0 });
    expect(repos.closed.clearClosedToday(DAY)).toEqual({ archived: 0 });
    expect(repos.closed.wasClosedToday('IBM', DAY)).toBe(true);
    const next = nextTradingDay(DAY);
    expect(repos.closed.clearClosedToday(next)).toEqual({ archived: 1 });
    expect(repos.closed.getClosedToday(DAY)).toEqual([]);
    expect(repos.closed.getClosedOn(DAY).map((r) => r.symbol)).toEqual(['IBM']);
  });

  it('syncs from a broker snapshot: adopts, fixes quantities, reports flat and in-flight rows', () => {
    const pending = claim('PEND');
    const open = claim('OPEN');
    const flat = claim('FLAT');
    if (!pending.ok || !open.ok || !flat.ok) throw new Error('claims failed');
    repos.ledger.recordEntryFill(open.position.id, fill(open.position.id, 'e-open', 'BUY', 100, 10));
    repos.ledger.recordEntryFill(flat.position.id, fill(flat.position.id, 'e-flat', 'BUY', 100, 10));
    const result = syncActivePositions(db, clock, [
      { symbol: 'OPEN', quantity: 80, averageCost: 10 },
      { symbol: 'HAND', quantity: 50, averageCost: 33 },
    ], { tradingDay: DAY, app: 'test', adoptUntracked: true, fixQuantities: true });
    const kinds = Object.fromEntries(result.differences.map((d) => [d.symbol, d.kind]));
    expect(kinds).toEqual({ PEND: 'ENTRY_IN_FLIGHT', OPEN: 'QUANTITY_DIFFERS', FLAT: 'MISSING_AT_BROKER', HAND: 'MISSING_IN_DB' });
    expect(result.changes.map((c) => [c.symbol, c.action])).toEqual([['OPEN', 'QUANTITY_UPDATED'], ['HAND', 'ADOPTED']]);
    expect(repos.positions.getActivePosition('OPEN')!.quantity).toBe(80);
    expect(repos.positions.getActivePosition('HAND')).toMatchObject({ status: 'OPEN', quantity: 50, entryPrice: 33, agentName: 'adopted' });
    expect(repos.positions.getActivePosition('FLAT')!.quantity).toBe(100);
  });

  it('never hands out an order id at or below one already used, even when the broker goes backwards', () => {
    expect(repos.orderIds.reserve(12, 100)).toBe(100);
    expect(repos.orderIds.reserve(12, 101)).toBe(101);
    expect(repos.orderIds.reserve(12, 5)).toBe(102);
    expect(repos.orderIds.reserve(11, 5)).toBe(5);
    // Blocks: the whole block is persisted, so the next reservation starts after it.
    expect(repos.orderIds.reserve(12, 5, 50)).toBe(103);
    expect(repos.orderIds.lastUsed(12)).toBe(152);
    expect(repos.orderIds.reserve(12, 5, 50)).toBe(153);
  });

  it('writes order intents once and never lets a terminal status move back', () => {
    const intent = { orderRef: 'P-1:SL:1', positionId: 'P-1', symbol: 'AAPL', side: 'SELL' as const, orderType: 'STP', quantity: 10, purpose: 'STOP_LOSS' as const, clientId: 12, app: 'exit-manager', tradingDay: DAY, stopPrice: 99 };
    expect(repos.orders.recordIntent(intent)).toBe(true);
    expect(repos.orders.recordIntent(intent)).toBe(false);
    repos.orders.markSubmitted('P-1:SL:1', 1001, 555);
    expect(repos.orders.getByRef('P-1:SL:1')).toMatchObject({ status: 'SUBMITTED', brokerOrderId: 1001, permId: 555 });
    expect(repos.orders.updateStatus('P-1:SL:1', { status: 'FILLED', filledQuantity: 10, avgFillPrice: 98.9 })).toBe(true);
    expect(repos.orders.updateStatus('P-1:SL:1', { status: 'SUBMITTED' })).toBe(false);
    expect(repos.orders.getByBrokerId(12, 1001)?.status).toBe('FILLED');
    expect(repos.orders.getOpen()).toEqual([]);
  });

  it('keeps one heartbeat row per app', () => {
    const beat = { app: 'exit-manager', pid: 1, state: 'ready' as const, beatAtMs: 1, startedAtMs: 0, readyAtMs: 1, progressAtMs: 1, loopLagMs: 2, brokerConnected: true, brokerDownSinceMs: null, detail: { a: 1 } };
    repos.heartbeats.beat(beat);
    repos.heartbeats.beat({ ...beat, pid: 2, beatAtMs: 5, brokerConnected: false, brokerDownSinceMs: 4 });
    expect(repos.heartbeats.getAll()).toEqual([{ ...beat, pid: 2, beatAtMs: 5, brokerConnected: false, brokerDownSinceMs: 4 }]);
  });
});
