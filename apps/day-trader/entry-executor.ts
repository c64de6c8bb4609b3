import type { ResolvedConfig } from '../../shared/config/schema';
import type { BrokerPort, Execution, OrderEvent, OrderId, StockContract } from '../../shared/broker/types';
import type { Repositories } from '../../shared/db';
import type { ActivePosition, ExecutionRecord } from '../../shared/db/types';
import { errorMessage } from '../../shared/errors/errors';
import { crashPoint } from '../../shared/process/crash-points';
import type { Logger } from '../../shared/log/logger';
import { RepeatedFailureLog } from '../../shared/log/repeated-failure-log';
import { isBusyError } from '../../shared/db';
import { SystemClock, type Clock } from '../../shared/time/clock';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { roundCent } from '../../shared/strategy/sizing';
import type { ExitPlan } from '../../shared/strategy/types';
import { followFillPrice, recordEntryReport } from './entry-report';

export interface EntryDeps {
  app: string;
  broker: BrokerPort;
  repos: Repositories;
  clock: Clock;
  log: Logger;
  config: ResolvedConfig;
  /** Every agent name this day-trader enters for (its strategies); default: the configured AGENT_NAME. */
  agentNames?: readonly string[];
}

interface PendingEntry {
  positionId: string;
  orderId: OrderId;
  symbol: string;
  deadlineMs: number;
  cancelRequested: boolean;
}

export type EntryResult = { ok: true; positionId: string; orderId: number; quantity: number } | { ok: false; reason: string };

const TERMINAL = new Set(['Filled', 'Cancelled', 'ApiCancelled', 'Inactive']);

/**
 * Entry orders, from claim to OPEN. The claim's id is the order's orderRef, the intent row is written before
 * the order leaves, and after a crash the broker's orders and executions (by orderRef) decide what happened:
 * a claim is never entered twice, and a second order is never sent for it.
 *
 * Entries are immediate-or-cancel marketable limits: whatever can fill at once fills, the broker cancels the
 * rest, so no entry order is ever left working beside the position's exits (a late fill of a forgotten
 * remainder would re-enter the symbol after its close). The broker's order status overtakes its executions:
 * the reported fill is written at once (the exit manager protects from it), and a "Cancelled" with shares
 * filled keeps the claim.
 */
export class EntryExecutor {
  private readonly pending = new Map<string, PendingEntry>();
  private resolved = false;
  private lastResolveAttemptMs = 0;

  /** Order events that could not be handled (a DB lock): one error line per episode, not one per event. */
  private readonly eventFailures: RepeatedFailureLog;

  constructor(private readonly d: EntryDeps) {
    this.eventFailures = new RepeatedFailureLog({
      log: d.log, clock: new SystemClock(), event: 'order_event_failed', endEvent: 'order_event_failures_ended',
      what: 'entries are settled from the broker again before any new one',
    });
  }

  get ready(): boolean {
    return this.resolved;
  }

  start(): void {
    this.d.broker.onOrderEvent((event) => {
      try {
        this.onOrderEvent(event);
        this.eventFailures.succeeded();
      } catch (error) {
        // E.g. the DB locked past busy_timeout: the fill stays at the broker and is booked by orderRef later
        // (here on the next resolution, or by the reconciler), never by a second order. One lock fails every
        // event of its seconds: said once per episode (RepeatedFailureLog).
        this.eventFailures.failed(isBusyError(error) ? 'db_locked' : errorMessage(error), { kind: event.kind, ref: 'ref' in event ? event.ref : undefined, error: errorMessage(error) });
        this.unresolved();
      }
    });
  }

