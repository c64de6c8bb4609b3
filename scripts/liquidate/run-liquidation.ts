import { quoteSnapshot } from '../../shared/broker/quote-snapshot';
import type { BrokerPort, Execution } from '../../shared/broker/types';
import type { Logger } from '../../shared/log/logger';
import { AppError, errorMessage } from '../../shared/errors/errors';
import { marketPhase } from '../../shared/time/trading-calendar';
import { completePositions, describeOrder, workingOrders } from './broker-waits';
import { executeLiquidation } from './execute-liquidation';
import type { BookingSummary, OrderOutcome } from './liquidation-journal';
import { LiquidationOrderBook } from './liquidation-orders';
import { closingOrdersFor, scopePositions, type ScopedPosition } from './position-scope';
import { nextOpenMs, planOrders, sessionPath, type QuoteSource } from './session-path';
import type { LiquidationDeps, LiquidationOptions, LiquidationOutcome, LiquidationVerdict } from './liquidation-types';

export type { HaltOutcome, LiquidationDeps, LiquidationOptions, LiquidationOutcome, LiquidationVerdict } from './liquidation-types';

/**
 * The emergency button. Dry run: read positions and working orders, say what would happen. Execute: set the
 * trading halt (the bots stop entering, protecting and exiting), global cancel and wait until the broker
 * shows no working order, close what is in scope (the bots' positions; --all-stock: every USD stock) the way
 * the session allows, retry once, book the executions when the DB can be written. The halt stays on.
 */
