import { brokerCap, coverTarget, planProtection, type OwnOrder, type PlanInput } from '../../../apps/exit-manager/protection-plan';
import { heldQuantity } from '../../../apps/exit-manager/held-quantity';
import { maxTradable, pastFlatProblem } from '../../../apps/exit-manager/sell-exposure';
import { timeBasedExit, trailingLevel, trailingTriggered } from '../../../apps/exit-manager/exit-rules';
import { loadConfig } from '../../../shared/config/load-config';
import type { ActivePosition } from '../../../shared/db/types';
import { newYorkTime } from '../../../shared/time/trading-calendar';

const row: ActivePosition = {
  id: 'P-20261123-ABC-aaaaaa', symbol: 'ABC', quantity: 100, entryPrice: 50, entryTimestamp: '2026-11-23T15:00:00.000Z', agentName: 'gap-momentum',
  profitTargetPrice: null, stopLossPrice: null, status: 'OPEN', tradingDay: '2026-11-23', entryOrderRef: 'P-20261123-ABC-aaaaaa', entryOrderId: 1,
  requestedQuantity: 100, ocaGroup: null, stopOrderId: null, targetOrderId: null, protectedQuantity: 0, exitReason: null, claimedAt: '', lastUpdated: '', metadata: {},
  conId: null, entryReported: 100, entryBooked: 100, entryWorking: false,
};
const group1 = `${row.id}:OCA:1`;
const leg = (kind: 'SL' | 'TP' | 'EXIT', orderId: number, extra: Partial<OwnOrder> = {}): OwnOrder => ({
  orderId, orderRef: `${row.id}:${kind}:1`, positionId: row.id, leg: kind, symbol: 'ABC', side: 'SELL', quantity: 100, filled: 0, ocaGroup: group1,
  stopPrice: kind === 'SL' ? 49.55 : undefined, limitPrice: kind === 'TP' ? 50.9 : undefined, sequence: 1, pending: false, ...extra,
});
const plan = (overrides: Partial<PlanInput>) =>
  planProtection({ symbol: 'ABC', row, held: 100, brokerCap: undefined, settled: false, orders: [], stopLossPct: 0.9, takeProfitPct: 1.8, ...overrides });

