import type { BrokerOrder } from '../../shared/broker/types';
import type { ActivePosition } from '../../shared/db/types';
import type { ProtectionState } from './status-model';

export interface ProtectionInput {
  row: ActivePosition;
  /** Signed shares at the broker; null when the broker could not be asked. */
  brokerQuantity: number | null;
  /** Working orders of every client; undefined when the broker could not be asked. */
  openOrders: BrokerOrder[] | undefined;
  exitManagerClientId: number;
  nowMarketMs: number;
  /** Market ms per real ms: the grace period is real time, row timestamps are market time. */
  clockSpeed: number;
  unprotectedAfterMs: number;
}

export interface ProtectionVerdict {
  state: ProtectionState;
  /** Real ms without protection, for OPEN rows. */
  unprotectedForMs: number | null;
}

/**
 * How well a DB position is protected. The broker's working orders are the truth when we have them: the
 * exit manager's legs are found by their orderRef (`<positionId>:SL:<n>` / `:TP:<n>`, which survives any
 * restart) or by the order ids the row recorded. An OPEN row is normal for the few ms between fill and
 * protection; past `unprotectedAfterMs` of real time it is the one state an operator must never miss.
 */
export function protectionOf(input: ProtectionInput): ProtectionVerdict {
  const { row, openOrders } = input;
  if (row.status === 'PENDING_ENTRY') return { state: 'PENDING_ENTRY', unprotectedForMs: null };
  if (row.status === 'CLOSING') return { state: 'CLOSING', unprotectedForMs: null };
  if (input.brokerQuantity === 0) return { state: 'FLAT_AT_BROKER', unprotectedForMs: null };
  const legsWorking = openOrders === undefined ? undefined : bothLegsWorking(row, openOrders, input.exitManagerClientId);
  if (row.status === 'PROTECTED') {
    if (legsWorking === undefined) return { state: 'PROTECTED_UNVERIFIED', unprotectedForMs: null };
    return { state: legsWorking ? 'PROTECTED' : 'PROTECTION_MISSING', unprotectedForMs: null };
  }
  // OPEN: the exit manager may already have both legs at the broker and not yet marked the row.
  if (legsWorking) return { state: 'PROTECTED', unprotectedForMs: null };
  const sinceMarketMs = Date.parse(row.entryTimestamp ?? row.lastUpdated);
  const unprotectedForMs = Number.isFinite(sinceMarketMs) ? Math.max(0, (input.nowMarketMs - sinceMarketMs) / input.clockSpeed) : null;
  const overdue = unprotectedForMs === null || unprotectedForMs > input.unprotectedAfterMs;
  return { state: overdue ? 'UNPROTECTED' : 'AWAITING_PROTECTION', unprotectedForMs };
}

/** A broker position the DB does not know: protected only if some client has a working stop on the closing side. */
export function protectionOfUntracked(symbol: string, brokerQuantity: number, openOrders: BrokerOrder[] | undefined): ProtectionState {
  if (openOrders === undefined) return 'PROTECTED_UNVERIFIED';
  const closingSide = brokerQuantity > 0 ? 'SELL' : 'BUY';
  const hasStop = openOrders.some((o) => o.symbol === symbol && o.side === closingSide && /STP|TRAIL/.test(o.type));
  return hasStop ? 'PROTECTED' : 'UNPROTECTED';
}

function bothLegsWorking(row: ActivePosition, orders: BrokerOrder[], exitManagerClientId: number): boolean {
  const leg = (tag: 'SL' | 'TP', orderId: number | null) =>
    orders.some((o) => o.orderRef.startsWith(`${row.id}:${tag}:`) || (orderId !== null && o.orderId === orderId && o.clientId === exitManagerClientId));
  return leg('SL', row.stopOrderId) && leg('TP', row.targetOrderId);
}
