import type { BrokerOrder, OrderEvent } from '../../shared/broker/types';
import { parseExitRef } from '../../shared/orders/order-refs';
import type { OwnOrder } from './protection-plan';

const TERMINAL = new Set(['Filled', 'Cancelled', 'ApiCancelled', 'Inactive']);

/**
 * The exit manager's working orders, kept live from broker events and replaced by complete snapshots.
 * An order is in the cache from the moment it is sent (pending) until a terminal event, so the planner
 * never sends a second protection while the first is in flight.
 */
export class OwnOrderCache {
  private readonly orders = new Map<number, OwnOrder>();

  /** Replaces the cache with a COMPLETE snapshot, keeping orders sent after the snapshot was requested. */
  replaceWith(snapshot: readonly BrokerOrder[], sentSinceSnapshot: ReadonlySet<number>): void {
    const kept = [...this.orders.values()].filter((o) => sentSinceSnapshot.has(o.orderId));
    this.orders.clear();
    for (const order of kept) this.orders.set(order.orderId, order);
    for (const order of snapshot) {
      const parsed = parseExitRef(order.orderRef);
      if (!parsed) continue; // not one of ours (or an entry order): the exit manager only manages its own refs
      this.orders.set(order.orderId, {
        orderId: order.orderId, orderRef: order.orderRef, positionId: parsed.positionId, leg: parsed.leg, symbol: order.symbol,
        side: order.side, quantity: order.quantity, filled: order.filledQuantity, ocaGroup: order.ocaGroup, stopPrice: order.stopPrice,
        limitPrice: order.limitPrice, sequence: parsed.sequence, pending: false,
      });
    }
  }

  add(order: OwnOrder): void {
    this.orders.set(order.orderId, order);
  }

  get(orderId: number): OwnOrder | undefined {
    return this.orders.get(orderId);
  }

  forSymbol(symbol: string): OwnOrder[] {
    return [...this.orders.values()].filter((o) => o.symbol === symbol);
  }

  symbols(): string[] {
    return [...new Set([...this.orders.values()].map((o) => o.symbol))];
  }

  all(): OwnOrder[] {
    return [...this.orders.values()];
  }

  /** Applies an order event; returns the cached order it concerned (before removal when terminal). */
  apply(event: OrderEvent): OwnOrder | undefined {
    if (event.kind === 'commission') return undefined;
    const order = this.orders.get(event.orderId);
    if (!order) return undefined;
    switch (event.kind) {
      case 'accepted':
        order.pending = false;
        break;
      case 'status':
        order.pending = false;
        order.filled = Math.max(order.filled, event.filled);
        if (event.remaining >= 0 && event.filled + event.remaining > 0) order.quantity = event.filled + event.remaining;
        if (TERMINAL.has(event.status)) this.orders.delete(order.orderId);
        break;
      case 'filled':
        order.filled = Math.max(order.filled, event.execution.cumulativeQuantity);
        if (order.filled >= order.quantity) this.orders.delete(order.orderId);
        break;
      case 'cancelled':
      case 'rejected':
        this.orders.delete(order.orderId);
        break;
    }
    return order;
  }
}
