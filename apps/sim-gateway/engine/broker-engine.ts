import { EventEmitter } from 'node:events';
import { DateTime } from 'luxon';
import type { Clock } from '../../../shared/time/clock';
import { calendarDayInNewYork, MARKET_ZONE, marketPhase, nextTradingDay, sessionHours, tradingDayOf, type MarketPhase } from '../../../shared/time/trading-calendar';
import type { PlacedOrder } from '../protocol/client-order-types';
import type { BrokerStore } from '../state/broker-store';
import { commissionFor } from './commissions';
import { applyFill } from './ledger';
import { IB_ERRORS, rejection, type OrderRejection } from './order-errors';
import { executablePrice, fillableQuantity, stopTriggered, updatedTrailStop } from './order-matching';
import { isWorking, remainingOf, SUPPORTED_ORDER_TYPES, type MarketSnapshot, type SimExecution, type SimOrder, type SimOrderType, type SimPosition } from './types';

export interface MarketAccess {
  hasSymbol(symbol: string): boolean;
  snapshot(symbol: string): MarketSnapshot;
}

export interface EngineEvents {
  order: [SimOrder];
  execution: [SimExecution, SimOrder];
  position: [SimPosition];
  orderError: [{ clientId: number; orderId: number; code: number; message: string }];
}

export interface EngineOptions {
  accountId: string;
  startingCash: number;
  /** Intraday buying power multiple of available funds (4 for a pattern-day-trader margin account). */
  buyingPowerMultiple: number;
  /** Check prices against the minimum tick like IB (110), for new orders and modifications. */
  strictPrices?: () => boolean;
  /**
   * An order that joins an OCA group after one of its members completed (ocaType 1: traded at all) is
   * cancelled as it arrives, as IB cancels a group's remaining orders. Off: it works beside the filled one.
   */
  lateOcaJoinRules?: () => boolean;
}

/**
 * The simulated IB account: order life cycle (staged brackets, OCA groups, triggers, partial fills, DAY
 * expiry), executions with commissions, positions and cash. Every change is written through to the
 * BrokerStore before the events go out, so what a client was told survives a gateway restart.
 */
export class BrokerEngine extends EventEmitter<EngineEvents> {
  private readonly orders = new Map<number, SimOrder>(); // by permId
  private readonly orderKeys = new Map<string, number>(); // `${clientId}:${orderId}` -> permId
  private readonly positions = new Map<string, SimPosition>();
  private executions: SimExecution[] = [];
  private readonly lastOrderIds: Map<number, number>;
  private cash: number;
  private nextPermId: number;
  private nextExecSeq: number;
  /** Shares already taken from the current quote, per symbol and side (buys take the ask, sells the bid), reset on each market update. */
  private readonly consumedOnTouch = new Map<string, number>();
  /** Working API orders per symbol, in permId (time) order: all a market update looks at, however many orders the day had. */
  private readonly workingBySymbol = new Map<string, SimOrder[]>();
  /** The last market phase and the span it holds for: marketPhase() costs luxon conversions, a tick must not. */
  private phaseCache: { fromMs: number; toMs: number; phase: MarketPhase } | undefined;
  private dayCache: { fromMs: number; toMs: number; day: string } | undefined;
  rejectNextOrders = 0;
  /** Refusals for the next modifications (fault injection: order precautions, price checks). */
  readonly rejectNextModifies: OrderRejection[] = [];
  /** 1100: the gateway lost IB. Orders are accepted but nothing matches until connectivity is restored. */
  frozen = false;

  constructor(private readonly store: BrokerStore, private readonly market: MarketAccess, private readonly clock: Clock, readonly options: EngineOptions) {
    super();
    for (const order of store.loadOrders()) {
      this.orders.set(order.permId, order);
      this.orderKeys.set(`${order.clientId}:${order.orderId}`, order.permId);
      if (isWorking(order) && order.clientId !== 0) this.track(order);
    }
    for (const position of store.loadPositions()) this.positions.set(position.symbol, position);
    this.executions = store.loadExecutions();
    this.lastOrderIds = store.loadClientOrderIds();
    this.cash = store.getMeta('cash', options.startingCash);
    this.nextPermId = store.getMeta('nextPermId', 1_000_001);
    this.nextExecSeq = store.getMeta('nextExecSeq', 1);
  }

