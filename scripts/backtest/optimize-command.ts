import fs from 'node:fs';
import path from 'node:path';
import Table from 'cli-table3';
import type { Argv } from 'yargs';
import { objectiveValue, OBJECTIVES, type Objective } from '../../shared/backtest/analysis';
import { gridPoints, parseAxis, randomPoints, type ParameterAxis, type ParameterPoint } from '../../shared/backtest/parameter-space';
import { checkConfigOverrides, prepareBacktest } from '../../shared/backtest/prepare';
import { money, num, pct } from '../../shared/analytics/report/format';
import type { ResolvedConfig } from '../../shared/config/schema';
import { BarStore } from '../../shared/db/bar-store/bar-store-repository';
import { CliUsageError } from '../report/cli-common';
import { resolveBars } from './bars-option';
import { checkCommonInputs, listOption, type CommonArgs } from './common';
import { heatmapHtml, heatmapMatrix, heatmapText } from './heatmap';
import { runConfig, saveRunWithChildren } from './outputs';
import type { PointResult, SearchJob } from './point-runner';
import { ProgressBar } from './progress';
import { defaultWorkers, runPoints } from './worker-pool';

export interface SearchArgs extends CommonArgs {
  param?: string[];
  random?: number;
  seed?: number;
  objective: Objective;
  'min-trades': number;
  workers?: number;
}

export interface OptimizeArgs extends SearchArgs {
  heatmap?: string;
  top: number;
  out?: string;
  save?: boolean;
}

export function searchOptions<T>(y: Argv<T>): Argv<T & SearchArgs> {
  return y
    .option('param', { type: 'array', string: true, describe: 'a parameter to sweep: name=from:to:step | name=v1,v2 | name=from:to (random); name = minScore, agent.param or risk.maxOpenPositions; repeatable' })
    .option('random', { type: 'number', describe: 'a random search of this many points instead of the full grid' })
    .option('seed', { type: 'number', describe: 'seed of the random search (printed; default: time-based)' })
    .option('objective', { choices: OBJECTIVES, default: 'sharpe' as Objective, describe: 'what to maximise (max-drawdown: closest to 0)' })
    .option('min-trades', { type: 'number', default: 10, describe: 'points with fewer trades are not ranked' })
    .option('workers', { type: 'number', describe: 'worker threads (default: every core)' }) as unknown as Argv<T & SearchArgs>;
}

export function optimizeOptions<T>(y: Argv<T>): Argv<T & OptimizeArgs> {
  return searchOptions(y)
    .option('heatmap', { type: 'string', describe: 'two parameters for the objective heatmap, x,y (default: the first two)' })
    .option('top', { type: 'number', default: 10, describe: 'rows of the results table' })
    .option('out', { type: 'string', describe: 'folder for results.csv and heatmap.html (default: REPORTS_DIR/backtests/optimize-<id>)' })
    .option('save', { type: 'boolean', default: true, describe: 'store the search in the trading DB' })
    .example('$0 optimize --bars synthetic --from 2026-01-05 --to 2026-03-31 --param minScore=45:70:5 --param stopLossPct=0.5:1.5:0.25 --objective sharpe', 'a 6 x 5 grid') as unknown as Argv<T & OptimizeArgs>;
}

export interface PreparedSearch {
  config: ResolvedConfig;
  job: SearchJob;
  axes: ParameterAxis[];
  points: ParameterPoint[];
  seed?: number;
  barsLabel: string;
  days: string[];
  /** The strategies a point starts from, as stored with a run: agent, strategy, parameters. */
  strategies: Array<{ agent: string; strategy: string; params: Record<string, unknown> }>;
}

