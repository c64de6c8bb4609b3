import type { ResolvedConfig } from '../../shared/config/schema';
import type { BrokerPort, Execution, OrderEvent, OrderId } from '../../shared/broker/types';
import type { Repositories } from '../../shared/db';
import type { ActivePosition, ExecutionRecord } from '../../shared/db/types';
import { errorMessage } from '../../shared/errors/errors';
import { crashPoint } from '../../shared/process/crash-points';
import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../../shared/time/clock';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { roundCent } from './sizing';

export interface EntryDeps {
  app: string;
  broker: BrokerPort;
  repos: Repositories;
  clock: Clock;
  log: Logger;
  config: ResolvedConfig;
}

interface PendingEntry {
  positionId: string;
  orderId: OrderId;
  symbol: string;
  deadlineMs: number;
  cancelRequested: boolean;
}

export type EntryResult = { ok: true; positionId: string; orderId: number; quantity: number } | { ok: false; reason: string };

/**
 * Entry orders, from claim to OPEN. The claim's id is the order's orderRef, the intent row is written before
 * the order leaves, and after a crash the broker's orders and executions (by orderRef) decide what happened:
 * a claim is never entered twice, and a second order is never sent for it.
 */
export class EntryExecutor {
  private readonly pending = new Map<string, PendingEntry>();
  private resolved = false;

  constructor(private readonly d: EntryDeps) {}

  get ready(): boolean {
    return this.resolved;
  }

  start(): void {
    this.d.broker.onOrderEvent((event) => {
      try {
        this.onOrderEvent(event);
      } catch (error) {
        // E.g. the DB locked past busy_timeout: the fill stays at the broker and is booked by orderRef later
        // (here on the next resolution, or by the reconciler), never by a second order.
        this.d.log.error('order_event_failed', { kind: event.kind, ref: 'ref' in event ? event.ref : undefined, error: errorMessage(error) });
        setTimeout(() => void this.resolveInFlight().catch(() => undefined), 1_000);
      }
    });
  }

  async enter(input: { symbol: string; quantity: number; limitPrice: number; stopLossPrice: number; profitTargetPrice: number; score: number; reason: string }): Promise<EntryResult> {
    const { repos, config, clock } = this.d;
    const tradingDay = tradingDayOf(clock.now());
    const claim = repos.positions.claimSymbol({
      symbol: input.symbol, tradingDay, agentName: config.strategy.agentName, maxOpenPositions: config.risk.maxOpenPositions, requestedQuantity: input.quantity,
      stopLossPrice: input.stopLossPrice, profitTargetPrice: input.profitTargetPrice, metadata: { score: input.score, reason: input.reason },
    });
    if (!claim.ok) return { ok: false, reason: `claim_refused: ${claim.reason}` };
    const positionId = claim.position.id;
    const limitPrice = roundCent(input.limitPrice);
    repos.orders.recordIntent({
      orderRef: positionId, positionId, symbol: input.symbol, side: 'BUY', orderType: 'LMT', quantity: input.quantity, purpose: 'ENTRY',
      clientId: this.d.broker.clientId, app: this.d.app, tradingDay, limitPrice, tif: 'DAY',
    });
    let orderId: OrderId;
    try {
      orderId = await this.d.broker.placeOrder({ orderRef: positionId, symbol: input.symbol, side: 'BUY', quantity: input.quantity, type: 'LMT', limitPrice, tif: 'DAY' });
    } catch (error) {
      // Not sent (the adapter never queues): the claim is released, nothing is at the broker.
      repos.orders.updateStatus(positionId, { status: 'REJECTED', lastError: `not sent: ${errorMessage(error)}` });
      repos.positions.releaseClaim(positionId);
      repos.events.record(this.d.app, 'claim_released', { positionId, reason: 'order_not_sent', error: errorMessage(error) }, input.symbol, 'warn');
      return { ok: false, reason: `order_not_sent: ${errorMessage(error)}` };
    }
    crashPoint('day-trader:after-entry-order-sent'); // the crash between order and DB update the restart must explain
    repos.orders.markSubmitted(positionId, orderId);
    repos.positions.updateActivePosition(positionId, { entryOrderId: orderId });
    this.track(positionId, orderId, input.symbol, clock.now() + config.strategy.entryFillTimeoutSeconds * 1000);
    this.d.log.info('order_placed', { symbol: input.symbol, positionId, orderId, side: 'BUY', type: 'LMT', quantity: input.quantity, limitPrice, score: input.score });
    return { ok: true, positionId, orderId, quantity: input.quantity };
  }

