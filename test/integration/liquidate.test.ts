import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import type { Execution, OrderEvent, OrderId } from '../../shared/broker/types';
import { createRepositories, openDatabase, type Db } from '../../shared/db';
import type { TradeRow } from '../../shared/db/repositories/trades-repository';
import { silentLogger } from '../../shared/log/logger';
import { CompressedClock } from '../../shared/time/compressed-clock';
import { readClockAnchor } from '../../shared/time/sim-clock-file';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { EventRecorder } from '../helpers/order-events';
import { freePort } from '../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../helpers/sim-gateway-process';
import { distFile, makeTempDir } from '../helpers/temp-dir';

/**
 * The emergency button against a real sim-gateway process: positions opened by another client (one with a
 * protective stop) and by hand, the DB as the bots would have written it, and the COMPILED script run as a
 * child process exactly as `npm run liquidate` runs it.
 */

interface GatewayState {
  positions: Array<{ symbol: string; quantity: number }>;
  orders: Array<{ permId: number; clientId: number; orderId: number; symbol: string; status: string; orderType: string; orderRef: string }>;
  executions: Array<{ execId: string; symbol: string; orderRef: string; shares: number; side: string; clientId: number }>;
}

interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const temp = makeTempDir('liquidate');
const dbPath = path.join(temp.dir, 'trading.db');
const logDir = path.join(temp.dir, 'logs');
let gateway: SimGatewayProcess;
let trader: IbBrokerAdapter;
let recorder: EventRecorder;
let clock: CompressedClock;
let symbols: string[];
let nextRef = 0;

const working = (state: GatewayState) => state.orders.filter((o) => o.status === 'PreSubmitted' || o.status === 'Submitted');
const state = () => gateway.admin<GatewayState>('GET /state');