  async enter(input: {
    symbol: string; quantity: number; limitPrice: number; stopLossPrice: number; profitTargetPrice: number; score: number; reason: string;
    /** The strategy's agent name (default AGENT_NAME) and the claim's metadata (default score and reason; a strategy's exits go here). */
    agentName?: string; exitPlan?: ExitPlan; metadata?: Record<string, unknown>;
  }): Promise<EntryResult> {
    const { repos, config, clock } = this.d;
    const tradingDay = tradingDayOf(clock.now());
    // The claim carries the instrument's conId: the exit manager (another process, another connection that
    // never saw our scanner rows) protects with it from the first fill on. Without it, a symbol that is
    // ambiguous on SMART gets its stop refused (200) until a lagging position report names the contract.
    const contract = await this.contractOf(input.symbol);
    const claim = repos.positions.claimSymbol({
      symbol: input.symbol, tradingDay, agentName: input.agentName ?? config.strategy.agentName, maxOpenPositions: config.risk.maxOpenPositions, requestedQuantity: input.quantity,
      stopLossPrice: input.stopLossPrice, profitTargetPrice: input.profitTargetPrice, metadata: input.metadata ?? { score: input.score, reason: input.reason },
      conId: contract?.conId,
    });
    if (!claim.ok) return { ok: false, reason: `claim_refused: ${claim.reason}` };
    const positionId = claim.position.id;
    const limitPrice = roundCent(input.limitPrice);
    try {
      repos.orders.recordIntent({
        orderRef: positionId, positionId, symbol: input.symbol, side: 'BUY', orderType: 'LMT', quantity: input.quantity, purpose: 'ENTRY',
        clientId: this.d.broker.clientId, app: this.d.app, tradingDay, limitPrice, tif: 'IOC',
      });
      // Working before it leaves: from now on the claim holds until the broker says the order is over.
      repos.ledger.recordEntryStatus(positionId, 0, true);
    } catch (error) {
      // Nothing was sent: the claim goes (now, or at the next settlement when the DB is locked).
      this.releaseAfterFailure(positionId, 'intent_not_written');
      return { ok: false, reason: `intent_not_written: ${errorMessage(error)}` };
    }
    let orderId: OrderId;
    try {
      orderId = await this.d.broker.placeOrder({ orderRef: positionId, symbol: input.symbol, conId: contract?.conId, side: 'BUY', quantity: input.quantity, type: 'LMT', limitPrice, tif: 'IOC' });
    } catch (error) {
      // Not sent (the adapter never queues): the claim is released, nothing is at the broker.
      try {
        repos.orders.updateStatus(positionId, { status: 'REJECTED', lastError: `not sent: ${errorMessage(error)}` });
        repos.ledger.recordEntryStatus(positionId, 0, false);
      } catch (writeError) {
        this.d.log.warn('entry_cleanup_failed', { positionId, error: errorMessage(writeError), what: 'settled from the broker before the next entry' });
      }
      this.releaseAfterFailure(positionId, 'order_not_sent');
      return { ok: false, reason: `order_not_sent: ${errorMessage(error)}` };
    }
    crashPoint('day-trader:after-entry-order-sent'); // the crash between order and DB update the restart must explain
    this.track(positionId, orderId, input.symbol, clock.now() + config.strategy.entryFillTimeoutSeconds * 1000);
    try {
      repos.orders.markSubmitted(positionId, orderId);
      repos.positions.updateActivePosition(positionId, { entryOrderId: orderId });
    } catch (error) {
      // The order is at the broker; its rows are settled from the broker's orders and executions by ref.
      this.d.log.warn('entry_rows_not_written', { positionId, orderId, error: errorMessage(error) });
      this.unresolved();
    }
    this.d.log.info('order_placed', { symbol: input.symbol, positionId, orderId, side: 'BUY', type: 'LMT', tif: 'IOC', quantity: input.quantity, limitPrice, score: input.score });
    return { ok: true, positionId, orderId, quantity: input.quantity };
  }

  /** The stock's contract, or undefined when the broker cannot name it now (the order then says 200 itself). */
  private async contractOf(symbol: string): Promise<StockContract | undefined> {
    try {
      return await this.d.broker.contractOf(symbol);
    } catch (error) {
      this.d.log.warn('contract_lookup_failed', { symbol, error: errorMessage(error), what: 'claimed without its conId; the first fill brings it' });
      return undefined;
    }
  }

