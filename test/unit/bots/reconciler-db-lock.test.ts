import path from 'node:path';
import Database from 'better-sqlite3';
import { Reconciler } from '../../../apps/reconciler/reconciler';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { memoryLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';
import { DAY, flush } from './fake-market-day';

/**
 * The reconciler while another process holds the DB's write lock (a chaos run's db-lock fault). Its run after
 * a reconnect is awaited by nobody (`void reconcile('reconnected')`): a booking refused with SQLITE_BUSY
 * rejected that promise and reached the process runner's unhandled-rejection handler (db_busy_unhandled,
 * once per full chaos run). A run now ends FAILED with a warning and the next run does the work.
 */
describe('reconciler during another process\'s DB lock', () => {
  const temp = makeTempDir('reconciler-db-lock');
  let n = 0;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  let broker: FakeBroker;
  let lockHolder: Database.Database | undefined;

  beforeEach(async () => {
    // As the bots open it (run-app): a short busy timeout and the lock breaker.
    db = openDatabase(path.join(temp.dir, `r-lock-${n++}.db`), { busyTimeoutMs: 20, lockBreaker: {} });
    clock = new ManualClock(newYorkTime(DAY, '11:00'));
    repos = createRepositories(db, clock, 'reconciler');
    broker = new FakeBroker(clock, { clientId: 13 });
    await broker.connect();
  });
  afterEach(() => {
    if (lockHolder?.inTransaction) lockHolder.exec('ROLLBACK');
    lockHolder?.close();
    lockHolder = undefined;
    db.close();
  });
  afterAll(() => temp.cleanup());

  /** An entry the broker filled that the day-trader died before booking: the reconciler's run must write it. */
  async function unbookedEntry(symbol: string): Promise<string> {
    const claim = repos.positions.claimSymbol({ symbol, tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: 100 });
    if (!claim.ok) throw new Error(claim.reason);
    broker.setPrice(symbol, 50);
    await broker.placeOrder({ orderRef: claim.position.id, symbol, side: 'BUY', quantity: 100, type: 'MKT', tif: 'DAY' });
    await flush();
    return claim.position.id;
  }

  const lock = () => {
    lockHolder = new Database(db.name);
    lockHolder.exec('BEGIN IMMEDIATE');
  };

  it('ends a run whose writes the lock refuses as FAILED with a warning (never a rejection), and books at the next run', async () => {
    const log = memoryLogger();
    const reconciler = new Reconciler({ app: 'reconciler', broker, db, repos, clock, log, config: loadConfig({ env: {} }) });
    const positionId = await unbookedEntry('ABC');
    lock();

    // What main.ts does on a reconnect: nobody awaits it, so a rejection would be unhandled.
    await expect(reconciler.run('reconnected')).resolves.toMatchObject({ status: 'FAILED', booked: 0 });
    expect(log.lines.filter((l) => l.event === 'reconciliation_db_locked')).toEqual([
      { level: 'warn', event: 'reconciliation_db_locked', fields: expect.objectContaining({ trigger: 'reconnected', error: expect.stringMatching(/locked/), what: expect.stringMatching(/next run/) }) },
    ]);
    expect(repos.trades.getByPosition(positionId)).toEqual([]); // really refused

    lockHolder!.exec('COMMIT');
    clock.advance(10_000);
    const next = await reconciler.run('interval');
    expect(next.status).not.toBe('FAILED');
    expect(next.booked).toBe(1);
    expect(repos.positions.getById(positionId)).toMatchObject({ quantity: 100 });
    expect(repos.reconciliation.latest()).toMatchObject({ trigger: 'interval' });
  });

  it('does not reject either when the broker\'s snapshot failed and the FAILED row cannot be written', async () => {
    const log = memoryLogger();
    const reconciler = new Reconciler({ app: 'reconciler', broker, db, repos, clock, log, config: loadConfig({ env: {} }) });
    broker.failNextSnapshot('positions');
    lock();
    await expect(reconciler.run('reconnected')).resolves.toMatchObject({ status: 'FAILED' });
    expect(log.lines.map((l) => [l.level, l.event])).toEqual([['warn', 'reconciliation_failed'], ['warn', 'reconciliation_db_locked']]);
  });

  it('still rejects with an error that is not a lock (a bug is not hidden as a deferral)', async () => {
    const reconciler = new Reconciler({ app: 'reconciler', broker, db, repos, clock, log: memoryLogger(), config: loadConfig({ env: {} }) });
    await unbookedEntry('ABC');
    db.close(); // every statement now throws "The database connection is not open"
    await expect(reconciler.run('reconnected')).rejects.toThrow(/not open/);
    db = openDatabase(path.join(temp.dir, `r-lock-${n++}.db`)); // for afterEach
  });
});
