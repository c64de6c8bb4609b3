/**
 * npm run backtest -- <command> [options]     (each command has --help)
 *
 *   run           one backtest: --bars <store.db|csv dir|synthetic[:seed[:universe]]> --from --to [--symbols] [--config]
 *   optimize      a grid or random search over strategy parameters, in parallel (worker_threads), with a heatmap
 *   walk-forward  rolling in-sample optimisation and out-of-sample tests, stitched out-of-sample equity
 *   parity        the full system under PM2 on the simulator (ideal profile) against the backtest on the same bars
 *   list, show    the stored runs (the trading DB's backtest_runs)
 *   strategies    the strategies STRATEGIES can name, with their parameters
 *
 * The backtest runs the same strategy code as the live day-trader and exit-manager (shared/strategy).
 * Exit codes: 0 done, 65 bad bars or range, 78 bad configuration or flags, 70 a bug, 1 parity below target.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CliUsageError, runCli } from './report/cli-common';
import { commonOptions } from './backtest/common';
import { runCommand, type RunArgs } from './backtest/run-command';
import { listCommand, showCommand, strategiesCommand } from './backtest/list-commands';
import { optimizeCommand, optimizeOptions, type OptimizeArgs } from './backtest/optimize-command';
import { walkForwardCommand, walkForwardOptions, type WalkForwardArgs } from './backtest/walk-forward-command';
import { parityCommand, parityOptions, type ParityArgs } from './backtest/parity-command';

type Builder = (y: Argv) => Argv<object>;

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  let action: (() => Promise<void> | void) | undefined;
  let cli = yargs(argv)
    .scriptName('npm run backtest --')
    .usage('$0 <command> [options]\n\nBacktests with the live strategy code; see --help of each command.');
  const command = (name: string, describe: string, builder: Builder, run: (args: never) => Promise<void> | void) => {
    cli = cli.command(name, describe, builder as never, ((args: never) => (action = () => run(args))) as never);
  };
  command('run', 'one backtest: trades, metrics, tear sheet, stored as a run', (y) => commonOptions(y)
    .option('out', { type: 'string', describe: 'folder for the files (default: REPORTS_DIR/backtests/run-<id>)' })
    .option('save', { type: 'boolean', default: true, describe: 'store the run in the trading DB (--no-save: do not)' })
    .option('label', { type: 'string', describe: 'a name for the run' })
    .option('record-signals', { type: 'boolean', default: false, describe: 'keep every scored candidate in result.json' })
    .option('risk-free', { type: 'number', describe: 'annual risk-free rate for Sharpe and Sortino, e.g. 0.04 (0)' })
    .example('$0 run --bars synthetic --from 2026-01-05 --to 2026-03-31', 'the simulator\'s seeded market')
    .example('$0 run --bars ../shared/data/bars/minute --from 2013-10-04 --to 2013-10-11 --strategies opening-range-breakout', 'real bars from CSV'),
  (args: RunArgs) => runCommand(args));
  command('optimize', 'grid or random search over parameters on all cores, ranked by an objective', (y) => optimizeOptions(commonOptions(y)), (args: OptimizeArgs) => optimizeCommand(args));
  command('walk-forward', 'rolling in-sample optimisation, out-of-sample tests, stitched out-of-sample equity', (y) => walkForwardOptions(commonOptions(y)), (args: WalkForwardArgs) => walkForwardCommand(args));
  command('parity', 'the full system on the simulator vs the backtest on the same bars: trades matched, P&L difference', (y) => parityOptions(y), (args: ParityArgs) => parityCommand(args));
  command('list', 'stored runs, newest first', (y) => y.option('limit', { type: 'number', default: 20 })
    .option('all', { type: 'boolean', default: false, describe: 'include optimisation points and walk-forward windows' }).option('json', { type: 'boolean', default: false }),
  (args: { limit: number; json: boolean; all: boolean }) => listCommand(args));
  command('show <id>', 'one stored run', (y) => y.positional('id', { type: 'number', demandOption: true }).option('json', { type: 'boolean', default: false }),
    (args: { id: number; json: boolean }) => showCommand(args));
  command('strategies', 'the strategies STRATEGIES can name, with their parameters', (y) => y.option('json', { type: 'boolean', default: false }), (args: { json: boolean }) => strategiesCommand(args));
  await cli
    .demandCommand(1, 'name a command: run, optimize, walk-forward, parity, list, show or strategies')
    .strict()
    .help()
    .fail((message, error) => {
      throw error ?? new CliUsageError(`${message} (npm run backtest -- --help)`);
    })
    .parseAsync();
  if (action) await action();
}

if (require.main === module) runCli('backtest', () => main());
