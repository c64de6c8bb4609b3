import { executionBase, executionVersion } from '../../shared/db/execution-ids';
import {
  isApiClient, isEntryRef, isWorkingOrder, positionIdOf, type ExposureIntervalView, type ExposureView, type ReportedPositionView,
  type SimExecutionView, type SimOrderView, type SimPositionView,
} from './broker-state';
import { isUsdStock, type ForeignBook } from './foreign-book';
import { baseOfRow, type TradeRowView, type Violation } from './invariants';

/** An exposure interval of the simulator, with its length so far (open intervals grow until they close). */
export interface ExposureSighting extends ExposureIntervalView {
  lengthMs: number;
  open: boolean;
}

/** Every interval in one exposure report (closed ones and those still open), with their lengths. */
export function exposureSightings(report: ExposureView | undefined): ExposureSighting[] {
  if (!report) return [];
  return [
    ...report.intervals.map((i) => ({ ...i, lengthMs: i.endRealMs - i.startRealMs, open: false })),
    ...report.open.map((i) => ({ ...i, lengthMs: i.endRealMs - i.startRealMs, open: true })),
  ];
}

/**
 * "Never past flat at any instant": the simulator checks after every engine step whether the API clients'
 * working sell orders could trade more than the account may sell (its position minus the seeded foreign
 * floor). Any such interval not caused by a trade done by hand is a violation: its longest must be 0.
 */
export function exposureViolations(sightings: readonly ExposureSighting[]): Violation[] {
  return sightings.filter((s) => !s.afterManualTrade && s.lengthMs > 0).map((s) => ({
    invariant: 'neverPastFlat' as const, atRealMs: s.startRealMs,
    detail: `${s.symbol}: API sell orders could trade ${s.excessShares} share(s) more than the account may sell, for ${s.lengthMs} ms${s.open ? ' (still open)' : ''} from ${new Date(s.startRealMs).toISOString()}${describeStart(s.atStart)}`,
  }));
}

/** The position and the sell orders working when the interval opened, so one sighting is enough to find its cause. */
function describeStart(atStart: ExposureSighting['atStart']): string {
  if (!atStart) return '';
  const sells = atStart.sells.map((o) => `#${o.orderId}/c${o.clientId} ${o.orderType} ${o.filled}/${o.totalQuantity} ${o.status}${o.ocaGroup ? ` oca ${o.ocaGroup}` : ''} ref ${o.orderRef} age ${o.ageMs} ms`);
  return `; at start: position ${atStart.position}, floor ${atStart.floor}, sells [${sells.join('; ')}]`;
}

/** Key of an instrument that never trades here (an option, the EUR stock). */
function staticKey(h: Pick<ReportedPositionView, 'conId' | 'symbol' | 'secType' | 'currency'>): string {
  return `${h.conId}:${h.symbol}:${h.secType}:${h.currency}`;
}

/**
 * Foreign holdings untouched, from the simulator's books:
 * - the holdings that are not US stocks (options, the EUR stock) are reported with their seeded quantities;
 * - the true position of each stock never goes below the shares the policy leaves alone (the long-held
 *   stock, the share class, shares the harness bought by hand): the bots never sold them;
 * - no order of a bot client names a non-US holding's symbol (the EUR stock), and under the ignore policy no
 *   bot sells a foreign stock for a position that never bought anything (an adoption of foreign shares).
 * `botPositionIds` are the ids with a bot entry (a BUY of an API client booked or executed for them).
 */
