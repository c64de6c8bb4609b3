import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import type { BrokerPosition } from '../../shared/broker/types';
import { createRepositories, openDatabase } from '../../shared/db';
import { LATEST_SCHEMA_VERSION } from '../../shared/db/migrations';
import { silentLogger } from '../../shared/log/logger';
import { CompressedClock } from '../../shared/time/compressed-clock';
import { readClockAnchor } from '../../shared/time/sim-clock-file';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { CHECK_IDS, type CheckResult, type DoctorReport } from '../../scripts/doctor/doctor-model';
import { EventRecorder } from '../helpers/order-events';
import { freePort } from '../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../helpers/sim-gateway-process';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';

/**
 * The compiled `doctor` as a child process with a clean environment, against real sim-gateway processes
 * (the realistic profile: delayed-only data and holdings the bots never bought; the ideal profile: live data,
 * nothing held) and real DB files.
 */

interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const temp = makeTempDir('doctor');
let realistic: SimGatewayProcess;
let ideal: SimGatewayProcess;
/** Another program's client on the realistic gateway: it reads what the account holds and places an order that is not the bots'. */
let other: IbBrokerAdapter;
let held: BrokerPosition[];
const freshDb = path.join(temp.dir, 'fresh.db');

function runDoctor(gateway: SimGatewayProcess | undefined, args: string[], env: Record<string, string> = {}): Promise<DoctorRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [distFile('scripts/doctor.ts'), ...args], {
      env: testEnv({
        ...(gateway?.env ?? {}), MODE: 'SIM', ...(gateway ? { IB_PORT: String(gateway.port) } : {}), DB_PATH: freshDb,
        LOG_DIR: path.join(temp.dir, 'logs'), ...env,
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
      // SHOW_OUTPUT=1 npx jest test/integration/doctor.test.ts prints every run.
      if (process.env.SHOW_OUTPUT) process.stderr.write(`--- doctor ${args.join(' ')} → ${code}\n${stdout}${stderr}\n`);
      resolve({ code, stdout, stderr });
    });
  });
}

async function doctorJson(gateway: SimGatewayProcess | undefined, env: Record<string, string> = {}, args: string[] = []): Promise<{ code: number | null; report: DoctorReport }> {
  const run = await runDoctor(gateway, ['--json', ...args], env);
  expect(run.stderr).toBe('');
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  return { code: run.code, report: JSON.parse(run.stdout) as DoctorReport };
}

