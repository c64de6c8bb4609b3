import type { SystemHarness } from '../harness/system-harness';
import { nextTradingDay, sessionHours, tradingDayOnOrAfter } from '../../shared/time/trading-calendar';
import { isApiClient, isWorkingOrder, type SimStateView } from './broker-state';
import type { ForeignBook } from './foreign-book';
import {
  dbBrokerViolations, flatAfterCloseViolations, ledgerViolations, orderViolations, reentryViolations,
  type ActiveRowView, type ClosedRowView, type TradeRowView, type Violation,
} from './invariants';
import { pollUntil } from './process-control';
import { botPositionIds, correctionViolations, foreignViolations, workingEntryAfterCloseViolations } from './realism-invariants';
import type { DayReport } from './summary';
import type { SystemMonitor } from './system-monitor';

/** Faults start this long after the open (the first scan runs at 09:35) ... */
export const WINDOW_AFTER_OPEN_MIN = 6;
/** ... and stop this long before the close, so the EOD flatten (10 min before) is not what is tested. */
export const WINDOW_BEFORE_CLOSE_MIN = 20;

/** The trading days the compressed clock plays, from the first one on or after startDay. */
export function tradingDays(startDay: string, count: number): string[] {
  const days = [tradingDayOnOrAfter(startDay)];
  while (days.length < count) days.push(nextTradingDay(days[days.length - 1]!));
  return days;
}

/** Market-time window in which faults are injected on a day (shorter on a 13:00 early close). */
export function faultWindow(day: string): { startMs: number; endMs: number } {
  const hours = sessionHours(day)!;
  return { startMs: hours.openMs + WINDOW_AFTER_OPEN_MIN * 60_000, endMs: hours.closeMs - WINDOW_BEFORE_CLOSE_MIN * 60_000 };
}

export interface DbSnapshot {
  trades: TradeRowView[];
  closed: ClosedRowView[];
  active: ActiveRowView[];
}

export function readDb(system: SystemHarness): DbSnapshot {
  return {
    trades: system.query<TradeRowView>('SELECT exec_id, exec_base, position_id, symbol, side, quantity, price, purpose, trading_day, executed_at, client_id FROM trades'),
    closed: system.query<ClosedRowView>(`SELECT symbol, close_date, position_id, exit_reason, timestamp FROM closed_positions_today
      UNION ALL SELECT symbol, close_date, position_id, exit_reason, timestamp FROM closed_positions_archive`),
    active: system.query<ActiveRowView>('SELECT id, symbol, quantity, status FROM active_positions'),
  };
}

/** Every DB-against-broker invariant on one consistent pair of snapshots (corrections strictly: the books have settled). */
export function ledgerAndOrderChecks(state: SimStateView, db: DbSnapshot, book: ForeignBook): Violation[] {
  const usStocks = new Set(state.positions.map((p) => p.symbol));
  return [
    ...orderViolations(state.orders, state.executions, db.trades),
    ...reentryViolations(db.closed, state.executions, db.trades),
    ...workingEntryAfterCloseViolations(state.orders, new Set(db.closed.map((r) => r.position_id))),
    ...ledgerViolations(state.executions, db.trades),
    ...correctionViolations(state.executions, db.trades),
    ...foreignViolations({ book, positions: state.positions, reported: state.reportedPositions, orders: state.orders, botPositionIds: botPositionIds(state.executions, db.trades), usStockSymbols: usStocks }),
  ];
}

/** No position of the bots, no active row, no working order of a bot: what "flat" means beside foreign holdings. */
export function botsFlat(state: SimStateView, activeRows: number, book: ForeignBook): boolean {
  return state.positions.every((p) => book.botQuantity(p) === 0) && activeRows === 0 && !state.orders.some((o) => isApiClient(o) && isWorkingOrder(o));
}

/**
 * After a day's close: waits for the post-close reconciliation (scheduled by the supervisor) and for the
 * books to settle, then checks the account is flat, the DB agrees, every fill is booked once.
 */
export async function checkDayEnd(system: SystemHarness, monitor: SystemMonitor, day: string, deadlineRealMs: number): Promise<{ report: DayReport; violations: Violation[] }> {
  const reconciliation = await pollUntil(() => system.query<{ status: string }>("SELECT status FROM reconciliation_log WHERE trading_day = ? AND trigger LIKE 'schedule:%' ORDER BY id DESC LIMIT 1", day)[0], Math.max(1_000, deadlineRealMs - Date.now()), 250);
  // Let the last cancels and commissions land, but never into the next day's trading.
  // Corrections trail their fills by up to seconds and are booked after them.
  const book = monitor.book;
  await pollUntil(async () => {
    const state = await monitor.fetchState();
    const db = readDb(system);
    return botsFlat(state, db.active.length, book) && correctionViolations(state.executions, db.trades).length === 0;
  }, Math.max(0, Math.min(5_000, deadlineRealMs - Date.now())), 200);
  const state = await monitor.fetchState();
  const db = readDb(system);
  const violations = [
    ...(reconciliation ? [] : [{ invariant: 'flatAfterClose' as const, tradingDay: day, detail: `no post-close reconciliation ran for ${day}` }]),
    ...flatAfterCloseViolations(day, state.positions, db.active, state.orders, book),
    ...dbBrokerViolations(db.active, state.positions, book, day),
    ...ledgerAndOrderChecks(state, db, book),
  ];
  const closedToday = db.closed.filter((r) => r.close_date === day);
  const report: DayReport = {
    tradingDay: day,
    postCloseReconciliation: reconciliation?.status ?? null,
    flatAfterClose: botsFlat(state, db.active.length, book),
    foreignHeld: state.positions.filter((p) => p.quantity !== 0 && book.botQuantity(p) !== p.quantity).map((p) => `${p.symbol} ${p.quantity}`).join(', '),
    entries: new Set(db.trades.filter((t) => t.trading_day === day && t.purpose === 'ENTRY').map((t) => t.position_id)).size,
    closed: closedToday.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.exit_reason]: (acc[r.exit_reason] ?? 0) + 1 }), {}),
    violations: violations.length,
  };
  return { report, violations };
}
