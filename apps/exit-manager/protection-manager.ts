import type { ResolvedConfig } from '../../shared/config/schema';
import type { BrokerPort, Execution, OrderEvent, OrderId, OrderRequest } from '../../shared/broker/types';
import { symbolFromPositionId, syncActivePositions, type Db, type Repositories } from '../../shared/db';
import type { ExecutionRecord } from '../../shared/db/types';
import { AppError, errorMessage } from '../../shared/errors/errors';
import { crashPoint } from '../../shared/process/crash-points';
import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../../shared/time/clock';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { exitReasonFor, exitRef, ocaGroupFor, parseExitRef, stopLossRef, takeProfitRef } from '../../shared/orders/order-refs';
import { OwnOrderCache } from './own-order-cache';
import { planProtection, type OwnOrder, type ProtectionAction } from './protection-plan';
import { timeBasedExit, trailingLevel, trailingTriggered } from './exit-rules';

export interface ProtectionDeps {
  app: string;
  broker: BrokerPort;
  db: Db;
  repos: Repositories;
  clock: Clock;
  log: Logger;
  config: ResolvedConfig;
  onProtectingChanged: (protecting: boolean) => void;
}

/** OCA type 2 ("reduce with block"): a partial fill of one leg reduces the other, so the pair never oversells. */
const OCA_REDUCE_WITH_BLOCK = 2 as const;

/**
 * Owns every order that protects or closes a position. Keeps, for each broker position, exactly one
 * broker-side stop-loss / take-profit OCA pair of the right size; closes positions by time, at the end of
 * the day and by the trailing stop; books every exit fill once. Acts only on complete broker snapshots.
 */
export class ProtectionManager {
  private readonly cache = new OwnOrderCache();
  private readonly brokerPositions = new Map<string, { quantity: number; averageCost: number }>();
  private snapshotComplete = false;
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly sentSinceSnapshot = new Set<number>();
  private readonly trails = new Map<string, { positionId: string; entryPrice: number; long: boolean; best: number | undefined; exiting: boolean }>();
  private readonly quoteSubscriptions = new Map<string, () => void>();
  private readonly retryAfterMs = new Map<string, number>();
  private readonly unprotectedSinceMs = new Map<string, number>();
  private readonly afterSend: Array<() => void> = [];
  /** Refs whose rejection or cancel arrived before placeOrder returned (the id was not cached yet). */
  private readonly earlyTerminalRefs = new Set<string>();
  private resyncing: Promise<void> | undefined;

  constructor(private readonly d: ProtectionDeps) {}

  get protecting(): boolean {
    return this.snapshotComplete && this.d.broker.isConnected();
  }

  start(): void {
    this.d.broker.onOrderEvent((event) => {
      try {
        this.onOrderEvent(event);
      } catch (error) {
        // E.g. the DB locked past busy_timeout: nothing is lost, the next resync books the fill from the broker.
        this.d.log.error('order_event_failed', { kind: event.kind, ref: 'ref' in event ? event.ref : undefined, error: errorMessage(error), what: 'will be booked from the broker at the next resync' });
        setTimeout(() => void this.resync('after_failed_event'), 1_000);
      }
    });
    this.d.broker.onPositionUpdate((p) => {
      const known = this.brokerPositions.get(p.symbol)?.quantity ?? 0;
      if (known === 0 && p.quantity !== 0) this.unprotectedSinceMs.set(p.symbol, Date.now());
      this.brokerPositions.set(p.symbol, { quantity: p.quantity, averageCost: p.averageCost });
      this.schedule(p.symbol);
    });
    this.d.broker.onConnectionEvent((event) => {
      if (event.kind === 'connected') void this.resync('reconnected');
      if (event.kind === 'disconnected') {
        this.snapshotComplete = false;
        this.d.onProtectingChanged(false);
      }
    });
  }

  /** Complete snapshots of own orders and positions, book missed exit fills, then verify every symbol. */
  resync(trigger: string): Promise<void> {
    this.resyncing ??= this.doResync(trigger).finally(() => (this.resyncing = undefined));
    return this.resyncing;
  }

