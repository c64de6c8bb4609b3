import { EngineHarness } from './engine-harness';

/** IB's rules for ids, symbols, buying power, modifications and cancels, with IB's error codes. */
describe('BrokerEngine order rules', () => {
  let h: EngineHarness;
  beforeEach(() => {
    h = new EngineHarness({ startingCash: 100_000 });
    h.market.set('AAA', { last: 10.0, bid: 9.98, ask: 10.02, bidSize: 100_000, askSize: 100_000 });
  });
  afterEach(() => h.close());

  describe('order ids', () => {
    it('rejects a lower id with 103, per client; the same id is a modification', () => {
      expect(h.place(1, 5, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9, totalQuantity: 100 })).toBeUndefined();
      expect(h.place(1, 4, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9, totalQuantity: 100 })).toEqual({ code: 103, message: 'Duplicate order id' });
      expect(h.place(2, 3, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9, totalQuantity: 100 })).toBeUndefined(); // another client's range
      expect(h.place(1, 5, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.5, totalQuantity: 200 })).toBeUndefined();
      expect(h.order(1, 5)).toMatchObject({ lmtPrice: 9.5, totalQuantity: 200, status: 'Submitted' });
      expect(h.engine.getOrders()).toHaveLength(2);
      expect(h.engine.lastOrderId(1)).toBe(5);
      expect(h.engine.lastOrderId(2)).toBe(3);
      expect(h.engine.lastOrderId(3)).toBe(0);
    });

    it('an id used by a rejected order is used up', () => {
      expect(h.place(1, 7, 'NOPE', { action: 'BUY', orderType: 'MKT', totalQuantity: 100 })?.code).toBe(200);
      expect(h.place(1, 7, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 100 })?.code).toBe(103);
      expect(h.place(1, 8, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 100 })).toBeUndefined();
    });
  });

  it('rejects an unknown symbol with 200 and invalid orders with their codes', () => {
    expect(h.place(1, 1, 'ZZZZ', { action: 'BUY', orderType: 'MKT', totalQuantity: 100 })).toEqual({ code: 200, message: 'No security definition has been found for the request' });
    expect(h.place(1, 2, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 0 })?.code).toBe(434);
    expect(h.place(1, 3, 'AAA', { action: 'BUY', orderType: 'MOC', totalQuantity: 100 })?.code).toBe(387);
    expect(h.place(1, 4, 'AAA', { action: 'BUY', orderType: 'LMT', totalQuantity: 100 })?.code).toBe(321);
    expect(h.place(1, 5, 'AAA', { action: 'SELL', orderType: 'STP', totalQuantity: 100 })?.code).toBe(321);
    expect(h.engine.getOrders()).toEqual([]);
  });

  describe('buying power (4 x available funds)', () => {
    it('rejects an opening order above it with 201 and accepts one just below', () => {
      const rejected = h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 40_000 }); // 40 000 x 10.02 = 400 800
      expect(rejected?.code).toBe(201);
      expect(rejected?.message).toContain('BUYING POWER [400000.00 USD] MUST EXCEED THE ORDER VALUE [400800.00 USD]');
      expect(h.place(1, 2, 'AAA', { action: 'SELL', orderType: 'MKT', totalQuantity: 40_100 })?.code).toBe(201); // short: 40 100 x 9.98
      expect(h.place(1, 3, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.9, totalQuantity: 40_500 })?.code).toBe(201); // 400 950 at the limit price
      expect(h.place(1, 4, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.9, totalQuantity: 40_000 })).toBeUndefined(); // 396 000
      expect(h.executions).toEqual([]);
    });

    it('never rejects an order that only closes, even with no buying power left', () => {
      expect(h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 39_900 })).toBeUndefined();
      h.tick('AAA', { last: 9.0, bid: 8.98, ask: 9.02 }); // a 10 % drop leaves no buying power
      expect(h.engine.accountValues().buyingPower).toBe(0);
      expect(h.place(1, 2, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 1 })?.code).toBe(201);
      expect(h.place(1, 3, 'AAA', { action: 'SELL', orderType: 'MKT', totalQuantity: 39_901 })?.code).toBe(201); // would open a short
      expect(h.place(1, 4, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 8, totalQuantity: 20_000 })).toBeUndefined();
      expect(h.place(1, 5, 'AAA', { action: 'SELL', orderType: 'MKT', totalQuantity: 39_900 })).toBeUndefined();
      expect(h.fillsOf(5)).toEqual([{ shares: 39_900, price: 8.98 }]);
      expect(h.engine.getPositions()).toEqual([]);
    });
  });

  describe('modifications', () => {
    it('a working order can be re-priced and resized by placing the same id', () => {
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.5, totalQuantity: 100 });
      expect(h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 10.05, totalQuantity: 300 })).toBeUndefined();
      expect(h.fillsOf(1)).toEqual([{ shares: 300, price: 10.02 }]);
      expect(h.order(1, 1)).toMatchObject({ status: 'Filled', lmtPrice: 10.05, totalQuantity: 300 });
    });

    it('a filled or cancelled order cannot be modified (104)', () => {
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 100 });
      expect(h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 200 })).toEqual({ code: 104, message: "Can't modify a filled order." });
      h.place(1, 2, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9, totalQuantity: 100 });
      h.engine.cancelOrder(1, 2);
      expect(h.place(1, 2, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9.1, totalQuantity: 100 })?.code).toBe(104);
      expect(h.order(1, 1).totalQuantity).toBe(100);
    });

    it('cannot cut the quantity to or below what already filled', () => {
      h.tick('AAA', { askSize: 100 });
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 300 });
      expect(h.order(1, 1).filled).toBe(100);
      expect(h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 100 })?.code).toBe(321);
      expect(h.order(1, 1).totalQuantity).toBe(300);
    });
  });

  describe('cancels', () => {
    it('only the owner can cancel: another client gets 10147 and the order keeps working', () => {
      h.place(1, 7, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9, totalQuantity: 100 });
      expect(h.engine.cancelOrder(2, 7)).toEqual({ code: 10147, message: 'OrderId 7 that needs to be cancelled is not found.' });
      expect(h.order(1, 7).status).toBe('Submitted');
      expect(h.engine.cancelOrder(1, 7, 'cancelled by client')).toBeUndefined();
      expect(h.order(1, 7).status).toBe('Cancelled');
      expect(h.errors).toEqual([{ clientId: 1, orderId: 7, code: 202, message: 'Order Canceled - reason: cancelled by client' }]);
      expect(h.engine.cancelOrder(1, 7)?.code).toBe(10147); // no longer working
      h.tick('AAA', { last: 8.9, bid: 8.88, ask: 8.9 });
      expect(h.executions).toEqual([]);
    });

    it('global cancel cancels every working order of every client, staged ones included, and nothing else', () => {
      h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 100 });
      h.place(1, 2, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 9, totalQuantity: 100 });
      h.place(2, 1, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9, totalQuantity: 100 });
      h.place(3, 1, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 10.5, totalQuantity: 100, transmit: false });
      h.engine.globalCancel();
      expect(h.engine.getOrders().map((o) => [o.clientId, o.orderId, o.status])).toEqual([
        [1, 1, 'Filled'], [1, 2, 'Cancelled'], [2, 1, 'Cancelled'], [3, 1, 'Cancelled'],
      ]);
      expect(h.errors.map((e) => [e.clientId, e.orderId, e.code])).toEqual([[1, 2, 202], [2, 1, 202], [3, 1, 202]]);
      expect(h.engine.workingOrders()).toEqual([]);
    });
  });

  it('a manual TWS trade moves the position with no API order (client 0), at the touch', () => {
    const execution = h.engine.manualTrade('AAA', -200);
    expect(execution).toMatchObject({ clientId: 0, orderId: 0, side: 'SLD', shares: 200, price: 9.98, orderRef: 'manual-tws' });
    // A short's average cost is its net proceeds per share: (200 x 9.98 - 1.00) / 200.
    expect(h.engine.getPositions()).toEqual([{ symbol: 'AAA', quantity: -200, averageCost: expect.closeTo(9.975, 10) }]);
    expect(h.engine.workingOrders()).toEqual([]);
    h.engine.manualTrade('AAA', 200, 9.5);
    expect(h.engine.getPositions()).toEqual([]);
  });
});