  /**
   * After a (re)start: every claim of ours whose entry may not be settled is settled from the broker's
   * executions and open orders by orderRef. Until this succeeded once, no new entry is made.
   */
  async resolveInFlight(): Promise<void> {
    const { repos, broker, log } = this.d;
    const agents = new Set(this.d.agentNames ?? [this.d.config.strategy.agentName]);
    const rows = repos.positions.getActivePositions().filter((r) => agents.has(r.agentName) && (r.status === 'PENDING_ENTRY' || r.entryWorking || !isTerminal(repos.orders.getByRef(r.entryOrderRef)?.status)));
    const [executions, openOrders] = await Promise.all([broker.executions({ clientId: broker.clientId }), broker.openOrders('own')]);
    let booked = 0;
    let released = 0;
    for (const row of rows) {
      for (const execution of executions.filter((e) => e.orderRef === row.entryOrderRef)) {
        if (this.bookEntry(row.id, execution)) booked += 1;
      }
      const open = openOrders.find((o) => o.orderRef === row.entryOrderRef);
      if (open) {
        repos.ledger.recordEntryStatus(row.id, open.filledQuantity, true);
        const claimedMs = Date.parse(row.claimedAt);
        this.track(row.id, open.orderId, row.symbol, claimedMs + this.d.config.strategy.entryFillTimeoutSeconds * 1000);
        continue;
      }
      // Not working at the broker: whatever filled is in the executions (booked above); the entry is over.
      const filled = executions.filter((e) => e.orderRef === row.entryOrderRef).reduce((n, e) => n + e.quantity, 0);
      repos.ledger.recordEntryStatus(row.id, filled, false);
      const current = repos.positions.getById(row.id);
      if (!current) continue;
      if (current.status === 'PENDING_ENTRY' && filled === 0 && current.entryBooked === 0) {
        if (this.release(current, 'entry_order_not_at_broker')) released += 1;
      } else {
        repos.orders.updateStatus(row.entryOrderRef, { status: filled >= current.requestedQuantity ? 'FILLED' : 'CANCELLED', filledQuantity: filled });
      }
    }
    this.resolved = true;
    log.info('entries_resolved', { rows: rows.length, booked, released, stillWorking: this.pending.size });
  }

  /**
   * Until the start-up resolution succeeded no entry is made; a query that timed out must not block the
   * rest of the day, so the entry loop calls this until it did (at most every `retryMs`).
   */
  async ensureResolved(retryMs = 5_000): Promise<void> {
    if (this.resolved || !this.d.broker.isConnected() || Date.now() - this.lastResolveAttemptMs < retryMs) return;
    this.lastResolveAttemptMs = Date.now();
    await this.resolveInFlight().catch((error) => this.d.log.error('entry_resolution_failed', { error: errorMessage(error), what: `retried in ${retryMs / 1000} s; no new entry until it succeeds` }));
  }

