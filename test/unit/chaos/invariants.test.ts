import type { SimExecutionView, SimOrderView } from '../../../scripts/chaos/broker-state';
import {
  dbBrokerViolations, dedupe, duplicateOrderRefs, flatAfterCloseViolations, ledgerViolations, orderViolations, reentryViolations, shortPositions,
  type ClosedRowView, type TradeRowView,
} from '../../../scripts/chaos/invariants';

const DAY = '2026-11-23';
const A = 'P-20261123-ABC-0a1b2c';
const B = 'P-20261123-ABC-ffffff';

function exec(execId: string, orderRef: string, fields: Partial<SimExecutionView> = {}): SimExecutionView {
  return { execId, clientId: 11, orderId: 1, symbol: 'ABC', side: 'BOT', shares: 100, price: 10, timeMs: Date.parse('2026-11-23T15:00:00Z'), tradingDay: DAY, orderRef, ...fields };
}
function trade(execId: string, positionId: string, fields: Partial<TradeRowView> = {}): TradeRowView {
  return { exec_id: execId, position_id: positionId, symbol: 'ABC', side: 'BUY', quantity: 100, purpose: 'ENTRY', trading_day: DAY, executed_at: '2026-11-23T15:00:00.000Z', client_id: 11, ...fields };
}
function order(orderRef: string, fields: Partial<SimOrderView> = {}): SimOrderView {
  return { clientId: 12, orderId: 1, permId: 1, symbol: 'ABC', action: 'SELL', totalQuantity: 100, filled: 0, orderType: 'STP', status: 'Submitted', orderRef, tradingDay: DAY, ...fields };
}

describe('chaos invariants', () => {
  it('find an orderRef sent twice by an API client, not by hand', () => {
    expect(duplicateOrderRefs([order(`${A}:SL:1`), order(`${A}:SL:1`, { orderId: 2, status: 'Cancelled' }), order(`${A}:TP:1`)])).toEqual([`${A}:SL:1`]);
    expect(duplicateOrderRefs([order('manual-tws', { clientId: 0 }), order('manual-tws', { clientId: 0 })])).toEqual([]);
    expect(orderViolations([order(`${A}:SL:1`), order(`${A}:SL:1`)], [], [])).toEqual([expect.objectContaining({ invariant: 'noDuplicateOrders', detail: expect.stringMatching(/sent 2 times/) })]);
  });

  it('find a symbol entered twice on a day, at the broker and in trades', () => {
    const executions = [exec('e1', A), exec('e2', B)];
    const violations = orderViolations([], executions, [trade('e1', A), trade('e2', B)]);
    expect(violations.map((v) => v.invariant)).toEqual(['noSymbolHeldTwice', 'noSymbolHeldTwice']);
    // Two fills of ONE entry order, or the same symbol on another day, are fine.
    expect(orderViolations([], [exec('e1', A), exec('e3', A, { shares: 50 }), exec('e4', B, { tradingDay: '2026-11-24' })], [])).toEqual([]);
  });

  it('find an entry after the symbol closed that day', () => {
    const closed: ClosedRowView[] = [{ symbol: 'ABC', close_date: DAY, position_id: A, exit_reason: 'STOP_LOSS', timestamp: '2026-11-23T16:00:00.000Z' }];
    const later = exec('e2', B, { timeMs: Date.parse('2026-11-23T17:00:00Z') });
    expect(reentryViolations(closed, [exec('e1', A), later], [trade('e2', B, { executed_at: '2026-11-23T17:00:00.000Z' })]).map((v) => v.invariant)).toEqual(['noReentryAfterClose', 'noReentryAfterClose']);
    expect(reentryViolations(closed, [later], []).length).toBe(1);
    expect(reentryViolations(closed, [exec('e5', B, { tradingDay: '2026-11-24', timeMs: Date.parse('2026-11-24T15:00:00Z') })], [])).toEqual([]);
  });

  it('require every API execution booked exactly once and nothing booked the broker never did', () => {
    const executions = [exec('e1', A), exec('e2', `${A}:SL:1`, { clientId: 12, side: 'SLD' }), exec('m1', 'manual-tws', { clientId: 0, side: 'SLD' })];
    expect(ledgerViolations(executions, [trade('e1', A), trade('e2', A, { purpose: 'EXIT' })])).toEqual([]);
    // A manual execution booked as RECONCILED_FLAT is allowed; a missing one and a phantom are not.
    expect(ledgerViolations(executions, [trade('e1', A), trade('e2', A), trade('m1', A)])).toEqual([]);
    const problems = ledgerViolations(executions, [trade('e1', A), trade('ghost', A)]);
    expect(problems.map((p) => p.detail)).toEqual([expect.stringMatching(/e2 .*booked 0 times/), expect.stringMatching(/ghost that the broker never executed/)]);
  });

  it('compare the DB with the broker symbol by symbol', () => {
    expect(dbBrokerViolations([{ id: A, symbol: 'ABC', quantity: 100, status: 'PROTECTED' }], [{ symbol: 'ABC', quantity: 100, averageCost: 1 }])).toEqual([]);
    const problems = dbBrokerViolations([{ id: A, symbol: 'ABC', quantity: 50, status: 'PROTECTED' }, { id: B, symbol: 'OLD', quantity: 10, status: 'OPEN' }], [
      { symbol: 'ABC', quantity: 100, averageCost: 1 }, { symbol: 'NEW', quantity: 5, averageCost: 1 },
    ]);
    expect(problems.map((p) => p.detail)).toEqual([
      expect.stringMatching(/ABC: broker holds 100, DB row .* says 50/), expect.stringMatching(/NEW: broker holds 5, the DB has no active row/), expect.stringMatching(/OLD: .*the broker holds nothing/),
    ]);
  });

  it('require flat books after the close: no position, no active row, no working order', () => {
    expect(flatAfterCloseViolations(DAY, [], [], [order(`${A}:SL:1`, { status: 'Cancelled' })])).toEqual([]);
    const problems = flatAfterCloseViolations(DAY, [{ symbol: 'ABC', quantity: 100, averageCost: 1 }], [{ id: A, symbol: 'ABC', quantity: 100, status: 'PROTECTED' }], [order(`${A}:SL:1`)]);
    expect(problems).toHaveLength(3);
    expect(problems.every((p) => p.invariant === 'flatAfterClose' && p.tradingDay === DAY)).toBe(true);
  });

  it('flag a short position and report each violation once', () => {
    expect(shortPositions([{ symbol: 'ABC', quantity: -10, averageCost: 1 }, { symbol: 'XYZ', quantity: 5, averageCost: 1 }])).toEqual([{ symbol: 'ABC', quantity: -10, averageCost: 1 }]);
    expect(dedupe([{ invariant: 'integrity', detail: 'x' }, { invariant: 'integrity', detail: 'x', atRealMs: 5 }])).toHaveLength(1);
  });
});
