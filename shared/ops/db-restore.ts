import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION } from '../db/migrations';
import { integrityCheck, openDatabase, schemaVersion } from '../db/open-database';
import { DatabaseFactsRepository } from '../db/repositories/database-facts-repository';

export interface BackupInspection {
  ok: boolean;
  file: string;
  schemaVersion: number | null;
  integrity: string;
  counts: Record<string, number>;
  problems: string[];
}

/** Whether a file is a backup this code can restore: readable, intact, ours, and not from a newer release. */
export function inspectBackup(file: string): BackupInspection {
  const problems: string[] = [];
  let version: number | null = null;
  let integrity = 'not checked';
  let counts: Record<string, number> = {};
  if (!fs.existsSync(file)) return { ok: false, file, schemaVersion: null, integrity, counts, problems: [`${file} does not exist`] };
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    integrity = integrityCheck(db);
    if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
    const facts = new DatabaseFactsRepository(db);
    counts = facts.rowCounts();
    for (const table of ['schema_migrations', 'active_positions', 'trades']) if (!(table in counts)) problems.push(`it has no ${table} table: not a backup of this system's DB`);
    if ('schema_migrations' in counts) {
      version = schemaVersion(db);
      if (version > LATEST_SCHEMA_VERSION) problems.push(`it has schema ${version}, newer than this code's ${LATEST_SCHEMA_VERSION}: restore it with the release that made it, or upgrade the code first`);
    }
  } catch (error) {
    problems.push(`it cannot be read as an SQLite DB: ${(error as Error).message}`);
  } finally {
    db?.close();
  }
  return { ok: problems.length === 0, file, schemaVersion: version, integrity, counts, problems };
}

export interface RestoreResult {
  restoredFrom: string;
  dbPath: string;
  /** Where the DB that was replaced now is (null: there was none). */
  previousKeptAt: string | null;
  schemaVersionBefore: number | null;
  schemaVersionAfter: number;
  counts: Record<string, number>;
}

/**
 * Puts a backup in place of the DB. The caller has made sure nothing uses the DB (db-restore refuses while
 * the bots run). The current DB is first folded into one file (checkpoint) and kept beside it as
 * `<db>.before-restore-<stamp>`; the backup is copied in with SQLite's backup API into a temporary file in
 * the DB's folder and renamed over `DB_PATH`, so a crash half-way leaves either the old DB or the new one.
 * It is then opened like a bot opens it, which applies any migration the backup is missing.
 */
export async function restoreDatabase(backupFile: string, dbPath: string, stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')): Promise<RestoreResult> {
  const inspection = inspectBackup(backupFile);
  if (!inspection.ok) throw new Error(`${backupFile} cannot be restored: ${inspection.problems.join('; ')}`);
  fs.mkdirSync(path.dirname(dbPath), { recursive: true });
  let previousKeptAt: string | null = null;
  if (fs.existsSync(dbPath)) {
    const current = new Database(dbPath);
    try {
      new DatabaseFactsRepository(current).checkpoint();
    } finally {
      current.close();
    }
    previousKeptAt = `${dbPath}.before-restore-${stamp}`;
    fs.renameSync(dbPath, previousKeptAt);
  }
  for (const suffix of ['-wal', '-shm']) fs.rmSync(`${dbPath}${suffix}`, { force: true });
  const partial = path.join(path.dirname(dbPath), `.${path.basename(dbPath)}.restoring-${process.pid}`);
  fs.rmSync(partial, { force: true });
  const source = new Database(backupFile, { readonly: true, fileMustExist: true });
  try {
    await source.backup(partial, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
  } finally {
    source.close();
  }
  fs.renameSync(partial, dbPath);
  const db = openDatabase(dbPath, { busyTimeoutMs: 5_000 });
  try {
    return {
      restoredFrom: path.resolve(backupFile), dbPath: path.resolve(dbPath), previousKeptAt, schemaVersionBefore: inspection.schemaVersion,
      schemaVersionAfter: schemaVersion(db), counts: new DatabaseFactsRepository(db).rowCounts(),
    };
  } finally {
    db.close();
  }
}
