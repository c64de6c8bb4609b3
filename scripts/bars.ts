/**
 * npm run bars -- <command> [options]      (each command has --help)
 *
 *   import     --csv <dir> [--symbols]                    CSV files in the schema of ../shared/data/bars
 *              --synthetic [--seed 42] [--universe 40] --from --to [--replay <dir>]   the simulator's market
 *   download   --symbols A,B --from --to                   minute bars from the configured gateway (IB or the
 *                                                          simulator), paced like IB wants, resumable
 *   list       [--symbols] [--json]                        what the store holds
 *
 * The store is BARS_DB_PATH (data/bars.db) or --store. Exit codes: 0 done, 65 bad bars or range, 78 bad
 * flags or configuration, 75 the gateway was unreachable, 70 a bug.
 */
import fs from 'node:fs';
import Table from 'cli-table3';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { MINIMUM_UNIVERSE_SIZE } from '../apps/sim-gateway/market/synthetic-market';
import { BarDataError } from '../shared/bars/bar-errors';
import { SYMBOL_PATTERN } from '../shared/bars/csv';
import { loadConfig } from '../shared/config/load-config';
import { BarStore } from '../shared/db/bar-store/bar-store-repository';
import { BrokerUnavailable, ConfigError } from '../shared/errors/errors';
import { silentLogger } from '../shared/log/logger';
import { calendarDayInNewYork, formatNewYork, isTradingDay, sessionHours } from '../shared/time/trading-calendar';
import { downloadBars, IB_PACING } from './bars/download';
import { fillFromModel, importCsvDirectory, tradingDaysFrom } from './bars/fill';
import { marketModel } from './bars/market-model-source';
import { dayOption, listOption } from './backtest/common';
import { ProgressBar } from './backtest/progress';
import { connectGateway, DoctorOrderIds } from './doctor/gateway-check';
import { CliUsageError, cliClock, runCli } from './report/cli-common';

interface StoreArgs {
  store?: string;
  json: boolean;
  quiet: boolean;
}

/** A day flag: its value if it is a date YYYY-MM-DD, else a problem. */
function checkedDay(value: string | undefined, flag: string, problems: string[]): string | undefined {
  try {
    return dayOption(value, flag);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    problems.push(error.message);
    return undefined;
  }
}

function storeFile(args: StoreArgs): string {
  return args.store ?? loadConfig().paths.bars;
}

function withStore<T>(file: string, run: (store: BarStore) => T, readonly = false): T {
  const store = BarStore.open(file, { readonly });
  try {
    return run(store);
  } finally {
    store.close();
  }
}

async function importCommand(args: StoreArgs & { csv?: string; synthetic: boolean; replay?: string; seed: number; universe: number; from?: string; to?: string; symbols?: string[] }): Promise<void> {
  const file = storeFile(args);
  if (!args.csv && !args.synthetic && !args.replay) throw new CliUsageError('say what to import: --csv <dir>, --synthetic or --replay <dir> (npm run bars -- import --help)');
  if (args.csv) {
    const result = withStore(file, (store) => importCsvDirectory(store, args.csv!, listOption(args.symbols)));
    if (args.json) process.stdout.write(`${JSON.stringify({ store: file, source: args.csv, ...result }, null, 2)}\n`);
    else process.stdout.write(`Imported ${result.bars.toLocaleString('en-US')} bars (${result.days} symbol-days) of ${result.symbols.join(', ')} from ${args.csv} into ${file}\n`);
    return;
  }
  // Every flag problem at once (exit 78), before anything is generated.
  const problems: string[] = [];
  const from = checkedDay(args.from, 'from', problems);
  const to = checkedDay(args.to, 'to', problems);
  if ((!args.from || !args.to)) problems.push('--synthetic and --replay need --from and --to');
  if (from && to && from > to) problems.push(`--from ${from} is after --to ${to}`);
  if (!Number.isInteger(args.universe) || args.universe < MINIMUM_UNIVERSE_SIZE) problems.push(`--universe must be a whole number of at least ${MINIMUM_UNIVERSE_SIZE} (the simulator's smallest universe), got ${args.universe}`);
  if (!Number.isSafeInteger(args.seed)) problems.push(`--seed must be a whole number, got ${args.seed}`);
  if (problems.length > 0 || !from || !to) throw new ConfigError(problems);
  const days = tradingDaysFrom(from, to);
  if (days.length === 0) throw new BarDataError(`no NYSE trading day between ${from} and ${to}`);
  const model = marketModel({ seed: args.seed, universeSize: args.universe, replayDir: args.replay });
  const all = model.universe.map((u) => u.symbol);
  const wanted = listOption(args.symbols);
  const unknown = (wanted ?? []).filter((s) => !all.includes(s));
  if (unknown.length > 0) throw new BarDataError(`unknown symbol${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}: the ${args.replay ? 'replayed' : 'synthetic'} universe (seed ${args.seed}, ${args.universe} symbols) has ${all.join(', ')}`);
  const progress = new ProgressBar('import', { quiet: args.quiet });
  const label = args.replay ? `replay:${args.replay}:${args.seed}` : `synthetic:${args.seed}:${args.universe}`;
  const written = withStore(file, (store) => fillFromModel(store, model, wanted ?? all, days, label, (done, total) => progress.update(done, total, 'days')));
  if (args.json) process.stdout.write(`${JSON.stringify({ store: file, source: label, symbols: (wanted ?? all).length, days: days.length, written }, null, 2)}\n`);
  else process.stdout.write(`Wrote ${written} symbol-days (${(wanted ?? all).length} symbols x ${days.length} trading days, ${label}) into ${file}\n`);
}

