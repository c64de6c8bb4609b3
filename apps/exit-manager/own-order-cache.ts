import type { BrokerOrder, OrderEvent } from '../../shared/broker/types';
import { parseExitRef } from '../../shared/orders/order-refs';
import type { OwnOrder } from './protection-plan';

const TERMINAL = new Set(['Filled', 'Cancelled', 'ApiCancelled', 'Inactive']);

/**
 * The exit manager's working orders, kept live from broker events and replaced by complete snapshots.
 * An order is in the cache from the moment it is sent (pending) until the broker says it is over (a
 * terminal status, or a refusal of the placement): an error about an order is not proof it is dead.
 * The broker's reported fills per order (orderStatus, which overtakes the executions) are kept beyond
 * the order's life, so our count of what we sold never waits for a late execution report.
 */
export class OwnOrderCache {
  private readonly orders = new Map<number, OwnOrder>();
  private readonly reportedFills = new Map<string, number>();
  /** Orders being sent, by ref (their id is not known yet). */
  private readonly sending = new Map<string, OwnOrder>();

  /** Replaces the cache with a COMPLETE snapshot, keeping orders sent after the snapshot was requested. */
  replaceWith(snapshot: readonly BrokerOrder[], sentSinceSnapshot: ReadonlySet<number>): void {
    const kept = [...this.orders.values()].filter((o) => sentSinceSnapshot.has(o.orderId));
    this.orders.clear();
    for (const order of kept) this.orders.set(order.orderId, order);
    for (const order of snapshot) {
      const parsed = parseExitRef(order.orderRef);
      if (!parsed) continue; // not one of ours (or an entry order): the exit manager only manages its own refs
      this.noteFill(order.orderRef, order.filledQuantity);
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

  /**
   * An order about to be sent, before the broker port has given it an id: its first events may arrive
   * before placeOrder returns, and are matched by ref. `placed` gives it its id; `unsent` removes it.
   */
  addSending(order: Omit<OwnOrder, 'orderId'>): void {
    this.sending.set(order.orderRef, { ...order, orderId: -1 });
  }

  placed(orderRef: string, orderId: number): void {
    const order = this.sending.get(orderRef);
    this.sending.delete(orderRef);
    if (!order || order.orderId === -2) return; // ended before we knew its id
    order.orderId = orderId;
    this.orders.set(orderId, order);
  }

  unsent(orderRef: string): void {
    this.sending.delete(orderRef);
  }

  get(orderId: number): OwnOrder | undefined {
    return this.orders.get(orderId);
  }

  forSymbol(symbol: string): OwnOrder[] {
    return this.all().filter((o) => o.symbol === symbol);
  }

  symbols(): string[] {
    return [...new Set(this.all().map((o) => o.symbol))];
  }

  /** Working orders and orders being sent (still live: orderId -1; ended before their id was known: -2, excluded). */
  all(): OwnOrder[] {
    return [...this.orders.values(), ...[...this.sending.values()].filter((o) => o.orderId === -1)];
  }

  /** The broker's reported cumulative fills of our closing orders for one position, by order ref. */
  reportedFillsFor(positionId: string): Map<string, number> {
    const fills = new Map<string, number>();
    for (const [ref, filled] of this.reportedFills) if (ref.startsWith(`${positionId}:`)) fills.set(ref, filled);
    return fills;
  }

  /** Marks a modification in flight; the order's values change only when the broker reports them. */
  markModifying(orderId: number): void {
    const order = this.orders.get(orderId);
    if (order) order.modifying = true;
  }

  /** Applies an order event; returns the cached order it concerned (before removal when terminal). */
  apply(event: OrderEvent): OwnOrder | undefined {
    if (event.kind === 'commission') return undefined;
    if (event.kind === 'status') this.noteFill(event.ref, event.filled);
    if (event.kind === 'filled') this.noteFill(event.ref, event.execution.cumulativeQuantity);
    const order = this.orders.get(event.orderId) ?? this.sending.get(event.ref);
    if (!order) return undefined;
    const terminal = () => {
      if (order.orderId < 0) order.orderId = -2;
      else this.orders.delete(order.orderId);
    };
    switch (event.kind) {
      case 'accepted':
        order.pending = false;
        break;
      case 'open':
        order.pending = false;
        order.modifying = false;
        order.quantity = event.quantity;
        if (event.limitPrice !== undefined) order.limitPrice = event.limitPrice;
        if (event.stopPrice !== undefined) order.stopPrice = event.stopPrice;
        if (TERMINAL.has(event.status)) terminal();
        break;
      case 'status':
        order.pending = false;
        order.filled = Math.max(order.filled, event.filled);
        // filled + remaining is the broker's current size: it shrinks when an OCA sibling's fill reduced it.
        if (event.remaining >= 0 && event.filled + event.remaining > 0) order.quantity = event.filled + event.remaining;
        if (TERMINAL.has(event.status)) terminal();
        break;
      case 'filled':
        order.filled = Math.max(order.filled, event.execution.cumulativeQuantity);
        break;
      case 'order_error':
        if (event.refused === 'modify') order.modifying = false;
        break;
      case 'cancelled':
      case 'rejected':
        terminal();
        break;
    }
    return order;
  }

  private noteFill(ref: string, filled: number): void {
    if (!parseExitRef(ref) || !(filled > 0)) return;
    this.reportedFills.set(ref, Math.max(this.reportedFills.get(ref) ?? 0, filled));
  }
}
