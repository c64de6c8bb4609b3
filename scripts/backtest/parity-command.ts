import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Table from 'cli-table3';
import type { Argv } from 'yargs';
import { analyzeBacktest } from '../../shared/backtest/analysis';
import { runBacktest } from '../../shared/backtest/engine';
import { compareTrades, type ParityReport, type ParitySignal, type ParityTrade } from '../../shared/backtest/parity';
import { prepareBacktest } from '../../shared/backtest/prepare';
import { engineSettings, type EngineSettings } from '../../shared/backtest/settings';
import { formatEt } from '../../shared/analytics/trading-days';
import { money, pct } from '../../shared/analytics/report/format';
import { ENV_VARIABLES } from '../../shared/config/env-variables';
import { loadConfig } from '../../shared/config/load-config';
import { ConfigError } from '../../shared/errors/errors';
import { loadStrategies } from '../../shared/strategy/registry';
import { BarStore } from '../../shared/db/bar-store/bar-store-repository';
import { CompressedClock } from '../../shared/time/compressed-clock';
import { readClockAnchor } from '../../shared/time/sim-clock-file';
import { newYorkTime, nextTradingDay, previousTradingDay, tradingDayOnOrAfter, tradingDayOf } from '../../shared/time/trading-calendar';
import { SystemHarness } from '../harness/system-harness';
import { CliUsageError } from '../report/cli-common';
import { fillFromModel, tradingDaysFrom } from '../bars/fill';
import { marketModel } from '../bars/market-model-source';
import { WARMUP_TRADING_DAYS } from './bars-option';
import { dayOption } from './common';
import { saveRun } from './outputs';
import { ProgressBar } from './progress';
import { SimulatorIntrabarPath } from './sim-intrabar-path';

export interface ParityArgs {
  bars?: string;
  days: number;
  speed: number;
  seed: number;
  universe: number;
  'start-day': string;
  'day-start': string;
  'day-end': string;
  'scan-times': string;
  'max-position-pct': number;
  set?: string[];
  dir?: string;
  keep: boolean;
  save: boolean;
  json: boolean;
  quiet: boolean;
  'min-matched': number;
  'max-pnl-difference': number;
  reuse: boolean;
  intrabar: boolean;
}

export function parityOptions<T>(y: Argv<T>): Argv<T & ParityArgs> {
  return y
    .option('bars', { type: 'string', describe: 'a folder of <SYMBOL>.csv replayed by the simulator (SIM_MARKET=replay), or synthetic (the seeded market)', default: 'synthetic' })
    .option('days', { type: 'number', default: 5, describe: 'simulated trading days' })
    .option('speed', { type: 'number', default: 10, describe: 'market seconds per real second (a scan must finish inside its minute: 10 keeps it there)' })
    .option('seed', { type: 'number', default: 42, describe: 'market seed' })
    .option('universe', { type: 'number', default: 40, describe: 'symbols in the simulated universe (30-500)' })
    .option('start-day', { type: 'string', default: '2026-11-23', describe: 'first simulated trading day' })
    .option('day-start', { type: 'string', default: '09:28', describe: 'each simulated day starts at (New York)' })
    .option('day-end', { type: 'string', default: '15:56', describe: 'and ends at (after the end-of-day flatten)' })
    .option('scan-times', { type: 'string', default: '09:35,10:00,10:30,11:00,11:30,12:00,13:00,14:00,15:00', describe: 'SCAN_TIMES of both sides (interval scans are off: the live timer starts with the process)' })
    .option('max-position-pct', { type: 'number', default: 2, describe: 'MAX_POSITION_PCT: positions within the displayed size, which the simulator fills at once' })
    .option('set', { type: 'array', string: true, describe: 'more configuration for both sides, NAME=value (environment variables); repeatable' })
    .option('dir', { type: 'string', describe: 'folder of the system under test (default: a new temporary folder)' })
    .option('keep', { type: 'boolean', default: false, describe: 'keep that folder (DB, logs) afterwards' })
    .option('save', { type: 'boolean', default: true, describe: 'store the parity report as a run in the trading DB' })
    .option('min-matched', { type: 'number', default: 0.95, describe: 'target share of trades matched (exit code 1 below it)' })
    .option('max-pnl-difference', { type: 'number', default: 0.02, describe: 'target P&L difference, share of the live P&L (exit code 1 above it)' })
    .option('intrabar', { type: 'boolean', default: true, describe: 'fill the backtest on the simulator\'s own trades and quotes inside each minute (its market model, its ticks per bar at --speed); --no-intrabar: on the minute bars only' })
    .option('reuse', { type: 'boolean', default: false, describe: 'compare again with the live run already in --dir (kept with --keep): only the backtest side runs' })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', { type: 'boolean', default: false }) as unknown as Argv<T & ParityArgs>;
}