  private async doResync(trigger: string): Promise<void> {
    const started = Date.now();
    try {
      this.sentSinceSnapshot.clear();
      const [orders, positions] = await Promise.all([this.d.broker.openOrders('own'), this.d.broker.positions()]);
      this.cache.replaceWith(orders, this.sentSinceSnapshot);
      const seen = new Set(positions.map((p) => p.symbol));
      for (const symbol of [...this.brokerPositions.keys()]) if (!seen.has(symbol)) this.brokerPositions.set(symbol, { quantity: 0, averageCost: 0 });
      for (const p of positions) this.brokerPositions.set(p.symbol, { quantity: p.quantity, averageCost: p.averageCost });
      this.snapshotComplete = true;
      await this.bookMissedExecutions();
      await this.checkAll();
      this.d.onProtectingChanged(true);
      this.d.log[trigger === 'interval' ? 'debug' : 'info']('protection_resynced', { trigger, positions: positions.length, ownOrders: orders.length, ms: Date.now() - started });
    } catch (error) {
      // Unknown is not empty: without complete snapshots nothing is cancelled or declared flat.
      this.d.log.warn('protection_resync_failed', { trigger, error: errorMessage(error) });
    }
  }

  /** Runs every check: all broker positions, DB rows and own orders. Called on a timer. */
  async checkAll(): Promise<void> {
    const symbols = new Set<string>([...this.brokerPositions.keys(), ...this.cache.symbols(), ...this.d.repos.positions.getActivePositions().map((r) => r.symbol)]);
    await Promise.all([...symbols].map((s) => this.schedule(s)));
    this.updateQuoteSubscriptions();
  }

  /** Coalesced, per-symbol serialized check: a check asked for while one runs runs once more afterwards. */
  schedule(symbol: string): Promise<void> {
    const current = this.running.get(symbol);
    if (current) {
      this.dirty.add(symbol);
      return current;
    }
    const run = (async () => {
      do {
        this.dirty.delete(symbol);
        await this.checkSymbol(symbol);
      } while (this.dirty.has(symbol));
    })().finally(() => this.running.delete(symbol));
    this.running.set(symbol, run);
    return run;
  }

  private async checkSymbol(symbol: string): Promise<void> {
    if (!this.d.broker.isConnected()) return;
    // Without a complete snapshot of our own working orders we do not know whether protection exists:
    // placing a pair now could double it (and two stops could both fill on a gap). Wait for the resync.
    if (!this.snapshotComplete) return;
    if ((this.retryAfterMs.get(symbol) ?? 0) > Date.now()) return;
    const broker = this.brokerPositions.get(symbol);
    // Before the first complete snapshot only positions the stream reported are acted on (never "flat").
    const brokerQuantity = broker ? broker.quantity : this.snapshotComplete ? 0 : undefined;
    const row = this.d.repos.positions.getActivePosition(symbol);
    const actions = planProtection({
      symbol, brokerQuantity, brokerAverageCost: broker?.averageCost, row,
      orders: this.cache.forSymbol(symbol), stopLossPct: this.d.config.strategy.stopLossPct, takeProfitPct: this.d.config.strategy.takeProfitPct,
    });
    for (const action of actions) {
      try {
        await this.execute(action);
      } catch (error) {
        this.retryAfterMs.set(symbol, Date.now() + 250);
        const level = error instanceof AppError && error.kind === 'transient' ? 'warn' : 'error';
        this.d.log[level]('protection_action_failed', { symbol, action: action.kind, error: errorMessage(error) });
        return;
      }
    }
    this.updateTrail(symbol, row, brokerQuantity, broker?.averageCost);
    if (row && brokerQuantity && !this.cache.forSymbol(symbol).some((o) => o.leg === 'EXIT')) {
      const decision = timeBasedExit(this.d.repos.positions.getActivePosition(symbol) ?? row, this.d.clock.now(), this.d.config.exits);
      if (decision) await this.placeExit(symbol, decision.reason);
    }
  }

