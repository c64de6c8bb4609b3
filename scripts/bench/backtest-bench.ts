/**
 * bench:backtest — the backtest engine with the real strategy code (the built-in gap-momentum, default
 * configuration) on a synthetic universe of 200 symbols x 60 trading days (minute bars from 04:00 to 20:00,
 * what the simulator plays):
 *   - throughput on one core, minute bars per second (`backtest.barsPerSecond`; target >= 1,000,000), with
 *     where the time goes (reading and decoding the bar store, measuring and scoring candidates, the rest);
 *   - peak memory of the engine for that universe (a child process: its maximum resident set);
 *   - an optimisation: a 100-point grid (minScore x stopLossPct) on worker threads, wall time and runs per second.
 * BENCH_BACKTEST_SYMBOLS / _DAYS / _GRID (points: 100) scale it down for a quick look.
 * Prints { "backtest": { ... } } when run directly.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { runBacktest } from '../../shared/backtest/engine';
import type { BarSource } from '../../shared/backtest/market-view';
import { prepareBacktest } from '../../shared/backtest/prepare';
import { engineSettings } from '../../shared/backtest/settings';
import { gridPoints, parseAxis } from '../../shared/backtest/parameter-space';
import { loadConfig } from '../../shared/config/load-config';
import { BarStore } from '../../shared/db/bar-store/bar-store-repository';
import { previousTradingDay } from '../../shared/time/trading-calendar';
import { fillFromModel, tradingDaysFrom } from '../bars/fill';
import { marketModel } from '../bars/market-model-source';
import { runPoints } from '../backtest/worker-pool';

const SYMBOLS = Number(process.env.BENCH_BACKTEST_SYMBOLS ?? 200);
const DAYS = Number(process.env.BENCH_BACKTEST_DAYS ?? 60);
const GRID = Number(process.env.BENCH_BACKTEST_GRID ?? 100);
const FIRST_DAY = '2026-03-02';
const WARMUP = 20;
const TARGET_BARS_PER_SECOND = 1_000_000;

function benchEnv(dir: string): NodeJS.ProcessEnv {
  return { DB_PATH: path.join(dir, 'trading.db'), LOG_CONSOLE: 'false' };
}

function days(): { warm: string; from: string; to: string } {
  const all = tradingDaysFrom(FIRST_DAY, '2027-12-31').slice(0, DAYS);
  let warm = all[0]!;
  for (let i = 0; i < WARMUP; i++) warm = previousTradingDay(warm);
  return { warm, from: all[0]!, to: all[all.length - 1]! };
}

function buildStore(file: string): { seconds: number; symbolDays: number } {
  const started = process.hrtime.bigint();
  const model = marketModel({ seed: 7, universeSize: SYMBOLS });
  const { warm, to } = days();
  const store = BarStore.open(file);
  try {
    const symbolDays = fillFromModel(store, model, model.universe.map((u) => u.symbol), tradingDaysFrom(warm, to), `synthetic:7:${SYMBOLS}`);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, symbolDays };
  } finally {
    store.close();
  }
}

/** One run on this thread, timed in parts: what the store costs, what the strategy costs, the rest. */
function engineRun(file: string, dir: string): Record<string, unknown> {
  const config = loadConfig({ env: benchEnv(dir) });
  const store = BarStore.open(file, { readonly: true });
  try {
    const { from, to } = days();
    const input = prepareBacktest(store, { from, to, config, settings: engineSettings() });
    let storeNs = 0n;
    const timedSource: BarSource = {
      day: (d, s) => {
        const t = process.hrtime.bigint();
        const out = input.source.day(d, s);
        storeNs += process.hrtime.bigint() - t;
        return out;
      },
      dailyAggregates: (s, a, b) => {
        const t = process.hrtime.bigint();
        const out = input.source.dailyAggregates(s, a, b);
        storeNs += process.hrtime.bigint() - t;
        return out;
      },
    };
    let strategyNs = 0n;
    const strategies = input.strategies.map((s) => ({
      ...s,
      evaluate: (data: Parameters<typeof s.evaluate>[0]) => {
        const t = process.hrtime.bigint();
        const out = s.evaluate(data);
        strategyNs += process.hrtime.bigint() - t;
        return out;
      },
    }));
    const started = process.hrtime.bigint();
    const result = runBacktest({ ...input, source: timedSource, strategies });
    const totalNs = process.hrtime.bigint() - started;
    const seconds = Number(totalNs) / 1e9;
    return {
      symbols: result.symbols.length, tradingDays: result.stats.tradingDays, bars: result.stats.bars, seconds: round(seconds, 3),
      barsPerSecond: Math.round(result.stats.bars / seconds), target: TARGET_BARS_PER_SECOND, met: result.stats.bars / seconds >= TARGET_BARS_PER_SECOND,
      trades: result.trades.length, scans: result.stats.scans, candidatesEvaluated: result.stats.candidatesEvaluated, candidatesNotMeasured: result.stats.candidatesNotMeasured,
      timeShares: {
        barStoreReadAndDecode: round(Number(storeNs) / Number(totalNs), 3),
        strategyEvaluate: round(Number(strategyNs) / Number(totalNs), 3),
        engineRest: round(1 - Number(storeNs + strategyNs) / Number(totalNs), 3),
      },
    };
  } finally {
    store.close();
  }
}

