import fc from 'fast-check';
import { commissionFor, orderCommission } from '../../../../apps/sim-gateway/engine/commissions';
import { applyFill } from '../../../../apps/sim-gateway/engine/ledger';
import { EngineHarness } from './engine-harness';

/** IB fixed pricing ($0.005/share, $1 minimum and 1 % cap per order) and the account's books. */
describe('commissions', () => {
  let h: EngineHarness;
  beforeEach(() => {
    h = new EngineHarness({ startingCash: 1_000_000 });
  });
  afterEach(() => h.close());

  function buyAt(symbol: string, price: number, shares: number, orderId: number): number {
    h.market.set(symbol, { last: price, bid: price - 0.01, ask: price, bidSize: 1_000_000, askSize: 1_000_000 });
    h.place(1, orderId, symbol, { action: 'BUY', orderType: 'MKT', totalQuantity: shares });
    return h.executions.filter((e) => e.orderId === orderId).reduce((sum, e) => sum + e.commission, 0);
  }

  it.each([
    ['the $1.00 minimum for a small order', 20, 100, 1.0],
    ['$0.005 per share above the minimum', 20, 1_000, 5.0],
    ['per share, rounded to the cent', 25, 1_234, 6.17],
    ['the 1 % cap below the minimum on a tiny trade', 0.5, 100, 0.5],
    ['the 1 % cap on cheap shares', 0.05, 10_000, 5.0],
  ])('%s: %d x %d shares -> $%d', (_name, price, shares, expected) => {
    expect(buyAt('AAA', price, shares, 1)).toBeCloseTo(expected, 10);
  });

  it('an order filled in parts pays the per-order minimum once: 100 + 200 shares cost what 300 shares do', () => {
    h.market.set('AAA', { last: 20, bid: 19.99, ask: 20, bidSize: 1_000, askSize: 100 });
    h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 300 });
    h.tick('AAA', { askSize: 1_000 });
    expect(h.executions.map((e) => [e.shares, e.commission])).toEqual([[100, 1.0], [200, 0.5]]);
    expect(h.engine.getCash()).toBeCloseTo(1_000_000 - 300 * 20 - 1.5, 8);
  });

  it('an order filled in many small parts pays $0.005 per share once past the minimum', () => {
    h.market.set('AAA', { last: 20, bid: 19.99, ask: 20, bidSize: 1_000, askSize: 100 });
    h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 1_000 });
    for (let i = 0; i < 9; i++) h.tick('AAA', { askSize: 100 });
    expect(h.executions).toHaveLength(10);
    const total = h.executions.reduce((sum, e) => sum + e.commission, 0);
    expect(total).toBeCloseTo(5.0, 10);
  });

  it('any split of an order into fills at any prices sums to the whole order\'s commission', () => {
    const fill = fc.record({ shares: fc.integer({ min: 1, max: 5_000 }), cents: fc.integer({ min: 1, max: 50_000 }) });
    fc.assert(fc.property(fc.array(fill, { minLength: 1, maxLength: 12 }), (fills) => {
      let shares = 0;
      let value = 0;
      let paid = 0;
      for (const f of fills) {
        const commission = commissionFor(f.shares, f.cents / 100, shares, value);
        expect(commission).toBeGreaterThanOrEqual(0);
        paid += commission;
        shares += f.shares;
        value += (f.shares * f.cents) / 100;
      }
      expect(paid).toBeCloseTo(orderCommission(shares, value), 8);
    }));
  });

  it('each order has its own minimum', () => {
    h.market.set('AAA', { last: 20, bid: 19.99, ask: 20, bidSize: 1_000, askSize: 1_000 });
    h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 10 });
    h.place(1, 2, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 10 });
    expect(h.executions.map((e) => e.commission)).toEqual([1.0, 1.0]);
  });
});