/** Flags to a search: bars resolved, strategies loaded, axes parsed against them, points drawn. */
export function prepareSearch(args: SearchArgs, moreChecks?: (problems: string[]) => void): PreparedSearch {
  // Flags, configuration, strategies and every --param checked together (all problems at once, exit 78)
  // before any bars are read or generated.
  let axes: ParameterAxis[] = [];
  const { from, to, config, configOverrides: baseOverrides, settings, strategies } = checkCommonInputs(args, (loaded, problems, config) => {
    if (!args.param || args.param.length === 0) problems.push('name at least one --param to sweep, e.g. --param minScore=45:70:5');
    else if (loaded) {
      for (const raw of args.param) {
        try {
          const axis = parseAxis(raw, loaded);
          // A configuration axis must name a real value with valid values (its ends), or every point is the same run.
          if (axis.target.kind === 'config' && config) {
            const ends = axis.values ? [axis.values[0]!, axis.values[axis.values.length - 1]!] : [axis.range!.min, axis.range!.max];
            for (const value of new Set(ends)) problems.push(...checkConfigOverrides(config, { [axis.target.path]: value }).problems.map((p) => `--param ${p}`));
          }
          axes.push(axis);
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
          problems.push(error.message);
        }
      }
    }
    if (args.random !== undefined && !(args.random >= 1)) problems.push(`--random needs a number of points >= 1, got ${args.random}`);
    if (!(args['min-trades'] >= 0)) problems.push(`--min-trades must be 0 or more, got ${args['min-trades']}`);
    if (args.workers !== undefined && !(Number.isInteger(args.workers) && args.workers >= 1)) problems.push(`--workers must be a whole number of at least 1, got ${args.workers}`);
    moreChecks?.(problems);
  });
  let seed: number | undefined;
  let points: ParameterPoint[];
  if (args.random !== undefined) {
    seed = args.seed ?? (Date.now() % 2_147_483_647);
    points = randomPoints(axes, Math.floor(args.random), seed);
  } else {
    try {
      points = gridPoints(axes);
    } catch (error) {
      throw new CliUsageError((error as Error).message);
    }
  }
  if (points.length > 100_000) throw new CliUsageError(`${points.length} points: too many for one search (use --random)`);
  const bars = resolveBars(args.bars, config.paths.bars, { from, to }, { quiet: args.quiet || args.json });
  const store = BarStore.open(bars.file, { readonly: true });
  let days: string[];
  try {
    const input = prepareBacktest(store, { from, to, symbols: listOption(args.symbols), config, configOverrides: baseOverrides, settings });
    days = [...input.tradingDays];
  } finally {
    store.close();
  }
  const job: SearchJob = { storeFile: bars.file, config, symbols: listOption(args.symbols), settings, axes, baseOverrides };
  return { config, job, axes, points, seed, barsLabel: bars.label, days, strategies: strategies.map((s) => ({ agent: s.name, strategy: s.type, params: { ...s.params } })) };
}

/** Runs every point of a search in parallel over `days[first..last]`, with a progress bar. */
export async function searchPoints(search: PreparedSearch, from: string, to: string, args: SearchArgs, label = 'optimize'): Promise<Array<PointResult & { objective: number | undefined }>> {
  const progress = new ProgressBar(label, { quiet: args.quiet });
  const tasks = search.points.map((point, id) => ({ id, point, from, to }));
  const results = await runPoints(search.job, tasks, args.workers ?? defaultWorkers(), (_, done) => progress.update(done, tasks.length, 'points'));
  return results.map((r) => ({ ...r, objective: r.error ? undefined : objectiveValue(r.metrics, args.objective, args['min-trades']) }));
}

/** Ranked: best objective first; unranked points (too few trades, undefined metric, failed) last, in grid order. */
export function ranked<T extends { objective: number | undefined; id: number }>(results: readonly T[]): T[] {
  return [...results].sort((a, b) => (b.objective ?? -Infinity) - (a.objective ?? -Infinity) || a.id - b.id);
}

