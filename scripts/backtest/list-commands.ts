import Table from 'cli-table3';
import { money, num, pct } from '../../shared/analytics/report/format';
import { loadConfig } from '../../shared/config/load-config';
import { BacktestRunsRepository } from '../../shared/db/repositories/backtest-runs-repository';
import { listStrategyDefinitions, findStrategyDefinition } from '../../shared/strategy/registry';
import { CliUsageError, openExistingDatabase } from '../report/cli-common';

/** npm run backtest -- list: the stored runs, newest first. */
export function listCommand(args: { limit: number; json?: boolean; all?: boolean }): void {
  const config = loadConfig();
  const db = openExistingDatabase(config.paths.db);
  try {
    const runs = new BacktestRunsRepository(db).list({ limit: args.limit, kinds: args.all ? ['run', 'optimize', 'optimize-point', 'walk-forward', 'walk-forward-window', 'parity'] : undefined });
    if (args.json) {
      process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return;
    }
    if (runs.length === 0) {
      process.stdout.write('No backtest runs stored yet: npm run backtest -- run --bars synthetic --from ... --to ...\n');
      return;
    }
    const table = new Table({ head: ['Id', 'Kind', 'Created (UTC)', 'Days', 'Strategies', 'Trades', 'Net P&L', 'Return', 'Sharpe', 'Max DD', 'Objective'], style: { head: [], border: [], compact: true } });
    for (const r of runs) {
      // Runs stored before optimize and walk-forward wrote the list of agents hold the configuration's object instead.
      const strategies = Array.isArray(r.strategies) ? (r.strategies as Array<{ agent: string }>).map((s) => s.agent).join(',') : '';
      table.push([r.id, r.kind, r.createdAt.slice(0, 19).replace('T', ' '), `${r.fromDay}..${r.toDay}`, strategies, r.trades, money(r.netPnl), pct(r.totalReturn), num(r.sharpe), pct(r.maxDrawdown),
        r.objective ? `${r.objective} ${num(r.objectiveValue, 3)}` : '']);
    }
    process.stdout.write(`${table.toString()}\n`);
  } finally {
    db.close();
  }
}

/** npm run backtest -- show <id>: one stored run with its figures (and its points or windows). */
export function showCommand(args: { id: number; json?: boolean }): void {
  const config = loadConfig();
  const db = openExistingDatabase(config.paths.db);
  try {
    const runs = new BacktestRunsRepository(db);
    const run = runs.get(args.id);
    if (!run) throw new CliUsageError(`no backtest run ${args.id} in ${config.paths.db} (npm run backtest -- list)`);
    const children = runs.list({ parentId: run.id, kinds: ['optimize-point', 'walk-forward-window'], limit: 100_000 });
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ ...run, trades: runs.trades(run.id), equity: runs.equity(run.id), children }, null, 2)}\n`);
      return;
    }
    const lines = [
      `Run ${run.id} (${run.kind}${run.label ? `, ${run.label}` : ''}) created ${run.createdAt}`,
      `Days ${run.fromDay} to ${run.toDay}, bars ${run.bars}, ${run.symbols.length} symbols`,
      `Strategies ${JSON.stringify(run.strategies)}`,
      `Trades ${run.trades}, net P&L ${money(run.netPnl)}, return ${pct(run.totalReturn)}, Sharpe ${num(run.sharpe)}, max drawdown ${pct(run.maxDrawdown)}`,
      `Result digest ${run.resultSha256 ?? 'n/a'}`,
    ];
    if (children.length > 0) lines.push(`${children.length} ${run.kind === 'optimize' ? 'points' : 'windows'} (see --json)`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    db.close();
  }
}

/** npm run backtest -- strategies: what can be put in STRATEGIES, with each one's parameters and defaults. */
export function strategiesCommand(args: { json?: boolean }): void {
  const config = loadConfig();
  const list = listStrategyDefinitions(config.strategies.dir);
  const withParams = list.map((entry) => {
    const definition = findStrategyDefinition(entry.name, config.strategies.dir);
    const defaults = definition ? definition.params.safeParse(definition.configDefaults?.(config as never) ?? {}) : undefined;
    return { ...entry, defaults: defaults?.success ? defaults.data : undefined, searchSpace: definition?.searchSpace };
  });
  if (args.json) {
    process.stdout.write(`${JSON.stringify(withParams, null, 2)}\n`);
    return;
  }
  for (const s of withParams) {
    process.stdout.write(`${s.name} (${s.source})\n  ${s.description}\n  parameters: ${s.defaults ? Object.entries(s.defaults).map(([k, v]) => `${k}=${String(v)}`).join(', ') : '(see the file)'}\n\n`);
  }
}
