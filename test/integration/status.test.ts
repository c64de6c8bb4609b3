import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import type { BrokerPosition, Execution, OrderEvent, OrderId } from '../../shared/broker/types';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../shared/db';
import { silentLogger } from '../../shared/log/logger';
import { triggersForDay } from '../../shared/schedule/due-triggers';
import { ScheduleRepository } from '../../shared/schedule/schedule-repository';
import { CompressedClock } from '../../shared/time/compressed-clock';
import { readClockAnchor } from '../../shared/time/sim-clock-file';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import type { StatusReport } from '../../scripts/status/status-model';
import { EventRecorder } from '../helpers/order-events';
import { startSimGateway, type SimGatewayProcess } from '../helpers/sim-gateway-process';
import { distFile, makeTempDir, PROJECT_ROOT } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';
import { waitUntil } from '../helpers/wait-until';

/**
 * The compiled `status` console against a DB we fill by hand, a real sim-gateway holding matching
 * positions and orders, and a temporary PM2_HOME (never the real ~/.pm2).
 */

interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const temp = makeTempDir('status');
const dbPath = path.join(temp.dir, 'trading.db');
/** Does not exist: status must not create it (nor start a PM2 daemon there). */
const pm2Home = path.join(temp.dir, 'pm2-home');
let gateway: SimGatewayProcess;
let trader: IbBrokerAdapter;
let recorder: EventRecorder;
let clock: CompressedClock;
const ids: Record<string, string> = {};
let symbols: string[];
/** What the simulated account held before the test traded (realistic profile: a long-held stock, a share class, options, a EUR stock). */
let foreign: BrokerPosition[];
const isUsdStock = (p: BrokerPosition) => p.secType === 'STK' && p.currency === 'USD';
let protectedOrderIds: { stop: number; target: number };

function runStatus(args: string[], env: Record<string, string> = {}): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [distFile('scripts/status.ts'), ...args], {
      env: testEnv({
        ...gateway.env, MODE: 'SIM', IB_PORT: String(gateway.port), DB_PATH: dbPath, PM2_HOME: pm2Home, NO_COLOR: '',
        // Generous, so the fresh beat we wrote stays fresh on a slow machine; the 120 s old one is stale either way.
        // The startup grace likewise: the reconciler's beat says it is still connecting, and must read so.
        HEARTBEAT_STALE_MS: '60000', STARTUP_GRACE_MS: '600000', ...env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // SHOW_OUTPUT=1 npx jest test/integration/status.test.ts prints every run's output.
      if (process.env.SHOW_OUTPUT) process.stderr.write(`--- status ${args.join(' ')} → ${code}\n${stdout}${stderr}\n`);
      resolve({ code, stdout, stderr });
    });
  });
}

async function statusJson(env: Record<string, string> = {}): Promise<StatusReport> {
  const result = await runStatus(['--json'], env);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout.trim().split('\n')).toHaveLength(1); // one JSON object
  return JSON.parse(result.stdout) as StatusReport;
}

function pm2(args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(PROJECT_ROOT, 'node_modules/.bin/pm2'), args, { env: testEnv({ PM2_HOME: pm2Home }), stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', resolve);
  });
}

async function marketBuy(symbol: string, quantity: number, orderRef: string): Promise<Execution[]> {
  const orderId = await trader.placeOrder({ orderRef, symbol, side: 'BUY', quantity, type: 'MKT', tif: 'DAY' });
  await recorder.waitForOrder((e) => e.kind === 'status' && e.orderId === orderId && e.status === 'Filled', 10_000, `fill of ${orderRef}`);
  return recorder.waitFor(() => {
    const fills = fillsOf(orderId);
    return fills.reduce((sum, f) => sum + f.quantity, 0) === quantity ? fills : undefined;
  }, 10_000, `executions of ${orderRef}`);
}

function fillsOf(orderId: OrderId): Execution[] {
  return recorder.orderEvents.filter((e): e is Extract<OrderEvent, { kind: 'filled' }> => e.kind === 'filled' && e.orderId === orderId).map((e) => e.execution);
}

function claim(repos: Repositories, symbol: string, quantity: number): string {
  const result = repos.positions.claimSymbol({ symbol, tradingDay: tradingDayOf(clock.now()), agentName: 'test-agent', maxOpenPositions: 10, requestedQuantity: quantity });
  if (!result.ok) throw new Error(`claim of ${symbol} refused: ${result.reason}`);
  return result.position.id;
}

