/**
 * npm run db-restore -- <backup file>: puts a backup in place of the shared DB. Refuses while the system
 * runs (any of its apps online under this PM2_HOME, or a fresh heartbeat in the DB from a process run some
 * other way); checks the file (integrity_check, our tables, a schema this code knows); keeps the DB it
 * replaces as `<db>.before-restore-<time>`; copies the backup in with SQLite's backup API and opens it like a
 * bot would (applying the migrations it lacks). Then `npm start`: the reconciler books from the broker's
 * executions what happened since the backup (today's: IB reports the current day's executions).
 *
 * Exit codes: 0 restored, 1 refused (the system runs) or the file failed its checks, 78 bad configuration.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../shared/config/load-config';
import { openDatabase } from '../shared/db/open-database';
import { DatabaseFactsRepository } from '../shared/db/repositories/database-facts-repository';
import { ConfigError, errorMessage } from '../shared/errors/errors';
import { inspectBackup, restoreDatabase } from '../shared/ops/db-restore';
import { SYSTEM_APPS, connectPm2, listSystem, pm2 } from './pm2-control';

/** A beat newer than this means something still runs on the DB (the bots beat every second). */
const FRESH_BEAT_MS = 15_000;

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file || file.startsWith('-')) {
    console.error('usage: npm run db-restore -- <backup file>   (the daily copies are in BACKUP_DIR, default data/backups)');
    return 78;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`db-restore: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
  const running = await runningApps();
  if (running.length) {
    console.error(`db-restore: refused: ${running.join(', ')} still run. Stop the system first (npm stop), then restore.`);
    return 1;
  }
  if (fs.existsSync(config.paths.db)) {
    const db = openDatabase(config.paths.db, { readonly: true, busyTimeoutMs: 2_000 });
    const live = new DatabaseFactsRepository(db).liveHeartbeats(Date.now() - FRESH_BEAT_MS);
    db.close();
    if (live.length) {
      console.error(`db-restore: refused: ${live.map((b) => `${b.app} (pid ${b.pid}, ${b.state})`).join(', ')} wrote a heartbeat to ${config.paths.db} in the last ${FRESH_BEAT_MS / 1000} s: something still runs on this DB. Stop it first.`);
      return 1;
    }
  }
  const inspection = inspectBackup(path.resolve(file));
  if (!inspection.ok) {
    console.error(`db-restore: ${file} cannot be restored:\n  - ${inspection.problems.join('\n  - ')}`);
    return 1;
  }
  const result = await restoreDatabase(path.resolve(file), config.paths.db);
  console.log(`restored ${result.restoredFrom} into ${result.dbPath} (schema ${result.schemaVersionBefore} → ${result.schemaVersionAfter}; trades ${result.counts.trades ?? 0}, round_trips ${result.counts.round_trips ?? 0}, events ${result.counts.events ?? 0})`);
  console.log(result.previousKeptAt ? `the DB it replaced is kept as ${result.previousKeptAt}` : 'there was no DB before');
  console.log('next: npm start (the reconciler books from the broker what happened since the backup; positions stayed protected at the broker)');
  return 0;
}

/** The system's apps PM2 runs under this PM2_HOME (none when its daemon is not running: it is never started here). */
async function runningApps(): Promise<string[]> {
  const pm2Home = process.env.PM2_HOME;
  const daemonPid = path.join(pm2Home ?? path.join(process.env.HOME ?? '', '.pm2'), 'pm2.pid');
  if (!fs.existsSync(daemonPid)) return [];
  try {
    await connectPm2(false);
  } catch {
    return [];
  }
  try {
    return (await listSystem()).filter((p) => ['online', 'launching', 'stopping', 'waiting restart'].includes(p.pm2_env?.status ?? '') && (SYSTEM_APPS as readonly string[]).includes(p.name ?? '')).map((p) => p.name!);
  } finally {
    pm2.disconnect();
  }
}

main().then((code) => process.exit(code), (error) => {
  console.error(`db-restore: ${errorMessage(error)}`);
  process.exit(1);
});