async function gridRun(file: string, dir: string): Promise<Record<string, unknown>> {
  const config = loadConfig({ env: benchEnv(dir) });
  const store = BarStore.open(file, { readonly: true });
  const { from, to } = days();
  let axes;
  try {
    const input = prepareBacktest(store, { from, to, config, settings: engineSettings() });
    const side = Math.max(1, Math.round(Math.sqrt(GRID)));
    const scores = Array.from({ length: side }, (_, i) => 40 + i * 3).join(',');
    const stops = Array.from({ length: Math.ceil(GRID / side) }, (_, i) => Math.round((0.5 + i * 0.1) * 100) / 100).join(',');
    axes = [parseAxis(`minScore=${scores}`, input.strategies), parseAxis(`stopLossPct=${stops}`, input.strategies)];
  } finally {
    store.close();
  }
  const points = gridPoints(axes).slice(0, GRID);
  const workers = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const started = Date.now();
  const results = await runPoints({ storeFile: file, config, settings: engineSettings(), axes, baseOverrides: {} }, points.map((point, id) => ({ id, point, from, to })), workers);
  const wallSeconds = (Date.now() - started) / 1000;
  const failed = results.filter((r) => r.error).length;
  return { points: points.length, workers, wallSeconds: round(wallSeconds, 1), runsPerSecond: round(points.length / wallSeconds, 3), failed };
}

export async function runBacktestBench(): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibdt-bench-backtest-'));
  try {
    const file = path.join(dir, 'bars.db');
    const build = buildStore(file);
    const storeBytes = fs.statSync(file).size;
    const engine = engineRun(file, dir);
    // Peak memory in a fresh process: the engine alone for that universe (maxRSS of the child).
    const child = JSON.parse(execFileSync(process.execPath, [__filename, '--memory-child', file, dir], { encoding: 'utf8', env: { ...process.env, ...benchEnv(dir) }, maxBuffer: 16 * 1024 * 1024 })) as { maxRssMb: number; heapUsedMb: number; barsPerSecond: number; profile: Record<string, number> };
    const grid = await gridRun(file, dir);
    return {
      universe: { symbols: SYMBOLS, tradingDays: DAYS, warmupDays: WARMUP, barsPerSymbolDay: 960, storeMb: round(storeBytes / 1e6, 1), buildSeconds: round(build.seconds, 1) },
      barsPerSecond: engine.barsPerSecond,
      engine,
      peakMemory: { maxRssMb: child.maxRssMb, heapUsedAfterMb: child.heapUsedMb, note: 'a fresh process running the same backtest once: its maximum resident set' },
      // Shares of the CPU samples of that run (a V8 profile, self time): where the time goes.
      whereTheTimeGoes: child.profile,
      optimize: grid,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Where the samples of a V8 CPU profile fall, by area of the code (self time). */
function profileAreas(profile: { nodes: Array<{ id: number; callFrame: { url: string; functionName: string } }>; samples: number[]; timeDeltas: number[] }): Record<string, number> {
  const areaOf = (url: string, fn: string): string => {
    if (fn === '(garbage collector)') return 'garbage collection';
    if (/trading-signals/.test(url)) return 'indicators (trading-signals RSI/ATR)';
    if (/luxon/.test(url)) return 'time zones (luxon)';
    if (/bars\/codec|bar-store/.test(url)) return 'bar store: read and decode';
    if (/backtest\/(intraday-series|market-view)/.test(url)) return 'candidate data: IB-shaped bars, quotes, pacing';
    if (/backtest\/scanner/.test(url)) return 'emulated scanners';
    if (/shared\/strategy/.test(url)) return 'strategy rules (metrics, score, size, guards)';
    if (/backtest\/(engine|fill-model|commissions|spread-model)/.test(url)) return 'engine: book, fills, clock';
    if (/better-sqlite3|node:internal|^$/.test(url)) return 'runtime and SQLite';
    return 'other';
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    const dt = profile.timeDeltas[i] ?? 0;
    totals.set(area, (totals.get(area) ?? 0) + dt);
    all += dt;
  });
  return Object.fromEntries([...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / all, 3)]));
}

if (require.main === module) {
  if (process.argv[2] === '--memory-child') {
    const session = new inspector.Session();
    session.connect();
    session.post('Profiler.enable', () => session.post('Profiler.start', () => {
      const result = engineRun(process.argv[3]!, process.argv[4]!);
      session.post('Profiler.stop', (error, data) => {
        const usage = process.resourceUsage();
        const areas = error ? {} : profileAreas(data.profile as never);
        process.stdout.write(JSON.stringify({ maxRssMb: round(usage.maxRSS / 1024, 1), heapUsedMb: round(process.memoryUsage().heapUsed / 1e6, 1), barsPerSecond: result.barsPerSecond, profile: areas }));
        session.disconnect();
      });
    }));
  } else {
    void runBacktestBench().then((result) => console.log(JSON.stringify({ backtest: result }, null, 2)));
  }
}
