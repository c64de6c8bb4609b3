import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import type { BrokerPosition, Execution, OrderEvent, OrderId } from '../../shared/broker/types';
import { createRepositories, executionBase, openDatabase, type Db } from '../../shared/db';
import type { TradeRow } from '../../shared/db/repositories/trades-repository';
import { silentLogger } from '../../shared/log/logger';
import { CompressedClock } from '../../shared/time/compressed-clock';
import { readClockAnchor } from '../../shared/time/sim-clock-file';
import { marketPhase, tradingDayOf } from '../../shared/time/trading-calendar';
import { EventRecorder } from '../helpers/order-events';
import { freePort } from '../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../helpers/sim-gateway-process';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';
import { waitUntil } from '../helpers/wait-until';

/**
 * The emergency button against a real sim-gateway process (realistic profile: the account holds a long-held
 * stock, a share class, options and a EUR stock the bots never bought), the DB as the bots would have
 * written it, and the COMPILED script run as a child process exactly as `npm run liquidate` runs it.
 * Three simulated sessions: regular hours, the pre-market and the closed market at night.
 */

interface GatewayState {
  positions: Array<{ symbol: string; quantity: number }>;
  orders: Array<{
    permId: number; clientId: number; orderId: number; symbol: string; status: string; orderType: string; orderRef: string; tif: string; outsideRth: boolean;
    lmtPrice?: number; action: string; totalQuantity: number;
  }>;
  executions: Array<{ execId: string; symbol: string; orderRef: string; shares: number; side: string; clientId: number }>;
}

interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface HaltRow {
  id: number; reason: string; set_by: string; set_at: string; set_at_ms: number; detail: string; lifted_by: string | null; lifted_at: string | null;
}

const working = (state: GatewayState) => state.orders.filter((o) => o.status === 'PreSubmitted' || o.status === 'Submitted');
const stockKey = (p: BrokerPosition) => `${p.symbol}/${p.secType}/${p.currency}`;

/** One simulated system: a gateway on its own clock, a DB, a trading client (31) and the script's environment. */
class System {
  readonly temp: { dir: string; cleanup: () => void };
  readonly dbPath: string;
  readonly logDir: string;
  gateway!: SimGatewayProcess;
  clock!: CompressedClock;
  trader!: IbBrokerAdapter;
  recorder!: EventRecorder;
  /** What the account held before the test traded anything: the realistic profile's foreign holdings. */
  foreign: BrokerPosition[] = [];
  private nextRef = 0;
  private readonly adapters: IbBrokerAdapter[] = [];

  constructor(name: string, private readonly clockOptions: { dayStart: string; dayEnd: string; speed: number; extraEnv?: Record<string, string> }) {
    this.temp = makeTempDir(name);
    this.dbPath = path.join(this.temp.dir, 'trading.db');
    this.logDir = path.join(this.temp.dir, 'logs');
  }

  async start(): Promise<void> {
    this.gateway = await startSimGateway({ dir: this.temp.dir, ...this.clockOptions });
    this.clock = new CompressedClock(readClockAnchor(this.gateway.env.SIM_CLOCK_FILE!)!);
    this.trader = await this.client(31);
    this.recorder = new EventRecorder(this.trader);
    this.foreign = await this.trader.positions();
  }

  async client(clientId: number): Promise<IbBrokerAdapter> {
    let lastId = 0;
    const adapter = new IbBrokerAdapter({
      host: '127.0.0.1', port: this.gateway.port, clientId, connectTimeoutMs: 3_000, requestTimeoutMs: 5_000, livenessIntervalMs: 500,
      livenessTimeoutMs: 5_000, reconnectMaxDelayMs: 500, log: silentLogger(),
      orderIds: { reserve: (_client, brokerNext) => (lastId = Math.max(lastId + 1, brokerNext)) },
    });
    await adapter.connect();
    this.adapters.push(adapter);
    return adapter;
  }

  async stop(): Promise<void> {
    this.recorder?.close();
    for (const adapter of this.adapters) await adapter.disconnect();
    await this.gateway?.stop();
    this.temp.cleanup();
  }

