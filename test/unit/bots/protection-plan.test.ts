import { planProtection, type OwnOrder } from '../../../apps/exit-manager/protection-plan';
import { timeBasedExit, trailingLevel, trailingTriggered } from '../../../apps/exit-manager/exit-rules';
import { loadConfig } from '../../../shared/config/load-config';
import type { ActivePosition } from '../../../shared/db/types';
import { newYorkTime } from '../../../shared/time/trading-calendar';

const row: ActivePosition = {
  id: 'P-20261123-ABC-aaaaaa', symbol: 'ABC', quantity: 100, entryPrice: 50, entryTimestamp: '2026-11-23T15:00:00.000Z', agentName: 'gap-momentum',
  profitTargetPrice: null, stopLossPrice: null, status: 'OPEN', tradingDay: '2026-11-23', entryOrderRef: 'P-20261123-ABC-aaaaaa', entryOrderId: 1,
  requestedQuantity: 100, ocaGroup: null, stopOrderId: null, targetOrderId: null, protectedQuantity: 0, exitReason: null, claimedAt: '', lastUpdated: '', metadata: {},
};
const leg = (leg: 'SL' | 'TP' | 'EXIT', orderId: number, extra: Partial<OwnOrder> = {}): OwnOrder => ({
  orderId, orderRef: `${row.id}:${leg}:1`, positionId: row.id, leg, symbol: 'ABC', side: 'SELL', quantity: 100, filled: 0, ocaGroup: `${row.id}:OCA:1`,
  stopPrice: leg === 'SL' ? 49.55 : undefined, limitPrice: leg === 'TP' ? 50.9 : undefined, sequence: 1, pending: false, ...extra,
});
const plan = (overrides: Partial<Parameters<typeof planProtection>[0]>) =>
  planProtection({ symbol: 'ABC', brokerQuantity: 100, row, orders: [], stopLossPct: 0.9, takeProfitPct: 1.8, ...overrides });

describe('protection planning', () => {
  it('places one OCA pair at -0.9% / +1.8% for an unprotected position, sized to the broker position', () => {
    expect(plan({})).toEqual([{ kind: 'place_pair', positionId: row.id, symbol: 'ABC', side: 'SELL', quantity: 100, stopPrice: 49.55, targetPrice: 50.9 }]);
    expect(plan({ brokerQuantity: 60 })[0]).toMatchObject({ kind: 'place_pair', quantity: 60 });
  });

  it('protects a short the other way round', () => {
    expect(plan({ brokerQuantity: -100 })[0]).toEqual({ kind: 'place_pair', positionId: row.id, symbol: 'ABC', side: 'BUY', quantity: 100, stopPrice: 50.45, targetPrice: 49.1 });
  });

  it('does nothing but mark the row when exactly one right-sized pair exists', () => {
    expect(plan({ orders: [leg('SL', 11), leg('TP', 12)] })).toEqual([
      { kind: 'mark_protected', positionId: row.id, stopOrderId: 11, targetOrderId: 12, ocaGroup: `${row.id}:OCA:1`, quantity: 100, stopPrice: 49.55, targetPrice: 50.9 },
    ]);
    const protectedRow = { ...row, status: 'PROTECTED' as const, stopOrderId: 11, targetOrderId: 12, protectedQuantity: 100 };
    expect(plan({ row: protectedRow, orders: [leg('SL', 11), leg('TP', 12)] })).toEqual([]);
  });

  it('never sends a second pair while the first is in flight', () => {
    expect(plan({ orders: [leg('SL', 11, { pending: true }), leg('TP', 12, { pending: true })] }).filter((a) => a.kind !== 'mark_protected')).toEqual([]);
  });

  it('replaces a missing leg inside the same OCA group', () => {
    expect(plan({ orders: [leg('SL', 11)] })).toEqual([
      { kind: 'place_leg', positionId: row.id, symbol: 'ABC', leg: 'TP', side: 'SELL', quantity: 100, price: 50.9, ocaGroup: `${row.id}:OCA:1`, sequence: 1 },
    ]);
  });

  it('resizes both legs when the position grew', () => {
    const actions = plan({ brokerQuantity: 150, orders: [leg('SL', 11), leg('TP', 12)] });
    expect(actions).toEqual([
      { kind: 'resize', order: expect.objectContaining({ orderId: 11 }), totalQuantity: 150 },
      { kind: 'resize', order: expect.objectContaining({ orderId: 12 }), totalQuantity: 150 },
    ]);
  });

  it('resizes to filled + remaining after a partial fill of a leg', () => {
    const actions = plan({ brokerQuantity: 60, orders: [leg('SL', 11, { filled: 40 }), leg('TP', 12, { quantity: 60 })] });
    expect(actions.filter((a) => a.kind === 'resize')).toEqual([]);
  });

  it('cancels duplicate groups, keeping the newest, and orphans of other positions', () => {
    const older = [leg('SL', 11), leg('TP', 12)];
    const newer = [leg('SL', 21, { sequence: 2, ocaGroup: `${row.id}:OCA:2` }), leg('TP', 22, { sequence: 2, ocaGroup: `${row.id}:OCA:2` })];
    const orphan = leg('SL', 31, { positionId: 'P-20261123-ABC-bbbbbb', orderRef: 'P-20261123-ABC-bbbbbb:SL:1', ocaGroup: 'x' });
    const actions = plan({ orders: [...older, ...newer, orphan] });
    const cancelled = actions.filter((a) => a.kind === 'cancel').map((a) => (a as { order: OwnOrder }).order.orderId).sort();
    expect(cancelled).toEqual([11, 12, 31]);
    expect(actions.find((a) => a.kind === 'mark_protected')).toMatchObject({ stopOrderId: 21, targetOrderId: 22 });
  });

  it('cancels everything left for a flat position, but only on a known (complete) snapshot', () => {
    expect(plan({ brokerQuantity: 0, orders: [leg('SL', 11), leg('TP', 12)] }).map((a) => a.kind)).toEqual(['cancel', 'cancel']);
    expect(plan({ brokerQuantity: undefined, orders: [leg('SL', 11), leg('TP', 12)] })).toEqual([]);
  });

  it('adopts a broker position the DB does not know, and leaves a closing position alone', () => {
    expect(plan({ row: undefined })).toEqual([{ kind: 'adopt', symbol: 'ABC', quantity: 100 }]);
    expect(plan({ orders: [leg('SL', 11), leg('EXIT', 13)] })).toEqual([]);
  });
});

describe('exit rules', () => {
  const exits = loadConfig({ env: {} }).exits;

  it('flattens at the configured minutes before the close, including untracked positions', () => {
    expect(timeBasedExit(row, newYorkTime('2026-11-23', '15:49'), exits)).toBeUndefined();
    expect(timeBasedExit(row, newYorkTime('2026-11-23', '15:50'), exits)).toEqual({ reason: 'EOD_LIQUIDATION' });
    expect(timeBasedExit({ ...row, agentName: 'adopted' }, newYorkTime('2026-11-23', '15:55'), exits)).toEqual({ reason: 'EOD_LIQUIDATION_UNTRACKED' });
    expect(timeBasedExit(row, newYorkTime('2026-11-27', '12:50'), exits)).toEqual({ reason: 'EOD_LIQUIDATION' }); // early close 13:00
    expect(timeBasedExit(row, newYorkTime('2026-11-23', '16:05'), exits)).toBeUndefined(); // after the close nothing trades
  });

  it('closes by time when configured', () => {
    const withTime = { ...exits, timeExitMinutes: 60 };
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