describe('protection planning', () => {
  it('places one OCA pair at -0.9% / +1.8% for the shares we hold, whatever the lagging broker report says', () => {
    expect(plan({})).toEqual([{ kind: 'place_pair', positionId: row.id, symbol: 'ABC', side: 'SELL', quantity: 100, stopPrice: 49.55, targetPrice: 50.9 }]);
    // An unsettled broker report (still 0, or still the old size) changes nothing: our own fills decide.
    expect(plan({ held: 60 })).toEqual([{ kind: 'place_pair', positionId: row.id, symbol: 'ABC', side: 'SELL', quantity: 60, stopPrice: 49.55, targetPrice: 50.9 }]);
  });

  it('uses the stop and target the row carries (set from the real fill price)', () => {
    expect(plan({ row: { ...row, stopLossPrice: 49, profitTargetPrice: 52 } })).toEqual([
      { kind: 'place_pair', positionId: row.id, symbol: 'ABC', side: 'SELL', quantity: 100, stopPrice: 49, targetPrice: 52 },
    ]);
  });

  it('rebases levels that sit on the wrong side of our own entry (set from a stale pre-trade quote) on the entry price', () => {
    // Claimed off a 15-minute-old quote of 55 (stop 54.50, target 56), bought at 50: a stop at 54.50 is through the market.
    expect(plan({ row: { ...row, stopLossPrice: 54.5, profitTargetPrice: 56 } })).toEqual([
      { kind: 'place_pair', positionId: row.id, symbol: 'ABC', side: 'SELL', quantity: 100, stopPrice: 49.55, targetPrice: 50.9 },
    ]);
    expect(plan({ row: { ...row, stopLossPrice: 44, profitTargetPrice: 45 } })).toEqual([ // a target below the entry is as wrong
      { kind: 'place_pair', positionId: row.id, symbol: 'ABC', side: 'SELL', quantity: 100, stopPrice: 49.55, targetPrice: 50.9 },
    ]);
  });

  it('closes at market instead of placing a pair whose stop is already through the market', () => {
    expect(plan({ marketPrice: 49.4 })).toEqual([{ kind: 'exit_now', positionId: row.id, symbol: 'ABC', reason: 'STOP_LOSS', stopPrice: 49.55, marketPrice: 49.4 }]);
    expect(plan({ marketPrice: 49.55 })).toEqual([{ kind: 'exit_now', positionId: row.id, symbol: 'ABC', reason: 'STOP_LOSS', stopPrice: 49.55, marketPrice: 49.55 }]);
    expect(plan({ marketPrice: 49.56 })).toEqual([{ kind: 'place_pair', positionId: row.id, symbol: 'ABC', side: 'SELL', quantity: 100, stopPrice: 49.55, targetPrice: 50.9 }]);
    expect(plan({ held: -100, marketPrice: 50.5 })).toEqual([{ kind: 'exit_now', positionId: row.id, symbol: 'ABC', reason: 'STOP_LOSS', stopPrice: 50.45, marketPrice: 50.5 }]);
  });

  it('protects a short the other way round', () => {
    expect(plan({ held: -100 })).toEqual([{ kind: 'place_pair', positionId: row.id, symbol: 'ABC', side: 'BUY', quantity: 100, stopPrice: 50.45, targetPrice: 49.1 }]);
  });

  it('does nothing but mark the row when exactly one right-sized pair exists', () => {
    expect(plan({ orders: [leg('SL', 11), leg('TP', 12)] })).toEqual([
      { kind: 'mark_protected', positionId: row.id, stopOrderId: 11, targetOrderId: 12, ocaGroup: group1, quantity: 100, stopPrice: 49.55, targetPrice: 50.9 },
    ]);
    const protectedRow = { ...row, status: 'PROTECTED' as const, stopOrderId: 11, targetOrderId: 12, protectedQuantity: 100 };
    expect(plan({ row: protectedRow, orders: [leg('SL', 11), leg('TP', 12)] })).toEqual([]);
  });

  it('never sends a second pair while the first is in flight', () => {
    expect(plan({ orders: [leg('SL', 11, { pending: true }), leg('TP', 12, { pending: true })] })).toEqual([
      { kind: 'mark_protected', positionId: row.id, stopOrderId: 11, targetOrderId: 12, ocaGroup: group1, quantity: 100, stopPrice: 49.55, targetPrice: 50.9 },
    ]);
  });

  it('replaces a missing leg inside the same OCA group at once when no leg has filled', () => {
    expect(plan({ orders: [leg('SL', 11)] })).toEqual([
      { kind: 'place_leg', positionId: row.id, symbol: 'ABC', leg: 'TP', side: 'SELL', quantity: 100, price: 50.9, ocaGroup: group1 },
    ]);
  });

  it('replaces a missing leg of a group that has filled only once nothing of ours is in flight', () => {
    const partlyFilled = [leg('SL', 11, { filled: 40, quantity: 100 })];
    expect(plan({ held: 60, orders: partlyFilled, settled: false })).toEqual([]);
    expect(plan({ held: 60, orders: partlyFilled, settled: true, brokerCap: 60 })).toEqual([
      { kind: 'place_leg', positionId: row.id, symbol: 'ABC', leg: 'TP', side: 'SELL', quantity: 60, price: 50.9, ocaGroup: group1 },
    ]);
  });

  it('grows protection by a NEW pair for the added shares, never by enlarging a working order', () => {
    // An order the broker may already have reduced (an OCA fill not yet reported) must never be modified up.
    expect(plan({ held: 150, orders: [leg('SL', 11), leg('TP', 12)] })).toEqual([
      { kind: 'place_pair', positionId: row.id, symbol: 'ABC', side: 'SELL', quantity: 50, stopPrice: 49.55, targetPrice: 50.9 },
    ]);
  });

  it('counts a partly filled pair by its remaining shares: no resize and no extra pair', () => {
    expect(plan({ held: 60, orders: [leg('SL', 11, { filled: 40 }), leg('TP', 12, { quantity: 60 })] })).toEqual([
      { kind: 'mark_protected', positionId: row.id, stopOrderId: 11, targetOrderId: 12, ocaGroup: group1, quantity: 60, stopPrice: 49.55, targetPrice: 50.9 },
    ]);
  });

  it('shrinks by reducing the newest group first when we hold fewer shares than are covered', () => {
    const group2 = `${row.id}:OCA:2`;
    const newer = [leg('SL', 21, { sequence: 2, ocaGroup: group2, quantity: 40, orderRef: `${row.id}:SL:2` }), leg('TP', 22, { sequence: 2, ocaGroup: group2, quantity: 40, orderRef: `${row.id}:TP:2` })];
    const orders = [leg('SL', 11), leg('TP', 12), ...newer];
    expect(plan({ held: 120, orders })).toEqual([
      { kind: 'reduce', order: expect.objectContaining({ orderId: 21 }), totalQuantity: 20, reason: 'held 120, covered 140' },
      { kind: 'reduce', order: expect.objectContaining({ orderId: 22 }), totalQuantity: 20, reason: 'held 120, covered 140' },
    ]);
    expect(plan({ held: 100, orders })).toEqual([
      { kind: 'cancel', order: expect.objectContaining({ orderId: 21 }), reason: 'covers 40 more than held' },
      { kind: 'cancel', order: expect.objectContaining({ orderId: 22 }), reason: 'covers 40 more than held' },
    ]);
  });

  it('caps coverage by the broker\'s last settled report moved by our own fills since', () => {
    expect(brokerCap(undefined, 100)).toBeUndefined();
    expect(brokerCap({ broker: 70, held: 100 }, 100)).toBe(70); // 30 sold by hand
    expect(brokerCap({ broker: 70, held: 100 }, 160)).toBe(130); // then we bought 60 more
    expect(brokerCap({ broker: 700, held: 600 }, 600)).toBe(700); // 100 foreign shares beside ours
    expect(coverTarget(100, 130)).toBe(100);
    expect(coverTarget(100, 70)).toBe(70);
    expect(coverTarget(100, -5)).toBe(0);
    expect(coverTarget(-100, -70)).toBe(70);
  });

  it('never covers more than the broker can hold (shares sold by hand)', () => {
    expect(plan({ orders: [leg('SL', 11), leg('TP', 12)], settled: true, brokerCap: 70 })).toEqual([
      { kind: 'reduce', order: expect.objectContaining({ orderId: 11 }), totalQuantity: 70, reason: 'held 70, covered 100' },
      { kind: 'reduce', order: expect.objectContaining({ orderId: 12 }), totalQuantity: 70, reason: 'held 70, covered 100' },
    ]);
    // The broker settled flat (or short): nothing of ours may sell any more.
    expect(plan({ orders: [leg('SL', 11), leg('TP', 12)], settled: true, brokerCap: 0 })).toEqual([
      { kind: 'cancel', order: expect.objectContaining({ orderId: 11 }), reason: 'covers 100 more than held' },
      { kind: 'cancel', order: expect.objectContaining({ orderId: 12 }), reason: 'covers 100 more than held' },
    ]);
  });

  it('cancels orphans of other positions and everything when we hold nothing', () => {
    const orphan = leg('SL', 31, { positionId: 'P-20261123-ABC-bbbbbb', orderRef: 'P-20261123-ABC-bbbbbb:SL:1', ocaGroup: 'x' });
    expect(plan({ orders: [leg('SL', 11), leg('TP', 12), orphan] })).toEqual([
      { kind: 'cancel', order: orphan, reason: 'belongs to no current position' },
    ]);
    expect(plan({ held: 0, orders: [leg('SL', 11), leg('TP', 12)] })).toEqual([
      { kind: 'cancel', order: expect.objectContaining({ orderId: 11 }), reason: 'position is flat' },
      { kind: 'cancel', order: expect.objectContaining({ orderId: 12 }), reason: 'position is flat' },
    ]);
    expect(plan({ row: undefined, held: 0, orders: [leg('SL', 11)] })).toEqual([
      { kind: 'cancel', order: expect.objectContaining({ orderId: 11 }), reason: 'belongs to no current position' },
    ]);
  });

  it('cancels duplicate legs inside a group, keeping the first', () => {
    const extra = leg('SL', 13, { orderRef: `${row.id}:SL:3`, sequence: 3 });
    expect(plan({ orders: [leg('SL', 11), leg('TP', 12), extra] })).toEqual([{ kind: 'cancel', order: extra, reason: 'duplicate leg' }]);
  });

  it('leaves a closing position alone (its exit joined the group)', () => {
    expect(plan({ orders: [leg('SL', 11), leg('TP', 12), leg('EXIT', 13)] })).toEqual([]);
  });
});