  get accountId(): string {
    return this.options.accountId;
  }

  /** Whether this client already placed an order with this id (placing it again is a modification). */
  hasOrder(clientId: number, orderId: number): boolean {
    return this.orderKeys.has(`${clientId}:${orderId}`);
  }

  lastOrderId(clientId: number): number {
    return this.lastOrderIds.get(clientId) ?? 0;
  }

  placeOrder(clientId: number, orderId: number, symbol: string, placed: PlacedOrder): OrderRejection | undefined {
    // One SQLite commit for all the writes of a placement (id, perm id, order, fill) instead of one each:
    // fewer WAL frames, fewer checkpoints stalling the event loop. Clients hear of it only after the commit
    // (sessions write at the end of the event-loop turn).
    return this.store.atomically(() => this.placeOrderNow(clientId, orderId, symbol, placed));
  }

  private placeOrderNow(clientId: number, orderId: number, symbol: string, placed: PlacedOrder): OrderRejection | undefined {
    const existingPermId = this.orderKeys.get(`${clientId}:${orderId}`);
    if (existingPermId !== undefined) return this.modifyOrder(this.orders.get(existingPermId)!, placed);
    if (orderId <= this.lastOrderId(clientId)) return rejection(IB_ERRORS.DUPLICATE_ORDER_ID);
    this.lastOrderIds.set(clientId, orderId);
    this.store.recordClientOrderId(clientId, orderId);
    if (this.rejectNextOrders > 0) {
      this.rejectNextOrders -= 1;
      return rejection(IB_ERRORS.ORDER_REJECTED, 'simulated rejection (fault injection)');
    }
    if (!this.market.hasSymbol(symbol)) return rejection(IB_ERRORS.NO_SECURITY_DEFINITION);
    const invalid = validate(placed) ?? this.offTickPrice(placed);
    if (invalid) return invalid;
    const action = placed.action.toUpperCase() as 'BUY' | 'SELL';
    const quantity = placed.totalQuantity!;
    const nowMs = this.clock.now(); // once per placement: the simulated clock's time zone math is not free
    const insufficient = this.buyingPowerProblem(symbol, action, quantity, placed.lmtPrice, nowMs);
    if (insufficient) return insufficient;

    const order: SimOrder = {
      clientId, orderId, permId: this.nextPermId++, symbol, action, totalQuantity: quantity,
      orderType: placed.orderType.toUpperCase() as SimOrderType, lmtPrice: placed.lmtPrice, auxPrice: placed.auxPrice,
      trailingPercent: placed.trailingPercent, trailStopPrice: placed.trailStopPrice, tif: placed.tif || 'DAY',
      ocaGroup: placed.ocaGroup || undefined, ocaType: placed.ocaType, orderRef: placed.orderRef ?? '', parentId: placed.parentId ?? 0,
      transmitted: placed.transmit, outsideRth: placed.outsideRth ?? false, account: this.options.accountId,
      status: 'PreSubmitted', filled: 0, avgFillPrice: 0, lastFillPrice: 0, triggered: false,
      tradingDay: this.sessionDayFor(nowMs, placed.outsideRth ?? false), createdMs: nowMs, updatedMs: nowMs, createdRealMs: Date.now(), whyHeld: '',
    };
    this.store.setMeta('nextPermId', this.nextPermId);
    this.orders.set(order.permId, order);
    this.orderKeys.set(`${clientId}:${orderId}`, order.permId);
    this.track(order);
    // Bracket: a transmitted child transmits its staged parent and staged siblings (IB's transmit=false pattern).
    if (order.transmitted && order.parentId) {
      for (const staged of this.relatedStaged(clientId, order.parentId)) {
        staged.transmitted = true;
        this.saveAndAnnounce(staged);
      }
    }
    this.refreshStatus(order, nowMs);
    const lateJoin = this.options.lateOcaJoinRules?.() ? this.lateOcaJoin(order) : undefined;
    if (lateJoin) {
      // Acknowledged, then cancelled at once (orderStatus Cancelled + 202): it never works.
      this.saveAndAnnounce(order);
      this.cancel(order, lateJoin);
      return undefined;
    }
    this.saveAndAnnounce(order);
    this.matchSymbol(symbol, nowMs);
    // IOC: what could not fill at once is cancelled (orderStatus Cancelled with filled > 0 when it partly filled).
    if (order.tif === 'IOC' && isWorking(order)) this.cancel(order, order.filled > 0 ? `IOC: ${remainingOf(order)} not fillable at once` : 'IOC: not fillable at once');
    return undefined;
  }