/**
 * The engine's settings that reproduce the simulator's fills: its commission (IB fixed, no fees passed on), no
 * slippage beyond the spread, no volume cap, and the live run's own entry latency (market seconds from the
 * scheduled scan time to the end of the scan that sent the entries).
 */
export function simulatorSettings(entryLatencySeconds = 0): EngineSettings {
  return engineSettings({
    initialCapital: 100_000, slippageBps: 0, participation: 1, entryLatencySeconds, recordSignals: true,
    commissions: { schedule: 'fixed', regulatoryFees: false, exchangeFeePerShare: 0, addLiquidityRebatePerShare: 0 },
  });
}

/**
 * How late the live entries reached the market: the median, over the scheduled scans, of the market seconds
 * from the scan's time to the end of the scan (the supervisor's tick, the day-trader's loop, the scan's own
 * requests). On the compressed clock that is a few real seconds times the speed; at IB, milliseconds.
 */
export function measuredEntryLatency(runs: ReadonlyArray<{ trigger: string; finished_at: string | null }>): number {
  const delays = runs.flatMap((r) => {
    const match = /^schedule:(\d{4}-\d{2}-\d{2}):scan:(\d{2}:\d{2})$/.exec(r.trigger);
    if (!match || !r.finished_at) return [];
    const seconds = (Date.parse(r.finished_at) - newYorkTime(match[1]!, match[2]!)) / 1000;
    return seconds >= 0 && seconds < 60 ? [seconds] : [];
  }).sort((a, b) => a - b);
  return delays.length === 0 ? 0 : Math.round(delays[Math.floor(delays.length / 2)]!);
}

export interface ParityOutcome {
  report: ParityReport;
  days: string[];
  live: ParityTrade[];
  backtest: ParityTrade[];
  dir: string;
  realSeconds: number;
  env: Record<string, string>;
  /** The live run's entry latency the backtest was given (market seconds). */
  entryLatencySeconds: number;
}

