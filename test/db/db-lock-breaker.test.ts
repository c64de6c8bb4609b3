import path from 'node:path';
import Database from 'better-sqlite3';
import { createRepositories, openDatabase, type Db, type DbLockChange } from '../../shared/db';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { makeTempDir } from '../helpers/temp-dir';

/**
 * A bot's connection (run-app.ts: 50 ms busy timeout, lock breaker) on a real SQLite file while another
 * connection holds the write lock. What a lock costs the event loop is read from the connection's own
 * busy_timeout at each write (0: the write fails at once), never from a stopwatch.
 */
describe('the lock breaker of a bot\'s connection', () => {
  const temp = makeTempDir('db-lock-breaker');
  let n = 0;
  let dbPath: string;
  let db: Db;
  let holder: Database.Database | undefined;
  let realNowMs: number;
  let changes: DbLockChange[];
  const PROBE_EVERY_MS = 250;

  const busyTimeout = () => db.pragma('busy_timeout', { simple: true }) as number;
  const holdWriteLock = () => {
    holder = new Database(dbPath);
    holder.exec('BEGIN IMMEDIATE');
  };
  /** One write as the bots' repositories do it; returns the busy timeout it ran with and how it ended. */
  const write = (how: 'statement' | 'immediate' = 'statement'): { waitedUpToMs: number; outcome: string } => {
    let waitedUpToMs = -1;
    const insert = db.prepare("INSERT INTO events (at, app, event) VALUES ('now', 'test', 'e')");
    // A deferred transaction around the write: it takes no lock itself, and lets the test read the timeout the write runs with.
    const tx = db.transaction(() => {
      waitedUpToMs = busyTimeout();
      insert.run();
    });
    try {
      if (how === 'immediate') {
        waitedUpToMs = busyTimeout();
        db.transaction(() => insert.run()).immediate();
      } else {
        tx();
      }
      return { waitedUpToMs, outcome: 'written' };
    } catch (error) {
      return { waitedUpToMs, outcome: String((error as { code?: string }).code) };
    }
  };

  beforeEach(() => {
    dbPath = path.join(temp.dir, `breaker-${n++}.db`);
    realNowMs = 1_800_000_000_000;
    changes = [];
    db = openDatabase(dbPath, { busyTimeoutMs: 50, lockBreaker: { probeEveryMs: PROBE_EVERY_MS, realNowMs: () => realNowMs, onChange: (c) => changes.push(c) } });
  });
  afterEach(() => {
    if (holder?.inTransaction) holder.exec('ROLLBACK');
    holder?.close();
    holder = undefined;
    db.close();
  });
  afterAll(() => temp.cleanup());

  it('waits the busy timeout once, then fails every write at once until a probe, and restores the timeout when a write gets through', () => {
    expect(write()).toEqual({ waitedUpToMs: 50, outcome: 'written' });
    holdWriteLock();
    expect(write()).toEqual({ waitedUpToMs: 50, outcome: 'SQLITE_BUSY' }); // the first one meets the lock
    expect(busyTimeout()).toBe(0);
    expect(changes).toEqual([{ kind: 'failing_fast', sinceMs: realNowMs, busyTimeoutMs: 50, probeEveryMs: PROBE_EVERY_MS }]);

    // A burst (30 broker events during the lock): none of them waits.
    const burst = Array.from({ length: 30 }, () => write());
    expect(new Set(burst.map((b) => JSON.stringify(b)))).toEqual(new Set([JSON.stringify({ waitedUpToMs: 0, outcome: 'SQLITE_BUSY' })]));
    expect(write('immediate')).toEqual({ waitedUpToMs: 0, outcome: 'SQLITE_BUSY' }); // BEGIN IMMEDIATE too
    // Reads never wait for a writer in WAL mode and are untouched.
    expect(createRepositories(db, new ManualClock(newYorkTime('2026-11-23', '10:00')), 'test').heartbeats.getAll()).toEqual([]);

    // One probe per interval waits the normal timeout, the others around it do not.
    realNowMs += PROBE_EVERY_MS;
    expect(write()).toEqual({ waitedUpToMs: 50, outcome: 'SQLITE_BUSY' });
    expect(write()).toEqual({ waitedUpToMs: 0, outcome: 'SQLITE_BUSY' });
    expect(busyTimeout()).toBe(0);

    // The lock is gone: the next write gets through (probe or not) and the normal timeout is back.
    holder!.exec('COMMIT');
    realNowMs += 100;
    expect(write()).toEqual({ waitedUpToMs: 0, outcome: 'written' });
    expect(busyTimeout()).toBe(50);
    expect(changes[1]).toEqual({ kind: 'restored', sinceMs: realNowMs - 100 - PROBE_EVERY_MS, lockedForMs: 100 + PROBE_EVERY_MS, refusedFast: 32 });
    expect(write('immediate')).toEqual({ waitedUpToMs: 50, outcome: 'written' });
    expect(changes).toHaveLength(2);
  });

  it('keeps failing fast after a transaction that only read: only a write proves the lock gone', () => {
    holdWriteLock();
    expect(write().outcome).toBe('SQLITE_BUSY');
    const readOnly = db.transaction(() => db.prepare('SELECT COUNT(*) FROM events').pluck().get());
    expect(readOnly()).toBe(0);
    expect(busyTimeout()).toBe(0);
    expect(changes.map((c) => c.kind)).toEqual(['failing_fast']);
  });

  it('is not installed unless asked for: tools keep waiting the whole busy timeout', () => {
    const plain = openDatabase(dbPath, { busyTimeoutMs: 50 });
    try {
      holdWriteLock();
      expect(() => plain.prepare("INSERT INTO events (at, app, event) VALUES ('now', 't', 'e')").run()).toThrow(/locked/);
      expect(plain.pragma('busy_timeout', { simple: true })).toBe(50);
    } finally {
      plain.close();
    }
  });
});
