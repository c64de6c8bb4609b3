import { EventEmitter } from 'node:events';
import { BrokerTimeout, BrokerUnavailable } from '../../errors/errors';
import type { Clock } from '../../time/clock';
import type {
  AccountPnl, AccountSummary, Bar, BrokerOrder, BrokerPort, BrokerPosition, ConnectInfo, ConnectionEvent, Execution, MarketDataState, OrderEvent, OrderId,
  OrderRequest, Quote, ScanCode, StockContract, Unsubscribe,
} from '../types';
import { asOrderId } from '../types';
import { BrokerRequestError } from '../ib/pending-requests';

interface FakeOrder extends BrokerOrder {
  request: OrderRequest;
  triggered: boolean;
}

interface FakeMarket {
  bid: number;
  ask: number;
  last: number;
  /** Shares available at the touch per price update (partial fills above it). */
  liquidity: number;
}

type SnapshotKind = 'positions' | 'openOrders' | 'executions';

const COMMISSION_PER_SHARE = 0.005;

/**
 * An in-memory broker for the bots' unit tests: same port, same event order as the IB adapter against
 * sim-gateway (accepted → filled (+commission) → status), proven by the shared contract suite. Prices move
 * only when a test says so (`setPrice`), so every scenario is deterministic.
 *
 * It can be as hostile as IB, on demand and deterministically: position updates held back and released
 * later (`holdPositionUpdates`), execution reports held behind their order statuses (`holdExecutions`),
 * snapshots that time out or wait (`failNextSnapshot`, `pauseSnapshots`), corrected executions
 * (`correctExecution`), refused modifications (`rejectNextModify`), holdings of other kinds.
 */
export class FakeBroker implements BrokerPort {
  readonly clientId: number;
  private readonly events = new EventEmitter<{ order: [OrderEvent]; connection: [ConnectionEvent]; position: [BrokerPosition] }>();
  private readonly market = new Map<string, FakeMarket>();
  private readonly orders = new Map<number, FakeOrder>();
  /** The broker's true books, by conId. */
  private readonly truePositions = new Map<number, BrokerPosition>();
  /** What the broker REPORTS (snapshots and the stream), which lags the truth while updates are held. */
  private readonly reportedPositions = new Map<number, BrokerPosition>();
  private readonly heldPositionUpdates: BrokerPosition[] = [];
  private readonly heldExecutionEvents: OrderEvent[] = [];
  private readonly executionLog: Execution[] = [];
  private readonly quoteListeners = new Map<string, Set<(q: Quote) => void>>();
  private readonly snapshotFailures: Record<SnapshotKind, number> = { positions: 0, openOrders: 0, executions: 0 };
  private snapshotGate: Promise<void> | undefined;
  private positionsHeld = false;
  private executionsHeld = false;
  private modifyRejections: Array<{ code: number; reason: string }> = [];
  private connected = false;
  private nextId = 1;
  private nextPermId = 9_000_001;
  private execSeq = 1;
  private cash: number;
  marketData: MarketDataState = 'live';
  /** The exchange does not answer (IB's 1100 seen from the orders): orders are accepted, nothing fills or expires. */
  frozen = false;
  rejectNext = 0;
  /**
   * The events of a new order come on a later turn of the event loop, as from a socket: placeOrder has
   * returned and the caller may already send its next order (the real adapter writes and returns at once).
   */
  eventsAfterPlacementReturns = false;
  /** Symbols IB finds ambiguous on SMART: an order for one without its conId is refused with 200. */
  readonly ambiguous = new Set<string>();
  readonly accountId = 'DU0000001';
  /** Every order request sent, in order: tests assert "never sent twice". */
  readonly sent: Array<{ orderId: OrderId; request: OrderRequest }> = [];
  /** Every modification sent, in order. */
  readonly modified: Array<{ orderId: OrderId; request: OrderRequest }> = [];

  constructor(private readonly clock: Clock, options: { clientId?: number; cash?: number } = {}) {
    this.clientId = options.clientId ?? 1;
    this.cash = options.cash ?? 100_000;
  }

