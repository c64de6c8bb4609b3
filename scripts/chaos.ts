/**
 * npm run chaos: the whole system under PM2 (private PM2_HOME, free ports) on the simulator's compressed
 * clock and its realistic profile (lagging positions, corrections, foreign holdings in the account...), a
 * seeded schedule of faults (kills, hangs, gateway restarts and silences, dropped connections, rejections,
 * price gaps, DB locks, every failure of architecture.md's lessons and every quirk of a real gateway),
 * invariants checked against the simulator's own books. Prints a readable report (stderr) and the JSON
 * summary (stdout, and <dir>/chaos-summary.json); exits 1 on any invariant violation. Ctrl-C (SIGINT),
 * SIGTERM or SIGHUP (also of `npm run chaos`, whose shell does not pass it on: the run notices it lost its
 * parent) stops everything it started (the system and its PM2 daemon), writes what it has of the summary
 * and exits 130 / 143 / 129.
 *
 *   npm run chaos                          # 5 trading days, 120 faults, about 22 minutes
 *   npm run chaos -- --short               # 1 day, 27 faults (RUN_DEFAULTS.short), about 5 minutes (CI)
 *   npm run chaos -- --seeds 5             # seeds 1..5 one after another, a summary each and a combined table
 *   npm run chaos -- --seed 7 --faults 200 --days 3 --speed 80 --keep-dir
 */
import fs from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { projectRoot } from '../shared/config/project-root';
import { errorMessage } from '../shared/errors/errors';
import { combineSummaries, renderCombined } from './chaos/multi-seed';
import { RUN_DEFAULTS, reproduceCommand, resolveRun, resolveSeeds, type ChaosCliArgs } from './chaos/resolve-options';
import { finishRun, newLiveRun, runChaos, tidyRunDir, type ChaosOptions, type LiveRun } from './chaos/run-chaos';
import { renderReport, type ChaosSummary } from './chaos/summary';

const EXIT_ON_SIGNAL: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
/** How often the run checks that whoever started it is still there. */
const PARENT_CHECK_MS = 500;