describe('ledger: cash, average cost, realized P&L', () => {
  let h: EngineHarness;
  beforeEach(() => {
    h = new EngineHarness({ startingCash: 100_000 });
  });
  afterEach(() => h.close());

  const trade = (orderId: number, action: 'BUY' | 'SELL', shares: number, bid: number, ask: number) => {
    h.tick('AAA', { last: action === 'BUY' ? ask : bid, bid, ask, bidSize: 100_000, askSize: 100_000 });
    expect(h.place(1, orderId, 'AAA', { action, orderType: 'MKT', totalQuantity: shares })).toBeUndefined();
    return h.executions[h.executions.length - 1]!;
  };

  it('follows a long built in two buys, partly closed, flipped short, then covered', () => {
    const b1 = trade(1, 'BUY', 100, 10.0, 10.02); // 1 002 + 1.00
    expect(b1.realizedPnl).toBeUndefined();
    expect(h.engine.getPositions()).toEqual([{ symbol: 'AAA', quantity: 100, averageCost: expect.closeTo(10.03, 10) }]);

    trade(2, 'BUY', 100, 11.0, 11.02); // 1 102 + 1.00
    expect(h.engine.getPositions()[0]).toEqual({ symbol: 'AAA', quantity: 200, averageCost: expect.closeTo(10.53, 10) });

    const s1 = trade(3, 'SELL', 50, 12.0, 12.02); // 600 - 1.00 (minimum)
    expect(s1.realizedPnl).toBeCloseTo((12.0 - 10.53) * 50 - 1.0, 10); // 72.50
    expect(h.engine.getPositions()[0]).toEqual({ symbol: 'AAA', quantity: 150, averageCost: expect.closeTo(10.53, 10) });

    // 250 sold at 9.00: 150 close the long, 100 open a short; the 1.25 commission is split 0.75 / 0.50.
    const s2 = trade(4, 'SELL', 250, 9.0, 9.02);
    expect(s2.commission).toBe(1.25);
    expect(s2.realizedPnl).toBeCloseTo((9.0 - 10.53) * 150 - 0.75, 10); // -230.25
    expect(h.engine.getPositions()[0]).toEqual({ symbol: 'AAA', quantity: -100, averageCost: expect.closeTo((900 - 0.5) / 100, 10) }); // 8.995

    const c = trade(5, 'BUY', 100, 8.48, 8.5); // cover: 850 + 1.00
    expect(c.realizedPnl).toBeCloseTo((8.995 - 8.5) * 100 - 1.0, 10); // 48.50
    expect(h.engine.getPositions()).toEqual([]);

    // Flat again: the realized P&L of the round trips equals the change in cash, to the cent.
    const realized = h.executions.reduce((sum, e) => sum + (e.realizedPnl ?? 0), 0);
    expect(realized).toBeCloseTo(72.5 - 230.25 + 48.5, 8);
    expect(h.engine.getCash() - 100_000).toBeCloseTo(realized, 8);
    expect(h.engine.accountValues().realizedPnlToday).toBeCloseTo(realized, 8);
  });

  it('a short opened and covered at the same price loses exactly both commissions', () => {
    trade(1, 'SELL', 200, 10.0, 10.02); // 2 000 - 1.00
    expect(h.engine.getPositions()[0]!.averageCost).toBeCloseTo(9.995, 10);
    const cover = trade(2, 'BUY', 200, 9.98, 10.0); // 2 000 + 1.00
    expect(cover.realizedPnl).toBeCloseTo(-2.0, 10);
    expect(h.engine.getCash()).toBeCloseTo(100_000 - 2.0, 8);
  });

  it('cash and net liquidation follow the position at the last price', () => {
    trade(1, 'BUY', 1_000, 49.98, 50.0); // 50 000 + 5.00
    expect(h.engine.getCash()).toBeCloseTo(100_000 - 50_000 - 5, 8);
    h.tick('AAA', { last: 51.0, bid: 50.99, ask: 51.01 });
    const values = h.engine.accountValues();
    expect(values.totalCash).toBeCloseTo(49_995, 8);
    expect(values.netLiquidation).toBeCloseTo(49_995 + 51_000, 8);
    expect(values.grossPositionValue).toBeCloseTo(51_000, 8);
    expect(values.unrealizedPnl).toBeCloseTo((51.0 - 50.005) * 1_000, 8);
    expect(values.availableFunds).toBeCloseTo(100_995 - 0.25 * 51_000, 8);
    expect(values.buyingPower).toBeCloseTo(4 * (100_995 - 0.25 * 51_000), 8);
    trade(2, 'SELL', 400, 51.5, 51.52); // short side untouched, cash up by 20 600 - 2.00
    expect(h.engine.getCash()).toBeCloseTo(49_995 + 20_600 - 2, 8);
    expect(h.engine.accountValues().netLiquidation).toBeCloseTo(49_995 + 20_600 - 2 + 600 * 51.5, 8);
  });

  it('applyFill books a flip from short to long the same way', () => {
    const effect = applyFill({ symbol: 'X', quantity: -100, averageCost: 20 }, 300, 18, 1.5);
    expect(effect.cashDelta).toBeCloseTo(-300 * 18 - 1.5, 10);
    expect(effect.realizedPnl).toBeCloseTo((20 - 18) * 100 - 0.5, 10);
    expect(effect.position).toEqual({ symbol: 'X', quantity: 200, averageCost: expect.closeTo((200 * 18 + 1.0) / 200, 10) });
  });
});
