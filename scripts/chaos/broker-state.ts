/**
 * The simulator's own books as its admin endpoint dumps them (GET /state): the ground truth every chaos
 * invariant is checked against. Only the fields the harness reads are typed.
 */
import type { SimExecution, SimOrder, SimPosition } from '../../apps/sim-gateway/engine/types';

/** An order as GET /state dumps it (the simulator's own record; the fields the harness reads). */
export type SimOrderView = Pick<SimOrder, 'clientId' | 'orderId' | 'permId' | 'symbol' | 'action' | 'totalQuantity' | 'filled' | 'orderType' | 'auxPrice' | 'lmtPrice' | 'status' | 'orderRef' | 'ocaGroup' | 'tradingDay' | 'createdRealMs'>;

/** An execution as GET /state dumps it. */
export type SimExecutionView = Pick<SimExecution, 'execId' | 'clientId' | 'orderId' | 'symbol' | 'side' | 'shares' | 'price' | 'timeMs' | 'tradingDay' | 'orderRef' | 'realMs'>;

export type SimPositionView = Pick<SimPosition, 'symbol' | 'quantity' | 'averageCost'>;

export interface SimStateView {
  marketTime: string;
  positions: SimPositionView[];
  orders: SimOrderView[];
  executions: SimExecutionView[];
  clients: Array<{ clientId?: number }>;
  faults: Record<string, unknown>;
}

/** IB's working statuses: the order can still trade. */
export function isWorkingOrder(order: Pick<SimOrderView, 'status'>): boolean {
  return order.status === 'Submitted' || order.status === 'PreSubmitted';
}

/** Orders and executions of API clients (clientId 0 is a trade done by hand in TWS). */
export function isApiClient(item: { clientId: number }): boolean {
  return item.clientId !== 0;
}

export function remainingOf(order: Pick<SimOrderView, 'totalQuantity' | 'filled'>): number {
  return order.totalQuantity - order.filled;
}

const STOP_LOSS_REF = /:SL:\d+$/;
const TAKE_PROFIT_REF = /:TP:\d+$/;
const EXIT_REF = /:X-[A-Z_]+:\d+$/;

export type ProtectiveLeg = 'SL' | 'TP' | 'EXIT';

/** Which exit-manager leg an order ref names (see shared/orders/order-refs.ts), if any. */
export function legOf(orderRef: string): ProtectiveLeg | undefined {
  if (STOP_LOSS_REF.test(orderRef)) return 'SL';
  if (TAKE_PROFIT_REF.test(orderRef)) return 'TP';
  if (EXIT_REF.test(orderRef)) return 'EXIT';
  return undefined;
}

/** An entry order's ref is the claim id itself (no leg suffix). */
export function isEntryRef(orderRef: string): boolean {
  return /^[PA]-\d{8}-[A-Z0-9.]+-[0-9a-f]{6}$/.test(orderRef);
}