  /** Back-compat switch for tests that set `positionsTimeouts`: the next N positions snapshots time out. */
  set positionsTimeouts(count: number) {
    this.snapshotFailures.positions = count;
  }

  // ---- test controls ----
  setPrice(symbol: string, last: number, options: { spread?: number; liquidity?: number } = {}): void {
    const spread = options.spread ?? 0.02;
    const previous = this.market.get(symbol);
    this.market.set(symbol, { last, bid: round(last - spread / 2), ask: round(last + spread / 2), liquidity: options.liquidity ?? previous?.liquidity ?? 1_000_000 });
    this.match(symbol);
    const quote: Quote = { symbol, bid: round(last - spread / 2), ask: round(last + spread / 2), last, receivedAtMs: Date.now() };
    for (const listener of this.quoteListeners.get(symbol) ?? []) listener(quote);
  }

  /** A position opened or closed by hand, outside the API (a US stock unless said otherwise). */
  setPosition(symbol: string, quantity: number, averageCost: number, instrument: { conId?: number; secType?: string; currency?: string; description?: string } = {}): void {
    const conId = instrument.conId ?? conIdOf(symbol);
    const secType = instrument.secType ?? 'STK';
    const currency = instrument.currency ?? 'USD';
    const description = instrument.description ?? (secType === 'STK' && currency === 'USD' ? symbol : `${symbol} (${secType} ${currency})`);
    this.changePosition({ account: this.accountId, conId, symbol, secType, currency, description, quantity, averageCost });
  }

  /** From now on, position updates (stream and snapshots) lag the books until `releasePositionUpdates`. */
  holdPositionUpdates(on = true): void {
    this.positionsHeld = on;
    if (!on) this.releasePositionUpdates();
  }

  /** Delivers the held position updates, in order. */
  releasePositionUpdates(): void {
    for (const position of this.heldPositionUpdates.splice(0)) this.report(position);
  }

  /** From now on, execDetails and commission reports wait behind the order statuses until `releaseExecutions`. */
  holdExecutions(on = true): void {
    this.executionsHeld = on;
    if (!on) this.releaseExecutions();
  }

  releaseExecutions(): void {
    for (const event of this.heldExecutionEvents.splice(0)) this.events.emit('order', event);
  }

  /** The next `count` snapshots of this kind time out (BrokerTimeout): unknown, not empty. */
  failNextSnapshot(kind: SnapshotKind, count = 1): void {
    this.snapshotFailures[kind] += count;
  }

