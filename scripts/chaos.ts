/**
 * npm run chaos: the whole system under PM2 (private PM2_HOME, free ports) on the simulator's compressed
 * clock, a seeded schedule of faults (kills, hangs, gateway restarts and silences, dropped connections,
 * rejections, price gaps, DB locks, and every failure of architecture.md's lessons), invariants checked
 * against the simulator's own books. Prints a readable report (stderr) and the JSON summary (stdout, and
 * <dir>/chaos-summary.json); exits 1 on any invariant violation.
 *
 *   npm run chaos                          # 5 trading days, 120 faults, about 22 minutes
 *   npm run chaos -- --short               # 1 day, 20 faults, about 4 minutes (CI)
 *   npm run chaos -- --seed 7 --faults 200 --days 3 --speed 80 --keep-dir
 */
import fs from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { projectRoot } from '../shared/config/project-root';
import { errorMessage } from '../shared/errors/errors';
import { resolveRun } from './chaos/resolve-options';
import { runChaos, tidyRunDir } from './chaos/run-chaos';
import { renderReport } from './chaos/summary';

async function main(): Promise<number> {
  const argv = yargs(hideBin(process.argv))
    .scriptName('chaos')
    .option('short', { type: 'boolean', default: false, describe: 'the CI version: 1 day, 20 faults, x120 (about 4 minutes)' })
    .option('duration-minutes', { type: 'number', describe: 'run as many whole simulated days as fit in this many real minutes (at least one)' })
    .option('faults', { type: 'number', describe: 'number of faults (default 120, short 20)' })
    .option('fault-rate', { type: 'number', describe: 'faults per real minute of fault window (overrides --faults)' })
    .option('days', { type: 'number', describe: 'simulated trading days (default 5, short 1)' })
    .option('speed', { type: 'number', describe: 'market seconds per real second (default 100, short 120)' })
    .option('seed', { type: 'number', describe: 'same seed, same fault schedule (default 1)' })
    .option('start-day', { type: 'string', describe: 'first simulated trading day, YYYY-MM-DD (default 2026-11-23)' })
    .option('dir', { type: 'string', describe: 'where the run lives (default data/chaos/<time>-seed<seed>)' })
    .option('keep-dir', { type: 'boolean', default: false, describe: 'keep the DB, logs, simulator state and PM2 home (default: only the summary, plus logs after a failure)' })
    .option('poll-ms', { type: 'number', default: 150, describe: 'how often the broker\'s books are checked for unprotected positions' })
    .option('max-unprotected-ms', { type: 'number', default: 2_000, describe: 'bound on an open position\'s unprotected time (outside gateway outages)' })
    .option('json-only', { type: 'boolean', default: false, describe: 'no progress lines or report on stderr' })
    .strict()
    .parseSync();
  let run;
  try {
    run = resolveRun({ short: argv.short, durationMinutes: argv['duration-minutes'], faults: argv.faults, faultRate: argv['fault-rate'], days: argv.days, speed: argv.speed, seed: argv.seed, startDay: argv['start-day'] });
  } catch (error) {
    process.stderr.write(`chaos: ${errorMessage(error)}\n`);
    return 78;
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const dir = path.resolve(argv.dir ?? path.join(projectRoot(), 'data', 'chaos', `${stamp}-seed${run.seed}`));
  const progress = argv['json-only'] ? () => undefined : (line: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  progress(`about ${run.estimatedMinutes} real minutes of simulated trading (${run.faultWindowMinutes} minutes of fault windows)`);
  const summary = await runChaos({
    dir, days: run.days, faults: run.faults, seed: run.seed, speed: run.speed, startDay: run.startDay, pollMs: argv['poll-ms'],
    maxUnprotectedMs: argv['max-unprotected-ms'], env: {}, progress,
  });
  fs.writeFileSync(path.join(dir, 'chaos-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  tidyRunDir(dir, argv['keep-dir'], !summary.ok);
  if (!argv['json-only']) process.stderr.write(`\n${renderReport(summary)}\n`);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return summary.ok ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  process.stderr.write(`chaos failed: ${(error as Error).stack ?? errorMessage(error)}\n`);
  process.exit(2);
});
