/**
 * npm run stats -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--symbol AAPL] [--agent NAME] [--json]
 *   [--initial-capital 100000] [--risk-free 0.04] [--benchmark closes.csv]
 *
 * The headline performance metrics of all history (or a date range) as a table, or as JSON with --json, and the
 * same period per strategy (agent_name): trades, win rate, net P&L, profit factor, average win and loss, max drawdown.
 * --benchmark takes a CSV with columns date,close (e.g. SPY daily closes) for the information ratio.
 */
import fs from 'node:fs';
import Table from 'cli-table3';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { agentBreakdown, type AgentPerformance } from '../shared/analytics/agent-breakdown';
import { DEFAULT_INITIAL_CAPITAL } from '../shared/analytics/conventions';
import { equityCurve } from '../shared/analytics/equity-series';
import { returnsFromPrices, type PerformanceMetrics } from '../shared/analytics/metrics';
import { asciiEquityChart } from '../shared/analytics/report/ascii-chart';
import { parseCsvRecords } from '../shared/analytics/report/csv';
import { duration, money, num, pct } from '../shared/analytics/report/format';
import { PerformanceLoader } from '../shared/history/performance-loader';
import { CliUsageError, cliClock, loadCliConfig, numberOption, openExistingDatabase, runCli, validDay } from './report/cli-common';

