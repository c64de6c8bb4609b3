/**
 * npm run upgrade-check: do this code and the DB agree? The code's migrations against the DB's
 * `schema_migrations`. Migrations are forward-only and applied once, in one BEGIN IMMEDIATE transaction, by
 * whichever process opens the DB first (shared/db/open-database.ts); a DB newer than the code is refused by
 * every process. Read-only: it never migrates.
 *
 * Exit codes: 0 they agree (or no DB yet), 1 the DB is older (the next start migrates it: back it up first),
 * 2 the DB is newer than the code or its history differs from the code's, 78 bad configuration.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { loadConfig } from '../shared/config/load-config';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../shared/db/migrations';
import { DatabaseFactsRepository } from '../shared/db/repositories/database-facts-repository';
import { ConfigError, errorMessage } from '../shared/errors/errors';

export interface UpgradeVerdict {
  status: 'up_to_date' | 'migrations_pending' | 'db_newer' | 'history_differs' | 'no_db';
  exitCode: number;
  codeVersion: number;
  dbVersion: number | null;
  pending: Array<{ version: number; name: string }>;
  message: string;
}

export function upgradeVerdict(applied: ReadonlyArray<{ version: number; name: string }> | null, dbPath: string): UpgradeVerdict {
  const codeVersion = LATEST_SCHEMA_VERSION;
  if (applied === null) return { status: 'no_db', exitCode: 0, codeVersion, dbVersion: null, pending: [], message: `${dbPath} does not exist yet: the first process that starts creates it at schema ${codeVersion}` };
  const dbVersion = applied.length ? Math.max(...applied.map((m) => m.version)) : 0;
  if (dbVersion > codeVersion) {
    return { status: 'db_newer', exitCode: 2, codeVersion, dbVersion, pending: [], message: `the DB has schema ${dbVersion}, newer than this code's ${codeVersion}: every process refuses it. Run the release that wrote it (or newer), or restore a backup made by this one (npm run db-restore)` };
  }
  const known = new Map(MIGRATIONS.map((m) => [m.version, m.name]));
  const differs = applied.filter((m) => known.get(m.version) !== m.name);
  if (differs.length) {
    return { status: 'history_differs', exitCode: 2, codeVersion, dbVersion, pending: [], message: `the DB's migrations ${differs.map((m) => `${m.version} "${m.name}"`).join(', ')} are not this code's (${differs.map((m) => `${m.version} "${known.get(m.version) ?? 'none'}"`).join(', ')}): it was written by another branch; do not start on it` };
  }
  const pending = MIGRATIONS.filter((m) => m.version > dbVersion).map((m) => ({ version: m.version, name: m.name }));
  if (pending.length) {
    return { status: 'migrations_pending', exitCode: 1, codeVersion, dbVersion, pending, message: `the DB has schema ${dbVersion}; the first process that starts applies ${pending.map((m) => `${m.version} ${m.name}`).join(', ')} once (forward-only, in one transaction). Back it up first: npm run db-backup` };
  }
  return { status: 'up_to_date', exitCode: 0, codeVersion, dbVersion, pending, message: `code and DB agree: schema ${dbVersion}` };
}

function main(): number {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`upgrade-check: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
  const json = process.argv.includes('--json');
  let applied: Array<{ version: number; name: string }> | null = null;
  if (fs.existsSync(config.paths.db)) {
    const db = new Database(config.paths.db, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 2000');
    try {
      applied = new DatabaseFactsRepository(db).appliedMigrations();
    } finally {
      db.close();
    }
  }
  const verdict = upgradeVerdict(applied, config.paths.db);
  if (json) console.log(JSON.stringify({ db: config.paths.db, ...verdict }, null, 2));
  else console.log(`${verdict.status === 'up_to_date' || verdict.status === 'no_db' ? 'OK' : verdict.status === 'migrations_pending' ? 'UPGRADE PENDING' : 'REFUSED'}: ${verdict.message}\n  code schema ${verdict.codeVersion}, DB ${config.paths.db} schema ${verdict.dbVersion ?? 'none'}`);
  return verdict.exitCode;
}

if (require.main === module) {
  try {
    process.exit(main());
  } catch (error) {
    console.error(`upgrade-check: ${errorMessage(error)}`);
    process.exit(78);
  }
}