  private async execute(action: ProtectionAction): Promise<void> {
    switch (action.kind) {
      case 'adopt': {
        const result = syncActivePositions(this.d.db, this.d.clock, [{ symbol: action.symbol, quantity: action.quantity, averageCost: this.brokerPositions.get(action.symbol)?.averageCost ?? 0 }], {
          tradingDay: tradingDayOf(this.d.clock.now()), app: this.d.app, adoptUntracked: true, fixQuantities: false,
        });
        for (const change of result.changes) this.d.log.warn('position_adopted', { symbol: change.symbol, positionId: change.positionId, quantity: change.to, reason: 'broker position unknown to the DB' });
        this.dirty.add(action.symbol);
        return;
      }
      case 'place_pair': {
        const sequence = this.nextSequence(action.positionId);
        const ocaGroup = ocaGroupFor(action.positionId, sequence);
        crashPoint('exit-manager:before-protection');
        await this.send({ orderRef: stopLossRef(action.positionId, sequence), symbol: action.symbol, side: action.side, quantity: action.quantity, type: 'STP', stopPrice: action.stopPrice, tif: 'GTC', ocaGroup, ocaType: OCA_REDUCE_WITH_BLOCK }, action.positionId, 'SL', sequence);
        crashPoint('exit-manager:between-protection-legs');
        await this.send({ orderRef: takeProfitRef(action.positionId, sequence), symbol: action.symbol, side: action.side, quantity: action.quantity, type: 'LMT', limitPrice: action.targetPrice, tif: 'GTC', ocaGroup, ocaType: OCA_REDUCE_WITH_BLOCK }, action.positionId, 'TP', sequence);
        const sinceMs = this.unprotectedSinceMs.get(action.symbol);
        this.d.log.info('protection_placed', { symbol: action.symbol, positionId: action.positionId, quantity: action.quantity, stopPrice: action.stopPrice, targetPrice: action.targetPrice, ocaGroup, msSincePositionSeen: sinceMs ? Date.now() - sinceMs : undefined });
        this.unprotectedSinceMs.delete(action.symbol);
        return;
      }
      case 'place_leg': {
        // A missing leg joins the existing OCA group; its ref takes the next sequence so it stays unique.
        const sequence = this.nextSequence(action.positionId);
        const common = { symbol: action.symbol, side: action.side, quantity: action.quantity, tif: 'GTC' as const, ocaGroup: action.ocaGroup, ocaType: OCA_REDUCE_WITH_BLOCK };
        const request: OrderRequest = action.leg === 'SL'
          ? { ...common, orderRef: stopLossRef(action.positionId, sequence), type: 'STP', stopPrice: action.price }
          : { ...common, orderRef: takeProfitRef(action.positionId, sequence), type: 'LMT', limitPrice: action.price };
        await this.send(request, action.positionId, action.leg, sequence);
        this.d.log.warn('protection_leg_replaced', { symbol: action.symbol, positionId: action.positionId, leg: action.leg, ocaGroup: action.ocaGroup });
        return;
      }
      case 'resize': {
        const order = action.order;
        await this.d.broker.modifyOrder(order.orderId as OrderId, this.requestFor(order, action.totalQuantity));
        order.quantity = action.totalQuantity;
        this.d.log.info('protection_resized', { symbol: order.symbol, orderRef: order.orderRef, totalQuantity: action.totalQuantity });
        return;
      }
      case 'cancel': {
        await this.d.broker.cancelOrder(action.order.orderId as OrderId);
        this.d.log.info('protection_cancelled', { symbol: action.order.symbol, orderRef: action.order.orderRef, reason: action.reason });
        return;
      }
      case 'mark_protected': {
        const row = this.d.repos.positions.getById(action.positionId);
        if (!row) return;
        this.d.repos.positions.updateActivePosition(action.positionId, {
          status: row.status === 'CLOSING' ? 'CLOSING' : 'PROTECTED', stopOrderId: action.stopOrderId, targetOrderId: action.targetOrderId,
          ocaGroup: action.ocaGroup, protectedQuantity: action.quantity, stopLossPrice: action.stopPrice, profitTargetPrice: action.targetPrice,
        });
        this.d.log.info('position_protected', { symbol: row.symbol, positionId: action.positionId, quantity: action.quantity, stopLossPrice: action.stopPrice, profitTargetPrice: action.targetPrice });
        return;
      }
    }
  }

  /**
   * A closing market order joins the position's OCA group, so its fill reduces the protection at the broker
   * (no double sell). Latency matters here (a trailing stop fires on a tick): the order leaves first, the DB
   * rows follow; the order's ref alone tells any restarted process what it is.
   */
  async placeExit(symbol: string, reason: string, positionId?: string): Promise<void> {
    const broker = this.brokerPositions.get(symbol);
    if (!broker || broker.quantity === 0) return;
    const orders = this.cache.forSymbol(symbol);
    if (orders.some((o) => o.leg === 'EXIT')) return;
    const id = positionId ?? this.d.repos.positions.getActivePosition(symbol)?.id;
    if (!id) return;
    const group = orders.find((o) => o.positionId === id && o.ocaGroup)?.ocaGroup;
    const sequence = this.nextSequence(id); // a read: WAL readers never wait for writers
    await this.send({
      orderRef: exitRef(id, reason, sequence), symbol, side: broker.quantity > 0 ? 'SELL' : 'BUY', quantity: Math.abs(broker.quantity),
      type: 'MKT', tif: 'DAY', ocaGroup: group, ocaType: group ? OCA_REDUCE_WITH_BLOCK : undefined,
    }, id, 'EXIT', sequence);
    this.d.repos.positions.updateActivePosition(id, { status: 'CLOSING', exitReason: reason });
    this.d.log.info('exit_order_placed', { symbol, positionId: id, reason, quantity: Math.abs(broker.quantity), ocaGroup: group });
  }

