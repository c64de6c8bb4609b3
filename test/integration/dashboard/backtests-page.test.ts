import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DashboardServer } from '../../../apps/dashboard/server/dashboard-server';
import { createServices, type DashboardServices } from '../../../apps/dashboard/services';
import { FIRST_BACKTEST_COMMAND } from '../../../apps/dashboard/views/backtests';
import { loadConfig } from '../../../shared/config/load-config';
import { MIGRATIONS } from '../../../shared/db/migrations';
import { openDatabase } from '../../../shared/db/open-database';
import { BacktestRunsRepository, type BacktestRunRecord, type StoredBacktestTrade } from '../../../shared/db/repositories/backtest-runs-repository';
import { memoryLogger } from '../../../shared/log/logger';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { saveRunWithChildren } from '../../../scripts/backtest/outputs';
import { collectPageProblems, launchChromium } from '../../../scripts/dashboard/chromium';
import { freePort } from '../../helpers/ports';
import { CHROMIUM, describeWithTools } from '../../helpers/required-tools';
import { makeTempDir, PROJECT_ROOT } from '../../helpers/temp-dir';
import { testEnv } from '../../helpers/test-env';
import { waitUntil } from '../../helpers/wait-until';

/**
 * The Backtests page and its JSON: the real dashboard server (in this process, over HTTP on a free port)
 * reading a real SQLite file whose runs were stored the way `npm run backtest` stores them (the repository's
 * save, and saveRunWithChildren for an optimisation and its points).
 */