function checkOf(report: DoctorReport, id: CheckResult['id']): CheckResult {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} check in ${JSON.stringify(report.checks.map((c) => c.id))}`);
  return found;
}

async function probeOrders(gateway: SimGatewayProcess): Promise<Array<{ orderRef: string; status: string; clientId: number }>> {
  const state = await gateway.admin<{ orders: Array<{ orderRef: string; status: string; clientId: number }> }>('GET /state');
  return state.orders.filter((o) => o.orderRef.startsWith('DOCTOR-PROBE-'));
}

beforeAll(async () => {
  [realistic, ideal] = await Promise.all([
    startSimGateway({ dir: path.join(temp.dir, 'realistic'), speed: 10 }),
    startSimGateway({ dir: path.join(temp.dir, 'ideal'), speed: 10, extraEnv: { SIM_PROFILE: 'ideal' } }),
  ]);
  let lastId = 0;
  other = new IbBrokerAdapter({
    host: '127.0.0.1', port: realistic.port, clientId: 32, connectTimeoutMs: 3_000, requestTimeoutMs: 5_000, livenessIntervalMs: 500,
    livenessTimeoutMs: 5_000, reconnectMaxDelayMs: 500, log: silentLogger(),
    orderIds: { reserve: (_client, brokerNext) => (lastId = Math.max(lastId + 1, brokerNext)) },
  });
  await other.connect();
  held = await other.positions();
  // A fresh, real DB, as the first bot to start leaves it.
  openDatabase(freshDb).close();
});

afterAll(async () => {
  await other?.disconnect();
  await Promise.all([realistic?.stop(), ideal?.stop()]);
  temp.cleanup();
});

describe('npm run doctor against the simulator', () => {
  it('realistic profile: READY TO TRADE with warnings that name the delayed data and the foreign holdings, and what the policy does with them', async () => {
    // The realistic account holds a stock, a share class, options and a EUR stock nobody bought through the API.
    expect(held.map((p) => p.secType).sort()).toEqual(['OPT', 'OPT', 'STK', 'STK', 'STK']);
    const run = await runDoctor(realistic, []);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[2]).toBe('READY TO TRADE — with 2 warnings to read: market data, foreign positions');
    expect(lines[lines.length - 1]).toBe('READY TO TRADE (2 warnings) — exit 0');
    expect(run.stdout).toMatch(/! warn {2}market data +delayed data only \(.+\): IB's 15-minute delayed quotes — the bots will trade on quotes 15 minutes old/);
    expect(run.stdout).toMatch(/10089 no real-time subscription; delayed data is available/);
    expect(run.stdout).toMatch(/! warn {2}foreign positions +5 position\(s\) the bots did not open: .*FOREIGN_POSITIONS=ignore: US stocks are left alone/);
    for (const position of held) {
      const line = run.stdout.split('\n').find((l) => l.trim().startsWith(position.description));
      expect(line).toBeDefined();
      expect(line).toContain(position.secType === 'OPT' ? 'an option: never touched' : position.currency !== 'USD' ? 'a stock in EUR: never touched' : 'left alone: never protected, never sold');
    }
    // SIM says what it cannot verify, and passes the rest.
    expect(run.stdout).toMatch(/✓ ok {4}master API client ID +cannot be verified in SIM/);
    expect(run.stdout).toMatch(/✓ ok {4}clock skew +the simulator's market clock and the bots' market clock \(compressed clock/);
    expect(run.stdout).toMatch(/✓ ok {4}trading session +open now until 16:00 ET/);
    // Read-only: the doctor placed nothing.
    expect(await probeOrders(realistic)).toEqual([]);
  });

  it('--json prints one object with the verdict and every check, with the documented keys', async () => {
    const { code, report } = await doctorJson(realistic);
    expect(code).toBe(0);
    expect(report).toMatchObject({ verdict: 'READY TO TRADE', ready: true, exitCode: 0, mode: 'SIM', endpoint: `127.0.0.1:${realistic.port}`, clientId: 17, gatewayReachable: true, failed: [] });
    expect(report.warnings).toEqual(['marketData', 'foreignPositions']);
    expect(report.accounts).toEqual([held[0]!.account]);
    expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    for (const result of report.checks) {
      expect(Object.keys(result)).toEqual(expect.arrayContaining(['id', 'title', 'status', 'finding']));
      expect(['ok', 'warn', 'fail']).toContain(result.status);
    }
    const market = checkOf(report, 'marketData').details as { symbols: Array<{ symbol: string; data: string }>; marketDataType: string };
    expect(market.marketDataType).toBe('auto');
    expect(market.symbols).toHaveLength(3);
    expect(market.symbols.every((s) => s.data === 'delayed')).toBe(true);
    const foreign = checkOf(report, 'foreignPositions').details as { positions: Array<{ conId: number; handling: string }> };
    expect(foreign.positions.map((p) => p.conId).sort()).toEqual(held.map((p) => p.conId).sort());
    expect(checkOf(report, 'historicalData').status).toBe('ok');
    expect(checkOf(report, 'database')).toMatchObject({ status: 'ok', finding: `${freshDb} opens, schema ${LATEST_SCHEMA_VERSION} (current), 0 active position row(s)` });
  });

  it('marketData "none": NOT READY, naming market data', async () => {
    await realistic.admin('POST /realism', { marketData: 'none' });
    try {
      const run = await runDoctor(realistic, []);
      expect(run.code).toBe(1);
      expect(run.stdout.split('\n')[2]).toMatch(/^NOT READY — 2 checks failed: market data, historical data/);
      expect(run.stdout).toMatch(/✗ FAIL {2}market data +no market data at all for .+ \(IB 10168 delayed data is not enabled: no data at all\)/);
      expect(run.stdout).toMatch(/✗ FAIL {2}historical data +.*IB 162 — no permission for historical data/);
      // The failed checks come first.
      expect(run.stdout.indexOf('✗ FAIL')).toBeLessThan(run.stdout.indexOf('! warn'));
    } finally {
      await realistic.admin('POST /realism', { marketData: 'delayed' });
    }
  });

  it('MARKET_DATA_TYPE=live on a delayed-only account: NOT READY, and says to switch to auto or delayed', async () => {
    const { code, report } = await doctorJson(realistic, { MARKET_DATA_TYPE: 'live' });
    expect(code).toBe(1);
    expect(report.failed).toEqual(['marketData']);
    expect(checkOf(report, 'marketData').finding).toContain('MARKET_DATA_TYPE=live refuses delayed data');
  });

  it('ideal profile: READY TO TRADE with live data and no warning', async () => {
    const run = await runDoctor(ideal, []);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[2]).toBe('READY TO TRADE — every check passed');
    expect(run.stdout).toMatch(/✓ ok {4}market data +live data for every test symbol \(/);
    expect(run.stdout).toMatch(/✓ ok {4}foreign positions +the account holds no positions/);
  });

  it('gateway down: exit 2 with the message, and in PAPER the exact IB Gateway / TWS settings to check', async () => {
    const port = await freePort();
    const sim = await runDoctor(undefined, [], { IB_PORT: String(port), IB_CONNECT_TIMEOUT_MS: '1000' });
    expect(sim.code).toBe(2);
    expect(sim.stdout).toMatch(new RegExp(`✗ FAIL {2}gateway +nothing answered at 127\\.0\\.0\\.1:${port} within 1000 ms: .*ECONNREFUSED`));
    expect(sim.stdout).toContain(`start the simulator: npm start (it starts sim-gateway on IB_PORT=${port})`);
    // What needs no gateway is still reported; what needs it is skipped, not failed.
    expect(sim.stdout).toMatch(/✓ ok {4}database /);
    expect(sim.stdout).toMatch(/- skip {2}market data +not checked: the gateway was not reached/);
    expect(sim.stdout.trimEnd().split('\n').pop()).toBe('NOT READY (gateway) — fix the failed checks above and run npm run doctor again — exit 2');

    const paper = await runDoctor(undefined, [], { MODE: 'PAPER', IB_PORT: String(port), IB_CONNECT_TIMEOUT_MS: '1000' });
    expect(paper.code).toBe(2);
    expect(paper.stdout).toContain('"Enable ActiveX and Socket Clients" checked');
    expect(paper.stdout).toContain(`"Socket port" = ${port} (IB_PORT; IB Gateway 4002 paper / 4001 live, TWS 7497 paper / 7496 live)`);
    expect(paper.stdout).toContain('"Trusted IPs" contains 127.0.0.1');
  });

  it('a wrong IB_ACCOUNT: NOT READY with the message the bots refuse with, and no probe order on it', async () => {
    const account = held[0]!.account;
    const { code, report } = await doctorJson(realistic, { IB_ACCOUNT: 'DU9999999' }, ['--probe-order']);
    expect(code).toBe(1);
    expect(report.failed).toEqual(['account']);
    expect(checkOf(report, 'account').finding).toBe(`IB_ACCOUNT=DU9999999 but the gateway manages ${account}: log in with the right user or fix IB_ACCOUNT`);
    expect(checkOf(report, 'readOnlyApi').finding).toContain('probe order not placed: the account check failed');
    expect(await probeOrders(realistic)).toEqual([]);
  });

  it('--probe-order (SIM, PAPER): places a 1-share limit far below the market and cancels it at once', async () => {
    const { code, report } = await doctorJson(realistic, {}, ['--probe-order']);
    expect(code).toBe(0);
    const readOnly = checkOf(report, 'readOnlyApi');
    expect(readOnly).toMatchObject({ status: 'ok', finding: 'the API takes orders: the probe order was accepted and cancelled at once' });
    expect(readOnly.lines![0]).toMatch(/^probe: BUY 1 \S+ LMT [\d.]+ DAY, half the market/);
    const probes = await probeOrders(realistic);
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({ status: 'Cancelled', clientId: 17 });
  });

  it('--probe-order is refused in LIVE before anything connects (exit 78); a bad configuration exits 78, as JSON too', async () => {
    const live = await runDoctor(realistic, ['--probe-order'], { MODE: 'LIVE', ARM_LIVE_TRADING: 'yes', IB_ACCOUNT: 'U1234567', IB_PORT: String(realistic.port), IB_HOST: '127.0.0.1' });
    expect(live.code).toBe(78);
    expect(live.stderr).toContain('--probe-order is refused in MODE=LIVE');
    expect(live.stdout).toBe('');

    const bad = await runDoctor(realistic, [], { MARKET_DATA_TYPE: 'sometimes' });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain('MARKET_DATA_TYPE (marketData.type) = "sometimes"');
    const { code, report } = await doctorJson(realistic, { MARKET_DATA_TYPE: 'sometimes' });
    expect(code).toBe(78);
    expect(report).toMatchObject({ verdict: 'NOT READY', exitCode: 78, failed: ['config'] });
  });

  it('an active trading halt is a warning; rows in the DB make a holding the bots\'; an order of another client is listed as not ours', async () => {
    const dbPath = path.join(temp.dir, 'halted.db');
    const clock = new CompressedClock(readClockAnchor(realistic.env.SIM_CLOCK_FILE!)!);
    const stock = held.find((p) => p.secType === 'STK' && p.currency === 'USD' && !p.symbol.includes(' '))!;
    const db = openDatabase(dbPath);
    try {
      const repos = createRepositories(db, clock, 'test');
      repos.positions.addActivePosition({ symbol: stock.symbol, quantity: stock.quantity, entryPrice: stock.averageCost, agentName: 'test-agent', status: 'OPEN', tradingDay: tradingDayOf(clock.now()) });
      repos.halts.set('emergency liquidation', 'liquidate', { test: true });
    } finally {
      db.close();
    }
    const recorder = new EventRecorder(other);
    const orderId = await other.placeOrder({ orderRef: 'someone-elses-order', symbol: stock.symbol, side: 'SELL', quantity: 1, type: 'LMT', limitPrice: 99_999, tif: 'DAY' });
    await recorder.waitForOrder((e) => e.kind === 'accepted' && e.orderId === orderId, 10_000, 'the other client\'s order accepted');
    try {
      const { code, report } = await doctorJson(realistic, { DB_PATH: dbPath });
      expect(code).toBe(0);
      expect(report.warnings).toEqual(['marketData', 'foreignPositions', 'openOrders', 'database']);
      const database = checkOf(report, 'database');
      expect(database.finding).toMatch(/^TRADING HALT active since .* \(set by liquidate: emergency liquidation\): the bots will not enter, protect or exit until it is lifted/);
      expect(database.action).toBe('lift it when the account is as you want it: npm run liquidate -- --resume');
      const foreign = checkOf(report, 'foreignPositions').details as { positions: Array<{ conId: number }> };
      expect(foreign.positions.map((p) => p.conId)).not.toContain(stock.conId);
      expect(foreign.positions).toHaveLength(held.length - 1);
      const orders = checkOf(report, 'openOrders');
      expect(orders.lines).toEqual([expect.stringMatching(new RegExp(`^SELL 1 ${stock.symbol} LMT 99999\\.00 \\(order ${orderId}, client 32, ref "someone-elses-order", \\w+\\): client 32 is not one of the bots'$`))]);
    } finally {
      await other.cancelOrder(orderId);
      await recorder.waitForOrder((e) => e.kind === 'cancelled' && e.orderId === orderId, 10_000, 'the other client\'s order cancelled');
      fs.rmSync(dbPath, { force: true });
    }
  });
});
