import { barCapacity, buyPriceAtOpen, fillEntry, marketSellAtOpen, protectiveExit, sellPriceAt } from '../../../shared/backtest/fill-model';
import { executionCommission, orderCommission, DEFAULT_COMMISSIONS, type CommissionSettings } from '../../../shared/backtest/commissions';
import { modelledSpread, quoteAround, spreadBpsForDollarVolume } from '../../../shared/backtest/spread-model';

/** Every case below is computed by hand; the comments show the arithmetic. */
describe('fill model (hand-computed)', () => {
  // A two-cent spread: buys pay the trade price + 1 cent, sells get the trade price - 1 cent.
  const costs = { spread: 0.02, slippageBps: 0, participation: 0.1 };
  const bar = (open: number, high: number, low: number, close: number, volume = 10_000) => ({ open, high, low, close, volume });

  it('quotes on the cent grid around the trade price (the scan\'s quote)', () => {
    expect(quoteAround(50, 0.02)).toEqual({ bid: 49.99, ask: 50.01 });
    expect(quoteAround(50, 0.01)).toEqual({ bid: 50, ask: 50.01 });
    expect(quoteAround(50, 0.03)).toEqual({ bid: 49.99, ask: 50.02 });
  });

  it('buys an IOC entry at the next bar\'s ask plus slippage, only within its limit', () => {
    expect(buyPriceAtOpen(bar(50, 50.5, 49.8, 50.2), costs)).toBe(50.01);
    // 50.01 x (1 + 10 bps) = 50.06001, rounded up to the cent a buyer pays: 50.07.
    expect(buyPriceAtOpen(bar(50, 50.5, 49.8, 50.2), { ...costs, slippageBps: 10 })).toBe(50.07);
    expect(fillEntry(bar(50, 50.5, 49.8, 50.2), { quantity: 200, limitPrice: 50.1 }, costs)).toEqual({ quantity: 200, price: 50.01 });
    // The bar opened above the limit: the ask 50.31 > 50.10, nothing is marketable, the IOC fills nothing.
    expect(fillEntry(bar(50.3, 50.5, 49.8, 50.2), { quantity: 200, limitPrice: 50.1 }, costs)).toEqual({ quantity: 0, price: 50.31 });
  });

  it('with an entry latency, buys that far along from the bar\'s open to its close', () => {
    // 30 s into a bar from 50.00 to 50.40: 50.20, ask 50.21.
    expect(buyPriceAtOpen(bar(50, 50.5, 49.9, 50.4), { ...costs, entryLatencySeconds: 30 })).toBe(50.21);
    expect(buyPriceAtOpen(bar(50, 50.5, 49.9, 50.4), { ...costs, entryLatencySeconds: 0 })).toBe(50.01);
  });

  it('fills at most a share of the bar\'s volume (partial fills)', () => {
    // 10 % of 1,234 shares = 123.4: 123 whole shares of the 500 asked.
    expect(barCapacity(bar(50, 50, 50, 50, 1_234), 0.1)).toBe(123);
    expect(fillEntry(bar(50, 50.5, 49.8, 50.2, 1_234), { quantity: 500, limitPrice: 51 }, costs)).toEqual({ quantity: 123, price: 50.01 });
    expect(fillEntry(bar(50, 50.5, 49.8, 50.2, 9), { quantity: 500, limitPrice: 51 }, costs).quantity).toBe(0);
  });

  it('a gap through the stop fills at the open less half the spread, not at the stop', () => {
    // Stop 49.55; the bar opens at 49.00: the stop is a market order from the first trade, sold at the bid 48.99.
    expect(protectiveExit(bar(49, 49.2, 48.8, 49.1), { stopPrice: 49.55, targetPrice: 50.9 }, costs, false)).toEqual({ kind: 'STOP_LOSS', price: 48.99 });
  });

  it('a stop reached inside a bar fills at the stop less half the spread (and slippage)', () => {
    expect(protectiveExit(bar(50, 50.1, 49.5, 49.6), { stopPrice: 49.55, targetPrice: 50.9 }, costs, false)).toEqual({ kind: 'STOP_LOSS', price: 49.54 });
    // 49.54 x (1 - 10 bps) = 49.49046, rounded down to the cent a seller gets: 49.49.
    expect(protectiveExit(bar(50, 50.1, 49.5, 49.6), { stopPrice: 49.55, targetPrice: 50.9 }, { ...costs, slippageBps: 10 }, false)).toEqual({ kind: 'STOP_LOSS', price: 49.49 });
  });

  it('both levels inside one bar: the stop is assumed first (conservative)', () => {
    expect(protectiveExit(bar(50.2, 51, 49.5, 50.5), { stopPrice: 49.55, targetPrice: 50.9 }, costs, false)).toEqual({ kind: 'STOP_LOSS', price: 49.54 });
  });

  it('the target fills at its price once the bid reaches it; a gap above it fills at the open\'s bid', () => {
    // High 51.00: the bid there is 50.99 >= 50.90: the resting limit sells at 50.90.
    expect(protectiveExit(bar(50.5, 51, 50.4, 50.95), { stopPrice: 49.55, targetPrice: 50.9 }, costs, false)).toEqual({ kind: 'PROFIT_TARGET', price: 50.9 });
    // High exactly 50.90: the bid there is 50.89 < 50.90: not filled.
    expect(protectiveExit(bar(50.5, 50.9, 50.4, 50.85), { stopPrice: 49.55, targetPrice: 50.9 }, costs, false)).toBeUndefined();
    // Opens at 51.50: bid 51.49 above the limit: sold there.
    expect(protectiveExit(bar(51.5, 51.6, 51.3, 51.4), { stopPrice: 49.55, targetPrice: 50.9 }, costs, false)).toEqual({ kind: 'PROFIT_TARGET', price: 51.49 });
  });

  it('the entry bar\'s open is the entry, not a gap: only its later range can reach the levels', () => {
    expect(protectiveExit(bar(50, 50.1, 49.5, 49.9), { stopPrice: 49.55, targetPrice: 50.9 }, costs, true)).toEqual({ kind: 'STOP_LOSS', price: 49.54 });
    expect(protectiveExit(bar(50, 50.3, 49.8, 50.1), { stopPrice: 49.55, targetPrice: 50.9 }, costs, true)).toBeUndefined();
  });

  it('market exits sell half the spread below the open, rounded down to the cent', () => {
    expect(marketSellAtOpen(bar(50, 50.1, 49.9, 50), costs)).toBe(49.99);
    // One-cent spread: 10.00 - 0.005 = 9.995, rounded down (against us): 9.99; bought at 10.005 -> 10.01.
    expect(sellPriceAt(10, { ...costs, spread: 0.01 })).toBe(9.99);
    expect(buyPriceAtOpen(bar(10, 10, 10, 10), { ...costs, spread: 0.01 })).toBe(10.01);
  });

  it('models the spread from dollar volume, wider at the open and on movers, at least a cent', () => {
    expect(spreadBpsForDollarVolume(1e9)).toBeCloseTo(1.2, 10);
    expect(spreadBpsForDollarVolume(1e7)).toBeCloseTo(12, 10);
    // $50, $1B/day, midday: 1.2 bp of 50 = 0.006 -> 1 tick.
    expect(modelledSpread({ price: 50, dailyDollarVolume: 1e9, gap: 0.01, minutesSinceOpen: 120 })).toBe(0.01);
    // $100, $10M/day: 12 bp = 0.12; a 6 % gap mover x2.5 = 0.30; 0 min after the open x2.5 = 0.75.
    expect(modelledSpread({ price: 100, dailyDollarVolume: 1e7, gap: 0.06, minutesSinceOpen: 0 })).toBeCloseTo(0.75, 10);
    expect(modelledSpread({ price: 100, dailyDollarVolume: 1e7, gap: 0.06, minutesSinceOpen: 0 }, 4)).toBeCloseTo(0.04, 10);
  });
});

