import path from 'node:path';
import Database from 'better-sqlite3';
import { EntryExecutor } from '../../../apps/day-trader/entry-executor';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import { createRepositories, openDatabase, type Db } from '../../../shared/db';
import { memoryLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';
import { DAY, flush } from './fake-market-day';


/**
 * The day-trader side of a DB lock held by another process: the executions of its entries arrive during the
 * lock and none can be booked. One error line for the episode, the repeats counted, one line when it is over;
 * the entries are booked once the lock is gone, never by a second order.
 */
describe('day-trader: order events failing during another process\'s DB lock', () => {
  const temp = makeTempDir('day-trader-db-lock');
  let db: Db;
  let lockHolder: Database.Database | undefined;
  afterEach(() => {
    if (lockHolder?.inTransaction) lockHolder.exec('ROLLBACK');
    lockHolder?.close();
    db.close();
  });
  afterAll(() => temp.cleanup());

  it('logs one order_event_failed error for the whole lock and one end line with the count', async () => {
    db = openDatabase(path.join(temp.dir, 'dt-lock.db'), { busyTimeoutMs: 20, lockBreaker: {} });
    const clock = new ManualClock(newYorkTime(DAY, '10:00'));
    const repos = createRepositories(db, clock, 'day-trader');
    const broker = new FakeBroker(clock, { clientId: 11 });
    await broker.connect();
    const log = memoryLogger();
    const entries = new EntryExecutor({ app: 'day-trader', broker, repos, clock, log, config: loadConfig({ env: {} }) });
    entries.start();
    const symbols = ['AAA', 'BBB', 'CCC'];
    for (const symbol of symbols) broker.setPrice(symbol, 50);
    broker.holdExecutions();
    const results = await Promise.all(symbols.map((symbol) => entries.enter({ symbol, quantity: 100, limitPrice: 50.1, stopLossPrice: 49.55, profitTargetPrice: 50.9, score: 80, reason: 'test' })));
    expect(results.every((r) => r.ok)).toBe(true);
    await flush();

    lockHolder = new Database(db.name);
    lockHolder.exec('BEGIN IMMEDIATE');
    broker.releaseExecutions(); // the executions (and their commissions) arrive while nothing can be written
    await flush();
    const errors = () => log.lines.filter((l) => l.event === 'order_event_failed' && l.level === 'error');
    const repeats = log.lines.filter((l) => l.event === 'order_event_failed' && l.level === 'debug').length;
    expect(errors()).toEqual([expect.objectContaining({ fields: expect.objectContaining({ episode: 'started', failureKind: 'db_locked', error: expect.stringMatching(/locked/) }) })]);
    expect(repeats).toBeGreaterThanOrEqual(2);
    expect(log.lines.filter((l) => l.event === 'order_event_failures_ended')).toEqual([]);

    lockHolder.exec('COMMIT');
    // Nothing lost: the entry loop settles the refused entries from the broker before it makes a new one.
    await entries.ensureResolved(0);
    for (const symbol of symbols) expect(repos.positions.getActivePosition(symbol)).toMatchObject({ entryBooked: 100, quantity: 100 });
    broker.setPrice('DDD', 20);
    await entries.enter({ symbol: 'DDD', quantity: 10, limitPrice: 20.1, stopLossPrice: 19.8, profitTargetPrice: 20.4, score: 80, reason: 'test' });
    const ended = await waitUntil(() => log.lines.find((l) => l.event === 'order_event_failures_ended'), 5_000, 'the end of the episode');
    expect(ended).toMatchObject({ level: 'warn', fields: { failureKind: 'db_locked', failures: repeats + 1 } });
    expect(errors()).toHaveLength(1);
    expect(broker.sent.filter((s) => s.request.side === 'BUY')).toHaveLength(4);
  });
});