async function main(): Promise<number> {
  const argv = yargs(hideBin(process.argv))
    .scriptName('chaos')
    .option('short', { type: 'boolean', default: false, describe: `the CI version: ${RUN_DEFAULTS.short.days} day, ${RUN_DEFAULTS.short.faults} faults, x${RUN_DEFAULTS.short.speed} (about 5 minutes)` })
    .option('duration-minutes', { type: 'number', describe: 'run as many whole simulated days as fit in this many real minutes (at least one), with the default faults per day' })
    .option('faults', { type: 'number', describe: `number of faults (default 24 a day: ${RUN_DEFAULTS.full.faults} for the full run; short ${RUN_DEFAULTS.short.faults})` })
    .option('fault-rate', { type: 'number', describe: 'faults per real minute of fault window (overrides --faults)' })
    .option('days', { type: 'number', describe: 'simulated trading days (default 5, short 1)' })
    .option('speed', { type: 'number', describe: 'market seconds per real second (default 100)' })
    .option('seed', { type: 'number', describe: 'same seed, same fault schedule and market (default 1)' })
    .option('seeds', { type: 'string', describe: 'several runs one after another: a count (from --seed on) or a list like 3,17,42' })
    .option('start-day', { type: 'string', describe: 'first simulated trading day, YYYY-MM-DD (default 2026-11-23)' })
    .option('dir', { type: 'string', describe: 'where the run lives (default data/chaos/<time>-seed<seed>; with --seeds one folder per seed inside)' })
    .option('keep-dir', { type: 'boolean', default: false, describe: 'keep the DB, logs, simulator state and PM2 home (default: only the summary, plus logs after a failure)' })
    .option('poll-ms', { type: 'number', default: 150, describe: 'how often the broker\'s books are checked for unprotected positions' })
    .option('max-unprotected-ms', { type: 'number', default: 2_000, describe: 'bound on an open position\'s unprotected time (outside gateway outages)' })
    .option('json-only', { type: 'boolean', default: false, describe: 'no progress lines or report on stderr' })
    .strict()
    .parseSync();
  const cli: ChaosCliArgs = { short: argv.short, durationMinutes: argv['duration-minutes'], faults: argv.faults, faultRate: argv['fault-rate'], days: argv.days, speed: argv.speed, seed: argv.seed, startDay: argv['start-day'] };
  let run;
  let seeds: number[];
  try {
    run = resolveRun(cli);
    seeds = resolveSeeds(argv.seeds, run.seed);
  } catch (error) {
    process.stderr.write(`chaos: ${errorMessage(error)}\n`);
    return 78;
  }
  const multi = argv.seeds !== undefined;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const baseDir = path.resolve(argv.dir ?? path.join(projectRoot(), 'data', 'chaos', multi ? `${stamp}-seeds-${seeds[0]}-${seeds[seeds.length - 1]}` : `${stamp}-seed${run.seed}`));
  const progress = argv['json-only'] ? () => undefined : (line: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const say = (text: string) => {
    if (!argv['json-only']) process.stderr.write(`${text}\n`);
  };
  const finished: ChaosSummary[] = [];
  let current: LiveRun | undefined;

  const finishSeed = (summary: ChaosSummary, dir: string) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'chaos-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    tidyRunDir(dir, argv['keep-dir'], !summary.ok);
    finished.push(summary);
    say(`\n${renderReport(summary)}`);
    if (!summary.ok) say(`seed ${summary.seed} FAILED: reproduce with ${summary.reproduce}`);
  };
  const finishAll = (): number => {
    if (!multi) {
      process.stdout.write(`${JSON.stringify(finished[0] ?? { ok: false, seed: seeds[0], note: 'no run finished' }, null, 2)}\n`);
      return finished[0]?.ok ? 0 : 1;
    }
    const combined = combineSummaries(finished);
    fs.mkdirSync(baseDir, { recursive: true });
    fs.writeFileSync(path.join(baseDir, 'chaos-combined.json'), `${JSON.stringify(combined, null, 2)}\n`);
    say(`\n${renderCombined(combined)}\n  combined summary: ${path.join(baseDir, 'chaos-combined.json')}`);
    process.stdout.write(`${JSON.stringify(combined, null, 2)}\n`);
    return combined.ok && finished.length === seeds.length ? 0 : 1;
  };

  // One handler for both signals, installed once: stop the system we started (npm stop + pm2 kill on the
  // private PM2_HOME), write what the run has, exit non-zero. A second signal while stopping only says so.
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals | 'parent exited') => {
    if (stopping) {
      say(`chaos: ${signal} again: still stopping the system, please wait`);
      return;
    }
    stopping = true;
    const live = current;
    say(`\nchaos: ${signal}: stopping everything this run started${live?.system ? ` (PM2_HOME ${live.system.env.PM2_HOME})` : ''}`);
    void (async () => {
      try {
        if (live && !finished.some((s) => s.seed === live.options.seed && s.dir === live.options.dir)) {
          live.interrupted = signal;
          await live.monitor?.stop().catch(() => undefined);
          const killed = (await live.system?.stop()) ?? [];
          if (killed.length) say(`chaos: killed ${killed.length} process(es) of that PM2_HOME that outlived pm2 kill: ${killed.join(', ')}`);
          say('chaos: system stopped');
          finishSeed(finishRun(live), live.options.dir);
        }
        finishAll();
      } catch (error) {
        process.stderr.write(`chaos: stopping after ${signal} failed: ${(error as Error).stack ?? errorMessage(error)}\n`);
      }
      process.exit(EXIT_ON_SIGNAL[signal] ?? 1);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // `npm run chaos` runs us under `sh -c "npm run build && node ..."`: a SIGTERM sent to npm reaches the
  // shell, which dies without passing it on. Orphaned (our parent changed), we stop like on a signal.
  const parentPid = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(parentWatch);
    onSignal('parent exited');
  }, PARENT_CHECK_MS);
  parentWatch.unref();

  progress(`about ${run.estimatedMinutes} real minutes of simulated trading per seed (${run.faultWindowMinutes} minutes of fault windows), seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}`);
  for (const seed of seeds) {
    if (stopping) break;
    const dir = multi ? path.join(baseDir, `seed-${seed}`) : baseDir;
    const options: ChaosOptions = {
      dir, days: run.days, faults: run.faults, seed, speed: run.speed, startDay: run.startDay, pollMs: argv['poll-ms'],
      maxUnprotectedMs: argv['max-unprotected-ms'], env: {}, progress, reproduce: reproduceCommand(cli, seed),
    };
    const live = newLiveRun(options);
    current = live;
    const summary = await runChaos(options, live);
    if (live.interrupted) return new Promise<number>(() => undefined); // the signal handler writes the summary and exits
    finishSeed(summary, dir);
  }
  if (stopping) return new Promise<number>(() => undefined);
  return finishAll();
}

main().then((code) => process.exit(code), (error) => {
  process.stderr.write(`chaos failed: ${(error as Error).stack ?? errorMessage(error)}\n`);
  process.exit(2);
});
