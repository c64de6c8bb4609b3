import type { BrokerOrder, BrokerPort, BrokerPosition, Execution } from '../../shared/broker/types';
import type { ActivePosition } from '../../shared/db';
import { AppError, errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../../shared/time/clock';
import { marketPhase, type MarketPhase } from '../../shared/time/trading-calendar';
import { cancelEverythingAndWait, completePositions, describeOrder, positionsAfterFills, waitForOrdersDone, workingOrders, type CancelWaitResult } from './broker-waits';
import type { BookingSummary, LiquidationJournal, OrderOutcome } from './liquidation-journal';
import { LiquidationOrderBook, type LiquidationOrder } from './liquidation-orders';
import { closingOrdersFor, liquidationOrderRef, type ClosingOrder } from './liquidation-plan';

/** How long a position may lag behind our fill before we believe it (see positionsAfterFills). */
const POSITIONS_SETTLE_MS = 3_000;

export interface LiquidationOptions {
  execute: boolean;
  fillTimeoutMs: number;
  cancelTimeoutMs: number;
}

export interface LiquidationDeps {
  broker: BrokerPort;
  journal: LiquidationJournal;
  clock: Clock;
  log: Logger;
  /** Real time between a bot's heartbeats beyond which it counts as not running. */
  heartbeatStaleMs: number;
}

/** What happened, for the printout, the log and the `emergency_liquidation` event. */
export interface LiquidationOutcome {
  execute: boolean;
  marketPhase: MarketPhase;
  initialPositions: BrokerPosition[];
  initialOrders: BrokerOrder[];
  plan: ClosingOrder[];
  dbRows: ActivePosition[];
  cancel: CancelWaitResult | undefined;
  orders: LiquidationOrder[];
  retried: boolean;
  /** undefined when the broker could not tell at the end (connection lost). */
  finalPositions: BrokerPosition[] | undefined;
  finalOrders: BrokerOrder[] | undefined;
  /** Working orders found after the account was flat and cancelled by a last global cancel. */
  sweptOrders: BrokerOrder[];
  booking: BookingSummary | undefined;
  /** The broker connection failed mid-run (the account state is then unknown). */
  brokerLost: string | undefined;
  warnings: string[];
}

/**
 * The emergency button. Dry run: read positions and working orders, say what would happen. Execute:
 * global cancel (every client, the exit manager's protection included) and wait for no working orders;
 * a market order per position (opposite side, full size); wait for fills; one retry for what is left;
 * book the executions in the DB when it can be written. The broker is the only thing it needs.
 */
export async function runLiquidation(deps: LiquidationDeps, options: LiquidationOptions): Promise<LiquidationOutcome> {
  const { broker, journal, log, clock } = deps;
  const [initialPositions, initialOrders] = await Promise.all([completePositions(broker), workingOrders(broker)]);
  const dbRows = journal.activePositions();
  const phase = marketPhase(clock.now());
  const outcome: LiquidationOutcome = {
    execute: options.execute, marketPhase: phase, initialPositions, initialOrders, plan: closingOrdersFor(initialPositions), dbRows,
    cancel: undefined, orders: [], retried: false, finalPositions: undefined, finalOrders: undefined, sweptOrders: [], booking: undefined,
    brokerLost: undefined, warnings: warningsBefore(deps, phase),
  };
  log.info('liquidation_started', {
    dryRun: !options.execute, marketPhase: phase, positions: initialPositions.map((p) => `${p.symbol} ${p.quantity}`), workingOrders: initialOrders.map(describeOrder),
    dbUsable: journal.usable, dbProblem: journal.problem?.message,
  });
  if (!options.execute) return outcome;

  const book = new LiquidationOrderBook(broker, log);
  try {
    await execute(deps, options, outcome, book);
  } catch (error) {
    // Anything the broker could not do (connection lost, snapshot timed out three times): report what was
    // done, book what was seen, and let the exit code say the state is unknown.
    if (!(error instanceof AppError && error.kind === 'transient')) throw error;
    outcome.brokerLost = errorMessage(error);
    log.error('liquidation_broker_lost', { error: outcome.brokerLost });
  } finally {
    book.close();
  }
  outcome.orders = book.orders;
  outcome.booking = bookInDatabase(deps, outcome, await allExecutions(broker, book, log), book.commissions);
  const flat = outcome.finalPositions !== undefined && outcome.finalPositions.length === 0;
  journal.recordSummary(eventSummary(outcome), flat);
  log.info('liquidation_completed', {
    flat, remaining: outcome.finalPositions?.map((p) => `${p.symbol} ${p.quantity}`), workingOrders: outcome.finalOrders?.map(describeOrder),
    ordersPlaced: outcome.orders.length, retried: outcome.retried, dbUpdated: journal.usable, dbProblem: journal.problem?.message, brokerLost: outcome.brokerLost,
  });
  return outcome;
}

async function execute(deps: LiquidationDeps, options: LiquidationOptions, outcome: LiquidationOutcome, book: LiquidationOrderBook): Promise<void> {
  const { broker, log } = deps;
  const cancelStarted = Date.now();
  outcome.cancel = await cancelEverythingAndWait(broker, options.cancelTimeoutMs, log);
  log.info('orders_cancelled', {
    workingBefore: outcome.initialOrders.length, remaining: outcome.cancel.remaining.map(describeOrder), timedOut: outcome.cancel.timedOut,
    globalCancels: outcome.cancel.globalCancels, ms: Date.now() - cancelStarted,
  });
  if (outcome.cancel.timedOut) {
    // Flattening matters more than a clean order book: go on, the final sweep cancels what is left once flat.
    outcome.warnings.push(`orders still working ${options.cancelTimeoutMs / 1000} s after the global cancel: ${outcome.cancel.remaining.map(describeOrder).join('; ')}`);
  }

  // Fresh positions: a protective order may have filled while we cancelled.
  const rowsBySymbol = new Map(outcome.dbRows.map((row) => [row.symbol, row]));
  await placeAll(deps, book, closingOrdersFor(await completePositions(broker)), rowsBySymbol, 1);
  if (!(await waitForOrdersDone(book, broker, 1, options.fillTimeoutMs, log))) log.warn('liquidation_fill_timeout', { attempt: 1, working: book.working(1).map((o) => o.orderRef) });

  let remaining = await positionsAfterFills(broker, book, POSITIONS_SETTLE_MS);
  if (remaining.length > 0) {
    outcome.retried = true;
    log.warn('liquidation_retry', { remaining: remaining.map((p) => `${p.symbol} ${p.quantity}`), working: book.working().map((o) => o.orderRef) });
    await cancelOwnWorking(deps, book, options.cancelTimeoutMs);
    remaining = await positionsAfterFills(broker, book, POSITIONS_SETTLE_MS);
    await placeAll(deps, book, closingOrdersFor(remaining), rowsBySymbol, 2);
    if (!(await waitForOrdersDone(book, broker, 2, options.fillTimeoutMs, log))) log.warn('liquidation_fill_timeout', { attempt: 2, working: book.working(2).map((o) => o.orderRef) });
  }

  outcome.finalPositions = await positionsAfterFills(broker, book, POSITIONS_SETTLE_MS);
  outcome.finalOrders = await workingOrders(broker);
  if (outcome.finalPositions.length === 0 && outcome.finalOrders.length > 0) {
    // Flat, yet orders work (a bot re-placed protection or an entry meanwhile): on a flat account any of them
    // would open a new position.
    outcome.sweptOrders = outcome.finalOrders;
    log.warn('liquidation_sweep', { orders: outcome.finalOrders.map(describeOrder) });
    outcome.finalOrders = (await cancelEverythingAndWait(broker, options.cancelTimeoutMs, log)).remaining;
    outcome.finalPositions = await completePositions(broker);
  }
}

async function placeAll(deps: LiquidationDeps, book: LiquidationOrderBook, plan: ClosingOrder[], rowsBySymbol: Map<string, ActivePosition>, attempt: number): Promise<void> {
  const { broker, journal, log } = deps;
  for (const order of plan) {
    const orderRef = liquidationOrderRef(order.symbol, Date.now());
    journal.orderIntent({ orderRef, positionId: rowsBySymbol.get(order.symbol)?.id ?? null, symbol: order.symbol, side: order.side, quantity: order.quantity, clientId: broker.clientId });
    try {
      const orderId = await broker.placeOrder({ orderRef, symbol: order.symbol, side: order.side, quantity: order.quantity, type: 'MKT', tif: 'DAY' });
      book.add({ orderId, orderRef, symbol: order.symbol, side: order.side, quantity: order.quantity, attempt });
      journal.orderSubmitted(orderRef, orderId);
      log.info('liquidation_order_placed', { symbol: order.symbol, side: order.side, quantity: order.quantity, orderId, orderRef, attempt, positionQuantity: order.brokerQuantity });
    } catch (error) {
      // One symbol's failure must not stop the others; BrokerUnavailable (connection gone) stops everything.
      if (error instanceof AppError && error.kind === 'transient') throw error;
      log.error('liquidation_order_failed', { symbol: order.symbol, orderRef, attempt, error: errorMessage(error) });
    }
  }
}

/** Before the retry: our first-pass orders that still work are cancelled, so the retry can never double a sale. */
async function cancelOwnWorking(deps: LiquidationDeps, book: LiquidationOrderBook, timeoutMs: number): Promise<void> {
  const working = book.working();
  for (const order of working) {
    await deps.broker.cancelOrder(order.orderId).catch((error: unknown) => deps.log.warn('liquidation_cancel_failed', { orderRef: order.orderRef, error: errorMessage(error) }));
  }
  const deadline = Date.now() + timeoutMs;
  while (book.working().length > 0 && Date.now() < deadline) await book.nextEvent(deadline - Date.now());
  if (book.working().length > 0) {
    // A cancel the broker never confirmed: the refreshed positions (which we act on) already reflect any fill.
    deps.log.warn('liquidation_cancel_unconfirmed', { orders: book.working().map((o) => o.orderRef) });
  }
}

/** The broker's execution report for our refs (with commissions), merged with the fills the events showed. */
async function allExecutions(broker: BrokerPort, book: LiquidationOrderBook, log: Logger): Promise<Execution[]> {
  const refs = new Set(book.orders.map((o) => o.orderRef));
  const byExecId = new Map(book.executions().map((e) => [e.execId, e]));
  if (refs.size === 0) return [];
  if (broker.isConnected()) {
    try {
      for (const execution of await broker.executions({ clientId: broker.clientId })) {
        if (refs.has(execution.orderRef)) byExecId.set(execution.execId, { ...byExecId.get(execution.execId), ...execution });
      }
    } catch (error) {
      log.warn('liquidation_executions_query_failed', { error: errorMessage(error), using: 'the fills seen as events' });
    }
  }
  return [...byExecId.values()];
}

function bookInDatabase(deps: LiquidationDeps, outcome: LiquidationOutcome, executions: Execution[], commissions: Map<string, number>): BookingSummary | undefined {
  const { journal } = deps;
  const outcomes: OrderOutcome[] = outcome.orders.map((o) => ({
    orderRef: o.orderRef,
    status: o.state === 'filled' ? 'FILLED' : o.state === 'cancelled' ? 'CANCELLED' : o.state === 'rejected' ? 'REJECTED' : o.filledQuantity > 0 ? 'PARTIALLY_FILLED' : 'SUBMITTED',
    filledQuantity: o.filledQuantity, avgFillPrice: o.avgFillPrice, lastError: o.reason,
  }));
  journal.orderOutcomes(outcomes);
  // Only rows whose symbol we actually traded are booked; a row with nothing at the broker is the reconciler's.
  const rowsBySymbol = new Map(outcome.dbRows.filter((row) => executions.some((e) => e.symbol === row.symbol)).map((row) => [row.symbol, row]));
  return journal.bookExecutions(executions, rowsBySymbol, commissions);
}

function warningsBefore(deps: LiquidationDeps, phase: MarketPhase): string[] {
  const warnings: string[] = [];
  if (phase !== 'REGULAR') {
    warnings.push(`the market is ${phase.replace('_', ' ').toLowerCase()}: market orders fill only in regular hours (09:30-16:00 ET) and wait at the broker until then`);
  }
  const nowMs = Date.now();
  for (const beat of deps.journal.heartbeats()) {
    const alive = nowMs - beat.beatAtMs <= deps.heartbeatStaleMs && beat.state !== 'stopped' && beat.state !== 'stopping';
    if (alive && beat.app === 'day-trader') warnings.push('the day-trader is running and may open new positions afterwards: stop it (pm2 stop day-trader, or npm stop)');
    if (alive && beat.app === 'exit-manager') warnings.push('the exit manager is running: it may re-place protection after the global cancel; the liquidation cancels again until the account is flat');
  }
  return warnings;
}

function eventSummary(outcome: LiquidationOutcome): Record<string, unknown> {
  return {
    flat: outcome.finalPositions !== undefined && outcome.finalPositions.length === 0,
    positionsBefore: outcome.initialPositions.map((p) => ({ symbol: p.symbol, quantity: p.quantity })),
    ordersCancelled: outcome.initialOrders.map(describeOrder),
    orders: outcome.orders.map((o) => ({ orderRef: o.orderRef, orderId: o.orderId, symbol: o.symbol, side: o.side, quantity: o.quantity, filled: o.filledQuantity, state: o.state, attempt: o.attempt })),
    retried: outcome.retried,
    remaining: outcome.finalPositions?.map((p) => ({ symbol: p.symbol, quantity: p.quantity })) ?? 'unknown',
    closedPositionIds: outcome.booking?.closedPositionIds ?? [],
    partialPositionIds: outcome.booking?.partialPositionIds ?? [],
    untrackedSymbols: outcome.booking?.untrackedSymbols ?? [],
    sweptOrders: outcome.sweptOrders.map(describeOrder),
    brokerLost: outcome.brokerLost ?? null,
  };
}