/** Runs both sides and compares them (the command prints and stores what this returns). */
export async function runParity(args: ParityArgs): Promise<ParityOutcome> {
  // Every problem at once (exit 78) before the system starts: a typo found after hours of simulated days wastes them.
  const problems: string[] = [];
  if (!(Number.isInteger(args.days) && args.days >= 1 && args.days <= 60)) problems.push(`--days must be a whole number from 1 to 60, got ${args.days}`);
  if (!(args.speed >= 1 && args.speed <= 600)) problems.push(`--speed must be 1 to 600, got ${args.speed}`);
  if (!(Number.isInteger(args.universe) && args.universe >= 30 && args.universe <= 500)) problems.push(`--universe must be a whole number from 30 to 500, got ${args.universe}`);
  if (!(args['min-matched'] >= 0 && args['min-matched'] <= 1)) problems.push(`--min-matched is a share from 0 to 1, got ${args['min-matched']}`);
  if (!(args['max-pnl-difference'] >= 0)) problems.push(`--max-pnl-difference is a share of the live P&L, 0 or more, got ${args['max-pnl-difference']}`);
  for (const flag of ['day-start', 'day-end'] as const) {
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(args[flag])) problems.push(`--${flag} must be HH:MM (New York), got ${JSON.stringify(args[flag])}`);
  }
  const replayDir = args.bars && args.bars !== 'synthetic' ? path.resolve(args.bars) : undefined;
  if (replayDir && !(fs.existsSync(replayDir) && fs.statSync(replayDir).isDirectory())) problems.push(`--bars ${args.bars}: not a folder of <SYMBOL>.csv files (or "synthetic")`);
  let first: string | undefined;
  try {
    first = tradingDayOnOrAfter(dayOption(args['start-day'], 'start-day')!);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    problems.push(error.message);
  }
  const extra: Record<string, string> = {};
  const knownNames = new Set(ENV_VARIABLES.map((v) => v.name));
  for (const raw of args.set ?? []) {
    const i = raw.indexOf('=');
    if (i <= 0) problems.push(`--set expects NAME=value, got ${JSON.stringify(raw)}`);
    // Only configuration variables reach both sides; any other name would be ignored by both (SIM_* tune the simulator).
    else if (!knownNames.has(raw.slice(0, i)) && !raw.startsWith('SIM_')) problems.push(`--set ${raw.slice(0, i)}: not a configuration variable (see the Configuration section of the README)`);
    else extra[raw.slice(0, i)] = raw.slice(i + 1);
  }
  const env: Record<string, string> = {
    SIM_PROFILE: 'ideal', SIM_MARKET: replayDir ? 'replay' : 'synthetic', ...(replayDir ? { SIM_REPLAY_DIR: replayDir } : {}), SIM_UNIVERSE_SIZE: String(args.universe),
    SCAN_TIMES: args['scan-times'], SCANNER_REFRESH_S: '1000000', MAX_POSITION_PCT: String(args['max-position-pct']), LOG_CONSOLE: 'false', ...extra,
  };
  // The configuration both sides will run with (the bots would refuse it at start; the backtest at the end).
  try {
    loadStrategies(loadConfig({ env }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !first) throw new ConfigError(problems);
  const days = [first];
  while (days.length < args.days) days.push(nextTradingDay(days[days.length - 1]!));
  if (args.reuse && !args.dir) throw new CliUsageError('--reuse needs --dir, the folder of a kept parity run');
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ibdt-parity-'));
  const started = Date.now();
  const marker = path.join(dir, 'parity-live.json');
  if (args.reuse) {
    if (!fs.existsSync(marker)) throw new CliUsageError(`${dir} holds no finished live run (no parity-live.json): run parity with --dir ${dir} --keep first`);
    const kept = JSON.parse(fs.readFileSync(marker, 'utf8')) as { env: Record<string, string>; live: ParityTrade[]; liveSignals: ParitySignal[]; liveRuns?: Array<{ trigger: string; finished_at: string | null }>; days: string[] };
    if (kept.days.join(',') !== days.join(',')) throw new CliUsageError(`the kept run played ${kept.days.join(', ')}; ask for the same days (--start-day ${kept.days[0]} --days ${kept.days.length})`);
    return compareWithBacktest(args, kept.env, kept.live, kept.liveSignals, measuredEntryLatency(kept.liveRuns ?? []), days, first, dir, replayDir, started);
  }
  const harness = await SystemHarness.prepare({ dir, speed: args.speed, dayStart: args['day-start'], dayEnd: args['day-end'], startDay: first, seed: args.seed, env, snapshotBuild: true });
  const interrupt = () => void harness.stop().then(() => process.exit(130));
  process.once('SIGINT', interrupt);
  let live: ParityTrade[];
  let liveSignals: ParitySignal[];
  let liveRuns: Array<{ trigger: string; finished_at: string | null }>;
  try {
    await harness.launch();
    const anchor = readClockAnchor(harness.env.SIM_CLOCK_FILE!);
    if (!anchor) throw new Error(`the system started without a clock anchor at ${harness.env.SIM_CLOCK_FILE}`);
    const clock = new CompressedClock(anchor);
    const lastDay = days[days.length - 1]!;
    const endMs = newYorkTime(lastDay, args['day-end']);
    const progress = new ProgressBar('parity: live system', { quiet: args.quiet });
    const totalMinutes = days.length * minutesBetween(args['day-start'], args['day-end']);
    // The clock itself is the event: the last simulated day is over when market time leaves it.
    while (clock.now() < endMs && tradingDayOf(clock.now()) <= lastDay) {
      const day = tradingDayOf(clock.now());
      const dayIndex = Math.max(0, days.indexOf(day));
      const minutes = dayIndex * minutesBetween(args['day-start'], args['day-end']) + Math.max(0, (clock.now() - newYorkTime(day, args['day-start'])) / 60_000);
      progress.update(Math.min(totalMinutes, Math.round(minutes)), totalMinutes, `simulated minutes (${day})`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, Math.max(20, clock.realTimeFor(endMs) - Date.now()))));
    }
    progress.update(totalMinutes, totalMinutes);
    live = harness.query<{ symbol: string; agent_name: string; trading_day: string; quantity: number; entry_price: number; entry_time: string; exit_price: number; exit_time: string; exit_reason: string; realized_pnl: number }>(
      "SELECT * FROM round_trips WHERE status = 'CLOSED' AND source = 'bot' ORDER BY entry_time, symbol",
    ).map((r) => ({
      symbol: r.symbol, side: 'LONG', tradingDay: r.trading_day, agentName: r.agent_name, quantity: r.quantity, entryTimeMs: Date.parse(r.entry_time), exitTimeMs: Date.parse(r.exit_time),
      exitReason: r.exit_reason, entryPrice: r.entry_price, exitPrice: r.exit_price, realizedPnl: r.realized_pnl,
    }));
    liveRuns = harness.query<{ trigger: string; finished_at: string | null }>('SELECT trigger, finished_at FROM pipeline_runs ORDER BY id');
    liveSignals = harness.query<{ symbol: string; decision: string; reason: string; score: number; started_at: string }>(
      'SELECT s.symbol, s.decision, s.reason, s.score, r.started_at FROM signals s JOIN pipeline_runs r ON r.id = s.pipeline_run_id ORDER BY s.id',
    ).map((s) => ({ tMs: Date.parse(s.started_at), symbol: s.symbol, decision: s.decision, reason: s.reason, score: s.score }));
  } finally {
    process.removeListener('SIGINT', interrupt);
    await harness.stop();
  }
  fs.writeFileSync(marker, JSON.stringify({ env: harness.env, live, liveSignals, liveRuns, days }));
  return compareWithBacktest(args, harness.env, live, liveSignals, measuredEntryLatency(liveRuns), days, first, dir, replayDir, started);
}

