import type { BrokerOrder } from '../../shared/broker/types';
import { positionIdFromOrderRef } from '../../shared/db/ids';
import { check, type CheckResult } from './doctor-model';
import { formatPrice } from './format';
import { PROBE_REF_PREFIX } from './order-probe';

/** Refs of the emergency liquidation's orders (scripts/liquidate). */
const LIQUIDATION_REF_PREFIX = 'LIQ-';

export interface OurClients {
  /** day-trader, exit-manager, reconciler: their orders carry a position id (`P-…` / `A-…`) in orderRef. */
  bots: ReadonlySet<number>;
  liquidate: number;
  doctor: number;
}

/** Why an order is not ours, or undefined when it is: a client of ours AND one of our refs. */
export function whyNotOurs(order: BrokerOrder, clients: OurClients): string | undefined {
  if (clients.bots.has(order.clientId)) return positionIdFromOrderRef(order.orderRef) ? undefined : `client ${order.clientId} is a bot's, but its ref "${order.orderRef}" is not one of ours`;
  if (order.clientId === clients.liquidate) return order.orderRef.startsWith(LIQUIDATION_REF_PREFIX) ? undefined : `client ${order.clientId} is liquidate's, but its ref "${order.orderRef}" is not`;
  if (order.clientId === clients.doctor) return order.orderRef.startsWith(PROBE_REF_PREFIX) ? undefined : `client ${order.clientId} is the doctor's, but its ref "${order.orderRef}" is not`;
  return order.clientId === 0 ? 'placed in TWS by hand (client 0)' : `client ${order.clientId} is not one of the bots'`;
}

function describe(order: BrokerOrder): string {
  const price = order.type === 'LMT' ? ` ${formatPrice(order.limitPrice)}` : order.type.startsWith('STP') ? ` ${formatPrice(order.stopPrice)}` : '';
  return `${order.side} ${order.quantity} ${order.symbol} ${order.type}${price} (order ${order.orderId}, client ${order.clientId}, ref "${order.orderRef}", ${order.status})`;
}

/**
 * Working orders of other clients (TWS by hand is client 0, another program any id) or with refs that are
 * not ours. The bots never modify or cancel them (IB lets only the placing client do that), but a working
 * sell of someone else's can sell the shares the bots protect, and `npm run liquidate -- --yes` cancels
 * every order of every client, these included. Pure.
 */
export function openOrdersCheck(orders: readonly BrokerOrder[] | undefined, clients: OurClients, problem?: string): CheckResult {
  if (!orders) return check('openOrders', 'warn', `not checked: the open orders query failed${problem ? ` (${problem})` : ''}`, { action: 'run npm run doctor again; unknown is not "none"' });
  const foreign = orders.map((order) => ({ order, why: whyNotOurs(order, clients) })).filter((o): o is { order: BrokerOrder; why: string } => o.why !== undefined);
  const details = {
    working: orders.length,
    notOurs: foreign.map(({ order, why }) => ({ orderId: order.orderId, clientId: order.clientId, permId: order.permId, orderRef: order.orderRef, symbol: order.symbol, side: order.side, type: order.type, quantity: order.quantity, status: order.status, why })),
  };
  if (foreign.length === 0) {
    return check('openOrders', 'ok', orders.length === 0 ? 'no working orders at the broker' : `all ${orders.length} working order(s) are the bots'`, { details });
  }
  return check('openOrders', 'warn', `${foreign.length} working order(s) not placed by the bots: the bots never touch them, but a sell of someone else's can sell shares the bots protect`, {
    action: 'cancel in TWS what should not work; note that npm run liquidate -- --yes cancels these too (a global cancel)',
    lines: foreign.map(({ order, why }) => `${describe(order)}: ${why}`),
    details,
  });
}
