import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { ActivePositionsRepository, openDatabase, WalCheckpointer, walBacklogPages, type Db } from '../../shared/db';
import { MIGRATIONS } from '../../shared/db/migrations';
import { makeTempDir } from '../helpers/temp-dir';

const DAY = '2026-11-23';

/** Frames in the WAL (the wal-index header's mxFrame, https://www.sqlite.org/walformat.html). */
function walFrames(dbPath: string): number {
  const header = Buffer.alloc(20);
  const fd = fs.openSync(`${dbPath}-shm`, 'r');
  try {
    fs.readSync(fd, header, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  return header.readUInt32LE(16);
}

describe('the coordination hot path (bench:db)', () => {
  const temp = makeTempDir('hot-path');
  let n = 0;
  const dbFile = () => path.join(temp.dir, `hot-${n++}.db`);
  afterAll(() => temp.cleanup());

  it('a claim and its release each write 3 WAL frames: one per B-tree of active_positions (rows by id, symbol, entry order ref)', () => {
    const file = dbFile();
    const db = openDatabase(file);
    try {
      db.pragma('wal_autocheckpoint = 0');
      const positions = new ActivePositionsRepository(db, new ManualClock(newYorkTime(DAY, '10:00')));
      const before = walFrames(file);
      const claim = positions.claimSymbol({ symbol: 'AAPL', tradingDay: DAY, agentName: 't', maxOpenPositions: 5 });
      if (!claim.ok) throw new Error(claim.reason);
      const claimed = walFrames(file);
      expect(positions.releaseClaim(claim.position.id)).toBe(true);
      // Schema 5 wrote 5 frames each: the rowid table, the automatic index on its TEXT id, and the status index.
      expect({ claim: claimed - before, release: walFrames(file) - claimed }).toEqual({ claim: 3, release: 3 });
    } finally {
      db.close();
    }
  });

  it('a claim returns the row exactly as it reads back, without reading it back', () => {
    const db = openDatabase(dbFile());
    try {
      const clock = new ManualClock(newYorkTime(DAY, '10:00'));
      const positions = new ActivePositionsRepository(db, clock);
      const plain = positions.claimSymbol({ symbol: 'AAPL', tradingDay: DAY, agentName: 'gap', maxOpenPositions: 5 });
      clock.advance(1_000);
      const full = positions.claimSymbol({
        symbol: 'BRK B', tradingDay: DAY, agentName: 'gap', maxOpenPositions: 5, requestedQuantity: 70, stopLossPrice: 49.5,
        profitTargetPrice: 55, conId: 72063691, metadata: { score: 1.5, tags: ['gap'], skipped: undefined, at: new Date(Date.UTC(2026, 10, 23)) },
      });
      const nan = positions.claimSymbol({ symbol: 'NAN', tradingDay: DAY, agentName: 'gap', maxOpenPositions: 5, stopLossPrice: Number.NaN });
      for (const result of [plain, full, nan]) {
        if (!result.ok) throw new Error(result.reason);
        expect(result.position).toEqual(positions.getById(result.position.id));
      }
      if (!full.ok) return;
      expect(full.position.metadata).toEqual({ score: 1.5, tags: ['gap'], at: '2026-11-23T00:00:00.000Z' });
      expect(full.position.claimedAt).toBe(new Date(clock.now()).toISOString());
    } finally {
      db.close();
    }
  });

  it('migration 6 keeps every active row and every constraint of active_positions', () => {
    const file = dbFile();
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const migration of MIGRATIONS.filter((m) => m.version <= 5)) {
      old.exec(migration.sql);
      migration.up?.(old);
      old.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, '2026-11-20T21:00:00.000Z');
    }
    old.prepare(`INSERT INTO active_positions (id, symbol, quantity, entry_price, agent_name, status, trading_day, entry_order_ref, entry_order_id,
      requested_quantity, oca_group, stop_order_id, target_order_id, protected_quantity, claimed_at, last_updated, metadata, con_id, entry_reported, entry_booked, entry_working)
      VALUES ('P-20261120-NOVA-aaaaaa', 'NOVA', 100, 52.04, 'gap', 'PROTECTED', '2026-11-20', 'P-20261120-NOVA-aaaaaa', 101, 100, 'oca-1', 102, 103, 100,
      '2026-11-20T14:35:00.000Z', '2026-11-20T14:36:00.000Z', '{"score":2}', 4711, 100, 100, 0)`).run();
    const rowBefore = old.prepare('SELECT * FROM active_positions').all();
    old.close();

    const db: Db = openDatabase(file);
    try {
      expect(db.prepare('SELECT * FROM active_positions').all()).toEqual(rowBefore);
      expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'active_positions'").pluck().get()).toMatch(/WITHOUT ROWID\s*$/);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'active_positions' AND sql IS NOT NULL").pluck().all()).toEqual([]);
      const insert = db.prepare(`INSERT INTO active_positions (id, symbol, agent_name, status, trading_day, entry_order_ref, claimed_at, last_updated)
        VALUES (?, ?, 'gap', ?, '2026-11-23', ?, 'x', 'x')`);
      expect(() => insert.run('P-2', 'NOVA', 'PENDING_ENTRY', 'P-2')).toThrow(/UNIQUE constraint failed: active_positions.symbol/);
      expect(() => insert.run('P-3', 'AAPL', 'PENDING_ENTRY', 'P-20261120-NOVA-aaaaaa')).toThrow(/UNIQUE constraint failed: active_positions.entry_order_ref/);
      expect(() => insert.run('P-20261120-NOVA-aaaaaa', 'MSFT', 'PENDING_ENTRY', 'P-4')).toThrow(/UNIQUE constraint failed: active_positions.id/);
      expect(() => insert.run('P-5', 'TSLA', 'WHATEVER', 'P-5')).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(null, 'TSLA', 'PENDING_ENTRY', 'P-6')).toThrow(/NOT NULL constraint failed: active_positions.id/);
      // The day's realized P&L of every close is read from the index alone.
      expect(JSON.stringify(db.prepare('EXPLAIN QUERY PLAN SELECT COALESCE(SUM(realized_pnl), 0) FROM closed_positions_today WHERE close_date = ?').all(DAY)))
        .toMatch(/USING COVERING INDEX idx_closed_today_close_date/);
    } finally {
      db.close();
    }
  });

  it('the shared checkpointer copies the WAL back while a deferring writer only commits', () => {
    const file = dbFile();
    const writer = openDatabase(file, { deferCheckpoints: true });
    const checkpointerDb = openDatabase(file);
    const checkpointer = new WalCheckpointer(checkpointerDb, file, { thresholdPages: 20 });
    try {
      // The writer itself would checkpoint only at 4 x the usual threshold.
      expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(4_000);
      writer.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
      const insert = writer.prepare('INSERT INTO filler (body) VALUES (?)');
      checkpointer.checkNow(); // the schema's own pages
      expect(checkpointer.checkNow()).toBe(false);
      // Large rows: each commit adds fresh pages; stop once the backlog passes the threshold.
      let written = 0;
      while ((walBacklogPages(file) ?? 0) < 30) {
        insert.run('x'.repeat(3_000));
        written += 1;
        if (written > 60) throw new Error(`backlog stayed at ${walBacklogPages(file)} after ${written} commits`);
      }
      expect(checkpointer.checkNow()).toBe(true);
      expect(walBacklogPages(file)).toBeLessThan(20);
      expect(checkpointer.completed).toBe(2); // the schema's, then the filler's
      expect(writer.prepare('SELECT COUNT(*) FROM filler').pluck().get()).toBe(written);
    } finally {
      checkpointer.stop();
      checkpointerDb.close();
      writer.close();
    }
  });

  it('a writer that defers still bounds the WAL by itself when no checkpointer runs (the supervisor is down)', () => {
    const file = dbFile();
    const writer = openDatabase(file, { deferCheckpoints: true });
    try {
      writer.pragma('wal_autocheckpoint = 40'); // the fallback, scaled down for the test
      writer.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
      const insert = writer.prepare('INSERT INTO filler (body) VALUES (?)');
      let maxBacklog = 0;
      for (let i = 0; i < 120; i++) {
        insert.run('x'.repeat(3_000));
        maxBacklog = Math.max(maxBacklog, walBacklogPages(file) ?? 0);
      }
      // It grew well past this test's usual checkpoint size and never past the fallback's.
      expect(maxBacklog).toBeGreaterThan(30);
      expect(maxBacklog).toBeLessThan(45);
    } finally {
      writer.close();
    }
  });
});
