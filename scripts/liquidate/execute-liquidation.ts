import type { BrokerOrder, BrokerPosition } from '../../shared/broker/types';
import { AppError, errorMessage } from '../../shared/errors/errors';
import { cancelEverythingAndWait, completePositions, describeOrder, positionsAfterFills, waitForOrdersDone, workingOrders } from './broker-waits';
import type { LiquidationOrderBook } from './liquidation-orders';
import { HALT_REASON, liquidationOrderRef } from './liquidation-plan';
import { closingOrdersFor, scopePositions, type ScopedPosition } from './position-scope';
import type { HaltOutcome, LiquidationDeps, LiquidationOptions, LiquidationOutcome } from './liquidation-types';
import { describePlanned, orderRequestFor, planOrders, type PlannedOrder, type QuoteSource } from './session-path';

/** How long a position may lag behind our fill before we believe it (see positionsAfterFills). */
const POSITIONS_SETTLE_MS = 3_000;
/**
 * With the halt set no bot places anything, so the first global cancel is all it takes; the safety net allows
 * two more, for an order that re-appears anyway (a process that does not obey the halt), and reports it.
 */
const GLOBAL_CANCELS_WITH_HALT = 3;
const SWEEPS_WITH_HALT = 2;
const PATH_ORDERS = { 'market-now': 'MKT', 'extended-limit': 'LMT outsideRth (MKT at the open without a quote)', 'at-open': 'MKT at the open', 'refuse-closed': '' } as const;

export interface ExecuteDeps extends LiquidationDeps {
  quotes: QuoteSource;
}

/**
 * The real run, in this order: the halt (so no bot acts while we do), the global cancel confirmed by the
 * broker's statuses, the closing orders, one retry for what the first pass left, a last look for orders that
 * re-appeared. Throws the broker's transient errors (connection lost): the caller reports what was done.
 */
export async function executeLiquidation(deps: ExecuteDeps, options: LiquidationOptions, outcome: LiquidationOutcome, book: LiquidationOrderBook): Promise<void> {
  const { broker, log } = deps;
  outcome.halt = setHalt(deps, outcome);
  const haltHolds = outcome.halt.status !== 'failed';

  const cancelStarted = Date.now();
  log.info('global_cancel_started', { haltHolds, workingBefore: outcome.initialOrders.length });
  outcome.cancel = await cancelEverythingAndWait(broker, {
    timeoutMs: options.cancelTimeoutMs, maxGlobalCancels: haltHolds ? GLOBAL_CANCELS_WITH_HALT : Number.POSITIVE_INFINITY, log,
  });
  log.info('orders_cancelled', {
    workingBefore: outcome.initialOrders.length, remaining: outcome.cancel.remaining.map(describeOrder), timedOut: outcome.cancel.timedOut,
    globalCancels: outcome.cancel.globalCancels, reappeared: outcome.cancel.reappeared.map(describeOrder), ms: Date.now() - cancelStarted,
  });
  if (outcome.cancel.timedOut) {
    // Flattening matters more than a clean order book: go on; what is left is reported.
    outcome.warnings.push(`orders still working ${options.cancelTimeoutMs / 1000} s after the global cancel: ${outcome.cancel.remaining.map(describeOrder).join('; ')}`);
  }
  if (outcome.cancel.reappeared.length > 0) {
    outcome.warnings.push(`${outcome.cancel.reappeared.length} order(s) were placed after the global cancel${haltHolds ? ' although the trading halt was set: something that does not obey the halt is running' : ' (the halt could not be set)'}: ` +
      `${outcome.cancel.reappeared.map(describeOrder).join('; ')}. Stop the bots (npm stop) and whatever else trades this account.`);
  }

  // The rows as they are now (the DB may have failed meanwhile: then the judgement taken before stands).
  const rows = deps.journal.usable ? deps.journal.activePositions() : outcome.dbRows;
  const rescope = (positions: readonly BrokerPosition[]): ScopedPosition[] => scopePositions(positions, rows, outcome.scopeOptions, outcome.scope);
  const leftToClose = (position: BrokerPosition) => rescope([position]).some((s) => s.closeQuantity !== 0);

  // Fresh positions: a protective order may have filled while we cancelled.
  let scope = rescope(await completePositions(broker));
  outcome.plan = await planOrders(closingOrdersFor(scope), outcome.path, deps.quotes, options.quoteTimeoutMs);
  await placeAll(deps, book, outcome.plan, 1);
  if (!(await waitForOrdersDone(book, broker, 1, options.fillTimeoutMs, log))) log.warn('liquidation_fill_timeout', { attempt: 1, working: book.workingNow(1).map((o) => o.orderRef) });

  scope = rescope(await positionsAfterFills(broker, book, POSITIONS_SETTLE_MS, leftToClose));
  if (scope.some((s) => s.closeQuantity !== 0 && !queuedFor(book, s))) {
    outcome.retried = true;
    log.warn('liquidation_retry', { remaining: scope.filter((s) => s.closeQuantity !== 0).map((s) => `${s.symbol} ${s.closeQuantity}`), working: book.working().map((o) => o.orderRef) });
    await cancelOwnWorkingNow(deps, book, options.cancelTimeoutMs);
    // The broker's word, not our events: an order of ours it still shows working is never doubled by a retry.
    const stillWorking = await ownWorkingAtBroker(deps, book);
    for (const order of stillWorking) {
      outcome.warnings.push(`our order ${describeOrder(order)} was not confirmed cancelled: it is not sent again for ${order.symbol} (both could fill and sell twice)`);
    }
    scope = rescope(await positionsAfterFills(broker, book, POSITIONS_SETTLE_MS, leftToClose));
    const retry = closingOrdersFor(scope.filter((s) => !queuedFor(book, s) && !stillWorking.some((o) => o.symbol === s.symbol)));
    await placeAll(deps, book, await planOrders(retry, outcome.path, deps.quotes, options.quoteTimeoutMs), 2);
    if (!(await waitForOrdersDone(book, broker, 2, options.fillTimeoutMs, log))) log.warn('liquidation_fill_timeout', { attempt: 2, working: book.workingNow(2).map((o) => o.orderRef) });
  }

  outcome.finalPositions = await positionsAfterFills(broker, book, POSITIONS_SETTLE_MS, leftToClose);
  outcome.finalScope = rescope(outcome.finalPositions);
  outcome.finalOrders = await workingOrders(broker);
  await sweepReappeared(deps, options, outcome, book, haltHolds, rescope);
}

