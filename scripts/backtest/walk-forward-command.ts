import fs from 'node:fs';
import path from 'node:path';
import Table from 'cli-table3';
import type { Argv } from 'yargs';
import type { DailyRecord } from '../../shared/analytics/equity-series';
import { money, num, pct } from '../../shared/analytics/report/format';
import { analyzeBacktest, headline, objectiveValue } from '../../shared/backtest/analysis';
import type { ParameterPoint } from '../../shared/backtest/parameter-space';
import type { BacktestResult, BacktestTrade } from '../../shared/backtest/result';
import { renderTearSheet } from '../../shared/backtest/tear-sheet';
import { CliUsageError } from '../report/cli-common';
import { prepareSearch, ranked, searchOptions, searchPoints, type SearchArgs } from './optimize-command';
import { runConfig, saveRunWithChildren } from './outputs';
import { runPoints } from './worker-pool';

export interface WalkForwardArgs extends SearchArgs {
  'in-sample': number;
  'out-of-sample': number;
  step?: number;
  anchored: boolean;
  out?: string;
  save?: boolean;
}

export function walkForwardOptions<T>(y: Argv<T>): Argv<T & WalkForwardArgs> {
  return searchOptions(y)
    .option('in-sample', { type: 'number', default: 40, describe: 'trading days each optimisation sees' })
    .option('out-of-sample', { type: 'number', default: 10, describe: 'trading days each chosen point is then tested on' })
    .option('step', { type: 'number', describe: 'trading days between windows (default: the out-of-sample length, so the tests tile)' })
    .option('anchored', { type: 'boolean', default: false, describe: 'in-sample always starts at --from (expanding) instead of rolling' })
    .option('out', { type: 'string', describe: 'folder for the files (default: REPORTS_DIR/backtests/walk-forward-<id>)' })
    .option('save', { type: 'boolean', default: true, describe: 'store it in the trading DB' })
    .example('$0 walk-forward --bars synthetic --from 2026-01-05 --to 2026-06-30 --in-sample 40 --out-of-sample 10 --param minScore=45:70:5', 'rolling 40/10') as unknown as Argv<T & WalkForwardArgs>;
}

export interface WindowPlan {
  index: number;
  inSample: [string, string];
  outOfSample: [string, string];
}

/** The windows over the trading days: in-sample then out-of-sample, moving by `step` (the last test may be shorter). */
export function walkForwardWindows(days: readonly string[], inSample: number, outOfSample: number, step: number, anchored: boolean): WindowPlan[] {
  const windows: WindowPlan[] = [];
  for (let start = 0, index = 0; start + inSample < days.length; start += step, index++) {
    const isFrom = anchored ? 0 : start;
    const isTo = start + inSample - 1;
    const oosFrom = isTo + 1;
    const oosTo = Math.min(days.length - 1, oosFrom + outOfSample - 1);
    windows.push({ index, inSample: [days[isFrom]!, days[isTo]!], outOfSample: [days[oosFrom]!, days[oosTo]!] });
  }
  return windows;
}

/** How much the chosen values move from window to window, per parameter (stable parameters are trustworthy). */
export function parameterStability(names: readonly string[], chosen: ReadonlyArray<ParameterPoint | undefined>): Array<{ parameter: string; values: Array<number | null>; distinct: number; mean: number | null; std: number | null; cv: number | null; modeShare: number | null }> {
  return names.map((name) => {
    const values = chosen.map((p) => (p ? p[name] ?? null : null));
    const present = values.filter((v): v is number => v !== null);
    const mean = present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
    const std = present.length > 1 && mean !== null ? Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / (present.length - 1)) : present.length === 1 ? 0 : null;
    const counts = new Map<number, number>();
    for (const v of present) counts.set(v, (counts.get(v) ?? 0) + 1);
    const mode = Math.max(0, ...counts.values());
    return { parameter: name, values, distinct: counts.size, mean, std, cv: mean && std !== null ? std / Math.abs(mean) : null, modeShare: present.length ? mode / present.length : null };
  });
}