  /**
   * IB's OCA rule applied to an order arriving after its group traded: "when any order in the OCA grouping
   * is fully executed, the IB system will automatically issue a cancel request for the remaining order(s)"
   * (ocaType 1: already on a partial execution). The newcomer is one of the remaining orders, so it is
   * cancelled as it arrives and never works. A type-2/3 group that only partly traded keeps the newcomer
   * in full: IB documents no re-balancing of a later order, so the bots must not count on one.
   */
  private lateOcaJoin(order: SimOrder): string | undefined {
    if (!order.ocaGroup) return undefined;
    const members = this.getOrders().filter((o) => o !== order && o.clientId !== 0 && o.ocaGroup === order.ocaGroup && o.account === order.account);
    if (members.some((o) => o.status === 'Filled')) return `OCA group ${order.ocaGroup} already filled`;
    if ((order.ocaType ?? 1) === 1 && members.some((o) => o.filled > 0)) return `OCA group ${order.ocaGroup} already traded`;
    return undefined;
  }

  /** A position put into the account outside any order (a fresh realistic account's long-held stock). */
  seedPosition(symbol: string, quantity: number, averageCost: number): SimPosition {
    const position = { symbol, quantity, averageCost };
    this.positions.set(symbol, position);
    this.store.savePosition(position);
    this.cash -= quantity * averageCost;
    this.store.setMeta('cash', this.cash);
    this.emit('position', position);
    return position;
  }

  /**
   * IB corrects an execution: a new report with the same id prefix and the next suffix replaces the earlier
   * one (here: a price one cent different). Cash and the order's average follow; the position's size does not.
   */
  correctExecution(execId: string, priceDelta: number): SimExecution | undefined {
    const index = this.executions.findIndex((e) => e.execId === execId);
    const original = this.executions[index];
    if (!original) return undefined;
    const version = Number(execId.slice(-2)) + 1;
    const price = Math.round((original.price + priceDelta) * 100) / 100;
    if (!(price > 0) || version > 99) return undefined;
    const corrected: SimExecution = { ...original, execId: `${execId.slice(0, -2)}${String(version).padStart(2, '0')}`, price };
    const signed = original.side === 'BOT' ? original.shares : -original.shares;
    this.cash += signed * (original.price - price);
    const order = [...this.orders.values()].find((o) => o.permId === original.permId);
    if (order && order.filled > 0) order.avgFillPrice += ((price - original.price) * original.shares) / order.filled;
    const position = this.positions.get(original.symbol);
    if (position && position.quantity !== 0 && Math.sign(position.quantity) === Math.sign(signed)) {
      position.averageCost += ((price - original.price) * original.shares) / Math.abs(position.quantity);
    }
    if (original.realizedPnl !== undefined) corrected.realizedPnl = original.realizedPnl - signed * (price - original.price);
    this.executions[index] = corrected;
    this.store.atomically(() => {
      this.store.replaceExecution(execId, corrected);
      this.store.setMeta('cash', this.cash);
      if (order) this.store.saveOrder(order);
      if (position) this.store.savePosition(position);
    });
    return corrected;
  }