function setHalt(deps: ExecuteDeps, outcome: LiquidationOutcome): HaltOutcome {
  const { journal, log } = deps;
  const detail = {
    pid: process.pid,
    marketPhase: outcome.marketPhase,
    path: outcome.path,
    allStock: outcome.scopeOptions.allStock,
    atOpen: outcome.scopeOptions.atOpen,
    cancels: `every working order of every client (global cancel): ${outcome.initialOrders.length} working now`,
    closes: closingOrdersFor(outcome.scope).map((o) => `${o.symbol}: ${o.side} ${o.quantity} ${PATH_ORDERS[outcome.path]}`),
    notTouched: outcome.scope.filter((s) => s.keepQuantity !== 0).map((s) => `${s.instrument.description} ${s.keepQuantity}`),
  };
  const result = journal.usable ? journal.setHalt(HALT_REASON, detail) : undefined;
  if (!result) {
    const problem = journal.problem?.message ?? 'the DB could not be written';
    log.error('trading_halt_not_set', { problem, what: 'the bots keep acting: stop them (npm stop)' });
    return { status: 'failed', problem };
  }
  log.warn('trading_halt_set', { haltId: result.halt.id, setAt: result.halt.setAt, alreadyActive: result.alreadyActive, ...detail });
  return result.alreadyActive ? { status: 'already-active', halt: result.halt } : { status: 'set', halt: result.halt };
}

async function placeAll(deps: ExecuteDeps, book: LiquidationOrderBook, plan: readonly PlannedOrder[], attempt: number): Promise<void> {
  const { broker, journal, log } = deps;
  for (const order of plan) {
    const orderRef = liquidationOrderRef(order.symbol, Date.now());
    journal.orderIntent({
      orderRef, positionId: order.positionId, symbol: order.symbol, side: order.side, quantity: order.quantity, clientId: broker.clientId, orderType: order.type, limitPrice: order.limitPrice,
    });
    try {
      const orderId = await broker.placeOrder(orderRequestFor(order, orderRef));
      book.add({
        orderId, orderRef, symbol: order.symbol, side: order.side, quantity: order.quantity, attempt, type: order.type, limitPrice: order.limitPrice, fillsAt: order.fillsAt,
      });
      journal.orderSubmitted(orderRef, orderId);
      log.info('liquidation_order_placed', {
        symbol: order.symbol, order: describePlanned(order), orderId, orderRef, attempt, fillsAt: order.fillsAt, positionQuantity: order.brokerQuantity,
        quote: order.pricing ? { [order.pricing.basis]: order.pricing.quotePrice, delayed: order.pricing.delayed } : undefined, fallback: order.fallback,
      });
    } catch (error) {
      // One symbol's failure must not stop the others; BrokerUnavailable (connection gone) stops everything.
      if (error instanceof AppError && error.kind === 'transient') throw error;
      log.error('liquidation_order_failed', { symbol: order.symbol, orderRef, attempt, error: errorMessage(error) });
    }
  }
}

