/**
 * npm run scan -- [--strategy NAME] [--symbols A,B] [--json]
 *
 * One scan, now, through the configured gateway (the simulator, or IB in PAPER/LIVE, read-only): each
 * strategy's scanners (or the symbols given), every candidate measured and scored by the same code the
 * day-trader runs (its CandidateMetricsSource, shared/strategy), and what would be entered and why: the size,
 * the limit, the stop and the target, or the reason not to. Nothing is placed and nothing is written.
 * Exit codes: 0 done, 75 the gateway was unreachable, 78 bad flags or configuration.
 */
import fs from 'node:fs';
import Table from 'cli-table3';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SYMBOL_PATTERN } from '../shared/bars/csv';
import { loadConfig } from '../shared/config/load-config';
import type { ResolvedConfig } from '../shared/config/schema';
import { createRepositories, openDatabase, type Repositories } from '../shared/db';
import { BrokerUnavailable, ConfigError, errorMessage } from '../shared/errors/errors';
import { silentLogger } from '../shared/log/logger';
import { entryBlockers } from '../shared/strategy/entry-guards';
import { planEntry, rankCandidates, type EntryPlan, type ScoredCandidate } from '../shared/strategy/entry-decision';
import { loadStrategies } from '../shared/strategy/registry';
import type { Evaluation, Strategy } from '../shared/strategy/types';
import type { Clock } from '../shared/time/clock';
import { formatNewYork, tradingDayOf } from '../shared/time/trading-calendar';
import { CandidateMetricsSource, NotMeasured } from '../apps/day-trader/candidate-metrics';
import type { IbBrokerAdapter } from '../shared/broker/ib/ib-broker-adapter';
import { listOption } from './backtest/common';
import { connectGateway, DoctorOrderIds } from './doctor/gateway-check';
import { CliUsageError, cliClock, runCli } from './report/cli-common';

interface ScanRow {
  rank: number;
  symbol: string;
  score: number;
  metrics: ScoredCandidate['metrics'];
  verdict: string;
  reason: string;
  /** What would be sent: the IOC entry and its protection. */
  order?: { quantity: number; limitPrice: number; stopLossPrice: number; profitTargetPrice: number; limitingRule: string };
}