/** npm run backtest -- optimize */
export async function optimizeCommand(args: OptimizeArgs): Promise<void> {
  const started = Date.now();
  const search = prepareSearch(args);
  if (search.seed !== undefined) process.stderr.write(`random search: ${search.points.length} points, seed ${search.seed} (--seed ${search.seed} replays it)\n`);
  const from = search.days[0]!;
  const to = search.days[search.days.length - 1]!;
  const workers = args.workers ?? defaultWorkers();
  const results = await searchPoints(search, from, to, args);
  const failed = results.filter((r) => r.error);
  const order = ranked(results);
  const best = order[0]?.objective !== undefined ? order[0] : undefined;
  const wallSeconds = (Date.now() - started) / 1000;
  const names = search.axes.map((a) => a.name);
  const [xName, yName] = args.heatmap ? args.heatmap.split(',').map((s) => s.trim()) : names;
  if (args.heatmap && (!names.includes(xName!) || !names.includes(yName!))) throw new CliUsageError(`--heatmap ${args.heatmap}: both must be swept parameters (${names.join(', ')})`);
  const matrix = xName && yName && xName !== yName ? heatmapMatrix(results, xName, yName) : undefined;

  const runId = args.save === false ? undefined : saveRunWithChildren(search.config.paths.db, {
    run: {
      kind: 'optimize', fromDay: from, toDay: to, bars: search.barsLabel, symbols: search.job.symbols ?? [], strategies: search.strategies, settings: search.job.settings,
      config: runConfig(search.config), status: 'COMPLETED', trades: best?.figures.trades ?? 0, netPnl: best?.figures.netPnl, totalReturn: best?.figures.totalReturn,
      sharpe: best?.figures.sharpe, maxDrawdown: best?.figures.maxDrawdown, objective: args.objective, objectiveValue: best?.objective, metrics: best?.figures ?? {},
      detail: { axes: search.axes, seed: search.seed, minTrades: args['min-trades'], best: best?.point, points: results.length, failed: failed.length, wallSeconds, workers },
    },
  }, results.map((r) => ({
    kind: 'optimize-point', label: JSON.stringify(r.point), fromDay: from, toDay: to, bars: search.barsLabel, symbols: [], strategies: [], settings: {}, config: {},
    status: r.error ? 'FAILED' : 'COMPLETED', error: r.error, trades: r.figures.trades ?? 0, netPnl: r.figures.netPnl, totalReturn: r.figures.totalReturn, sharpe: r.figures.sharpe,
    maxDrawdown: r.figures.maxDrawdown, objective: args.objective, objectiveValue: r.objective, metrics: r.figures, detail: { point: r.point },
  })));
  const dir = args.out ?? path.join(search.config.paths.reports, 'backtests', runId !== undefined ? `optimize-${runId}` : `optimize-${from}-${to}`);
  fs.mkdirSync(dir, { recursive: true });
  const header = [...names, 'objective', 'trades', 'net_pnl', 'total_return', 'sharpe', 'sortino', 'max_drawdown', 'profit_factor', 'error'];
  const csv = [header.join(','), ...order.map((r) => [...names.map((n) => r.point[n]), r.objective ?? '', r.figures.trades ?? '', r.figures.netPnl ?? '', r.figures.totalReturn ?? '', r.figures.sharpe ?? '', r.figures.sortino ?? '', r.figures.maxDrawdown ?? '', r.figures.profitFactor ?? '', JSON.stringify(r.error ?? '')].join(','))].join('\n');
  fs.writeFileSync(path.join(dir, 'results.csv'), `${csv}\n`);
  const files = [path.join(dir, 'results.csv')];
  if (matrix) {
    fs.writeFileSync(path.join(dir, 'heatmap.html'), heatmapHtml(matrix, `${args.objective} over ${xName} x ${yName} (${from} to ${to})`));
    files.push(path.join(dir, 'heatmap.html'));
  }
  const pointsPerSecond = results.length / wallSeconds;
  if (args.json) {
    process.stdout.write(`${JSON.stringify({
      runId: runId ?? null, objective: args.objective, minTrades: args['min-trades'], seed: search.seed ?? null, points: results.length, failed: failed.map((f) => ({ point: f.point, error: f.error })),
      best: best ? { point: best.point, objective: best.objective, figures: best.figures } : null, top: order.slice(0, args.top).map((r) => ({ point: r.point, objective: r.objective ?? null, figures: r.figures })),
      heatmap: matrix ?? null, workers, wallSeconds: Math.round(wallSeconds * 1000) / 1000, runsPerSecond: Math.round(pointsPerSecond * 1000) / 1000, files,
    }, null, 2)}\n`);
    return;
  }
  const table = new Table({ head: ['#', ...names, args.objective, 'Trades', 'Net P&L', 'Return', 'Sharpe', 'Max DD'], style: { head: [], border: [], compact: true } });
  order.slice(0, args.top).forEach((r, i) => table.push([i + 1, ...names.map((n) => String(r.point[n])), r.objective === undefined ? (r.error ? 'failed' : `n/a (< ${args['min-trades']} trades)`) : num(r.objective, 3),
    r.figures.trades ?? '', money(r.figures.netPnl), pct(r.figures.totalReturn), num(r.figures.sharpe), pct(r.figures.maxDrawdown)]));
  process.stdout.write(`${results.length} points on ${workers} worker${workers === 1 ? '' : 's'} in ${wallSeconds.toFixed(1)} s (${pointsPerSecond.toFixed(2)} runs/s), ${from} to ${to}\n${table.toString()}\n`);
  if (matrix) process.stdout.write(`\n${heatmapText(matrix, args.objective)}\n`);
  if (failed.length > 0) process.stdout.write(`\n${failed.length} point(s) failed: ${failed.slice(0, 3).map((f) => `${JSON.stringify(f.point)}: ${f.error}`).join('; ')}\n`);
  process.stdout.write(`\n${best ? `Best: ${JSON.stringify(best.point)} (${args.objective} ${num(best.objective, 3)})` : `No point had ${args['min-trades']} trades or more: nothing ranked.`}${runId !== undefined ? ` Stored as run ${runId}.` : ''}\nWrote:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
}
