import { EventEmitter } from 'node:events';
import { BrokerTimeout, BrokerUnavailable } from '../../errors/errors';
import type { Clock } from '../../time/clock';
import type {
  AccountSummary, Bar, BrokerOrder, BrokerPort, BrokerPosition, ConnectInfo, ConnectionEvent, Execution, OrderEvent, OrderId,
  OrderRequest, Quote, ScanCode, Unsubscribe,
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

const COMMISSION_PER_SHARE = 0.005;

/**
 * An in-memory broker for the bots' unit tests: same port, same event order as the IB adapter against
 * sim-gateway (accepted → filled (+commission) → status), proven by the shared contract suite. Prices move
 * only when a test says so (`setPrice`), so every scenario is deterministic.
 */
export class FakeBroker implements BrokerPort {
  readonly clientId: number;
  private readonly events = new EventEmitter<{ order: [OrderEvent]; connection: [ConnectionEvent]; position: [BrokerPosition] }>();
  private readonly market = new Map<string, FakeMarket>();
  private readonly orders = new Map<number, FakeOrder>();
  private readonly positionsBySymbol = new Map<string, BrokerPosition>();
  private readonly executionLog: Execution[] = [];
  private readonly quoteListeners = new Map<string, Set<(q: Quote) => void>>();
  private connected = false;
  private nextId = 1;
  private nextPermId = 9_000_001;
  private execSeq = 1;
  private cash: number;
  rejectNext = 0;
  positionsTimeouts = 0;
  readonly accountId = 'DU0000001';
  /** Every order request sent, in order: tests assert "never sent twice". */
  readonly sent: Array<{ orderId: OrderId; request: OrderRequest }> = [];

  constructor(private readonly clock: Clock, options: { clientId?: number; cash?: number } = {}) {
    this.clientId = options.clientId ?? 1;
    this.cash = options.cash ?? 100_000;
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

  /** A position opened or closed by hand, outside the API. */
  setPosition(symbol: string, quantity: number, averageCost: number): void {
    const position = { symbol, quantity, averageCost, account: this.accountId };
    this.positionsBySymbol.set(symbol, position);
    this.events.emit('position', position);
  }

  simulateDisconnect(reason = 'test disconnect'): void {
    if (!this.connected) return;
    this.connected = false;
    this.events.emit('connection', { kind: 'disconnected', reason });
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
    this.requireConnected('positions query');
    if (this.positionsTimeouts > 0) {
      this.positionsTimeouts -= 1;
      throw new BrokerTimeout('positions query got no complete answer (fake timeout); treat as unknown, not empty');
    }
    return [...this.positionsBySymbol.values()].filter((p) => p.quantity !== 0).map((p) => ({ ...p }));
  }
  async openOrders(scope: 'own' | 'all'): Promise<BrokerOrder[]> {
    this.requireConnected('open orders query');
    void scope;
    return [...this.orders.values()].filter((o) => isWorking(o)).map(({ request: _r, triggered: _t, ...o }) => ({ ...o }));
  }
  async executions(filter: { sinceMs?: number; symbol?: string } = {}): Promise<Execution[]> {
    this.requireConnected('executions query');
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
    queueMicrotask(() => {
      this.events.emit('order', { kind: 'accepted', orderId, ref: order.orderRef, status: 'Submitted', permId: order.permId });
      this.match(order.symbol);
    });
    return orderId;
  }
  async modifyOrder(orderId: OrderId, request: OrderRequest): Promise<void> {
    this.requireConnected(`modification of order ${orderId}`);
    const order = this.orders.get(orderId);
    if (!order || !isWorking(order)) throw new BrokerRequestError(104, `order ${orderId} cannot be modified`);
    Object.assign(order, { quantity: request.quantity, limitPrice: request.limitPrice, stopPrice: request.stopPrice, remainingQuantity: request.quantity - order.filledQuantity, request: { ...request } });
    queueMicrotask(() => this.match(order.symbol));
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
    let marketValue = 0;
    let gross = 0;
    let unrealized = 0;
    for (const p of this.positionsBySymbol.values()) {
      const last = this.market.get(p.symbol)?.last ?? p.averageCost;
      marketValue += p.quantity * last;
      gross += Math.abs(p.quantity * last);
      unrealized += (last - p.averageCost) * p.quantity;
    }
    const net = this.cash + marketValue;
    return { accountId: this.accountId, netLiquidation: net, totalCash: this.cash, buyingPower: net * 4, grossPositionValue: gross, availableFunds: net - gross * 0.25, realizedPnl: 0, unrealizedPnl: unrealized };
  }
  async currentTime(): Promise<number> {
    this.requireConnected('current time request');
    return Math.floor(this.clock.now() / 1000) * 1000;
  }

  // ---- matching ----
  private requireConnected(action: string): void {
    if (!this.connected) throw new BrokerUnavailable(`not connected to the gateway: ${action} was NOT sent (it is never queued for later)`);
  }

  private match(symbol: string): void {
    const market = this.market.get(symbol);
    if (!market) return;
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
      if (isWorking(order)) setImmediate(() => this.match(symbol));
    }
  }

  private fill(order: FakeOrder, quantity: number, price: number): void {
    const signed = order.side === 'BUY' ? quantity : -quantity;
    const commission = Math.max(1, quantity * COMMISSION_PER_SHARE);
    order.avgFillPrice = ((order.avgFillPrice ?? 0) * order.filledQuantity + price * quantity) / (order.filledQuantity + quantity);
    order.filledQuantity += quantity;
    order.remainingQuantity -= quantity;
    if (order.remainingQuantity <= 0) order.status = 'Filled';
    const held = this.positionsBySymbol.get(order.symbol) ?? { symbol: order.symbol, quantity: 0, averageCost: 0, account: this.accountId };
    const after = held.quantity + signed;
    const averageCost = after === 0 ? 0 : Math.sign(signed) === Math.sign(held.quantity) || held.quantity === 0 ? (Math.abs(held.quantity) * held.averageCost + quantity * price) / Math.abs(after) : held.averageCost;
    const position = { symbol: order.symbol, quantity: after, averageCost, account: this.accountId };
    this.positionsBySymbol.set(order.symbol, position);
    this.cash -= signed * price + commission;
    const execution: Execution = {
      execId: `fake.${order.permId}.${this.execSeq++}`, orderId: order.orderId, clientId: this.clientId, permId: order.permId, orderRef: order.orderRef,
      symbol: order.symbol, side: order.side, quantity, price, cumulativeQuantity: order.filledQuantity, avgPrice: order.avgFillPrice, timeMs: this.clock.now(), commission,
    };
    this.executionLog.push(execution);
    this.events.emit('order', { kind: 'filled', orderId: order.orderId, ref: order.orderRef, execution: { ...execution, commission: undefined }, remaining: order.remainingQuantity });
    this.events.emit('order', { kind: 'commission', execId: execution.execId, commission });
    this.events.emit('order', { kind: 'status', orderId: order.orderId, ref: order.orderRef, status: order.status, filled: order.filledQuantity, remaining: order.remainingQuantity, avgFillPrice: order.avgFillPrice, permId: order.permId });
    this.events.emit('position', { ...position });
    if (order.ocaGroup) {
      for (const sibling of this.orders.values()) {
        if (sibling === order || sibling.ocaGroup !== order.ocaGroup || !isWorking(sibling)) continue;
        if ((order.request.ocaType ?? 1) === 1) this.cancel(sibling, `OCA group ${order.ocaGroup} filled`);
        else {
          sibling.quantity -= quantity;
          sibling.remainingQuantity = sibling.quantity - sibling.filledQuantity;
          if (sibling.remainingQuantity <= 0) this.cancel(sibling, 'OCA reduced to zero');
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
