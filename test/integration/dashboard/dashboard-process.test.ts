import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { TradeHistoryRepository } from '../../../shared/history/trade-history-repository';
import { memoryLogger } from '../../../shared/log/logger';
import { ProcessMetrics } from '../../../shared/metrics/process-metrics';
import { HeartbeatPublisher } from '../../../shared/process/heartbeat-publisher';
import { LivenessFiles, livenessDirFor } from '../../../shared/process/liveness-file';
import { SystemClock } from '../../../shared/time/clock';
import { newYorkTime, previousTradingDay, tradingDayOf } from '../../../shared/time/trading-calendar';
import type { StatusReport } from '../../../scripts/status/status-model';
import { startDashboard, SseReader, type DashboardProcess } from '../../helpers/dashboard-process';
import { freePort } from '../../helpers/ports';
import { missingTools, PROMTOOL } from '../../helpers/required-tools';
import { distFile, makeTempDir, PROJECT_ROOT } from '../../helpers/temp-dir';
import { testEnv } from '../../helpers/test-env';
import { waitUntil } from '../../helpers/wait-until';

/**
 * The compiled dashboard as a real process on a free port, against real SQLite files written by this test
 * (as the bots would write them): no DB yet, an empty DB, a trading day, a write lock held by another
 * process, a DB nobody can read; live pushes over SSE with DB event ids; the token; /metrics.
 * SIM_SPEED=1: the dashboard's market clock is the system clock, like this test's.
 */
const ENV = { SIM_SPEED: '1' };

