/**
 * npm run status -- [--watch [seconds]] [--json]
 *
 * One screen for an operator: a banner while a trading halt is active, PM2 processes with their heartbeats
 * (broker link, the day-trader's market data), the broker account, active positions with live prices and
 * protection, the positions that are not the bots', today's closed trades and P&L, the last reconciliation,
 * the schedule and the latest warnings. Each source may be down (no PM2, gateway not answering, DB missing/locked/corrupt): the
 * console says which and why, with the fix, and shows the rest.
 *
 * Exit code 0 whenever it could report (even with every source down); 78 on bad configuration.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadConfig } from '../shared/config/load-config';
import type { ResolvedConfig } from '../shared/config/schema';
import { silentLogger } from '../shared/log/logger';
import { CliUsageError, cliClock, runCli } from './report/cli-common';
import { StatusBrokerLink } from './status/broker-snapshot';
import { collectStatus } from './status/collect-status';
import { renderStatus } from './status/render-status';
import type { StatusReport } from './status/status-model';

const DEFAULT_WATCH_SECONDS = 2;
/** "A few seconds" of real time between fill and protection before an OPEN position is shouted about. */
const UNPROTECTED_AFTER_MS = 5_000;
const CONNECT_TIMEOUT_MS = 2_000;
const REQUEST_TIMEOUT_MS = 3_000;
const LAST_PRICE_TIMEOUT_MS = 1_500;
const DB_BUSY_TIMEOUT_MS = 2_000;
const PM2_TIMEOUT_MS = 3_000;

interface StatusArgs {
  watchSeconds: number | undefined;
  json: boolean;
}

function parseArgs(argv: string[]): StatusArgs {
  const args = yargs(argv)
    .scriptName('npm run status --')
    .usage('$0 [--watch [seconds]] [--json]\n\nProcesses, broker account, positions and their protection, today\'s P&L, reconciliation, schedule and recent problems.\nKeeps working with PM2, the gateway or the DB down. Exit code 0 whenever it could report, 78 on bad configuration.')
    // A string so that a bare `--watch` (no number) is told apart from no flag at all.
    .option('watch', { type: 'string', describe: `refresh every N seconds (default ${DEFAULT_WATCH_SECONDS}); Ctrl-C to stop` })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object (one per refresh with --watch), no colours' })
    .strict()
    .help()
    .parseSync();
  let watchSeconds: number | undefined;
  if (args.watch !== undefined) {
    watchSeconds = args.watch === '' ? DEFAULT_WATCH_SECONDS : Number(args.watch);
    if (!Number.isFinite(watchSeconds) || watchSeconds < 0.5) throw new CliUsageError(`--watch takes a number of seconds (at least 0.5), got ${JSON.stringify(args.watch)}`);
  }
  return { watchSeconds, json: args.json };
}

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  const args = parseArgs(argv);
  const config: ResolvedConfig = loadConfig(); // ConfigError → runCli prints every problem and exits 78
  const brokerLink = new StatusBrokerLink({
    config, log: silentLogger(), connectTimeoutMs: CONNECT_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, lastPriceTimeoutMs: LAST_PRICE_TIMEOUT_MS,
  });
  const color = !args.json && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const collect = () => collectStatus({
    // The clock anchor may appear while we watch (the system started): read it on every refresh.
    config, clock: cliClock(config), brokerLink, dbBusyTimeoutMs: DB_BUSY_TIMEOUT_MS, pm2TimeoutMs: PM2_TIMEOUT_MS,
    unprotectedAfterMs: UNPROTECTED_AFTER_MS,
  });
  const print = (report: StatusReport) => (args.json ? `${JSON.stringify(report)}\n` : `${renderStatus(report, { color })}\n`);

  if (args.watchSeconds === undefined) {
    const text = print(await collect());
    await brokerLink.close();
    await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
    process.exit(0);
  }

  let stopping = false;
  process.on('SIGINT', () => {
    stopping = true;
    void brokerLink.close().finally(() => process.exit(0));
  });
  const clearScreen = !args.json && process.stdout.isTTY === true;
  while (!stopping) {
    const text = print(await collect());
    if (stopping) break;
    if (clearScreen) process.stdout.write('\x1b[2J\x1b[H');
    process.stdout.write(clearScreen ? `${text}\n(refreshing every ${args.watchSeconds} s, Ctrl-C to stop)\n` : text);
    await new Promise((resolve) => setTimeout(resolve, args.watchSeconds! * 1000));
  }
}

if (require.main === module) runCli('status', () => main());