async function placeAndWait(request: Parameters<IbBrokerAdapter['placeOrder']>[0]): Promise<number> {
  const orderId = await trader.placeOrder(request);
  await recorder.waitForOrder((e) => e.kind === 'accepted' && e.orderId === orderId, 10_000, `${request.orderRef} accepted`);
  return orderId;
}

/** The DB as the bots would have left it mid-morning, matching what the gateway holds. */
async function fillDatabase(db: Db): Promise<void> {
  const repos = createRepositories(db, clock, 'test');
  const [unprotected, protectedSymbol, missing, closed, ghost] = symbols;
  const tenMarketMinutesAgo = clock.now() - 10 * 60_000; // a minute of real time at speed 10: well past the grace

  ids.unprotected = claim(repos, unprotected!, 100);
  for (const fill of await marketBuy(unprotected!, 100, ids.unprotected)) {
    repos.ledger.recordEntryFill(ids.unprotected, { execId: fill.execId, symbol: fill.symbol, side: fill.side, quantity: fill.quantity, price: fill.price, executedAtMs: tenMarketMinutesAgo });
  }

  ids.protected = claim(repos, protectedSymbol!, 50);
  for (const fill of await marketBuy(protectedSymbol!, 50, ids.protected)) {
    repos.ledger.recordEntryFill(ids.protected, { execId: fill.execId, symbol: fill.symbol, side: fill.side, quantity: fill.quantity, price: fill.price, executedAtMs: fill.timeMs });
  }
  const ocaGroup = `${ids.protected}:OCA:1`;
  protectedOrderIds = {
    stop: await placeAndWait({ orderRef: `${ids.protected}:SL:1`, symbol: protectedSymbol!, side: 'SELL', quantity: 50, type: 'STP', stopPrice: 1, tif: 'GTC', ocaGroup, ocaType: 2 }),
    target: await placeAndWait({ orderRef: `${ids.protected}:TP:1`, symbol: protectedSymbol!, side: 'SELL', quantity: 50, type: 'LMT', limitPrice: 99_999, tif: 'GTC', ocaGroup, ocaType: 2 }),
  };
  repos.positions.updateActivePosition(ids.protected, {
    status: 'PROTECTED', stopOrderId: protectedOrderIds.stop, targetOrderId: protectedOrderIds.target, ocaGroup, protectedQuantity: 50, stopLossPrice: 1, profitTargetPrice: 99_999,
  });

  // PROTECTED in the DB and held at the broker, but its stop and target are not working there.
  ids.missing = claim(repos, missing!, 10);
  for (const fill of await marketBuy(missing!, 10, ids.missing)) {
    repos.ledger.recordEntryFill(ids.missing, { execId: fill.execId, symbol: fill.symbol, side: fill.side, quantity: fill.quantity, price: fill.price, executedAtMs: fill.timeMs });
  }
  repos.positions.updateActivePosition(ids.missing, { status: 'PROTECTED', stopOrderId: 990_001, targetOrderId: 990_002, stopLossPrice: 1, profitTargetPrice: 99_999, protectedQuantity: 10 });

  // In the DB only: the broker is flat (a discrepancy for the reconciler, nothing to protect).
  ids.ghost = repos.positions.addActivePosition({ symbol: ghost!, quantity: 15, entryPrice: 20, agentName: 'test-agent', status: 'OPEN', tradingDay: tradingDayOf(clock.now()) }).id;

  ids.closed = claim(repos, closed!, 10);
  repos.ledger.recordEntryFill(ids.closed, { execId: 'status-test-entry', symbol: closed!, side: 'BUY', quantity: 10, price: 50, commission: 1, executedAtMs: clock.now() - 60_000 });
  repos.ledger.recordExit(ids.closed, { execId: 'status-test-exit', symbol: closed!, side: 'SELL', quantity: 10, price: 52, commission: 1, executedAtMs: clock.now() }, 'PROFIT_TARGET');

  repos.reconciliation.record({ tradingDay: tradingDayOf(clock.now()), trigger: 'interval', status: 'REPAIRED', symbols: 3, discrepancies: 2, repaired: 1, flagged: 1, unrealizedPnl: null, details: [], error: null });
  const beat = { pid: 4242, startedAtMs: Date.now() - 60_000, readyAtMs: Date.now() - 55_000, progressAtMs: Date.now(), loopLagMs: 1, brokerDownSinceMs: null };
  repos.heartbeats.beat({ ...beat, app: 'exit-manager', state: 'ready', beatAtMs: Date.now(), brokerConnected: true, detail: { protecting: true, brokerLinkedOnce: true } });
  repos.heartbeats.beat({
    ...beat, app: 'day-trader', state: 'ready', beatAtMs: Date.now() - 120_000, brokerConnected: false, brokerDownSinceMs: Date.now() - 150_000,
    detail: { brokerLinkedOnce: true, marketData: { type: 'delayed', reason: 'no live subscription (10089)' } },
  });
  // Just started, not linked to the broker yet: "connecting", not an alert.
  repos.heartbeats.beat({
    ...beat, app: 'reconciler', state: 'starting', startedAtMs: Date.now() - 700, readyAtMs: null, beatAtMs: Date.now(), brokerConnected: false,
    brokerDownSinceMs: Date.now() - 700, detail: { brokerLinkedOnce: false },
  });
  // The reconciler's record of what is not the bots' (it writes this table from each complete broker snapshot).
  const insert = db.prepare(`INSERT INTO broker_positions (con_id, account, symbol, sec_type, currency, description, quantity, average_cost, ours_quantity,
    foreign_quantity, handling, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`);
  for (const p of foreign) {
    insert.run(p.conId, p.account, p.symbol, p.secType, p.currency, p.description, p.quantity, p.averageCost, p.quantity, isUsdStock(p) ? 'ignored' : 'not-tradable', new Date(clock.now()).toISOString());
  }
  repos.events.record('exit-manager', 'protection_rejected', { code: 201 }, protectedSymbol, 'error');
  repos.events.record('reconciler', 'position_flagged', { why: 'test' }, missing, 'warn');
  repos.events.record('day-trader', 'claim_made', {}, unprotected, 'info');
  const scan = triggersForDay(tradingDayOf(clock.now()), { scanTimes: ['09:35'], reconcileAfterCloseMinutes: 5, reportAfterCloseMinutes: 10 })[0]!;
  expect(new ScheduleRepository(db, clock).fire(scan)).toBe(true);
  ids.scanKey = scan.key;
}