describe('the dashboard process', () => {
  const temp = makeTempDir('dashboard');
  let n = 0;
  const started: DashboardProcess[] = [];
  const dirFor = () => {
    const dir = path.join(temp.dir, `d${n++}`);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };
  const start = async (dir: string, env: Record<string, string> = {}) => {
    const d = await startDashboard(dir, { ...ENV, ...env });
    started.push(d);
    return d;
  };
  afterAll(async () => {
    for (const d of started) await d.stop();
    temp.cleanup();
  });

  const clock = new SystemClock();
  const today = () => tradingDayOf(clock.now());

  function openWriter(dir: string): { db: Db; repos: Repositories } {
    const db = openDatabase(path.join(dir, 'trading.db'));
    return { db, repos: createRepositories(db, clock, 'test-writer') };
  }

  /** A protected position of the bots, as the day-trader and the exit manager leave it. */
  function holdPosition(repos: Repositories, symbol: string, quantity: number, price: number, execId = `e-${symbol}`): string {
    const claim = repos.positions.claimSymbol({ symbol, tradingDay: today(), agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: quantity, stopLossPrice: price * 0.99, profitTargetPrice: price * 1.02 });
    if (!claim.ok) throw new Error(claim.reason);
    repos.ledger.recordEntryFill(claim.position.id, { execId, symbol, side: 'BUY', quantity, price, commission: 1, executedAtMs: clock.now() });
    return claim.position.id;
  }

  it('works before the DB exists (and never creates it), then picks it up when it appears', async () => {
    const dir = dirFor();
    const d = await start(dir);
    const page = await d.get('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain(`No database at ${path.join(dir, 'trading.db')} yet`);
    const status = await d.json<StatusReport>('/api/status');
    expect(status.database).toMatchObject({ usable: false, problemKind: 'missing' });
    expect(status.processes.pm2).toBe('not_running');
    expect((await d.json<{ db: unknown }>('/healthz')).db).toEqual({ usable: false, kind: 'missing' });
    expect((await d.get('/metrics')).body).toMatch(/^ibdt_db_readable 0$/m);
    expect(fs.existsSync(path.join(dir, 'trading.db'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'pm2-home-without-daemon', 'pm2.pid'))).toBe(false);

    const { db } = openWriter(dir); // the first bot starts: an empty DB
    await waitUntil(async () => !(await d.get('/')).body.includes('No database'), 10_000, 'the page seeing the new DB');
    const overview = await d.get('/');
    expect(overview.body).toContain('No open positions.');
    expect(overview.body).toContain('No trades closed today.');
    for (const route of ['/performance', '/trades', '/portfolio', '/operations', '/backtests', '/api/performance', '/api/trades', '/api/operations', '/api/portfolio', '/api/snapshots', '/api/backtests']) {
      expect([route, (await d.get(route)).status]).toEqual([route, 200]);
    }
    db.close();
  });

  it('serves /api/status with the content of npm run status -- --json', async () => {
    const dir = dirFor();
    const { db, repos } = openWriter(dir);
    holdPosition(repos, 'NOVA', 100, 50);
    const closedId = holdPosition(repos, 'HELI', 40, 20, 'e-heli');
    repos.ledger.recordExit(closedId, { execId: 'x-heli', symbol: 'HELI', side: 'SELL', quantity: 40, price: 21, commission: 1, executedAtMs: clock.now() }, 'PROFIT_TARGET');
    repos.events.record('supervisor', 'bot_restarted', { target: 'day-trader' }, null, 'error');
    db.close();
    const d = await start(dir);
    const fromDashboard = await d.json<StatusReport>('/api/status');
    const cli = spawnSync(process.execPath, [distFile('scripts/status.ts'), '--json'], { env: d.env, encoding: 'utf8', cwd: PROJECT_ROOT, timeout: 30_000 });
    expect(cli.status).toBe(0);
    const fromCli = JSON.parse(cli.stdout) as StatusReport;
    // Two reads a few hundred ms apart differ in what the clock moves (times, ages) and in how the gateway's
    // refusal is worded; and each asks the gateway with its own client id (the console 18, the dashboard 16).
    expect(fromCli.broker.clientId).toBe(18);
    expect(fromDashboard.broker.clientId).toBe(16);
    expect(steady(fromDashboard)).toEqual(steady(fromCli));
    expect(fromDashboard.positions.map((p) => p.symbol)).toEqual(['NOVA']);
    expect(fromDashboard.closedToday.map((c) => c.exitReason)).toEqual(['PROFIT_TARGET']);
  });

  it('pushes DB changes live, with DB event ids as SSE ids, and a reconnecting client gets what it missed', async () => {
    const dir = dirFor();
    const { db, repos } = openWriter(dir);
    const d = await start(dir);
    const sse = new SseReader(`${d.url}/api/events`);
    await sse.open();
    expect(sse.status).toBe(200);
    await sse.waitFor(() => sse.of('state').length > 0, 10_000, 'the first state');

    // A claim and its fill, as the day-trader books them (two commits): a state shows the filled position.
    holdPosition(repos, 'NOVA', 100, 50);
    const state = await sse.waitFor(() => sse.of('state').find((m) => m.json.summary.positions.some((p: { symbol: string; quantity: number }) => p.symbol === 'NOVA' && p.quantity === 100)), 10_000, 'a state with NOVA filled');
    expect(state.json.summary.fills).toBe(1);
    expect(state.json.summary.lastFillExecId).toBe('e-NOVA');
    expect(state.json.panels['panel-positions-body']).toContain('NOVA');
    expect(state.id).toBeUndefined();

    // Audit events go out with their own DB ids.
    repos.events.record('exit-manager', 'protection_placed', { symbol: 'NOVA' }, 'NOVA');
    repos.events.record('supervisor', 'bot_restarted', { target: 'day-trader' }, null, 'error');
    const dbIds = () => db.prepare('SELECT id FROM events ORDER BY id').pluck().all().map(String);
    await sse.waitFor(() => sse.of('audit').length >= 2, 10_000, 'two audit events');
    expect(sse.of('audit').map((m) => m.id)).toEqual(dbIds().slice(-2));
    expect(sse.of('audit').map((m) => m.json.event.event)).toEqual(['protection_placed', 'bot_restarted']);
    const lastSeen = sse.of('audit').at(-1)!.id!;
    sse.close();

    // Three events while the browser is away; it comes back with Last-Event-ID.
    for (const i of [1, 2, 3]) repos.events.record('reconciler', 'missed', { i });
    const again = new SseReader(`${d.url}/api/events`, { 'Last-Event-ID': lastSeen });
    await again.open();
    await again.waitFor(() => again.of('audit').length >= 3 && again.of('state').length > 0, 10_000, 'the missed events and a state');
    expect(again.of('audit').map((m) => m.id)).toEqual(dbIds().slice(-3));
    expect(again.of('audit').map((m) => m.json.event.data.i)).toEqual([1, 2, 3]);
    again.close();

    // A client that names no event is not flooded with history.
    const fresh = new SseReader(`${d.url}/api/events`);
    await fresh.open();
    await fresh.waitFor(() => fresh.of('state').length > 0, 10_000, 'a state for a fresh client');
    expect(fresh.of('audit')).toEqual([]);
    fresh.close();
    db.close();
  });

  it('never writes to the DB, whatever is asked of it', async () => {
    const dir = dirFor();
    const { db, repos } = openWriter(dir);
    holdPosition(repos, 'NOVA', 100, 50);
    const d = await start(dir);
    const versionBefore = db.pragma('data_version', { simple: true });
    const files = () => ['trading.db', 'trading.db-wal'].map((f) => fs.statSync(path.join(dir, f)).mtimeMs);
    const mtimes = files();
    const sse = new SseReader(`${d.url}/api/events?since=1`);
    await sse.open();
    for (const route of ['/', '/api/overview', '/api/status', '/performance', '/api/performance', '/trades', '/api/trades.csv', '/portfolio', '/operations', '/backtests', '/api/backtests', '/api/audit', '/metrics', '/healthz']) {
      expect([route, (await d.get(route)).status]).toEqual([route, 200]);
    }
    expect((await d.get('/api/status', { 'X-Method-Override': 'POST' })).status).toBe(200);
    await sse.waitFor(() => sse.of('state').length > 0, 10_000, 'a state');
    sse.close();
    // data_version moves when ANOTHER connection commits: nobody did.
    expect(db.pragma('data_version', { simple: true })).toBe(versionBefore);
    expect(files()).toEqual(mtimes);
    const post = await fetch(`${d.url}/api/status`, { method: 'POST' });
    expect(post.status).toBe(405);
    db.close();
  });

  it('keeps answering while another process holds the write lock, and says what is stale', async () => {
    const dir = dirFor();
    const dbPath = path.join(dir, 'trading.db');
    const { db, repos } = openWriter(dir);
    holdPosition(repos, 'NOVA', 100, 50);
    db.close();
    const d = await start(dir);
    expect((await d.get('/')).body).not.toContain('write lock');

    // The exit manager's heartbeat, as it runs: a short busy timeout, its row, and its liveness file.
    const botDb = openDatabase(dbPath, { busyTimeoutMs: 20 });
    const heartbeat = new HeartbeatPublisher('exit-manager', createRepositories(botDb, clock, 'exit-manager').heartbeats, memoryLogger(), 100, new LivenessFiles(livenessDirFor(dbPath)));
    heartbeat.start();
    const lock = await holdWriteLock(dbPath);
    try {
      await waitUntil(() => new LivenessFiles(livenessDirFor(dbPath)).read('exit-manager')?.waitingForDbLockSinceMs, 10_000, 'the bot noticing the lock');
      const page = await waitUntil(async () => {
        const p = await d.get('/');
        return p.body.includes('write lock') ? p : undefined;
      }, 10_000, 'the page naming the lock');
      expect(page.status).toBe(200);
      expect(page.body).toMatch(/Another process has held the database(&#39;|')s write lock for [\d.]+ (ms|s): exit-manager is alive but cannot write/);
      expect(page.body).toContain('NOVA'); // the last commit is still shown
      const overview = await d.json<{ freshness: { writeLock: { blockedApps: string[] } | null }; positions: Array<{ symbol: string }> }>('/api/overview');
      expect(overview.freshness.writeLock?.blockedApps).toEqual(['exit-manager']);
      expect(overview.positions.map((p) => p.symbol)).toEqual(['NOVA']);
      const blocked = /^ibdt_db_write_blocked_seconds\{app="exit-manager"\} ([\d.e-]+)$/m.exec((await d.get('/metrics')).body);
      expect(Number(blocked?.[1])).toBeGreaterThan(0);
    } finally {
      await lock.release();
      heartbeat.stop();
      botDb.close();
    }
    await waitUntil(async () => !(await d.get('/')).body.includes('write lock'), 10_000, 'the lock notice going away');
  });

  it('shows the last good read, said as such, while the DB cannot be read, and the new file once it can', async () => {
    const dir = dirFor();
    const dbPath = path.join(dir, 'trading.db');
    const { db, repos } = openWriter(dir);
    holdPosition(repos, 'NOVA', 100, 50);
    db.close();
    const d = await start(dir);
    expect((await d.get('/')).body).toContain('NOVA');
    // The file is replaced by a corrupt one (a disk error, a bad copy): the dashboard reopens it and cannot read it.
    fs.renameSync(dbPath, path.join(dir, 'good.db'));
    fs.writeFileSync(dbPath, Buffer.alloc(8192, 0x5a));
    const page = await waitUntil(async () => {
      const p = await d.get('/');
      return p.body.includes('cannot be read') ? p : undefined;
    }, 15_000, 'the page saying the DB cannot be read');
    expect(page.body).toMatch(/The database cannot be read \(corrupt\)/);
    expect(page.body).toMatch(/figures below are from the last good read, [\d.]+ (ms|s|min)/);
    expect(page.body).toContain('NOVA');
    expect((await d.get('/metrics')).body).toMatch(/^ibdt_db_readable 0$/m);
    expect((await d.get('/trades')).status).toBe(503);
    // A fresh DB takes its place (README: move the corrupt one aside, start again): read at once.
    fs.rmSync(dbPath);
    const fresh = openWriter(dir);
    holdPosition(fresh.repos, 'HELI', 10, 20);
    fresh.db.close();
    const back = await waitUntil(async () => {
      const p = await d.get('/');
      return !p.body.includes('cannot be read') && p.body.includes('HELI') ? p : undefined;
    }, 15_000, 'the new DB read');
    expect(back.body).not.toContain('NOVA');
  });

  it('requires its token off loopback, compares it in constant time, and gives a browser a cookie', async () => {
    const dir = dirFor();
    const refused = await startDashboard(dir, { ...ENV, DASHBOARD_HOST: '0.0.0.0' }, { waitListening: false });
    expect(await refused.exited).toBe(78);
    expect(refused.output()).toMatch(/DASHBOARD_HOST=0\.0\.0\.0 is reachable from other machines, so the dashboard requires a token: set DASHBOARD_TOKEN/);

    const token = 'c0ffee'.repeat(6);
    openWriter(dir).db.close();
    const d = await start(dir, { DASHBOARD_TOKEN: token });
    expect((await d.get('/api/status')).status).toBe(401);
    expect((await d.get('/api/status', { Authorization: `Bearer ${token}x` })).status).toBe(401);
    expect((await d.get('/metrics', { Authorization: `Bearer ${token}` })).status).toBe(200);
    const first = await d.get(`/trades?symbol=NOVA&token=${token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/trades?symbol=NOVA');
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await d.get('/trades?symbol=NOVA', { Cookie: cookie })).status).toBe(200);
    const sse = new SseReader(`${d.url}/api/events`, { Cookie: cookie });
    await sse.open();
    expect(sse.status).toBe(200);
    sse.close();

    const open = await start(dirFor());
    expect((await open.get('/', { Host: `127.0.0.1:${open.port}` })).status).toBe(200);
    expect((await open.get('/', { Host: 'rebound.example.com' })).status).toBe(403);
  });

  it('refuses a port another process holds with exit 78 and the fix', async () => {
    const port = await freePort();
    const holder = net.createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => holder.once('listening', resolve));
    try {
      const d = await startDashboard(dirFor(), { ...ENV, DASHBOARD_PORT: String(port) }, { waitListening: false });
      expect(await d.exited).toBe(78);
      expect(d.output()).toMatch(/cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\): another process uses that port; set DASHBOARD_PORT/);
    } finally {
      holder.close();
    }
  });

  it('exposes the DB and every process\'s own figures on /metrics, in a format promtool accepts', async () => {
    const dir = dirFor();
    const { db, repos } = openWriter(dir);
    holdPosition(repos, 'NOVA', 100, 50);
    // The day-trader's heartbeat with its figures, as runApp publishes them.
    const figures = new ProcessMetrics('day-trader');
    figures.observeLogEvent('info', 'order_placed', { positionId: 'P-x' });
    figures.observeLogEvent('info', 'scan_started', { runId: 1 });
    figures.observeLogEvent('info', 'pipeline_completed', { runId: 1 });
    figures.observeLogEvent('warn', 'entry_rejected', {});
    const beat = new HeartbeatPublisher('day-trader', repos.heartbeats, memoryLogger(), 60_000);
    beat.setDetail({ metrics: figures });
    beat.start();
    beat.stop('ready');
    const d = await start(dir);
    const text = (await d.get('/metrics')).body;
    expect(text).toMatch(/^ibdt_open_positions 1$/m);
    expect(text).toMatch(/^ibdt_positions\{status="OPEN"\} 1$/m);
    expect(text).toMatch(/^ibdt_orders_placed_total\{app="day-trader",kind="entry"\} 1$/m);
    expect(text).toMatch(/^ibdt_order_rejects_total\{app="day-trader",kind="entry"\} 1$/m);
    expect(text).toMatch(/^ibdt_scan_duration_seconds_count\{app="day-trader"\} 1$/m);
    expect(text).toMatch(/^ibdt_scan_duration_seconds_bucket\{app="day-trader",le="\+Inf"\} 1$/m);
    expect(text).toMatch(/^ibdt_db_readable 1$/m);
    expect(text).toMatch(/^# TYPE ibdt_fill_to_protection_seconds histogram$/m);
    const problem = missingTools([PROMTOOL]);
    if (problem && process.env.CI) throw new Error(problem);
    if (!problem) {
      const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect({ status: check.status, output: `${check.stdout}${check.stderr}` }).toEqual({ status: 0, output: '' });
    } else {
      process.stderr.write(`promtool check metrics skipped: ${problem}\n`);
    }
    db.close();
  });

  it('downloads the filtered trade log as CSV, all of it, in chunks', async () => {
    const dir = dirFor();
    const { db } = openWriter(dir);
    const history = new TradeHistoryRepository(db, clock);
    const day = previousTradingDay(today());
    const trades = db.transaction(() => {
      for (let i = 0; i < 2_500; i++) {
        const symbol = i % 5 === 0 ? 'NOVA' : `S${i % 7}`;
        const entry = newYorkTime(day, '10:00') + i * 1_000;
        history.recordTrade({ positionId: `J-${i}`, symbol, agentName: 'gap', quantity: 10, entryPrice: 10, entryTimeMs: entry, commission: 1, source: 'import' });
        history.closeTrade(`J-${i}`, { exitPrice: i % 2 ? 11 : 9, exitTimeMs: entry + 60_000, exitReason: i % 2 ? 'PROFIT_TARGET' : 'STOP_LOSS' });
      }
    });
    trades.immediate();
    db.close();
    const d = await start(dir);
    const all = await d.get('/api/trades.csv');
    expect(all.headers['content-type']).toMatch(/text\/csv/);
    const lines = all.body.trim().split('\r\n');
    expect(lines[0]).toBe('position_id,symbol,agent_name,direction,status,quantity,entry_price,entry_time,exit_price,exit_time,exit_reason,commission,realized_pnl,pnl_pct,trading_day,source');
    expect(lines).toHaveLength(2_501);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(2_500);
    const nova = (await d.get('/api/trades.csv?symbol=NOVA&reason=STOP_LOSS')).body.trim().split('\r\n');
    expect(nova).toHaveLength(1 + 250);
    const page = await d.json<{ totals: { trades: number }; pages: number; trades: Array<{ positionId: string }> }>('/api/trades?pageSize=100&page=2');
    expect(page.totals.trades).toBe(2_500);
    expect(page.pages).toBe(25);
    expect(page.trades[0]!.positionId).toBe('J-2399');
    const html = await d.get('/trades?symbol=NOVA');
    expect(html.body).toContain('500 closed trades');
    expect(html.body).toContain('href="/api/trades.csv?symbol=NOVA"');
  });
});

/** The report without what moves between two reads: times, ages and durations, the broker's client and refusal. */
function steady(report: StatusReport): unknown {
  const walk = (value: unknown, key = ''): unknown => {
    if (Array.isArray(value)) return value.map((v) => walk(v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    if (typeof value === 'number' && /(Ms|At)$/.test(key)) return 0;
    return value;
  };
  return walk({
    ...report, generatedAt: 'x', market: { ...report.market, time: 'x', newYorkTime: 'x' },
    broker: { ...report.broker, clientId: 0, problem: report.broker.problem?.replace(/:.*$/, '') },
    alerts: report.alerts.map((a) => a.replace(/gateway at [^ ]+ is not answering.*/, 'gateway not answering')),
  });
}

/** Another process holding the DB's write lock (BEGIN IMMEDIATE) until told to let go, like a sqlite3 shell. */
function holdWriteLock(dbPath: string) {
  return holdWith(dbPath, "db.exec('BEGIN IMMEDIATE');", "db.exec('COMMIT');");
}

async function holdWith(dbPath: string, take: string, release: string): Promise<{ release(): Promise<void> }> {
  const script = `const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(process.argv[1]);
    ${take} process.stdout.write('locked\\n');
    process.stdin.once('data', () => { ${release} db.close(); process.stdout.write('released\\n'); process.exit(0); });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script, dbPath], { cwd: PROJECT_ROOT, env: testEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitUntil(() => output.includes('locked') || child.exitCode !== null, 10_000, 'the lock holder holding the lock');
  if (!output.includes('locked')) throw new Error(`the lock holder failed: ${output}`);
  return {
    release: async () => {
      child.stdin!.write('release\n');
      expect({ code: await exited, output }).toEqual({ code: 0, output: 'locked\nreleased\n' });
    },
  };
}