  cancelOrder(clientId: number, orderId: number, reason = ''): OrderRejection | undefined {
    const permId = this.orderKeys.get(`${clientId}:${orderId}`);
    const order = permId === undefined ? undefined : this.orders.get(permId);
    // Only the client id that placed an order may cancel it; to anyone else it does not exist (10147).
    if (!order || !isWorking(order)) return { code: IB_ERRORS.CANCEL_NOT_FOUND.code, message: IB_ERRORS.CANCEL_NOT_FOUND.message.replace('{id}', String(orderId)) };
    this.cancel(order, reason);
    return undefined;
  }

  /** REQ_GLOBAL_CANCEL: every working order of every client. */
  globalCancel(): void {
    for (const order of this.orders.values()) if (isWorking(order)) this.cancel(order, 'global cancel');
  }

  /** A market update for one symbol: triggers and fills whatever can fill now. */
  onMarketUpdate(symbol: string): void {
    this.consumedOnTouch.delete(`${symbol}:BUY`);
    this.consumedOnTouch.delete(`${symbol}:SELL`);
    this.matchSymbol(symbol);
  }

  /** DAY orders die at the close of the day they were placed on; untriggered orders wake up at the open. */
  onSessionBoundary(): void {
    const nowMs = this.clock.now();
    for (const order of this.orders.values()) {
      if (!isWorking(order)) continue;
      const hours = sessionHours(order.tradingDay);
      if (order.tif === 'DAY' && (!hours || nowMs >= hours.closeMs) && tradingDayOf(nowMs) >= order.tradingDay && !(order.outsideRth && hours && nowMs < hours.afterHoursCloseMs)) {
        this.cancel(order, 'day order expired');
        continue;
      }
      const before = order.status;
      this.refreshStatus(order);
      if (order.status !== before) this.saveAndAnnounce(order);
    }
  }

  /** A trade done by hand in TWS: a position moves with no order from any API client (clientId 0). */
  manualTrade(symbol: string, signedShares: number, price?: number): SimExecution {
    const snapshot = this.market.snapshot(symbol);
    const fillPrice = price ?? (signedShares > 0 ? snapshot.ask : snapshot.bid);
    const order: SimOrder = {
      clientId: 0, orderId: 0, permId: this.nextPermId++, symbol, action: signedShares > 0 ? 'BUY' : 'SELL', totalQuantity: Math.abs(signedShares),
      orderType: 'MKT', tif: 'DAY', orderRef: 'manual-tws', parentId: 0, transmitted: true, outsideRth: true, account: this.options.accountId,
      status: 'Submitted', filled: 0, avgFillPrice: 0, lastFillPrice: 0, triggered: false, tradingDay: tradingDayOf(this.clock.now()),
      createdMs: this.clock.now(), updatedMs: this.clock.now(), whyHeld: '',
    };
    this.store.setMeta('nextPermId', this.nextPermId);
    this.orders.set(order.permId, order);
    return this.fill(order, Math.abs(signedShares), fillPrice);
  }

  getOrders(): SimOrder[] {
    return [...this.orders.values()];
  }

  /** Working orders of a symbol that can trade right now (transmitted, parent filled): what could sell. */
  tradableOrders(symbol: string): SimOrder[] {
    return (this.workingBySymbol.get(symbol) ?? []).filter((o) => isWorking(o) && o.transmitted && (!o.parentId || this.parentOf(o)?.status === 'Filled'));
  }

  /** The account's true position in a stock now. */
  positionOf(symbol: string): number {
    return this.positions.get(symbol)?.quantity ?? 0;
  }

  workingOrders(clientId?: number): SimOrder[] {
    return this.getOrders().filter((o) => isWorking(o) && o.clientId !== 0 && (clientId === undefined || o.clientId === clientId));
  }