beforeAll(async () => {
  gateway = await startSimGateway({ dir: temp.dir, speed: 10, dayStart: '09:45' });
  clock = new CompressedClock(readClockAnchor(gateway.env.SIM_CLOCK_FILE!)!);
  let lastId = 0;
  trader = new IbBrokerAdapter({
    host: '127.0.0.1', port: gateway.port, clientId: 32, connectTimeoutMs: 3_000, requestTimeoutMs: 5_000, livenessIntervalMs: 500,
    livenessTimeoutMs: 5_000, reconnectMaxDelayMs: 500, log: silentLogger(),
    orderIds: { reserve: (_client, brokerNext) => (lastId = Math.max(lastId + 1, brokerNext)) },
  });
  recorder = new EventRecorder(trader);
  await trader.connect();
  foreign = await trader.positions();
  const held = new Set(foreign.map((p) => p.symbol));
  symbols = (await trader.scan('MOST_ACTIVE', { rows: 20 })).filter((s) => !held.has(s) && !s.includes(' ')).slice(0, 5);
  expect(symbols).toHaveLength(5);
  const db = openDatabase(dbPath);
  try {
    await fillDatabase(db);
  } finally {
    db.close();
  }
  // Reported positions trail the fills (as at IB): start once the gateway reports what was bought.
  const bought: Array<[string, number]> = [[symbols[0]!, 100], [symbols[1]!, 50], [symbols[2]!, 10]];
  await waitUntil(async () => {
    const positions = await trader.positions();
    return bought.every(([symbol, quantity]) => positions.some((p) => p.symbol === symbol && isUsdStock(p) && p.quantity === quantity));
  }, 15_000, 'the gateway reporting the bought positions', 100);
});

afterAll(async () => {
  recorder?.close();
  await trader?.disconnect();
  await gateway?.stop();
  if (fs.existsSync(pm2Home)) await pm2(['kill']);
  temp.cleanup();
});

