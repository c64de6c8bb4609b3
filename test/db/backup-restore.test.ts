import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../shared/db';
import { HeartbeatsRepository } from '../../shared/db/repositories/heartbeats-repository';
import { listBackups } from '../../shared/ops/backup-files';
import { backupDatabase } from '../../shared/ops/db-backup';
import { inspectBackup, restoreDatabase } from '../../shared/ops/db-restore';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';
import { waitUntil } from '../helpers/wait-until';

/** A writer in its own process: one `events` row after another (data.seq = 1, 2, 3 ...) as fast as it can, each its own commit. */
function startWriter(dbPath: string): ChildProcess {
  const script = `const { openDatabase } = require(${JSON.stringify(distFile('shared/db/index.ts'))});
    const db = openDatabase(process.argv[1], { busyTimeoutMs: 5000 });
    const insert = db.prepare("INSERT INTO events (at, app, event, level, symbol, data) VALUES ('2026-11-23T15:00:00.000Z', 'writer', 'seq', 'info', NULL, ?)");
    let seq = 0;
    const blob = 'x'.repeat(500);
    // Bounded whatever happens to the test: at most 20,000 rows (about 12 MB), and it stops when its parent is gone.
    const parent = process.ppid;
    const tick = () => {
      if (seq >= 20000 || process.ppid !== parent) { db.close(); process.exit(0); }
      for (let i = 0; i < 5; i++) insert.run(JSON.stringify({ seq: ++seq, blob }));
      setTimeout(tick, 1);
    };
    process.on('SIGTERM', () => { db.close(); process.exit(0); });
    tick();`;
  return spawn(process.execPath, ['-e', script, dbPath], { env: testEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
}

function seqs(file: string): number[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT data FROM events WHERE app = 'writer' ORDER BY id").pluck().all() as string[]).map((d) => (JSON.parse(d) as { seq: number }).seq);
  } finally {
    db.close();
  }
}

function eventCount(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('db-backup and db-restore', () => {
  const temp = makeTempDir('backup');
  afterAll(() => temp.cleanup());

  it('copies a DB another process is writing to: consistent (every commit up to a point, none after a gap), verified, in BACKUP_DIR', async () => {
    const dbPath = path.join(temp.dir, 'busy', 'trading.db');
    openDatabase(dbPath).close();
    const writer = startWriter(dbPath);
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    try {
      // Several MB committed (and still being committed) before and during the copy.
      await waitUntil(() => fs.existsSync(`${dbPath}-wal`) && eventCount(dbPath) > 3_000, 30_000, 'the writer to commit 3000 rows');
      const result = await backupDatabase({ dbPath, backupDir: path.join(temp.dir, 'backups'), keep: 3, tradingDay: '2026-11-23' });
      expect(result.problems).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.integrity).toBe('ok');
      expect(result.file).toBe(path.join(temp.dir, 'backups', 'trading-2026-11-23.db'));
      // One self-contained file: no WAL beside it, and readable alone.
      expect(fs.existsSync(`${result.file}-wal`)).toBe(false);
      const copied = seqs(result.file);
      expect(copied.length).toBeGreaterThan(3_000);
      expect(copied).toEqual(Array.from({ length: copied.length }, (_, i) => i + 1));
      expect(result.counts.events).toBe(copied.length);
      const live = seqs(dbPath);
      expect(live.length).toBeGreaterThan(copied.length); // the writer went on during and after the copy
      expect(JSON.parse(fs.readFileSync(result.manifest, 'utf8'))).toMatchObject({ ok: true, tradingDay: '2026-11-23', integrity: 'ok' });
    } finally {
      writer.kill('SIGTERM');
      await exited;
    }
  });

  it('keeps the newest BACKUP_KEEP days, one copy per day', async () => {
    const dbPath = path.join(temp.dir, 'keep', 'trading.db');
    const backupDir = path.join(temp.dir, 'keep', 'backups');
    openDatabase(dbPath).close();
    fs.mkdirSync(backupDir, { recursive: true });
    fs.writeFileSync(path.join(backupDir, 'notes.txt'), 'not a backup');
    for (const day of ['2026-11-20', '2026-11-23', '2026-11-24', '2026-11-24', '2026-11-25']) {
      const result = await backupDatabase({ dbPath, backupDir, keep: 2, tradingDay: day });
      expect(result.ok).toBe(true);
    }
    expect(listBackups(backupDir, dbPath).map((b) => b.day)).toEqual(['2026-11-25', '2026-11-24']);
    expect(fs.readdirSync(backupDir).sort()).toEqual(['notes.txt', 'trading-2026-11-24.db', 'trading-2026-11-24.json', 'trading-2026-11-25.db', 'trading-2026-11-25.json']);
  });

  it('the CLI prints the path of the copy; db-restore refuses while something beats on the DB, then restores and keeps the old DB', async () => {
    const dir = path.join(temp.dir, 'cli');
    const env = testEnv({ DB_PATH: path.join(dir, 'trading.db'), BACKUP_DIR: path.join(dir, 'backups'), LOG_DIR: path.join(dir, 'logs'), PM2_HOME: path.join(dir, 'pm2'), SIM_CLOCK_FILE: path.join(dir, 'clock.json') });
    const db = openDatabase(env.DB_PATH!);
    db.prepare("INSERT INTO events (at, app, event, level, data) VALUES ('2026-11-23T15:00:00.000Z', 'test', 'before_backup', 'info', '{}')").run();
    const backup = spawnSync(process.execPath, [distFile('scripts/db-backup.ts'), '--trading-day', '2026-11-23'], { env, encoding: 'utf8' });
    expect(backup.status).toBe(0);
    const file = backup.stdout.trim();
    expect(file).toBe(path.join(dir, 'backups', 'trading-2026-11-23.db'));
    expect(inspectBackup(file)).toMatchObject({ ok: true, integrity: 'ok' });
    db.prepare("INSERT INTO events (at, app, event, level, data) VALUES ('2026-11-23T15:01:00.000Z', 'test', 'after_backup', 'info', '{}')").run();
    // A bot beats on the DB (its heartbeat row is fresh): the restore must not pull the DB from under it.
    const beats = new HeartbeatsRepository(db);
    const beat = { app: 'exit-manager', pid: 4242, state: 'ready' as const, beatAtMs: Date.now(), startedAtMs: Date.now(), readyAtMs: Date.now(), progressAtMs: Date.now(), loopLagMs: 1, brokerConnected: true, brokerDownSinceMs: null, detail: {} };
    beats.beat(beat);
    const refused = spawnSync(process.execPath, [distFile('scripts/db-restore.ts'), file], { env, encoding: 'utf8' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/refused: exit-manager \(pid 4242, ready\)/);
    // Not a backup: refused with the reason.
    fs.writeFileSync(path.join(dir, 'junk.db'), 'not sqlite at all, just text that is long enough to be read as a header');
    beats.beat({ ...beat, state: 'stopped' });
    db.close();
    const junk = spawnSync(process.execPath, [distFile('scripts/db-restore.ts'), path.join(dir, 'junk.db')], { env, encoding: 'utf8' });
    expect(junk.status).toBe(1);
    expect(junk.stderr).toMatch(/cannot be restored/);
    const restored = spawnSync(process.execPath, [distFile('scripts/db-restore.ts'), file], { env, encoding: 'utf8' });
    expect(restored.stderr).toBe('');
    expect(restored.status).toBe(0);
    const after = new Database(env.DB_PATH!, { readonly: true });
    const events = after.prepare("SELECT event FROM events WHERE app = 'test' ORDER BY id").pluck().all();
    after.close();
    expect(events).toEqual(['before_backup']);
    const kept = fs.readdirSync(dir).find((name) => name.startsWith('trading.db.before-restore-'))!;
    expect(kept).toBeDefined();
    const old = new Database(path.join(dir, kept), { readonly: true });
    expect(old.prepare("SELECT event FROM events WHERE app = 'test' ORDER BY id").pluck().all()).toEqual(['before_backup', 'after_backup']);
    old.close();
  });

  it('restoreDatabase refuses a backup from a newer release', async () => {
    const file = path.join(temp.dir, 'newer.db');
    openDatabase(file).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')").run();
    raw.close();
    expect(inspectBackup(file).problems.join()).toMatch(/schema 99, newer than this code/);
    await expect(restoreDatabase(file, path.join(temp.dir, 'target.db'))).rejects.toThrow(/cannot be restored/);
    expect(fs.existsSync(path.join(temp.dir, 'target.db'))).toBe(false);
  });
});
