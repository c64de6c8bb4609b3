import type { SimExecutionView, SimOrderView } from '../../../scripts/chaos/broker-state';
import { isEntryRef, legOf, positionIdOf } from '../../../scripts/chaos/broker-state';
import { ForeignBook, floorFromSeedLine } from '../../../scripts/chaos/foreign-book';
import {
  dbBrokerViolations, dedupe, duplicateOrderRefs, flatAfterCloseViolations, ledgerViolations, orderViolations, reentryViolations, shortPositions,
  type ClosedRowView, type TradeRowView,
} from '../../../scripts/chaos/invariants';

const DAY = '2026-11-23';
const A = 'P-20261123-ABC-0a1b2c';
const B = 'P-20261123-ABC-ffffff';
const noForeign = new ForeignBook('ignore', { floor: {}, statics: [] });

function exec(execId: string, orderRef: string, fields: Partial<SimExecutionView> = {}): SimExecutionView {
  return { execId, clientId: 11, orderId: 1, symbol: 'ABC', side: 'BOT', shares: 100, price: 10, timeMs: Date.parse('2026-11-23T15:00:00Z'), tradingDay: DAY, orderRef, ...fields };
}
function trade(execId: string, positionId: string, fields: Partial<TradeRowView> = {}): TradeRowView {
  return { exec_id: execId, exec_base: null, position_id: positionId, symbol: 'ABC', side: 'BUY', quantity: 100, price: 10, purpose: 'ENTRY', trading_day: DAY, executed_at: '2026-11-23T15:00:00.000Z', client_id: 11, ...fields };
}
function order(orderRef: string, fields: Partial<SimOrderView> = {}): SimOrderView {
  return { clientId: 12, orderId: 1, permId: 1, symbol: 'ABC', action: 'SELL', totalQuantity: 100, filled: 0, orderType: 'STP', status: 'Submitted', orderRef, tradingDay: DAY, ...fields };
}

