import {
  asOrderId, type BrokerOrder, type BrokerPort, type BrokerPosition, type Execution, type OrderEvent, type OrderId, type OrderRequest, type Quote,
} from '../../../shared/broker/types';

/**
 * A broker for the liquidation's unit tests, scripted per test: which orders fill at once (a market order
 * in regular hours, a marketable limit), which wait (a market order outside regular hours), which quotes
 * exist, and a "bot" that re-places its order after every global cancel (one that does not obey the halt).
 * Events arrive asynchronously, after placeOrder returned, as with the real adapter.
 */
export class ScriptedBroker {
  readonly clientId = 19;
  readonly calls: string[] = [];
  readonly sent: OrderRequest[] = [];
  readonly executionLog: Execution[] = [];
  working: BrokerOrder[] = [];
  /** Called at each global cancel, before anything is cancelled. */
  onGlobalCancel: (() => void) | undefined;
  /** How many more times a bot order re-appears right after a global cancel. */
  reappearAfterCancel = 0;
  private readonly listeners = new Set<(event: OrderEvent) => void>();
  private nextId = 500;
  private nextPermId = 7_000;

  constructor(
    private positionsList: BrokerPosition[],
    private readonly options: { fills: (request: OrderRequest) => boolean; quotes?: Record<string, Quote> },
  ) {}

  asPort(): BrokerPort {
    return this as unknown as BrokerPort;
  }

  /** A working order of another client (a bot's protection, an order placed by hand). */
  addWorking(order: Partial<BrokerOrder> & Pick<BrokerOrder, 'clientId' | 'orderRef' | 'symbol'>): void {
    this.working.push({
      orderId: asOrderId(this.nextId++), permId: this.nextPermId++, side: 'SELL', type: 'STP', quantity: 100, status: 'Submitted', filledQuantity: 0, remainingQuantity: 100,
      stopPrice: 1, ...order,
    });
  }

  isConnected(): boolean {
    return true;
  }
  onOrderEvent(listener: (event: OrderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async positions(): Promise<BrokerPosition[]> {
    return this.positionsList.filter((p) => p.quantity !== 0).map((p) => ({ ...p }));
  }
  async openOrders(): Promise<BrokerOrder[]> {
    return this.working.map((o) => ({ ...o }));
  }
  async executions(): Promise<Execution[]> {
    return this.executionLog.map((e) => ({ ...e }));
  }
  async globalCancel(): Promise<void> {
    this.calls.push('globalCancel');
    this.onGlobalCancel?.();
    for (const order of this.working) this.emitLater({ kind: 'status', orderId: order.orderId, ref: order.orderRef, status: 'Cancelled', filled: 0, remaining: order.quantity, permId: order.permId });
    this.working = [];
    if (this.reappearAfterCancel > 0) {
      this.reappearAfterCancel -= 1;
      this.addWorking({ clientId: 12, orderRef: 'P-20261123-NOVA-3f9a1c:SL:9', symbol: 'NOVA' });
    }
  }
  async cancelOrder(orderId: OrderId): Promise<void> {
    const order = this.working.find((o) => o.orderId === orderId);
    if (!order) return;
    this.working = this.working.filter((o) => o !== order);
    this.emitLater({ kind: 'status', orderId, ref: order.orderRef, status: 'Cancelled', filled: 0, remaining: order.quantity, permId: order.permId });
    this.emitLater({ kind: 'cancelled', orderId, ref: order.orderRef, filled: 0 });
  }
  async placeOrder(request: OrderRequest): Promise<OrderId> {
    const orderId = asOrderId(this.nextId++);
    const permId = this.nextPermId++;
    this.calls.push(`place ${request.side} ${request.quantity} ${request.symbol} ${request.type}${request.limitPrice !== undefined ? ` ${request.limitPrice}` : ''}${request.outsideRth ? ' outsideRth' : ''}`);
    this.sent.push({ ...request });
    this.emitLater({ kind: 'accepted', orderId, ref: request.orderRef, status: 'Submitted', permId });
    if (!this.options.fills(request)) {
      this.working.push({
        orderId, clientId: this.clientId, permId, orderRef: request.orderRef, symbol: request.symbol, side: request.side, type: request.type, quantity: request.quantity,
        limitPrice: request.limitPrice, status: 'PreSubmitted', filledQuantity: 0, remainingQuantity: request.quantity,
      });
      return orderId;
    }
    const price = request.limitPrice ?? 50;
    const execution: Execution = {
      execId: `exec.${permId}.01`, orderId, clientId: this.clientId, permId, orderRef: request.orderRef, symbol: request.symbol, side: request.side, quantity: request.quantity,
      price, cumulativeQuantity: request.quantity, avgPrice: price, timeMs: Date.parse('2026-11-23T15:15:00Z'), commission: 1,
    };
    this.executionLog.push(execution);
    const position = this.positionsList.find((p) => p.symbol === request.symbol && p.secType === 'STK' && p.currency === 'USD');
    if (position) position.quantity += request.side === 'BUY' ? request.quantity : -request.quantity;
    this.emitLater({ kind: 'filled', orderId, ref: request.orderRef, execution: { ...execution, commission: undefined }, remaining: 0 });
    this.emitLater({ kind: 'status', orderId, ref: request.orderRef, status: 'Filled', filled: request.quantity, remaining: 0, avgFillPrice: price, permId });
    return orderId;
  }
  subscribeQuotes(symbol: string, listener: (quote: Quote) => void): () => void {
    const quote = this.options.quotes?.[symbol];
    if (quote) setImmediate(() => listener({ ...quote }));
    return () => undefined;
  }

  private emitLater(event: OrderEvent): void {
    setImmediate(() => {
      for (const listener of this.listeners) listener(event);
    });
  }
}