function runLiquidate(args: string[], env: Record<string, string> = {}): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [distFile('scripts/liquidate.ts'), ...args], {
      env: {
        ...process.env, ...gateway.env, CONFIG_FILE: '', MODE: 'SIM', IB_PORT: String(gateway.port), DB_PATH: dbPath, LOG_DIR: logDir,
        PM2_HOME: path.join(temp.dir, 'pm2-never-used'), LOG_CONSOLE: 'false', ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // SHOW_OUTPUT=1 npx jest test/integration/liquidate.test.ts prints every run's output (sample output for the README).
      if (process.env.SHOW_OUTPUT) process.stderr.write(`--- liquidate ${args.join(' ')} → ${code}\n${stdout}${stderr}\n`);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Buys (or sells) at market with client 31 and resolves with the executions once the order is filled. */
async function marketOrder(symbol: string, side: 'BUY' | 'SELL', quantity: number, orderRef = `test-${++nextRef}`): Promise<Execution[]> {
  const orderId = await trader.placeOrder({ orderRef, symbol, side, quantity, type: 'MKT', tif: 'DAY' });
  await recorder.waitForOrder((e) => e.kind === 'status' && e.orderId === orderId && e.status === 'Filled', 10_000, `fill of ${orderRef}`);
  await recorder.waitFor(() => {
    const fills = fillsOf(orderId);
    return fills.reduce((sum, f) => sum + f.quantity, 0) === quantity ? fills : undefined;
  }, 10_000, `executions of ${orderRef}`);
  return fillsOf(orderId);
}

function fillsOf(orderId: OrderId): Execution[] {
  return recorder.orderEvents.filter((e): e is Extract<OrderEvent, { kind: 'filled' }> => e.kind === 'filled' && e.orderId === orderId).map((e) => e.execution);
}

/** An active_positions row as the day-trader writes it: claim, then the entry fill booked by the ledger. */
function recordEntry(db: Db, symbol: string, fills: Execution[], positionId: string): void {
  const repos = createRepositories(db, clock, 'test');
  for (const fill of fills) {
    const result = repos.ledger.recordEntryFill(positionId, {
      execId: fill.execId, symbol, side: fill.side, quantity: fill.quantity, price: fill.price, orderRef: fill.orderRef, orderId: fill.orderId,
      permId: fill.permId, clientId: fill.clientId, executedAtMs: fill.timeMs,
    });
    expect(result.status).toBe('recorded');
  }
}

function claim(db: Db, symbol: string, quantity: number): string {
  const result = createRepositories(db, clock, 'test').positions.claimSymbol({
    symbol, tradingDay: tradingDayOf(clock.now()), agentName: 'test-agent', maxOpenPositions: 10, requestedQuantity: quantity,
  });
  if (!result.ok) throw new Error(`claim of ${symbol} refused: ${result.reason}`);
  return result.position.id;
}

function removeDbFiles(): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${dbPath}${suffix}`, { force: true });
}

beforeAll(async () => {
  gateway = await startSimGateway({ dir: temp.dir, speed: 10, dayStart: '09:45' });
  clock = new CompressedClock(readClockAnchor(gateway.env.SIM_CLOCK_FILE!)!);
  let lastId = 0;
  trader = new IbBrokerAdapter({
    host: '127.0.0.1', port: gateway.port, clientId: 31, connectTimeoutMs: 3_000, requestTimeoutMs: 5_000, livenessIntervalMs: 500,
    livenessTimeoutMs: 5_000, reconnectMaxDelayMs: 500, log: silentLogger(),
    orderIds: { reserve: (_client, brokerNext) => (lastId = Math.max(lastId + 1, brokerNext)) },
  });
  recorder = new EventRecorder(trader);
  await trader.connect();
  symbols = (await trader.scan('MOST_ACTIVE', { rows: 20 })).slice(0, 8);
  expect(symbols.length).toBe(8);
});

afterAll(async () => {
  recorder?.close();
  await trader?.disconnect();
  await gateway?.stop();
  temp.cleanup();
});

describe('npm run liquidate against a real sim-gateway', () => {
  let stopOrderRef: string;
  const positionIds: Record<string, string> = {};

  beforeAll(async () => {
    const [a, b, manual] = symbols;
    const db = openDatabase(dbPath);
    try {
      // Two bot positions, claimed first so the entry order's ref is the claim id (architecture.md).
      for (const [symbol, quantity] of [[a!, 100], [b!, 50]] as const) {
        const positionId = claim(db, symbol, quantity);
        positionIds[symbol] = positionId;
        recordEntry(db, symbol, await marketOrder(symbol, 'BUY', quantity, positionId), positionId);
      }
    } finally {
      db.close();
    }
    // A protective stop far below the market (it must not trigger by itself), as the exit manager would place it.
    stopOrderRef = `${positionIds[a!]}:SL:1`;
    const stopOrderId = await trader.placeOrder({ orderRef: stopOrderRef, symbol: a!, side: 'SELL', quantity: 100, type: 'STP', stopPrice: 1, tif: 'GTC' });
    await recorder.waitForOrder((e) => e.kind === 'accepted' && e.orderId === stopOrderId, 10_000, 'stop accepted');
    // And one position opened by hand in "TWS": the DB knows nothing about it.
    await gateway.admin('POST /quirks/manual-trade', { symbol: manual, quantity: 30 });
    const before = await state();
    expect(before.positions.map((p) => [p.symbol, p.quantity]).sort()).toEqual([[a, 100], [b, 50], [manual, 30]].sort());
    expect(working(before).map((o) => o.orderRef)).toEqual([stopOrderRef]);
  });

  it('without --yes lists every order and position, changes nothing and exits 0', async () => {
    const [a, b, manual] = symbols;
    const before = await state();
    const result = await runLiquidate([]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('DRY RUN');
    expect(result.stdout).toContain(stopOrderRef);
    for (const [symbol, line] of [[a, 'SELL 100 MKT'], [b, 'SELL 50 MKT'], [manual, 'SELL 30 MKT']] as const) {
      expect(result.stdout).toMatch(new RegExp(`${symbol}.*${line}`));
    }
    expect(result.stdout).toContain(positionIds[a!]);
    expect(result.stdout).toMatch(new RegExp(`${manual}.*not in DB`));

    const after = await state();
    expect(after.positions).toEqual(before.positions);
    expect(working(after)).toEqual(working(before));
    expect(after.executions.length).toBe(before.executions.length);
    const db = openDatabase(dbPath, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM active_positions').pluck().get()).toBe(2);
      expect(db.prepare('SELECT COUNT(*) FROM closed_positions_today').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it('with --yes cancels every order, flattens the account, books each execution once and exits 0', async () => {
    const [a, b, manual] = symbols;
    const result = await runLiquidate(['--yes']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Final state: FLAT');
    expect(result.stdout).toContain('DB updated: 2 position(s) closed as EMERGENCY_LIQUIDATION');

    const after = await state();
    expect(after.positions).toEqual([]);
    expect(working(after)).toEqual([]);
    expect(after.orders.find((o) => o.orderRef === stopOrderRef)?.status).toBe('Cancelled');
    const liquidationFills = after.executions.filter((e) => e.orderRef.startsWith('LIQ-'));
    expect(new Set(liquidationFills.map((e) => e.symbol))).toEqual(new Set([a, b, manual]));
    for (const fill of liquidationFills) {
      expect(fill.orderRef).toMatch(new RegExp(`^LIQ-\\d{8}T\\d{6}\\.\\d{3}Z-${fill.symbol}$`));
      expect(fill.side).toBe('SLD');
      expect(fill.clientId).toBe(19);
    }

    const db = openDatabase(dbPath, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM active_positions').pluck().get()).toBe(0);
      const closed = db.prepare('SELECT * FROM closed_positions_today ORDER BY symbol').all() as Array<{ symbol: string; position_id: string; exit_reason: string; quantity: number; realized_pnl: number }>;
      expect(closed.map((c) => [c.symbol, c.position_id, c.exit_reason, c.quantity]).sort()).toEqual(
        [[a, positionIds[a!], 'EMERGENCY_LIQUIDATION', 100], [b, positionIds[b!], 'EMERGENCY_LIQUIDATION', 50]].sort(),
      );
      for (const row of closed) expect(Number.isFinite(row.realized_pnl)).toBe(true);
      const trades = db.prepare("SELECT * FROM trades WHERE order_ref LIKE 'LIQ-%'").all() as TradeRow[];
      // Every liquidation execution exactly once (exec_id is UNIQUE; the count proves none is missing either).
      expect(trades.map((t) => t.exec_id).sort()).toEqual(liquidationFills.map((e) => e.execId).sort());
      for (const trade of trades) {
        expect(trade.exit_reason).toBe('EMERGENCY_LIQUIDATION');
        if (trade.symbol === manual) expect([trade.purpose, trade.position_id]).toEqual(['UNTRACKED', null]);
        else expect([trade.purpose, trade.position_id]).toEqual(['EXIT', positionIds[trade.symbol]]);
      }
      const events = db.prepare('SELECT event, symbol, level, data FROM events').all() as Array<{ event: string; symbol: string | null; level: string; data: string }>;
      const summary = events.find((e) => e.event === 'emergency_liquidation');
      expect(summary).toBeDefined();
      expect(JSON.parse(summary!.data)).toMatchObject({ flat: true, untrackedSymbols: [manual] });
      expect(events.find((e) => e.event === 'emergency_liquidation_untracked')).toMatchObject({ symbol: manual, level: 'warn' });
      const orders = db.prepare("SELECT order_ref, purpose, status, client_id FROM orders WHERE order_ref LIKE 'LIQ-%'").all() as Array<{ purpose: string; status: string; client_id: number }>;
      expect(orders).toHaveLength(3);
      for (const order of orders) expect(order).toMatchObject({ purpose: 'LIQUIDATION', status: 'FILLED', client_id: 19 });
    } finally {
      db.close();
    }

    const log = fs.readFileSync(path.join(logDir, 'liquidate.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { event: string });
    const events = log.map((l) => l.event);
    for (const name of ['liquidation_started', 'orders_cancelled', 'liquidation_order_placed', 'liquidation_fill', 'liquidation_completed']) expect(events).toContain(name);
    expect(events.filter((e) => e === 'liquidation_order_placed').length).toBeGreaterThanOrEqual(3);
  });

  it('on an account that is already flat does nothing, books nothing twice and exits 0', async () => {
    const tradesBefore = (() => {
      const db = openDatabase(dbPath, { readonly: true });
      try {
        return db.prepare('SELECT COUNT(*) FROM trades').pluck().get();
      } finally {
        db.close();
      }
    })();
    const result = await runLiquidate(['--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Market orders: none needed');
    const db = openDatabase(dbPath, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM trades').pluck().get()).toBe(tradesBefore);
    } finally {
      db.close();
    }
  });

  it('with the DB file deleted still flattens the account, exits 0, says the DB was not updated and does not create it', async () => {
    const symbol = symbols[3]!;
    await marketOrder(symbol, 'BUY', 40);
    removeDbFiles();
    const result = await runLiquidate(['--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('THE DB COULD NOT BE UPDATED');
    expect(result.stdout).toContain(`no database at ${dbPath}`);
    expect(result.stdout).toContain('reconciler');
    expect((await state()).positions).toEqual([]);
    expect(fs.existsSync(dbPath)).toBe(false);
  });

  it('with a corrupt DB file still flattens the account, exits 0 and leaves the file as it was', async () => {
    const symbol = symbols[4]!;
    await marketOrder(symbol, 'BUY', 25);
    const garbage = Buffer.from('this is not a SQLite database\n'.repeat(200));
    fs.writeFileSync(dbPath, garbage);
    const result = await runLiquidate(['--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('THE DB COULD NOT BE UPDATED');
    expect(result.stdout).toContain('corrupt');
    expect((await state()).positions).toEqual([]);
    expect(fs.readFileSync(dbPath).equals(garbage)).toBe(true);
    removeDbFiles();
  });

  it('with the DB locked by another process past the short busy timeout still flattens the account and exits 0', async () => {
    const symbol = symbols[5]!;
    const db = openDatabase(dbPath);
    const positionId = claim(db, symbol, 60);
    recordEntry(db, symbol, await marketOrder(symbol, 'BUY', 60, positionId), positionId);
    db.exec('BEGIN IMMEDIATE'); // holds the write lock for as long as the script runs
    let result: ScriptResult;
    try {
      result = await runLiquidate(['--yes']);
    } finally {
      db.exec('ROLLBACK');
    }
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('THE DB COULD NOT BE UPDATED');
    expect(result.stdout).toContain('locked');
    expect((await state()).positions).toEqual([]);
    try {
      // Untouched: the reconciler closes it later (RECONCILED_FLAT) from the broker's executions.
      expect(createRepositories(db, clock, 'test').positions.getById(positionId)?.quantity).toBe(60);
    } finally {
      db.close();
      removeDbFiles();
    }
  });

  it('retries once what the first pass could not close (a rejected order) and ends flat', async () => {
    const symbol = symbols[6]!;
    await marketOrder(symbol, 'BUY', 70);
    await gateway.admin('POST /faults/reject-next', { count: 1 });
    const result = await runLiquidate(['--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('with one retry');
    expect(result.stdout).toMatch(/rejected/);
    const after = await state();
    expect(after.positions).toEqual([]);
    const refs = after.executions.filter((e) => e.symbol === symbol && e.orderRef.startsWith('LIQ-')).map((e) => e.orderRef);
    expect(refs.length).toBeGreaterThanOrEqual(1);
  });

  it('exits 1 and prints what remains when positions cannot be closed', async () => {
    const symbol = symbols[7]!;
    await marketOrder(symbol, 'BUY', 20);
    await gateway.admin('POST /faults/reject-next', { count: 2 }); // the first pass and the retry
    const result = await runLiquidate(['--yes', '--fill-timeout', '3']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('POSITIONS REMAIN');
    expect(result.stdout).toMatch(new RegExp(`${symbol}.*\\+20`));
    expect((await state()).positions).toEqual([{ symbol, quantity: 20, averageCost: expect.any(Number) }]);
    // Clean up for the next test with a third, accepted run.
    expect((await runLiquidate(['--yes'])).code).toBe(0);
  });

  it('exits 2 with a clear message when the gateway is down', async () => {
    const closedPort = await freePort();
    const result = await runLiquidate([], { IB_PORT: String(closedPort) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`gateway at 127.0.0.1:${closedPort} is not answering`);
    expect(result.stderr).toContain('Nothing was changed');
    const withYes = await runLiquidate(['--yes'], { IB_PORT: String(closedPort) });
    expect(withYes.code).toBe(2);
  });

  it('exits 78 on bad configuration', async () => {
    const result = await runLiquidate([], { IB_PORT: 'not-a-port' });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('IB_PORT');
  });
});
