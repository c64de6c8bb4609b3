import path from 'node:path';
import Table from 'cli-table3';
import { analyzeBacktest, headline } from '../../shared/backtest/analysis';
import { runBacktest } from '../../shared/backtest/engine';
import { prepareBacktest } from '../../shared/backtest/prepare';
import { renderTerminal } from '../../shared/analytics/report/terminal';
import { duration, money, num, pct } from '../../shared/analytics/report/format';
import { BarStore } from '../../shared/db/bar-store/bar-store-repository';
import { resolveBars } from './bars-option';
import { checkCommonInputs, keyValues, listOption, type CommonArgs } from './common';
import { resultDigest, saveRun, writeRunFiles } from './outputs';
import { ProgressBar } from './progress';

export interface RunArgs extends CommonArgs {
  out?: string;
  save?: boolean;
  'risk-free'?: number;
  'record-signals'?: boolean;
  label?: string;
}

/** npm run backtest -- run: one backtest, its files, its row in the DB, a summary on the terminal or as JSON. */
export async function runCommand(args: RunArgs): Promise<void> {
  // Every flag and the configuration checked first, all problems at once, before any bars are read or made.
  const { from, to, config, settings: checkedSettings } = checkCommonInputs(args);
  const settings = { ...checkedSettings, recordSignals: args['record-signals'] ?? false };
  const bars = resolveBars(args.bars, config.paths.bars, { from, to }, { quiet: args.quiet || args.json });
  const store = BarStore.open(bars.file, { readonly: true });
  try {
    const input = prepareBacktest(store, { from, to, symbols: listOption(args.symbols), config, configOverrides: keyValues(args.set, 'set'), settings });
    for (const warning of input.warnings) process.stderr.write(`warning: ${warning}\n`);
    const progress = new ProgressBar('backtest', { quiet: args.quiet });
    const started = process.hrtime.bigint();
    const result = runBacktest({ ...input, onDay: (done, total) => progress.update(done, total, 'days') });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const analysis = analyzeBacktest(result, { riskFreeRate: args['risk-free'] });
    const runId = args.save === false ? undefined : saveRun(config.paths.db, result, analysis, { kind: 'run', label: args.label, bars: bars.label, config: input.config });
    const dir = args.out ?? path.join(config.paths.reports, 'backtests', runId !== undefined ? `run-${runId}` : `run-${result.fromDay}-${result.toDay}`);
    const files = writeRunFiles(dir, result, analysis, { source: bars.label, title: args.label });
    const figures = headline(analysis.metrics);
    if (args.json) {
      process.stdout.write(`${JSON.stringify({
        runId: runId ?? null, from: result.fromDay, to: result.toDay, bars: bars.label, symbols: result.symbols.length, strategies: result.strategies, metrics: figures,
        byStrategy: analysis.byAgent, byExitReason: analysis.byExitReason, stats: result.stats, seconds: round(seconds, 3), barsPerSecond: Math.round(result.stats.bars / seconds),
        resultSha256: resultDigest(result), warnings: input.warnings, files,
      }, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${renderTerminal(analysis.report, { maxTrades: 10 })}\n\n`);
    if (analysis.byAgent.length > 0) {
      const table = new Table({ head: ['Strategy (agent)', 'Trades', 'Win rate', 'Net P&L', 'Profit factor', 'Avg held'], colAligns: ['left', 'right', 'right', 'right', 'right', 'right'], style: { head: [], border: [], compact: true } });
      for (const r of analysis.byAgent) table.push([r.key, r.trades, pct(r.winRate), money(r.netProfit), num(r.profitFactor), duration(r.averageHoldingMinutes)]);
      process.stdout.write(`${table.toString()}\n\n`);
    }
    process.stdout.write(`${result.stats.tradingDays} days, ${result.symbols.length} symbols, ${result.stats.bars.toLocaleString('en-US')} bars in ${seconds.toFixed(2)} s `
      + `(${Math.round(result.stats.bars / seconds).toLocaleString('en-US')} bars/s); ${result.stats.scans} scans, ${result.stats.candidatesEvaluated} candidates evaluated, `
      + `${result.stats.candidatesNotMeasured} not measured (IB pacing), ${result.stats.entriesOrdered} entries ordered (${result.stats.entriesUnfilled} unfilled, ${result.stats.partialEntries} partial)\n`);
    process.stdout.write(`${runId !== undefined ? `Run ${runId} saved in ${config.paths.db}. ` : ''}Wrote:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
  } finally {
    store.close();
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
