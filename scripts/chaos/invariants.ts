import { executionBase } from '../../shared/db/execution-ids';
import { isApiClient, isEntryRef, isWorkingOrder, type SimExecutionView, type SimOrderView, type SimPositionView } from './broker-state';
import type { ForeignBook } from './foreign-book';

/** The promises of the issue, checked against the simulator's books (and the DB where the promise is about it). */
export const INVARIANTS = {
  noDuplicateOrders: 'no order sent twice (orderRef unique among API clients\' orders)',
  noSymbolHeldTwice: 'no symbol held twice (at most one entered position per symbol and trading day)',
  noReentryAfterClose: 'no re-entry of a symbol after its close on the same trading day',
  noEntryAfterClose: 'no entry order still working after its position closed',
  neverShort: 'no position sold twice: a symbol\'s true position never below what the account held before any bot traded (never short)',
  neverPastFlat: 'never past flat at any instant: the simulator\'s exposure monitor saw no API sell orders able to trade more than the account may sell (manual trades reported apart)',
  noDoubleProtection: 'never more working stop-loss quantity than the bots\' position (two stops could both fill on a gap and sell twice)',
  protectedWithinBound: 'every position of the bots protected within the bound',
  foreignUntouched: 'foreign holdings untouched: options, the EUR stock, the share class, the long-held stock and positions bought by hand keep their quantities, and no bot order names them (FOREIGN_POSITIONS=ignore)',
  executionsBookedOnce: 'every execution of our clients recorded exactly once in trades (by execution base id, the row carrying the latest version)',
  correctionsBookedOnce: 'every corrected execution booked once: the trades row of its base carries the corrected exec id and price',
  dbEqualsBroker: 'DB active positions equal to the broker\'s US stocks minus the foreign holdings the policy ignores, after reconciliation',
  flatAfterClose: 'flat after each close: no position of the bots, no active rows, no working order of a bot (foreign holdings stay)',
  integrity: 'PRAGMA integrity_check = ok',
  hangDetected: 'a hung bot is detected and replaced',
  botsRecover: 'every killed bot comes back',
  warningIsNoRejection: 'an informational message about an order (IB 10349) is not taken for its rejection: no bot reports the order refused, and it is not placed again',
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
  /** IB's execution id without its correction suffix (NULL only for rows older than schema 2). */
  exec_base: string | null;
  position_id: string | null;
  symbol: string;
  side: 'BUY' | 'SELL';
  quantity: number;
  purpose: 'ENTRY' | 'EXIT' | 'UNTRACKED';
  price: number;
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

/**
 * Positions below what the account held before any bot traded (below 0 for every other symbol): with a
 * long-only strategy that means something sold twice, or sold shares that were never the bots'.
 */
export function shortPositions(positions: readonly SimPositionView[], floorOf: (symbol: string) => number = () => 0): SimPositionView[] {
  return positions.filter((p) => p.quantity < floorOf(p.symbol));
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

/** The base of a trades row: its exec_base column, or computed from its exec id for old rows. */
export function baseOfRow(row: Pick<TradeRowView, 'exec_id' | 'exec_base'>): string {
  return row.exec_base ?? executionBase(row.exec_id);
}

/**
 * Every execution of an API client is in trades exactly once, keyed by its BASE id (a correction replaces
 * the execution it corrects: same prefix, next suffix), and the row carries the latest version the broker
 * holds; trades holds nothing the broker did not execute. Executions done by hand (client 0) may be booked
 * (a manual close explained as RECONCILED_FLAT), at most once.
 */
export function ledgerViolations(executions: readonly SimExecutionView[], trades: readonly TradeRowView[]): Violation[] {
  const violations: Violation[] = [];
  const rowsByBase = new Map<string, TradeRowView[]>();
  for (const t of trades) rowsByBase.set(baseOfRow(t), [...(rowsByBase.get(baseOfRow(t)) ?? []), t]);
  const atBroker = new Map(executions.map((e) => [executionBase(e.execId), e]));
  for (const e of executions) {
    if (!isApiClient(e)) continue;
    const rows = rowsByBase.get(executionBase(e.execId)) ?? [];
    const what = `execution ${e.execId} (${e.symbol} ${e.side} ${e.shares} @ ${e.price}, ref ${e.orderRef}, client ${e.clientId})`;
    if (rows.length !== 1) violations.push({ invariant: 'executionsBookedOnce', tradingDay: e.tradingDay, detail: `${what} booked ${rows.length} times` });
    else if (rows[0]!.exec_id !== e.execId) violations.push({ invariant: 'executionsBookedOnce', tradingDay: e.tradingDay, detail: `${what} is booked as ${rows[0]!.exec_id}, not its latest version` });
  }
  for (const [base, rows] of rowsByBase) {
    if (!atBroker.has(base)) violations.push({ invariant: 'executionsBookedOnce', detail: `trades holds execution ${rows.map((r) => r.exec_id).join(', ')} that the broker never executed` });
    else if (rows.length > 1) violations.push({ invariant: 'executionsBookedOnce', detail: `execution base ${base} booked ${rows.length} times (${rows.map((r) => r.exec_id).join(', ')})` });
  }
  return dedupe(violations);
}

/**
 * The DB's active positions against the broker's US stocks, symbol by symbol, after taking away what the
 * bots do not own (the foreign holdings the policy ignores: the long-held stock, the share class, shares
 * bought by hand). A symbol whose bot part is below 0 is reported by foreignUntouched, not here.
 */
export function dbBrokerViolations(active: readonly ActiveRowView[], positions: readonly SimPositionView[], book: Pick<ForeignBook, 'botQuantity'>, tradingDay?: string): Violation[] {
  const violations: Violation[] = [];
  const broker = new Map<string, { total: number; ours: number }>();
  for (const p of positions) if (book.botQuantity(p) > 0) broker.set(p.symbol, { total: p.quantity, ours: book.botQuantity(p) });
  const db = new Map(active.map((r) => [r.symbol, r]));
  const foreignNote = (q: { total: number; ours: number }) => (q.total !== q.ours ? ` (of ${q.total}; ${q.total - q.ours} foreign)` : '');
  for (const [symbol, q] of broker) {
    const row = db.get(symbol);
    if (!row) violations.push({ invariant: 'dbEqualsBroker', tradingDay, detail: `${symbol}: the bots hold ${q.ours} at the broker${foreignNote(q)}, the DB has no active row` });
    else if (row.quantity !== q.ours) violations.push({ invariant: 'dbEqualsBroker', tradingDay, detail: `${symbol}: the bots hold ${q.ours} at the broker${foreignNote(q)}, DB row ${row.id} says ${row.quantity} (${row.status})` });
  }
  for (const [symbol, row] of db) {
    if (!broker.has(symbol) && row.quantity !== 0) violations.push({ invariant: 'dbEqualsBroker', tradingDay, detail: `${symbol}: DB row ${row.id} (${row.status}, ${row.quantity}) but the bots hold nothing at the broker` });
  }
  return violations;
}

/**
 * After the close and its reconciliation: no position of the bots at the broker (the foreign holdings
 * stay: the account is not flat, the bots are), no active rows, no working order of a bot.
 */
export function flatAfterCloseViolations(tradingDay: string, positions: readonly SimPositionView[], active: readonly ActiveRowView[], orders: readonly SimOrderView[], book: Pick<ForeignBook, 'botQuantity'>): Violation[] {
  const violations: Violation[] = [];
  const open = positions.filter((p) => book.botQuantity(p) !== 0);
  if (open.length) violations.push({ invariant: 'flatAfterClose', tradingDay, detail: `the bots still hold ${open.map((p) => `${p.symbol}:${book.botQuantity(p)}${book.botQuantity(p) !== p.quantity ? ` (of ${p.quantity})` : ''}`).join(', ')} after the close` });
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