describe('npm run status', () => {
  it('--json reports positions with live prices and protection, closed trades, reconciliation, heartbeats, schedule and problems', async () => {
    const [unprotected, protectedSymbol, missing, closed, ghost] = symbols;
    const report = await statusJson();

    expect(report.broker).toMatchObject({ reachable: true, endpoint: `127.0.0.1:${gateway.port}`, clientId: 18, problem: null, positionsKnown: true });
    expect(report.broker.accountId).toMatch(/^DU/);
    expect(report.broker.netLiquidation).toBeGreaterThan(0);
    expect(report.broker.buyingPower).toBeGreaterThan(0);
    expect(report.database).toMatchObject({ usable: true, path: dbPath, problem: null });
    expect(report.market.tradingDay).toBe(tradingDayOf(clock.now()));

    const bySymbol = new Map(report.positions.map((p) => [p.symbol, p]));
    const open = bySymbol.get(unprotected!)!;
    expect(open).toMatchObject({ positionId: ids.unprotected, status: 'OPEN', quantity: 100, brokerQuantity: 100, protection: 'UNPROTECTED', source: 'db_and_broker' });
    expect(open.lastPrice).toBeGreaterThan(0);
    expect(open.unrealizedPnl).toBeCloseTo((open.lastPrice! - open.entryPrice!) * 100, 6);
    expect(open.unprotectedForMs).toBeGreaterThan(5_000);

    expect(bySymbol.get(protectedSymbol!)).toMatchObject({
      positionId: ids.protected, status: 'PROTECTED', brokerQuantity: 50, protection: 'PROTECTED', stopOrderId: protectedOrderIds.stop,
      targetOrderId: protectedOrderIds.target, stopLossPrice: 1, profitTargetPrice: 99_999,
    });
    expect(bySymbol.get(missing!)).toMatchObject({ positionId: ids.missing, status: 'PROTECTED', brokerQuantity: 10, protection: 'PROTECTION_MISSING', stopOrderId: 990_001 });
    expect(bySymbol.get(ghost!)).toMatchObject({ positionId: ids.ghost, status: 'OPEN', quantity: 15, brokerQuantity: 0, protection: 'FLAT_AT_BROKER', unrealizedPnl: null });
    expect(report.positions).toHaveLength(4);

    // Exposure comes first, before every other alert.
    const exposure = report.alerts.slice(0, 2);
    expect(exposure.some((a) => a.startsWith(`UNPROTECTED: ${unprotected} +100 has been OPEN for`))).toBe(true);
    expect(exposure.some((a) => a.startsWith(`PROTECTION MISSING: ${missing} +10 is PROTECTED in the DB but stop #990001`))).toBe(true);
    expect(report.alerts.filter((a) => a.startsWith('UNPROTECTED') || a.startsWith('PROTECTION MISSING'))).toHaveLength(2);
    expect(report.alerts).toContain(`MISMATCH: ${ghost} DB +15 vs broker 0 (the reconciler repairs or flags it)`);
    expect(report.alerts.some((a) => a.startsWith('day-trader heartbeat is'))).toBe(false); // PM2 does not run it: a stale beat is no hang

    expect(report.closedToday).toEqual([expect.objectContaining({ symbol: closed, positionId: ids.closed, exitReason: 'PROFIT_TARGET', quantity: 10, exitPrice: 52 })]);
    expect(report.closedToday[0]!.realizedPnl).toBeCloseTo(18, 6); // 2 × 10 − 2 commissions
    expect(report.pnl.realized).toBeCloseTo(18, 6);
    expect(report.pnl.unrealizedComplete).toBe(true);
    expect(report.pnl.total).toBeCloseTo(18 + report.pnl.unrealized!, 6);

    expect(report.reconciliation).toMatchObject({ status: 'REPAIRED', discrepancies: 2, repaired: 1, flagged: 1, trigger: 'interval' });
    expect(report.schedule.recent.map((t) => t.key)).toEqual([ids.scanKey]);
    expect(report.schedule.next).not.toBeNull();
    expect(Date.parse(report.schedule.next!.dueAt)).toBeGreaterThan(clock.now() - 5_000);
    expect(report.events.map((e) => e.event)).toEqual(['position_flagged', 'protection_rejected']);

    expect(report.processes.pm2).toBe('not_running');
    const apps = new Map(report.processes.apps.map((a) => [a.name, a]));
    expect([...apps.keys()]).toEqual(['sim-gateway', 'exit-manager', 'day-trader', 'reconciler', 'supervisor']);
    for (const app of apps.values()) expect(app.pm2Status).toBe('not running');
    expect(apps.get('exit-manager')!.heartbeat).toMatchObject({ state: 'ready', stale: false, brokerConnected: true, protecting: true });
    expect(apps.get('day-trader')!.heartbeat).toMatchObject({ stale: true, brokerConnected: false, protecting: null });
    expect(apps.get('day-trader')!.heartbeat!.brokerDownForMs).toBeGreaterThan(100_000);
    expect(apps.get('reconciler')!.heartbeat).toMatchObject({ state: 'starting', brokerConnected: false, brokerLink: 'connecting' });
    expect(report.alerts.some((a) => a.startsWith('reconciler'))).toBe(false);
    expect(apps.get('day-trader')!.heartbeat).toMatchObject({ brokerLink: 'down', marketData: { type: 'delayed', reason: 'no live subscription (10089)' } });
    expect(apps.get('exit-manager')!.heartbeat!.marketData).toBeNull();

    // The account's own holdings are listed as not the bots', never as untracked positions of theirs.
    expect(report.halt).toBeNull();
    expect(report.foreignPositions.map((f) => [f.description, f.quantity, f.handling]).sort()).toEqual(
      foreign.map((p) => [p.description, p.quantity, isUsdStock(p) ? 'ignored' : 'not-tradable']).sort(),
    );
    for (const p of foreign) expect(report.positions.some((line) => line.symbol === p.symbol && line.source === 'broker_only')).toBe(false);
    // Asking about PM2 must not start it: the temporary PM2_HOME was never even created.
    expect(fs.existsSync(pm2Home)).toBe(false);
  });

  it('prints the same as tables without colour codes when piped', async () => {
    const [unprotected] = symbols;
    const result = await runStatus([]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/\x1b\[/);
    for (const section of ['ALERTS', 'PROCESSES', 'BROKER', 'ACTIVE POSITIONS (4)', `NOT THE BOTS' POSITIONS (${foreign.length})`, 'CLOSED TODAY (1)', 'DAY P&L', 'RECONCILIATION', 'SCHEDULE', 'RECENT WARNINGS AND ERRORS (2)']) {
      expect(result.stdout).toContain(section);
    }
    expect(result.stdout).toMatch(/reconciler .*starting .*connecting \d+/);
    expect(result.stdout).toMatch(/day-trader .*market data delayed \(no live subscription \(10089\)\)/);
    expect(result.stdout).not.toContain('TRADING HALTED');
    expect(result.stdout).toMatch(new RegExp(`${unprotected}.*UNPROTECTED`));
    expect(result.stdout).toContain('PM2 is not running');
  });

  it('reads the PM2 process list when a PM2 daemon runs, and leaves it running', async () => {
    const script = path.join(temp.dir, 'idle-app.js');
    fs.writeFileSync(script, 'setInterval(() => undefined, 1000);\n');
    expect(await pm2(['start', script, '--name', 'reconciler'])).toBe(0);
    try {
      const report = await statusJson();
      expect(report.processes.pm2).toBe('running');
      const reconciler = report.processes.apps.find((a) => a.name === 'reconciler')!;
      expect(reconciler.pm2Status).toBe('online');
      expect(reconciler.pid).toBeGreaterThan(0);
      expect(reconciler.restarts).toBe(0);
      expect(reconciler.uptimeMs).toBeGreaterThanOrEqual(0);
      expect(report.processes.apps.find((a) => a.name === 'sim-gateway')!.pm2Status).toBe('not running');
      expect(await pm2(['ping'])).toBe(0);
    } finally {
      expect(await pm2(['kill'])).toBe(0);
    }
  });

  it('with a missing DB says so with the fix, still reports PM2 and the broker, and does not create the file', async () => {
    const missingPath = path.join(temp.dir, 'nowhere', 'trading.db');
    const report = await statusJson({ DB_PATH: missingPath });
    expect(report.database).toMatchObject({ usable: false, path: missingPath, problemKind: 'missing' });
    expect(report.database.problem).toContain(`no database at ${missingPath}`);
    expect(report.database.problem).toContain('set DB_PATH');
    expect(report.processes.apps).toHaveLength(5);
    expect(report.processes.pm2).toBe('not_running');
    expect(report.broker.reachable).toBe(true);
    // The broker's US stocks still show, as unknown to the DB (without it nobody can tell the bots' from the owner's);
    // the protected one is recognised by its working stop. Options and the EUR stock are never among them.
    expect(report.positions.map((p) => [p.symbol, p.source, p.brokerQuantity, p.protection]).sort()).toEqual([
      [symbols[0], 'broker_only', 100, 'UNPROTECTED'],
      [symbols[1], 'broker_only', 50, 'PROTECTED'],
      [symbols[2], 'broker_only', 10, 'UNPROTECTED'],
      ...foreign.filter(isUsdStock).map((p) => [p.symbol, 'broker_only', p.quantity, 'UNPROTECTED']),
    ].sort());
    expect(report.foreignPositions).toEqual([]);
    expect(report.halt).toBeNull();
    expect(report.pnl.realized).toBeNull();
    expect(report.pnl.total).toBeNull();
    expect(fs.existsSync(missingPath)).toBe(false);

    const text = await runStatus([], { DB_PATH: missingPath });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('DATABASE  cannot be read (missing)');
    expect(text.stdout).toContain('PROCESSES');
    expect(text.stdout).toContain('BROKER');
  });

  it('shows an active trading halt in --json and as a banner at the top of the text, and nothing once it is lifted', async () => {
    const db = openDatabase(dbPath);
    try {
      createRepositories(db, clock, 'liquidate').halts.set('emergency liquidation', 'liquidate', { path: 'market-now' });
    } finally {
      db.close();
    }
    const report = await statusJson();
    expect(report.halt).toMatchObject({ reason: 'emergency liquidation', setBy: 'liquidate', detail: { path: 'market-now' } });
    expect(report.halt!.setAtNewYork).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const text = await runStatus([]);
    expect(text.code).toBe(0);
    const banner = text.stdout.split('\n').slice(0, 3);
    expect(banner[1]).toBe(`TRADING HALTED by liquidate at ${report.halt!.setAtNewYork} ET (emergency liquidation) — no entries, no protection changes; lift with npm run liquidate -- --resume`);

    const lift = openDatabase(dbPath);
    try {
      expect(createRepositories(lift, clock, 'test').halts.lift('test')).toBe(true);
    } finally {
      lift.close();
    }
    expect((await statusJson()).halt).toBeNull();
  });

  it('with the gateway stopped says the broker is unreachable and still shows the DB data', async () => {
    const [unprotected] = symbols;
    const port = gateway.port;
    await gateway.stop();
    const report = await statusJson();
    expect(report.broker.reachable).toBe(false);
    expect(report.broker.problem).toContain(`gateway at 127.0.0.1:${port} is not answering`);
    expect(report.alerts).toContain(`broker: gateway at 127.0.0.1:${port} is not answering`);
    expect(report.positions.map((p) => p.symbol).sort()).toEqual(symbols.slice(0, 5).filter((s) => s !== symbols[3]).sort());
    const open = report.positions.find((p) => p.symbol === unprotected)!;
    expect(open).toMatchObject({ brokerQuantity: null, lastPrice: null, unrealizedPnl: null, protection: 'UNPROTECTED' });
    expect(report.closedToday).toHaveLength(1);
    expect(report.pnl).toMatchObject({ unrealized: null, total: null, unrealizedComplete: false });
    expect(report.pnl.realized).toBeCloseTo(18, 6);
    expect(report.reconciliation?.status).toBe('REPAIRED');
  });

  it('with a corrupt DB says so and exits 0', async () => {
    const corruptPath = path.join(temp.dir, 'corrupt.db');
    fs.writeFileSync(corruptPath, 'not a database\n'.repeat(100));
    const report = await statusJson({ DB_PATH: corruptPath });
    expect(report.database).toMatchObject({ usable: false, problemKind: 'corrupt' });
    expect(report.database.problem).toContain('corrupt');
  });

  it('exits 78 on bad configuration', async () => {
    const result = await runStatus(['--json'], { IB_PORT: 'not-a-port' });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('IB_PORT');
  });
});