  getExecutions(): readonly SimExecution[] {
    return this.executions;
  }

  getPositions(): SimPosition[] {
    return [...this.positions.values()].filter((p) => p.quantity !== 0);
  }

  getCash(): number {
    return this.cash;
  }

  private modifyOrder(order: SimOrder, placed: PlacedOrder): OrderRejection | undefined {
    if (!isWorking(order)) return rejection(IB_ERRORS.CANNOT_MODIFY_FILLED);
    // A refused modification leaves the order exactly as it was, still working (IB: 104, 105, 110, 201).
    const injected = this.rejectNextModifies.shift();
    if (injected) return injected;
    const offTick = this.offTickPrice(placed);
    if (offTick) return offTick;
    const quantity = placed.totalQuantity ?? order.totalQuantity;
    if (quantity <= order.filled) return rejection(IB_ERRORS.VALIDATION, `new quantity ${quantity} is not above the filled ${order.filled}`);
    order.totalQuantity = quantity;
    order.lmtPrice = placed.lmtPrice ?? order.lmtPrice;
    order.auxPrice = placed.auxPrice ?? order.auxPrice;
    if (placed.trailingPercent !== undefined) order.trailingPercent = placed.trailingPercent;
    if (placed.trailStopPrice !== undefined) order.trailStopPrice = placed.trailStopPrice;
    order.updatedMs = this.clock.now();
    this.saveAndAnnounce(order);
    this.matchSymbol(order.symbol);
    return undefined;
  }

  /** IB refuses prices off the minimum tick (0.01 from $1, 0.0001 below) with 110. */
  private offTickPrice(placed: PlacedOrder): OrderRejection | undefined {
    if (!this.options.strictPrices?.()) return undefined;
    for (const price of [placed.lmtPrice, placed.orderType.toUpperCase().startsWith('STP') ? placed.auxPrice : undefined]) {
      if (price === undefined || !(price > 0)) continue;
      const tick = price >= 1 ? 0.01 : 0.0001;
      if (Math.abs(price / tick - Math.round(price / tick)) > 1e-6) return rejection(IB_ERRORS.PRICE_OFF_TICK, `(${price} is not a multiple of ${tick})`);
    }
    return undefined;
  }

  private relatedStaged(clientId: number, parentOrderId: number): SimOrder[] {
    return this.getOrders().filter((o) => o.clientId === clientId && !o.transmitted && isWorking(o) && (o.orderId === parentOrderId || o.parentId === parentOrderId));
  }

  private parentOf(order: SimOrder): SimOrder | undefined {
    if (!order.parentId) return undefined;
    const permId = this.orderKeys.get(`${order.clientId}:${order.parentId}`);
    return permId === undefined ? undefined : this.orders.get(permId);
  }

  /** Whether the order may trade now: transmitted, parent filled, and in a session its flags allow. */
  private canWorkNow(order: SimOrder, nowMs = this.clock.now()): boolean {
    if (!order.transmitted || !isWorking(order)) return false;
    const parent = this.parentOf(order);
    if (parent && parent.status !== 'Filled') return false;
    const phase = this.phaseAt(nowMs);
    return phase === 'REGULAR' || (order.outsideRth && (phase === 'PRE_MARKET' || phase === 'AFTER_HOURS'));
  }

  private phaseAt(nowMs: number): MarketPhase {
    const cached = this.phaseCache;
    if (cached && nowMs >= cached.fromMs && nowMs < cached.toMs) return cached.phase;
    const phase = marketPhase(nowMs);
    const hours = sessionHours(calendarDayInNewYork(nowMs));
    const span = !hours ? undefined
      : phase === 'REGULAR' ? [hours.openMs, hours.closeMs]
      : phase === 'PRE_MARKET' ? [hours.preMarketOpenMs, hours.openMs]
      : phase === 'AFTER_HOURS' ? [hours.closeMs, hours.afterHoursCloseMs]
      : undefined;
    this.phaseCache = span ? { fromMs: span[0]!, toMs: span[1]!, phase } : undefined;
    return phase;
  }

