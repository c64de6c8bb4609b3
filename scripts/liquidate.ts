/**
 * npm run liquidate -- [--yes [--at-open] [--all-stock]] [--resume] [--fill-timeout 30] [--cancel-timeout 10]
 *
 * The emergency button. --yes: set the trading halt (the bots stop entering, protecting and exiting), cancel
 * every working order (all clients) and close the bots' positions (--all-stock: every US stock in USD; options
 * and other currencies never) the way the session allows: market orders in regular hours, marketable limit
 * orders outside them, DAY market orders queued for the open with --at-open. The halt stays on until
 * --resume. Without --yes it only shows what it would do. Needs the gateway only: it works with the bots down
 * and with the DB missing, locked, corrupt or read-only (then the halt cannot be set: it says so, loudly).
 * Never touches PM2.
 *
 * Exit codes: 0 nothing in scope is left (or: dry run done, halt lifted), 1 positions remain (--resume: the DB
 * cannot be written), 2 the gateway could not be reached (or stopped answering), 3 the market is closed and
 * --at-open was not given (nothing changed), 4 the closing orders wait at the broker for the next open,
 * 78 bad configuration.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { createBroker } from '../shared/broker/create-broker';
import type { ConnectInfo } from '../shared/broker/types';
import { loadConfig } from '../shared/config/load-config';
import { AccountMismatchError, AppError, errorMessage } from '../shared/errors/errors';
import { createLogger } from '../shared/log/logger';
import { formatNewYork } from '../shared/time/trading-calendar';
import { LiquidationJournal } from './liquidate/liquidation-journal';
import { renderDryRun, renderExecuted, renderRefused } from './liquidate/liquidation-report';
import { LiquidationOrderIds } from './liquidate/order-id-allocator';
import { resumeTrading } from './liquidate/resume-trading';
import { runLiquidation, type LiquidationVerdict } from './liquidate/run-liquidation';
import { CliUsageError, cliClock, runCli } from './report/cli-common';

export const LIQUIDATE_EXIT = { FLAT: 0, POSITIONS_REMAIN: 1, GATEWAY_UNREACHABLE: 2, MARKET_CLOSED: 3, QUEUED_FOR_OPEN: 4 } as const;

const VERDICT_EXIT: Record<LiquidationVerdict, number> = {
  'dry-run': LIQUIDATE_EXIT.FLAT, flat: LIQUIDATE_EXIT.FLAT, queued: LIQUIDATE_EXIT.QUEUED_FOR_OPEN, remain: LIQUIDATE_EXIT.POSITIONS_REMAIN,
  refused: LIQUIDATE_EXIT.MARKET_CLOSED, unknown: LIQUIDATE_EXIT.GATEWAY_UNREACHABLE,
};

/** Short on purpose: the emergency does not wait on a DB another process holds; it goes on without it. */
const DB_BUSY_TIMEOUT_MS = 2_000;
/** "A few seconds" for a quote outside regular hours before the order falls back to a market order at the open. */
const QUOTE_TIMEOUT_MS = 3_000;

const USAGE = `$0 [--yes [--at-open] [--all-stock]] [--resume] [--fill-timeout 30] [--cancel-timeout 10]

EMERGENCY: set the trading halt, cancel every working order (all clients, orders placed by hand in TWS too)
and close the bots' positions. Without --yes it only prints what it would do. The halt stays on until --resume.
Exit codes: 0 done (or dry run), 1 positions remain, 2 gateway unreachable, 3 market closed (add --at-open),
4 closing orders queued for the open, 78 bad configuration.`;

