import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SchemaTooNewError } from '../errors/errors';
import { DbLockBreaker, type DbLockBreakerOptions } from './db-lock-breaker';
import { mapDbError } from './db-errors';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';
import { deferCheckpoints } from './wal-checkpointer';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** How long a statement waits for another connection's write lock before failing with SQLITE_BUSY (5000). */
  busyTimeoutMs?: number;
  /**
   * The wait while opening and migrating, when it differs from `busyTimeoutMs` (default: the same). The bots
   * open with the long one (a migration must not fail because another process is starting too) and then run
   * with a short one, so a lock held by someone else never stops their event loop for long.
   */
  openBusyTimeoutMs?: number;
  /** Read-only opens never migrate; they refuse a newer schema like everyone else. */
  readonly?: boolean;
  /** false: a missing file is an error instead of a new empty DB (tools that must not create one). */
  create?: boolean;
  /**
   * Once open: after a write meets someone else's lock, later writes fail at once instead of each waiting
   * `busyTimeoutMs`, with one probe per interval (db-lock-breaker.ts). The bots' event loops need it; a tool
   * that may simply wait does not.
   */
  lockBreaker?: Omit<DbLockBreakerOptions, 'busyTimeoutMs'>;
  /**
   * The system's WalCheckpointer (the supervisor) checkpoints this file: this connection does so itself only
   * as a fallback, past 4 x the usual WAL size, never inside an ordinary commit (wal-checkpointer.ts). For
   * the bots, whose writes sit on the path of fills and exits. Ignored read-only.
   */
  deferCheckpoints?: boolean;
}

/**
 * Opens the shared SQLite file with the pragmas every process must agree on, applies pending migrations in
 * one BEGIN IMMEDIATE transaction (two processes starting together migrate once), and refuses a schema newer
 * than the code. Errors come out typed (corrupt, locked, read-only) with the fix in the message.
 */
export function openDatabase(dbPath: string, options: OpenDatabaseOptions = {}): Db {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  const openBusyTimeoutMs = options.openBusyTimeoutMs ?? busyTimeoutMs;
  let db: Db | undefined;
  try {
    if (!options.readonly) fs.mkdirSync(path.dirname(dbPath), { recursive: true });
    db = new Database(dbPath, { readonly: options.readonly ?? false, fileMustExist: options.readonly === true || options.create === false });
    // busy_timeout first: every later statement may need the lock another process holds.
    db.pragma(`busy_timeout = ${Math.floor(openBusyTimeoutMs)}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a process crash; only an OS crash can lose the last commits.
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    if (options.readonly) assertSchemaNotNewer(db, dbPath);
    else migrate(db, dbPath);
    if (openBusyTimeoutMs !== busyTimeoutMs) db.pragma(`busy_timeout = ${Math.floor(busyTimeoutMs)}`);
    // After the migration: a migration must wait for the lock, never fail fast.
    if (options.lockBreaker && !options.readonly) new DbLockBreaker(db, { ...options.lockBreaker, busyTimeoutMs }).install();
    if (options.deferCheckpoints && !options.readonly) deferCheckpoints(db);
    return db;
  } catch (error) {
    db?.close();
    throw mapDbError(error, dbPath, openBusyTimeoutMs);
  }
}

function currentVersion(db: Db): number {
  const table = db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name='schema_migrations'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

function assertSchemaNotNewer(db: Db, dbPath: string): number {
  const version = currentVersion(db);
  if (version > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(dbPath, version, LATEST_SCHEMA_VERSION);
  return version;
}

function migrate(db: Db, dbPath: string): void {
  // Cheap check outside the write lock: most opens find nothing to do.
  if (assertSchemaNotNewer(db, dbPath) === LATEST_SCHEMA_VERSION) return;
  const apply = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    const version = assertSchemaNotNewer(db, dbPath);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      db.exec(migration.sql);
      migration.up?.(db);
      record.run(migration.version, migration.name, new Date().toISOString());
    }
  });
  apply.immediate();
}

export function schemaVersion(db: Db): number {
  return currentVersion(db);
}

/** `PRAGMA integrity_check` result: 'ok' or the problems found. */
export function integrityCheck(db: Db): string {
  const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
  return rows.map((r) => r.integrity_check).join('; ');
}
