/**
 * The simulator's own books as its admin endpoint dumps them (GET /state): the ground truth every chaos
 * invariant is checked against. Only the fields the harness reads are typed.
 */
export interface SimOrderView {
  clientId: number;
  orderId: number;
  permId: number;
  symbol: string;
  action: 'BUY' | 'SELL';
  totalQuantity: number;
  filled: number;
  orderType: string;
  /** Stop price of STP orders. */
  auxPrice?: number;
  lmtPrice?: number;
  status: string;
  orderRef: string;
  ocaGroup?: string;
  tradingDay: string;
  /** Wall-clock ms the gateway received the order. */
  createdRealMs?: number;
}

export interface SimExecutionView {
  execId: string;
  clientId: number;
  orderId: number;
  symbol: string;
  side: 'BOT' | 'SLD';
  shares: number;
  price: number;
  timeMs: number;
  tradingDay: string;
  orderRef: string;
  /** Wall-clock ms of the fill. */
  realMs?: number;
}

export interface SimPositionView {
  symbol: string;
  quantity: number;
  averageCost: number;
}

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
