import type { BrokerOrder, BrokerPort, BrokerPosition } from '../../shared/broker/types';
import { BrokerTimeout, errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import type { LiquidationOrderBook } from './liquidation-orders';

const ORDERS_POLL_MS = 250;
/** A bot that is still running (exit manager) re-places protection after a global cancel: cancel again. */
const GLOBAL_CANCEL_REPEAT_MS = 2_000;
const FILL_POLL_MS = 1_000;
const SNAPSHOT_ATTEMPTS = 3;

export interface CancelWaitResult {
  remaining: BrokerOrder[];
  timedOut: boolean;
  globalCancels: number;
}

/**
 * Global cancel, then poll the broker's working orders (every client) until there are none. While orders
 * remain the global cancel is repeated every 2 s: whatever a live bot placed in between dies too.
 */
export async function cancelEverythingAndWait(broker: BrokerPort, timeoutMs: number, log: Logger): Promise<CancelWaitResult> {
  const deadline = Date.now() + timeoutMs;
  await broker.globalCancel();
  let globalCancels = 1;
  let lastCancelAt = Date.now();
  let remaining = await workingOrders(broker);
  while (remaining.length > 0 && Date.now() < deadline) {
    await sleep(Math.min(ORDERS_POLL_MS, deadline - Date.now()));
    if (Date.now() - lastCancelAt >= GLOBAL_CANCEL_REPEAT_MS) {
      log.warn('global_cancel_repeated', { remaining: remaining.map(describeOrder) });
      await broker.globalCancel();
      globalCancels += 1;
      lastCancelAt = Date.now();
    }
    remaining = await workingOrders(broker);
  }
  return { remaining, timedOut: remaining.length > 0, globalCancels };
}

/**
 * Waits until every order of `attempt` reached a final state (filled, cancelled, rejected), on order
 * events; with no event for a second it asks the broker whether the symbols are flat already (an event
 * lost around a reconnect must not keep us waiting for the full timeout). False on timeout.
 */
export async function waitForOrdersDone(book: LiquidationOrderBook, broker: BrokerPort, attempt: number, timeoutMs: number, log: Logger): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const symbols = new Set(book.orders.filter((o) => o.attempt === attempt).map((o) => o.symbol));
  while (book.working(attempt).length > 0) {
    const leftMs = deadline - Date.now();
    if (leftMs <= 0) return false;
    const before = Date.now();
    await book.nextEvent(Math.min(FILL_POLL_MS, leftMs));
    if (Date.now() - before < FILL_POLL_MS || book.working(attempt).length === 0) continue;
    try {
      const open = (await broker.positions()).filter((p) => symbols.has(p.symbol) && p.quantity !== 0);
      if (open.length === 0) {
        log.info('liquidation_flat_before_all_events', { working: book.working(attempt).map((o) => o.orderRef) });
        return true;
      }
    } catch (error) {
      log.warn('liquidation_poll_failed', { error: errorMessage(error) });
    }
  }
  return true;
}

const POSITIONS_SETTLE_POLL_MS = 250;

/**
 * Positions once they reflect our fills. IB reports positions on another stream than executions, and a
 * snapshot taken right after a fill can still show the shares just sold; retrying on that would sell them
 * twice and leave the account short. So while a symbol whose liquidation order FILLED still shows a
 * position, ask again, for up to `settleMs`; what is still there after that is real (someone traded it).
 */
export async function positionsAfterFills(broker: BrokerPort, book: LiquidationOrderBook, settleMs: number): Promise<BrokerPosition[]> {
  const deadline = Date.now() + settleMs;
  const filledSymbols = new Set(book.orders.filter((o) => o.state === 'filled').map((o) => o.symbol));
  for (;;) {
    const positions = await completePositions(broker);
    if (!positions.some((p) => filledSymbols.has(p.symbol)) || Date.now() >= deadline) return positions;
    await sleep(Math.min(POSITIONS_SETTLE_POLL_MS, deadline - Date.now()));
  }
}

/** A complete positions snapshot; a timed-out query is retried (unknown is not empty, and not an answer). */
export async function completePositions(broker: BrokerPort): Promise<BrokerPosition[]> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= SNAPSHOT_ATTEMPTS; attempt++) {
    try {
      return (await broker.positions()).filter((p) => p.quantity !== 0);
    } catch (error) {
      if (!(error instanceof BrokerTimeout)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

export async function workingOrders(broker: BrokerPort): Promise<BrokerOrder[]> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= SNAPSHOT_ATTEMPTS; attempt++) {
    try {
      return await broker.openOrders('all');
    } catch (error) {
      if (!(error instanceof BrokerTimeout)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

export function describeOrder(order: BrokerOrder): string {
  const price = order.stopPrice ?? order.limitPrice;
  return `client ${order.clientId} #${order.orderId} ${order.side} ${order.quantity} ${order.symbol} ${order.type}${price ? ` @ ${price}` : ''} (${order.orderRef || 'no ref'})`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
