import type { ResolvedConfig } from '../../shared/config/schema';
import { isUsdStock, type BrokerPort, type BrokerPosition, type Execution, type OrderEvent, type OrderId, type OrderRequest } from '../../shared/broker/types';
import { DbChangeProbe, isBusyError, syncActivePositions, type Db, type Repositories } from '../../shared/db';
import type { ActivePosition, ExecutionRecord } from '../../shared/db/types';
import { AppError, errorMessage } from '../../shared/errors/errors';
import { crashPoint } from '../../shared/process/crash-points';
import type { Logger } from '../../shared/log/logger';
import { RepeatedFailureLog } from '../../shared/log/repeated-failure-log';
import type { Clock } from '../../shared/time/clock';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { exitReasonFor, exitRef, ocaGroupFor, parseExitRef, stopLossRef, takeProfitRef } from '../../shared/orders/order-refs';
import { closedQuantity, heldQuantity, type ExitFill } from './held-quantity';
import { BrokerReportEvidence, fellOutsideOurOrders } from './broker-report-evidence';
import { OwnOrderCache } from './own-order-cache';
import { StopAcknowledgements } from './stop-acknowledgement';
import { coverTarget, needsMarketLevels, planProtection, type OwnOrder, type ProtectionAction } from './protection-plan';
import { quoteSnapshot } from '../../shared/broker/quote-snapshot';
import { pastFlatProblem } from './sell-exposure';
import { timeBasedExit, trailingLevel, trailingTriggered } from './exit-rules';
import { protectionGaveUpAlert, protectionMissingAlert } from '../../shared/alerts/fact-alerts';
import { maxTradable } from './sell-exposure';

export interface ProtectionDeps {
  app: string;
  broker: BrokerPort;
  db: Db;
  repos: Repositories;
  clock: Clock;
  log: Logger;
  config: ResolvedConfig;
  onProtectingChanged: (protecting: boolean) => void;
  /** Positions whose protection the broker keeps refusing (retries stopped): shown in the heartbeat. */
  onGaveUpChanged?: (symbols: string[]) => void;
  /** Real time (ms) for the settle rules; tests inject their own. Default Date.now. */
  realNowMs?: () => number;
}

/** OCA type 2 ("reduce with block"): a partial fill of one leg reduces the other, so the pair never oversells. */
const OCA_REDUCE_WITH_BLOCK = 2 as const;

/** A live quote older than this (real ms), or an execution of ours older than this (market ms), no longer says where the market is. */
const LIVE_QUOTE_MAX_AGE_MS = 5_000;
const OWN_EXECUTION_MAX_AGE_MS = 60_000;

/** After giving up on a position's protection, one more try this much later (real ms), alerting again if it fails. */
const GIVE_UP_RETRY_MS = 5 * 60_000;

/** The broker refused to let an order through our own guard: it could have taken a position past flat. */
export class PastFlatRefused extends AppError {
  readonly kind = 'bug' as const;
  readonly exitCode = 70;
}

interface Failure {
  count: number;
  retryAtMs: number;
  gaveUp: boolean;
}

/**
 * Owns every order that protects or closes a position. Keeps the shares WE hold (counted from our own
 * fills, never from the lagging position stream) covered exactly once by broker-side stop-loss /
 * take-profit OCA pairs; closes positions by time, at the end of the day and by the trailing stop; books
 * every exit fill once. Acts only on complete broker snapshots, never while a trading halt is active, and
 * never sends an order that could take a position past flat.
 */
export class ProtectionManager {
  private readonly cache = new OwnOrderCache();
  /** The broker's reported US-stock positions by symbol (they lag our fills). */
  private readonly brokerPositions = new Map<string, BrokerPosition>();
  private snapshotComplete = false;
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly sentSinceSnapshot = new Set<number>();
  private readonly trails = new Map<string, { positionId: string; entryPrice: number; long: boolean; best: number | undefined; exiting: boolean }>();
  private readonly quoteSubscriptions = new Map<string, () => void>();
  private readonly failures = new Map<string, Failure>();
  private readonly unprotectedSinceMs = new Map<string, number>();
  /** Real ms at which this process first saw shares in a symbol's row since its last protection (stage timing). */
  private readonly rowChangedAtMs = new Map<string, number>();
  /** Real time of the last thing that touched a symbol (fill, status, position report, row change). */
  private readonly lastActivityMs = new Map<string, number>();
  /** Shares our closing orders had traded when the symbol's last position report came (see onPositionUpdate). */
  private readonly closedAtLastReport = new Map<string, number>();
  /** Real time of the last position report per symbol: shares appearing from outside are adopted only once their reports have settled. */
  private readonly lastReportMs = new Map<string, number>();
  private readonly rowFingerprints = new Map<string, string>();
  /** Whether the broker's report may shrink protection: only when provably newer than our own fills. */
  private readonly evidence: BrokerReportEvidence;
  private readonly afterSend: Array<() => void> = [];
  private readonly dbChanges: DbChangeProbe;
  private resyncing: Promise<void> | undefined;
  private haltNoticed: number | undefined;
  private stopped = false;
  /** The first complete look (snapshots, missed fills, every symbol) is done: rows appearing from now on are news. */
  private firstLookDone = false;
  /** Positions holding shares without a working stop: since when, and whether that was alerted. */
  private readonly bareSince = new Map<string, { sinceMs: number; alerted: boolean }>();
  /** The highest ref sequence this process handed out per position (its order rows may not be written yet). */
  private readonly sequencesUsed = new Map<string, number>();
  /** Symbols whose adopted row is being priced from a quote. */
  private readonly pricing = new Set<string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Orders whose last modification the broker refused: shrinking them again means cancelling their group. */
  private readonly modifyRefused = new Set<number>();
  /** Orders this process asked the broker to cancel in place of a refused reduction (asked once). */
  private readonly cancelRequested = new Set<number>();
  /** Stops just sent whose first word from the broker a pair waits for. */
  private readonly stopAcks = new StopAcknowledgements();
  /** The last LIVE (never delayed) price per symbol from the trailing-stop subscriptions. */
  private readonly liveQuotes = new Map<string, { price: number; receivedAtMs: number }>();
  /** Order events that could not be handled (a DB lock): one error line per episode, not one per event. */
  private readonly eventFailures: RepeatedFailureLog;

