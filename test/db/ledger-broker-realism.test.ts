import path from 'node:path';
import { createRepositories, executionBase, executionVersion, openDatabase, type Db, type Repositories } from '../../shared/db';
import type { ExecutionRecord } from '../../shared/db/types';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { makeTempDir } from '../helpers/temp-dir';

const DAY = '2026-11-23';

/** The ledger against what IB really sends: corrections, statuses before executions, a symbol closing twice. */
describe('ledger against a realistic broker', () => {
  const temp = makeTempDir('ledger-realism');
  let n = 0;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  beforeEach(() => {
    db = openDatabase(path.join(temp.dir, `l-${n++}.db`));
    clock = new ManualClock(newYorkTime(DAY, '10:00'));
    repos = createRepositories(db, clock, 'test');
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  const claim = (symbol: string, quantity = 100) => {
    const result = repos.positions.claimSymbol({ symbol, tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: quantity });
    if (!result.ok) throw new Error(result.reason);
    return result.position.id;
  };
  const fill = (execId: string, side: 'BUY' | 'SELL', quantity: number, price: number, symbol = 'ABC', commission = 1): ExecutionRecord =>
    ({ execId, symbol, side, quantity, price, commission, executedAtMs: clock.now() });

  it('reads IB execution ids: the base without the version suffix', () => {
    expect(executionBase('0000e0d5.6571a3b5.01.02')).toBe('0000e0d5.6571a3b5.01');
    expect(executionVersion('0000e0d5.6571a3b5.01.02')).toBe(2);
    expect(executionBase('e1')).toBe('e1');
    expect(executionVersion('e1')).toBe(1);
  });

  it('books a correction as a replacement, not another fill, and recomputes the entry price', () => {
    const id = claim('ABC');
    repos.ledger.recordEntryFill(id, fill('0000a.b.01.01', 'BUY', 100, 50));
    expect(repos.ledger.recordEntryFill(id, fill('0000a.b.01.02', 'BUY', 100, 50.02))).toEqual({ status: 'corrected', execId: '0000a.b.01.02', previousExecId: '0000a.b.01.01' });
    expect(repos.ledger.recordEntryFill(id, fill('0000a.b.01.01', 'BUY', 100, 50))).toEqual({ status: 'duplicate' }); // the old version replayed
    expect(repos.ledger.recordEntryFill(id, fill('0000a.b.01.02', 'BUY', 100, 50.02))).toEqual({ status: 'duplicate' });
    expect(repos.trades.getByPosition(id)).toEqual([expect.objectContaining({ exec_id: '0000a.b.01.02', exec_base: '0000a.b.01', price: 50.02, corrections: 1, quantity: 100 })]);
    expect(repos.positions.getById(id)).toMatchObject({ quantity: 100, entryBooked: 100, entryPrice: 50.02 });
    expect(repos.trades.hasExecution('0000a.b.01.01')).toBe(true);
    expect(repos.trades.hasExecution('0000a.b.01.02')).toBe(true);
    expect(repos.trades.hasExecution('0000a.b.01.03')).toBe(false);
  });

  it('recomputes the money of a closed position when one of its executions is corrected', () => {
    const id = claim('ABC');
    repos.ledger.recordEntryFill(id, fill('0000a.e.01.01', 'BUY', 100, 50));
    repos.ledger.recordExit(id, fill('0000a.x.01.01', 'SELL', 100, 51), 'PROFIT_TARGET');
    expect(repos.closed.getClosedToday(DAY)[0]).toMatchObject({ exitPrice: 51, realizedPnl: 98 });
    repos.ledger.recordExit(id, fill('0000a.x.01.02', 'SELL', 100, 50.9), 'PROFIT_TARGET');
    expect(repos.closed.getClosedToday(DAY)).toEqual([expect.objectContaining({ exitPrice: 50.9, realizedPnl: expect.closeTo(88, 6), profitLossPct: expect.closeTo(1.8, 6) })]);
    expect(repos.trades.getByPosition(id).filter((t) => t.purpose === 'EXIT')).toHaveLength(1);
  });

  it('keeps the claim open while the entry works, protects from the reported fill, and closes only when everything is booked', () => {
    const id = claim('ABC');
    repos.ledger.recordEntryStatus(id, 0, true);
    expect(repos.positions.releaseClaim(id)).toBe(false); // working: never released
    repos.ledger.recordEntryStatus(id, 100, false); // Filled 100, executions on their way
    expect(repos.positions.releaseClaim(id)).toBe(false);
    expect(repos.positions.getById(id)).toMatchObject({ entryReported: 100, entryBooked: 0, entryWorking: false, quantity: 0 });
    // The take-profit's execution is booked before the entry's.
    const exit = repos.ledger.recordExit(id, fill('0000a.x.02.01', 'SELL', 100, 51), 'PROFIT_TARGET');
    expect(exit).toMatchObject({ status: 'recorded', closed: false, position: expect.objectContaining({ quantity: -100, status: 'CLOSING' }) });
    const entry = repos.ledger.recordEntryFill(id, fill('0000a.e.02.01', 'BUY', 100, 50));
    expect(entry).toMatchObject({ status: 'recorded', closed: expect.objectContaining({ positionId: id, quantity: 100, exitReason: 'PROFIT_TARGET', entryPrice: 50, exitPrice: 51 }) });
    expect(repos.positions.getById(id)).toBeUndefined();
  });

  it('does not close while the entry order still works, then closes on its final status', () => {
    const id = claim('ABC');
    repos.ledger.recordEntryStatus(id, 0, true);
    repos.ledger.recordEntryFill(id, fill('0000a.e.03.01', 'BUY', 60, 50));
    repos.ledger.recordEntryStatus(id, 60, true);
    repos.ledger.recordExit(id, fill('0000a.x.03.01', 'SELL', 60, 51), 'PROFIT_TARGET');
    expect(repos.positions.getById(id)).toMatchObject({ quantity: 0, status: 'CLOSING' }); // 40 more could still fill
    const result = repos.ledger.recordEntryStatus(id, 60, false); // Cancelled with 60 filled: the entry is over
    expect(result.closed).toMatchObject({ positionId: id, quantity: 60, exitReason: 'PROFIT_TARGET' });
  });

  it('keeps two closes of one symbol on one day as two rows, each with its own reason and P&L', () => {
    const first = claim('ABC');
    repos.ledger.recordEntryFill(first, fill('0000a.e.04.01', 'BUY', 100, 50));
    repos.ledger.recordExit(first, fill('0000a.x.04.01', 'SELL', 100, 50.9), 'PROFIT_TARGET');
    const adopted = repos.positions.addActivePosition({ symbol: 'ABC', quantity: 30, entryPrice: 49, agentName: 'adopted', status: 'OPEN', tradingDay: DAY });
    repos.ledger.recordExit(adopted.id, fill('0000a.x.05.01', 'SELL', 30, 48.5), 'EOD_LIQUIDATION_UNTRACKED');
    expect(repos.closed.getClosedToday(DAY).map((r) => [r.positionId, r.exitReason, r.quantity, r.realizedPnl])).toEqual([
      [first, 'PROFIT_TARGET', 100, expect.closeTo(88, 6)],
      [adopted.id, 'EOD_LIQUIDATION_UNTRACKED', 30, expect.closeTo(-16, 6)],
    ]);
    expect(repos.closed.wasClosedToday('ABC', DAY)).toBe(true);
  });
});
