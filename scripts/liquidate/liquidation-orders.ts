import type { BrokerPort, Execution, OrderEvent, OrderId, OrderSide } from '../../shared/broker/types';
import type { Logger } from '../../shared/log/logger';

const MAX_UNMATCHED_EVENTS = 1_000;

export type LiquidationOrderState = 'working' | 'filled' | 'cancelled' | 'rejected';

export interface LiquidationOrder {
  orderId: OrderId;
  orderRef: string;
  symbol: string;
  side: OrderSide;
  quantity: number;
  /** 1 = first pass, 2 = the retry for what the first pass left. */
  attempt: number;
  type: 'MKT' | 'LMT';
  limitPrice: number | undefined;
  /** now: it can execute in this session; open: a DAY market order waiting for the next regular open. */
  fillsAt: 'now' | 'open';
  state: LiquidationOrderState;
  filledQuantity: number;
  avgFillPrice: number | undefined;
  reason: string | undefined;
  executions: Map<string, Execution>;
}

/**
 * Follows our market orders through the broker's order events: fills (each execution once, by exec id),
 * final states, rejections and the commission reports that follow executions. Waiters wake on every event.
 */
export class LiquidationOrderBook {
  readonly orders: LiquidationOrder[] = [];
  readonly commissions = new Map<string, number>();
  private waiters: Array<() => void> = [];
  /** Events of orders not added yet: a fill can be reported before placeOrder's promise hands us the id. */
  private unmatched: OrderEvent[] = [];
  private readonly unsubscribe: () => void;

  constructor(broker: BrokerPort, private readonly log: Logger) {
    this.unsubscribe = broker.onOrderEvent((event) => this.onEvent(event));
  }

  add(order: Omit<LiquidationOrder, 'state' | 'filledQuantity' | 'avgFillPrice' | 'reason' | 'executions'>): LiquidationOrder {
    const tracked: LiquidationOrder = { ...order, state: 'working', filledQuantity: 0, avgFillPrice: undefined, reason: undefined, executions: new Map() };
    this.orders.push(tracked);
    const early = this.unmatched.filter((e) => 'orderId' in e && (e.orderId === tracked.orderId || (e.ref !== '' && e.ref === tracked.orderRef)));
    this.unmatched = this.unmatched.filter((e) => !early.includes(e));
    for (const event of early) this.onEvent(event);
    return tracked;
  }

  working(attempt?: number): LiquidationOrder[] {
    return this.orders.filter((o) => o.state === 'working' && (attempt === undefined || o.attempt === attempt));
  }

  /** Working orders that can execute now (not those queued for the open). */
  workingNow(attempt?: number): LiquidationOrder[] {
    return this.working(attempt).filter((o) => o.fillsAt === 'now');
  }

  executions(): Execution[] {
    return this.orders.flatMap((o) => [...o.executions.values()]);
  }

  /** Resolves on the next order event, or after `maxWaitMs` (the caller then polls the broker). */
  nextEvent(maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(wake, Math.max(0, maxWaitMs));
      const waiters = this.waiters;
      function wake() {
        clearTimeout(timer);
        const index = waiters.indexOf(wake);
        if (index >= 0) waiters.splice(index, 1);
        resolve();
      }
      waiters.push(wake);
    });
  }

  close(): void {
    this.unsubscribe();
    for (const wake of this.waiters.splice(0)) wake();
  }

  private find(event: { orderId: OrderId; ref: string }): LiquidationOrder | undefined {
    return this.orders.find((o) => o.orderId === event.orderId) ?? (event.ref ? this.orders.find((o) => o.orderRef === event.ref) : undefined);
  }

  private onEvent(event: OrderEvent): void {
    if (event.kind === 'commission') {
      this.commissions.set(event.execId, event.commission);
      this.wakeAll();
      return;
    }
    const order = this.find(event);
    if (!order) {
      this.unmatched.push(event);
      if (this.unmatched.length > MAX_UNMATCHED_EVENTS) this.unmatched.shift();
      return;
    }
    switch (event.kind) {
      case 'accepted':
      case 'open':
        break;
      case 'order_error':
        // A refused cancel or a warning leaves the order as it was: only a status ends it.
        order.reason = `${event.code}: ${event.reason}`;
        break;
      case 'filled': {
        const execution = event.execution;
        if (order.executions.has(execution.execId)) break;
        order.executions.set(execution.execId, execution);
        this.log.info('liquidation_fill', {
          symbol: order.symbol, orderId: order.orderId, orderRef: order.orderRef, execId: execution.execId, side: execution.side, quantity: execution.quantity,
          price: execution.price, cumulativeQuantity: execution.cumulativeQuantity,
        });
        break;
      }
      case 'status':
        order.filledQuantity = Math.max(order.filledQuantity, event.filled);
        if (event.avgFillPrice) order.avgFillPrice = event.avgFillPrice;
        if (event.status === 'Filled' && event.remaining === 0) order.state = 'filled';
        else if (event.status === 'Inactive' && order.state === 'working') {
          order.state = 'rejected';
          order.reason ??= 'order inactive at the broker';
        }
        break;
      case 'cancelled':
        if (order.state === 'working') {
          // Inactive: the broker (or the exchange) refused it after acknowledging it.
          order.state = event.reason === 'inactive' ? 'rejected' : 'cancelled';
          order.reason = order.state === 'rejected' ? order.reason ?? 'order inactive at the broker' : event.reason ?? 'cancelled';
        }
        break;
      case 'rejected':
        if (order.state === 'working') order.state = 'rejected';
        order.reason = `${event.code}: ${event.reason}`;
        break;
    }
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