  constructor(private readonly d: ProtectionDeps) {
    this.dbChanges = new DbChangeProbe(d.db);
    this.evidence = new BrokerReportEvidence(d.config.exits.brokerSettleMs, () => this.now());
    this.eventFailures = new RepeatedFailureLog({
      log: d.log, clock: { now: () => this.now() }, event: 'order_event_failed', endEvent: 'order_event_failures_ended',
      what: 'will be booked from the broker at the next resync',
    });
  }

  private now(): number {
    return this.d.realNowMs?.() ?? Date.now();
  }

  get protecting(): boolean {
    return this.snapshotComplete && this.d.broker.isConnected();
  }

  start(): void {
    this.d.broker.onOrderEvent((event) => {
      try {
        if (this.onOrderEvent(event)) this.eventFailures.succeeded();
      } catch (error) {
        // E.g. the DB locked past busy_timeout: nothing is lost, the next resync books the fill from the broker.
        // One lock fails every event of its seconds: said once per episode (see RepeatedFailureLog).
        this.eventFailures.failed(isBusyError(error) ? 'db_locked' : errorMessage(error), { kind: event.kind, ref: 'ref' in event ? event.ref : undefined, error: errorMessage(error) });
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer);
          if (!this.stopped) void this.resync('after_failed_event');
        }, 1_000);
        this.retryTimers.add(timer);
      }
    });
    this.d.broker.onPositionUpdate((p) => {
      if (!isUsdStock(p)) return; // options, other currencies: never ours to manage
      const known = this.brokerPositions.get(p.symbol)?.quantity ?? 0;
      if (known === 0 && p.quantity !== 0) this.unprotectedSinceMs.set(p.symbol, Date.now());
      this.brokerPositions.set(p.symbol, p);
      // A report is the broker's word, not activity of ours: it must not restart the quiet period it is
      // judged by (it did, and a sale by hand then waited for the next periodic resync: 100 s live).
      // A report that fell by more than our own orders sold since the previous one is evidence at once (see
      // BrokerReportEvidence.reported); a fall our own sales explain says nothing (it may trail a buy of ours).
      const row = this.d.repos.positions.getActivePosition(p.symbol);
      const closedNow = row ? this.closedByOwnOrders(row) : 0;
      const closedThen = this.closedAtLastReport.get(p.symbol) ?? closedNow;
      this.closedAtLastReport.set(p.symbol, closedNow);
      this.evidence.reported(p.symbol, this.now(), fellOutsideOurOrders(known, p.quantity, closedNow - closedThen));
      this.lastReportMs.set(p.symbol, this.now());
      void this.schedule(p.symbol);
    });
    this.d.broker.onConnectionEvent((event) => {
      if (event.kind === 'connected') void this.resync('reconnected');
      if (event.kind === 'disconnected') {
        this.snapshotComplete = false;
        this.d.onProtectingChanged(false);
      }
    });
  }

  /** Shutdown: no more checks, no retry timers left behind. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    for (const unsubscribe of this.quoteSubscriptions.values()) unsubscribe();
    this.quoteSubscriptions.clear();
  }

  /**
   * Another process committed (a new fill booked, a reported entry): check the symbols whose rows changed
   * now, not at the next timer. Called every few ms; costs one shared-memory read when nothing changed.
   */
  onDbPoll(): void {
    if (!this.dbChanges.changedSinceLastLook() || !this.snapshotComplete) return;
    for (const row of this.d.repos.positions.getActivePositions()) {
      if (this.fingerprintChanged(row)) void this.schedule(row.symbol);
    }
  }

  /** Complete snapshots of own orders and positions, book missed exit fills, then verify every symbol. */
  resync(trigger: string): Promise<void> {
    this.resyncing ??= this.doResync(trigger).finally(() => (this.resyncing = undefined));
    return this.resyncing;
  }

  private async doResync(trigger: string): Promise<void> {
    if (this.stopped) return;
    const started = Date.now();
    try {
      this.sentSinceSnapshot.clear();
      const requestedMs = this.now();
      const [orders, positions] = await Promise.all([this.d.broker.openOrders('own'), this.d.broker.positions()]);
      this.cache.replaceWith(orders, this.sentSinceSnapshot);
      const stocks = positions.filter(isUsdStock);
      const seen = new Set(stocks.map((p) => p.symbol));
      for (const [symbol, known] of [...this.brokerPositions]) if (!seen.has(symbol)) this.brokerPositions.set(symbol, { ...known, quantity: 0 });
      for (const p of stocks) this.brokerPositions.set(p.symbol, p);
      this.evidence.snapshotAnswered(requestedMs, stocks.map((p) => p.symbol), [...this.brokerPositions.keys()]);
      for (const row of this.d.repos.positions.getActivePositions()) this.closedAtLastReport.set(row.symbol, this.closedByOwnOrders(row));
      this.snapshotComplete = true;
      await this.bookMissedExecutions();
      await this.checkAll();
      this.firstLookDone = true;
      this.d.onProtectingChanged(true);
      this.d.log[trigger === 'interval' ? 'debug' : 'info']('protection_resynced', { trigger, positions: stocks.length, ownOrders: orders.length, ms: Date.now() - started });
    } catch (error) {
      // Unknown is not empty: without complete snapshots nothing is cancelled or declared flat.
      this.d.log.warn('protection_resync_failed', { trigger, error: errorMessage(error) });
    }
  }

  /** Runs every check: all broker positions, DB rows and own orders. Called on a timer. */
  async checkAll(): Promise<void> {
    const rows = this.d.repos.positions.getActivePositions();
    for (const row of rows) this.fingerprintChanged(row);
    const symbols = new Set<string>([...this.brokerPositions.keys(), ...this.cache.symbols(), ...rows.map((r) => r.symbol)]);
    // One symbol at a time with the event loop in between: a fill or a tick that arrives during a sweep of
    // many positions is acted on at once, not after every other symbol's check (the protection tail).
    const checks: Array<Promise<void>> = [];
    for (const symbol of symbols) {
      checks.push(this.schedule(symbol));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(checks);
    this.updateQuoteSubscriptions();
    // Every position, whatever stopped its check (link down, halt, refusals): are its shares under a stop?
    for (const row of this.d.repos.positions.getActivePositions()) {
      const { held, own } = this.counts(row);
      this.watchStopCoverage(row, held, this.brokerCapFor(row.symbol, own, this.isSettled(row.symbol)));
    }
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
        try {
          await this.checkSymbol(symbol);
        } catch (error) {
          // A DB write that met someone else's lock (adoption, a row update): nothing was decided on half a
          // write; the symbol is checked again shortly.
          const transient = isBusyError(error) || (error instanceof AppError && error.kind === 'transient');
          this.d.log[transient ? 'warn' : 'error']('protection_check_failed', { symbol, error: errorMessage(error), transient });
          this.retrySoon(symbol);
        }
      } while (this.dirty.has(symbol));
    })().finally(() => this.running.delete(symbol));
    this.running.set(symbol, run);
    return run;
  }

  /**
   * A check after the rest of the messages that arrived with this one: a fill's status and its OCA
   * sibling's reduction come in one burst, and acting between them would cancel an order already gone.
   */
  private scheduleAfterBurst(symbol: string): void {
    setImmediate(() => void this.schedule(symbol));
  }

  /** Our signed position in a symbol from our own fills (see heldQuantity). */
  heldFor(row: ActivePosition): number {
    return heldQuantity(row, this.exitFills(row), this.cache.reportedFillsFor(row.id));
  }

  /**
   * From one read of the row's trades: `held` (heldFor) and `own`, the same leaving out the trades done by
   * hand that the reconciler booked against the position (MANUAL): the count the broker's reports are
   * compared with (see brokerCapFor).
   */
  private counts(row: ActivePosition): { held: number; own: number } {
    const exits = this.exitFills(row);
    const reported = this.cache.reportedFillsFor(row.id);
    return { held: heldQuantity(row, exits, reported), own: heldQuantity(row, exits.filter((e) => isOwnExit(e.orderRef)), reported) };
  }

  /** Shares our own closing orders traded for a row (booked or reported, whichever is more). */
  private closedByOwnOrders(row: ActivePosition): number {
    return closedQuantity(this.exitFills(row).filter((e) => isOwnExit(e.orderRef)), this.cache.reportedFillsFor(row.id));
  }

  private exitFills(row: ActivePosition): ExitFill[] {
    return this.d.repos.trades.getByPosition(row.id)
      .filter((t) => t.purpose === 'EXIT')
      .map((t) => ({ orderRef: t.order_ref, side: t.side, quantity: t.quantity }));
  }

  private async checkSymbol(symbol: string): Promise<void> {
    if (this.stopped || !this.d.broker.isConnected()) return;
    // Without a complete snapshot of our own working orders we do not know whether protection exists:
    // placing a pair now could double it (and two stops could both fill on a gap). Wait for the resync.
    if (!this.snapshotComplete) return;
    if (this.isHalted()) return;
    const row = this.d.repos.positions.getActivePosition(symbol);
    const failure = this.failures.get(row?.id ?? symbol);
    if (failure && failure.retryAtMs > Date.now()) return;
    const broker = this.brokerPositions.get(symbol);
    const settled = this.isSettled(symbol);
    const { held, own } = row ? this.counts(row) : { held: 0, own: 0 };
    this.evidence.noteHeld(symbol, own, row ? () => this.lastOwnFillRealMs(row) : undefined);
    // Shares nobody of ours explains, by a report that is newer than our last fill (a row just closed by our
    // own exit leaves a report of the old shares behind for a while: never adopt those).
    if (!row && broker && broker.quantity !== 0 && settled && this.reportsSettled(symbol) && this.evidence.believable(symbol) && this.adoptForeign(symbol, broker)) return void this.dirty.add(symbol);
    if (row && held !== 0 && needsMarketLevels(row) && (row.stopLossPrice === null || row.profitTargetPrice === null)) this.priceFromMarket(row, held);
    // The strategy's own exits when its claim carries them (the day-trader set its levels with them), else the configured ones.
    const plan = row?.metadata.exitPlan as { stopLossPct?: number; takeProfitPct?: number } | undefined;
    const actions = planProtection({
      symbol, row, held, brokerCap: this.brokerCapFor(symbol, own, settled), settled,
      orders: this.cache.forSymbol(symbol), stopLossPct: plan?.stopLossPct ?? this.d.config.strategy.stopLossPct, takeProfitPct: plan?.takeProfitPct ?? this.d.config.strategy.takeProfitPct,
      brokerAverageCost: broker?.averageCost, marketPrice: row ? this.marketPrice(symbol, row) : undefined,
    });
    for (const action of actions) {
      try {
        await this.execute(action, row, held);
      } catch (error) {
        // A gateway or DB that is briefly unavailable is retried soon and never given up on; only refusals
        // (and bugs) count towards the give-up limit.
        const transient = (error instanceof AppError && error.kind === 'transient') || isBusyError(error);
        if (transient) this.retrySoon(symbol);
        else this.noteFailure(row?.id ?? symbol, symbol, `${action.kind}: ${errorMessage(error)}`);
        this.d.log[transient ? 'warn' : 'error']('protection_action_failed', { symbol, action: action.kind, error: errorMessage(error), transient });
        return;
      }
    }
    if (!row) return;
    this.updateTrail(symbol, row, held);
    if (held !== 0 && row.metadata.protectOnly !== true && !this.cache.forSymbol(symbol).some((o) => o.leg === 'EXIT')) {
      const decision = timeBasedExit(row, this.d.clock.now(), this.d.config.exits);
      if (decision) await this.placeExit(symbol, decision.reason);
    }
  }

  /**
   * Stop and target of an adopted holding from the market's price now (its average cost may be far from
   * it): one quote (delayed is fine), then the row carries the levels and the pair follows.
   */
  private priceFromMarket(row: ActivePosition, held: number): void {
    if (this.pricing.has(row.symbol)) return;
    this.pricing.add(row.symbol);
    void quoteSnapshot(this.d.broker, row.symbol, 5_000).then((quote) => {
      const price = quote.last ?? (quote.bid! + quote.ask!) / 2;
      const direction = held > 0 ? 1 : -1;
      const { stopLossPct, takeProfitPct } = this.d.config.strategy;
      this.d.repos.positions.updateActivePosition(row.id, {
        stopLossPrice: cents(price * (1 - (direction * stopLossPct) / 100)), profitTargetPrice: cents(price * (1 + (direction * takeProfitPct) / 100)),
      });
      this.d.log.info('adopted_position_priced', { symbol: row.symbol, positionId: row.id, price, delayed: quote.delayed === true });
      void this.schedule(row.symbol);
    }).catch((error) => {
      this.d.log.warn('adopted_position_unpriced', { symbol: row.symbol, positionId: row.id, error: errorMessage(error), what: 'no quote: not protected yet, retried at the next check' });
    }).finally(() => this.pricing.delete(row.symbol));
  }

  /**
   * A stock position nobody of ours explains, once the reports settled: the configured policy decides
   * (ignore: leave it; protect: a pair, never closed by us; adopt: managed and flattened like ours).
   */
  private adoptForeign(symbol: string, broker: BrokerPosition): boolean {
    const policy = this.d.config.positions.foreignPolicy;
    if (policy === 'ignore') return false;
    const result = syncActivePositions(this.d.db, this.d.clock, [{ symbol, quantity: broker.quantity, averageCost: broker.averageCost, conId: broker.conId }], {
      tradingDay: tradingDayOf(this.d.clock.now()), app: this.d.app, adoptUntracked: true, fixQuantities: false,
      adoptedMetadata: policy === 'protect' ? { protectOnly: true } : {},
    });
    for (const change of result.changes) this.d.log.warn('position_adopted', { symbol: change.symbol, positionId: change.positionId, quantity: change.to, policy, reason: 'broker position not opened by the bots' });
    return result.changes.length > 0;
  }

  private async execute(action: ProtectionAction, row: ActivePosition | undefined, held: number): Promise<void> {
    switch (action.kind) {
      case 'place_pair': {
        const sequence = this.nextSequence(action.positionId);
        const ocaGroup = ocaGroupFor(action.positionId, sequence);
        const common = { symbol: action.symbol, conId: this.conIdFor(action.symbol, row), side: action.side, quantity: action.quantity, tif: 'GTC' as const, ocaGroup, ocaType: OCA_REDUCE_WITH_BLOCK };
        crashPoint('exit-manager:before-protection');
        const stopRef = stopLossRef(action.positionId, sequence);
        const stopState = this.stopAcks.expect(stopRef, this.d.config.ib.requestTimeoutMs);
        await this.send({ ...common, orderRef: stopRef, type: 'STP', stopPrice: action.stopPrice }, action.positionId, 'SL', sequence).catch((error) => {
          stopState.cancel();
          throw error;
        });
        // Where the time went (the benchmark reads these): row change seen → stop handed to the socket.
        const timing = { rowChangeSeenAtMs: this.rowChangedAtMs.get(action.symbol), stopSentAtMs: Date.now() };
        this.rowChangedAtMs.delete(action.symbol);
        crashPoint('exit-manager:between-protection-legs');
        // The target joins the group only once the broker shows the stop WORKING and unfilled. A stop that
        // traded as it arrived (through the market) may have taken the position flat; a target sent behind
        // it would sell shares no longer held. IB cancels an order joining a filled OCA group, but not one
        // joining a partly filled reduce-type group, and the non-bracket transmit=false staging a single
        // placement would need does not exist for OCA groups. A missing target is placed by the next check
        // (a leg joining its group) once the group's size is known.
        const state = await stopState.result;
        if (state !== 'working') {
          this.d.log.warn('protection_target_withheld', { symbol: action.symbol, positionId: action.positionId, ocaGroup, stop: state, what: 'the stop is not working unfilled: no target is sent beside it; the next check decides' });
          return;
        }
        await this.send({ ...common, orderRef: takeProfitRef(action.positionId, sequence), type: 'LMT', limitPrice: action.targetPrice }, action.positionId, 'TP', sequence);
        const sinceMs = this.unprotectedSinceMs.get(action.symbol);
        // First sight of the unprotected shares, by whichever came first: the DB row or the broker's report.
        const firstSeenMs = Math.min(sinceMs ?? Infinity, timing.rowChangeSeenAtMs ?? Infinity);
        this.d.log.info('protection_placed', {
          symbol: action.symbol, positionId: action.positionId, quantity: action.quantity, held, stopPrice: action.stopPrice, targetPrice: action.targetPrice, ocaGroup,
          msSincePositionSeen: sinceMs ? Date.now() - sinceMs : undefined,
          msSinceUnprotectedSeen: Number.isFinite(firstSeenMs) ? Date.now() - firstSeenMs : undefined, ...timing,
        });
        this.unprotectedSinceMs.delete(action.symbol);
        return;
      }
      case 'place_leg': {
        // A missing leg joins the existing OCA group; its ref takes the next sequence so it stays unique.
        const sequence = this.nextSequence(action.positionId);
        const common = { symbol: action.symbol, conId: this.conIdFor(action.symbol, row), side: action.side, quantity: action.quantity, tif: 'GTC' as const, ocaGroup: action.ocaGroup, ocaType: OCA_REDUCE_WITH_BLOCK };
        const request: OrderRequest = action.leg === 'SL'
          ? { ...common, orderRef: stopLossRef(action.positionId, sequence), type: 'STP', stopPrice: action.price }
          : { ...common, orderRef: takeProfitRef(action.positionId, sequence), type: 'LMT', limitPrice: action.price };
        await this.send(request, action.positionId, action.leg, sequence);
        this.d.log.warn('protection_leg_replaced', { symbol: action.symbol, positionId: action.positionId, leg: action.leg, ocaGroup: action.ocaGroup });
        return;
      }
      case 'reduce': {
        const order = action.order;
        if (this.modifyRefused.has(order.orderId)) {
          const group = this.cache.forSymbol(order.symbol).filter((o) => o.orderId > 0 && (o.orderId === order.orderId || (order.ocaGroup !== undefined && o.ocaGroup === order.ocaGroup)));
          const toCancel = group.filter((o) => !this.cancelRequested.has(o.orderId));
          if (toCancel.length === 0) return; // asked already: the pair follows the broker's confirmation
          for (const member of toCancel) {
            await this.d.broker.cancelOrder(member.orderId as OrderId);
            this.cancelRequested.add(member.orderId);
          }
          this.d.log.warn('protection_cancelled_to_shrink', { symbol: order.symbol, orderRef: order.orderRef, orders: group.map((o) => o.orderRef), reason: action.reason, what: 'the broker refused to shrink it: the group is cancelled and a pair of the right size follows its cancellation' });
          return;
        }
        // Only ever down: a smaller order can never sell more. Its new size shows when the broker reports it.
        this.cache.markModifying(order.orderId);
        await this.d.broker.modifyOrder(order.orderId as OrderId, this.requestFor(order, action.totalQuantity));
        this.d.log.info('protection_reduced', { symbol: order.symbol, orderRef: order.orderRef, totalQuantity: action.totalQuantity, reason: action.reason });
        return;
      }
      case 'cancel': {
        await this.d.broker.cancelOrder(action.order.orderId as OrderId);
        this.d.log.info('protection_cancelled', { symbol: action.order.symbol, orderRef: action.order.orderRef, reason: action.reason });
        return;
      }
      case 'exit_now': {
        this.d.log.warn('stop_through_market', { symbol: action.symbol, positionId: action.positionId, stopPrice: action.stopPrice, marketPrice: action.marketPrice, what: 'a stop there would fill as it arrives: closing at market instead of placing a pair' });
        await this.placeExit(action.symbol, action.reason, action.positionId);
        return;
      }
      case 'mark_protected': {
        const current = this.d.repos.positions.getById(action.positionId);
        if (!current) return;
        this.d.repos.positions.updateActivePosition(action.positionId, {
          status: current.status === 'CLOSING' ? 'CLOSING' : 'PROTECTED', stopOrderId: action.stopOrderId, targetOrderId: action.targetOrderId,
          ocaGroup: action.ocaGroup, protectedQuantity: action.quantity, stopLossPrice: action.stopPrice, profitTargetPrice: action.targetPrice,
        });
        this.failures.delete(action.positionId);
        this.rowChangedAtMs.delete(current.symbol);
        this.reportGaveUp();
        this.d.log.info('position_protected', { symbol: current.symbol, positionId: action.positionId, quantity: action.quantity, stopLossPrice: action.stopPrice, profitTargetPrice: action.targetPrice });
        return;
      }
    }
  }

  /**
   * Closes a position at market. Each closing order joins one of the position's OCA groups and is sized to
   * that group, so its fill reduces that group's legs at the broker (no double sell); shares no group
   * covers get their own order. Latency matters (a trailing stop fires on a tick): the orders leave first,
   * the DB rows follow.
   */
  async placeExit(symbol: string, reason: string, positionId?: string): Promise<void> {
    if (this.isHalted()) return;
    const row = positionId ? this.d.repos.positions.getById(positionId) : this.d.repos.positions.getActivePosition(symbol);
    if (!row) return;
    const { held, own } = this.counts(row);
    if (held === 0) return;
    const orders = this.cache.forSymbol(symbol);
    if (orders.some((o) => o.leg === 'EXIT')) return;
    const target = coverTarget(held, this.brokerCapFor(symbol, own, this.isSettled(symbol)));
    if (target === 0) return;
    const side: 'BUY' | 'SELL' = held > 0 ? 'SELL' : 'BUY';
    const groups = new Map<string, number>();
    for (const order of orders.filter((o) => o.positionId === row.id && o.ocaGroup && o.side === side)) groups.set(order.ocaGroup!, Math.max(groups.get(order.ocaGroup!) ?? 0, order.quantity - order.filled));
    const slices: Array<{ quantity: number; ocaGroup?: string }> = [];
    let left = target;
    for (const [ocaGroup, size] of groups) {
      const quantity = Math.min(size, left);
      if (quantity > 0) slices.push({ quantity, ocaGroup });
      left -= quantity;
    }
    if (left > 0) slices.push({ quantity: left });
    for (const slice of slices) {
      const sequence = this.nextSequence(row.id); // a read: WAL readers never wait for writers
      await this.send({
        orderRef: exitRef(row.id, reason, sequence), symbol, conId: this.conIdFor(symbol, row), side, quantity: slice.quantity, type: 'MKT', tif: 'DAY',
        ocaGroup: slice.ocaGroup, ocaType: slice.ocaGroup ? OCA_REDUCE_WITH_BLOCK : undefined,
      }, row.id, 'EXIT', sequence);
    }
    this.d.repos.positions.updateActivePosition(row.id, { status: 'CLOSING', exitReason: reason });
    this.d.log.info('exit_order_placed', { symbol, positionId: row.id, reason, quantity: target, held, orders: slices.length });
  }

  /**
   * Sends one of our orders, after THE guard: it must not let our working orders trade more than we hold
   * (a long past flat is a short). The order leaves FIRST and the audit row follows: a crash between the
   * two loses nothing because the ref names the position and purpose.
   */
  private async send(request: OrderRequest, positionId: string, leg: OwnOrder['leg'], sequence: number): Promise<void> {
    const row = this.d.repos.positions.getById(positionId);
    const held = row ? this.heldFor(row) : 0;
    const problem = pastFlatProblem(this.cache.forSymbol(request.symbol), { side: request.side, quantity: request.quantity, filled: 0, ocaGroup: request.ocaGroup }, held);
    if (problem) {
      this.d.repos.events.record(this.d.app, 'order_refused_past_flat', { orderRef: request.orderRef, problem, held }, request.symbol, 'error');
      throw new PastFlatRefused(`refused ${request.orderRef}: ${problem}`);
    }
    // In the cache before it leaves: it counts as protection at once, and its first events (which can come
    // before placeOrder returns) find it by ref.
    this.cache.addSending({
      orderRef: request.orderRef, positionId, leg, symbol: request.symbol, side: request.side, quantity: request.quantity, filled: 0,
      ocaGroup: request.ocaGroup, stopPrice: request.stopPrice, limitPrice: request.limitPrice, sequence, pending: true,
    });
    let orderId: OrderId;
    try {
      orderId = await this.d.broker.placeOrder(request);
    } catch (error) {
      this.cache.unsent(request.orderRef);
      throw error;
    }
    this.cache.placed(request.orderRef, orderId);
    this.sentSinceSnapshot.add(orderId);
    this.touch(request.symbol);
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
    const failed: Array<() => void> = [];
    for (const write of pending) {
      try {
        write();
      } catch (error) {
        failed.push(write);
        this.d.log.warn('order_audit_write_failed', { error: errorMessage(error), what: 'the order is at the broker; its row is written again shortly' });
      }
    }
    // The rows also keep order refs unique across restarts (nextSequence reads them): never dropped, retried.
    if (failed.length > 0) {
      this.afterSend.unshift(...failed);
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        if (!this.stopped) this.flushAfterSend();
      }, 500);
      this.retryTimers.add(timer);
    }
  }

  private requestFor(order: OwnOrder, totalQuantity: number): OrderRequest {
    return {
      orderRef: order.orderRef, symbol: order.symbol, conId: this.conIdFor(order.symbol, this.d.repos.positions.getById(order.positionId)), side: order.side, quantity: totalQuantity, type: order.leg === 'SL' ? 'STP' : order.leg === 'TP' ? 'LMT' : 'MKT',
      stopPrice: order.stopPrice, limitPrice: order.limitPrice, tif: order.leg === 'EXIT' ? 'DAY' : 'GTC', ocaGroup: order.ocaGroup, ocaType: order.ocaGroup ? OCA_REDUCE_WITH_BLOCK : undefined,
    };
  }

  /** A ref sequence never used for this position: by the DB's order rows, the cache, and this process's own sends. */
  private nextSequence(positionId: string): number {
    const used = this.d.repos.orders.getByPosition(positionId).map((o) => parseExitRef(o.orderRef)?.sequence ?? 0);
    const next = Math.max(0, this.sequencesUsed.get(positionId) ?? 0, ...used, ...this.cache.all().filter((o) => o.positionId === positionId).map((o) => o.sequence)) + 1;
    this.sequencesUsed.set(positionId, next);
    return next;
  }

  /**
   * Where the market is, as far as we know in real time: a live quote, else our own latest execution of the
   * position within the last market minute (a fill is a real-time trade price; delayed quotes never count).
   */
  private marketPrice(symbol: string, row: ActivePosition): number | undefined {
    const quote = this.liveQuotes.get(symbol);
    if (quote && this.now() - quote.receivedAtMs <= LIVE_QUOTE_MAX_AGE_MS) return quote.price;
    const latest = this.d.repos.trades.getByPosition(row.id).at(-1);
    if (!latest || !(latest.price > 0) || this.d.clock.now() - Date.parse(latest.executed_at) > OWN_EXECUTION_MAX_AGE_MS) return undefined;
    return latest.price;
  }

  /**
   * The contract our orders name: the claim's conId (the day-trader resolved it, or took it from its fill),
   * else the broker's report of the position. SMART without it is ambiguous (200) for some symbols, and the
   * position stream lags the fill: protection must never wait for it.
   */
  private conIdFor(symbol: string, row: ActivePosition | undefined): number | undefined {
    return row?.conId ?? (this.brokerPositions.get(symbol)?.conId || undefined);
  }

  private isHalted(): boolean {
    const halt = this.d.repos.halts.active();
    if (halt && this.haltNoticed !== halt.id) {
      this.haltNoticed = halt.id;
      this.d.log.warn('trading_halted', { reason: halt.reason, setBy: halt.setBy, setAt: halt.setAt, what: 'no protection changes and no exits until the halt is lifted (npm run liquidate -- --resume); fills are still booked' });
    }
    if (!halt && this.haltNoticed !== undefined) {
      this.haltNoticed = undefined;
      this.d.log.info('trading_resumed', {});
    }
    return halt !== undefined;
  }

  /**
   * The most the broker can hold now, by its last report that is provably newer than our own fills, moved
   * by our own ORDERS' fills since. Trades done by hand are left out of that count: the report already shows
   * them, and the reconciler's booking of one (seconds later) must not move the cap a second time (it did:
   * 103 shares sold by hand, booked after the report showed them, shrank a 310-share pair to 104, not 207).
   */
  private brokerCapFor(symbol: string, ownHeld: number, settled: boolean): number | undefined {
    return this.evidence.cap(symbol, ownHeld, this.brokerPositions.get(symbol)?.quantity ?? 0, settled);
  }

  /**
   * Real time of our last fill in a row's position: its last booked execution (market time, brought to real
   * time by the clock's speed), or now when a fill is reported but not booked yet (its time is unknown).
   */
  private lastOwnFillRealMs(row: ActivePosition): number {
    const now = this.now();
    if (row.entryReported > row.entryBooked || row.entryWorking) return now;
    const last = this.d.repos.trades.lastExecutedFor(row.id);
    const lastMs = last === undefined ? Number.NaN : Date.parse(last);
    if (!Number.isFinite(lastMs)) return now;
    return now - Math.max(0, this.d.clock.now() - lastMs) / this.d.clock.speed;
  }

  /** No position report for the symbol for longer than they lag: a holding bought by hand has stopped moving. */
  private reportsSettled(symbol: string): boolean {
    return this.now() - (this.lastReportMs.get(symbol) ?? Number.NEGATIVE_INFINITY) >= this.d.config.exits.brokerSettleMs;
  }

  /** Settled: nothing of ours touched the symbol for longer than the broker's reports lag. */
  private isSettled(symbol: string): boolean {
    if (this.cache.forSymbol(symbol).some((o) => o.pending || o.modifying)) return false;
    return this.now() - (this.lastActivityMs.get(symbol) ?? 0) >= this.d.config.exits.brokerSettleMs;
  }

  private touch(symbol: string): void {
    this.lastActivityMs.set(symbol, this.now());
  }

  private fingerprintChanged(row: ActivePosition): boolean {
    const fingerprint = `${row.id}|${row.quantity}|${row.entryBooked}|${row.entryReported}|${row.entryWorking}|${row.status}`;
    const known = this.rowFingerprints.get(row.symbol);
    if (known === fingerprint) return false;
    this.rowFingerprints.set(row.symbol, fingerprint);
    // Stage timing: the first sight of shares the row's protection does not cover yet (a reported or booked
    // fill), not the claim before it nor a change of a row already protected.
    const unprotectedShares = Math.max(row.entryReported, row.entryBooked, Math.abs(row.quantity)) > row.protectedQuantity;
    if (unprotectedShares && !this.rowChangedAtMs.has(row.symbol)) this.rowChangedAtMs.set(row.symbol, Date.now());
    // A row that changed, or appeared while we watch, is activity; rows a fresh process finds at its first
    // look are not (their fills are judged by their own times: BrokerReportEvidence.noteHeld).
    if (known !== undefined || this.firstLookDone) this.touch(row.symbol);
    return true;
  }

  /**
   * Shares held without a working stop: said loudly after `unprotectedAlertSeconds` (real time), once per
   * episode, in the same transaction as its audit event. A halt's deliberate state counts too: the
   * liquidation owns the account then, but a person must know the shares are bare.
   */
  private watchStopCoverage(row: ActivePosition, held: number, brokerCap: number | undefined): void {
    const stops = this.cache.forSymbol(row.symbol).filter((o) => o.positionId === row.id && (o.leg === 'SL' || o.leg === 'EXIT'));
    // What must be under a stop: our shares, but no more than the broker can hold (shares sold by hand, not yet
    // booked by the reconciler, need no stop: counting them raised a false "shares without a working stop").
    const mustCover = coverTarget(held, brokerCap);
    const covered = Math.min(mustCover, maxTradable(stops, held > 0 ? 'SELL' : 'BUY'));
    const missing = held !== 0 && covered < mustCover;
    const episode = this.bareSince.get(row.id);
    if (!missing) {
      this.bareSince.delete(row.id);
      return;
    }
    if (!episode) {
      this.bareSince.set(row.id, { sinceMs: Date.now(), alerted: false });
      return;
    }
    const seconds = Math.round((Date.now() - episode.sinceMs) / 1000);
    if (episode.alerted || seconds < this.d.config.exits.unprotectedAlertSeconds) return;
    const why = !this.d.broker.isConnected() ? 'broker link down' : this.isHalted() ? 'trading halted' : needsMarketLevels(row) && row.stopLossPrice === null ? 'no price for its stop yet' : (this.failures.get(row.id)?.count ?? 0) > 0 ? 'protective orders refused' : 'stop not in place';
    const facts = { positionId: row.id, symbol: row.symbol, held: mustCover, covered, sinceMs: episode.sinceMs, seconds, why, tradingDay: tradingDayOf(this.d.clock.now()) };
    this.d.log.error('protection_missing', { ...facts, what: 'shares without a working stop' });
    try {
      this.d.repos.alerts.recordEventWithAlert({ event: 'protection_missing', data: facts, symbol: row.symbol, level: 'error' }, protectionMissingAlert(facts));
      episode.alerted = true;
    } catch (error) {
      this.d.log.warn('event_write_failed', { event: 'protection_missing', error: errorMessage(error) });
    }
  }

  /** A transient failure (DB lock, link down): try the symbol again shortly, without counting it as a refusal. */
  private retrySoon(symbol: string): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      void this.schedule(symbol);
    }, 250);
    timer.unref();
    this.retryTimers.add(timer);
  }

  /** Back-off for a position whose orders the broker refuses; after maxRejections, stop and alert. */
  private noteFailure(key: string, symbol: string, what: string): void {
    const failure = this.failures.get(key) ?? { count: 0, retryAtMs: 0, gaveUp: false };
    failure.count += 1;
    const limit = this.d.config.exits.maxRejections;
    if (failure.count >= limit) {
      failure.retryAtMs = Date.now() + GIVE_UP_RETRY_MS;
      if (!failure.gaveUp || failure.count % limit === 0) {
        this.d.log.error('protection_gave_up', { symbol, positionId: key, refusals: failure.count, last: what, what: `the broker refused ${failure.count} times: retrying every ${GIVE_UP_RETRY_MS / 60_000} minutes; check the orders in TWS, or flatten with npm run liquidate` });
        try {
          // The event row and its alert in one transaction (the alerts outbox).
          this.d.repos.alerts.recordEventWithAlert({ event: 'protection_gave_up', data: { positionId: key, refusals: failure.count, last: what }, symbol, level: 'error' },
            protectionGaveUpAlert({ positionId: key, symbol, refusals: failure.count, last: what, tradingDay: tradingDayOf(this.d.clock.now()) }));
        } catch (error) {
          this.d.log.warn('event_write_failed', { event: 'protection_gave_up', error: errorMessage(error) });
        }
      }
      failure.gaveUp = true;
    } else {
      failure.retryAtMs = Date.now() + Math.min(30_000, 250 * 2 ** (failure.count - 1));
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        void this.schedule(symbol);
      }, failure.retryAtMs - Date.now() + 10);
      timer.unref();
      this.retryTimers.add(timer);
    }
    this.failures.set(key, failure);
    this.reportGaveUp();
  }

  private reportGaveUp(): void {
    const symbols = [...this.failures.entries()].filter(([, f]) => f.gaveUp).map(([key]) => this.d.repos.positions.getById(key)?.symbol ?? key);
    this.d.onGaveUpChanged?.(symbols);
  }

  /**
   * Applies one order event; true when it committed a DB write. Only a write proves a lock gone: events that
   * only read (open orders, a status without a fill) go through during another process's lock too.
   */
  private onOrderEvent(event: OrderEvent): boolean {
    if (event.kind === 'commission') {
      this.d.repos.ledger.recordCommission(event.execId, event.commission);
      return true;
    }
    const parsed = parseExitRef(event.ref);
    if (!parsed) return false;
    const cached = this.cache.apply(event);
    if (cached) this.touch(cached.symbol);
    this.stopAcks.onEvent(event);
    const symbol = cached?.symbol ?? this.d.repos.positions.getById(parsed.positionId)?.symbol;
    switch (event.kind) {
      case 'accepted':
        this.d.repos.orders.markSubmitted(event.ref, event.orderId, event.permId);
        return true;
      case 'status':
        if (event.status === 'Filled') {
          this.forgetEnded(event.orderId);
          this.d.repos.orders.updateStatus(event.ref, { status: 'FILLED', filledQuantity: event.filled, avgFillPrice: event.avgFillPrice, permId: event.permId });
        } else if (event.filled > 0) this.d.repos.orders.updateStatus(event.ref, { status: 'PARTIALLY_FILLED', filledQuantity: event.filled, avgFillPrice: event.avgFillPrice, permId: event.permId });
        if (symbol && event.filled > 0) this.scheduleAfterBurst(symbol);
        return event.status === 'Filled' || event.filled > 0;
      case 'filled':
        this.bookExit(event.execution);
        if (symbol) this.scheduleAfterBurst(symbol);
        return true;
      case 'cancelled':
        this.forgetEnded(event.orderId);
        this.d.repos.orders.updateStatus(event.ref, { status: 'CANCELLED', lastError: event.reason });
        if (symbol) this.scheduleAfterBurst(symbol);
        return true;
      case 'order_error':
        this.d.log.warn('protection_order_error', { orderRef: event.ref, code: event.code, reason: event.reason, refused: event.refused, what: 'the order keeps working as it was; only a status ends it' });
        if (event.refused === 'modify' && symbol) {
          // A refused reduction leaves the order at its old size, over shares that may be gone (sold by hand):
          // a stop there can sell past flat. No second try of the same modify: the group is cancelled at the
          // next look (now) and the plan covers what is held with a new pair once the broker confirms it.
          this.modifyRefused.add(event.orderId);
          this.d.repos.events.record(this.d.app, 'protection_modify_refused', { orderRef: event.ref, code: event.code, reason: event.reason }, symbol, 'warn');
          this.scheduleAfterBurst(symbol);
          return true;
        }
        return false;
      case 'rejected':
        this.d.repos.orders.updateStatus(event.ref, { status: 'REJECTED', lastError: `${event.code}: ${event.reason}` });
        this.d.log.error('protection_rejected', { orderRef: event.ref, code: event.code, reason: event.reason, what: 'the broker refused a protective or closing order; retrying with back-off' });
        if (symbol) this.noteFailure(parsed.positionId, symbol, `${event.code}: ${event.reason}`);
        return true;
      default:
        return false;
    }
  }

  /**
   * An ended order leaves the per-order memories: they would grow all day, and an id the broker hands out
   * again (a gateway whose ids went backwards) must not inherit an old order's refused modification.
   */
  private forgetEnded(orderId: number): void {
    this.modifyRefused.delete(orderId);
    this.cancelRequested.delete(orderId);
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
    } else if (result.status === 'corrected') {
      this.d.log.warn('execution_corrected', { symbol: execution.symbol, positionId: parsed.positionId, execId: result.execId, previousExecId: result.previousExecId, price: execution.price });
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
  private updateTrail(symbol: string, row: ActivePosition, held: number): void {
    if (!(this.d.config.exits.trailingStopPct > 0)) return;
    if (held === 0 || row.status === 'CLOSING' || row.metadata.protectOnly === true) {
      this.trails.delete(symbol);
      return;
    }
    const existing = this.trails.get(symbol);
    if (existing?.positionId === row.id) return;
    this.trails.set(symbol, { positionId: row.id, entryPrice: row.entryPrice ?? this.brokerPositions.get(symbol)?.averageCost ?? 0, long: held > 0, best: undefined, exiting: false });
  }

  /** Trailing stop: quotes of held symbols while a trail is configured. */
  private updateQuoteSubscriptions(): void {
    if (!(this.d.config.exits.trailingStopPct > 0)) return;
    const held = new Set(this.trails.keys());
    for (const symbol of held) {
      if (this.quoteSubscriptions.has(symbol)) continue;
      this.quoteSubscriptions.set(symbol, this.d.broker.subscribeQuotes(symbol, (quote) => {
        if (!quote.delayed && quote.last) this.liveQuotes.set(symbol, { price: quote.last, receivedAtMs: quote.receivedAtMs });
        this.onQuote(symbol, quote.last);
      }));
    }
    for (const [symbol, unsubscribe] of this.quoteSubscriptions) {
      if (held.has(symbol)) continue;
      unsubscribe();
      this.quoteSubscriptions.delete(symbol);
      this.liveQuotes.delete(symbol);
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

/** A trade booked against a position by one of our own closing orders (not a trade by hand the reconciler booked). */
function isOwnExit(orderRef: string | null): boolean {
  return parseExitRef(orderRef ?? '') !== undefined;
}

function cents(price: number): number {
  return Math.round(price * 100) / 100;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