/** Everything left to close of this position is covered by our DAY orders waiting for the open. */
function queuedFor(book: LiquidationOrderBook, scoped: ScopedPosition): boolean {
  const queued = book.working().filter((o) => o.fillsAt === 'open' && o.symbol === scoped.symbol && (o.side === 'SELL') === scoped.closeQuantity > 0);
  return queued.length > 0 && queued.reduce((sum, o) => sum + o.quantity - o.filledQuantity, 0) >= Math.abs(scoped.closeQuantity);
}

/** Before the retry: our orders of this session that still work are cancelled (the ones queued for the open stay). */
async function cancelOwnWorkingNow(deps: ExecuteDeps, book: LiquidationOrderBook, timeoutMs: number): Promise<void> {
  for (const order of book.workingNow()) {
    await deps.broker.cancelOrder(order.orderId).catch((error: unknown) => deps.log.warn('liquidation_cancel_failed', { orderRef: order.orderRef, error: errorMessage(error) }));
  }
  const deadline = Date.now() + timeoutMs;
  while (book.workingNow().length > 0 && Date.now() < deadline) await book.nextEvent(deadline - Date.now());
}

/** Our orders (of this session, not those queued for the open) that the broker still shows working. */
async function ownWorkingAtBroker(deps: ExecuteDeps, book: LiquidationOrderBook): Promise<BrokerOrder[]> {
  const ours = new Set(book.orders.filter((o) => o.fillsAt === 'now').map((o) => o.orderId as number));
  const working = (await workingOrders(deps.broker)).filter((o) => o.clientId === deps.broker.clientId && ours.has(o.orderId));
  if (working.length > 0) deps.log.warn('liquidation_cancel_unconfirmed', { orders: working.map(describeOrder) });
  return working;
}

/**
 * Orders still working at the end that are not ours were placed after the global cancel (or survived it).
 * Once nothing in scope is left and none of our orders waits, a last global cancel removes them: on a flat
 * account any of them could open a new position. With our orders queued for the open a global cancel would
 * kill those too, so they are reported instead.
 */
async function sweepReappeared(
  deps: ExecuteDeps, options: LiquidationOptions, outcome: LiquidationOutcome, book: LiquidationOrderBook, haltHolds: boolean,
  rescope: (positions: readonly BrokerPosition[]) => ScopedPosition[],
): Promise<void> {
  const { broker, log } = deps;
  const own = (order: BrokerOrder) => order.clientId === broker.clientId && book.orders.some((o) => o.orderId === order.orderId);
  const others = (outcome.finalOrders ?? []).filter((o) => !own(o));
  if (others.length === 0) return;
  const scopeDone = (outcome.finalScope ?? []).every((s) => s.closeQuantity === 0);
  if (!scopeDone || book.working().length > 0) {
    outcome.leftWorking = others;
    log.warn('liquidation_orders_left_working', { orders: others.map(describeOrder) });
    outcome.warnings.push(`${others.length} order(s) not placed by this run are working at the end and were NOT cancelled (a global cancel would also cancel our orders waiting for the open): ` +
      `${others.map(describeOrder).join('; ')}. Cancel them in TWS and stop whatever placed them (npm stop for the bots).`);
    return;
  }
  outcome.sweptOrders = others;
  log.warn('liquidation_sweep', { orders: others.map(describeOrder) });
  const swept = await cancelEverythingAndWait(broker, { timeoutMs: options.cancelTimeoutMs, maxGlobalCancels: haltHolds ? SWEEPS_WITH_HALT : Number.POSITIVE_INFINITY, log });
  outcome.finalOrders = swept.remaining;
  outcome.finalPositions = await completePositions(broker);
  outcome.finalScope = rescope(outcome.finalPositions);
}
