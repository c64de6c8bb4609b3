/**
 * npm run soak: many trading days of the whole system under PM2 on the realistic simulator at a high speed,
 * with the daily schedule, reports and backups, no faults; per day the invariant violations, RSS of every
 * process, event-loop delay, DB and log sizes; at the end the memory trend per process and the DB and log
 * growth per trade. Writes <dir>/soak-summary.json (updated after every day) and prints the table.
 *
 *   npm run soak -- --days 50              # 50 trading days from 2026-10-26 (a DST change, Thanksgiving and
 *                                          # its early close, Christmas Eve, Christmas, New Year), x300
 *   npm run soak -- --days 3 --speed 200   # a short one
 *
 * Exit 0 when every day ran with no violation, 1 otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { projectRoot } from '../shared/config/project-root';
import { errorMessage } from '../shared/errors/errors';
import { runSoak } from './soak/run-soak';
import { renderSoak, summarize } from './soak/soak-report';

async function main(): Promise<number> {
  const argv = yargs(hideBin(process.argv))
    .scriptName('soak')
    .option('days', { type: 'number', default: 50, describe: 'simulated trading days' })
    .option('speed', { type: 'number', default: 300, describe: 'market seconds per real second' })
    .option('seed', { type: 'number', default: 7, describe: 'market seed' })
    .option('start-day', { type: 'string', default: '2026-10-26', describe: 'first simulated trading day' })
    .option('day-start', { type: 'string', default: '09:25', describe: 'the compressed clock plays each day from (New York)' })
    .option('day-end', { type: 'string', default: '16:20', describe: '... to (after the 16:05 reconciliation, 16:10 reports and 16:12 backup)' })
    .option('poll-ms', { type: 'number', default: 500, describe: 'how often the broker\'s books are checked' })
    .option('dir', { type: 'string', describe: 'where the run lives (default data/soak/<time>)' })
    .option('keep-dir', { type: 'boolean', default: false, describe: 'keep the DB, logs, backups and PM2 home (default: only the summary)' })
    .strict()
    .parseSync();
  if (!Number.isInteger(argv.days) || argv.days < 1) throw new RangeError('--days must be a whole number of at least 1');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const dir = path.resolve(argv.dir ?? path.join(projectRoot(), 'data', 'soak', stamp));
  const command = `npm run soak -- --days ${argv.days} --speed ${argv.speed} --seed ${argv.seed} --start-day ${argv['start-day']}`;
  const progress = (line: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const summaryFile = path.join(dir, 'soak-summary.json');
  fs.mkdirSync(dir, { recursive: true });
  const result = await runSoak({
    dir, days: argv.days, speed: argv.speed, seed: argv.seed, startDay: argv['start-day'], dayStart: argv['day-start'], dayEnd: argv['day-end'],
    pollMs: argv['poll-ms'], maxUnprotectedMs: 2_000, env: {}, progress,
    onDay: (days) => fs.writeFileSync(summaryFile, `${JSON.stringify(summarize({ command, daysPlanned: argv.days, speed: argv.speed, seed: argv.seed, realMinutes: 0, aborted: 'running', days: [...days], violations: [] }), null, 2)}\n`),
  });
  const summary = summarize({ command, daysPlanned: argv.days, speed: argv.speed, seed: argv.seed, realMinutes: result.realMinutes, aborted: result.aborted, days: result.days, violations: result.violations });
  fs.writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
  const rendered = renderSoak(summary);
  fs.writeFileSync(path.join(dir, 'soak-report.md'), `${rendered}\n`);
  process.stderr.write(`\n${rendered}\n\nsummary: ${summaryFile}\n`);
  if (!argv['keep-dir']) {
    for (const entry of fs.readdirSync(dir)) if (!['soak-summary.json', 'soak-report.md'].includes(entry)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
  return summary.ok ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  process.stderr.write(`soak failed: ${(error as Error).stack ?? errorMessage(error)}\n`);
  process.exit(2);
});