describe('IB commissions (hand-computed, IB\'s published examples)', () => {
  const fixed: CommissionSettings = { ...DEFAULT_COMMISSIONS, schedule: 'fixed', regulatoryFees: false };
  const tiered: CommissionSettings = { ...DEFAULT_COMMISSIONS, schedule: 'tiered', regulatoryFees: false };
  const buy = (shares: number, price: number, extra: Partial<{ addsLiquidity: boolean; monthShares: number }> = {}) => ({ side: 'BUY' as const, shares, value: shares * price, addsLiquidity: false, monthShares: 0, ...extra });

  it('fixed: $0.005 a share, $1 minimum, 1 % of the value at most', () => {
    expect(orderCommission(buy(100, 25), fixed)).toBe(1); // 0.50 -> minimum 1.00
    expect(orderCommission(buy(1_000, 25), fixed)).toBe(5); // 1,000 x 0.005
    expect(orderCommission(buy(1_000, 0.25), fixed)).toBe(2.5); // 5.00 capped at 1 % of 250
  });

  it('passes the SEC and FINRA fees of a sale through', () => {
    // 1,000 x $25 sold: 5.00 + SEC 0.0000278 x 25,000 = 0.695 -> 0.70 + TAF 0.000166 x 1,000 = 0.166 -> 0.17 = 5.87
    expect(orderCommission({ ...buy(1_000, 25), side: 'SELL' }, { ...fixed, regulatoryFees: true })).toBe(5.87);
    expect(orderCommission(buy(1_000, 25), { ...fixed, regulatoryFees: true })).toBe(5);
  });

  it('tiered: per-share rate by the month\'s volume, clearing, exchange fee or rebate, pass-through fees', () => {
    // 3.50 + clearing 0.20 + exchange 3.00 + (0.000175 + 0.000563) x 3.50 = 6.702583 -> 6.70
    expect(orderCommission(buy(1_000, 25), tiered)).toBe(6.7);
    // Adding liquidity: 3.50 + 0.20 - 2.00 + 0.002583 = 1.702583 -> 1.70
    expect(orderCommission(buy(1_000, 25, { addsLiquidity: true }), tiered)).toBe(1.7);
    // 500,000 shares already this month: 0.002 x 1,000 = 2.00 + 0.20 + 3.00 + 0.001476 = 5.201476 -> 5.20
    expect(orderCommission(buy(1_000, 25, { monthShares: 500_000 }), tiered)).toBe(5.2);
    // 10 shares: 0.035 -> minimum 0.35 + 0.002 + 0.03 + 0.000258 = 0.382258 -> 0.38
    expect(orderCommission(buy(10, 25), tiered)).toBe(0.38);
  });

  it('an order filled in parts pays what it would have paid at once', () => {
    const first = executionCommission(buy(0, 25), { shares: 100, value: 2_500 }, fixed); // minimum on the first part
    const second = executionCommission(buy(100, 25), { shares: 100, value: 2_500 }, fixed); // 200 sh: still the minimum
    const third = executionCommission(buy(200, 25), { shares: 300, value: 7_500 }, fixed); // 500 sh: 2.50 in total
    expect([first, second, third]).toEqual([1, 0, 1.5]);
    expect(first + second + third).toBe(orderCommission(buy(500, 25), fixed));
  });
});
