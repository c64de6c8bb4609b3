import type { BrokerPort, Execution, OrderEvent, OrderId, OrderSide } from '../../shared/broker/types';
import type { Logger } from '../../shared/log/logger';

export type LiquidationOrderState = 'working' | 'filled' | 'cancelled' | 'rejected';

export interface LiquidationOrder {
  orderId: OrderId;
  orderRef: string;
  symbol: string;
  side: OrderSide;
  quantity: number;
  /** 1 = first pass, 2 = the retry for what the first pass left. */
  attempt: number;
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
  private readonly unsubscribe: () => void;

  constructor(broker: BrokerPort, private readonly log: Logger) {
    this.unsubscribe = broker.onOrderEvent((event) => this.onEvent(event));
  }

  add(order: Omit<LiquidationOrder, 'state' | 'filledQuantity' | 'avgFillPrice' | 'reason' | 'executions'>): LiquidationOrder {
    const tracked: LiquidationOrder = { ...order, state: 'working', filledQuantity: 0, avgFillPrice: undefined, reason: undefined, executions: new Map() };
    this.orders.push(tracked);
    return tracked;
  }

  working(attempt?: number): LiquidationOrder[] {
    return this.orders.filter((o) => o.state === 'working' && (attempt === undefined || o.attempt === attempt));
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
    if (!order) return;
    switch (event.kind) {
      case 'accepted':
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
          order.state = 'cancelled';
          order.reason = event.reason ?? 'cancelled';
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