describe('order refs', () => {
  it('read entries, legs and position ids, share classes (BRK_B) included', () => {
    expect(isEntryRef('P-20261123-BRK_B-0a1b2c')).toBe(true);
    expect(isEntryRef('A-20261123-BRK.A-0a1b2c')).toBe(true);
    expect(isEntryRef('P-20261123-BRK_B-0a1b2c:SL:1')).toBe(false);
    expect(isEntryRef('manual-tws')).toBe(false);
    expect(legOf('P-20261123-BRK_B-0a1b2c:TP:3')).toBe('TP');
    expect(legOf('P-20261123-BRK_B-0a1b2c:X-EOD_LIQUIDATION:4')).toBe('EXIT');
    expect(positionIdOf('P-20261123-BRK_B-0a1b2c:SL:2')).toBe('P-20261123-BRK_B-0a1b2c');
    expect(positionIdOf('LIQ-1')).toBeUndefined();
  });
});

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

  it('find an entry after the symbol closed that day, share classes included', () => {
    const closed: ClosedRowView[] = [{ symbol: 'ABC', close_date: DAY, position_id: A, exit_reason: 'STOP_LOSS', timestamp: '2026-11-23T16:00:00.000Z' }];
    const later = exec('e2', B, { timeMs: Date.parse('2026-11-23T17:00:00Z') });
    expect(reentryViolations(closed, [exec('e1', A), later], [trade('e2', B, { executed_at: '2026-11-23T17:00:00.000Z' })]).map((v) => v.invariant)).toEqual(['noReentryAfterClose', 'noReentryAfterClose']);
    expect(reentryViolations(closed, [later], []).length).toBe(1);
    expect(reentryViolations(closed, [exec('e5', B, { tradingDay: '2026-11-24', timeMs: Date.parse('2026-11-24T15:00:00Z') })], [])).toEqual([]);
    const brk: ClosedRowView[] = [{ symbol: 'BRK B', close_date: DAY, position_id: 'P-20261123-BRK_B-0a1b2c', exit_reason: 'STOP_LOSS', timestamp: '2026-11-23T16:00:00.000Z' }];
    expect(reentryViolations(brk, [exec('e9', 'P-20261123-BRK_B-ffffff', { symbol: 'BRK B', timeMs: Date.parse('2026-11-23T17:00:00Z') })], [])).toHaveLength(1);
  });

  it('require every API execution booked exactly once and nothing booked the broker never did', () => {
    const executions = [exec('e1', A), exec('e2', `${A}:SL:1`, { clientId: 12, side: 'SLD' }), exec('m1', 'manual-tws', { clientId: 0, side: 'SLD' })];
    expect(ledgerViolations(executions, [trade('e1', A), trade('e2', A, { purpose: 'EXIT' })])).toEqual([]);
    // A manual execution booked as RECONCILED_FLAT is allowed; a missing one and a phantom are not.
    expect(ledgerViolations(executions, [trade('e1', A), trade('e2', A), trade('m1', A)])).toEqual([]);
    const problems = ledgerViolations(executions, [trade('e1', A), trade('ghost', A)]);
    expect(problems.map((p) => p.detail)).toEqual([expect.stringMatching(/e2 .*booked 0 times/), expect.stringMatching(/ghost that the broker never executed/)]);
  });

  it('count executions by base id: a correction replaces its execution, and the row must carry the latest version', () => {
    const corrected = [exec('0000sim.1f.000001.02', A, { price: 10.01 })];
    expect(ledgerViolations(corrected, [trade('0000sim.1f.000001.02', A, { exec_base: '0000sim.1f.000001', price: 10.01 })])).toEqual([]);
    // Booked as the first version only: once, but stale.
    expect(ledgerViolations(corrected, [trade('0000sim.1f.000001.01', A, { exec_base: '0000sim.1f.000001' })]).map((v) => v.detail)).toEqual([expect.stringMatching(/booked as 0000sim.1f.000001.01, not its latest version/)]);
    // Booked twice, once per version (the correction added as a second fill): a double booking.
    const twice = ledgerViolations(corrected, [trade('0000sim.1f.000001.01', A), trade('0000sim.1f.000001.02', A)]);
    expect(twice.map((v) => v.invariant)).toEqual(['executionsBookedOnce', 'executionsBookedOnce']);
    expect(twice[0]!.detail).toMatch(/booked 2 times/);
  });

  it('compare the DB with the bots\' part of the broker\'s positions, symbol by symbol', () => {
    expect(dbBrokerViolations([{ id: A, symbol: 'ABC', quantity: 100, status: 'PROTECTED' }], [{ symbol: 'ABC', quantity: 100, averageCost: 1 }], noForeign)).toEqual([]);
    const problems = dbBrokerViolations([{ id: A, symbol: 'ABC', quantity: 50, status: 'PROTECTED' }, { id: B, symbol: 'OLD', quantity: 10, status: 'OPEN' }], [
      { symbol: 'ABC', quantity: 100, averageCost: 1 }, { symbol: 'NEW', quantity: 5, averageCost: 1 },
    ], noForeign);
    expect(problems.map((p) => p.detail)).toEqual([
      expect.stringMatching(/ABC: the bots hold 100 at the broker, DB row .* says 50/), expect.stringMatching(/NEW: the bots hold 5 at the broker, the DB has no active row/), expect.stringMatching(/OLD: .*the bots hold nothing/),
    ]);
  });

  it('leave out of the DB comparison what the bots do not own: the long-held stock, the share class, shares bought by hand', () => {
    const book = new ForeignBook('ignore', { floor: { UMBR: 100, 'BRK B': 15 }, statics: [] });
    book.recordManualOpen('DRFT', 13);
    const positions = [{ symbol: 'UMBR', quantity: 160, averageCost: 1 }, { symbol: 'BRK B', quantity: 15, averageCost: 1 }, { symbol: 'DRFT', quantity: 13, averageCost: 1 }];
    expect(dbBrokerViolations([{ id: A, symbol: 'UMBR', quantity: 60, status: 'PROTECTED' }], positions, book)).toEqual([]);
    expect(dbBrokerViolations([], positions, book).map((v) => v.detail)).toEqual([expect.stringMatching(/UMBR: the bots hold 60 at the broker \(of 160; 100 foreign\), the DB has no active row/)]);
    // Under adopt the bots own whatever they adopted: nothing is left out.
    expect(dbBrokerViolations([], positions, new ForeignBook('adopt', book.baseline))).toHaveLength(3);
  });

  it('require the bots flat after the close (foreign holdings stay): no position of theirs, no active row, no working order', () => {
    const book = new ForeignBook('ignore', { floor: { UMBR: 100 }, statics: [] });
    expect(flatAfterCloseViolations(DAY, [{ symbol: 'UMBR', quantity: 100, averageCost: 1 }], [], [order(`${A}:SL:1`, { status: 'Cancelled' })], book)).toEqual([]);
    const problems = flatAfterCloseViolations(DAY, [{ symbol: 'ABC', quantity: 100, averageCost: 1 }, { symbol: 'UMBR', quantity: 130, averageCost: 1 }], [{ id: A, symbol: 'ABC', quantity: 100, status: 'PROTECTED' }], [order(`${A}:SL:1`)], book);
    expect(problems).toHaveLength(3);
    expect(problems[0]!.detail).toMatch(/ABC:100, UMBR:30 \(of 130\)/);
    expect(problems.every((p) => p.invariant === 'flatAfterClose' && p.tradingDay === DAY)).toBe(true);
  });

  it('flag a position below what the account held before any bot traded, and report each violation once', () => {
    expect(shortPositions([{ symbol: 'ABC', quantity: -10, averageCost: 1 }, { symbol: 'XYZ', quantity: 5, averageCost: 1 }])).toEqual([{ symbol: 'ABC', quantity: -10, averageCost: 1 }]);
    const floor = floorFromSeedLine({ stock: { symbol: 'UMBR', quantity: 100 }, shareClass: { symbol: 'BRK B', quantity: 15 } });
    expect(floor).toEqual({ UMBR: 100, 'BRK B': 15 });
    expect(shortPositions([{ symbol: 'UMBR', quantity: 90, averageCost: 1 }, { symbol: 'BRK B', quantity: 15, averageCost: 1 }], (s) => floor[s] ?? 0).map((p) => p.symbol)).toEqual(['UMBR']);
    expect(dedupe([{ invariant: 'integrity', detail: 'x' }, { invariant: 'integrity', detail: 'x', atRealMs: 5 }])).toHaveLength(1);
  });
});
