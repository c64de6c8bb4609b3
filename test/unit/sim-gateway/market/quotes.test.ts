import fc from 'fast-check';
import { MarketDataError, createSyntheticMarket } from '../../../../apps/sim-gateway/market';
import { newYorkTime } from '../../../../shared/time/trading-calendar';
import { isOnCentGrid, mean } from './market-assertions';

const market = createSyntheticMarket({ seed: 4, universeSize: 40 });
const day = '2026-03-04';

function meanSpread(symbol: string, lastPrice: number, hhmm: string): number {
  const startMs = newYorkTime(day, hhmm);
  return mean(Array.from({ length: 120 }, (_, i) => {
    const quote = market.quote(symbol, lastPrice, startMs + i * 1_000);
    return quote.ask - quote.bid;
  }));
}

describe('quote', () => {
  it('brackets the last price on the cent grid with bid < ask and round-lot sizes (any symbol, price, moment)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 39 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.boolean(),
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2027, 0, 1) }),
        (index, priceCents, subPenny, timeMs) => {
          const lastPrice = priceCents / 100 + (subPenny ? 0.0037 : 0);
          const quote = market.quote(market.universe[index]!.symbol, lastPrice, timeMs);
          expect(quote.bid).toBeLessThan(quote.ask);
          expect(isOnCentGrid(quote.bid) && isOnCentGrid(quote.ask)).toBe(true);
          expect(quote.bid).toBeGreaterThan(0);
          expect(quote.bid).toBeLessThanOrEqual(lastPrice);
          expect(quote.ask).toBeGreaterThanOrEqual(lastPrice);
          for (const size of [quote.bidSize, quote.askSize]) expect(size > 0 && size % 100 === 0).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is a few cents wide on liquid $20-200 names in the regular session, wider pre-market and after hours', () => {
    const symbol = market.universe.find((info) => market.dailyBar(info.symbol, day).volume * market.dailyBar(info.symbol, day).close > 3e8)!.symbol;
    const price = 57.31;
    const regular = meanSpread(symbol, price, '11:00');
    expect(regular).toBeLessThanOrEqual(0.05);
    expect(meanSpread(symbol, price, '08:00')).toBeGreaterThan(regular * 1.5);
    expect(meanSpread(symbol, price, '17:30')).toBeGreaterThan(regular * 1.5);
    // ...and widest when nobody is supposed to trade at all.
    expect(meanSpread(symbol, price, '22:00')).toBeGreaterThan(regular * 2);
  });

  it('is wider for the day\'s gap-and-go movers than for the same symbol on an ordinary day', () => {
    const [moverSymbol] = [...market.moversOf(day).keys()];
    const ordinaryDay = '2026-03-05';
    expect(market.moversOf(ordinaryDay).has(moverSymbol!)).toBe(false);
    const spreadOn = (tradingDay: string) =>
      mean(Array.from({ length: 120 }, (_, i) => {
        const quote = market.quote(moverSymbol!, 50, newYorkTime(tradingDay, '11:00') + i * 1_000);
        return quote.ask - quote.bid;
      }));
    expect(spreadOn(day)).toBeGreaterThan(spreadOn(ordinaryDay) * 1.5);
  });

  it('is deterministic and refuses a last price below one cent', () => {
    const symbol = market.universe[3]!.symbol;
    const timeMs = newYorkTime(day, '10:15') + 123;
    expect(market.quote(symbol, 42.42, timeMs)).toEqual(market.quote(symbol, 42.42, timeMs));
    expect(() => market.quote(symbol, 0, timeMs)).toThrow(MarketDataError);
  });
});
