import { isApiClient, isEntryRef, isWorkingOrder, type SimExecutionView, type SimOrderView, type SimPositionView } from './broker-state';

/** The promises of the issue, checked against the simulator's books (and the DB where the promise is about it). */
export const INVARIANTS = {
  noDuplicateOrders: 'no order sent twice (orderRef unique among API clients\' orders)',
  noSymbolHeldTwice: 'no symbol held twice (at most one entered position per symbol and trading day)',
  noReentryAfterClose: 'no re-entry of a symbol after its close on the same trading day',
  neverShort: 'no position sold twice (a long-only strategy never ends up short)',
  noDoubleProtection: 'never more working stop-loss quantity than the position (two stops could both fill on a gap and sell twice)',
  protectedWithinBound: 'every broker position protected within the bound',
  executionsBookedOnce: 'every execution of our clients recorded exactly once in trades',
  dbEqualsBroker: 'DB active positions equal to the broker\'s positions after reconciliation',
  flatAfterClose: 'account flat after each close, no active rows, no orphan orders',
  integrity: 'PRAGMA integrity_check = ok',
  hangDetected: 'a hung bot is detected and replaced',
  botsRecover: 'every killed bot comes back',
  noKillDuringDbLock: 'the supervisor does not kill bots for a DB write lock held by someone else',
  orderIdsNeverReused: 'no order id reused after the gateway\'s ids went backwards (IB 103)',
  brokerOutageReported: 'a gateway down longer than BROKER_DOWN_ALERT_S in market hours raises broker_down_alert',
  noFalseDisconnect: 'a gateway silent for less than the liveness tolerance is not declared dead',
  gatewayLivenessDetected: 'a gateway silent beyond the liveness timeout is declared dead and reconnected',
} as const;
export type InvariantName = keyof typeof INVARIANTS;

export interface Violation {
  invariant: InvariantName;
  detail: string;
  tradingDay?: string;
  atRealMs?: number;
}

export interface TradeRowView {
  exec_id: string;
  position_id: string | null;
  symbol: string;
  side: 'BUY' | 'SELL';
  quantity: number;
  purpose: 'ENTRY' | 'EXIT' | 'UNTRACKED';
  trading_day: string;
  executed_at: string;
  client_id: number | null;
}

export interface ClosedRowView {
  symbol: string;
  close_date: string;
  position_id: string;
  exit_reason: string;
  timestamp: string;
}

export interface ActiveRowView {
  id: string;
  symbol: string;
  quantity: number;
  status: string;
}

