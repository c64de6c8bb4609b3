/**
 * bench:dashboard — the dashboard's figures (issue: the operator's view):
 *   1. first page load with a DB of 100,000 trades and one year of portfolio snapshots (98,280 snapshots of
 *      five positions each): the server's full answer for / (HTML + its embedded data) p50/p99, a real
 *      Chromium's load of / (HTML, assets, charts drawn) p50/p99, and /performance (every metric over the
 *      whole history) first and again; target for / under 300 ms;
 *   2. live latency, a fill committed to the DB → the SSE message with it received by the page in Chromium,
 *      p50/p99 (target p99 under 1 s), split into where the time goes: waiting for the next change probe,
 *      building the update, delivering and handling it in the browser;
 *   3. /metrics scrape time with 50 open positions;
 *   4. RSS of the dashboard process after BENCH_DASHBOARD_LIVE_MINUTES (60) of a live simulated day under
 *      PM2, with a browser following the live feed and a scrape every 5 s.
 * Parts 1-3 run the compiled dashboard alone against a generated DB (no gateway: DASHBOARD_BROKER=false, so
 * only our own work is timed); part 4 runs the whole system (SystemHarness).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRepositories, openDatabase, PortfolioSnapshotsRepository, type Db } from '../../shared/db';
import { projectRoot } from '../../shared/config/project-root';
import { ProcessMetrics } from '../../shared/metrics/process-metrics';
import type { ComputedSnapshot, PositionSnapshotRow } from '../../shared/portfolio/snapshot-model';
import { sessionMinutes } from '../../shared/analytics/trading-days';
import { SystemClock } from '../../shared/time/clock';
import { newYorkTime, previousTradingDay, tradingDayOf } from '../../shared/time/trading-calendar';
import { cleanEnv } from '../harness/clean-env';
import { freePort } from '../harness/ports';
import { SystemHarness } from '../harness/system-harness';
import { launchChromium } from '../dashboard/chromium';
import { round, summarize } from './stats';
import { mulberry32 } from '../../shared/random/mulberry32';

const TRADES = 100_000;
const SNAPSHOT_DAYS = 252;
const LOAD_SAMPLES = Number(process.env.BENCH_DASHBOARD_LOADS ?? 50);
const FILL_SAMPLES = Number(process.env.BENCH_DASHBOARD_FILLS ?? 100);
const LIVE_MINUTES = Number(process.env.BENCH_DASHBOARD_LIVE_MINUTES ?? 60);
const PAGE_TARGET_MS = 300;
const LIVE_TARGET_MS = 1_000;

/** Seeded, so every run benchmarks the same data. */
const prng = mulberry32;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One year of trading ending today: 100,000 round trips, a daily summary, 390 snapshots a day of 5 positions. */
export function fillDatabase(dbPath: string): { days: string[]; snapshots: number } {
  const random = prng(7);
  const today = tradingDayOf(Date.now());
  const days: string[] = [];
  for (let day = today; days.length < SNAPSHOT_DAYS; day = previousTradingDay(day)) days.unshift(day);
  const db = openDatabase(dbPath);
  const insertTrip = db.prepare(`INSERT INTO round_trips (position_id, symbol, agent_name, direction, status, quantity, entry_price, entry_time,
    exit_price, exit_time, exit_reason, commission, realized_pnl, pnl_pct, trading_day, source) VALUES (?, ?, 'gap-momentum', 'LONG', 'CLOSED', ?, ?, ?, ?, ?, ?, 2, ?, ?, ?, 'bot')`);
  const insertDay = db.prepare('INSERT INTO daily_summary (trading_day, trades, realized_pnl, start_equity, end_equity, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
  const snapshots = new PortfolioSnapshotsRepository(db, new SystemClock());
  let equity = 1_000_000;
  let count = 0;
  db.transaction(() => {
    for (let i = 0; i < TRADES; i++) {
      const day = days[Math.floor((i * (days.length - 1)) / TRADES)]!;
      const open = newYorkTime(day, '09:30');
      const entry = open + Math.floor(random() * sessionMinutes(day) * 60_000 * 0.8);
      const exit = entry + 60_000 + Math.floor(random() * 90 * 60_000);
      const quantity = 10 + Math.floor(random() * 200);
      const entryPrice = 20 + random() * 300;
      const exitPrice = entryPrice * (1 + (random() - 0.48) * 0.03);
      const pnl = (exitPrice - entryPrice) * quantity - 2;
      insertTrip.run(`B-${i}`, `S${Math.floor(random() * 300)}`, quantity, entryPrice, new Date(entry).toISOString(), exitPrice, new Date(exit).toISOString(),
        pnl > 0 ? 'PROFIT_TARGET' : 'STOP_LOSS', pnl, (exitPrice / entryPrice - 1) * 100, day);
    }
    for (const day of days) {
      const start = equity;
      const open = newYorkTime(day, '09:30');
      for (let m = 0; m < 390; m++) {
        equity += (random() - 0.495) * 150;
        const takenAt = new Date(open + m * 60_000).toISOString();
        const positions: PositionSnapshotRow[] = [0, 1, 2, 3, 4].map((k) => ({
          symbol: `S${k}`, conId: 1000 + k, secType: 'STK', currency: 'USD', ours: k < 4, positionId: null, quantity: 100, averageCost: 50, ourQuantity: k < 4 ? 100 : null,
          ourEntryPrice: k < 4 ? 50 : null, price: 50 + random(), priceSource: 'last', marketValue: 5_000, unrealizedPnl: 10, ourUnrealizedPnl: k < 4 ? 10 : null, realizedPnl: 0, quantityDifference: k < 4 ? 0 : 100,
        }));
        const snapshot: ComputedSnapshot = {
          portfolio: {
            takenAt, takenAtMs: Date.parse(takenAt), tradingDay: day, kind: m === 389 ? 'close' : 'interval', account: 'DU1', nav: equity, navSource: 'ib', cash: equity - 25_000,
            grossPositionValue: 25_000, positions: 5, ourPositions: 4, dayRealizedPnl: 0, dayUnrealizedPnl: equity - start, ibNetLiquidation: equity, ibTotalCash: equity - 25_000,
            ibGrossPositionValue: 25_000, ibDailyPnl: equity - start, ibUnrealizedPnl: 50, ibRealizedPnl: 0, ourStartNav: start, ourNav: equity - 10, ourGrossPositionValue: 20_000,
            ourRealizedPnl: 0, ourUnrealizedPnl: 40, navDifference: 10, dailyPnlDifference: 10, grossPositionValueDifference: 5_000, detail: {},
          },
          positions,
        };
        snapshots.record(snapshot);
        count += 1;
      }
      insertDay.run(day, Math.round(TRADES / days.length), equity - start, start, equity, new Date().toISOString());
    }
  }).immediate();
  db.close();
  return { days, snapshots: count };
}

/** Open positions of the bots, as the day-trader and the exit manager leave them, and their heartbeats with figures. */
function holdPositions(db: Db, count: number, first = 0): void {
  const clock = new SystemClock();
  const repos = createRepositories(db, clock, 'bench');
  for (let i = first; i < first + count; i++) {
    const symbol = `OPEN${i}`;
    const claim = repos.positions.claimSymbol({ symbol, tradingDay: tradingDayOf(clock.now()), agentName: 'gap-momentum', maxOpenPositions: 1_000, requestedQuantity: 100, stopLossPrice: 49.5, profitTargetPrice: 51 });
    if (!claim.ok) throw new Error(`claim ${symbol}: ${claim.reason}`);
    repos.ledger.recordEntryFill(claim.position.id, { execId: `bench-open-${i}`, symbol, side: 'BUY', quantity: 100, price: 50, commission: 1, executedAtMs: clock.now() });
    repos.positions.updateActivePosition(claim.position.id, { status: 'PROTECTED', stopOrderId: 1, targetOrderId: 2, protectedQuantity: 100 });
  }
  for (const app of ['exit-manager', 'day-trader', 'reconciler', 'supervisor']) {
    const figures = new ProcessMetrics(app);
    for (let k = 0; k < 200; k++) {
      figures.observeLogEvent('info', 'order_placed', { orderRef: `P-20261123-X-abcdef:SL:${k}`, positionId: `P-${k}` });
      figures.observeLogEvent('info', 'protection_placed', { msSincePositionSeen: k % 40 });
      figures.observeLogEvent('info', 'scan_started', { runId: k });
      figures.observeLogEvent('info', 'pipeline_completed', { runId: k });
    }
    repos.heartbeats.beat({ app, pid: process.pid, state: 'ready', beatAtMs: Date.now(), startedAtMs: Date.now(), readyAtMs: Date.now(), progressAtMs: Date.now(), loopLagMs: 1, brokerConnected: true, brokerDownSinceMs: null, detail: { metrics: figures.toJSON(), protecting: true } });
  }
}

interface Dashboard { url: string; child: ChildProcess; stop(): Promise<void> }

async function startDashboard(dir: string, dbPath: string): Promise<Dashboard> {
  const port = await freePort();
  const env = cleanEnv({
    DB_PATH: dbPath, LOG_DIR: path.join(dir, 'logs'), SIM_CLOCK_FILE: path.join(dir, 'sim-clock.json'), SIM_SPEED: '1', PM2_HOME: path.join(dir, 'no-pm2'),
    DASHBOARD_PORT: String(port), DASHBOARD_BROKER: 'false', LOG_CONSOLE: 'false',
  });
  const child = spawn(process.execPath, ['--max-old-space-size=256', path.join(projectRoot(), 'dist', 'apps', 'dashboard', 'main.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dashboard exited ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('dashboard did not start');
    await sleep(100);
  }
  return { url, child, stop: async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  } };
}

/** Time to the last byte of a GET, ms. */
function timedGet(url: string): Promise<{ ms: number; bytes: number; status: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, bytes, status: res.statusCode ?? 0 }));
    }).on('error', reject);
  });
}

