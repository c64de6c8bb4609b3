import { EngineHarness } from './engine-harness';

/** Liquidity: an update shows a size at the touch; orders larger than it fill in parts, and share it. */
describe('BrokerEngine partial fills', () => {
  let h: EngineHarness;
  beforeEach(() => {
    h = new EngineHarness();
    h.market.set('AAA', { last: 10.0, bid: 9.98, ask: 10.02, bidSize: 300, askSize: 300 });
  });
  afterEach(() => h.close());

  it('an order above the displayed size fills the displayed size per update until done', () => {
    h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 1_000 });
    expect(h.order(1, 1)).toMatchObject({ status: 'Submitted', filled: 300 });
    h.tick('AAA', { last: 10.02, bid: 10.0, ask: 10.03, askSize: 500 });
    h.tick('AAA', { last: 10.03, bid: 10.01, ask: 10.05, askSize: 400 });
    expect(h.fillsOf(1)).toEqual([{ shares: 300, price: 10.02 }, { shares: 500, price: 10.03 }, { shares: 200, price: 10.05 }]);
    const order = h.order(1, 1);
    expect(order.status).toBe('Filled');
    expect(order.avgFillPrice).toBeCloseTo((300 * 10.02 + 500 * 10.03 + 200 * 10.05) / 1_000, 10);
    expect(h.executions.map((e) => e.cumQty)).toEqual([300, 800, 1_000]);
  });

  it('a second order placed on the same quote gets only what the first one left', () => {
    h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 200 });
    h.place(1, 2, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 200 });
    expect(h.fillsOf(1)).toEqual([{ shares: 200, price: 10.02 }]);
    expect(h.fillsOf(2)).toEqual([{ shares: 100, price: 10.02 }]);
    h.tick('AAA', { askSize: 300 });
    expect(h.fillsOf(2)).toEqual([{ shares: 100, price: 10.02 }, { shares: 100, price: 10.02 }]);
  });

  it('several resting orders share one update in time priority', () => {
    h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.9, totalQuantity: 400 });
    h.place(2, 1, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.9, totalQuantity: 400 });
    h.tick('AAA', { last: 9.9, bid: 9.88, ask: 9.9, askSize: 500 });
    expect(h.fillsOf(1, 1)).toEqual([{ shares: 400, price: 9.9 }]);
    expect(h.fillsOf(1, 2)).toEqual([{ shares: 100, price: 9.9 }]);
    h.tick('AAA', { last: 9.9, bid: 9.88, ask: 9.9, askSize: 500 });
    expect(h.fillsOf(1, 2)).toEqual([{ shares: 100, price: 9.9 }, { shares: 300, price: 9.9 }]);
  });

  it('buys take the ask size and sells the bid size: one side does not use up the other', () => {
    h.tick('AAA', { last: 10.0, bid: 9.9, ask: 10.1, bidSize: 300, askSize: 300 });
    h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 10.05, totalQuantity: 300 });
    h.place(1, 2, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 9.95, totalQuantity: 300 });
    expect(h.executions).toEqual([]);
    // The spread narrows inside both limits in one update: each order takes its own side's size.
    h.tick('AAA', { last: 10.0, bid: 9.96, ask: 10.04, bidSize: 300, askSize: 300 });
    expect(h.fillsOf(1)).toEqual([{ shares: 300, price: 10.04 }]);
    expect(h.fillsOf(2)).toEqual([{ shares: 300, price: 9.96 }]);
    h.tick('AAA', { last: 10.0, bid: 9.98, ask: 10.02, bidSize: 300, askSize: 300 });
    h.place(1, 3, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 300 });
    h.place(1, 4, 'AAA', { action: 'SELL', orderType: 'MKT', totalQuantity: 300 });
    expect(h.fillsOf(3)).toEqual([{ shares: 300, price: 10.02 }]);
    expect(h.fillsOf(4)).toEqual([{ shares: 300, price: 9.98 }]);
  });

  it('an order that fills in parts keeps reporting Submitted with the running fill', () => {
    h.place(1, 1, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 9.95, totalQuantity: 500 });
    const partial = h.orderEvents.filter((o) => o.orderId === 1 && o.filled > 0);
    expect(partial.map((o) => [o.status, o.filled])).toEqual([['Submitted', 300]]);
    h.tick('AAA', { bidSize: 1_000 });
    expect(h.order(1, 1)).toMatchObject({ status: 'Filled', filled: 500 });
  });
});