async function compareWithBacktest(args: ParityArgs, systemEnv: Record<string, string>, live: ParityTrade[], liveSignals: ParitySignal[], entryLatencySeconds: number, days: string[], first: string, dir: string, replayDir: string | undefined, started: number): Promise<ParityOutcome> {
  // The backtest: the same bars (the simulator's own market model), the same configuration, the simulator's fills.
  const config = loadConfig({ env: systemEnv });
  const storeFile = path.join(dir, 'bars.db');
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${storeFile}${suffix}`, { force: true });
  const store = BarStore.open(storeFile);
  let backtest: ParityTrade[];
  let backtestSignals: ParitySignal[];
  try {
    const model = marketModel({ seed: args.seed, universeSize: args.universe, replayDir });
    let warm = first;
    for (let i = 0; i < WARMUP_TRADING_DAYS; i++) warm = previousTradingDay(warm);
    fillFromModel(store, model, model.universe.map((u) => u.symbol), tradingDaysFrom(warm, days[days.length - 1]!), `simulator:${replayDir ?? 'synthetic'}:${args.seed}`);
    const input = prepareBacktest(store, { from: first, to: days[days.length - 1], config, settings: simulatorSettings(entryLatencySeconds) });
    // The speed the simulator ran at (a kept run's own), which sets how many trades it played per minute.
    const speed = Number(systemEnv.SIM_SPEED) || args.speed;
    const result = runBacktest(args.intrabar ? { ...input, intrabar: SimulatorIntrabarPath.forSpeed(model, speed) } : input);
    analyzeBacktest(result);
    backtest = result.trades.map((t) => ({
      symbol: t.symbol, side: 'LONG', tradingDay: t.tradingDay, agentName: t.agentName, quantity: t.quantity, entryTimeMs: t.entryTimeMs, exitTimeMs: t.exitTimeMs, exitReason: t.exitReason,
      entryPrice: t.entryPrice, exitPrice: t.exitPrice, realizedPnl: t.realizedPnl,
    }));
    backtestSignals = result.signals.map((s) => ({ tMs: s.t, symbol: s.symbol, decision: s.decision, reason: s.reason, score: s.score }));
  } finally {
    store.close();
  }
  const report = compareTrades(live, backtest, { live: liveSignals, backtest: backtestSignals }, (ms) => formatEt(ms, 'time'));
  if (!args.keep && !args.dir) fs.rmSync(dir, { recursive: true, force: true });
  return { report, days, live, backtest, dir, realSeconds: (Date.now() - started) / 1000, env: systemEnv, entryLatencySeconds };
}

/** npm run backtest -- parity */
export async function parityCommand(args: ParityArgs): Promise<void> {
  const outcome = await runParity(args);
  const { report } = outcome;
  const passed = report.matchedShare >= args['min-matched'] && (report.pnlDifferenceShare ?? 0) <= args['max-pnl-difference'];
  let runId: number | undefined;
  if (args.save) {
    const config = loadConfig();
    runId = saveRun(config.paths.db, {
      fromDay: outcome.days[0]!, toDay: outcome.days[outcome.days.length - 1]!, symbols: [], strategies: [], settings: simulatorSettings(outcome.entryLatencySeconds), trades: [], daily: [], decisions: [], signals: [],
      stats: { tradingDays: outcome.days.length, symbols: args.universe, bars: 0, scans: 0, candidatesEvaluated: 0, candidatesNotMeasured: 0, entriesOrdered: 0, entriesUnfilled: 0, partialEntries: 0 },
    }, undefined, {
      kind: 'parity', bars: args.bars ?? 'synthetic', config: loadConfig({ env: { ...outcome.env } }), withTrades: false,
      objective: 'matched-share', objectiveValue: report.matchedShare,
      detail: { ...summary(report), passed, intrabar: args.intrabar, speed: args.speed, seed: args.seed, universe: args.universe, env: outcome.env, unmatched: report.unmatched, realSeconds: outcome.realSeconds },
    });
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ runId: runId ?? null, passed, days: outcome.days, entryLatencySeconds: outcome.entryLatencySeconds, intrabar: args.intrabar, ...summary(report), unmatched: report.unmatched, pairs: report.pairs, realSeconds: outcome.realSeconds, dir: args.keep || args.dir ? outcome.dir : null }, null, 2)}\n`);
  } else {
    const s = summary(report);
    process.stdout.write(`Parity over ${outcome.days.length} simulated day(s) ${outcome.days[0]} to ${outcome.days[outcome.days.length - 1]} (x${args.speed}, ${outcome.realSeconds.toFixed(0)} s; live entries ${outcome.entryLatencySeconds} market s after their scan time; backtest fills ${args.intrabar ? 'on the simulator\'s trades inside each minute' : 'on minute bars'}):\n`
      + `  trades: live ${s.liveTrades}, backtest ${s.backtestTrades}, matched ${s.matched} (${pct(s.matchedShare, 1)} of ${s.liveTrades + s.backtestTrades - s.matched}; target ${pct(args['min-matched'], 0)})\n`
      + `  P&L: live ${money(s.livePnl)}, backtest ${money(s.backtestPnl)}, difference ${money(s.pnlDifference)} (${pct(s.pnlDifferenceShare, 2)}; target ${pct(args['max-pnl-difference'], 0)}); of the matched trades ${money(s.matchedPnlDifference)}\n`);
    if (report.unmatched.length > 0) {
      const table = new Table({ head: ['Side', 'Day', 'Symbol', 'Entry', 'Exit', 'Reason', 'P&L', 'Why'], style: { head: [], border: [], compact: true }, wordWrap: true, colWidths: [14, 12, 8, 7, 7, 16, 10, 60] });
      for (const u of report.unmatched) table.push([u.side, u.trade.tradingDay, u.trade.symbol, formatEt(u.trade.entryTimeMs, 'time'), formatEt(u.trade.exitTimeMs, 'time'), u.trade.exitReason, money(u.trade.realizedPnl), u.why]);
      process.stdout.write(`${table.toString()}\n`);
    }
    process.stdout.write(`${passed ? 'PASSED' : 'BELOW TARGET'}${runId !== undefined ? ` (stored as run ${runId})` : ''}${args.keep || args.dir ? `; the system's files are in ${outcome.dir}` : ''}\n`);
  }
  if (!passed) process.exitCode = 1;
}

function summary(report: ParityReport): Omit<ParityReport, 'pairs' | 'unmatched'> {
  const { pairs: _pairs, unmatched: _unmatched, ...rest } = report;
  return rest;
}

function minutesBetween(from: string, to: string): number {
  const [fh, fm] = from.split(':').map(Number);
  const [th, tm] = to.split(':').map(Number);
  return (th! - fh!) * 60 + (tm! - fm!);
}