/** npm run backtest -- walk-forward */
export async function walkForwardCommand(args: WalkForwardArgs): Promise<void> {
  const started = Date.now();
  const step = args.step ?? args['out-of-sample'];
  const search = prepareSearch(args, (problems) => {
    if (!(Number.isInteger(args['in-sample']) && args['in-sample'] >= 2)) problems.push(`--in-sample needs a whole number of at least 2 trading days, got ${args['in-sample']}`);
    if (!(Number.isInteger(args['out-of-sample']) && args['out-of-sample'] >= 1)) problems.push(`--out-of-sample needs a whole number of at least 1 trading day, got ${args['out-of-sample']}`);
    if (!(Number.isInteger(step) && step >= 1)) problems.push(`--step must be a whole number of at least 1 trading day, got ${step}`);
  });
  const windows = walkForwardWindows(search.days, args['in-sample'], args['out-of-sample'], step, args.anchored);
  if (windows.length === 0) {
    throw new CliUsageError(`${search.days.length} trading days of bars from ${search.days[0]} to ${search.days[search.days.length - 1]}: not enough for ${args['in-sample']} in-sample days and an out-of-sample test`);
  }
  if (search.seed !== undefined) process.stderr.write(`random search per window: ${search.points.length} points, seed ${search.seed}\n`);
  const names = search.axes.map((a) => a.name);
  let equity = search.job.settings.initialCapital;
  let previousBest: ParameterPoint | undefined;
  const stitched: DailyRecord[] = [];
  const trades: BacktestTrade[] = [];
  const reports: Array<Record<string, unknown>> = [];
  const chosen: Array<ParameterPoint | undefined> = [];
  for (const window of windows) {
    const results = await searchPoints(search, window.inSample[0], window.inSample[1], args, `window ${window.index + 1}/${windows.length} in-sample`);
    const order = ranked(results);
    const best = order[0]?.objective !== undefined ? order[0] : undefined;
    // No point qualified: keep the previous window's choice (or the first point) and say so.
    const point = best?.point ?? previousBest ?? search.points[0]!;
    chosen.push(best?.point);
    const [oos] = await runPoints(search.job, [{ id: 0, point, from: window.outOfSample[0], to: window.outOfSample[1], initialCapital: equity, withDaily: true, withTrades: true }], 1);
    if (oos!.error) throw new CliUsageError(`out-of-sample run of window ${window.index + 1} failed: ${oos!.error}`);
    stitched.push(...oos!.daily!);
    trades.push(...oos!.trades!);
    equity = oos!.daily!.length ? oos!.daily![oos!.daily!.length - 1]!.endEquity! : equity;
    previousBest = point;
    const oosObjective = objectiveValue(oos!.metrics, args.objective, 0);
    reports.push({
      window: window.index + 1, inSample: window.inSample, outOfSample: window.outOfSample, chosen: point, ranked: best !== undefined,
      inSampleObjective: best?.objective ?? null, outOfSampleObjective: oosObjective ?? null, inSampleReturn: best?.figures.totalReturn ?? null,
      outOfSampleReturn: oos!.figures.totalReturn, outOfSampleTrades: oos!.figures.trades, outOfSampleNetPnl: oos!.figures.netPnl,
      efficiency: best?.metrics.annualizedReturn && oos!.metrics.annualizedReturn !== null ? oos!.metrics.annualizedReturn / best.metrics.annualizedReturn : null,
    });
  }
  const result: BacktestResult = {
    fromDay: stitched[0]?.tradingDay ?? '', toDay: stitched[stitched.length - 1]?.tradingDay ?? '', symbols: [...(search.job.symbols ?? [])],
    strategies: [{ agent: 'walk-forward', strategy: 'out-of-sample stitched', params: { windows: windows.length, inSample: args['in-sample'], outOfSample: args['out-of-sample'], objective: args.objective } }],
    settings: search.job.settings, trades, daily: stitched, decisions: [], signals: [],
    stats: { tradingDays: stitched.length, symbols: search.job.symbols?.length ?? 0, bars: 0, scans: 0, candidatesEvaluated: 0, candidatesNotMeasured: 0, entriesOrdered: trades.length, entriesUnfilled: 0, partialEntries: 0 },
  };
  const analysis = analyzeBacktest(result, { title: `Walk-forward, out-of-sample stitched (${windows.length} windows)` });
  const stability = parameterStability(names, chosen);
  const figures = headline(analysis.metrics);
  const wallSeconds = (Date.now() - started) / 1000;
  const runId = args.save === false ? undefined : saveRunWithChildren(search.config.paths.db, {
    run: {
      kind: 'walk-forward', fromDay: result.fromDay, toDay: result.toDay, bars: search.barsLabel, symbols: result.symbols, strategies: search.strategies, settings: search.job.settings,
      config: runConfig(search.config), status: 'COMPLETED', trades: trades.length, netPnl: figures.netPnl, totalReturn: figures.totalReturn, sharpe: figures.sharpe, maxDrawdown: figures.maxDrawdown,
      objective: args.objective, objectiveValue: objectiveValue(analysis.metrics, args.objective, 0), metrics: figures,
      detail: { axes: search.axes, seed: search.seed, inSample: args['in-sample'], outOfSample: args['out-of-sample'], step, anchored: args.anchored, windows: reports, stability, wallSeconds },
    },
    trades,
    equity: analysis.daily.map((d) => ({ tradingDay: d.tradingDay, startEquity: d.startEquity, endEquity: d.endEquity, realizedPnl: d.pnl, trades: d.trades })),
  }, reports.map((w) => ({
    kind: 'walk-forward-window', label: `window ${String(w.window)}`, fromDay: (w.outOfSample as string[])[0]!, toDay: (w.outOfSample as string[])[1]!, bars: search.barsLabel,
    symbols: [], strategies: [], settings: {}, config: {}, status: 'COMPLETED', trades: Number(w.outOfSampleTrades ?? 0), netPnl: w.outOfSampleNetPnl as number, totalReturn: w.outOfSampleReturn as number,
    objective: args.objective, objectiveValue: w.outOfSampleObjective as number | null, detail: w,
  })));
  const dir = args.out ?? path.join(search.config.paths.reports, 'backtests', runId !== undefined ? `walk-forward-${runId}` : `walk-forward-${result.fromDay}-${result.toDay}`);
  fs.mkdirSync(dir, { recursive: true });
  const windowRows = reports.map((w) => [w.window, (w.inSample as string[]).join('..'), (w.outOfSample as string[]).join('..'), ...names.map((n) => (w.chosen as ParameterPoint)[n]), w.ranked ? '' : 'kept previous',
    fmt(w.inSampleObjective), fmt(w.outOfSampleObjective), fmt(w.outOfSampleReturn), w.outOfSampleTrades, fmt(w.efficiency)]);
  const windowHeader = ['window', 'in_sample', 'out_of_sample', ...names, 'note', `is_${args.objective}`, `oos_${args.objective}`, 'oos_return', 'oos_trades', 'efficiency'];
  fs.writeFileSync(path.join(dir, 'windows.csv'), `${[windowHeader.join(','), ...windowRows.map((r) => r.join(','))].join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'oos-equity.csv'), `trading_day,start_equity,end_equity,return\n${analysis.daily.map((d) => `${d.tradingDay},${d.startEquity},${d.endEquity},${d.return}`).join('\n')}\n`);
  const sheet = renderTearSheet(result, analysis, { source: search.barsLabel }).replace('</body></html>', `${windowsHtml(windowHeader, windowRows)}${stabilityHtml(stability)}</body></html>`);
  fs.writeFileSync(path.join(dir, 'walk-forward.html'), sheet);
  const files = ['walk-forward.html', 'windows.csv', 'oos-equity.csv'].map((f) => path.join(dir, f));
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ runId: runId ?? null, windows: reports, stability, outOfSample: figures, seed: search.seed ?? null, wallSeconds, files }, null, 2)}\n`);
    return;
  }
  const table = new Table({ head: ['#', 'In-sample', 'Out-of-sample', ...names, `IS ${args.objective}`, `OOS ${args.objective}`, 'OOS return', 'OOS trades'], style: { head: [], border: [], compact: true } });
  for (const w of reports) {
    table.push([String(w.window), (w.inSample as string[]).join('..'), (w.outOfSample as string[]).join('..'), ...names.map((n) => `${(w.chosen as ParameterPoint)[n]}${w.ranked ? '' : '*'}`),
      num(w.inSampleObjective as number | null, 3), num(w.outOfSampleObjective as number | null, 3), pct(w.outOfSampleReturn as number | null), String(w.outOfSampleTrades)]);
  }
  const stabilityTable = new Table({ head: ['Parameter', 'Chosen per window', 'Distinct', 'Mean', 'Std', 'CV', 'Mode share'], style: { head: [], border: [], compact: true } });
  for (const s of stability) stabilityTable.push([s.parameter, s.values.map((v) => (v === null ? '-' : String(v))).join(' '), s.distinct, num(s.mean), num(s.std), num(s.cv), pct(s.modeShare, 0)]);
  process.stdout.write(`${windows.length} windows (${args['in-sample']} in-sample / ${args['out-of-sample']} out-of-sample days${args.anchored ? ', anchored' : ''}) in ${wallSeconds.toFixed(1)} s\n${table.toString()}\n`
    + `${reports.some((w) => !w.ranked) ? `* no point reached ${args['min-trades']} trades in-sample: the previous window's choice was kept\n` : ''}`
    + `\nParameter stability\n${stabilityTable.toString()}\n`
    + `\nOut-of-sample, stitched: ${figures.trades} trades, net ${money(figures.netPnl)}, return ${pct(figures.totalReturn)}, Sharpe ${num(figures.sharpe)}, max drawdown ${pct(figures.maxDrawdown)}`
    + `${runId !== undefined ? ` (run ${runId})` : ''}\nWrote:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
}

function fmt(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(Math.round(value * 1e6) / 1e6) : '';
}

function windowsHtml(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  return `<h2>Windows</h2><table><thead><tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${String(c ?? '')}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function stabilityHtml(stability: ReturnType<typeof parameterStability>): string {
  return `<h2>Parameter stability</h2><table><thead><tr><th>Parameter</th><th>Chosen per window</th><th>Distinct</th><th>Mean</th><th>Std</th><th>CV</th><th>Mode share</th></tr></thead><tbody>${stability
    .map((s) => `<tr><td>${s.parameter}</td><td>${s.values.map((v) => (v === null ? '-' : String(v))).join(' ')}</td><td>${s.distinct}</td><td>${num(s.mean)}</td><td>${num(s.std)}</td><td>${num(s.cv)}</td><td>${pct(s.modeShare, 0)}</td></tr>`).join('')}</tbody></table>`;
}