  state(): Promise<GatewayState> {
    return this.gateway.admin<GatewayState>('GET /state');
  }

  /** Symbols to trade: most active, none the account already holds (those are the owner's). */
  async symbols(count: number): Promise<string[]> {
    const held = new Set(this.foreign.map((p) => p.symbol));
    const symbols = (await this.trader.scan('MOST_ACTIVE', { rows: 30 })).filter((s) => !held.has(s) && !s.includes(' ')).slice(0, count);
    expect(symbols).toHaveLength(count);
    return symbols;
  }

  run(args: string[], env: Record<string, string> = {}): Promise<ScriptResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [distFile('scripts/liquidate.ts'), ...args], {
        env: testEnv({
          ...this.gateway.env, MODE: 'SIM', IB_PORT: String(this.gateway.port), DB_PATH: this.dbPath, LOG_DIR: this.logDir,
          PM2_HOME: path.join(this.temp.dir, 'pm2-never-used'), LOG_CONSOLE: 'false', ...env,
        }),
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
  async marketOrder(symbol: string, side: 'BUY' | 'SELL', quantity: number, orderRef = `test-${++this.nextRef}`): Promise<Execution[]> {
    const orderId = await this.trader.placeOrder({ orderRef, symbol, side, quantity, type: 'MKT', tif: 'DAY' });
    await this.recorder.waitForOrder((e) => e.kind === 'status' && e.orderId === orderId && e.status === 'Filled', 10_000, `fill of ${orderRef}`);
    const fills = await this.recorder.waitFor(() => {
      const found = this.fillsOf(orderId);
      return found.reduce((sum, f) => sum + f.quantity, 0) === quantity ? found : undefined;
    }, 10_000, `executions of ${orderRef}`);
    await this.waitForPosition(symbol, (held) => held !== 0);
    return fills;
  }

  /**
   * Waits until the gateway REPORTS a stock position as expected: reported positions trail the fills (as at
   * IB), and the liquidation can only close what the broker says is there.
   */
  async waitForPosition(symbol: string, ok: (quantity: number) => boolean): Promise<void> {
    await waitUntil(async () => {
      const position = (await this.trader.positions()).find((p) => p.symbol === symbol && p.secType === 'STK');
      return ok(position?.quantity ?? 0);
    }, 15_000, `reported position of ${symbol}`, 100);
  }

  fillsOf(orderId: OrderId): Execution[] {
    return this.recorder.orderEvents.filter((e): e is Extract<OrderEvent, { kind: 'filled' }> => e.kind === 'filled' && e.orderId === orderId).map((e) => e.execution);
  }

  /** An active_positions row as the day-trader writes it: claim, then the entry fill booked by the ledger. */
  claimAndBook(db: Db, symbol: string, quantity: number, fills: (positionId: string) => Promise<Execution[]>): Promise<string> {
    const repos = createRepositories(db, this.clock, 'test');
    const claim = repos.positions.claimSymbol({ symbol, tradingDay: tradingDayOf(this.clock.now()), agentName: 'test-agent', maxOpenPositions: 10, requestedQuantity: quantity });
    if (!claim.ok) throw new Error(`claim of ${symbol} refused: ${claim.reason}`);
    const positionId = claim.position.id;
    return fills(positionId).then((executions) => {
      for (const fill of executions) {
        const result = repos.ledger.recordEntryFill(positionId, {
          execId: fill.execId, symbol, side: fill.side, quantity: fill.quantity, price: fill.price, orderRef: fill.orderRef, orderId: fill.orderId,
          permId: fill.permId, clientId: fill.clientId, executedAtMs: fill.timeMs,
        });
        expect(result.status).toBe('recorded');
      }
      return positionId;
    });
  }

  /** A bot position opened while no order can fill (outside regular hours): bought by hand, booked as the bots'. */
  async botPositionByHand(symbol: string, quantity: number): Promise<string> {
    await this.gateway.admin('POST /quirks/manual-trade', { symbol, quantity });
    await this.waitForPosition(symbol, (held) => held === quantity);
    const db = openDatabase(this.dbPath);
    try {
      return createRepositories(db, this.clock, 'test').positions.addActivePosition({
        symbol, quantity, entryPrice: 50, agentName: 'test-agent', status: 'PROTECTED', tradingDay: tradingDayOf(this.clock.now()),
      }).id;
    } finally {
      db.close();
    }
  }

  haltRows(): HaltRow[] {
    if (!fs.existsSync(this.dbPath)) return [];
    const db = openDatabase(this.dbPath, { readonly: true });
    try {
      return db.prepare('SELECT * FROM trading_halts ORDER BY id').all() as HaltRow[];
    } finally {
      db.close();
    }
  }

  activeHalt(): HaltRow | undefined {
    return this.haltRows().find((h) => h.lifted_at === null);
  }

  logEvents(): string[] {
    return fs.readFileSync(path.join(this.logDir, 'liquidate.log'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { event: string }).event);
  }

  removeDbFiles(): void {
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${this.dbPath}${suffix}`, { force: true });
  }
}

describe('npm run liquidate in regular hours', () => {
  const sys = new System('liquidate', { speed: 10, dayStart: '09:45', dayEnd: '16:15' });
  let symbols: string[];
  let exitManager: IbBrokerAdapter;
  let exitManagerEvents: EventRecorder;
  let stopOrderRef: string;
  let stopOrderId: number;
  const positionIds: Record<string, string> = {};

  beforeAll(async () => {
    await sys.start();
    expect(marketPhase(sys.clock.now())).toBe('REGULAR');
    symbols = await sys.symbols(8);
    const [a, b, manual] = symbols;
    const db = openDatabase(sys.dbPath);
    try {
      // Two bot positions, claimed first so the entry order's ref is the claim id (architecture.md).
      for (const [symbol, quantity] of [[a!, 100], [b!, 50]] as const) {
        positionIds[symbol] = await sys.claimAndBook(db, symbol, quantity, (positionId) => sys.marketOrder(symbol, 'BUY', quantity, positionId));
      }
    } finally {
      db.close();
    }
    // The exit manager's protective stop (client 12), far below the market so it never triggers by itself.
    exitManager = await sys.client(12);
    exitManagerEvents = new EventRecorder(exitManager);
    stopOrderRef = `${positionIds[a!]}:SL:1`;
    stopOrderId = await exitManager.placeOrder({ orderRef: stopOrderRef, symbol: a!, side: 'SELL', quantity: 100, type: 'STP', stopPrice: 1, tif: 'GTC' });
    await exitManagerEvents.waitForOrder((e) => e.kind === 'accepted' && e.orderId === stopOrderId, 10_000, 'stop accepted');
    // A stock bought by hand in "TWS" (the DB knows nothing of it), with a limit order to sell it placed by another program.
    await sys.gateway.admin('POST /quirks/manual-trade', { symbol: manual, quantity: 30 });
    await sys.waitForPosition(manual!, (held) => held === 30);
    const limitId = await sys.trader.placeOrder({ orderRef: 'my-own-limit', symbol: manual!, side: 'SELL', quantity: 30, type: 'LMT', limitPrice: 9_999, tif: 'GTC' });
    await sys.recorder.waitForOrder((e) => e.kind === 'accepted' && e.orderId === limitId, 10_000, 'own limit accepted');
    const before = await sys.state();
    for (const [symbol, quantity] of [[a, 100], [b, 50], [manual, 30]] as const) expect(before.positions).toContainEqual(expect.objectContaining({ symbol, quantity }));
    expect(working(before).map((o) => o.orderRef).sort()).toEqual(['my-own-limit', stopOrderRef].sort());
  });

  afterAll(async () => {
    exitManagerEvents?.close();
    await sys.stop();
  });

  it('without --yes shows the bots\' positions to close, what it leaves, whose orders it cancels, and changes nothing', async () => {
    const [a, b, manual] = symbols;
    const before = await sys.state();
    const result = await sys.run([]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('DRY RUN');
    expect(result.stdout).toContain('Session: regular session');
    expect(result.stdout).toContain('Trading halt: set FIRST, before any cancel');
    expect(result.stdout).toMatch(new RegExp(`12 .*${a} .*bots .*${stopOrderRef}`));
    expect(result.stdout).toMatch(new RegExp(`31 .*${manual} .*BY HAND / other .*my-own-limit`));
    expect(result.stdout).toContain('NOTE: the global cancel also cancels the 1 order(s) placed by hand (TWS) or by another program');
    expect(result.stdout).toMatch(new RegExp(`${a} .*close \\+100 \\(the bots'\\) .*SELL 100 MKT .*${positionIds[a!]}`));
    expect(result.stdout).toMatch(new RegExp(`${b} .*close \\+50 \\(the bots'\\) .*SELL 50 MKT`));
    expect(result.stdout).toMatch(new RegExp(`${manual} .*\\+30 not touched: not the bots'`));
    for (const holding of sys.foreign) expect(result.stdout).toContain(holding.description);
    if (sys.foreign.some((p) => p.secType !== 'STK' || p.currency !== 'USD')) expect(result.stdout).toContain('not a US stock in USD');

    const after = await sys.state();
    expect(after.positions).toEqual(before.positions);
    expect(working(after)).toEqual(working(before));
    expect(after.executions.length).toBe(before.executions.length);
    expect(sys.haltRows()).toEqual([]);
  });

  it('with --yes sets the halt before the first cancel, flattens only the bots\' positions, books each execution once and keeps the halt on', async () => {
    const [a, b, manual] = symbols;
    const foreignBefore = (await sys.trader.positions()).filter((p) => p.symbol !== a && p.symbol !== b);
    // The exit manager's part: when its stop is cancelled it re-protects the position, unless a halt is active.
    const seenAtCancel: Array<{ atMs: number; halted: boolean }> = [];
    const unsubscribe = exitManager.onOrderEvent((event) => {
      if (event.kind !== 'cancelled' || event.orderId !== stopOrderId) return;
      const halted = sys.activeHalt() !== undefined;
      seenAtCancel.push({ atMs: Date.now(), halted });
      if (!halted) void exitManager.placeOrder({ orderRef: `${positionIds[a!]}:SL:2`, symbol: a!, side: 'SELL', quantity: 100, type: 'STP', stopPrice: 1, tif: 'GTC' });
    });
    let result: ScriptResult;
    try {
      result = await sys.run(['--yes']);
    } finally {
      unsubscribe();
    }
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0. Trading halt SET at');
    expect(result.stdout).toContain('the broker shows none working');
    expect(result.stdout).not.toContain('APPEARED after the global cancel');
    expect(result.stdout).toContain('Final state: FLAT');
    expect(result.stdout).toContain('The trading halt STAYS ON');
    expect(result.stdout).toContain('DB updated: 2 position(s) closed as EMERGENCY_LIQUIDATION');
    expect(result.stdout).toMatch(new RegExp(`${manual} .*\\+30 .*not touched: not the bots'`));

    // The halt was in the DB when the exit manager heard of the cancel: it did not re-protect.
    const halt = sys.activeHalt()!;
    expect(halt).toMatchObject({ reason: 'emergency liquidation', set_by: 'liquidate', lifted_at: null });
    await waitUntil(() => seenAtCancel.length > 0, 10_000, 'the exit manager seeing its stop cancelled');
    expect(seenAtCancel).toEqual([{ atMs: expect.any(Number), halted: true }]);
    expect(halt.set_at_ms).toBeLessThanOrEqual(seenAtCancel[0]!.atMs);
    expect(JSON.parse(halt.detail)).toMatchObject({ path: 'market-now', closes: expect.arrayContaining([`${a}: SELL 100 MKT`, `${b}: SELL 50 MKT`]) });
    const events = sys.logEvents();
    expect(events.indexOf('trading_halt_set')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('trading_halt_set')).toBeLessThan(events.indexOf('global_cancel_started'));

    const after = await sys.state();
    expect(after.positions.filter((p) => p.symbol === a || p.symbol === b)).toEqual([]);
    expect(after.positions).toContainEqual(expect.objectContaining({ symbol: manual, quantity: 30 }));
    expect(working(after)).toEqual([]);
    expect(after.orders.find((o) => o.orderRef === stopOrderRef)?.status).toBe('Cancelled');
    expect(after.orders.find((o) => o.orderRef === 'my-own-limit')?.status).toBe('Cancelled'); // the global cancel reaches orders placed by hand
    expect(after.orders.some((o) => o.orderRef.endsWith(':SL:2'))).toBe(false);
    // What was not the bots' is exactly as it was: the long-held stock, the share class, the options, the EUR stock.
    await waitUntil(async () => {
      const now = new Map((await sys.trader.positions()).map((p) => [stockKey(p), p.quantity]));
      return foreignBefore.every((p) => now.get(stockKey(p)) === p.quantity);
    }, 10_000, 'foreign positions reported unchanged', 100);

    const liquidationFills = after.executions.filter((e) => e.orderRef.startsWith('LIQ-'));
    expect(new Set(liquidationFills.map((e) => e.symbol))).toEqual(new Set([a, b]));
    for (const fill of liquidationFills) {
      expect(fill.orderRef).toMatch(new RegExp(`^LIQ-\\d{8}T\\d{6}\\.\\d{3}Z-${fill.symbol}$`));
      expect(fill.side).toBe('SLD');
      expect(fill.clientId).toBe(19);
    }
    const db = openDatabase(sys.dbPath, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM active_positions').pluck().get()).toBe(0);
      const closed = db.prepare('SELECT * FROM closed_positions_today ORDER BY symbol').all() as Array<{ symbol: string; position_id: string; exit_reason: string; quantity: number; realized_pnl: number }>;
      expect(closed.map((c) => [c.symbol, c.position_id, c.exit_reason, c.quantity]).sort()).toEqual(
        [[a, positionIds[a!], 'EMERGENCY_LIQUIDATION', 100], [b, positionIds[b!], 'EMERGENCY_LIQUIDATION', 50]].sort(),
      );
      for (const row of closed) expect(Number.isFinite(row.realized_pnl)).toBe(true);
      const trades = db.prepare("SELECT * FROM trades WHERE order_ref LIKE 'LIQ-%'").all() as TradeRow[];
      // Every liquidation execution exactly once (by IB's execution base: a correction replaces, never adds).
      expect(trades.map((t) => executionBase(t.exec_id)).sort()).toEqual(liquidationFills.map((e) => executionBase(e.execId)).sort());
      for (const trade of trades) expect([trade.purpose, trade.position_id, trade.exit_reason]).toEqual(['EXIT', positionIds[trade.symbol], 'EMERGENCY_LIQUIDATION']);
      const dbEvents = db.prepare('SELECT event, level, data FROM events').all() as Array<{ event: string; level: string; data: string }>;
      expect(JSON.parse(dbEvents.find((e) => e.event === 'emergency_liquidation')!.data)).toMatchObject({ flat: true, verdict: 'flat', halt: 'set' });
      expect(dbEvents.find((e) => e.event === 'trading_halt_set')).toMatchObject({ level: 'warn' });
      const orders = db.prepare("SELECT order_ref, purpose, status, client_id FROM orders WHERE order_ref LIKE 'LIQ-%'").all() as Array<{ purpose: string; status: string; client_id: number }>;
      expect(orders).toHaveLength(2);
      for (const order of orders) expect(order).toMatchObject({ purpose: 'LIQUIDATION', status: 'FILLED', client_id: 19 });
    } finally {
      db.close();
    }
  });

  it('--resume lifts the halt, says who set it and when, and that the bots trade again; with no halt it says so', async () => {
    const halt = sys.activeHalt()!;
    const result = await sys.run(['--resume']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Trading halt LIFTED. It was set by liquidate at ');
    expect(result.stdout).toContain('reason: emergency liquidation');
    expect(result.stdout).toContain('The bots will trade again');
    expect(sys.activeHalt()).toBeUndefined();
    expect(sys.haltRows().find((h) => h.id === halt.id)).toMatchObject({ lifted_by: 'liquidate --resume' });

    const again = await sys.run(['--resume']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No trading halt is active');

    const both = await sys.run(['--resume', '--yes']);
    expect(both.code).toBe(78);
    expect(both.stderr).toMatch(/mutually exclusive|conflict/i);
    expect(sys.activeHalt()).toBeUndefined();
  });

  it('on an account with nothing of the bots\' left does nothing, books nothing twice and exits 0', async () => {
    const tradesBefore = (() => {
      const db = openDatabase(sys.dbPath, { readonly: true });
      try {
        return db.prepare('SELECT COUNT(*) FROM trades').pluck().get();
      } finally {
        db.close();
      }
    })();
    const result = await sys.run(['--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Closing orders: none needed');
    const db = openDatabase(sys.dbPath, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM trades').pluck().get()).toBe(tradesBefore);
    } finally {
      db.close();
    }
  });

  it('with --all-stock closes every US stock of the account, the ones bought by hand too, and never an option or a EUR stock', async () => {
    const manual = symbols[2]!;
    const result = await sys.run(['--yes', '--all-stock']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Final state: FLAT');
    const after = await sys.state();
    expect(after.positions).toEqual([]); // the simulator's own stock book: every US stock is gone
    const liquidated = new Set(after.executions.filter((e) => e.orderRef.startsWith('LIQ-')).map((e) => e.symbol));
    expect(liquidated.has(manual)).toBe(true);
    for (const holding of sys.foreign.filter((p) => p.secType === 'STK' && p.currency === 'USD')) expect(liquidated.has(holding.symbol)).toBe(true);
    const reported = await sys.trader.positions();
    for (const holding of sys.foreign.filter((p) => p.secType !== 'STK' || p.currency !== 'USD')) {
      expect(reported).toContainEqual(expect.objectContaining({ conId: holding.conId, quantity: holding.quantity }));
      expect(result.stdout).toContain(holding.description);
    }
  });

  it('with the DB file deleted still flattens every US stock, says loudly the halt could not be set, and does not create the DB', async () => {
    const symbol = symbols[3]!;
    await sys.marketOrder(symbol, 'BUY', 40);
    sys.removeDbFiles();
    const result = await sys.run(['--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('!!! THE TRADING HALT COULD NOT BE SET');
    expect(result.stdout).toContain('STOP THE BOTS NOW: npm stop');
    expect(result.stdout).toContain('THE DB COULD NOT BE UPDATED');
    expect(result.stdout).toContain(`no database at ${sys.dbPath}`);
    expect(result.stdout).toContain('reconciler');
    expect((await sys.state()).positions).toEqual([]);
    expect(fs.existsSync(sys.dbPath)).toBe(false);
  });

  it('with a corrupt DB file still flattens the account, exits 0 and leaves the file as it was', async () => {
    const symbol = symbols[4]!;
    await sys.marketOrder(symbol, 'BUY', 25);
    const garbage = Buffer.from('this is not a SQLite database\n'.repeat(200));
    fs.writeFileSync(sys.dbPath, garbage);
    const result = await sys.run(['--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('THE DB COULD NOT BE UPDATED');
    expect(result.stdout).toContain('!!! THE TRADING HALT COULD NOT BE SET');
    expect(result.stdout).toContain('corrupt');
    expect((await sys.state()).positions).toEqual([]);
    expect(fs.readFileSync(sys.dbPath).equals(garbage)).toBe(true);
    sys.removeDbFiles();
  });

  it('with the DB locked by another process past the short busy timeout still flattens the account and exits 0', async () => {
    const symbol = symbols[5]!;
    const db = openDatabase(sys.dbPath);
    const positionId = await sys.claimAndBook(db, symbol, 60, (id) => sys.marketOrder(symbol, 'BUY', 60, id));
    db.exec('BEGIN IMMEDIATE'); // holds the write lock for as long as the script runs
    let result: ScriptResult;
    try {
      result = await sys.run(['--yes']);
    } finally {
      db.exec('ROLLBACK');
    }
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('THE DB COULD NOT BE UPDATED');
    expect(result.stdout).toContain('!!! THE TRADING HALT COULD NOT BE SET');
    expect(result.stdout).toContain('locked');
    expect((await sys.state()).positions).toEqual([]);
    try {
      // Untouched: the reconciler closes it later (RECONCILED_FLAT) from the broker's executions.
      expect(createRepositories(db, sys.clock, 'test').positions.getById(positionId)?.quantity).toBe(60);
      expect(db.prepare('SELECT COUNT(*) FROM trading_halts WHERE lifted_at IS NULL').pluck().get()).toBe(0);
    } finally {
      db.close();
      sys.removeDbFiles();
    }
  });

  it('retries once what the first pass could not close (a rejected order) and ends flat', async () => {
    const symbol = symbols[6]!;
    await sys.marketOrder(symbol, 'BUY', 70);
    await sys.gateway.admin('POST /faults/reject-next', { count: 1 });
    const result = await sys.run(['--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('with one retry');
    expect(result.stdout).toMatch(/rejected/);
    const after = await sys.state();
    expect(after.positions).toEqual([]);
    expect(after.executions.filter((e) => e.symbol === symbol && e.orderRef.startsWith('LIQ-')).length).toBeGreaterThanOrEqual(1);
  });

  it('exits 1 and prints what remains when positions cannot be closed', async () => {
    const symbol = symbols[7]!;
    await sys.marketOrder(symbol, 'BUY', 20);
    await sys.gateway.admin('POST /faults/reject-next', { count: 2 }); // the first pass and the retry
    const result = await sys.run(['--yes', '--fill-timeout', '3']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('POSITIONS REMAIN');
    expect(result.stdout).toMatch(new RegExp(`${symbol}.*\\+20`));
    expect((await sys.state()).positions).toEqual([expect.objectContaining({ symbol, quantity: 20 })]);
    // Clean up with a third, accepted run.
    expect((await sys.run(['--yes'])).code).toBe(0);
  });

  it('exits 2 with a clear message when the gateway is down', async () => {
    const closedPort = await freePort();
    const result = await sys.run([], { IB_PORT: String(closedPort) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`gateway at 127.0.0.1:${closedPort} is not answering`);
    expect(result.stderr).toContain('Nothing was changed');
    const withYes = await sys.run(['--yes'], { IB_PORT: String(closedPort) });
    expect(withYes.code).toBe(2);
  });

  it('exits 78 on bad configuration', async () => {
    const result = await sys.run([], { IB_PORT: 'not-a-port' });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('IB_PORT');
  });
});

describe('npm run liquidate in the pre-market', () => {
  // 07:00-09:00 ET at 2x: the whole run is in the pre-market session. Live data, so the quote is about this path only.
  const sys = new System('liquidate-pre', { speed: 2, dayStart: '07:00', dayEnd: '09:00', extraEnv: { SIM_MARKET_DATA: 'live' } });
  let symbol: string;

  beforeAll(async () => {
    await sys.start();
    expect(marketPhase(sys.clock.now())).toBe('PRE_MARKET');
    [symbol] = await sys.symbols(1) as [string];
    await sys.botPositionByHand(symbol, 20);
  });
  afterAll(() => sys.stop());

  it('closes with a marketable limit order allowed outside regular hours, at the bid minus a margin, rounded to the cent', async () => {
    const dry = await sys.run([]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('PRE-MARKET SESSION');
    expect(dry.stdout).toMatch(new RegExp(`${symbol} .*SELL 20 LMT \\d+\\.\\d\\d outsideRth \\(bid \\d+\\.\\d\\d\\)`));

    const result = await sys.run(['--yes']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Final state: FLAT');
    const after = await sys.state();
    const order = after.orders.find((o) => o.orderRef.startsWith('LIQ-') && o.symbol === symbol)!;
    expect(order).toMatchObject({ orderType: 'LMT', outsideRth: true, tif: 'DAY', status: 'Filled', action: 'SELL', totalQuantity: 20 });
    expect(Math.round(order.lmtPrice! * 100) / 100).toBe(order.lmtPrice);
    expect(after.positions.find((p) => p.symbol === symbol)).toBeUndefined();
    expect(sys.activeHalt()).toBeDefined();
  });
});

describe('npm run liquidate with the market closed', () => {
  // 01:00-03:00 ET at 2x: night, nothing trades until the open.
  const sys = new System('liquidate-night', { speed: 2, dayStart: '01:00', dayEnd: '03:00' });
  let symbol: string;
  let stopRef: string;

  beforeAll(async () => {
    await sys.start();
    expect(marketPhase(sys.clock.now())).toBe('CLOSED');
    [symbol] = await sys.symbols(1) as [string];
    const positionId = await sys.botPositionByHand(symbol, 25);
    stopRef = `${positionId}:SL:1`;
    const exitManager = await sys.client(12);
    const events = new EventRecorder(exitManager);
    const stopId = await exitManager.placeOrder({ orderRef: stopRef, symbol, side: 'SELL', quantity: 25, type: 'STP', stopPrice: 1, tif: 'GTC' });
    await events.waitForOrder((e) => e.kind === 'accepted' && e.orderId === stopId, 10_000, 'stop accepted');
    events.close();
  });
  afterAll(() => sys.stop());

  it('refuses without --at-open (exit 3), explaining that the positions would be unprotected until the open, and changes nothing', async () => {
    const before = await sys.state();
    const dry = await sys.run([]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('MARKET CLOSED');
    expect(dry.stdout).toContain('--yes alone REFUSES (exit 3)');

    const result = await sys.run(['--yes']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('EMERGENCY LIQUIDATION REFUSED: the market is closed');
    expect(result.stderr).toContain('unprotected until the open');
    expect(result.stderr).toContain('npm run liquidate -- --yes --at-open');
    const after = await sys.state();
    expect(working(after).map((o) => o.orderRef)).toEqual([stopRef]);
    expect(after.orders.filter((o) => o.orderRef.startsWith('LIQ-'))).toEqual([]);
    expect(after.positions).toEqual(before.positions);
    expect(sys.haltRows()).toEqual([]);
  });

  it('with --at-open sets the halt, cancels every order and queues DAY market orders for the open (exit 4)', async () => {
    const result = await sys.run(['--yes', '--at-open']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(4);
    expect(result.stdout).toContain('0. Trading halt SET');
    expect(result.stdout).toMatch(/they execute at the open \w{3} \d{4}-\d\d-\d\d 09:30 ET/);
    expect(result.stdout).toContain('Final state: QUEUED FOR THE OPEN');
    const after = await sys.state();
    expect(after.orders.find((o) => o.orderRef === stopRef)?.status).toBe('Cancelled');
    const queued = working(after);
    expect(queued).toEqual([expect.objectContaining({ symbol, orderType: 'MKT', tif: 'DAY', outsideRth: false, action: 'SELL', totalQuantity: 25, clientId: 19 })]);
    expect(queued[0]!.orderRef.startsWith('LIQ-')).toBe(true);
    expect(after.positions).toContainEqual(expect.objectContaining({ symbol, quantity: 25 }));
    expect(sys.activeHalt()).toMatchObject({ set_by: 'liquidate' });
    expect(JSON.parse(sys.activeHalt()!.detail)).toMatchObject({ path: 'at-open', atOpen: true });
  });

  it('--resume warns that the closing order queued for the open may still be waiting', async () => {
    const queued = working(await sys.state()).find((o) => o.orderRef.startsWith('LIQ-'))!;
    const result = await sys.run(['--resume']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Trading halt LIFTED');
    expect(result.stdout).toContain(`closing order(s) of the liquidation may still wait at the broker (SELL 25 ${symbol} MKT, ${queued.orderRef})`);
    expect(sys.activeHalt()).toBeUndefined();
  });
});