  /** Snapshots wait until the returned function is called (a gateway slow to answer). */
  pauseSnapshots(): () => void {
    let release!: () => void;
    this.snapshotGate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.snapshotGate = undefined;
      release();
    };
  }

  /**
   * IB corrects an execution: a new report with the same id prefix and the next suffix replaces the earlier
   * one (here: a new price). Returns the corrected execution id.
   */
  correctExecution(execId: string, price: number): string {
    const index = this.executionLog.findIndex((e) => e.execId === execId);
    if (index < 0) throw new Error(`no execution ${execId}`);
    const original = this.executionLog[index]!;
    const version = Number(execId.slice(-2)) + 1;
    const corrected: Execution = { ...original, execId: `${execId.slice(0, -2)}${String(version).padStart(2, '0')}`, price, commission: undefined };
    this.executionLog[index] = { ...corrected, commission: original.commission };
    this.emitExecution({ kind: 'filled', orderId: corrected.orderId, ref: corrected.orderRef, execution: corrected, remaining: undefined });
    return corrected.execId;
  }

  /** The next modification is refused by the broker with this code; the order keeps working unchanged. */
  rejectNextModify(code = 201, reason = 'Order rejected - reason: order precautions (fake)'): void {
    this.modifyRejections.push({ code, reason });
  }

  /** IB notices 1100 / 1101 / 1102 (connectivity between the gateway and IB). */
  notice(code: number, message = `notice ${code}`): void {
    this.events.emit('connection', { kind: 'notice', code, message });
    if (code === 1100 && this.connected) {
      this.connected = false;
      this.events.emit('connection', { kind: 'disconnected', reason: `IB connectivity lost (${code})` });
    }
    if ((code === 1101 || code === 1102) && !this.connected) {
      this.connected = true;
      this.events.emit('connection', { kind: 'connected', accounts: [this.accountId], nextValidId: this.nextId });
    }
  }

  simulateDisconnect(reason = 'test disconnect'): void {
    if (!this.connected) return;
    this.connected = false;
    this.events.emit('connection', { kind: 'disconnected', reason });
  }

  /** The broker's true position in a symbol (tests assert "never short" on it). */
  trueQuantity(symbol: string): number {
    return [...this.truePositions.values()].filter((p) => p.symbol === symbol && p.secType === 'STK').reduce((n, p) => n + p.quantity, 0);
  }

  // ---- BrokerPort ----
  async connect(): Promise<ConnectInfo> {
    this.connected = true;
    this.events.emit('connection', { kind: 'connected', accounts: [this.accountId], nextValidId: this.nextId });
    return { accounts: [this.accountId], nextValidId: this.nextId, serverVersion: 193 };
  }
  async disconnect(): Promise<void> {
    this.connected = false;
  }
  isConnected(): boolean {
    return this.connected;
  }
  marketDataState(): MarketDataState {
    return this.marketData;
  }
  onOrderEvent(listener: (event: OrderEvent) => void): Unsubscribe {
    this.events.on('order', listener);
    return () => this.events.off('order', listener);
  }
  onConnectionEvent(listener: (event: ConnectionEvent) => void): Unsubscribe {
    this.events.on('connection', listener);
    return () => this.events.off('connection', listener);
  }
  onPositionUpdate(listener: (position: BrokerPosition) => void): Unsubscribe {
    this.events.on('position', listener);
    return () => this.events.off('position', listener);
  }

  async positions(): Promise<BrokerPosition[]> {
    await this.snapshot('positions');
    return [...this.reportedPositions.values()].filter((p) => p.quantity !== 0).map((p) => ({ ...p }));
  }
  async openOrders(scope: 'own' | 'all'): Promise<BrokerOrder[]> {
    await this.snapshot('openOrders');
    void scope;
    return [...this.orders.values()].filter((o) => isWorking(o)).map(({ request: _r, triggered: _t, ...o }) => ({ ...o }));
  }
  async executions(filter: { sinceMs?: number; symbol?: string } = {}): Promise<Execution[]> {
    await this.snapshot('executions');
    return this.executionLog.filter((e) => (!filter.symbol || e.symbol === filter.symbol) && (!filter.sinceMs || e.timeMs >= filter.sinceMs)).map((e) => ({ ...e }));
  }

  async placeOrder(request: OrderRequest): Promise<OrderId> {
    this.requireConnected(`order ${request.orderRef}`);
    const orderId = asOrderId(this.nextId++);
    this.sent.push({ orderId, request: { ...request } });
    if (!this.market.has(request.symbol)) {
      // As IB does for a symbol it cannot resolve: rejected with 200, nothing working.
      queueMicrotask(() => this.events.emit('order', { kind: 'rejected', orderId, ref: request.orderRef, code: 200, reason: 'No security definition has been found for the request' }));
      return orderId;
    }
    if (this.ambiguous.has(request.symbol) && request.conId !== conIdOf(request.symbol)) {
      queueMicrotask(() => this.events.emit('order', { kind: 'rejected', orderId, ref: request.orderRef, code: 200, reason: `The contract description specified for ${request.symbol} is ambiguous.` }));
      return orderId;
    }
    if (this.rejectNext > 0) {
      this.rejectNext -= 1;
      queueMicrotask(() => this.events.emit('order', { kind: 'rejected', orderId, ref: request.orderRef, code: 201, reason: 'Order rejected - reason: fake rejection' }));
      return orderId;
    }
    const order: FakeOrder = {
      orderId, clientId: this.clientId, permId: this.nextPermId++, orderRef: request.orderRef, symbol: request.symbol, side: request.side,
      type: request.type, quantity: request.quantity, limitPrice: request.limitPrice, stopPrice: request.stopPrice, trailingPercent: request.trailingPercent,
      ocaGroup: request.ocaGroup, parentOrderId: request.parentOrderId, status: 'Submitted', filledQuantity: 0, remainingQuantity: request.quantity,
      request: { ...request }, triggered: false,
    };
    this.orders.set(orderId, order);
    // Like the adapter, events arrive asynchronously after placeOrder returns.
    const deliver = this.eventsAfterPlacementReturns ? (fn: () => void) => void setImmediate(fn) : queueMicrotask;
    deliver(() => {
      this.events.emit('order', { kind: 'accepted', orderId, ref: order.orderRef, status: 'Submitted', permId: order.permId });
      this.emitOpen(order);
      this.match(order.symbol);
      // IOC: what could not fill at once is cancelled by the broker (status Cancelled with filled > 0).
      if (request.tif === 'IOC' && isWorking(order) && !this.frozen) this.cancel(order, 'IOC remainder cancelled');
    });
    return orderId;
  }
  async contractOf(symbol: string): Promise<StockContract | undefined> {
    this.requireConnected(`contract lookup for ${symbol}`);
    return this.market.has(symbol) ? { conId: conIdOf(symbol) } : undefined;
  }
  async modifyOrder(orderId: OrderId, request: OrderRequest): Promise<void> {
    this.requireConnected(`modification of order ${orderId}`);
    this.modified.push({ orderId, request: { ...request } });
    const order = this.orders.get(orderId);
    if (!order || !isWorking(order)) throw new BrokerRequestError(104, `order ${orderId} cannot be modified`);
    const rejection = this.modifyRejections.shift();
    if (rejection) {
      // IB refuses the change; the original order keeps working exactly as it was.
      queueMicrotask(() => this.events.emit('order', { kind: 'order_error', orderId, ref: order.orderRef, code: rejection.code, reason: rejection.reason, refused: 'modify' }));
      return;
    }
    Object.assign(order, { quantity: request.quantity, limitPrice: request.limitPrice, stopPrice: request.stopPrice, remainingQuantity: request.quantity - order.filledQuantity, request: { ...request } });
    queueMicrotask(() => {
      this.emitOpen(order);
      this.match(order.symbol);
    });
  }
  async cancelOrder(orderId: OrderId): Promise<void> {
    this.requireConnected(`cancel of order ${orderId}`);
    const order = this.orders.get(orderId);
    if (!order || !isWorking(order)) {
      queueMicrotask(() => this.events.emit('connection', { kind: 'error', code: 10147, message: `OrderId ${orderId} that needs to be cancelled is not found.`, reqId: orderId }));
      return;
    }
    queueMicrotask(() => this.cancel(order, 'cancelled by client'));
  }
  async globalCancel(): Promise<void> {
    this.requireConnected('global cancel');
    for (const order of this.orders.values()) if (isWorking(order)) this.cancel(order, 'global cancel');
  }
  subscribeQuotes(symbol: string, listener: (quote: Quote) => void): Unsubscribe {
    const set = this.quoteListeners.get(symbol) ?? new Set();
    set.add(listener);
    this.quoteListeners.set(symbol, set);
    // Like the adapter, a late subscriber gets the quote already known.
    const market = this.market.get(symbol);
    if (market) setImmediate(() => set.has(listener) && listener({ symbol, bid: market.bid, ask: market.ask, last: market.last, receivedAtMs: Date.now() }));
    return () => set.delete(listener);
  }
  async historicalBars(symbol: string): Promise<Bar[]> {
    this.requireConnected('historical data request');
    const m = this.market.get(symbol);
    if (!m) throw new BrokerRequestError(200, 'No security definition has been found for the request');
    return [{ timeMs: this.clock.now(), open: m.last, high: m.last, low: m.last, close: m.last, volume: 0 }];
  }
  async scan(_scanCode: ScanCode): Promise<string[]> {
    this.requireConnected('scanner request');
    return [...this.market.keys()];
  }
  async accountSummary(): Promise<AccountSummary> {
    this.requireConnected('account summary request');
    const { net, gross } = this.valuation();
    return { accountId: this.accountId, netLiquidation: net, totalCash: this.cash, buyingPower: net * 4, grossPositionValue: gross, availableFunds: net - gross * 0.25 };
  }
  async accountPnl(): Promise<AccountPnl> {
    this.requireConnected('P&L request');
    const { unrealized } = this.valuation();
    return { dailyPnl: unrealized, unrealizedPnl: unrealized, realizedPnl: 0 };
  }
  async currentTime(): Promise<number> {
    this.requireConnected('current time request');
    return Math.floor(this.clock.now() / 1000) * 1000;
  }

  // ---- internals ----
  private requireConnected(action: string): void {
    if (!this.connected) throw new BrokerUnavailable(`not connected to the gateway: ${action} was NOT sent (it is never queued for later)`);
  }

  private async snapshot(kind: SnapshotKind): Promise<void> {
    this.requireConnected(`${kind} query`);
    if (this.snapshotGate) await this.snapshotGate;
    if (this.snapshotFailures[kind] > 0) {
      this.snapshotFailures[kind] -= 1;
      throw new BrokerTimeout(`${kind} query got no complete answer (fake timeout); treat as unknown, not empty`);
    }
    this.requireConnected(`${kind} query`);
  }

  private valuation(): { net: number; gross: number; unrealized: number } {
    let marketValue = 0;
    let gross = 0;
    let unrealized = 0;
    for (const p of this.truePositions.values()) {
      if (p.secType !== 'STK' || p.currency !== 'USD') continue;
      const last = this.market.get(p.symbol)?.last ?? p.averageCost;
      marketValue += p.quantity * last;
      gross += Math.abs(p.quantity * last);
      unrealized += (last - p.averageCost) * p.quantity;
    }
    return { net: this.cash + marketValue, gross, unrealized };
  }

  private changePosition(position: BrokerPosition): void {
    this.truePositions.set(position.conId, position);
    if (this.positionsHeld) this.heldPositionUpdates.push({ ...position });
    else this.report(position);
  }

  private report(position: BrokerPosition): void {
    this.reportedPositions.set(position.conId, { ...position });
    this.events.emit('position', { ...position });
  }

  private emitOpen(order: FakeOrder): void {
    this.events.emit('order', { kind: 'open', orderId: order.orderId, ref: order.orderRef, status: order.status, permId: order.permId, quantity: order.quantity, limitPrice: order.limitPrice, stopPrice: order.stopPrice });
  }

  private emitExecution(event: OrderEvent): void {
    if (this.executionsHeld) this.heldExecutionEvents.push(event);
    else this.events.emit('order', event);
  }

  private match(symbol: string): void {
    const market = this.market.get(symbol);
    if (!market || this.frozen) return;
    let liquidity = market.liquidity;
    for (const order of [...this.orders.values()].filter((o) => o.symbol === symbol).sort((a, b) => a.permId - b.permId)) {
      if (!isWorking(order) || liquidity <= 0) continue;
      const parent = order.parentOrderId ? this.orders.get(order.parentOrderId) : undefined;
      if (parent && parent.status !== 'Filled') continue;
      const buy = order.side === 'BUY';
      if ((order.type === 'STP' || order.type === 'STP LMT' || order.type === 'TRAIL') && !order.triggered) {
        const stop = order.stopPrice ?? 0;
        if (buy ? market.last < stop : market.last > stop) continue;
        order.triggered = true;
      }
      const touch = buy ? market.ask : market.bid;
      const isLimit = order.type === 'LMT' || (order.type === 'STP LMT' && order.triggered);
      if (isLimit && order.limitPrice !== undefined && (buy ? touch > order.limitPrice : touch < order.limitPrice)) continue;
      const quantity = Math.min(order.remainingQuantity, liquidity);
      liquidity -= quantity;
      this.fill(order, quantity, touch);
      // The displayed size refills on the next "tick": a large order keeps filling in parts, like at sim-gateway.
      if (isWorking(order) && order.request.tif !== 'IOC') setImmediate(() => this.match(symbol));
    }
  }

  private fill(order: FakeOrder, quantity: number, price: number): void {
    const signed = order.side === 'BUY' ? quantity : -quantity;
    const commission = Math.max(1, quantity * COMMISSION_PER_SHARE);
    order.avgFillPrice = ((order.avgFillPrice ?? 0) * order.filledQuantity + price * quantity) / (order.filledQuantity + quantity);
    order.filledQuantity += quantity;
    order.remainingQuantity -= quantity;
    if (order.remainingQuantity <= 0) order.status = 'Filled';
    const conId = order.request.conId ?? conIdOf(order.symbol);
    const held = this.truePositions.get(conId) ?? { account: this.accountId, conId, symbol: order.symbol, secType: 'STK', currency: 'USD', description: order.symbol, quantity: 0, averageCost: 0 };
    const after = held.quantity + signed;
    const averageCost = after === 0 ? 0 : Math.sign(signed) === Math.sign(held.quantity) || held.quantity === 0 ? (Math.abs(held.quantity) * held.averageCost + quantity * price) / Math.abs(after) : held.averageCost;
    this.cash -= signed * price + commission;
    const seq = this.execSeq++;
    const execution: Execution = {
      execId: `0000fake.${order.permId.toString(16)}.${seq.toString(16).padStart(6, '0')}.01`, orderId: order.orderId, clientId: this.clientId, permId: order.permId, orderRef: order.orderRef,
      symbol: order.symbol, side: order.side, quantity, price, cumulativeQuantity: order.filledQuantity, avgPrice: order.avgFillPrice, timeMs: this.clock.now(), commission, conId,
    };
    this.executionLog.push(execution);
    this.emitExecution({ kind: 'filled', orderId: order.orderId, ref: order.orderRef, execution: { ...execution, commission: undefined }, remaining: order.remainingQuantity });
    this.emitExecution({ kind: 'commission', execId: execution.execId, commission });
    this.events.emit('order', { kind: 'status', orderId: order.orderId, ref: order.orderRef, status: order.status, filled: order.filledQuantity, remaining: order.remainingQuantity, avgFillPrice: order.avgFillPrice, permId: order.permId });
    this.changePosition({ ...held, quantity: after, averageCost });
    if (order.ocaGroup) {
      for (const sibling of this.orders.values()) {
        if (sibling === order || sibling.ocaGroup !== order.ocaGroup || !isWorking(sibling)) continue;
        if ((order.request.ocaType ?? 1) === 1) this.cancel(sibling, `OCA group ${order.ocaGroup} filled`);
        else {
          sibling.quantity -= quantity;
          sibling.remainingQuantity = sibling.quantity - sibling.filledQuantity;
          if (sibling.remainingQuantity <= 0) this.cancel(sibling, 'OCA reduced to zero');
          else this.emitOpen(sibling);
        }
      }
    }
  }

  private cancel(order: FakeOrder, reason: string): void {
    order.status = 'Cancelled';
    this.events.emit('order', { kind: 'status', orderId: order.orderId, ref: order.orderRef, status: 'Cancelled', filled: order.filledQuantity, remaining: order.remainingQuantity, permId: order.permId });
    this.events.emit('order', { kind: 'cancelled', orderId: order.orderId, ref: order.orderRef, filled: order.filledQuantity, reason });
    for (const child of this.orders.values()) if (child.parentOrderId === order.orderId && isWorking(child) && order.filledQuantity === 0) this.cancel(child, 'parent cancelled');
  }
}

function isWorking(order: BrokerOrder): boolean {
  return order.status === 'Submitted' || order.status === 'PreSubmitted';
}

function round(price: number): number {
  return Math.round(price * 100) / 100;
}

/** A stable fake conId per symbol. */
export function conIdOf(symbol: string): number {
  let hash = 7;
  for (let i = 0; i < symbol.length; i++) hash = (hash * 31 + symbol.charCodeAt(i)) % 1_000_000_007;
  return 100_000 + hash;
}