function readBenchmark(file: string): Map<string, number> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliUsageError(`cannot read --benchmark ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const closes = parseCsvRecords(text)
    .map((r) => ({ day: (r.date ?? r.day ?? '').slice(0, 10), close: Number(r.close ?? r.Close ?? r.adj_close) }))
    .filter((r) => /^\d{4}-\d{2}-\d{2}$/.test(r.day) && Number.isFinite(r.close) && r.close > 0);
  if (closes.length < 2) throw new CliUsageError(`--benchmark ${file} needs a header "date,close" and at least two rows`);
  return returnsFromPrices(closes);
}

export function metricsTable(m: PerformanceMetrics): string {
  const t = m.trades;
  const d = m.drawdown;
  const rows: Array<[string, string]> = [
    ['Period', m.firstDay ? `${m.firstDay} to ${m.lastDay} (${m.tradingDays} trading days)` : 'no history'],
    ['Closed trades', `${t.trades} (${t.wins} won, ${t.losses} lost, ${t.breakeven} even)`],
    ['Net P&L (realized)', money(t.netProfit)],
    ['Start / end equity', `${money(m.startEquity, false)} / ${money(m.endEquity, false)}`],
    ['Total return', pct(m.totalReturn)],
    ['CAGR', pct(m.cagr)],
    ['Annualized return (mean × 252)', pct(m.annualizedReturn)],
    ['Volatility (annualized)', pct(m.annualizedVolatility)],
    ['Sharpe ratio', num(m.sharpeRatio)],
    ['Sortino ratio', num(m.sortinoRatio)],
    ['Max drawdown', d.maxDrawdown === null ? 'n/a' : `${pct(d.maxDrawdown)}${d.troughDay ? ` (peak ${d.peakDay ?? 'start'}, trough ${d.troughDay}, ${d.recovered ? `recovered ${d.recoveryDay}` : 'not recovered'})` : ''}`],
    ['Max drawdown duration', d.maxDrawdownCalendarDays === null ? 'n/a' : `${d.maxDrawdownCalendarDays} days (${d.maxDrawdownTradingDays} trading days)`],
    ['Longest drawdown', d.longestDrawdownCalendarDays === null ? 'n/a' : `${d.longestDrawdownCalendarDays} days`],
    ['Calmar ratio', num(m.calmarRatio)],
    ['Recovery factor', num(m.recoveryFactor)],
    ['Information ratio (daily)', m.benchmarkDays > 0 ? `${num(m.informationRatio)} over ${m.benchmarkDays} days` : 'n/a (no --benchmark)'],
    ['Win rate', pct(t.winRate)],
    ['Profit factor', t.trades > 0 && t.losses === 0 ? 'n/a (no losers)' : num(t.profitFactor)],
    ['Average win / loss', `${money(t.averageWin)} / ${money(t.averageLoss)}`],
    ['Largest win / loss', `${money(t.largestWin)} / ${money(t.largestLoss)}`],
    ['Payoff ratio', num(t.payoffRatio)],
    ['Best / worst day', `${m.bestDay ? `${m.bestDay.day} ${pct(m.bestDay.return)}` : 'n/a'} / ${m.worstDay ? `${m.worstDay.day} ${pct(m.worstDay.return)}` : 'n/a'}`],
    ['Longest streaks (trades)', `${t.longestWinningStreak} won / ${t.longestLosingStreak} lost`],
    ['Longest streaks (days)', `${m.longestWinningDayStreak} up / ${m.longestLosingDayStreak} down`],
    ['Average holding time', duration(t.averageHoldingMinutes)],
    ['Exposure (days with P&L)', pct(m.exposure)],
    ['Time in market', pct(m.timeInMarket, 1)],
    ['Commissions', money(t.commissions, false)],
  ];
  const table = new Table({ head: ['Metric', 'Value'], style: { head: [], border: [], compact: true } });
  for (const r of rows) table.push(r);
  return table.toString();
}

/** One row per agent; with a single agent a line says whose trades they are (a table would repeat the metrics). */
export function agentTable(rows: readonly AgentPerformance[]): string {
  if (rows.length === 0) return '';
  if (rows.length === 1) return `All ${rows[0]!.trades} closed trade(s) by agent ${rows[0]!.agent}.`;
  const table = new Table({
    head: ['Agent', 'Trades', 'Won', 'Lost', 'Win rate', 'Net P&L', 'Profit factor', 'Avg win', 'Avg loss', 'Max drawdown'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [], compact: true },
  });
  for (const a of rows) {
    table.push([a.agent, a.trades, a.wins, a.losses, pct(a.winRate), money(a.netProfit), a.losses === 0 ? 'n/a (no losers)' : num(a.profitFactor),
      money(a.averageWin), money(a.averageLoss), pct(a.maxDrawdown)]);
  }
  return `By agent\n${table.toString()}\n(max drawdown of each agent's own equity: initial capital + its realized P&L)`;
}

export function main(argv: string[] = hideBin(process.argv)): void {
  const args = yargs(argv)
    .scriptName('npm run stats --')
    .option('from', { type: 'string', describe: 'first trading day, YYYY-MM-DD' })
    .option('to', { type: 'string', describe: 'last trading day, YYYY-MM-DD' })
    .option('symbol', { type: 'string' })
    .option('agent', { type: 'string' })
    .option('json', { type: 'boolean', default: false, describe: 'print the metrics as JSON' })
    .option('initial-capital', { type: 'number', describe: `env INITIAL_CAPITAL, default ${DEFAULT_INITIAL_CAPITAL}` })
    .option('risk-free', { type: 'number', describe: 'annual risk-free rate as a fraction (env RISK_FREE_RATE, default 0)' })
    .option('benchmark', { type: 'string', describe: 'CSV with date,close for the information ratio' })
    .strict()
    .help()
    .parseSync();
  const from = validDay(args.from, 'from');
  const to = validDay(args.to, 'to');
  if (from && to && from > to) throw new CliUsageError(`--from ${from} is after --to ${to}`);
  const config = loadCliConfig();
  const db = openExistingDatabase(config.paths.db);
  try {
    const loader = new PerformanceLoader(db, cliClock(config));
    const initialCapital = numberOption(args['initial-capital'], 'INITIAL_CAPITAL', DEFAULT_INITIAL_CAPITAL);
    const { metrics, daily, trades } = loader.performance({
      from, to, symbol: args.symbol, agentName: args.agent, initialCapital,
      riskFreeRate: numberOption(args['risk-free'], 'RISK_FREE_RATE', 0),
      benchmark: args.benchmark ? readBenchmark(args.benchmark) : undefined,
    });
    // Each agent's drawdown in a range starts from the equity its earlier trades built, as with --agent.
    const history = from ? loader.trades.closedForAnalytics({ to, symbol: args.symbol, agentName: args.agent }) : trades;
    const byAgent = agentBreakdown({ trades, history, from, to, initialCapital });
    if (args.json) {
      const query = { from: from ?? null, to: to ?? null, symbol: args.symbol ?? null, agent: args.agent ?? null };
      process.stdout.write(`${JSON.stringify({ query, openTrades: loader.trades.openCount(), metrics, byAgent }, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${metricsTable(metrics)}\n`);
    if (byAgent.length > 0) process.stdout.write(`\n${agentTable(byAgent)}\n`);
    if (daily.length > 0) {
      process.stdout.write(`\nEquity\n${asciiEquityChart(equityCurve(daily).map((p) => ({ label: p.label ?? 'start', equity: p.equity })))}\n`);
    }
    if (metrics.monthlyReturns.length > 0) {
      const months = new Table({ head: ['Month', 'Return', 'Days'], colAligns: ['left', 'right', 'right'], style: { head: [], border: [], compact: true } });
      for (const p of metrics.monthlyReturns.slice(-12)) months.push([p.period, pct(p.return), p.tradingDays]);
      process.stdout.write(`\nMonthly returns${metrics.monthlyReturns.length > 12 ? ' (last 12)' : ''}\n${months.toString()}\n`);
    }
  } finally {
    db.close();
  }
}

if (require.main === module) runCli('stats', () => main());
