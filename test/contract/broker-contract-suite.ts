import { BrokerUnavailable } from '../../shared/errors/errors';
import type { BrokerPort, BrokerPosition, Execution, OrderEvent, OrderId } from '../../shared/broker/types';
import { isUsdStock } from '../../shared/broker/types';
import { executionBase, executionVersion } from '../../shared/db/execution-ids';
import { EventRecorder } from '../helpers/order-events';
import { waitUntil } from '../helpers/wait-until';

/** What each implementation of the port provides to the shared contract suite. */
export interface BrokerHarness {
  broker: BrokerPort;
  /** Another client id on the same account. */
  otherClient: BrokerPort;
  /** Symbols with prices; each test takes its own so tests do not interfere. */
  symbols: string[];
  lastPrice(symbol: string): Promise<number>;
  /** Shares offered at the ask now (the broker's truth, not a possibly delayed quote). */
  insideSize(symbol: string): Promise<number>;
  movePrice(symbol: string, pct: number): Promise<void>;
  rejectNext(count: number): Promise<void>;
  /** Gateway restart: connections drop, the account is kept. */
  restartGateway(): Promise<void>;
  /** The gateway stops answering without closing the socket. `resume` ends it. */
  silenceGateway(): Promise<void>;
  resumeGateway(): Promise<void>;
  /** Every order ref the broker ever received (to prove an order was NOT sent). */
  refsAtBroker(): Promise<string[]>;
  eventTimeoutMs: number;
}

type Filled = Extract<OrderEvent, { kind: 'filled' }>;
type Status = Extract<OrderEvent, { kind: 'status' }>;
const isFilled = (ref: string) => (e: OrderEvent): e is Filled => e.kind === 'filled' && e.ref === ref;
const isStatus = (ref: string, status: string) => (e: OrderEvent): e is Status => e.kind === 'status' && e.ref === ref && e.status === status;

/** Shares of a US stock held (an option has its underlying's symbol: it is not a share). */
export function stockQuantity(positions: readonly BrokerPosition[], symbol: string): number {
  return positions.filter((p) => p.symbol === symbol && isUsdStock(p)).reduce((n, p) => n + p.quantity, 0);
}

/**
 * The executions of one order as the broker finally states them: a correction (same execId prefix, higher
 * suffix) replaces the report it corrects, so each execution counts once, in its latest version.
 */
export function latestExecutions(executions: readonly Execution[]): Execution[] {
  const byBase = new Map<string, Execution>();
  for (const execution of executions) {
    const known = byBase.get(executionBase(execution.execId));
    if (!known || executionVersion(execution.execId) > executionVersion(known.execId)) byBase.set(executionBase(execution.execId), execution);
  }
  return [...byBase.values()];
}

/**
 * The broker port's contract: every implementation (the in-memory fake, the IB adapter against a real
 * sim-gateway) must pass it, so bots tested against the fake behave the same against IB.
 */