describe('our position from our own fills', () => {
  const exits = (...fills: Array<[string, number]>) => fills.map(([orderRef, quantity]) => ({ orderRef, side: 'SELL' as const, quantity }));

  it('counts what the broker reported before the executions arrived, on both sides', () => {
    // Entry: 600 reported by the order status, nothing booked yet.
    expect(heldQuantity({ ...row, quantity: 0, entryBooked: 0, entryReported: 600 }, [], new Map())).toBe(600);
    // The take-profit's status says 600 sold; its execution is still on its way.
    expect(heldQuantity({ ...row, quantity: 0, entryBooked: 0, entryReported: 600 }, [], new Map([[`${row.id}:TP:1`, 600]]))).toBe(0);
    // Booked and reported agree: counted once, not twice.
    expect(heldQuantity({ ...row, quantity: 0, entryBooked: 600, entryReported: 600 }, exits([`${row.id}:TP:1`, 600]), new Map([[`${row.id}:TP:1`, 600]]))).toBe(0);
    expect(heldQuantity({ ...row, quantity: 400, entryBooked: 600, entryReported: 600 }, exits([`${row.id}:TP:1`, 200]), new Map([[`${row.id}:SL:1`, 100]]))).toBe(300);
  });

  it('keeps an adopted short a short', () => {
    const adopted = { ...row, id: 'A-20261123-ABC-cccccc', quantity: -50, entryBooked: 50, entryReported: 0 };
    expect(heldQuantity(adopted, [], new Map())).toBe(-50);
    expect(heldQuantity({ ...adopted, quantity: -20 }, [{ orderRef: 'x', side: 'BUY', quantity: 30 }], new Map())).toBe(-20);
  });
});