  /**
   * Sends one of our orders. The order leaves FIRST and the audit row follows: the exit path is latency
   * critical, and a crash between the two loses nothing because the ref names the position and purpose,
   * so the next start finds the order in the broker's snapshot and verifies it like any other.
   */
  private async send(request: OrderRequest, positionId: string, leg: OwnOrder['leg'], sequence: number): Promise<void> {
    const orderId = await this.d.broker.placeOrder(request);
    this.sentSinceSnapshot.add(orderId);
    if (!this.earlyTerminalRefs.delete(request.orderRef)) {
      this.cache.add({
        orderId, orderRef: request.orderRef, positionId, leg, symbol: request.symbol, side: request.side, quantity: request.quantity, filled: 0,
        ocaGroup: request.ocaGroup, stopPrice: request.stopPrice, limitPrice: request.limitPrice, sequence, pending: true,
      });
    }
    this.afterSend.push(() => {
      this.d.repos.orders.recordIntent({
        orderRef: request.orderRef, positionId, symbol: request.symbol, side: request.side, orderType: request.type, quantity: request.quantity,
        purpose: leg === 'SL' ? 'STOP_LOSS' : leg === 'TP' ? 'PROFIT_TARGET' : 'EXIT', clientId: this.d.broker.clientId, app: this.d.app,
        tradingDay: tradingDayOf(this.d.clock.now()), limitPrice: request.limitPrice, stopPrice: request.stopPrice, tif: request.tif, ocaGroup: request.ocaGroup,
      });
      this.d.repos.orders.markSubmitted(request.orderRef, orderId);
      this.d.log.info('order_placed', { symbol: request.symbol, orderRef: request.orderRef, orderId, type: request.type, side: request.side, quantity: request.quantity, stopPrice: request.stopPrice, limitPrice: request.limitPrice });
    });
    if (this.afterSend.length === 1) setImmediate(() => this.flushAfterSend());
  }

  /** DB rows and log lines of the orders just sent, written once the socket writes are out. */
  private flushAfterSend(): void {
    const pending = this.afterSend.splice(0);
    for (const write of pending) {
      try {
        write();
      } catch (error) {
        this.d.log.error('order_audit_write_failed', { error: errorMessage(error), what: 'the order is at the broker; the next resync verifies it' });
      }
    }
  }

  private requestFor(order: OwnOrder, totalQuantity: number): OrderRequest {
    return {
      orderRef: order.orderRef, symbol: order.symbol, side: order.side, quantity: totalQuantity, type: order.leg === 'SL' ? 'STP' : order.leg === 'TP' ? 'LMT' : 'MKT',
      stopPrice: order.stopPrice, limitPrice: order.limitPrice, tif: order.leg === 'EXIT' ? 'DAY' : 'GTC', ocaGroup: order.ocaGroup, ocaType: order.ocaGroup ? OCA_REDUCE_WITH_BLOCK : undefined,
    };
  }

  private nextSequence(positionId: string): number {
    const used = this.d.repos.orders.getByPosition(positionId).map((o) => parseExitRef(o.orderRef)?.sequence ?? 0);
    return Math.max(0, ...used, ...this.cache.all().filter((o) => o.positionId === positionId).map((o) => o.sequence)) + 1;
  }

  private onOrderEvent(event: OrderEvent): void {
    if (event.kind === 'commission') {
      this.d.repos.ledger.recordCommission(event.execId, event.commission);
      return;
    }
    const parsed = parseExitRef(event.ref);
    if (!parsed) return;
    const cached = this.cache.apply(event);
    if (!cached && (event.kind === 'rejected' || event.kind === 'cancelled')) this.earlyTerminalRefs.add(event.ref);
    switch (event.kind) {
      case 'accepted':
        this.d.repos.orders.markSubmitted(event.ref, event.orderId, event.permId);
        return;
      case 'status':
        if (event.status === 'Filled') this.d.repos.orders.updateStatus(event.ref, { status: 'FILLED', filledQuantity: event.filled, avgFillPrice: event.avgFillPrice, permId: event.permId });
        else if (event.filled > 0) this.d.repos.orders.updateStatus(event.ref, { status: 'PARTIALLY_FILLED', filledQuantity: event.filled, avgFillPrice: event.avgFillPrice, permId: event.permId });
        return;
      case 'filled':
        this.bookExit(event.execution);
        return;
      case 'cancelled':
        this.d.repos.orders.updateStatus(event.ref, { status: 'CANCELLED', lastError: event.reason });
        if (cached) void this.schedule(cached.symbol);
        return;
      case 'rejected':
        this.d.repos.orders.updateStatus(event.ref, { status: 'REJECTED', lastError: `${event.code}: ${event.reason}` });
        this.d.log.error('protection_rejected', { orderRef: event.ref, code: event.code, reason: event.reason, what: 'the broker refused a protective or closing order; retrying' });
        {
          const symbol = cached?.symbol ?? symbolFromPositionId(parsed.positionId);
          if (symbol) {
            this.retryAfterMs.set(symbol, Date.now() + 200);
            setTimeout(() => void this.schedule(symbol), 210);
          }
        }
        return;
    }
  }