  /**
   * After a (re)start: every claim of ours still PENDING_ENTRY, and every OPEN row whose entry may still be
   * working, is settled from the broker's executions and open orders by orderRef.
   */
  async resolveInFlight(): Promise<void> {
    const { repos, broker, log } = this.d;
    const rows = repos.positions.getActivePositions().filter((r) => r.agentName === this.d.config.strategy.agentName && (r.status === 'PENDING_ENTRY' || !isTerminal(repos.orders.getByRef(r.entryOrderRef)?.status)));
    const [executions, openOrders] = await Promise.all([broker.executions({ clientId: broker.clientId }), broker.openOrders('own')]);
    let booked = 0;
    let released = 0;
    for (const row of rows) {
      for (const execution of executions.filter((e) => e.orderRef === row.entryOrderRef)) {
        if (this.bookEntry(row.id, execution)) booked += 1;
      }
      const open = openOrders.find((o) => o.orderRef === row.entryOrderRef);
      const current = repos.positions.getById(row.id);
      if (open) {
        const claimedMs = Date.parse(row.claimedAt);
        this.track(row.id, open.orderId, row.symbol, claimedMs + this.d.config.strategy.entryFillTimeoutSeconds * 1000);
      } else if (current && current.status === 'PENDING_ENTRY' && current.quantity === 0) {
        this.release(current, 'entry_order_not_at_broker');
        released += 1;
      } else if (current) {
        repos.orders.updateStatus(row.entryOrderRef, { status: current.quantity >= current.requestedQuantity ? 'FILLED' : 'CANCELLED', filledQuantity: Math.abs(current.quantity) });
      }
    }
    this.resolved = true;
    log.info('entries_resolved', { rows: rows.length, booked, released, stillWorking: this.pending.size });
  }

  /** Cancels entries that did not fill by their deadline (market time). */
  async enforceDeadlines(): Promise<void> {
    const nowMs = this.d.clock.now();
    for (const entry of this.pending.values()) {
      if (entry.cancelRequested || nowMs < entry.deadlineMs) continue;
      try {
        await this.d.broker.cancelOrder(entry.orderId);
        entry.cancelRequested = true;
        this.d.log.info('entry_timed_out', { symbol: entry.symbol, positionId: entry.positionId, orderId: entry.orderId });
      } catch (error) {
        this.d.log.warn('entry_cancel_failed', { symbol: entry.symbol, positionId: entry.positionId, error: errorMessage(error) });
      }
    }
  }

  private track(positionId: string, orderId: OrderId, symbol: string, deadlineMs: number): void {
    this.pending.set(positionId, { positionId, orderId, symbol, deadlineMs, cancelRequested: false });
  }

  private onOrderEvent(event: OrderEvent): void {
    if (event.kind === 'commission') {
      this.d.repos.ledger.recordCommission(event.execId, event.commission);
      return;
    }
    const row = this.d.repos.positions.getById(event.ref);
    if (!row && event.kind !== 'filled') return;
    switch (event.kind) {
      case 'filled':
        this.bookEntry(event.ref, event.execution);
        return;
      case 'status':
        if (event.status === 'Filled') {
          this.d.repos.orders.updateStatus(event.ref, { status: 'FILLED', filledQuantity: event.filled, avgFillPrice: event.avgFillPrice, permId: event.permId });
          this.pending.delete(event.ref);
        }
        return;
      case 'rejected':
        this.d.repos.orders.updateStatus(event.ref, { status: 'REJECTED', lastError: `${event.code}: ${event.reason}` });
        this.d.log.warn('entry_rejected', { symbol: row!.symbol, positionId: row!.id, code: event.code, reason: event.reason });
        this.pending.delete(event.ref);
        if (row!.quantity === 0) this.release(row!, `rejected_${event.code}`);
        return;
      case 'cancelled':
        this.d.repos.orders.updateStatus(event.ref, { status: 'CANCELLED', lastError: event.reason });
        this.pending.delete(event.ref);
        if (row!.quantity === 0 && row!.status === 'PENDING_ENTRY') this.release(row!, 'cancelled_unfilled');
        return;
      case 'accepted':
        this.d.repos.orders.markSubmitted(event.ref, event.orderId, event.permId);
        return;
    }
  }

  private bookEntry(positionId: string, execution: Execution): boolean {
    if (execution.orderRef !== positionId) return false;
    const record: ExecutionRecord = {
      execId: execution.execId, symbol: execution.symbol, side: execution.side, quantity: execution.quantity, price: execution.price, commission: execution.commission,
      orderRef: execution.orderRef, orderId: execution.orderId, permId: execution.permId, clientId: execution.clientId, executedAtMs: execution.timeMs,
    };
    const result = this.d.repos.ledger.recordEntryFill(positionId, record);
    if (result.status !== 'recorded') return false;
    this.d.log.info('execution_completed', { symbol: execution.symbol, positionId, side: execution.side, quantity: execution.quantity, price: execution.price, execId: execution.execId });
    const position = result.position;
    if (Math.abs(position.quantity) >= position.requestedQuantity) {
      this.pending.delete(positionId);
      this.d.repos.orders.updateStatus(positionId, { status: 'FILLED', filledQuantity: Math.abs(position.quantity), avgFillPrice: position.entryPrice ?? undefined });
      this.d.log.info('position_opened', { symbol: position.symbol, positionId, quantity: position.quantity, entryPrice: position.entryPrice });
    }
    return true;
  }

  private release(row: ActivePosition, reason: string): void {
    if (this.d.repos.positions.releaseClaim(row.id)) {
      this.d.repos.events.record(this.d.app, 'claim_released', { positionId: row.id, reason }, row.symbol, 'warn');
      this.d.log.info('claim_released', { symbol: row.symbol, positionId: row.id, reason });
    }
  }
}

function isTerminal(status: string | undefined): boolean {
  return status === 'FILLED' || status === 'CANCELLED' || status === 'REJECTED';
}
