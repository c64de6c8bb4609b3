import type { BrokerOrder, BrokerPort, BrokerPosition } from '../../shared/broker/types';
import { BrokerTimeout, errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import type { LiquidationOrderBook } from './liquidation-orders';

const ORDERS_POLL_MS = 250;
/** A working order that outlives a global cancel this long gets another one (the first may not have reached it). */
const GLOBAL_CANCEL_REPEAT_MS = 2_000;
const FILL_POLL_MS = 1_000;
const SNAPSHOT_ATTEMPTS = 3;

export interface CancelWaitResult {
  remaining: BrokerOrder[];
  timedOut: boolean;
  globalCancels: number;
  /**
   * Orders that appeared after a global cancel had been sent: placed while the liquidation ran, by a bot that
   * does not obey the halt (or could not read it), or by hand. With the halt set there should be none.
   */
  reappeared: BrokerOrder[];
}

export interface CancelWaitOptions {
  timeoutMs: number;
  /**
   * The safety net's bound. With the halt set the bots place nothing, so one global cancel is all it takes
   * and a few more only cover an order that re-appears; without the halt (DB unusable) a running exit
   * manager re-places protection, and the cancel is repeated until the timeout.
   */
  maxGlobalCancels: number;
  /** Orders that do not count (our own closing orders, in the final sweep). */
  ignore?: (order: BrokerOrder) => boolean;
  log: Logger;
}

/**
 * Global cancel, then waits until the broker's own view (the working orders of every client, by status)
 * shows none: an error about an order, or a cancel event we sent ourselves, is not proof that it is dead.
 * Another global cancel goes out, within `maxGlobalCancels`, when an order re-appears or one outlives the
 * last cancel by 2 s.
 */
export async function cancelEverythingAndWait(broker: BrokerPort, options: CancelWaitOptions): Promise<CancelWaitResult> {
  const { log } = options;
  const counted = (orders: BrokerOrder[]) => (options.ignore ? orders.filter((o) => !options.ignore!(o)) : orders);
  const deadline = Date.now() + options.timeoutMs;
  // What was working when the cancel went out: anything else seen later was placed after it.
  const cancelled = new Set(counted(await workingOrders(broker)).map(orderKey));
  await broker.globalCancel();
  let globalCancels = 1;
  let lastCancelAt = Date.now();
  const reappeared = new Map<string, BrokerOrder>();
  let remaining = counted(await workingOrders(broker));
  for (;;) {
    const fresh = remaining.filter((o) => !cancelled.has(orderKey(o)));
    for (const order of fresh) {
      if (!reappeared.has(orderKey(order))) log.warn('order_reappeared_after_global_cancel', { order: describeOrder(order) });
      reappeared.set(orderKey(order), order);
    }
    if (remaining.length === 0 || Date.now() >= deadline) break;
    const overdue = Date.now() - lastCancelAt >= GLOBAL_CANCEL_REPEAT_MS;
    if (globalCancels < options.maxGlobalCancels && (fresh.length > 0 || overdue)) {
      log.warn('global_cancel_repeated', { remaining: remaining.map(describeOrder), reappeared: fresh.map(describeOrder) });
      for (const order of remaining) cancelled.add(orderKey(order));
      await broker.globalCancel();
      globalCancels += 1;
      lastCancelAt = Date.now();
    }
    await sleep(Math.min(ORDERS_POLL_MS, deadline - Date.now()));
    remaining = counted(await workingOrders(broker));
  }
  return { remaining, timedOut: remaining.length > 0, globalCancels, reappeared: [...reappeared.values()] };
}

/** An order's identity across clients: the permId when the broker gave one. */
export function orderKey(order: BrokerOrder): string {
  return order.permId ? `perm:${order.permId}` : `${order.clientId}/${order.orderId}`;
}

/**
 * Waits until every order of `attempt` that can execute now reached a final state (filled, cancelled, rejected), on order
 * events; with no event for a second it asks the broker whether the symbols are flat already (an event
 * lost around a reconnect must not keep us waiting for the full timeout). False on timeout.
 */
export async function waitForOrdersDone(book: LiquidationOrderBook, broker: BrokerPort, attempt: number, timeoutMs: number, log: Logger): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const symbols = new Set(book.workingNow(attempt).map((o) => o.symbol));
  while (book.workingNow(attempt).length > 0) {
    const leftMs = deadline - Date.now();
    if (leftMs <= 0) return false;
    const before = Date.now();
    await book.nextEvent(Math.min(FILL_POLL_MS, leftMs));
    if (Date.now() - before < FILL_POLL_MS || book.workingNow(attempt).length === 0) continue;
    try {
      const open = (await broker.positions()).filter((p) => symbols.has(p.symbol) && p.quantity !== 0);
      if (open.length === 0) {
        log.info('liquidation_flat_before_all_events', { working: book.workingNow(attempt).map((o) => o.orderRef) });
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
 * twice and leave the account short. So while a symbol whose liquidation order FILLED still shows something
 * to close (`leftToClose`), ask again, for up to `settleMs`; what is still there after that is real.
 */
export async function positionsAfterFills(broker: BrokerPort, book: LiquidationOrderBook, settleMs: number, leftToClose: (position: BrokerPosition) => boolean): Promise<BrokerPosition[]> {
  const deadline = Date.now() + settleMs;
  const filledSymbols = new Set(book.orders.filter((o) => o.state === 'filled').map((o) => o.symbol));
  for (;;) {
    const positions = await completePositions(broker);
    if (!positions.some((p) => filledSymbols.has(p.symbol) && leftToClose(p)) || Date.now() >= deadline) return positions;
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
