import { at, EngineHarness } from './engine-harness';

const EARLY_CLOSE_DAY = '2026-11-27'; // the day after Thanksgiving: NYSE closes at 13:00

/** Regular session vs extended hours (outsideRth), and DAY expiry at the close via onSessionBoundary. */
describe('BrokerEngine sessions', () => {
  let h: EngineHarness;
  afterEach(() => h.close());

  describe('outside the regular session', () => {
    beforeEach(() => {
      h = new EngineHarness({ at: at('08:00') });
      h.market.set('AAA', { last: 10.0, bid: 9.95, ask: 10.05, bidSize: 1_000, askSize: 1_000 });
    });

    it('pre-market: an order without outsideRth stays PreSubmitted and does not fill; one with it fills', () => {
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 100 });
      h.place(1, 2, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 10.1, totalQuantity: 100, outsideRth: true });
      h.tick('AAA', { last: 10.01 });
      expect(h.order(1, 1)).toMatchObject({ status: 'PreSubmitted', filled: 0 });
      expect(h.fillsOf(1)).toEqual([]);
      expect(h.fillsOf(2)).toEqual([{ shares: 100, price: 10.05 }]);
    });

    it('wakes up at the open: Submitted on the session boundary, filled on the next update', () => {
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 100 });
      h.clock.set(at('09:29') + 59_999);
      h.engine.onSessionBoundary();
      expect(h.order(1, 1).status).toBe('PreSubmitted');
      h.clock.set(at('09:30'));
      h.engine.onSessionBoundary();
      expect(h.order(1, 1).status).toBe('Submitted');
      expect(h.statusesOf(1)).toEqual(['PreSubmitted', 'Submitted']);
      h.tick('AAA', { last: 10.2, bid: 10.19, ask: 10.21 });
      expect(h.fillsOf(1)).toEqual([{ shares: 100, price: 10.21 }]);
    });

    it('after hours: an order without outsideRth is held, one with it works', () => {
      h.clock.set(at('16:30'));
      h.place(1, 1, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 9.9, totalQuantity: 100, tif: 'GTC' });
      h.place(1, 2, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 9.9, totalQuantity: 100, outsideRth: true });
      expect(h.order(1, 1).status).toBe('PreSubmitted');
      expect(h.fillsOf(2)).toEqual([{ shares: 100, price: 9.95 }]);
    });
  });

  describe('DAY expiry', () => {
    beforeEach(() => {
      h = new EngineHarness({ at: at('15:50') });
      h.market.set('AAA', { last: 10.0, bid: 9.98, ask: 10.02 });
    });

    function placeResting(): void {
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.0, totalQuantity: 100, tif: 'DAY' });
      h.place(1, 2, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.0, totalQuantity: 100, tif: 'GTC' });
      h.place(1, 3, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.0, totalQuantity: 100, tif: 'DAY', outsideRth: true });
      h.place(1, 4, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 8.0, totalQuantity: 100 }); // tif defaults to DAY
    }

    it('DAY orders are cancelled at 16:00, GTC ones survive (held until the next open)', () => {
      placeResting();
      h.clock.set(at('16:00') - 1);
      h.engine.onSessionBoundary();
      expect([1, 2, 3, 4].map((id) => h.order(1, id).status)).toEqual(['Submitted', 'Submitted', 'Submitted', 'Submitted']);
      h.clock.set(at('16:00'));
      h.engine.onSessionBoundary();
      expect([1, 2, 3, 4].map((id) => h.order(1, id).status)).toEqual(['Cancelled', 'PreSubmitted', 'Submitted', 'Cancelled']);
      expect(h.errors).toEqual([
        { clientId: 1, orderId: 1, code: 202, message: expect.stringContaining('day order expired') },
        { clientId: 1, orderId: 4, code: 202, message: expect.stringContaining('day order expired') },
      ]);
      // A DAY order allowed outside regular hours lives until the after-hours close.
      h.clock.set(at('20:00'));
      h.engine.onSessionBoundary();
      expect(h.order(1, 3).status).toBe('Cancelled');
      // GTC works again at the next open.
      h.clock.set(at('09:30', '2026-11-24'));
      h.engine.onSessionBoundary();
      expect(h.order(1, 2).status).toBe('Submitted');
      h.tick('AAA', { last: 8.99, bid: 8.98, ask: 8.99 });
      expect(h.fillsOf(2)).toEqual([{ shares: 100, price: 8.99 }]);
      expect(h.fillsOf(1)).toEqual([]);
    });

    it('a DAY order still working when the gateway next checks on a later day is expired then', () => {
      placeResting();
      h.clock.set(at('10:00', '2026-11-24'));
      h.engine.onSessionBoundary();
      expect([1, 2, 3, 4].map((id) => h.order(1, id).status)).toEqual(['Cancelled', 'Submitted', 'Cancelled', 'Cancelled']);
    });

    it('a DAY order placed after the close works in the next session, as at IB', () => {
      h.clock.set(at('18:00'));
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.0, totalQuantity: 100, tif: 'DAY' });
      h.engine.onSessionBoundary();
      expect(h.order(1, 1)).toMatchObject({ status: 'PreSubmitted', tradingDay: '2026-11-24' });
      h.clock.set(at('09:30', '2026-11-24'));
      h.engine.onSessionBoundary();
      expect(h.order(1, 1).status).toBe('Submitted');
      h.clock.set(at('16:00', '2026-11-24'));
      h.engine.onSessionBoundary();
      expect(h.order(1, 1).status).toBe('Cancelled');
    });

    it('on an early-close day DAY orders expire at 13:00', () => {
      h.clock.set(at('12:30', EARLY_CLOSE_DAY));
      placeResting();
      h.clock.set(at('12:59', EARLY_CLOSE_DAY));
      h.engine.onSessionBoundary();
      expect(h.order(1, 1).status).toBe('Submitted');
      h.clock.set(at('13:00', EARLY_CLOSE_DAY));
      h.engine.onSessionBoundary();
      expect([1, 2, 3, 4].map((id) => h.order(1, id).status)).toEqual(['Cancelled', 'PreSubmitted', 'Submitted', 'Cancelled']);
      h.clock.set(at('17:00', EARLY_CLOSE_DAY)); // the early-close day's after-hours end
      h.engine.onSessionBoundary();
      expect(h.order(1, 3).status).toBe('Cancelled');
      expect(h.order(1, 2).status).toBe('PreSubmitted');
    });

    it('no fills for a regular-hours order after the close, even if the market trades through its limit', () => {
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.0, totalQuantity: 100, tif: 'GTC' });
      h.clock.set(at('16:05'));
      h.tick('AAA', { last: 8.5, bid: 8.49, ask: 8.51 });
      expect(h.fillsOf(1)).toEqual([]);
      expect(h.order(1, 1).status).toBe('PreSubmitted');
    });
  });
});