async function downloadCommand(args: StoreArgs & { symbols?: string[]; from?: string; to?: string; 'max-requests': number; 'window-s': number; 'retry-failed': boolean }): Promise<void> {
  // Every flag problem at once (exit 78), before the gateway is asked anything.
  const problems: string[] = [];
  const symbols = listOption(args.symbols)?.map((s) => s.toUpperCase());
  if (!symbols) problems.push('--symbols is required (e.g. --symbols AAPL,MSFT)');
  const bad = (symbols ?? []).filter((s) => !SYMBOL_PATTERN.test(s.replace(' ', '.')));
  if (bad.length > 0) problems.push(`--symbols: not a ticker: ${bad.join(', ')}`);
  const from = checkedDay(args.from, 'from', problems);
  const to = checkedDay(args.to, 'to', problems);
  if (!args.from || !args.to) problems.push('--from and --to are required');
  if (from && to && from > to) problems.push(`--from ${from} is after --to ${to}`);
  if (!(args['max-requests'] >= 1)) problems.push(`--max-requests must be at least 1, got ${args['max-requests']}`);
  if (!(args['window-s'] >= 1)) problems.push(`--window-s must be at least 1, got ${args['window-s']}`);
  if (problems.length > 0 || !symbols || !from || !to) throw new ConfigError(problems);
  const days = tradingDaysFrom(from, to).filter(isTradingDay);
  if (days.length === 0) throw new BarDataError(`no NYSE trading day between ${from} and ${to}`);
  const config = loadConfig();
  const clock = cliClock(config);
  // Only whole days are stored (a day is complete after its after-hours close): a partial day would be taken
  // for a finished one by the next run's resume.
  const nowMs = clock.now();
  const incomplete = days.filter((d) => sessionHours(d)!.afterHoursCloseMs > nowMs);
  if (incomplete.length > 0) throw new BarDataError(`${incomplete[0]}${incomplete.length > 1 ? ` and ${incomplete.length - 1} more day(s)` : ''} not over yet in the gateway's market time (${formatNewYork(nowMs)} New York): download days before ${calendarDayInNewYork(nowMs)}`);
  const connection = await connectGateway(config, config.ib.clientIds.bars, silentLogger(), new DoctorOrderIds());
  if (!connection.reachable) throw new BrokerUnavailable(`the gateway at ${config.ib.host}:${config.ib.port} is not reachable: ${connection.reason}`);
  const progress = new ProgressBar('download', { quiet: args.quiet });
  try {
    const summary = await withStoreAsync(storeFile(args), (store) => downloadBars({
      broker: connection.broker, store, clock, symbols, days, retryFailed: args['retry-failed'],
      rules: { ...IB_PACING, maxRequests: args['max-requests'], windowMs: args['window-s'] * 1000, violationBackoffMs: args['window-s'] * 1000 },
      onProgress: (done, total, note) => progress.update(done, total, note),
    }));
    progress.done();
    if (args.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      process.stdout.write(`${summary.stored} symbol-days stored (${summary.bars.toLocaleString('en-US')} bars), ${summary.skipped} already there, ${summary.empty} without bars, ${summary.failed.length} failed; `
        + `${summary.requests} requests, ${summary.pacingViolations} pacing violation(s), ${Math.round(summary.waitedSeconds)} s waited for the pacing budget\n`);
      for (const f of summary.failed.slice(0, 10)) process.stdout.write(`  failed: ${f.symbol} ${f.tradingDay}: ${f.error}\n`);
    }
    if (summary.failed.length > 0) process.exitCode = 1;
  } finally {
    await connection.broker.disconnect();
  }
}