async function scanStrategy(strategy: Strategy, broker: IbBrokerAdapter, source: CandidateMetricsSource, clock: Clock, config: ResolvedConfig, repos: Repositories | undefined, symbolsGiven: string[] | undefined): Promise<{ strategy: string; agent: string; at: string; candidates: number; guards: string[]; notes: string[]; rows: ScanRow[] }> {
  const nowMs = clock.now();
  const day = tradingDayOf(nowMs);
  const needs = strategy.needs;
  const symbols = symbolsGiven ?? [...new Set((await Promise.all(needs.scanners.map((code) => broker.scan(code, { rows: needs.rowsPerScanner, abovePrice: needs.abovePrice })))).flat())];
  const evaluated: Array<{ symbol: string; evaluation?: Evaluation; notMeasured?: string }> = [];
  for (const symbol of symbols) {
    try {
      evaluated.push({ symbol, evaluation: strategy.evaluate(await source.fetch(symbol, nowMs, needs)) });
    } catch (error) {
      evaluated.push({ symbol, notMeasured: error instanceof NotMeasured ? error.reason : `not measured: ${errorMessage(error)}` });
    }
  }
  const scored = rankCandidates(strategy, evaluated);
  const account = await broker.accountSummary();
  const notes: string[] = [];
  let pnl: Awaited<ReturnType<IbBrokerAdapter['accountPnl']>> | undefined;
  try {
    pnl = await broker.accountPnl();
  } catch (error) {
    // Not fatal for a look at the candidates, but said: without it the loss-limit guard sees realized P&L only.
    notes.push(`account P&L unavailable (${errorMessage(error)}): the daily loss limit is judged on realized P&L only`);
  }
  const realized = repos ? repos.closed.getClosedToday(day).reduce((n, r) => n + r.realizedPnl, 0) : 0;
  const guards = entryBlockers({
    nowMs, realNowMs: Date.now(), exitManager: repos?.heartbeats.get('exit-manager'), brokerConnected: broker.isConnected(), realizedPnlToday: realized,
    unrealizedPnl: pnl?.unrealizedPnl, netLiquidation: account.netLiquidation, halt: repos?.halts.active(), marketData: broker.marketDataState(),
  }, config);
  let gross = account.grossPositionValue;
  const rows: ScanRow[] = scored.map((candidate, i) => {
    // The guards are the live system's state, reported once above the table; each row says what the rules decide.
    const plan: EntryPlan = planEntry(candidate, strategy, config.risk, {
      blockers: () => [], isActive: (s) => repos?.positions.isPositionActive(s) ?? false, closedToday: (s) => repos?.closed.wasClosedToday(s, day) ?? false,
      netLiquidation: account.netLiquidation, grossExposure: gross,
    });
    const base = { rank: i + 1, symbol: candidate.metrics.symbol, score: candidate.decision.score, metrics: candidate.metrics };
    if (plan.kind === 'reject') return { ...base, verdict: 'REJECT', reason: plan.reason };
    gross += plan.quantity * candidate.metrics.price!;
    return {
      ...base, verdict: 'ENTER', reason: candidate.decision.reason,
      order: { quantity: plan.quantity, limitPrice: Math.round(plan.limitPrice * 100) / 100, stopLossPrice: plan.stopLossPrice, profitTargetPrice: plan.profitTargetPrice, limitingRule: plan.limitingRule },
    };
  });
  return { strategy: strategy.type, agent: strategy.name, at: formatNewYork(nowMs), candidates: symbols.length, guards, notes, rows };
}

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  const args = yargs(argv)
    .scriptName('npm run scan --')
    .option('strategy', { type: 'string', describe: 'only this strategy (its agent name or its strategy name; default: every one in STRATEGIES)' })
    .option('symbols', { type: 'array', string: true, describe: 'measure these symbols instead of the scanners\' candidates' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' })
    .strict()
    .help()
    .fail((message, error) => {
      throw error ?? new CliUsageError(`${message} (npm run scan -- --help)`);
    })
    .parseSync();
  // Every problem with the flags and the configuration at once (exit 78), before the gateway is asked anything.
  const problems: string[] = [];
  const symbolsGiven = listOption(args.symbols)?.map((s) => s.toUpperCase());
  const notTickers = (symbolsGiven ?? []).filter((s) => !SYMBOL_PATTERN.test(s.replace(' ', '.')));
  if (notTickers.length > 0) problems.push(`--symbols: not a ticker: ${notTickers.join(', ')}`);
  let config: ResolvedConfig | undefined;
  let strategies: Strategy[] = [];
  try {
    config = loadConfig();
    strategies = loadStrategies(config);
    if (args.strategy) {
      const wanted = args.strategy;
      strategies = strategies.filter((s) => s.name === wanted || s.type === wanted);
      // A strategy not in STRATEGIES: scan it on its own, with its defaults.
      if (strategies.length === 0) strategies = loadStrategies({ ...config, strategies: { ...config.strategies, enabled: [wanted], params: {} } });
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  const clock = cliClock(config);
  const connection = await connectGateway(config, config.ib.clientIds.scan, silentLogger(), new DoctorOrderIds());
  if (!connection.reachable) throw new BrokerUnavailable(`the gateway at ${config.ib.host}:${config.ib.port} is not reachable: ${connection.reason}`);
  const db = fs.existsSync(config.paths.db) ? openDatabase(config.paths.db, { readonly: true }) : undefined;
  const repos = db ? createRepositories(db, clock, 'scan') : undefined;
  try {
    const source = new CandidateMetricsSource(connection.broker, 3_000, () => clock.now());
    const results = [];
    for (const strategy of strategies) results.push(await scanStrategy(strategy, connection.broker, source, clock, config, repos, symbolsGiven));
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ mode: config.mode, gateway: `${config.ib.host}:${config.ib.port}`, marketData: connection.broker.marketDataState(), db: db ? config.paths.db : null, scans: results }, null, 2)}\n`);
      return;
    }
    const f = (x: number | undefined, digits = 2) => (x === undefined ? '-' : x.toFixed(digits));
    for (const r of results) {
      process.stdout.write(`\n${r.agent} (${r.strategy}) at ${r.at} New York: ${r.candidates} candidates; ${config.mode} gateway ${config.ib.host}:${config.ib.port}\n`);
      process.stdout.write(r.guards.length > 0 ? `The live day-trader would enter nothing now: ${r.guards.join(', ')}\n` : 'No guard blocks entries now.\n');
      for (const note of r.notes) process.stdout.write(`Note: ${note}\n`);
      const table = new Table({ head: ['#', 'Symbol', 'Score', 'Price', 'RSI', 'ATR %', 'Gap %', 'Rel vol', 'Spread %', 'Decision'], style: { head: [], border: [], compact: true }, colWidths: [4, 8, 7, 9, 6, 7, 7, 8, 9, 70], wordWrap: true });
      for (const row of r.rows) {
        const m = row.metrics;
        const decision = row.order
          ? `ENTER ${row.order.quantity} sh (${row.order.limitingRule}) IOC <= ${row.order.limitPrice.toFixed(2)}, stop ${row.order.stopLossPrice.toFixed(2)}, target ${row.order.profitTargetPrice.toFixed(2)}: ${row.reason}`
          : `${row.verdict}: ${row.reason}`;
        table.push([row.rank, row.symbol, row.score.toFixed(1), f(m.price), f(m.rsi, 1), f(m.atrPct), f(m.gapPct), f(m.relativeVolume), f(m.spreadPct, 3), decision]);
      }
      process.stdout.write(`${table.toString()}\n`);
    }
    process.stdout.write('\nNothing was placed (npm run scan never sends an order).\n');
  } finally {
    db?.close();
    await connection.broker.disconnect();
  }
}

if (require.main === module) runCli('scan', () => main());