export async function main(argv: string[] = hideBin(process.argv)): Promise<number> {
  const args = yargs(argv)
    .scriptName('npm run liquidate --')
    .usage(USAGE)
    .option('yes', { type: 'boolean', default: false, describe: 'really do it: halt the bots, cancel every order, close the positions' })
    .option('resume', { type: 'boolean', default: false, describe: 'lift the trading halt: the bots trade again (needs only the DB)' })
    .option('all-stock', { type: 'boolean', default: false, describe: 'close every US stock position in USD, not only the bots\' (options and other currencies are never touched)' })
    .option('at-open', { type: 'boolean', default: false, describe: 'outside regular hours: queue DAY market orders for the next open (required when the market is closed)' })
    .option('fill-timeout', { type: 'number', default: 30, describe: 'seconds to wait for the closing orders to fill (per attempt)' })
    .option('cancel-timeout', { type: 'number', default: 10, describe: 'seconds to wait for the broker to show no working orders' })
    .check((a) => {
      if (!(a['fill-timeout'] > 0) || !(a['cancel-timeout'] > 0)) throw new Error('--fill-timeout and --cancel-timeout must be positive numbers of seconds');
      // Not yargs' conflicts(): booleans with a default count as given there.
      if (a.resume && (a.yes || a['all-stock'] || a['at-open'])) {
        throw new Error('--resume and --yes (--all-stock, --at-open) are mutually exclusive: --resume only lifts the trading halt');
      }
      return true;
    })
    .strict()
    .help()
    // A bad flag is the user's to fix: one message and exit 78, never 1 (which means "positions remain").
    .fail((message, error) => {
      throw new CliUsageError(`${message ?? errorMessage(error)} (npm run liquidate -- --help)`);
    })
    .parseSync();
  const startedAtMs = Date.now();
  const config = loadConfig(); // ConfigError → runCli prints every problem and exits 78
  const clock = cliClock(config);
  const log = createLogger({ app: 'liquidate', logDir: config.paths.logs, level: config.log.level, console: false, marketNow: () => clock.now() });
  const write = async (text: string, stream: NodeJS.WriteStream) => {
    await new Promise<void>((resolve) => stream.write(`${text}\n`, () => resolve()));
    await log.flush();
  };

  if (args.resume) {
    const result = resumeTrading({ dbPath: config.paths.db, clock, log, busyTimeoutMs: DB_BUSY_TIMEOUT_MS });
    await write(result.text, result.stream === 'stderr' ? process.stderr : process.stdout);
    return result.code;
  }

  const endpoint = `${config.ib.host}:${config.ib.port}`;
  const clientId = config.ib.clientIds.liquidate;
  const botClientIds = new Set([config.ib.clientIds.dayTrader, config.ib.clientIds.exitManager, config.ib.clientIds.reconciler]);
  let journal: LiquidationJournal | undefined;
  const broker = createBroker({
    config, clientId, log,
    // The journal opens after the connection; ids fall back to memory when the DB cannot be used.
    orderIds: new LiquidationOrderIds((c, next, count) => journal?.reserveOrderId(c, next, count)),
  });
  const finish = async (code: number, text: string, stream: NodeJS.WriteStream = process.stdout): Promise<number> => {
    await broker.disconnect();
    journal?.close();
    await write(text, stream);
    return code;
  };

  let info: ConnectInfo;
  try {
    info = await broker.connect();
  } catch (error) {
    if (error instanceof AccountMismatchError) throw error; // a config problem (78), not an unreachable gateway
    log.error('liquidation_gateway_unreachable', { endpoint, clientId, error: errorMessage(error) });
    return finish(LIQUIDATE_EXIT.GATEWAY_UNREACHABLE,
      `liquidate: gateway at ${endpoint} is not answering: ${errorMessage(error)}\nNothing was changed. Start the gateway (or fix IB_HOST/IB_PORT) and run again; ` +
      'if the gateway itself is gone, close the positions in TWS or the IBKR mobile app.', process.stderr);
  }

  journal = LiquidationJournal.open({ dbPath: config.paths.db, clock, log, busyTimeoutMs: DB_BUSY_TIMEOUT_MS, forWriting: args.yes });
  try {
    const outcome = await runLiquidation(
      { broker, journal, clock, log, botClientIds },
      {
        execute: args.yes, allStock: args['all-stock'], atOpen: args['at-open'], fillTimeoutMs: args['fill-timeout'] * 1000, cancelTimeoutMs: args['cancel-timeout'] * 1000,
        quoteTimeoutMs: QUOTE_TIMEOUT_MS,
      },
    );
    const context = {
      endpoint, clientId, accountId: info.accounts.join(', '), marketTimeNewYork: formatNewYork(clock.now()), journal, elapsedMs: Date.now() - startedAtMs, botClientIds,
    };
    const code = VERDICT_EXIT[outcome.verdict];
    if (outcome.verdict === 'dry-run') return finish(code, renderDryRun(outcome, context));
    if (outcome.verdict === 'refused') return finish(code, renderRefused(outcome, context), process.stderr);
    return finish(code, renderExecuted(outcome, context));
  } catch (error) {
    if (!(error instanceof AppError && error.kind === 'transient')) throw error;
    log.error('liquidation_gateway_unreachable', { endpoint, clientId, error: errorMessage(error) });
    return finish(LIQUIDATE_EXIT.GATEWAY_UNREACHABLE, `liquidate: the gateway at ${endpoint} did not answer: ${errorMessage(error)}\nNothing was changed.`, process.stderr);
  }
}

if (require.main === module) runCli('liquidate', async () => process.exit(await main()));
