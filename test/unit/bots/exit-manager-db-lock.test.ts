import path from 'node:path';
import Database from 'better-sqlite3';
import { ProtectionManager } from '../../../apps/exit-manager/protection-manager';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import type { OrderEvent } from '../../../shared/broker/types';
import { loadConfig } from '../../../shared/config/load-config';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { memoryLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { EventRecorder } from '../../helpers/order-events';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';
import { DAY, flush, openBookedPosition } from './fake-market-day';


/** The order events the exit manager has something to write for (the rest only read, and go through a lock). */
const writes = (e: OrderEvent) => e.kind === 'filled' || e.kind === 'commission' || e.kind === 'cancelled' || e.kind === 'accepted' || e.kind === 'rejected'
  || (e.kind === 'status' && (e.status === 'Filled' || e.filled > 0));

/**
 * Another process holds the DB's write lock (a chaos run's db-lock fault: about 4 s) while stops fill: every
 * order event of those seconds fails to commit, and each is booked from the broker at the next resync. The
 * log says so once, not once per event (1,256 error lines in one chaos run), and says when it is over.
 */
describe('exit manager: order events failing during another process\'s DB lock', () => {
  const temp = makeTempDir('exit-manager-db-lock');
  let db: Db;
  let repos: Repositories;
  let broker: FakeBroker;
  let clock: ManualClock;
  let manager: ProtectionManager | undefined;
  let lockHolder: Database.Database | undefined;

  beforeEach(async () => {
    // As the bots open it (run-app): a short busy timeout and the lock breaker (writes fail fast during a lock).
    db = openDatabase(path.join(temp.dir, 'em-lock.db'), { busyTimeoutMs: 20, lockBreaker: {} });
    clock = new ManualClock(newYorkTime(DAY, '10:00'));
    repos = createRepositories(db, clock, 'exit-manager');
    broker = new FakeBroker(clock, { clientId: 12 });
    await broker.connect();
  });
  afterEach(() => {
    manager?.stop();
    if (lockHolder?.inTransaction) lockHolder.exec('ROLLBACK');
    lockHolder?.close();
    db.close();
  });
  afterAll(() => temp.cleanup());

  const openPosition = (symbol: string, quantity: number, price: number) => openBookedPosition({ repos, broker, clock }, symbol, quantity, price);

  it('logs one order_event_failed error for the whole lock and one end line with the count, then books every exit', async () => {
    const log = memoryLogger();
    const config = loadConfig({ env: {} });
    const symbols = ['AAA', 'BBB', 'CCC'];
    const positionIds = symbols.map((s) => openPosition(s, 100, 50));
    manager = new ProtectionManager({ app: 'exit-manager', broker, db, repos, clock, log, config, onProtectingChanged: () => undefined });
    manager.start();
    await manager.resync('start');
    await flush();
    await manager.checkAll();
    await waitUntil(() => positionIds.every((id) => repos.positions.getById(id)?.status === 'PROTECTED'), 5_000, 'all three protected');

    lockHolder = new Database(db.name);
    lockHolder.exec('BEGIN IMMEDIATE');
    const recorder = new EventRecorder(broker);
    for (const symbol of symbols) broker.setPrice(symbol, 49.2); // gaps through every stop: fills, commissions, the siblings cancelled
    await waitUntil(() => symbols.every((s) => broker.trueQuantity(s) === 0) && recorder.orderEvents.filter((e) => e.kind === 'cancelled').length === 3, 5_000, 'the stops filled at the broker');
    await flush();
    const failedDuringLock = recorder.orderEvents.filter(writes).length;
    expect(failedDuringLock).toBeGreaterThanOrEqual(12); // per symbol: the fill, its commission, the Filled status, the sibling's cancel

    const failedLines = () => log.lines.filter((l) => l.event === 'order_event_failed' && l.level === 'error');
    expect(failedLines()).toEqual([expect.objectContaining({ fields: expect.objectContaining({ episode: 'started', failureKind: 'db_locked', error: expect.stringMatching(/locked/), what: expect.stringMatching(/next resync/) }) })]);
    expect(log.lines.filter((l) => l.event === 'order_event_failed' && l.level === 'debug')).toHaveLength(failedDuringLock - 1);
    expect(log.lines.filter((l) => l.event === 'order_event_failures_ended')).toEqual([]); // still locked: not over

    lockHolder.exec('COMMIT');
    // The first order event written after the lock ends the episode: a new position's protection being accepted.
    const later = openPosition('DDD', 100, 50);
    await manager.checkAll();
    const ended = await waitUntil(() => log.lines.find((l) => l.event === 'order_event_failures_ended'), 5_000, 'the end of the episode');
    expect(ended).toMatchObject({ level: 'warn', fields: { failedEvent: 'order_event_failed', failureKind: 'db_locked', failures: failedDuringLock, endedBy: 'success', durationMs: expect.any(Number) } });
    expect(failedLines()).toHaveLength(1);
    await waitUntil(() => repos.positions.getById(later)?.status === 'PROTECTED', 5_000, 'the new position protected');

    // Nothing lost: the resync books every exit the lock refused.
    await manager.resync('after the lock');
    expect(repos.closed.getClosedToday(DAY).map((c) => [c.symbol, c.exitReason]).sort()).toEqual(symbols.map((s) => [s, 'STOP_LOSS']));
    expect(log.lines.filter((l) => l.event === 'order_event_failures_ended')).toHaveLength(1);
  });
});