  private bookExit(execution: Execution): void {
    const parsed = parseExitRef(execution.orderRef);
    if (!parsed) return;
    const record: ExecutionRecord = {
      execId: execution.execId, symbol: execution.symbol, side: execution.side, quantity: execution.quantity, price: execution.price,
      commission: execution.commission, orderRef: execution.orderRef, orderId: execution.orderId, permId: execution.permId, clientId: execution.clientId, executedAtMs: execution.timeMs,
    };
    const result = this.d.repos.ledger.recordExit(parsed.positionId, record, exitReasonFor(parsed, false));
    if (result.status === 'recorded' && result.closed) {
      this.d.log.info('position_closed', { symbol: execution.symbol, positionId: parsed.positionId, reason: result.closedPosition.exitReason, exitPrice: result.closedPosition.exitPrice, realizedPnl: round2(result.closedPosition.realizedPnl), pnlPct: round2(result.closedPosition.profitLossPct ?? 0) });
    } else if (result.status === 'recorded') {
      this.d.log.info('execution_completed', { symbol: execution.symbol, positionId: parsed.positionId, quantity: execution.quantity, price: execution.price, remaining: result.position.quantity });
    }
  }

  private async bookMissedExecutions(): Promise<void> {
    const executions = await this.d.broker.executions({ clientId: this.d.broker.clientId });
    let booked = 0;
    for (const execution of executions) {
      if (!parseExitRef(execution.orderRef) || this.d.repos.trades.hasExecution(execution.execId)) continue;
      this.bookExit(execution);
      if (execution.commission !== undefined) this.d.repos.ledger.recordCommission(execution.execId, execution.commission);
      booked += 1;
    }
    if (booked > 0) this.d.log.warn('missed_exits_booked', { count: booked });
  }

  /** What the tick path needs to know, kept in memory so a quote never waits for the DB. */
  private updateTrail(symbol: string, row: { id: string; entryPrice: number | null; status: string } | undefined, brokerQuantity: number | undefined, averageCost: number | undefined): void {
    if (!(this.d.config.exits.trailingStopPct > 0)) return;
    if (!row || !brokerQuantity || row.status === 'CLOSING') {
      this.trails.delete(symbol);
      return;
    }
    const existing = this.trails.get(symbol);
    if (existing?.positionId === row.id) return;
    this.trails.set(symbol, { positionId: row.id, entryPrice: row.entryPrice ?? averageCost ?? 0, long: brokerQuantity > 0, best: undefined, exiting: false });
  }

  /** Trailing stop: quotes of held symbols while a trail is configured. */
  private updateQuoteSubscriptions(): void {
    if (!(this.d.config.exits.trailingStopPct > 0)) return;
    const held = new Set([...this.brokerPositions.entries()].filter(([, p]) => p.quantity !== 0).map(([s]) => s));
    for (const symbol of held) {
      if (this.quoteSubscriptions.has(symbol)) continue;
      this.quoteSubscriptions.set(symbol, this.d.broker.subscribeQuotes(symbol, (quote) => this.onQuote(symbol, quote.last)));
    }
    for (const [symbol, unsubscribe] of this.quoteSubscriptions) {
      if (held.has(symbol)) continue;
      unsubscribe();
      this.quoteSubscriptions.delete(symbol);
    }
  }

  private onQuote(symbol: string, last: number | undefined): void {
    const trail = this.trails.get(symbol);
    if (!last || !trail || trail.exiting) return;
    trail.best = trail.best === undefined ? last : trail.long ? Math.max(trail.best, last) : Math.min(trail.best, last);
    const level = trailingLevel(trail.best, trail.entryPrice, this.d.config.exits.trailingStopPct, trail.long);
    if (!trailingTriggered(last, level, trail.long)) return;
    trail.exiting = true;
    void this.placeExit(symbol, 'TRAILING_STOP', trail.positionId).catch((error) => {
      trail.exiting = false;
      this.d.log.error('trailing_exit_failed', { symbol, error: errorMessage(error) });
    });
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
