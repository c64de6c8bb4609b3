import fs from 'node:fs';
import path from 'node:path';
import { mapDbError } from '../../shared/db/db-errors';
import { LATEST_SCHEMA_VERSION } from '../../shared/db/migrations';
import { openDatabase, schemaVersion, type Db } from '../../shared/db/open-database';
import { DatabaseCorruptError, DatabaseLockedError, SchemaTooNewError, errorMessage } from '../../shared/errors/errors';
import { check, type CheckResult } from './doctor-model';

export interface HaltRecord {
  reason: string;
  setBy: string;
  setAt: string;
}

/** What the doctor reads from the shared DB, on a READ-ONLY connection that never creates or migrates it. */
export interface DatabaseState {
  path: string;
  kind: 'missing' | 'usable' | 'unusable';
  problem?: { kind: 'corrupt' | 'locked' | 'schema_too_new' | 'unreadable'; message: string };
  schemaVersion?: number;
  /** The bots' active rows (symbol, signed quantity). */
  activeRows?: Array<{ symbol: string; quantity: number; status: string }>;
  halt?: HaltRecord;
  /** The DB file, its -wal/-shm or its folder cannot be written by this user (the bots need to). */
  notWritable?: string;
}

function tableExists(db: Db, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

function writableProblem(dbPath: string): string | undefined {
  const candidates = [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter((file) => fs.existsSync(file));
  const folder = path.dirname(dbPath);
  for (const target of [...candidates, ...(fs.existsSync(folder) ? [folder] : [])]) {
    try {
      fs.accessSync(target, fs.constants.W_OK);
    } catch {
      return target;
    }
  }
  return undefined;
}

export function readDatabaseState(dbPath: string, busyTimeoutMs: number): DatabaseState {
  if (!fs.existsSync(dbPath)) {
    // The bots create it; they need to be able to create the folder (or write into it).
    let folder = path.dirname(dbPath);
    while (!fs.existsSync(folder) && path.dirname(folder) !== folder) folder = path.dirname(folder);
    const notWritable = writableProblem(path.join(folder, path.basename(dbPath)));
    return { path: dbPath, kind: 'missing', notWritable };
  }
  let db: Db | undefined;
  try {
    db = openDatabase(dbPath, { readonly: true, busyTimeoutMs });
    const connection = db;
    const read = db.transaction((): DatabaseState => ({
      path: dbPath,
      kind: 'usable',
      schemaVersion: schemaVersion(connection),
      activeRows: tableExists(connection, 'active_positions')
        ? (connection.prepare('SELECT symbol, quantity, status FROM active_positions').all() as Array<{ symbol: string; quantity: number; status: string }>)
        : [],
      halt: tableExists(connection, 'trading_halts')
        ? (connection.prepare('SELECT reason, set_by AS setBy, set_at AS setAt FROM trading_halts WHERE lifted_at IS NULL ORDER BY id DESC LIMIT 1').get() as HaltRecord | undefined)
        : undefined,
      notWritable: writableProblem(dbPath),
    }));
    return read();
  } catch (error) {
    const mapped = mapDbError(error, dbPath, busyTimeoutMs);
    const kind = mapped instanceof DatabaseCorruptError ? 'corrupt' : mapped instanceof DatabaseLockedError ? 'locked' : mapped instanceof SchemaTooNewError ? 'schema_too_new' : 'unreadable';
    return { path: dbPath, kind: 'unusable', problem: { kind, message: errorMessage(mapped) } };
  } finally {
    db?.close();
  }
}

/**
 * The shared DB: it opens, its schema is the one this code knows (an older one is migrated by the first bot
 * that starts), the bots can write it, and no trading halt is active (with one, the bots do not trade). Pure.
 */
export function databaseCheck(state: DatabaseState): CheckResult {
  const details: Record<string, unknown> = {
    path: state.path, state: state.kind, schemaVersion: state.schemaVersion ?? null, codeSchemaVersion: LATEST_SCHEMA_VERSION,
    activePositions: state.activeRows?.length ?? null, halt: state.halt ?? null, notWritable: state.notWritable ?? null, problem: state.problem ?? null,
  };
  if (state.kind === 'missing') {
    if (state.notWritable) {
      return check('database', 'fail', `no database at ${state.path}, and ${state.notWritable} is not writable: the bots cannot create it`, {
        action: 'fix the permissions or set DB_PATH to a writable place', details,
      });
    }
    return check('database', 'ok', `no database at ${state.path} yet: the first bot to start creates it (schema ${LATEST_SCHEMA_VERSION})`, { details });
  }
  if (state.kind === 'unusable') {
    const problem = state.problem!;
    if (problem.kind === 'locked') {
      return check('database', 'warn', problem.message, { action: 'close whatever holds the lock (an open sqlite3 shell, a backup tool), then run npm run doctor again', details });
    }
    return check('database', 'fail', problem.message, { details });
  }
  if (state.notWritable) {
    return check('database', 'fail', `${state.notWritable} is not writable by this user: the bots cannot record anything`, {
      action: `fix the permissions (ls -l ${state.path}*) or set DB_PATH to a writable location`, details,
    });
  }
  const version = state.schemaVersion ?? 0;
  const schema = version === LATEST_SCHEMA_VERSION
    ? `schema ${version} (current)`
    : `schema ${version}, older than this code's ${LATEST_SCHEMA_VERSION}: the first bot to start migrates it`;
  const rows = state.activeRows ?? [];
  const summary = `${state.path} opens, ${schema}, ${rows.length} active position row(s)`;
  if (state.halt) {
    return check('database', 'warn', `TRADING HALT active since ${state.halt.setAt} (set by ${state.halt.setBy}: ${state.halt.reason}): the bots will not enter, protect or exit until it is lifted; ${summary}`, {
      action: 'lift it when the account is as you want it: npm run liquidate -- --resume', details,
    });
  }
  return check('database', 'ok', summary, { details });
}
