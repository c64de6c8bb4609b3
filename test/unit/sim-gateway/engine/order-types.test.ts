import { EngineHarness } from './engine-harness';

/** How each order type meets the market: prices are the touch (bid/ask), stops trigger on trades. */
describe('BrokerEngine order types', () => {
  let h: EngineHarness;
  beforeEach(() => {
    h = new EngineHarness();
    h.market.set('AAA', { last: 10.0, bid: 9.98, ask: 10.02, bidSize: 5_000, askSize: 5_000 });
  });
  afterEach(() => h.close());

  describe('MKT', () => {
    it('buys at the ask and sells at the bid, never at mid or last', () => {
      expect(h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 100 })).toBeUndefined();
      expect(h.place(1, 2, 'AAA', { action: 'SELL', orderType: 'MKT', totalQuantity: 100 })).toBeUndefined();
      expect(h.fillsOf(1)).toEqual([{ shares: 100, price: 10.02 }]);
      expect(h.fillsOf(2)).toEqual([{ shares: 100, price: 9.98 }]);
      expect(h.order(1, 1)).toMatchObject({ status: 'Filled', filled: 100, avgFillPrice: 10.02, lastFillPrice: 10.02 });
      expect(h.executions.map((e) => e.side)).toEqual(['BOT', 'SLD']);
    });

    it('announces Submitted then Filled', () => {
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 100 });
      expect(h.statusesOf(1)).toEqual(['Submitted', 'Filled']);
    });
  });

  describe('LMT', () => {
    it('a buy fills only once the ask reaches the limit, at the ask', () => {
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 10.0, totalQuantity: 100 });
      expect(h.order(1, 1).status).toBe('Submitted');
      h.tick('AAA', { last: 9.99, bid: 9.99, ask: 10.01 }); // a trade below the limit is not a fill: the ask is above it
      h.tick('AAA', { last: 10.0, bid: 9.96, ask: 10.01 });
      expect(h.fillsOf(1)).toEqual([]);
      h.tick('AAA', { last: 9.97, bid: 9.95, ask: 9.97 });
      expect(h.fillsOf(1)).toEqual([{ shares: 100, price: 9.97 }]); // price improvement: the touch, not the limit
    });

    it('a sell fills only once the bid reaches the limit, at the bid', () => {
      h.place(1, 1, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 10.1, totalQuantity: 100 });
      h.tick('AAA', { last: 10.12, bid: 10.09, ask: 10.13 });
      expect(h.fillsOf(1)).toEqual([]);
      h.tick('AAA', { last: 10.1, bid: 10.1, ask: 10.12 });
      expect(h.fillsOf(1)).toEqual([{ shares: 100, price: 10.1 }]);
    });

    it('a marketable limit fills at once at the touch', () => {
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 10.5, totalQuantity: 100 });
      expect(h.fillsOf(1)).toEqual([{ shares: 100, price: 10.02 }]);
    });
  });

  describe('STP', () => {
    it('a sell stop triggers on the last trade, not on the quote, and fills at the bid', () => {
      h.place(1, 1, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9.5, totalQuantity: 100 });
      h.tick('AAA', { last: 9.55, bid: 9.45, ask: 9.6 }); // bid below the stop, no trade at it
      expect(h.order(1, 1).triggered).toBe(false);
      expect(h.fillsOf(1)).toEqual([]);
      h.tick('AAA', { last: 9.5, bid: 9.48, ask: 9.52 });
      expect(h.fillsOf(1)).toEqual([{ shares: 100, price: 9.48 }]);
      expect(h.order(1, 1)).toMatchObject({ status: 'Filled', triggered: true });
    });

    it('a sell stop gapped through fills at the gap bid, far below the stop', () => {
      h.place(1, 1, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9.5, totalQuantity: 100 });
      h.tick('AAA', { last: 8.0, bid: 7.95, ask: 8.05 });
      expect(h.fillsOf(1)).toEqual([{ shares: 100, price: 7.95 }]);
    });

    it('a buy stop triggers on a trade at or above the stop and fills at the ask', () => {
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'STP', auxPrice: 10.5, totalQuantity: 100 });
      h.tick('AAA', { last: 10.45, bid: 10.44, ask: 10.55 });
      expect(h.fillsOf(1)).toEqual([]);
      h.tick('AAA', { last: 10.5, bid: 10.49, ask: 10.53 });
      expect(h.fillsOf(1)).toEqual([{ shares: 100, price: 10.53 }]);
    });
  });

  describe('STP LMT', () => {
    it('triggers on the trade, then rests as a limit until the bid reaches it', () => {
      h.place(1, 1, 'AAA', { action: 'SELL', orderType: 'STP LMT', auxPrice: 9.5, lmtPrice: 9.45, totalQuantity: 100 });
      h.tick('AAA', { last: 9.5, bid: 9.4, ask: 9.52 });
      expect(h.order(1, 1)).toMatchObject({ triggered: true, status: 'Submitted', filled: 0 });
      h.tick('AAA', { last: 9.3, bid: 9.3, ask: 9.33 });
      expect(h.fillsOf(1)).toEqual([]);
      h.tick('AAA', { last: 9.6, bid: 9.46, ask: 9.61 }); // back above the stop: still a working limit
      expect(h.fillsOf(1)).toEqual([{ shares: 100, price: 9.46 }]);
    });

    it('never fills before the trigger even when the limit is marketable', () => {
      h.place(1, 1, 'AAA', { action: 'SELL', orderType: 'STP LMT', auxPrice: 9.5, lmtPrice: 9.45, totalQuantity: 100 });
      h.tick('AAA', { last: 9.7, bid: 9.69, ask: 9.71 });
      expect(h.fillsOf(1)).toEqual([]);
      expect(h.order(1, 1).triggered).toBe(false);
    });
  });

  describe('TRAIL', () => {
    it('a sell trail by amount ratchets up with trades, never down, and triggers on a trade at the level', () => {
      h.place(1, 1, 'AAA', { action: 'SELL', orderType: 'TRAIL', auxPrice: 0.5, totalQuantity: 100 });
      expect(h.order(1, 1).trailStopPrice).toBe(9.5);
      h.tick('AAA', { last: 10.4, bid: 10.39, ask: 10.41 });
      expect(h.order(1, 1).trailStopPrice).toBe(9.9);
      h.tick('AAA', { last: 10.2, bid: 10.19, ask: 10.21 });
      expect(h.order(1, 1).trailStopPrice).toBe(9.9);
      h.tick('AAA', { last: 9.95, bid: 9.89, ask: 9.96 }); // bid under the level, no trade at it
      expect(h.fillsOf(1)).toEqual([]);
      h.tick('AAA', { last: 9.9, bid: 9.88, ask: 9.91 });
      expect(h.fillsOf(1)).toEqual([{ shares: 100, price: 9.88 }]);
      expect(h.order(1, 1).trailStopPrice).toBe(9.9);
    });

    it('a buy trail by percent ratchets down with trades and fills at the ask', () => {
      h.tick('AAA', { last: 50.0, bid: 49.98, ask: 50.02 });
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'TRAIL', trailingPercent: 2, totalQuantity: 100 });
      expect(h.order(1, 1).trailStopPrice).toBe(51.0);
      h.tick('AAA', { last: 48.0, bid: 47.99, ask: 48.01 });
      expect(h.order(1, 1).trailStopPrice).toBe(48.96);
      h.tick('AAA', { last: 48.5, bid: 48.49, ask: 49.01 }); // ask above the level, the trade below it
      expect(h.order(1, 1).trailStopPrice).toBe(48.96);
      expect(h.fillsOf(1)).toEqual([]);
      h.tick('AAA', { last: 48.96, bid: 48.95, ask: 48.98 });
      expect(h.fillsOf(1)).toEqual([{ shares: 100, price: 48.98 }]);
    });

    it('keeps a given initial stop level when it is above the trail distance', () => {
      h.place(1, 1, 'AAA', { action: 'SELL', orderType: 'TRAIL', auxPrice: 1.0, trailStopPrice: 9.6, totalQuantity: 100 });
      expect(h.order(1, 1).trailStopPrice).toBe(9.6);
      h.tick('AAA', { last: 10.8, bid: 10.79, ask: 10.81 });
      expect(h.order(1, 1).trailStopPrice).toBe(9.8);
    });
  });
});