interface Served {
  url: string;
  get(pathAndQuery: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  json<T>(pathAndQuery: string): Promise<T>;
  stop(): Promise<void>;
}

async function serve(dir: string, env: Record<string, string> = {}): Promise<Served> {
  const port = await freePort();
  const config = loadConfig({
    env: testEnv({
      DB_PATH: path.join(dir, 'trading.db'), LOG_DIR: path.join(dir, 'logs'), SIM_CLOCK_FILE: path.join(dir, 'sim-clock.json'), REPORTS_DIR: path.join(dir, 'reports'),
      PM2_HOME: path.join(dir, 'pm2-home-without-daemon'), DASHBOARD_PORT: String(port), DASHBOARD_BROKER: 'false', SIM_SPEED: '1', ...env,
    }),
  });
  const services: DashboardServices = createServices(config, memoryLogger());
  const server = new DashboardServer(services);
  await server.listen();
  const url = `http://127.0.0.1:${port}`;
  const get = async (pathAndQuery: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${pathAndQuery}`, { headers, redirect: 'manual' });
    return { status: response.status, body: await response.text() };
  };
  return {
    url, get,
    json: async <T>(pathAndQuery: string) => {
      const response = await get(pathAndQuery);
      if (response.status !== 200) throw new Error(`GET ${pathAndQuery}: ${response.status} ${response.body}`);
      return JSON.parse(response.body) as T;
    },
    stop: async () => {
      await server.close();
      services.db.close();
    },
  };
}

const DAY1 = '2026-06-01';
const DAY2 = '2026-06-02';
const DAY3 = '2026-06-03';

function trade(symbol: string, agentName: string, strategy: string, tradingDay: string, realizedPnl: number): StoredBacktestTrade {
  const entryTimeMs = newYorkTime(tradingDay, '10:00');
  return {
    symbol, agentName, strategy, tradingDay, quantity: 100, entryPrice: 20, entryTimeMs, exitPrice: 20 + realizedPnl / 100, exitTimeMs: entryTimeMs + 45 * 60_000,
    exitReason: realizedPnl > 0 ? 'PROFIT_TARGET' : 'STOP_LOSS', commission: 1, realizedPnl, pnlPct: realizedPnl / 20, score: 60,
  };
}

/** A two-agent run with four trades and three days of equity. */
const TWO_AGENT_TRADES = [
  trade('NOVA', 'gap-momentum', 'gap-momentum', DAY1, 250),
  trade('HELI', 'orb30', 'opening-range-breakout', DAY1, -120),
  trade('ZETA', 'gap-momentum', 'gap-momentum', DAY2, -80),
  trade('QUIX', 'orb30', 'opening-range-breakout', DAY3, 310.5),
];

const RUN: BacktestRunRecord = {
  kind: 'run', label: 'two agents', fromDay: DAY1, toDay: DAY3, bars: 'synthetic:seed=42', symbols: ['NOVA', 'HELI', 'ZETA', 'QUIX'],
  strategies: [{ agent: 'gap-momentum', strategy: 'gap-momentum', params: { minScore: 60 } }, { agent: 'orb30', strategy: 'opening-range-breakout', params: { rangeMinutes: 30 } }],
  settings: { initialCapital: 100_000, slippageBps: 2 }, config: { risk: { maxOpenPositions: 3 } }, status: 'COMPLETED', trades: 4,
  netPnl: 360.5, totalReturn: 0.003605, sharpe: 1.8734, maxDrawdown: -0.0021, resultSha256: 'ab'.repeat(32),
  metrics: { trades: 4, netPnl: 360.5, totalReturn: 0.003605, sharpe: 1.8734, sortino: 2.5, maxDrawdown: -0.0021, winRate: 0.5, profitFactor: 2.8, averageTrade: 90.125, commissions: 4 },
};

const EQUITY = [
  { tradingDay: DAY1, startEquity: 100_000, endEquity: 100_130, realizedPnl: 130, trades: 2 },
  { tradingDay: DAY2, startEquity: 100_130, endEquity: 100_050, realizedPnl: -80, trades: 1 },
  { tradingDay: DAY3, startEquity: 100_050, endEquity: 100_360.5, realizedPnl: 310.5, trades: 1 },
];

const PARITY: BacktestRunRecord = {
  kind: 'parity', fromDay: DAY1, toDay: DAY2, bars: 'synthetic', symbols: [], strategies: [], settings: {}, config: {}, status: 'COMPLETED', trades: 0,
  objective: 'matched-share', objectiveValue: 0.9, metrics: {},
  detail: {
    liveTrades: 10, backtestTrades: 9, matched: 9, matchedShare: 0.9, livePnl: 1_000, backtestPnl: 975, pnlDifference: -25, pnlDifferenceShare: 0.025, matchedPnlDifference: -3,
    passed: false, unmatched: [{ side: 'live_only', trade: { tradingDay: DAY1, symbol: 'MISS', exitReason: 'STOP_LOSS', realizedPnl: -22 }, counterpart: null, why: 'the backtest did not take it: score 44 < 45' }],
  },
};

describe('the Backtests page and /api/backtests', () => {
  const temp = makeTempDir('dashboard-backtests');
  const servers: Served[] = [];
  let n = 0;
  const dirFor = () => {
    const dir = path.join(temp.dir, `d${n++}`);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };
  const start = async (dir: string, env: Record<string, string> = {}) => {
    const s = await serve(dir, env);
    servers.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of servers) await s.stop();
    temp.cleanup();
  });

  /** The runs as the backtest commands store them: a run, a parity check, an optimisation with three points. Returns their ids. */
  function storeRuns(dir: string): { runId: number; parityId: number; optimizeId: number; pointIds: number[] } {
    const dbPath = path.join(dir, 'trading.db');
    const runId = saveRunWithChildren(dbPath, { run: RUN, trades: TWO_AGENT_TRADES, equity: EQUITY }, []);
    const parityId = saveRunWithChildren(dbPath, { run: PARITY }, []);
    const point = (minScore: number, objective: number | null): BacktestRunRecord => ({
      kind: 'optimize-point', label: JSON.stringify({ minScore }), fromDay: DAY1, toDay: DAY3, bars: 'synthetic', symbols: [], strategies: [], settings: {}, config: {},
      status: 'COMPLETED', trades: 12, netPnl: objective === null ? null : objective * 100, sharpe: objective, objective: 'sharpe', objectiveValue: objective, metrics: {}, detail: { point: { minScore } },
    });
    const optimizeId = saveRunWithChildren(dbPath, {
      run: { kind: 'optimize', fromDay: DAY1, toDay: DAY3, bars: 'synthetic', symbols: [], strategies: [{ agent: 'gap-momentum', strategy: 'gap-momentum', params: {} }], settings: {}, config: {},
        status: 'COMPLETED', trades: 12, netPnl: 210, totalReturn: 0.0021, sharpe: 2.1, maxDrawdown: -0.001, objective: 'sharpe', objectiveValue: 2.1, metrics: { winRate: 0.75 }, detail: { best: { minScore: 55 } } },
    }, [point(50, 0.4), point(55, 2.1), point(60, null)]);
    const db = openDatabase(dbPath);
    const pointIds = new BacktestRunsRepository(db).children(optimizeId, 10).map((c) => c.id);
    db.close();
    return { runId, parityId, optimizeId, pointIds };
  }

  it('says how to make a first run when none is stored, with the README\'s own command', async () => {
    const dir = dirFor();
    openDatabase(path.join(dir, 'trading.db')).close(); // migrated, no runs
    const s = await start(dir);
    const list = await s.json<{ available: boolean; total: number; runs: unknown[]; howToRun: string }>('/api/backtests');
    expect(list).toMatchObject({ available: true, total: 0, runs: [], howToRun: FIRST_BACKTEST_COMMAND });
    const page = await s.get('/backtests');
    expect(page.status).toBe(200);
    expect(page.body).toContain('No backtest runs stored yet.');
    expect(page.body).toContain(FIRST_BACKTEST_COMMAND);
    expect(page.body).toMatch(/<a href="\/backtests" aria-current="page">Backtests<\/a>/);
    expect(fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8')).toContain(FIRST_BACKTEST_COMMAND);
  });

  it('on a DB from before backtest runs (schema 4), says so, then lists the first run once a backtest migrates it', async () => {
    const dir = dirFor();
    const dbPath = path.join(dir, 'trading.db');
    const old = new Database(dbPath);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const migration of MIGRATIONS.filter((m) => m.version <= 4)) {
      old.exec(migration.sql);
      migration.up?.(old);
      old.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, '2026-11-20T21:00:00.000Z');
    }
    old.close();
    const s = await start(dir);
    expect(await s.json<{ available: boolean; total: number }>('/api/backtests')).toMatchObject({ available: false, total: 0 });
    const page = await s.get('/backtests');
    expect(page.body).toContain('this database has no backtest tables (schema 5)');
    expect(page.body).toContain(FIRST_BACKTEST_COMMAND);

    // The first `npm run backtest -- run` migrates the DB and stores its run; nobody follows the live feed.
    const runId = saveRunWithChildren(dbPath, { run: RUN, trades: TWO_AGENT_TRADES, equity: EQUITY }, []);
    const list = await waitUntil(async () => {
      const l = await s.json<{ available: boolean; runs: Array<{ id: number }> }>('/api/backtests');
      return l.available ? l : undefined;
    }, 10_000, 'the dashboard reading the migrated DB');
    expect(list.runs.map((r) => r.id)).toEqual([runId]);
  });

  it('lists the top-level runs newest first with their figures, paged, points left inside their run', async () => {
    const dir = dirFor();
    const { runId, parityId, optimizeId } = storeRuns(dir);
    const s = await start(dir);
    type List = { total: number; pages: number; page: number; runs: Array<Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const list = await s.json<List>('/api/backtests');
    expect(list.total).toBe(3);
    expect(list.runs.map((r) => [r.id, r.kind])).toEqual([[optimizeId, 'optimize'], [parityId, 'parity'], [runId, 'run']]);
    expect(list.runs[2]).toMatchObject({
      agents: ['gap-momentum', 'orb30'], bars: 'synthetic:seed=42', fromDay: DAY1, toDay: DAY3, symbolCount: 4, trades: 4, netPnl: 360.5, totalReturn: 0.003605,
      sharpe: 1.8734, maxDrawdown: -0.0021, winRate: 0.5, parity: null,
    });
    expect(Date.parse(list.runs[2]!.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(list.runs[1]!.parity).toEqual({ matchedShare: 0.9, pnlDifference: -25, pnlDifferenceShare: 0.025, passed: false });
    expect(list.runs[0]).toMatchObject({ winRate: 0.75, objective: 'sharpe', objectiveValue: 2.1 });

    const second = await s.json<List>('/api/backtests?pageSize=2&page=2');
    expect([second.total, second.pages, second.page, second.runs.map((r) => r.id)]).toEqual([3, 2, 2, [runId]]);

    const page = await s.get('/backtests');
    expect(page.body).toContain('3 stored runs, newest first; showing 1–3.');
    const row = rowOf(page.body, runId);
    for (const figure of ['#' + runId, 'gap-momentum, orb30', 'synthetic:seed=42', `${DAY1} → ${DAY3}`, '+360.50', '+0.36 %', '1.87', '-0.21 %', '50.00 %']) expect(row).toContain(figure);
    expect(rowOf(page.body, parityId)).toContain('90.0 % matched, -25.00 (2.50 %)');
    expect(page.body).toContain('<form method="get" action="/backtests/compare">');
  });

  it('never writes to the DB while serving the backtest pages', async () => {
    const dir = dirFor();
    const { runId, optimizeId } = storeRuns(dir);
    const writer = openDatabase(path.join(dir, 'trading.db'));
    const s = await start(dir);
    const versionBefore = writer.pragma('data_version', { simple: true });
    const files = () => ['trading.db', 'trading.db-wal'].map((f) => fs.statSync(path.join(dir, f)).mtimeMs);
    const mtimes = files();
    for (const route of ['/backtests', '/api/backtests', `/backtest?id=${runId}`, `/api/backtest?id=${optimizeId}`, `/backtests/compare?ids=${runId},${optimizeId}`, `/api/backtests/compare?ids=${runId},${optimizeId}`]) {
      expect([route, (await s.get(route)).status]).toEqual([route, 200]);
    }
    // data_version moves when ANOTHER connection commits: nobody did.
    expect(writer.pragma('data_version', { simple: true })).toBe(versionBefore);
    expect(files()).toEqual(mtimes);
    writer.close();
  });

  it('shows one run: figures, parameters, equity for the chart, per-agent P&L, the first trades with their count', async () => {
    const dir = dirFor();
    const { runId } = storeRuns(dir);
    const s = await start(dir);
    type Detail = { run: { id: number; strategies: unknown; settings: unknown }; tradeCount: number; trades: Array<{ symbol: string }>; byAgent: unknown[]; equity: Array<{ drawdownPct: number }>; childCount: number };
    const detail = await s.json<Detail>(`/api/backtest?id=${runId}`);
    expect(detail.run.id).toBe(runId);
    expect(detail.run.strategies).toEqual(RUN.strategies);
    expect(detail.run.settings).toEqual(RUN.settings);
    expect(detail.tradeCount).toBe(4);
    expect(detail.trades.map((t) => t.symbol)).toEqual(['NOVA', 'HELI', 'ZETA', 'QUIX']);
    expect(detail.byAgent).toEqual([
      { agentName: 'gap-momentum', strategy: 'gap-momentum', trades: 2, wins: 1, losses: 1, netPnl: 170, commissions: 2 },
      { agentName: 'orb30', strategy: 'opening-range-breakout', trades: 2, wins: 1, losses: 1, netPnl: 190.5, commissions: 2 },
    ]);
    expect(detail.equity.map((d) => Math.round(d.drawdownPct * 10_000) / 10_000)).toEqual([0, -0.0799, 0]);
    expect(detail.childCount).toBe(0);
    const firstTwo = await s.json<Detail>(`/api/backtest?id=${runId}&trades=2`);
    expect([firstTwo.tradeCount, firstTwo.trades.map((t) => t.symbol)]).toEqual([4, ['NOVA', 'HELI']]);

    const page = await s.get(`/backtest?id=${runId}`);
    expect(page.status).toBe(200);
    const figures = between(page.body, 'id="backtest-figures"', '</dl>');
    for (const figure of ['+360.50', '+0.36 %', '1.87', '-0.21 %', '50.00 %']) expect(figures).toContain(figure);
    expect(page.body).toContain('data-chart="daily-equity"');
    const data = JSON.parse(between(page.body, '<script type="application/json" id="page-data">', '</script>')) as { daily: Array<{ day: string; equity: number; start: number }> };
    expect(data.daily.map((d) => [d.day, d.start, d.equity])).toEqual(EQUITY.map((d) => [d.tradingDay, d.startEquity, d.endEquity]));
    const agents = between(page.body, 'id="backtest-agents"', '</table>');
    expect(agents).toMatch(/<td>gap-momentum<\/td><td>gap-momentum<\/td><td>2<\/td>.*\+170\.00/);
    expect(agents).toMatch(/<td>orb30<\/td><td>opening-range-breakout<\/td><td>2<\/td>.*\+190\.50/);
    expect(between(page.body, 'id="backtest-strategies"', '</table>')).toContain('{&quot;rangeMinutes&quot;:30}');
    expect(page.body).toContain('4 trades.');
    expect(between(page.body, 'id="backtest-trades"', '</table>').match(/<tr><td>\d+<\/td>/g)).toHaveLength(4);
  });

  it('shows a parity check and an optimisation with its points best first', async () => {
    const dir = dirFor();
    const { parityId, optimizeId, pointIds } = storeRuns(dir);
    const s = await start(dir);
    const parity = await s.get(`/backtest?id=${parityId}`);
    const figures = between(parity.body, 'id="backtest-figures"', '</dl>');
    expect(figures).toContain('90.0 %');
    expect(figures).toContain('-25.00');
    expect(figures).toContain('below target');
    expect(between(parity.body, 'id="parity-unmatched"', '</table>')).toContain('the backtest did not take it: score 44 &lt; 45');

    const optimize = await s.json<{ childCount: number; children: Array<{ id: number; objectiveValue: number | null }> }>(`/api/backtest?id=${optimizeId}`);
    expect(optimize.childCount).toBe(3);
    expect(optimize.children.map((c) => c.objectiveValue)).toEqual([2.1, 0.4, null]);
    expect(pointIds).toHaveLength(3);
    const page = await s.get(`/backtest?id=${optimizeId}`);
    expect(page.body).toContain('Points (3, best first)');
    expect(between(page.body, 'id="backtest-children"', '</table>').indexOf('{&quot;minScore&quot;:55}')).toBeLessThan(between(page.body, 'id="backtest-children"', '</table>').indexOf('{&quot;minScore&quot;:50}'));
  });

  it('compares runs side by side, and answers 404 for a run that is not stored', async () => {
    const dir = dirFor();
    const { runId, optimizeId } = storeRuns(dir);
    const s = await start(dir);
    const compared = await s.json<{ runs: Array<{ id: number; netPnl: number }> }>(`/api/backtests/compare?ids=${runId},${optimizeId}`);
    expect(compared.runs.map((r) => [r.id, r.netPnl])).toEqual([[runId, 360.5], [optimizeId, 210]]);
    const page = await s.get(`/backtests/compare?ids=${runId}&ids=${optimizeId}`);
    expect(page.status).toBe(200);
    expect(between(page.body, '<th>net P&amp;L</th>', '</tr>')).toBe('<td>+360.50</td><td>+210.00</td>');
    expect(between(page.body, '<th>Sharpe</th>', '</tr>')).toBe('<td>1.87</td><td>2.10</td>');

    const missing = await s.get('/api/backtest?id=9999');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ problem: { kind: 'not-found', message: expect.stringContaining('no backtest run 9999') } });
    expect((await s.get('/backtest?id=9999')).status).toBe(404);
    expect((await s.get(`/api/backtests/compare?ids=${runId},9999`)).status).toBe(404);
  });

  it('asks for the token like every other page', async () => {
    const dir = dirFor();
    const { runId } = storeRuns(dir);
    const token = 'b4ck7e57'.repeat(4);
    const s = await start(dir, { DASHBOARD_TOKEN: token });
    for (const route of ['/backtests', '/api/backtests', `/backtest?id=${runId}`, `/api/backtest?id=${runId}`, `/api/backtests/compare?ids=${runId},${runId + 1}`]) {
      expect([route, (await s.get(route)).status]).toEqual([route, 401]);
    }
    const list = await s.get('/api/backtests', { Authorization: `Bearer ${token}` });
    expect(list.status).toBe(200);
    expect((JSON.parse(list.body) as { total: number }).total).toBe(3);
  });
});

describeWithTools('the Backtests page in a browser', [CHROMIUM], () => {
  const temp = makeTempDir('dashboard-backtests-browser');
  afterAll(() => temp.cleanup());

  it('draws the run\'s equity with uPlot, without a console error', async () => {
    const dbPath = path.join(temp.dir, 'trading.db');
    const runId = saveRunWithChildren(dbPath, { run: RUN, trades: TWO_AGENT_TRADES, equity: EQUITY }, []);
    const s = await serve(temp.dir);
    const browser = await launchChromium(path.join(temp.dir, 'profile'));
    try {
      const page = await browser.newPage();
      const problems = collectPageProblems(page);
      await page.goto(`${s.url}/backtest?id=${runId}`, { waitUntil: 'load' });
      await page.waitForFunction(() => (globalThis as unknown as { __dashboard?: { charts: number } }).__dashboard?.charts === 1, undefined, { timeout: 10_000 });
      expect(await page.locator('#chart-backtest-equity .uplot').count()).toBe(1);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      await s.stop();
    }
  });
});

function between(text: string, start: string, end: string): string {
  const from = text.indexOf(start);
  if (from < 0) throw new Error(`${start} not in the page`);
  const to = text.indexOf(end, from + start.length);
  return text.slice(from + start.length, to < 0 ? undefined : to);
}

function rowOf(body: string, runId: number): string {
  return between(body, `<tr data-run-id="${runId}">`, '</tr>');
}