export async function runLiquidation(deps: LiquidationDeps, options: LiquidationOptions): Promise<LiquidationOutcome> {
  const { broker, journal, log, clock } = deps;
  const [initialPositions, initialOrders] = await Promise.all([completePositions(broker), workingOrders(broker)]);
  const dbRows = journal.activePositions();
  const haltBefore = journal.activeHalt();
  const nowMs = clock.now();
  const phase = marketPhase(nowMs);
  const path = sessionPath(phase, options.atOpen);
  const scopeOptions = { allStock: options.allStock, dbUsable: journal.usable, atOpen: options.atOpen };
  const scope = scopePositions(initialPositions, dbRows, scopeOptions);
  const quotes = quoteSourceFor(broker, options.quoteTimeoutMs, log);
  const outcome: LiquidationOutcome = {
    execute: options.execute, scopeOptions, marketPhase: phase, path, nextOpenMs: nextOpenMs(nowMs), initialPositions, initialOrders, scope,
    // The dry run asks for quotes, so it shows the very limit prices (or the fallback) a real run would use now. A real
    // run plans after the cancel, with fresh quotes: nothing may delay the halt.
    plan: options.execute ? [] : await planOrders(closingOrdersFor(scope), path, quotes, options.quoteTimeoutMs),
    dbRows, haltBefore, halt: undefined, cancel: undefined, orders: [], retried: false, finalPositions: undefined, finalScope: undefined,
    finalOrders: undefined, sweptOrders: [], leftWorking: [], booking: undefined, brokerLost: undefined,
    verdict: !options.execute ? 'dry-run' : path === 'refuse-closed' ? 'refused' : 'unknown',
    warnings: warningsBefore(deps, scope),
  };
  log.info('liquidation_started', {
    dryRun: !options.execute, marketPhase: phase, path, allStock: options.allStock, atOpen: options.atOpen,
    positions: scope.map((s) => `${s.instrument.description} ${s.quantity} close ${s.closeQuantity}`), workingOrders: initialOrders.map(describeOrder),
    dbUsable: journal.usable, dbProblem: journal.problem?.message, haltBefore: haltBefore?.setAt,
  });
  if (!options.execute) return outcome;
  if (path === 'refuse-closed') {
    log.warn('liquidation_refused_market_closed', { marketPhase: phase, positionsInScope: closingOrdersFor(scope).length });
    return outcome;
  }

  const book = new LiquidationOrderBook(broker, log);
  try {
    await executeLiquidation({ ...deps, quotes }, options, outcome, book);
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
  outcome.verdict = verdictOf(outcome);
  outcome.booking = bookInDatabase(deps, outcome, await allExecutions(broker, book, log), book.commissions);
  journal.recordSummary(eventSummary(outcome), outcome.verdict === 'flat');
  log.info('liquidation_completed', {
    verdict: outcome.verdict, remaining: outcome.finalScope?.filter((s) => s.closeQuantity !== 0).map((s) => `${s.symbol} ${s.closeQuantity}`),
    workingOrders: outcome.finalOrders?.map(describeOrder), ordersPlaced: outcome.orders.length, retried: outcome.retried, halt: outcome.halt?.status,
    dbUpdated: journal.usable, dbProblem: journal.problem?.message, brokerLost: outcome.brokerLost,
  });
  return outcome;
}

/**
 * flat: nothing in scope is left; queued: everything in scope that is left has our DAY order working for the
 * open; remain: something in scope is left without an order that will close it.
 */
export function verdictOf(outcome: Pick<LiquidationOutcome, 'brokerLost' | 'finalScope' | 'orders'>): LiquidationVerdict {
  if (outcome.brokerLost || !outcome.finalScope) return 'unknown';
  const left = outcome.finalScope.filter((s) => s.closeQuantity !== 0);
  if (left.length === 0) return 'flat';
  const queued = (s: ScopedPosition) =>
    outcome.orders.filter((o) => o.state === 'working' && o.fillsAt === 'open' && o.symbol === s.symbol && (o.side === 'SELL') === s.closeQuantity > 0)
      .reduce((sum, o) => sum + o.quantity - o.filledQuantity, 0) >= Math.abs(s.closeQuantity);
  return left.every(queued) ? 'queued' : 'remain';
}

function quoteSourceFor(broker: BrokerPort, timeoutMs: number, log: Logger): QuoteSource {
  return async (symbol) => {
    try {
      return await quoteSnapshot(broker, symbol, timeoutMs);
    } catch (error) {
      // No quote is an answer here (the order waits for the open instead), not a failure of the run.
      log.warn('liquidation_no_quote', { symbol, timeoutMs, error: errorMessage(error) });
      return undefined;
    }
  };
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

function warningsBefore(deps: LiquidationDeps, scope: readonly ScopedPosition[]): string[] {
  const warnings: string[] = [];
  if (!deps.journal.usable && scope.some((s) => s.closeReason === 'db-unusable')) {
    warnings.push('the DB cannot be read, so nobody can tell which stocks are the bots\': EVERY US stock position in USD is closed, the ones bought by hand too');
  }
  return warnings;
}

function eventSummary(outcome: LiquidationOutcome): Record<string, unknown> {
  return {
    flat: outcome.verdict === 'flat',
    verdict: outcome.verdict,
    marketPhase: outcome.marketPhase,
    path: outcome.path,
    halt: outcome.halt?.status ?? null,
    positionsBefore: outcome.initialPositions.map((p) => ({ symbol: p.symbol, quantity: p.quantity })),
    notTouched: outcome.scope.filter((s) => s.keepQuantity !== 0).map((s) => ({ instrument: s.instrument.description, quantity: s.keepQuantity, why: s.keepReason })),
    ordersCancelled: outcome.initialOrders.map(describeOrder),
    reappearedAfterCancel: outcome.cancel?.reappeared.map(describeOrder) ?? [],
    orders: outcome.orders.map((o) => ({
      orderRef: o.orderRef, orderId: o.orderId, symbol: o.symbol, side: o.side, quantity: o.quantity, type: o.type, limitPrice: o.limitPrice ?? null,
      fillsAt: o.fillsAt, filled: o.filledQuantity, state: o.state, attempt: o.attempt,
    })),
    retried: outcome.retried,
    remaining: outcome.finalScope?.filter((s) => s.closeQuantity !== 0).map((s) => ({ symbol: s.symbol, quantity: s.closeQuantity })) ?? 'unknown',
    closedPositionIds: outcome.booking?.closedPositionIds ?? [],
    partialPositionIds: outcome.booking?.partialPositionIds ?? [],
    untrackedSymbols: outcome.booking?.untrackedSymbols ?? [],
    sweptOrders: outcome.sweptOrders.map(describeOrder),
    leftWorking: outcome.leftWorking.map(describeOrder),
    brokerLost: outcome.brokerLost ?? null,
  };
}
