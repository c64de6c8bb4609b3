/**
 * The simulator's own books as its admin endpoint dumps them (GET /state): the ground truth every chaos
 * invariant is checked against. Only the fields the harness reads are typed.
 */
import type { SimExecution, SimOrder, SimPosition } from '../../apps/sim-gateway/engine/types';
import type { ExposureInterval, ExposureReport } from '../../apps/sim-gateway/realism/exposure-monitor';
import { POSITION_ID_PATTERN } from '../../shared/db/ids';

/** An order as GET /state dumps it (the simulator's own record; the fields the harness reads). */
export type SimOrderView = Pick<SimOrder, 'clientId' | 'orderId' | 'permId' | 'symbol' | 'action' | 'totalQuantity' | 'filled' | 'orderType' | 'auxPrice' | 'lmtPrice' | 'status' | 'orderRef' | 'ocaGroup' | 'tradingDay' | 'createdRealMs'>;

/** An execution as GET /state dumps it (a corrected execution appears once, with its latest id and price). */
export type SimExecutionView = Pick<SimExecution, 'execId' | 'clientId' | 'orderId' | 'symbol' | 'side' | 'shares' | 'price' | 'timeMs' | 'tradingDay' | 'orderRef' | 'realMs'>;

/** The account's true stock positions (the engine's books, not the lagging reports). */
export type SimPositionView = Pick<SimPosition, 'symbol' | 'quantity' | 'averageCost'>;

/** What the gateway REPORTS (lagging), every instrument: stocks, options, the EUR stock. */
export interface ReportedPositionView {
  conId: number;
  symbol: string;
  secType: string;
  currency: string;
  quantity: number;
  averageCost: number;
}

export type ExposureIntervalView = ExposureInterval;
export type ExposureView = ExposureReport;

export interface SimStateView {
  marketTime: string;
  positions: SimPositionView[];
  reportedPositions?: ReportedPositionView[];
  /** The simulator's own watch over API sell orders able to trade past what the account may sell. */
  exposure?: ExposureView;
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
const POSITION_ID = new RegExp(`^${POSITION_ID_PATTERN}$`);

export type ProtectiveLeg = 'SL' | 'TP' | 'EXIT';

/** Which exit-manager leg an order ref names (see shared/orders/order-refs.ts), if any. */
export function legOf(orderRef: string): ProtectiveLeg | undefined {
  if (STOP_LOSS_REF.test(orderRef)) return 'SL';
  if (TAKE_PROFIT_REF.test(orderRef)) return 'TP';
  if (EXIT_REF.test(orderRef)) return 'EXIT';
  return undefined;
}

/**
 * An entry order's ref is the claim id itself (no leg suffix). Symbols with a space (`BRK B`) appear with
 * `_` in ids (shared/db/ids.ts), so the pattern is the product's own.
 */
export function isEntryRef(orderRef: string): boolean {
  return POSITION_ID.test(orderRef);
}

/** The position id an order ref belongs to (entry, protective leg or exit), if it is one of ours. */
export function positionIdOf(orderRef: string): string | undefined {
  const head = orderRef.split(':')[0] ?? '';
  return POSITION_ID.test(head) ? head : undefined;
}