export function brokerContractSuite(name: string, setup: () => Promise<BrokerHarness>, teardown: () => Promise<void>): void {
  describe(`broker contract: ${name}`, () => {
    let h: BrokerHarness;
    let events: EventRecorder;
    let symbolIndex = 0;
    const nextSymbol = () => h.symbols[symbolIndex++ % h.symbols.length]!;
    const ref = (label: string) => `CT-${label}-${Date.now().toString(36)}-${symbolIndex}`;
    /** Position reports may trail a fill by seconds: waits for them are generous, and never assert a duration. */
    const positionTimeoutMs = () => h.eventTimeoutMs * 3;

    beforeAll(async () => {
      h = await setup();
      events = new EventRecorder(h.broker);
    });
    afterAll(async () => {
      // Also after a failed or timed-out setup (events undefined): a gateway left running keeps jest alive.
      events?.close();
      await teardown();
    });

    it('connects and reports a paper (DU) account', async () => {
      const info = await h.broker.connect();
      expect(info.accounts.length).toBeGreaterThan(0);
      expect(info.accounts[0]).toMatch(/^DU/);
      expect(info.nextValidId).toBeGreaterThanOrEqual(1);
      expect(h.broker.isConnected()).toBe(true);
    });

    it('streams two-sided quotes', async () => {
      const symbol = nextSymbol();
      const quote = await new Promise<{ bid?: number; ask?: number }>((resolve) => {
        const unsubscribe = h.broker.subscribeQuotes(symbol, (q) => {
          if (q.bid && q.ask) {
            unsubscribe();
            resolve({ bid: q.bid, ask: q.ask });
          }
        });
        void h.movePrice(symbol, 0.1);
      });
      expect(quote.bid!).toBeLessThan(quote.ask!);
    });

    it('fills a market order; the position is EVENTUALLY reported, on the stream and account-wide; the execution exactly once', async () => {
      const symbol = nextSymbol();
      const orderRef = ref('mkt');
      const before = stockQuantity(await h.broker.positions(), symbol);
      const streamed: BrokerPosition[] = [];
      const stopStream = h.broker.onPositionUpdate((p) => {
        if (p.symbol === symbol && isUsdStock(p)) streamed.push(p);
      });
      try {
        await h.broker.placeOrder({ orderRef, symbol, side: 'BUY', quantity: 10, type: 'MKT', tif: 'DAY' });
        const fill = await events.waitForOrder(isFilled(orderRef), h.eventTimeoutMs, `fill of ${orderRef}`);
        expect(fill.execution).toMatchObject({ symbol, side: 'BUY', quantity: 10, orderRef });
        expect(fill.execution.execId).not.toBe('');
        // The fill names the exact contract, and it is the one contractOf gives (what a claim carries).
        const contract = await h.broker.contractOf(symbol);
        expect(contract?.conId).toBeGreaterThan(0);
        expect(fill.execution.conId).toBe(contract!.conId);
        await events.waitForOrder((e) => e.kind === 'commission' && executionBase(e.execId) === executionBase(fill.execution.execId), h.eventTimeoutMs, 'commission');

        // Position reports trail the fill that caused them (hundreds of ms, sometimes seconds, at IB): the
        // contract is "eventually", on the stream and in snapshots of every client of the account.
        await waitUntil(() => streamed.some((p) => p.quantity === before + 10), positionTimeoutMs(), `the position stream reporting ${before + 10} ${symbol}`);
        await waitUntil(async () => stockQuantity(await h.broker.positions(), symbol) === before + 10, positionTimeoutMs(), 'the position in a snapshot', 100);
        await waitUntil(async () => stockQuantity(await h.otherClient.positions(), symbol) === before + 10, positionTimeoutMs(), 'the position seen by another client', 100);

        // Exactly once: one row per execution, in its latest version (a correction replaces, never adds).
        const executions = await waitUntil(async () => {
          const rows = (await h.broker.executions({ symbol })).filter((e) => e.orderRef === orderRef);
          return rows.reduce((n, e) => n + e.quantity, 0) === 10 ? rows : undefined;
        }, h.eventTimeoutMs * 2, 'the executions of the order adding up to 10', 100);
        expect(new Set(executions.map((e) => executionBase(e.execId))).size).toBe(executions.length);
        expect(executions.map((e) => executionBase(e.execId))).toContain(executionBase(fill.execution.execId));
        const reported = events.orderEvents.filter(isFilled(orderRef)).map((f) => f.execution);
        expect(new Set(reported.map((e) => e.execId)).size).toBe(reported.length);
        expect(latestExecutions(reported).reduce((n, e) => n + e.quantity, 0)).toBe(10);
      } finally {
        stopStream();
      }
    });

    it('reports an order\'s Filled status and its executions in either order, and they agree', async () => {
      const symbol = nextSymbol();
      const orderRef = ref('status-exec');
      await h.broker.placeOrder({ orderRef, symbol, side: 'BUY', quantity: 15, type: 'MKT', tif: 'DAY' });
      // IB may say Filled before the last execDetails arrives: wait for each on its own, never for one via the other.
      const [status, fills] = await Promise.all([
        events.waitForOrder(isStatus(orderRef, 'Filled'), h.eventTimeoutMs, 'Filled status'),
        events.waitFor(() => {
          const latest = latestExecutions(events.orderEvents.filter(isFilled(orderRef)).map((f) => f.execution));
          return latest.reduce((n, e) => n + e.quantity, 0) === 15 ? latest : undefined;
        }, h.eventTimeoutMs, 'executions adding up to 15'),
      ]);
      expect(status).toMatchObject({ filled: 15, remaining: 0 });
      expect(Math.max(...fills.map((f) => f.cumulativeQuantity))).toBe(15);
      expect(fills.every((f) => f.orderId === status.orderId)).toBe(true);
    });

    it('runs a bracket: entry filled, target hit, OCA stop cancelled', async () => {
      const symbol = nextSymbol();
      const before = stockQuantity(await h.broker.positions(), symbol);
      const price = await h.lastPrice(symbol);
      const [entryRef, targetRef, stopRef] = [ref('br-entry'), ref('br-tp'), ref('br-sl')];
      const parent = await h.broker.placeOrder({ orderRef: entryRef, symbol, side: 'BUY', quantity: 20, type: 'MKT', tif: 'DAY', transmit: false });
      await h.broker.placeOrder({ orderRef: targetRef, symbol, side: 'SELL', quantity: 20, type: 'LMT', limitPrice: round(price * 1.02), tif: 'DAY', parentOrderId: parent, ocaGroup: `${entryRef}-oca`, ocaType: 1, transmit: false });
      const stop = await h.broker.placeOrder({ orderRef: stopRef, symbol, side: 'SELL', quantity: 20, type: 'STP', stopPrice: round(price * 0.97), tif: 'DAY', parentOrderId: parent, ocaGroup: `${entryRef}-oca`, ocaType: 1, transmit: true });
      await events.waitForOrder(isFilled(entryRef), h.eventTimeoutMs, 'bracket entry fill');
      await h.movePrice(symbol, 5);
      const target = await events.waitForOrder(isFilled(targetRef), h.eventTimeoutMs, 'target fill');
      expect(target.execution.price).toBeGreaterThanOrEqual(round(price * 1.02));
      await events.waitForOrder((e) => e.kind === 'cancelled' && e.orderId === stop, h.eventTimeoutMs, 'OCA stop cancelled');
      expect(events.orderEvents.some(isFilled(stopRef))).toBe(false);
      await waitUntil(async () => stockQuantity(await h.broker.positions(), symbol) === before, positionTimeoutMs(), 'the position flat again', 100);
    });

    it('fills a stop gapped through at the gap price, below the stop', async () => {
      const symbol = nextSymbol();
      const entryRef = ref('gap-entry');
      const stopRef = ref('gap-stop');
      await h.broker.placeOrder({ orderRef: entryRef, symbol, side: 'BUY', quantity: 10, type: 'MKT', tif: 'DAY' });
      const entry = await events.waitForOrder(isFilled(entryRef), h.eventTimeoutMs, 'entry fill');
      const stopPrice = round(entry.execution.price * 0.99);
      await h.broker.placeOrder({ orderRef: stopRef, symbol, side: 'SELL', quantity: 10, type: 'STP', stopPrice, tif: 'DAY' });
      await events.waitForOrder((e) => e.kind === 'accepted' && e.ref === stopRef, h.eventTimeoutMs, 'stop accepted');
      await h.movePrice(symbol, -6);
      const stopFill = await events.waitForOrder(isFilled(stopRef), h.eventTimeoutMs, 'stop fill');
      expect(stopFill.execution.price).toBeLessThan(stopPrice * 0.97);
    });

    it('fills an order large against the displayed size in several parts', async () => {
      const symbol = nextSymbol();
      const orderRef = ref('partial');
      // Many times the largest of a few displayed sizes: the size varies tick to tick (lognormal, a ratio of
      // three between two ticks is common), and a touch at least as large as the order fills it whole.
      const sizes: number[] = [];
      for (let i = 0; i < 5; i++) sizes.push(await h.insideSize(symbol));
      const quantity = Math.max(300, Math.max(...sizes) * 10);
      await h.broker.placeOrder({ orderRef, symbol, side: 'BUY', quantity, type: 'MKT', tif: 'DAY' });
      // A corrected execution is reported again (same execId prefix, next suffix): count each one once.
      const done = await events.waitFor(() => {
        const fills = latestExecutions(events.orderEvents.filter(isFilled(orderRef)).map((f) => f.execution));
        return fills.reduce((n, f) => n + f.quantity, 0) >= quantity ? fills : undefined;
      }, h.eventTimeoutMs * 3, 'all partial fills');
      expect(done.length).toBeGreaterThanOrEqual(2);
      const cumulative = done.map((f) => f.cumulativeQuantity);
      expect(cumulative).toEqual([...cumulative].sort((a, b) => a - b));
      expect(cumulative[cumulative.length - 1]).toBe(quantity);
    });

    it('refuses a cancel from a client that did not place the order (10147) and keeps the order working', async () => {
      const symbol = nextSymbol();
      const price = await h.lastPrice(symbol);
      const orderRef = ref('owner');
      const otherEvents = new EventRecorder(h.otherClient);
      const orderId = await h.broker.placeOrder({ orderRef, symbol, side: 'BUY', quantity: 5, type: 'LMT', limitPrice: round(price * 0.5), tif: 'DAY' });
      await events.waitForOrder((e) => e.kind === 'accepted' && e.ref === orderRef, h.eventTimeoutMs, 'accepted');
      await h.otherClient.cancelOrder(orderId);
      const refusal = await otherEvents.waitForConnection((e) => e.kind === 'error' && e.code === 10147, h.eventTimeoutMs, '10147');
      expect(refusal).toMatchObject({ kind: 'error', code: 10147 });
      otherEvents.close();
      const working = await h.broker.openOrders('own');
      expect(working.find((o) => o.orderRef === orderRef)?.status).toMatch(/Submitted/);
      await h.broker.cancelOrder(orderId);
      await events.waitForOrder((e) => e.kind === 'cancelled' && e.ref === orderRef, h.eventTimeoutMs, 'owner cancel');
    });

    it('reports a rejection with its code', async () => {
      const symbol = nextSymbol();
      await h.rejectNext(1);
      const orderRef = ref('reject');
      await h.broker.placeOrder({ orderRef, symbol, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' });
      const rejected = await events.waitForOrder((e) => e.kind === 'rejected' && e.ref === orderRef, h.eventTimeoutMs, 'rejection');
      expect(rejected).toMatchObject({ kind: 'rejected', code: 201 });
      expect(events.orderEvents.some(isFilled(orderRef))).toBe(false);
    });

    it('rejects an order for an unknown symbol with IB 200, and nothing is working or filled', async () => {
      const orderRef = ref('unknown');
      await h.broker.placeOrder({ orderRef, symbol: 'ZZQXW', side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' });
      const rejected = await events.waitForOrder((e) => e.kind === 'rejected' && e.ref === orderRef, h.eventTimeoutMs, 'rejection of an unknown symbol');
      expect(rejected).toMatchObject({ kind: 'rejected', code: 200, reason: expect.stringMatching(/security definition/i) });
      expect((await h.broker.openOrders('own')).some((o) => o.orderRef === orderRef)).toBe(false);
      expect(events.orderEvents.some(isFilled(orderRef))).toBe(false);
    });

    it('keeps positions across a gateway restart and reconnects by itself', async () => {
      const symbol = nextSymbol();
      const orderRef = ref('restart');
      const before = stockQuantity(await h.broker.positions(), symbol);
      await h.broker.placeOrder({ orderRef, symbol, side: 'BUY', quantity: 7, type: 'MKT', tif: 'DAY' });
      await events.waitForOrder(isFilled(orderRef), h.eventTimeoutMs, 'fill before restart');
      const seen = events.connectionEvents.length;
      await h.restartGateway();
      await events.waitForConnection((e) => e.kind === 'connected', h.eventTimeoutMs * 2, 'reconnect after restart', seen);
      await waitUntil(async () => stockQuantity(await h.broker.positions(), symbol) === before + 7, positionTimeoutMs(), 'the position after the restart', 100);
    });

    it('detects a silent gateway, refuses to send orders while disconnected, and sends nothing later', async () => {
      const symbol = nextSymbol();
      const seen = events.connectionEvents.length;
      await h.silenceGateway();
      await events.waitForConnection((e) => e.kind === 'disconnected', h.eventTimeoutMs, 'silence detected', seen);
      expect(h.broker.isConnected()).toBe(false);
      const orderRef = ref('while-down');
      await expect(h.broker.placeOrder({ orderRef, symbol, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' })).rejects.toBeInstanceOf(BrokerUnavailable);
      await h.resumeGateway();
      await events.waitForConnection((e) => e.kind === 'connected', h.eventTimeoutMs * 2, 'reconnect after silence', seen);
      // Prove the refused order never reached the broker, even after the reconnect.
      const marker = ref('after-reconnect');
      await h.broker.placeOrder({ orderRef: marker, symbol, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' });
      await events.waitForOrder(isFilled(marker), h.eventTimeoutMs, 'order after reconnect');
      const refs = await h.refsAtBroker();
      expect(refs).toContain(marker);
      expect(refs).not.toContain(orderRef);
    });
  });
}

export function round(price: number): number {
  return Math.round(price * 100) / 100;
}

export type { OrderId };
