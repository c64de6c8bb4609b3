/**
 * npm run db-backup: a consistent online copy of the shared DB while the bots run (SQLite's backup API),
 * verified (integrity_check, schema version, every table counted), kept as the day's copy in BACKUP_DIR
 * (`<db>-<trading day>.db` + `.json` manifest) with the newest BACKUP_KEEP days; prints the path of the copy.
 * The supervisor runs this same script after the close (schedule BACKUP).
 *
 *   npm run db-backup                      # the day's copy in BACKUP_DIR, older days pruned
 *   npm run db-backup -- --out /mnt/usb/x.db   # a one-off copy elsewhere (nothing pruned)
 *   npm run db-backup -- --json            # one JSON object (what the supervisor reads)
 *
 * Exit codes: 0 copied and verified, 1 the copy failed its checks (nothing replaced), 78 bad configuration
 * or no DB.
 */
import fs from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadConfig } from '../shared/config/load-config';
import { AppError, ConfigError, errorMessage } from '../shared/errors/errors';
import { backupDatabase } from '../shared/ops/db-backup';
import { clockForConfig } from '../shared/time/clock-for-config';
import { tradingDayOf } from '../shared/time/trading-calendar';

async function main(): Promise<number> {
  const argv = yargs(hideBin(process.argv))
    .scriptName('db-backup')
    .option('out', { type: 'string', describe: 'write a one-off copy to this file instead of the daily copy in BACKUP_DIR' })
    .option('trading-day', { type: 'string', describe: 'name the daily copy after this day (default: the current trading day)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
    .strict()
    .parseSync();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`db-backup: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
  if (!fs.existsSync(config.paths.db)) {
    process.stderr.write(`db-backup: ${config.paths.db} does not exist: nothing to back up (the first bot that starts creates it)\n`);
    return 78;
  }
  const tradingDay = argv['trading-day'] ?? tradingDayOf(clockForConfig(config).now());
  const result = await backupDatabase({ dbPath: config.paths.db, backupDir: config.paths.backups, keep: config.backup.keep, tradingDay, out: argv.out });
  if (argv.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (result.ok) {
    const rows = Object.entries(result.counts).filter(([table]) => ['trades', 'round_trips', 'closed_positions_archive', 'events'].includes(table)).map(([t, n]) => `${t} ${n}`).join(', ');
    process.stdout.write(`${result.file}\n`);
    process.stderr.write(`db-backup: verified copy of ${config.paths.db} (${mb(result.sourceBytes)} with its WAL) in ${result.durationMs} ms: ${mb(result.bytes)}, schema ${result.schemaVersion}, integrity ${result.integrity}, ${rows}`
      + `${result.pruned.length ? `; pruned ${result.pruned.length} older cop${result.pruned.length === 1 ? 'y' : 'ies'} (BACKUP_KEEP=${config.backup.keep})` : ''}\n`);
  } else {
    process.stderr.write(`db-backup: the copy failed its checks and was discarded (nothing replaced):\n  - ${result.problems.join('\n  - ')}\n`);
  }
  return result.ok ? 0 : 1;
}

function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

main().then((code) => process.exit(code), (error) => {
  process.stderr.write(`db-backup: ${errorMessage(error)}\n`);
  process.exit(error instanceof AppError ? error.exitCode : 1);
});