async function withStoreAsync<T>(file: string, run: (store: BarStore) => Promise<T>): Promise<T> {
  const store = BarStore.open(file);
  try {
    return await run(store);
  } finally {
    store.close();
  }
}

function listCommand(args: StoreArgs & { symbols?: string[] }): void {
  const file = storeFile(args);
  // No file yet is an empty store, not an error (opening it read-only would fail with a misleading message).
  const coverage = fs.existsSync(file) ? withStore(file, (store) => store.coverage(listOption(args.symbols)), true) : [];
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ store: file, symbols: coverage }, null, 2)}\n`);
    return;
  }
  if (coverage.length === 0) {
    process.stdout.write(`${file} holds no bars yet (npm run bars -- import --csv <dir> | --synthetic ..., or download)\n`);
    return;
  }
  const table = new Table({ head: ['Symbol', 'First day', 'Last day', 'Days', 'Bars', 'Source'], style: { head: [], border: [], compact: true } });
  for (const c of coverage) table.push([c.symbol, c.firstDay, c.lastDay, c.days, c.bars, c.sources.length > 60 ? `${c.sources.slice(0, 57)}...` : c.sources]);
  process.stdout.write(`${file}\n${table.toString()}\n`);
}

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  let action: (() => Promise<void> | void) | undefined;
  const common = (y: Argv) => y
    .option('store', { type: 'string', describe: 'bar store file (default: BARS_DB_PATH, data/bars.db)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar' });
  await yargs(argv)
    .scriptName('npm run bars --')
    .command('import', 'CSV files, or the simulator\'s synthetic / replayed market, into the store', ((y: Argv) => common(y)
      .option('csv', { type: 'string', describe: 'folder of <SYMBOL>.csv (time,open,high,low,close,volume; see ../shared/data/bars/README.md)' })
      .option('synthetic', { type: 'boolean', default: false, describe: 'the seeded synthetic market' })
      .option('replay', { type: 'string', describe: 'a CSV folder as the simulator replays it (SIM_MARKET=replay)' })
      .option('seed', { type: 'number', default: 42 })
      .option('universe', { type: 'number', default: 40, describe: 'symbols of the synthetic universe' })
      .option('from', { type: 'string' })
      .option('to', { type: 'string' })
      .option('symbols', { type: 'array', string: true })) as never,
    ((args: never) => (action = () => importCommand(args))) as never)
    .command('download', 'minute bars from the configured gateway (IB or the simulator), paced, resumable', ((y: Argv) => common(y)
      .option('symbols', { type: 'array', string: true, describe: 'symbols to download' })
      .option('from', { type: 'string', describe: 'first trading day' })
      .option('to', { type: 'string', describe: 'last trading day' })
      .option('max-requests', { type: 'number', default: IB_PACING.maxRequests, describe: 'historical requests per window (IB allows 60 per 10 minutes)' })
      .option('window-s', { type: 'number', default: IB_PACING.windowMs / 1000, describe: 'pacing window, market seconds' })
      .option('retry-failed', { type: 'boolean', default: true, describe: 'ask again for symbol-days that failed before' })) as never,
    ((args: never) => (action = () => downloadCommand(args))) as never)
    .command('list', 'what the store holds, per symbol', ((y: Argv) => common(y).option('symbols', { type: 'array', string: true })) as never,
      ((args: never) => (action = () => listCommand(args))) as never)
    .demandCommand(1, 'name a command: import, download or list')
    .strict()
    .help()
    .fail((message, error) => {
      throw error ?? new CliUsageError(`${message} (npm run bars -- --help)`);
    })
    .parseAsync();
  if (action) await action();
}

if (require.main === module) runCli('bars', () => main());
