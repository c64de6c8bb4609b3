/**
 * npm run doctor -- [--json] [--symbols SPY,AAPL,MSFT] [--probe-order]
 *
 * Preflight against the configured gateway (SIM, PAPER or LIVE) with its own client id (CLIENT_ID_DOCTOR,
 * 17): configuration, gateway, account and mode, server version, market data per test symbol, historical
 * data, the API settings as far as the API can tell (read-only API, master client id, order precautions),
 * positions the bots did not open and what FOREIGN_POSITIONS will do with them, open orders not ours, clock
 * skew, the next session, the DB. Each check is ok / warn / fail with a one-line finding and what to do.
 *
 * Read-only: it never places an order, except with --probe-order (PAPER and SIM only; refused in LIVE): one
 * 1-share BUY limit at half the market, cancelled as soon as the broker acknowledges it.
 *
 * Exit codes: 0 READY TO TRADE (no check failed; warnings allowed), 1 NOT READY, 2 the gateway could not be
 * reached, 78 bad configuration or flags.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadConfig } from '../shared/config/load-config';
import type { ResolvedConfig } from '../shared/config/schema';
import { ConfigError, errorMessage } from '../shared/errors/errors';
import { createLogger, silentLogger, type Logger } from '../shared/log/logger';
import { invalidConfigCheck } from './doctor/config-check';
import { CHECK_IDS, skipped, type CheckId, type DoctorReport } from './doctor/doctor-model';
import { RecordingLogger } from './doctor/recording-logger';
import { renderReport } from './doctor/render-report';
import { runDoctor } from './doctor/run-doctor';
import { parseSymbols } from './doctor/test-symbols';
import { buildReport } from './doctor/verdict';
import { CliUsageError, cliClock, runCli } from './report/cli-common';

const USAGE = `$0 [--json] [--symbols SPY,AAPL,MSFT] [--probe-order]

Checks that the system can trade safely against the configured gateway (MODE=SIM, PAPER or LIVE), with its
own client id, and says what to do about anything that is not in place. Read-only, except --probe-order.
Exit codes: 0 READY TO TRADE (warnings allowed), 1 NOT READY, 2 gateway unreachable, 78 bad configuration.`;

interface DoctorArgs {
  json: boolean;
  symbols: string[] | undefined;
  probeOrder: boolean;
}

function parseArgs(argv: string[]): DoctorArgs {
  const args = yargs(argv)
    .scriptName('npm run doctor --')
    .usage(USAGE)
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object: every check and the verdict' })
    .option('symbols', { type: 'string', describe: 'test symbols for market data and history, comma separated (default SIM: the simulator\'s most active; PAPER/LIVE: SPY,AAPL,MSFT)' })
    .option('probe-order', { type: 'boolean', default: false, describe: 'PAPER and SIM only: place a 1-share BUY limit at half the market and cancel it at once, to prove the API takes orders' })
    .strict()
    .help()
    .fail((message, error) => {
      throw new CliUsageError(`${message ?? errorMessage(error)} (npm run doctor -- --help)`);
    })
    .parseSync();
  const symbols = parseSymbols(args.symbols);
  if (symbols !== undefined && symbols.length === 0) throw new CliUsageError('--symbols needs at least one symbol, e.g. --symbols SPY,AAPL');
  return { json: args.json, symbols, probeOrder: args['probe-order'] };
}

function doctorLogger(config: ResolvedConfig, clock: { now(): number }): Logger {
  try {
    return createLogger({ app: 'doctor', logDir: config.paths.logs, level: config.log.level, console: false, marketNow: () => clock.now() });
  } catch {
    // An unwritable log folder must not stop a diagnosis (the report says everything the log would).
    return silentLogger();
  }
}

async function write(text: string): Promise<void> {
  await new Promise<void>((resolve) => process.stdout.write(`${text}\n`, () => resolve()));
}

export async function main(argv: string[] = hideBin(process.argv)): Promise<number> {
  const args = parseArgs(argv);
  let config: ResolvedConfig;
  try {
    config = loadConfig();
  } catch (error) {
    // Text: the same message and exit 78 as every tool (runCli). --json: the same, as the report object.
    if (!(error instanceof ConfigError) || !args.json) throw error;
    const checks = [invalidConfigCheck(error), ...CHECK_IDS.filter((id) => id !== 'config').map((id) => skipped(id as CheckId, 'the configuration must be fixed first'))];
    const report = buildReport(checks, { mode: process.env.MODE ?? 'unknown', endpoint: null, clientId: null, gatewayReachable: false, accounts: [], checkedAtMs: Date.now(), marketTime: null });
    await write(JSON.stringify(report));
    return report.exitCode;
  }
  if (args.probeOrder && config.mode === 'LIVE') {
    throw new CliUsageError('--probe-order is refused in MODE=LIVE: it would place a real order with real money. Prove the API settings in PAPER, then run the doctor in LIVE without it.');
  }
  const clock = cliClock(config);
  const fileLog = doctorLogger(config, clock);
  const log = new RecordingLogger(fileLog);
  const report: DoctorReport = await runDoctor({
    config, configFile: process.env.CONFIG_FILE || undefined, clock, log, symbols: args.symbols, probeOrder: args.probeOrder,
  });
  log.info('doctor_verdict', { verdict: report.verdict, exitCode: report.exitCode, failed: report.failed, warnings: report.warnings });
  await fileLog.flush();
  const color = !args.json && process.stdout.isTTY === true && !process.env.NO_COLOR;
  await write(args.json ? JSON.stringify(report) : renderReport(report, { color }));
  return report.exitCode;
}

if (require.main === module) runCli('doctor', async () => process.exit(await main()));