export function foreignViolations(input: {
  book: ForeignBook;
  positions: readonly SimPositionView[];
  reported: readonly ReportedPositionView[] | undefined;
  orders: readonly SimOrderView[];
  botPositionIds: ReadonlySet<string>;
  usStockSymbols: ReadonlySet<string>;
  /** The snapshot's executions: purchases by hand count once the snapshot shows them (omit after the fact). */
  executions?: readonly SimExecutionView[];
}): Violation[] {
  const { book } = input;
  const violations: Violation[] = [];
  if (input.reported) {
    const now = new Map(input.reported.filter((h) => !isUsdStock(h)).map((h) => [staticKey(h), h.quantity]));
    for (const held of book.baseline.statics) {
      const quantity = now.get(staticKey(held)) ?? 0;
      if (quantity !== held.quantity) violations.push({ invariant: 'foreignUntouched', detail: `${held.symbol} ${held.secType} ${held.currency} (conId ${held.conId}): held ${held.quantity}, the broker now reports ${quantity}` });
    }
    for (const [key, quantity] of now) {
      if (!book.baseline.statics.some((h) => staticKey(h) === key)) violations.push({ invariant: 'foreignUntouched', detail: `a new non-US-stock holding appeared: ${key} ${quantity}` });
    }
  }
  const truth = new Map(input.positions.map((p) => [p.symbol, p.quantity]));
  for (const symbol of book.foreignStockSymbols()) {
    const ignored = book.ignoredOf(symbol, input.executions);
    const held = truth.get(symbol) ?? 0;
    if (ignored > 0 && held < ignored) {
      violations.push({ invariant: 'foreignUntouched', detail: `${symbol}: the account holds ${held}, below the ${ignored} foreign share(s) the bots must leave alone (floor ${book.floorOf(symbol)}, bought by hand ${book.manualOpenOf(symbol, input.executions)})` });
    }
  }
  const staticOnly = new Set(book.staticOnlySymbols(input.usStockSymbols));
  const foreignStocks = new Set(book.policy === 'ignore' ? book.foreignStockSymbols() : []);
  for (const order of input.orders.filter(isApiClient)) {
    if (staticOnly.has(order.symbol)) {
      violations.push({ invariant: 'foreignUntouched', detail: `client ${order.clientId} sent ${order.action} ${order.totalQuantity} ${order.symbol} (${order.orderRef}): a holding that is not a US stock` });
      continue;
    }
    if (!foreignStocks.has(order.symbol) || order.action !== 'SELL') continue;
    const positionId = positionIdOf(order.orderRef);
    if (!positionId || !input.botPositionIds.has(positionId)) {
      violations.push({ invariant: 'foreignUntouched', detail: `client ${order.clientId} sent SELL ${order.totalQuantity} ${order.symbol} (${order.orderRef || 'no ref'}) for shares no bot bought: foreign holdings are left alone (FOREIGN_POSITIONS=ignore)` });
    }
  }
  return violations;
}

/** Position ids that bought something: a BUY execution of an API client at the broker or a BUY booked for them. */
export function botPositionIds(executions: readonly SimExecutionView[], trades: readonly Pick<TradeRowView, 'position_id' | 'side' | 'client_id'>[]): Set<string> {
  const ids = new Set<string>();
  for (const e of executions) if (isApiClient(e) && e.side === 'BOT' && isEntryRef(e.orderRef)) ids.add(e.orderRef);
  for (const t of trades) if (t.position_id && t.side === 'BUY' && t.client_id !== 0 && t.client_id !== null) ids.add(t.position_id);
  return ids;
}

/** No working BUY order of a bot whose ref is a position id (an entry) for a position already closed. */
export function workingEntryAfterCloseViolations(orders: readonly SimOrderView[], closedPositionIds: ReadonlySet<string>): Violation[] {
  return orders.filter((o) => isApiClient(o) && isWorkingOrder(o) && o.action === 'BUY' && isEntryRef(o.orderRef) && closedPositionIds.has(o.orderRef)).map((o) => ({
    invariant: 'noEntryAfterClose' as const, tradingDay: o.tradingDay,
    detail: `entry ${o.orderRef} (client ${o.clientId}, ${o.orderType} BUY ${o.totalQuantity - o.filled} ${o.symbol}) still works at the broker after its position closed`,
  }));
}

/**
 * Every corrected execution (version above 01) of an API client is booked once, the trades row of its base
 * carrying the corrected id and price. `graceMs`: corrections newer than this (real ms, by the fill's
 * gateway stamp) may still be on their way to the ledger.
 */
export function correctionViolations(executions: readonly SimExecutionView[], trades: readonly TradeRowView[], options: { nowMs?: number; graceMs?: number; correctedAtMs?: (execId: string) => number | undefined } = {}): Violation[] {
  const rows = new Map<string, TradeRowView[]>();
  for (const t of trades) rows.set(baseOfRow(t), [...(rows.get(baseOfRow(t)) ?? []), t]);
  const violations: Violation[] = [];
  for (const e of executions) {
    if (!isApiClient(e) || executionVersion(e.execId) <= 1) continue;
    const since = options.correctedAtMs?.(e.execId) ?? e.realMs;
    if (options.nowMs !== undefined && options.graceMs !== undefined && since !== undefined && options.nowMs - since < options.graceMs) continue;
    const booked = rows.get(executionBase(e.execId)) ?? [];
    const what = `corrected execution ${e.execId} (${e.symbol} ${e.side} ${e.shares} @ ${e.price}, ref ${e.orderRef})`;
    if (booked.length !== 1) violations.push({ invariant: 'correctionsBookedOnce', tradingDay: e.tradingDay, detail: `${what}: ${booked.length} trades rows for its base` });
    else if (booked[0]!.exec_id !== e.execId || Math.abs(booked[0]!.price - e.price) > 1e-6) violations.push({ invariant: 'correctionsBookedOnce', tradingDay: e.tradingDay, detail: `${what}: booked as ${booked[0]!.exec_id} @ ${booked[0]!.price}` });
  }
  return violations;
}