  /** The session an order placed now works in: after today's close (or after-hours close with outsideRth) it is the next one, as at IB. */
  private sessionDayFor(nowMs: number, outsideRth: boolean): string {
    const day = this.dayOf(nowMs);
    const hours = sessionHours(day);
    if (hours && nowMs >= (outsideRth ? hours.afterHoursCloseMs : hours.closeMs)) return nextTradingDay(day);
    return day;
  }

  /** tradingDayOf(), kept for the rest of its New York calendar day. */
  private dayOf(ms: number): string {
    const cached = this.dayCache;
    if (cached && ms >= cached.fromMs && ms < cached.toMs) return cached.day;
    const start = DateTime.fromMillis(ms, { zone: MARKET_ZONE }).startOf('day');
    this.dayCache = { fromMs: start.toMillis(), toMs: start.plus({ days: 1 }).toMillis(), day: tradingDayOf(ms) };
    return this.dayCache.day;
  }

  private track(order: SimOrder): void {
    if (order.clientId === 0) return; // manual TWS trades fill at once and never work
    const list = this.workingBySymbol.get(order.symbol);
    if (list) list.push(order);
    else this.workingBySymbol.set(order.symbol, [order]);
  }

  private refreshStatus(order: SimOrder, nowMs = this.clock.now()): void {
    if (!isWorking(order)) return;
    order.status = this.canWorkNow(order, nowMs) ? 'Submitted' : 'PreSubmitted';
    const parent = this.parentOf(order);
    order.whyHeld = !order.transmitted ? 'untransmitted' : parent && parent.status !== 'Filled' ? 'child' : '';
  }

  private matchSymbol(symbol: string, knownNowMs?: number): void {
    if (this.frozen) return;
    const snapshot = this.market.snapshot(symbol);
    if (!(snapshot.last > 0)) return;
    const tracked = this.workingBySymbol.get(symbol);
    if (!tracked) return;
    let kept = 0;
    for (const order of tracked) if (isWorking(order)) tracked[kept++] = order; // filled and cancelled orders leave the index here
    tracked.length = kept;
    if (kept === 0) return;
    const candidates = tracked.slice(); // a fill below may re-enter matchSymbol and prune `tracked`
    const nowMs = knownNowMs ?? this.clock.now();
    for (const order of candidates) {
      if (!isWorking(order)) continue; // an OCA sibling may have been cancelled by an earlier fill in this loop
      if (!this.canWorkNow(order, nowMs)) {
        const before = order.status;
        this.refreshStatus(order, nowMs);
        if (before !== order.status) this.saveAndAnnounce(order);
        continue;
      }
      if (order.status !== 'Submitted') {
        order.status = 'Submitted';
        order.whyHeld = '';
        this.saveAndAnnounce(order);
      }
      if (order.orderType === 'TRAIL') {
        const level = updatedTrailStop(order, snapshot.last);
        if (level !== order.trailStopPrice) {
          order.trailStopPrice = level;
          this.store.saveOrder(order);
        }
      }
      if ((order.orderType === 'STP' || order.orderType === 'STP LMT' || order.orderType === 'TRAIL') && !order.triggered) {
        if (!stopTriggered(order, snapshot.last)) continue;
        order.triggered = true;
        this.store.saveOrder(order);
      }
      const price = executablePrice(order, snapshot);
      if (price === undefined) continue;
      const touchSize = order.action === 'BUY' ? snapshot.askSize : snapshot.bidSize;
      const touchKey = `${symbol}:${order.action}`;
      const available = touchSize - (this.consumedOnTouch.get(touchKey) ?? 0);
      const quantity = fillableQuantity(order, available);
      if (quantity <= 0) continue;
      this.consumedOnTouch.set(touchKey, (this.consumedOnTouch.get(touchKey) ?? 0) + quantity);
      this.fill(order, quantity, price, nowMs);
    }
  }

