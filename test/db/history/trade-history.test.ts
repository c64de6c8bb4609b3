import path from 'node:path';
import { createRepositories, openDatabase, type Db } from '../../../shared/db';
import { DailySummaryRepository, PerformanceLoader, TradeHistoryRepository, tradingDayEndIso, tradingDayStartIso } from '../../../shared/history';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime, tradingDayOf } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';

describe('trade history on a real SQLite file', () => {
  const temp = makeTempDir('history');
  let db: Db;
  let clock: ManualClock;
  let history: TradeHistoryRepository;
  let n = 0;

  beforeEach(() => {
    db = openDatabase(path.join(temp.dir, `history-${n++}.db`));
    clock = new ManualClock(newYorkTime('2026-11-23', '09:30'));
    history = new TradeHistoryRepository(db, clock);
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  function trip(positionId: string, symbol: string, day: string, entry: string, exit: string | null, entryPrice: number, exitPrice: number, quantity = 10, agentName = 'gap-momentum', commission = 0) {
    history.recordTrade({ positionId, symbol, agentName, quantity, entryPrice, entryTimeMs: newYorkTime(day, entry), commission, source: 'import' });
    if (exit) history.closeTrade(positionId, { exitPrice, exitTimeMs: newYorkTime(day, exit), exitReason: 'PROFIT_TARGET' });
  }

  it('records a trade OPEN, closes it once with P&L after commissions, and refuses duplicates', () => {
    expect(history.recordTrade({ positionId: 'J-1', symbol: 'AAPL', agentName: 'a', quantity: 100, entryPrice: 50, entryTimeMs: newYorkTime('2026-11-23', '10:00'), commission: 1 })).toBe(true);
    expect(history.recordTrade({ positionId: 'J-1', symbol: 'AAPL', agentName: 'a', quantity: 999, entryPrice: 1, entryTimeMs: 0 })).toBe(false);
    expect(history.get('J-1')).toMatchObject({ status: 'OPEN', quantity: 100, entryPrice: 50, realizedPnl: null, tradingDay: '2026-11-23', source: 'import', direction: 'LONG' });
    const closed = history.closeTrade('J-1', { exitPrice: 51.5, exitTimeMs: newYorkTime('2026-11-23', '11:00'), exitReason: 'PROFIT_TARGET', exitCommission: 1 });
    // (51.5 - 50) × 100 - (1 + 1) = 148; pnl % = (51.5 / 50 - 1) × 100 = 3
    expect(closed.status).toBe('closed');
    expect(history.get('J-1')).toMatchObject({ status: 'CLOSED', exitPrice: 51.5, commission: 2, realizedPnl: 148, exitReason: 'PROFIT_TARGET', exitTime: '2026-11-23T16:00:00.000Z' });
    expect(history.get('J-1')!.pnlPct).toBeCloseTo(3, 12);
    expect(history.closeTrade('J-1', { exitPrice: 1, exitTimeMs: 0, exitReason: 'X' }).status).toBe('already_closed');
    expect(history.closeTrade('nope', { exitPrice: 1, exitTimeMs: 0, exitReason: 'X' })).toEqual({ status: 'not_found' });
  });

  it('computes short P&L with the sign reversed', () => {
    history.recordTrade({ positionId: 'S-1', symbol: 'TSLA', agentName: 'a', direction: 'SHORT', quantity: 10, entryPrice: 200, entryTimeMs: newYorkTime('2026-11-23', '10:00') });
    history.closeTrade('S-1', { exitPrice: 190, exitTimeMs: newYorkTime('2026-11-23', '10:30'), exitReason: 'PROFIT_TARGET' });
    // -1 × (190 - 200) × 10 = +100; pct = -1 × (190/200 - 1) × 100 = +5
    expect(history.get('S-1')!.realizedPnl).toBeCloseTo(100, 10);
    expect(history.get('S-1')!.pnlPct).toBeCloseTo(5, 10);
  });

  it('filters by symbol, agent, status and trading day of the exit', () => {
    trip('A1', 'AAPL', '2026-11-23', '10:00', '11:00', 100, 101);
    trip('M1', 'MSFT', '2026-11-23', '10:00', '10:30', 100, 99, 10, 'other');
    trip('A2', 'AAPL', '2026-11-24', '10:00', '15:00', 100, 102);
    trip('A3', 'AAPL', '2026-11-25', '10:00', null, 100, 0);
    // An adopted position entered Friday 11-20 and closed Monday 11-23: its P&L belongs to Monday
    history.recordTrade({ positionId: 'X1', symbol: 'IBM', agentName: 'adopted', quantity: 1, entryPrice: 10, entryTimeMs: newYorkTime('2026-11-20', '15:00'), source: 'adopted' });
    history.closeTrade('X1', { exitPrice: 11, exitTimeMs: newYorkTime('2026-11-23', '09:45'), exitReason: 'RECONCILED_FLAT' });

    const ids = (f: Parameters<TradeHistoryRepository['list']>[0]) => history.list(f).map((t) => t.positionId);
    expect(ids({})).toEqual(['X1', 'M1', 'A1', 'A2', 'A3']); // by exit time (entry time while open)
    expect(ids({ symbol: 'aapl' })).toEqual(['A1', 'A2', 'A3']);
    expect(ids({ agentName: 'other' })).toEqual(['M1']);
    expect(ids({ status: 'OPEN' })).toEqual(['A3']);
    expect(ids({ status: 'CLOSED', from: '2026-11-23', to: '2026-11-23' })).toEqual(['X1', 'M1', 'A1']);
    expect(ids({ from: '2026-11-24' })).toEqual(['A2', 'A3']);
    expect(ids({ from: '2026-11-21', to: '2026-11-22' })).toEqual([]); // a weekend
    expect(ids({ to: '2026-11-22' })).toEqual([]); // X1 closed on Monday, not Friday
    expect(ids({ source: 'adopted' })).toEqual(['X1']);
    expect(ids({ limit: 2 })).toEqual(['A3', 'A2']); // most recent first
    expect(history.closedForAnalytics({ symbol: 'AAPL' }).map((t) => t.realizedPnl)).toEqual([10, 20]);

    const stats = history.overallStats();
    // +10 (A1) -10 (M1) +20 (A2) +1 (X1)
    expect(stats).toMatchObject({ closedTrades: 4, openTrades: 1, wins: 3, losses: 1, breakeven: 0, netPnl: 21, grossProfit: 31, grossLoss: -10 });
    expect(history.overallStats({ symbol: 'MSFT' })).toMatchObject({ closedTrades: 1, netPnl: -10 });
    expect(history.overallStats({ from: '2027-01-01' })).toMatchObject({ closedTrades: 0, netPnl: 0, firstExitTime: null });
  });

  it('maps trading days to exit-time bounds that agree with tradingDayOf', () => {
    expect(tradingDayStartIso('2026-11-23')).toBe('2026-11-21T05:00:00.000Z'); // Saturday 00:00 EST belongs to Monday
    expect(tradingDayEndIso('2026-11-23')).toBe('2026-11-24T05:00:00.000Z');
    expect(tradingDayEndIso('2026-11-26')).toBe('2026-11-26T05:00:00.000Z'); // Thanksgiving: up to the end of Wednesday
    for (const ms of [Date.parse('2026-11-21T05:00:00.000Z'), Date.parse('2026-11-24T04:59:59.999Z')]) expect(tradingDayOf(ms)).toBe('2026-11-23');
    expect(tradingDayOf(Date.parse('2026-11-21T04:59:59.999Z'))).toBe('2026-11-20');
    // across the DST change: Monday 2026-03-09 starts at Saturday 03-07 00:00 EST
    expect(tradingDayStartIso('2026-03-09')).toBe('2026-03-07T05:00:00.000Z');
    expect(tradingDayEndIso('2026-03-09')).toBe('2026-03-10T04:00:00.000Z');
  });

  it('reads what the bots wrote through PositionLedger', () => {
    const repos = createRepositories(db, clock, 'test');
    const claim = repos.positions.claimSymbol({ symbol: 'NVDA', tradingDay: '2026-11-23', agentName: 'gap-momentum', maxOpenPositions: 5, requestedQuantity: 10 });
    if (!claim.ok) throw new Error(claim.reason);
    clock.set(newYorkTime('2026-11-23', '10:00'));
    repos.ledger.recordEntryFill(claim.position.id, { execId: 'e1', symbol: 'NVDA', side: 'BUY', quantity: 10, price: 100, commission: 1, executedAtMs: clock.now() });
    expect(history.list({ status: 'OPEN' }).map((t) => t.symbol)).toEqual(['NVDA']);
    clock.set(newYorkTime('2026-11-23', '11:00'));
    repos.ledger.recordExit(claim.position.id, { execId: 'x1', symbol: 'NVDA', side: 'SELL', quantity: 10, price: 99, commission: 1, executedAtMs: clock.now() }, 'STOP_LOSS');
    // (99 - 100) × 10 - 2 = -12
    expect(history.list({ from: '2026-11-23', to: '2026-11-23' })).toMatchObject([{ symbol: 'NVDA', status: 'CLOSED', realizedPnl: -12, exitReason: 'STOP_LOSS', source: 'bot' }]);
  });
});

describe('daily summary and the daily equity series', () => {
  const temp = makeTempDir('daily');
  let db: Db;
  let clock: ManualClock;
  afterAll(() => temp.cleanup());

  beforeEach(() => {
    db = openDatabase(path.join(temp.dir, `daily-${Date.now()}-${Math.random()}.db`));
    clock = new ManualClock(newYorkTime('2026-11-24', '16:05'));
  });
  afterEach(() => db.close());

  it('recomputes a day from the round trips closed that day and keeps or sets the equity', () => {
    const history = new TradeHistoryRepository(db, clock);
    const add = (id: string, day: string, entryPrice: number, exitPrice: number, commission = 1) => {
      history.recordTrade({ positionId: id, symbol: id, agentName: 'a', quantity: 10, entryPrice, entryTimeMs: newYorkTime(day, '10:00'), commission });
      history.closeTrade(id, { exitPrice, exitTimeMs: newYorkTime(day, '11:00'), exitReason: 'X', exitCommission: commission });
    };
    add('W1', '2026-11-24', 100, 103); // 30 - 2 = 28
    add('W2', '2026-11-24', 50, 51); // 10 - 2 = 8
    add('L1', '2026-11-24', 20, 19); // -10 - 2 = -12
    add('OTHER', '2026-11-23', 10, 20); // another day: 100 - 2 = 98
    const summaries = new DailySummaryRepository(db, clock);
    const row = summaries.recomputeDay('2026-11-24', { startEquity: 100_000, endEquity: 100_030 });
    expect(row).toMatchObject({ tradingDay: '2026-11-24', trades: 3, wins: 2, losses: 1, realizedPnl: 24, commissions: 6, grossProfit: 36, grossLoss: -12, startEquity: 100_000, endEquity: 100_030 });
    // recomputing without equity keeps the recorded equity; with endEquity: null clears it
    expect(summaries.recomputeDay('2026-11-24')).toMatchObject({ trades: 3, startEquity: 100_000, endEquity: 100_030 });
    expect(summaries.recomputeDay('2026-11-24', { endEquity: null })).toMatchObject({ startEquity: 100_000, endEquity: null });
    expect(summaries.recomputeDay('2026-11-26')).toMatchObject({ trades: 0, realizedPnl: 0, startEquity: null }); // a holiday, nothing closed
    expect(summaries.range('2026-11-24', '2026-11-30').map((s) => s.tradingDay)).toEqual(['2026-11-24', '2026-11-26']);

    // The series: 11-23 derived from 100,000 + 98; 11-24 the account's own start and end; the holiday row of
    // 11-26 is not a trading day and is left out, 11-25 is filled in as a 0-P&L day.
    summaries.recomputeDay('2026-11-24', { endEquity: 100_030 });
    const loader = new PerformanceLoader(db, clock);
    const daily = loader.dailyEquity({ initialCapital: 100_000 });
    expect(daily.map((d) => [d.tradingDay, d.startEquity, d.endEquity, d.pnl, d.endSource])).toEqual([
      ['2026-11-23', 100_000, 100_098, 98, 'derived'],
      ['2026-11-24', 100_000, 100_030, 24, 'account'],
    ]);
    expect(loader.dailyEquity({ fillTo: '2026-11-27' }).map((d) => [d.tradingDay, d.endEquity])).toEqual([
      ['2026-11-23', 100_098], ['2026-11-24', 100_030], ['2026-11-25', 100_030], ['2026-11-27', 100_030],
    ]);
    const { metrics } = loader.performance({ from: '2026-11-24', to: '2026-11-24' });
    expect(metrics.trades.trades).toBe(3);
    expect(metrics.totalReturn).toBeCloseTo(0.0003, 12); // 100,030 / 100,000 - 1
    const aapl = loader.performance({ symbol: 'W1' });
    expect(aapl.metrics).toMatchObject({ startEquity: 100_000, endEquity: 100_028 });
  });
});
