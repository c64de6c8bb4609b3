/**
 * npm run db-check: is the shared DB usable? Schema version, PRAGMA integrity_check, WAL mode, row counts and
 * the coordination invariants (no position both active and closed; no symbol active twice is enforced by
 * the schema). Exit 0 = healthy, 1 = problems found, 78 = cannot open (corrupt, newer schema, missing).
 */
import fs from 'node:fs';
import { loadConfig } from '../shared/config/load-config';
import { integrityCheck, openDatabase, schemaVersion } from '../shared/db';
import { AppError, errorMessage } from '../shared/errors/errors';
import { LATEST_SCHEMA_VERSION } from '../shared/db/migrations';

function main(): number {
  const config = loadConfig();
  const file = config.paths.db;
  if (!fs.existsSync(file)) {
    console.error(`db-check: ${file} does not exist (it is created by the first bot that starts: npm start)`);
    return 78;
  }
  const db = openDatabase(file, { readonly: true, busyTimeoutMs: 2_000 });
  const problems: string[] = [];
  const integrity = integrityCheck(db);
  if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
  const version = schemaVersion(db);
  if (version < LATEST_SCHEMA_VERSION) problems.push(`schema version ${version} is older than ${LATEST_SCHEMA_VERSION}: the next bot start migrates it`);
  const both = db.prepare('SELECT a.symbol FROM active_positions a JOIN closed_positions_today c ON c.position_id = a.id').pluck().all() as string[];
  if (both.length) problems.push(`positions both active and closed: ${both.join(', ')}`);
  const counts = Object.fromEntries(['active_positions', 'closed_positions_today', 'closed_positions_archive', 'trades', 'orders', 'round_trips', 'events', 'reconciliation_log'].map((t) => [t, db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get()]));
  const journal = db.pragma('journal_mode', { simple: true });
  db.close();
  console.log(JSON.stringify({ file, schemaVersion: version, journalMode: journal, integrity, counts, problems }, null, 2));
  if (problems.length) console.error(`db-check: ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
  return problems.length ? 1 : 0;
}

try {
  process.exit(main());
} catch (error) {
  console.error(`db-check: ${errorMessage(error)}`);
  process.exit(error instanceof AppError ? error.exitCode : 70);
}
