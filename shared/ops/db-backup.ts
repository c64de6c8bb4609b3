import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION } from '../db/migrations';
import { integrityCheck, openDatabase, schemaVersion } from '../db/open-database';
import { DatabaseFactsRepository } from '../db/repositories/database-facts-repository';
import { backupFileFor, backupsToPrune, listBackups, manifestFor } from './backup-files';

export interface BackupOptions {
  dbPath: string;
  backupDir: string;
  /** Daily copies kept (the newest days); older ones are deleted after a verified copy. */
  keep: number;
  /** The trading day the copy is named after. */
  tradingDay: string;
  /** A one-off copy to this file instead of the daily one (nothing pruned). */
  out?: string;
  /** How long the copy waits for a lock while opening (the bots hold write locks only briefly). */
  busyTimeoutMs?: number;
}

export interface BackupResult {
  ok: boolean;
  file: string;
  manifest: string;
  tradingDay: string;
  bytes: number;
  sourceBytes: number;
  durationMs: number;
  schemaVersion: number;
  integrity: string;
  counts: Record<string, number>;
  pruned: string[];
  problems: string[];
}

/**
 * A consistent online copy of the shared DB while the bots write to it: SQLite's online backup API
 * (better-sqlite3 `db.backup`), never a file copy — a WAL database's committed pages may still be only in
 * `-wal`, and a copy of the main file alone (or of the two taken at different moments) loses them or is
 * torn. The whole DB is copied in ONE backup step: a step reads under one read transaction, and in WAL mode a
 * reader never blocks the bots' writes, while a copy made in many small steps restarts from scratch whenever
 * another process commits between two steps (the heartbeats commit several times a second, so a large DB
 * would never finish). The copy is then made self-contained (rollback journal, one file), checked
 * (`PRAGMA integrity_check`, schema version, every table counted), renamed into place atomically, and only
 * then are the copies beyond `keep` days pruned. Run it in its own process: a step blocks its event loop.
 */
export async function backupDatabase(options: BackupOptions): Promise<BackupResult> {
  const startedMs = Date.now();
  const file = path.resolve(options.out ?? backupFileFor(options.backupDir, options.dbPath, options.tradingDay));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.partial-${process.pid}`);
  const source = openDatabase(options.dbPath, { readonly: true, busyTimeoutMs: options.busyTimeoutMs ?? 5_000 });
  let sourceVersion: number;
  try {
    sourceVersion = schemaVersion(source);
    fs.rmSync(partial, { force: true });
    await source.backup(partial, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
  } catch (error) {
    // A full disk, a permission: no half copy left behind to take the space.
    fs.rmSync(partial, { force: true });
    fs.rmSync(`${partial}-journal`, { force: true });
    throw error;
  } finally {
    source.close();
  }
  const problems: string[] = [];
  let counts: Record<string, number> = {};
  let integrity = 'not checked';
  let version = 0;
  const copy = new Database(partial);
  try {
    const facts = new DatabaseFactsRepository(copy);
    facts.makeSelfContained();
    integrity = integrityCheck(copy);
    if (integrity !== 'ok') problems.push(`integrity_check of the copy: ${integrity}`);
    version = schemaVersion(copy);
    if (version !== sourceVersion) problems.push(`the copy has schema ${version}, the DB ${sourceVersion}`);
    counts = facts.rowCounts();
    for (const table of ['schema_migrations', 'active_positions', 'trades', 'events']) {
      if (!(table in counts)) problems.push(`the copy has no ${table} table`);
    }
  } catch (error) {
    problems.push(`the copy cannot be read: ${(error as Error).message}`);
  } finally {
    copy.close();
  }
  if (problems.length > 0) {
    fs.rmSync(partial, { force: true });
    return { ok: false, file, manifest: manifestFor(file), tradingDay: options.tradingDay, bytes: 0, sourceBytes: dbBytes(options.dbPath), durationMs: Date.now() - startedMs, schemaVersion: version, integrity, counts, pruned: [], problems };
  }
  fsyncFile(partial);
  fs.renameSync(partial, file);
  fsyncDir(path.dirname(file));
  const result: BackupResult = {
    ok: true, file, manifest: manifestFor(file), tradingDay: options.tradingDay, bytes: fs.statSync(file).size, sourceBytes: dbBytes(options.dbPath),
    durationMs: Date.now() - startedMs, schemaVersion: version, integrity, counts, pruned: [], problems,
  };
  fs.writeFileSync(result.manifest, `${JSON.stringify({ ...result, source: path.resolve(options.dbPath), codeSchemaVersion: LATEST_SCHEMA_VERSION, createdAt: new Date().toISOString() }, null, 2)}\n`);
  if (!options.out) {
    for (const old of backupsToPrune(listBackups(options.backupDir, options.dbPath), options.keep)) {
      fs.rmSync(old.file, { force: true });
      fs.rmSync(old.manifest, { force: true });
      result.pruned.push(old.file);
    }
  }
  return result;
}

/** The DB's size on disk: the main file and its WAL. */
export function dbBytes(dbPath: string): number {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    try {
      total += fs.statSync(`${dbPath}${suffix}`).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return total;
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (error) {
    // Some filesystems refuse fsync on a directory (EISDIR/EINVAL): the rename is still atomic.
    if (!['EISDIR', 'EINVAL', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