/** orderRefs that appear on more than one order of an API client (the idempotency key was reused). */
export function duplicateOrderRefs(orders: readonly SimOrderView[]): string[] {
  const seen = new Map<string, number>();
  for (const order of orders) if (isApiClient(order) && order.orderRef) seen.set(order.orderRef, (seen.get(order.orderRef) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([ref]) => ref).sort();
}

/** Positions that went short: with a long-only strategy that means something sold twice. */
export function shortPositions(positions: readonly SimPositionView[]): SimPositionView[] {
  return positions.filter((p) => p.quantity < 0);
}

/** Entry executions at the broker: BUY fills of API orders whose ref is a claim id. */
function entryExecutions(executions: readonly SimExecutionView[]): SimExecutionView[] {
  return executions.filter((e) => isApiClient(e) && e.side === 'BOT' && isEntryRef(e.orderRef));
}

export function orderViolations(orders: readonly SimOrderView[], executions: readonly SimExecutionView[], trades: readonly TradeRowView[]): Violation[] {
  const violations: Violation[] = duplicateOrderRefs(orders).map((ref) => ({ invariant: 'noDuplicateOrders' as const, detail: `orderRef ${ref} was sent ${orders.filter((o) => o.orderRef === ref && isApiClient(o)).length} times` }));
  const refsByDay = new Map<string, Set<string>>();
  for (const e of entryExecutions(executions)) {
    const key = `${e.tradingDay} ${e.symbol}`;
    refsByDay.set(key, (refsByDay.get(key) ?? new Set()).add(e.orderRef));
  }
  for (const [key, refs] of refsByDay) {
    if (refs.size > 1) violations.push({ invariant: 'noSymbolHeldTwice', tradingDay: key.split(' ')[0], detail: `${key}: entered by ${refs.size} orders at the broker (${[...refs].join(', ')})` });
  }
  const positionsByDay = new Map<string, Set<string>>();
  for (const t of trades) {
    if (t.purpose !== 'ENTRY' || !t.position_id) continue;
    const key = `${t.trading_day} ${t.symbol}`;
    positionsByDay.set(key, (positionsByDay.get(key) ?? new Set()).add(t.position_id));
  }
  for (const [key, ids] of positionsByDay) {
    if (ids.size > 1) violations.push({ invariant: 'noSymbolHeldTwice', tradingDay: key.split(' ')[0], detail: `${key}: ${ids.size} positions in trades (${[...ids].join(', ')})` });
  }
  return violations;
}

/** After a symbol closed on a day, no entry of it may fill later that day (broker books and DB both). */
export function reentryViolations(closed: readonly ClosedRowView[], executions: readonly SimExecutionView[], trades: readonly TradeRowView[]): Violation[] {
  const violations: Violation[] = [];
  const entries = entryExecutions(executions);
  for (const row of closed) {
    const closedAtMs = Date.parse(row.timestamp);
    for (const e of entries) {
      if (e.symbol === row.symbol && e.tradingDay === row.close_date && e.timeMs > closedAtMs && e.orderRef !== row.position_id) {
        violations.push({ invariant: 'noReentryAfterClose', tradingDay: row.close_date, detail: `${row.symbol} closed at ${row.timestamp} (${row.exit_reason}) and re-entered by ${e.orderRef} at ${new Date(e.timeMs).toISOString()}` });
      }
    }
    for (const t of trades) {
      if (t.purpose === 'ENTRY' && t.symbol === row.symbol && t.trading_day === row.close_date && t.executed_at > row.timestamp && t.position_id !== row.position_id) {
        violations.push({ invariant: 'noReentryAfterClose', tradingDay: row.close_date, detail: `${row.symbol} closed at ${row.timestamp} and an ENTRY trade of ${t.position_id} was booked at ${t.executed_at}` });
      }
    }
  }
  return dedupe(violations);
}

/**
 * Every execution of an API client is in trades exactly once, and trades holds nothing the broker did not
 * execute. Executions done by hand (client 0) may be booked (a manual close explained as RECONCILED_FLAT).
 */
export function ledgerViolations(executions: readonly SimExecutionView[], trades: readonly TradeRowView[]): Violation[] {
  const violations: Violation[] = [];
  const booked = new Map<string, number>();
  for (const t of trades) booked.set(t.exec_id, (booked.get(t.exec_id) ?? 0) + 1);
  const atBroker = new Map(executions.map((e) => [e.execId, e]));
  for (const e of executions) {
    if (!isApiClient(e)) continue;
    const count = booked.get(e.execId) ?? 0;
    if (count !== 1) violations.push({ invariant: 'executionsBookedOnce', tradingDay: e.tradingDay, detail: `execution ${e.execId} (${e.symbol} ${e.side} ${e.shares} @ ${e.price}, ref ${e.orderRef}, client ${e.clientId}) booked ${count} times` });
  }
  for (const [execId, count] of booked) {
    if (!atBroker.has(execId)) violations.push({ invariant: 'executionsBookedOnce', detail: `trades holds execution ${execId} that the broker never executed` });
    else if (count > 1) violations.push({ invariant: 'executionsBookedOnce', detail: `execution ${execId} booked ${count} times` });
  }
  return dedupe(violations);
}

/** The DB's active positions against the broker's, symbol by symbol. */
export function dbBrokerViolations(active: readonly ActiveRowView[], positions: readonly SimPositionView[], tradingDay?: string): Violation[] {
  const violations: Violation[] = [];
  const broker = new Map(positions.filter((p) => p.quantity !== 0).map((p) => [p.symbol, p.quantity]));
  const db = new Map(active.map((r) => [r.symbol, r]));
  for (const [symbol, quantity] of broker) {
    const row = db.get(symbol);
    if (!row) violations.push({ invariant: 'dbEqualsBroker', tradingDay, detail: `${symbol}: broker holds ${quantity}, the DB has no active row` });
    else if (row.quantity !== quantity) violations.push({ invariant: 'dbEqualsBroker', tradingDay, detail: `${symbol}: broker holds ${quantity}, DB row ${row.id} says ${row.quantity} (${row.status})` });
  }
  for (const [symbol, row] of db) {
    if (!broker.has(symbol)) violations.push({ invariant: 'dbEqualsBroker', tradingDay, detail: `${symbol}: DB row ${row.id} (${row.status}, ${row.quantity}) but the broker holds nothing` });
  }
  return violations;
}

/** After the close and its reconciliation: flat at the broker, no active rows, no working API orders left. */
export function flatAfterCloseViolations(tradingDay: string, positions: readonly SimPositionView[], active: readonly ActiveRowView[], orders: readonly SimOrderView[]): Violation[] {
  const violations: Violation[] = [];
  const open = positions.filter((p) => p.quantity !== 0);
  if (open.length) violations.push({ invariant: 'flatAfterClose', tradingDay, detail: `broker still holds ${open.map((p) => `${p.symbol}:${p.quantity}`).join(', ')} after the close` });
  if (active.length) violations.push({ invariant: 'flatAfterClose', tradingDay, detail: `active_positions still has ${active.map((r) => `${r.symbol}(${r.status})`).join(', ')} after the close` });
  const orphans = orders.filter((o) => isApiClient(o) && isWorkingOrder(o));
  if (orphans.length) violations.push({ invariant: 'flatAfterClose', tradingDay, detail: `working orders left after the close: ${orphans.map((o) => `${o.orderRef} (client ${o.clientId}, ${o.orderType} ${o.action} ${o.totalQuantity - o.filled})`).join(', ')}` });
  return violations;
}

export function dedupe(violations: readonly Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter((v) => {
    const key = `${v.invariant}|${v.detail}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