async function pageLoad(dashboard: Dashboard, profileDir: string): Promise<Record<string, unknown>> {
  const cold = await timedGet(`${dashboard.url}/`);
  const server: number[] = [];
  let bytes = 0;
  for (let i = 0; i < LOAD_SAMPLES; i++) {
    const r = await timedGet(`${dashboard.url}/`);
    if (r.status !== 200) throw new Error(`GET / answered ${r.status}`);
    server.push(r.ms);
    bytes = r.bytes;
  }
  // /performance: the default view is computed in the background after the start (cached until the history
  // changes); a new filter (here: one agent over the whole history) is computed on the request.
  const performanceCached: number[] = [];
  for (let i = 0; i < 10; i++) performanceCached.push((await timedGet(`${dashboard.url}/performance`)).ms);
  const performanceNewQuery = await timedGet(`${dashboard.url}/performance?agent=gap-momentum`);
  const browser = await launchChromium(profileDir);
  const browserLoads: number[] = [];
  let browserFirstMs = 0;
  try {
    const page = await browser.newPage();
    const first = Date.now();
    await page.goto(`${dashboard.url}/`, { waitUntil: 'load' }); // a fresh browser: its own start-up, assets fetched once
    browserFirstMs = Date.now() - first;
    for (let i = 0; i < Math.min(LOAD_SAMPLES, 30); i++) {
      const started = Date.now();
      await page.goto(`${dashboard.url}/`, { waitUntil: 'load' });
      // 'load' is after the deferred scripts ran: the charts are drawn by then.
      browserLoads.push(Date.now() - started);
    }
  } finally {
    await browser.close();
  }
  return {
    serverFullResponseMs: summarize(server), firstRequestMs: round(cold.ms), htmlBytes: bytes,
    chromiumLoadMs: summarize(browserLoads), chromiumFirstLoadMs: browserFirstMs, targetMs: PAGE_TARGET_MS,
    performancePage: { cachedMs: summarize(performanceCached), newQueryOverAllHistoryMs: round(performanceNewQuery.ms) },
  };
}

