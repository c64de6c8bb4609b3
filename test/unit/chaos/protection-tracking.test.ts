import type { SimOrderView } from '../../../scripts/chaos/broker-state';
import { assessProtection } from '../../../scripts/chaos/protection';
import { overlapMs, UnprotectedTracker } from '../../../scripts/chaos/unprotected-tracker';

let nextId = 1;
function order(symbol: string, ref: string, fields: Partial<SimOrderView> = {}): SimOrderView {
  return {
    clientId: 12, orderId: nextId, permId: 1_000_000 + nextId++, symbol, action: 'SELL', totalQuantity: 100, filled: 0, orderType: 'STP', status: 'Submitted',
    orderRef: ref, tradingDay: '2026-11-23', ...fields,
  };
}
const P = 'P-20261123-ABC-0a1b2c';

describe('protection at the broker', () => {
  it('needs a working stop-loss and take-profit each covering the whole position, or closing orders covering it', () => {
    const positions = [{ symbol: 'ABC', quantity: 100, averageCost: 10 }];
    expect(assessProtection({ positions, orders: [order('ABC', `${P}:SL:1`, { createdRealMs: 5 }), order('ABC', `${P}:TP:1`, { orderType: 'LMT', createdRealMs: 9 })] })[0])
      .toMatchObject({ protected: true, how: 'pair', protectedSinceRealMs: 9 });
    expect(assessProtection({ positions, orders: [order('ABC', `${P}:SL:1`)] })[0]).toMatchObject({ protected: false, how: 'stop-only' });
    expect(assessProtection({ positions, orders: [order('ABC', `${P}:SL:1`, { totalQuantity: 60 }), order('ABC', `${P}:TP:1`, { totalQuantity: 60 })] })[0]).toMatchObject({ protected: false, how: 'undersized' });
    expect(assessProtection({ positions, orders: [order('ABC', `${P}:X-EOD_LIQUIDATION:3`, { orderType: 'MKT' })] })[0]).toMatchObject({ protected: true, how: 'exit' });
    expect(assessProtection({ positions, orders: [] })[0]).toMatchObject({ protected: false, how: 'none' });
  });

  it('ignores orders that cannot protect: filled or cancelled, the wrong side, another symbol, an entry, a hand-made order', () => {
    const positions = [{ symbol: 'ABC', quantity: 100, averageCost: 10 }];
    const useless = [
      order('ABC', `${P}:SL:1`, { status: 'Cancelled' }), order('ABC', `${P}:TP:1`, { status: 'Filled', filled: 100 }),
      order('ABC', `${P}:SL:2`, { action: 'BUY' }), order('XYZ', `${P}:TP:2`), order('ABC', P, { action: 'BUY', orderType: 'LMT' }),
      order('ABC', 'manual-tws', { clientId: 0 }),
    ];
    expect(assessProtection({ positions, orders: useless })[0]).toMatchObject({ protected: false, how: 'none' });
  });

  it('judges only the bots\' shares: a long-held stock or shares bought by hand need no protection, and stops beyond the bots\' shares are too many', () => {
    const positions = [{ symbol: 'UMBR', quantity: 160, averageCost: 10 }, { symbol: 'BRK B', quantity: 15, averageCost: 10 }];
    const foreign: Record<string, number> = { UMBR: 100, 'BRK B': 15 };
    const bots = (p: { symbol: string; quantity: number }) => p.quantity - (foreign[p.symbol] ?? 0);
    const Q = 'P-20261123-UMBR-0a1b2c';
    const pair = [order('UMBR', `${Q}:SL:1`, { totalQuantity: 60 }), order('UMBR', `${Q}:TP:1`, { totalQuantity: 60, orderType: 'LMT' })];
    expect(assessProtection({ positions, orders: pair }, bots)).toEqual([expect.objectContaining({ symbol: 'UMBR', quantity: 60, protected: true, how: 'pair', overProtectedBy: 0 })]);
    const tooMuch = [order('UMBR', `${Q}:SL:1`, { totalQuantity: 160 }), order('UMBR', `${Q}:TP:1`, { totalQuantity: 160, orderType: 'LMT' })];
    expect(assessProtection({ positions, orders: tooMuch }, bots)[0]).toMatchObject({ overProtectedBy: 100 });
    // Without the foreign book the whole position would count, and the long-held shares would look unprotected.
    expect(assessProtection({ positions, orders: pair }).map((v) => v.how)).toEqual(['undersized', 'none']);
  });

  it('reports stop quantity beyond the position (two stops that could both fill and sell twice)', () => {
    const positions = [{ symbol: 'ABC', quantity: 100, averageCost: 10 }];
    const orders = [order('ABC', `${P}:SL:1`), order('ABC', `${P}:TP:1`), order('ABC', `${P}:SL:3`), order('ABC', `${P}:TP:3`)];
    expect(assessProtection({ positions, orders })[0]).toMatchObject({ protected: true, overProtectedBy: 100 });
  });
});