  private fill(order: SimOrder, quantity: number, price: number, nowMs = this.clock.now()): SimExecution {
    const signed = order.action === 'BUY' ? quantity : -quantity;
    const commission = commissionFor(quantity, price, order.filled, order.avgFillPrice * order.filled);
    const position = this.positions.get(order.symbol) ?? { symbol: order.symbol, quantity: 0, averageCost: 0 };
    const effect = applyFill(position, signed, price, commission);
    order.avgFillPrice = (order.avgFillPrice * order.filled + price * quantity) / (order.filled + quantity);
    order.filled += quantity;
    order.lastFillPrice = price;
    order.updatedMs = nowMs;
    if (remainingOf(order) <= 0) order.status = 'Filled';
    const seq = this.nextExecSeq++;
    const execution: SimExecution = {
      execId: `0000sim.${order.permId.toString(16)}.${seq.toString(16).padStart(6, '0')}.01`,
      permId: order.permId, clientId: order.clientId, orderId: order.orderId, symbol: order.symbol,
      side: order.action === 'BUY' ? 'BOT' : 'SLD', shares: quantity, price, timeMs: nowMs, tradingDay: this.dayOf(nowMs),
      orderRef: order.orderRef, cumQty: order.filled, avgPrice: order.avgFillPrice, commission, realizedPnl: effect.realizedPnl, realMs: Date.now(),
    };
    this.cash += effect.cashDelta;
    this.positions.set(order.symbol, effect.position);
    this.executions.push(execution);
    this.store.atomically(() => {
      this.store.saveExecution(execution);
      this.store.saveOrder(order);
      this.store.savePosition(effect.position);
      this.store.setMeta('cash', this.cash);
      this.store.setMeta('nextExecSeq', this.nextExecSeq);
    });
    this.emit('execution', execution, order);
    this.emit('order', order);
    this.emit('position', effect.position);
    this.afterFill(order, quantity);
    return execution;
  }

  /** OCA siblings are cancelled (type 1) or reduced (types 2 and 3); a filled parent releases its children. */
  private afterFill(order: SimOrder, quantity: number): void {
    if (order.ocaGroup) {
      for (const sibling of this.getOrders()) {
        if (sibling === order || sibling.ocaGroup !== order.ocaGroup || !isWorking(sibling)) continue;
        if ((order.ocaType ?? 1) === 1) {
          this.cancel(sibling, `OCA group ${order.ocaGroup} filled`);
        } else {
          sibling.totalQuantity -= quantity;
          if (remainingOf(sibling) <= 0) this.cancel(sibling, `OCA group ${order.ocaGroup} reduced to zero`);
          else this.saveAndAnnounce(sibling);
        }
      }
    }
    if (order.status === 'Filled') {
      const children = this.getOrders().filter((o) => o.clientId === order.clientId && o.parentId === order.orderId && isWorking(o));
      for (const child of children) {
        this.refreshStatus(child);
        this.saveAndAnnounce(child);
      }
      if (children.length > 0) this.matchSymbol(order.symbol);
    }
  }

  private cancel(order: SimOrder, reason: string): void {
    order.status = 'Cancelled';
    order.updatedMs = this.clock.now();
    this.saveAndAnnounce(order);
    this.emit('orderError', { clientId: order.clientId, orderId: order.orderId, code: IB_ERRORS.ORDER_CANCELLED.code, message: `${IB_ERRORS.ORDER_CANCELLED.message} ${reason}`.trim() });
    // A cancelled parent takes its unfilled children with it.
    for (const child of this.getOrders()) {
      if (child.clientId === order.clientId && child.parentId === order.orderId && isWorking(child) && order.filled === 0) this.cancel(child, 'parent cancelled');
    }
  }

  private saveAndAnnounce(order: SimOrder): void {
    this.store.saveOrder(order);
    this.emit('order', order);
  }

