import type { BrokerPort, OrderEvent, OrderId } from '../../shared/broker/types';
import { errorMessage } from '../../shared/errors/errors';
import { cents } from './format';

/** A BUY limit at half the market never fills in the second it lives. */
const PROBE_PRICE_FACTOR = 0.5;
export const PROBE_REF_PREFIX = 'DOCTOR-PROBE-';

export interface ProbeOrder {
  symbol: string;
  limitPrice: number;
  referencePrice: number;
  orderRef: string;
}

export type ProbeOutcome =
  | { kind: 'not-run'; why: string }
  /** Accepted by the broker and cancelled at once: orders go through the API. */
  | { kind: 'accepted'; order: ProbeOrder; orderId: number; cancelled: true; warnings: string[] }
  /** Accepted, and the cancel was not confirmed in time: the order may still work at the broker. */
  | { kind: 'not-cancelled'; order: ProbeOrder; orderId: number; problem: string; warnings: string[] }
  /** Refused before it ever worked (321 read-only, 201 precautions, ...). */
  | { kind: 'rejected'; order: ProbeOrder; orderId: number | undefined; code: number | undefined; reason: string; warnings: string[] }
  /** It filled (it never should at half the market): the operator must undo it. */
  | { kind: 'filled'; order: ProbeOrder; orderId: number; price: number; warnings: string[] }
  | { kind: 'no-answer'; order: ProbeOrder; orderId: number | undefined; problem: string; warnings: string[] };

export function probeOrderFor(symbol: string, referencePrice: number, nowMs: number): ProbeOrder {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return { symbol, referencePrice, limitPrice: Math.max(0.01, cents(referencePrice * PROBE_PRICE_FACTOR)), orderRef: `${PROBE_REF_PREFIX}${stamp}` };
}

/**
 * --probe-order (PAPER and SIM only; refused in LIVE before anything connects): places a 1-share BUY limit at
 * half the market, DAY, and cancels it as soon as the broker acknowledges it. What the broker answers is the
 * only proof that the API is not read-only (321) and what order precautions say. Every step is awaited on
 * the broker's own events; the order is cancelled even when its acknowledgement did not come in time.
 */
export async function runOrderProbe(broker: BrokerPort, order: ProbeOrder, timeoutMs: number): Promise<ProbeOutcome> {
  const events: OrderEvent[] = [];
  const warnings: string[] = [];
  let wake: (() => void) | undefined;
  const off = broker.onOrderEvent((event) => {
    if (!('ref' in event) || event.ref !== order.orderRef) return;
    events.push(event);
    if (event.kind === 'order_error') warnings.push(`${event.code} ${event.reason}`);
    wake?.();
  });
  const waitFor = async <T>(pick: () => T | undefined): Promise<T | undefined> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = pick();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  try {
    let orderId: OrderId;
    try {
      orderId = await broker.placeOrder({ orderRef: order.orderRef, symbol: order.symbol, side: 'BUY', quantity: 1, type: 'LMT', limitPrice: order.limitPrice, tif: 'DAY' });
    } catch (error) {
      return { kind: 'rejected', order, orderId: undefined, code: undefined, reason: `not sent: ${errorMessage(error)}`, warnings };
    }
    const filled = () => events.find((e): e is Extract<OrderEvent, { kind: 'filled' }> => e.kind === 'filled');
    const first = await waitFor(() => events.find((e) => e.kind === 'accepted' || e.kind === 'open' || e.kind === 'status' || e.kind === 'rejected' || e.kind === 'cancelled' || e.kind === 'filled'));
    if (first?.kind === 'rejected') return { kind: 'rejected', order, orderId, code: first.code, reason: first.reason, warnings };
    if (first?.kind === 'cancelled') return { kind: 'rejected', order, orderId, code: undefined, reason: `cancelled by the broker before it worked${first.reason ? `: ${first.reason}` : ''}`, warnings };
    try {
      await broker.cancelOrder(orderId);
    } catch (error) {
      return { kind: 'not-cancelled', order, orderId, problem: `the cancel could not be sent: ${errorMessage(error)}`, warnings };
    }
    const end = await waitFor(() => filled() ?? events.find((e) => e.kind === 'cancelled' || (e.kind === 'status' && (e.status === 'Cancelled' || e.status === 'ApiCancelled'))));
    const fill = filled();
    if (fill) return { kind: 'filled', order, orderId, price: fill.execution.price, warnings };
    if (!first) {
      return end
        ? { kind: 'no-answer', order, orderId, problem: 'the broker did not acknowledge the order in time; the cancel sent after it was confirmed', warnings }
        : { kind: 'no-answer', order, orderId, problem: 'the broker acknowledged neither the order nor its cancel in time', warnings };
    }
    if (!end) return { kind: 'not-cancelled', order, orderId, problem: `no cancel confirmation within ${timeoutMs} ms`, warnings };
    return { kind: 'accepted', order, orderId, cancelled: true, warnings };
  } finally {
    wake = undefined;
    off();
  }
}