  /** Cancels entries that are still working past their deadline (market time): an IOC should never be. */
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
    if (event.kind === 'filled') {
      this.bookEntry(event.ref, event.execution);
      return;
    }
    const row = this.d.repos.positions.getById(event.ref);
    if (!row) return;
    switch (event.kind) {
      case 'status': {
        const over = TERMINAL.has(event.status);
        this.reportStatus(row, event.filled, !over, event.avgFillPrice);
        if (event.status === 'Filled') this.d.repos.orders.updateStatus(event.ref, { status: 'FILLED', filledQuantity: event.filled, avgFillPrice: event.avgFillPrice, permId: event.permId });
        if (over) this.pending.delete(event.ref);
        return;
      }
      case 'rejected':
        this.d.repos.orders.updateStatus(event.ref, { status: 'REJECTED', lastError: `${event.code}: ${event.reason}` });
        this.d.log.warn('entry_rejected', { symbol: row.symbol, positionId: row.id, code: event.code, reason: event.reason });
        this.pending.delete(event.ref);
        this.reportStatus(row, 0, false);
        this.release(row, `rejected_${event.code}`);
        return;
      case 'cancelled': {
        // "Cancelled" with shares filled (an IOC's unfillable rest) is the END of a partly filled entry, not a
        // failed one: the claim holds; the executions may still be on their way.
        this.d.repos.orders.updateStatus(event.ref, { status: event.filled > 0 ? 'FILLED' : 'CANCELLED', filledQuantity: event.filled, lastError: event.reason });
        this.pending.delete(event.ref);
        this.reportStatus(row, event.filled, false);
        if (event.filled === 0) this.release(row, 'cancelled_unfilled');
        return;
      }
      case 'order_error':
        this.d.log.warn('entry_order_error', { symbol: row.symbol, positionId: row.id, code: event.code, reason: event.reason, what: 'the order keeps its state until the broker reports a status' });
        return;
      case 'accepted':
        this.d.repos.orders.markSubmitted(event.ref, event.orderId, event.permId);
        return;
    }
  }

  /** The broker's word on the entry (see recordEntryReport), and the close it may complete. */
  private reportStatus(row: ActivePosition, filled: number, working: boolean, avgFillPrice?: number): void {
    const { stopLossPct, takeProfitPct } = this.d.config.strategy;
    const result = recordEntryReport(this.d.repos, row, { filled, working, avgFillPrice }, { stopLossPct, takeProfitPct });
    if (result.closed) this.d.log.info('position_closed', { symbol: row.symbol, positionId: row.id, reason: result.closed.exitReason, realizedPnl: result.closed.realizedPnl });
  }

  private bookEntry(positionId: string, execution: Execution): boolean {
    if (execution.orderRef !== positionId) return false;
    // The first execution ahead of the order status: the levels follow its price before it is committed.
    const before = this.d.repos.positions.getById(positionId);
    if (before && before.entryBooked === 0 && before.entryReported === 0) {
      const { stopLossPct, takeProfitPct } = this.d.config.strategy;
      followFillPrice(this.d.repos, before, execution.price, { stopLossPct, takeProfitPct });
    }
    const record: ExecutionRecord = {
      execId: execution.execId, symbol: execution.symbol, side: execution.side, quantity: execution.quantity, price: execution.price, commission: execution.commission,
      orderRef: execution.orderRef, orderId: execution.orderId, permId: execution.permId, clientId: execution.clientId, executedAtMs: execution.timeMs,
    };
    const result = this.d.repos.ledger.recordEntryFill(positionId, record);
    this.rememberConId(positionId, execution);
    if (result.status === 'corrected') {
      this.d.log.warn('execution_corrected', { positionId, execId: result.execId, previousExecId: result.previousExecId, price: execution.price });
      return true;
    }
    if (result.status !== 'recorded') return false;
    this.d.log.info('execution_completed', { symbol: execution.symbol, positionId, side: execution.side, quantity: execution.quantity, price: execution.price, execId: execution.execId });
    const position = result.position;
    if (Math.abs(position.entryBooked) >= position.requestedQuantity) {
      this.pending.delete(positionId);
      this.d.repos.orders.updateStatus(positionId, { status: 'FILLED', filledQuantity: position.entryBooked, avgFillPrice: position.entryPrice ?? undefined });
      this.d.log.info('position_opened', { symbol: position.symbol, positionId, quantity: position.entryBooked, entryPrice: position.entryPrice });
    }
    return true;
  }

  /** A claim made without its conId (lookup failed, or a crash) takes it from its fill: execDetails names the contract. */
  private rememberConId(positionId: string, execution: Execution): void {
    if (!execution.conId) return;
    const row = this.d.repos.positions.getById(positionId);
    if (row && row.conId === null) this.d.repos.positions.updateActivePosition(positionId, { conId: execution.conId });
  }

  /** Something could not be written: no new entry until the in-flight ones are settled from the broker again. */
  private unresolved(): void {
    this.resolved = false;
    this.lastResolveAttemptMs = 0;
  }

  private releaseAfterFailure(positionId: string, reason: string): void {
    try {
      const row = this.d.repos.positions.getById(positionId);
      if (row && !row.entryWorking) this.release(row, reason);
      else if (row) this.unresolved();
    } catch (error) {
      this.d.log.warn('claim_release_failed', { positionId, reason, error: errorMessage(error), what: 'released when entries are settled again' });
      this.unresolved();
    }
  }

  private release(row: ActivePosition, reason: string): boolean {
    if (!this.d.repos.positions.releaseClaim(row.id)) return false;
    this.d.repos.events.record(this.d.app, 'claim_released', { positionId: row.id, reason }, row.symbol, 'warn');
    this.d.log.info('claim_released', { symbol: row.symbol, positionId: row.id, reason });
    return true;
  }
}

function isTerminal(status: string | undefined): boolean {
  return status === 'FILLED' || status === 'CANCELLED' || status === 'REJECTED';
}