  private buyingPowerProblem(symbol: string, action: 'BUY' | 'SELL', quantity: number, limitPrice: number | undefined, nowMs: number): OrderRejection | undefined {
    const held = this.positions.get(symbol)?.quantity ?? 0;
    const increases = action === 'BUY' ? held >= 0 : held <= 0;
    const reducesOnly = !increases && quantity <= Math.abs(held);
    if (reducesOnly) return undefined;
    const snapshot = this.market.snapshot(symbol);
    const referencePrice = limitPrice ?? (action === 'BUY' ? snapshot.ask : snapshot.bid) ?? snapshot.last;
    const orderValue = quantity * referencePrice;
    const values = this.accountValues(nowMs);
    if (orderValue > values.buyingPower) {
      return rejection(IB_ERRORS.ORDER_REJECTED, `YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR BUYING POWER [${values.buyingPower.toFixed(2)} USD] MUST EXCEED THE ORDER VALUE [${orderValue.toFixed(2)} USD]`);
    }
    return undefined;
  }

  accountValues(nowMs = this.clock.now()): { netLiquidation: number; totalCash: number; grossPositionValue: number; unrealizedPnl: number; realizedPnlToday: number; availableFunds: number; buyingPower: number } {
    let marketValue = 0;
    let gross = 0;
    let unrealized = 0;
    for (const position of this.positions.values()) {
      if (position.quantity === 0) continue;
      const last = this.market.snapshot(position.symbol).last || position.averageCost;
      marketValue += position.quantity * last;
      gross += Math.abs(position.quantity * last);
      unrealized += (last - position.averageCost) * position.quantity;
    }
    const today = this.dayOf(nowMs);
    const realizedPnlToday = this.executions.filter((e) => e.tradingDay === today).reduce((sum, e) => sum + (e.realizedPnl ?? 0), 0);
    const netLiquidation = this.cash + marketValue;
    const availableFunds = netLiquidation - 0.25 * gross;
    return {
      netLiquidation, totalCash: this.cash, grossPositionValue: gross, unrealizedPnl: unrealized, realizedPnlToday,
      availableFunds, buyingPower: Math.max(0, availableFunds * this.options.buyingPowerMultiple),
    };
  }
}

function validate(placed: PlacedOrder): OrderRejection | undefined {
  const type = placed.orderType.toUpperCase();
  if (!SUPPORTED_ORDER_TYPES.includes(type)) return rejection(IB_ERRORS.UNSUPPORTED_ORDER_TYPE, `(${placed.orderType})`);
  const action = placed.action.toUpperCase();
  if (action !== 'BUY' && action !== 'SELL') return rejection(IB_ERRORS.VALIDATION, `action must be BUY or SELL, got "${placed.action}"`);
  if (!placed.totalQuantity || placed.totalQuantity <= 0) return rejection(IB_ERRORS.ZERO_SIZE);
  if (!Number.isInteger(placed.totalQuantity)) return rejection(IB_ERRORS.VALIDATION, 'fractional share quantities are not supported');
  const tif = (placed.tif || 'DAY').toUpperCase();
  if (!['DAY', 'GTC', 'IOC', 'OPG'].includes(tif)) return rejection(IB_ERRORS.VALIDATION, `time in force ${placed.tif} is not supported (DAY, GTC, IOC, OPG)`);
  if ((type === 'LMT' || type === 'STP LMT') && !(placed.lmtPrice! > 0)) return rejection(IB_ERRORS.VALIDATION, `${type} needs a positive lmtPrice`);
  if ((type === 'STP' || type === 'STP LMT') && !(placed.auxPrice! > 0)) return rejection(IB_ERRORS.VALIDATION, `${type} needs a positive auxPrice (stop price)`);
  if (type === 'TRAIL' && !(placed.auxPrice! > 0) && !(placed.trailingPercent! > 0)) return rejection(IB_ERRORS.VALIDATION, 'TRAIL needs auxPrice (amount) or trailingPercent');
  return undefined;
}
