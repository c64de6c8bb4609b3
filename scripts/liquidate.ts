/**
 * npm run liquidate -- [--yes] [--fill-timeout 30] [--cancel-timeout 10]
 *
 * The emergency button: cancel every working order (all clients) and close every position at market.
 * Without --yes it only shows what it would do. Needs the gateway only: it works with the bots down and
 * with the DB missing, locked, corrupt or read-only (the account is flattened; the DB is updated when it can be).
 * Never touches PM2.
 *
 * Exit codes: 0 the account is flat at the end (or: dry run done), 1 positions remain, 2 the gateway could
 * not be reached (or stopped answering), 78 bad configuration.
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
import { renderDryRun, renderExecuted } from './liquidate/liquidation-report';
import { LiquidationOrderIds } from './liquidate/order-id-allocator';
import { runLiquidation } from './liquidate/run-liquidation';
import { cliClock, runCli } from './report/cli-common';

export const LIQUIDATE_EXIT = { FLAT: 0, POSITIONS_REMAIN: 1, GATEWAY_UNREACHABLE: 2 } as const;

/** Short on purpose: the emergency does not wait on a DB another process holds; it goes on without it. */
const DB_BUSY_TIMEOUT_MS = 2_000;

export async function main(argv: string[] = hideBin(process.argv)): Promise<number> {
  const args = yargs(argv)
    .scriptName('npm run liquidate --')
    .usage('$0 [--yes] [--fill-timeout 30] [--cancel-timeout 10]\n\nEMERGENCY: cancel every working order (all clients) and close every position at market.\nWithout --yes it only prints what it would do.\nExit codes: 0 flat (or dry run done), 1 positions remain, 2 gateway unreachable, 78 bad configuration.')
    .option('yes', { type: 'boolean', default: false, describe: 'really do it: cancel every order and close every position at market' })
    .option('fill-timeout', { type: 'number', default: 30, describe: 'seconds to wait for the market orders to fill (per attempt)' })
    .option('cancel-timeout', { type: 'number', default: 10, describe: 'seconds to wait for the broker to show no working orders' })
    .check((a) => {
      if (!(a['fill-timeout'] > 0) || !(a['cancel-timeout'] > 0)) throw new Error('--fill-timeout and --cancel-timeout must be positive numbers of seconds');
      return true;
    })
    .strict()
    .help()
    .parseSync();
  const startedAtMs = Date.now();
  const config = loadConfig(); // ConfigError → runCli prints every problem and exits 78
  const clock = cliClock(config);
  const log = createLogger({ app: 'liquidate', logDir: config.paths.logs, level: config.log.level, console: false, marketNow: () => clock.now() });
  const endpoint = `${config.ib.host}:${config.ib.port}`;
  const clientId = config.ib.clientIds.liquidate;
  let journal: LiquidationJournal | undefined;
  const broker = createBroker({
    config, clientId, log,
    // The journal opens after the connection; ids fall back to memory when the DB cannot be used.
    orderIds: new LiquidationOrderIds((c, next, count) => journal?.reserveOrderId(c, next, count)),
  });
  const finish = async (code: number, text: string, stream: NodeJS.WriteStream = process.stdout): Promise<number> => {
    await broker.disconnect();
    journal?.close();
    await new Promise<void>((resolve) => stream.write(`${text}\n`, () => resolve()));
    await log.flush();
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
      { broker, journal, clock, log, heartbeatStaleMs: config.supervisor.heartbeatStaleMs },
      { execute: args.yes, fillTimeoutMs: args['fill-timeout'] * 1000, cancelTimeoutMs: args['cancel-timeout'] * 1000 },
    );
    const context = {
      endpoint, clientId, accountId: info.accounts.join(', '), marketTimeNewYork: formatNewYork(clock.now()), journal, elapsedMs: Date.now() - startedAtMs,
    };
    if (!args.yes) return finish(LIQUIDATE_EXIT.FLAT, renderDryRun(outcome, context));
    const flat = outcome.finalPositions !== undefined && outcome.finalPositions.length === 0;
    const code = outcome.brokerLost ? LIQUIDATE_EXIT.GATEWAY_UNREACHABLE : flat ? LIQUIDATE_EXIT.FLAT : LIQUIDATE_EXIT.POSITIONS_REMAIN;
    return finish(code, renderExecuted(outcome, context));
  } catch (error) {
    if (!(error instanceof AppError && error.kind === 'transient')) throw error;
    log.error('liquidation_gateway_unreachable', { endpoint, clientId, error: errorMessage(error) });
    return finish(LIQUIDATE_EXIT.GATEWAY_UNREACHABLE, `liquidate: the gateway at ${endpoint} did not answer: ${errorMessage(error)}\nNothing was changed.`, process.stderr);
  }
}

if (require.main === module) runCli('liquidate', async () => process.exit(await main()));