describe('the past-flat guard', () => {
  const order = (quantity: number, ocaGroup?: string, filled = 0) => ({ side: 'SELL' as const, quantity, filled, ocaGroup });

  it('counts an OCA group once, by its largest remaining leg', () => {
    expect(maxTradable([order(100, 'g'), order(100, 'g'), order(30)], 'SELL')).toBe(130);
    expect(maxTradable([order(100, 'g', 40), order(60, 'g')], 'SELL')).toBe(60);
  });

  it('refuses anything that could sell past flat', () => {
    expect(pastFlatProblem([order(100, 'g'), order(100, 'g')], order(100, 'g'), 100)).toBeUndefined();
    expect(pastFlatProblem([order(100, 'g'), order(100, 'g')], order(10), 100)).toMatch(/could trade 110 shares but we hold 100/);
    expect(pastFlatProblem([], order(10), 0)).toMatch(/would open a position/);
    expect(pastFlatProblem([], { side: 'BUY', quantity: 10, filled: 0 }, 100)).toMatch(/would open a position/);
  });
});

describe('exit rules', () => {
  const exitsConfig = loadConfig({ env: {} }).exits;

  it('flattens at the configured minutes before the close, including untracked positions', () => {
    expect(timeBasedExit(row, newYorkTime('2026-11-23', '15:49'), exitsConfig)).toBeUndefined();
    expect(timeBasedExit(row, newYorkTime('2026-11-23', '15:50'), exitsConfig)).toEqual({ reason: 'EOD_LIQUIDATION' });
    expect(timeBasedExit({ ...row, agentName: 'adopted' }, newYorkTime('2026-11-23', '15:55'), exitsConfig)).toEqual({ reason: 'EOD_LIQUIDATION_UNTRACKED' });
    expect(timeBasedExit(row, newYorkTime('2026-11-27', '12:50'), exitsConfig)).toEqual({ reason: 'EOD_LIQUIDATION' }); // early close 13:00
    expect(timeBasedExit(row, newYorkTime('2026-11-23', '16:05'), exitsConfig)).toBeUndefined(); // after the close nothing trades
  });

  it('closes by time when configured', () => {
    const withTime = { ...exitsConfig, timeExitMinutes: 60 };
    expect(timeBasedExit(row, Date.parse('2026-11-23T15:59:00Z'), withTime)).toBeUndefined();
    expect(timeBasedExit(row, Date.parse('2026-11-23T16:00:00Z'), withTime)).toEqual({ reason: 'TIME_EXIT' });
  });

  it('trails only once in profit, and triggers on the trade that crosses the level', () => {
    expect(trailingLevel(50.2, 50, 0, true)).toBeUndefined();
    expect(trailingLevel(49.9, 50, 0.5, true)).toBeUndefined();
    expect(trailingLevel(51, 50, 0.5, true)).toBe(50.75);
    expect(trailingTriggered(50.76, 50.75, true)).toBe(false);
    expect(trailingTriggered(50.75, 50.75, true)).toBe(true);
    expect(trailingLevel(49, 50, 1, false)).toBe(49.49);
    expect(trailingTriggered(49.49, 49.49, false)).toBe(true);
  });
});