describe('unprotected intervals', () => {
  const unprotected = (symbol: string, quantity = 100) => ({ symbol, quantity, protected: false, how: 'none' as const, overProtectedBy: 0 });
  const protectedAt = (symbol: string, sinceMs?: number) => ({ symbol, quantity: 100, protected: true, how: 'pair' as const, protectedSinceRealMs: sinceMs, overProtectedBy: 0 });

  it('start at the fill\'s gateway stamp and end at the protective order\'s stamp when the polls bracket them', () => {
    const tracker = new UnprotectedTracker();
    tracker.observe(1_000, [], () => undefined);
    tracker.observe(1_150, [unprotected('ABC')], () => 1_040);
    tracker.observe(1_300, [protectedAt('ABC', 1_210)], () => 1_040);
    expect(tracker.intervals).toEqual([expect.objectContaining({ symbol: 'ABC', startRealMs: 1_040, endRealMs: 1_210, durationMs: 170, effectiveMs: 170, startSource: 'fill', endSource: 'order' })]);
  });

  it('are conservative without stamps: from the last good poll to the poll that saw protection', () => {
    const tracker = new UnprotectedTracker();
    tracker.observe(1_000, [protectedAt('ABC')], () => 500); // protected, fill long ago
    tracker.observe(1_150, [unprotected('ABC')], () => 500); // protection disappeared (cancelled) between polls
    tracker.observe(1_300, [unprotected('ABC')], () => 500);
    tracker.observe(1_450, [protectedAt('ABC', 700)], () => 500); // a resized old order: its stamp is before the interval
    expect(tracker.intervals).toEqual([expect.objectContaining({ startRealMs: 1_000, endRealMs: 1_450, durationMs: 450, startSource: 'poll', endSource: 'poll' })]);
  });

  it('end when the position goes flat, at the closing fill', () => {
    const tracker = new UnprotectedTracker();
    tracker.observe(1_000, [], () => undefined);
    tracker.observe(1_150, [unprotected('ABC')], () => 1_100);
    tracker.observe(1_300, [], () => 1_250);
    expect(tracker.intervals).toEqual([expect.objectContaining({ durationMs: 150, endSource: 'flat' })]);
  });

  it('set apart the time the gateway was down, and report what is still unprotected at the end', () => {
    const tracker = new UnprotectedTracker();
    tracker.observe(1_000, [], () => undefined);
    const endBlind = tracker.beginBlindWindow(1_100, 'gateway-restart');
    tracker.observe(1_150, [unprotected('ABC'), unprotected('XYZ')], () => 1_120);
    endBlind(2_100);
    tracker.observe(2_300, [protectedAt('ABC', 2_200), unprotected('XYZ')], () => 1_120);
    expect(tracker.intervals[0]).toMatchObject({ symbol: 'ABC', durationMs: 1_080, blindMs: 980, effectiveMs: 100 });
    expect(tracker.openNow(2_400)).toEqual([{ symbol: 'XYZ', sinceMs: 1_280, how: 'none' }]);
    expect(tracker.finish(2_500)[1]).toMatchObject({ symbol: 'XYZ', openAtEnd: true, effectiveMs: 400 });
  });

  it('count overlapping blind windows once', () => {
    expect(overlapMs(0, 100, [{ startRealMs: 10, endRealMs: 50, reason: 'a' }, { startRealMs: 40, endRealMs: 70, reason: 'b' }], 100)).toBe(60);
    expect(overlapMs(0, 100, [{ startRealMs: 90, reason: 'open' }], 95)).toBe(5);
    expect(overlapMs(0, 100, [{ startRealMs: 200, endRealMs: 300, reason: 'later' }], 300)).toBe(0);
  });
});