async function liveLatency(dashboard: Dashboard, dbPath: string, profileDir: string): Promise<Record<string, unknown>> {
  const db = openDatabase(dbPath, { busyTimeoutMs: 5_000 });
  const clock = new SystemClock();
  const repos = createRepositories(db, clock, 'bench');
  const browser = await launchChromium(profileDir);
  const total: number[] = [];
  const probeWait: number[] = [];
  const build: number[] = [];
  const delivery: number[] = [];
  let missed = 0;
  try {
    const page = await browser.newPage();
    await page.goto(`${dashboard.url}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => (globalThis as unknown as { __dashboard: { states: number } }).__dashboard.states > 0, undefined, { timeout: 10_000 });
    const random = prng(11);
    for (let i = 0; i < FILL_SAMPLES; i++) {
      const symbol = `LIVE${i}`;
      const claim = repos.positions.claimSymbol({ symbol, tradingDay: tradingDayOf(clock.now()), agentName: 'gap-momentum', maxOpenPositions: 1_000, requestedQuantity: 10 });
      if (!claim.ok) throw new Error(claim.reason);
      const execId = `bench-live-${i}`;
      repos.ledger.recordEntryFill(claim.position.id, { execId, symbol, side: 'BUY', quantity: 10, price: 20, commission: 1, executedAtMs: clock.now() });
      const committedAtMs = Date.now();
      const seen = await page.waitForFunction((id) => (globalThis as unknown as { __dashboard: { fillsSeen: Record<string, unknown> } }).__dashboard.fillsSeen[id], execId, { timeout: 5_000, polling: 5 })
        .then((handle) => handle.jsonValue() as Promise<{ seenAtMs: number; changeSeenAtMs: number | null; builtAtMs: number }>)
        .catch(() => undefined);
      if (!seen) {
        missed += 1;
      } else {
        total.push(seen.seenAtMs - committedAtMs);
        if (seen.changeSeenAtMs !== null) {
          probeWait.push(seen.changeSeenAtMs - committedAtMs);
          build.push(seen.builtAtMs - seen.changeSeenAtMs);
        }
        delivery.push(seen.seenAtMs - seen.builtAtMs);
      }
      // The exit, so at most one of these positions is open; then a random pause (fills do not follow the probe's rhythm).
      repos.ledger.recordExit(claim.position.id, { execId: `${execId}-x`, symbol, side: 'SELL', quantity: 10, price: 20.1, commission: 1, executedAtMs: clock.now() }, 'PROFIT_TARGET');
      await sleep(150 + Math.floor(random() * 200));
    }
  } finally {
    await browser.close();
    db.close();
  }
  return {
    fillToBrowserMs: summarize(total), targetP99Ms: LIVE_TARGET_MS, missed,
    whereTheTimeGoes: { waitForChangeProbeMs: summarize(probeWait), buildUpdateMs: summarize(build), deliverAndHandleInBrowserMs: summarize(delivery) },
    note: 'committed by this process with PositionLedger (as the bots book fills); seen = the page\'s EventSource handler ran (Date.now() on the same machine); DASHBOARD_POLL_MS 100',
  };
}

async function metricsScrape(dashboard: Dashboard): Promise<Record<string, unknown>> {
  await timedGet(`${dashboard.url}/metrics`);
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 100; i++) {
    const r = await timedGet(`${dashboard.url}/metrics`);
    times.push(r.ms);
    bytes = r.bytes;
  }
  return { scrapeMs: summarize(times), bytes, openPositions: 50 };
}

function rssOf(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined; // the process is gone
  }
}

/** The dashboard's own pid (from /healthz: no PM2 output to parse) and its resident memory from /proc. */
async function dashboardRss(url: string): Promise<number | undefined> {
  try {
    const health = (await (await fetch(`${url}/healthz`)).json()) as { pid?: number };
    return health.pid ? rssOf(health.pid) : undefined;
  } catch (error) {
    process.stderr.write(`bench: dashboard not answering (${(error as Error).message})\n`);
    return undefined;
  }
}

async function liveMemory(dir: string): Promise<Record<string, unknown>> {
  const system = await SystemHarness.start({
    dir: path.join(dir, 'system'), speed: 60, dayStart: '09:20', dayEnd: '16:15', seed: 42,
    env: { DASHBOARD_PORT: String(await freePort()), MIN_ATR_PCT: '0.02', MIN_SCORE: '40', ENTRY_RSI_MAX: '80', LOG_LEVEL: 'info' },
  });
  const url = `http://127.0.0.1:${system.env.DASHBOARD_PORT}`;
  const browser = await launchChromium(path.join(dir, 'profile-live'));
  const samples: Array<{ minute: number; rssMb: number }> = [];
  try {
    const page = await browser.newPage();
    await page.goto(`${url}/`, { waitUntil: 'load' });
    const started = Date.now();
    let nextScrape = started;
    let nextSample = started;
    while (Date.now() - started < LIVE_MINUTES * 60_000) {
      if (Date.now() >= nextScrape) {
        await timedGet(`${url}/metrics`).catch(() => undefined);
        nextScrape += 5_000;
      }
      if (Date.now() >= nextSample) {
        const rss = await dashboardRss(url);
        if (rss) samples.push({ minute: round((Date.now() - started) / 60_000, 1), rssMb: round(rss / 1024 / 1024, 1) });
        nextSample += 60_000;
      }
      await sleep(500);
    }
    const endRss = await dashboardRss(url);
    const states = await page.evaluate(() => (globalThis as unknown as { __dashboard: { states: number } }).__dashboard.states);
    const days = system.query<{ n: number }>('SELECT COUNT(DISTINCT trading_day) AS n FROM portfolio_snapshots')[0]?.n ?? 0;
    let restarts: number | null = null;
    try {
      restarts = system.processes().find((p) => p.name === 'dashboard')?.restarts ?? null;
    } catch (error) {
      process.stderr.write(`bench: pm2 jlist unreadable (${(error as Error).message}); restarts not reported\n`);
    }
    return {
      minutes: LIVE_MINUTES, endRssMb: endRss ? round(endRss / 1024 / 1024, 1) : null, maxRssMb: Math.max(...samples.map((s) => s.rssMb)),
      firstRssMb: samples[0]?.rssMb ?? null, samples, simulatedTradingDays: days, browserStatesReceived: states, dashboardRestarts: restarts,
    };
  } finally {
    await browser.close();
    await system.stop();
  }
}

export async function runDashboardBench(): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-dashboard-'));
  try {
    const dbPath = path.join(dir, 'trading.db');
    const generated = Date.now();
    const { snapshots } = fillDatabase(dbPath);
    const db = openDatabase(dbPath);
    holdPositions(db, 5);
    db.close();
    const generationSeconds = round((Date.now() - generated) / 1000, 1);
    const dashboard = await startDashboard(dir, dbPath);
    await sleep(6_000); // its background warm-up (3 s after the start) is done
    let load: Record<string, unknown>;
    let live: Record<string, unknown>;
    let scrape: Record<string, unknown>;
    try {
      load = await pageLoad(dashboard, path.join(dir, 'profile-load'));
      live = await liveLatency(dashboard, dbPath, path.join(dir, 'profile-live-latency'));
      const more = openDatabase(dbPath);
      holdPositions(more, 45, 5);
      more.close();
      scrape = await metricsScrape(dashboard);
    } finally {
      await dashboard.stop();
    }
    const memory = LIVE_MINUTES > 0 ? await liveMemory(dir) : { skipped: 'BENCH_DASHBOARD_LIVE_MINUTES=0' };
    return {
      data: { roundTrips: TRADES, snapshotDays: SNAPSHOT_DAYS, portfolioSnapshots: snapshots, positionSnapshots: snapshots * 5, dbMb: round(fs.statSync(dbPath).size / 1024 / 1024, 1), generationSeconds },
      pageLoad: load, liveLatency: live, metrics: scrape, memoryAfterLiveDay: memory,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void runDashboardBench().then((result) => console.log(JSON.stringify({ dashboard: result }, null, 2)), (error) => {
    console.error(error);
    process.exit(1);
  });
}
