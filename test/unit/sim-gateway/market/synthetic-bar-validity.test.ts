import fc from 'fast-check';
import { createSyntheticMarket } from '../../../../apps/sim-gateway/market';
import { sessionHours } from '../../../../shared/time/trading-calendar';
import { dayProblems, regularBars } from './market-assertions';

const tradingDate = fc
  .date({ min: new Date('2010-01-01'), max: new Date('2040-12-31'), noInvalidDate: true })
  .map((date) => date.toISOString().slice(0, 10))
  .filter((day) => sessionHours(day) !== undefined);

describe('synthetic minute bars are always valid', () => {
  it('are contiguous from 04:00 to the after-hours close, OHLC-consistent, on the cent grid, with positive volume (many seeds, days, symbols)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), tradingDate, fc.integer({ min: 0, max: 29 }), (seed, day, index) => {
        const market = createSyntheticMarket({ seed, universeSize: 30 });
        const symbol = market.universe[index]!.symbol;
        const hours = sessionHours(day)!;
        const bars = market.minuteBars(symbol, day);
        expect(dayProblems(bars, hours)).toEqual([]);

        const regular = regularBars(bars, hours);
        const daily = market.dailyBar(symbol, day);
        expect(daily).toEqual({
          tradingDay: day,
          open: regular[0]!.open,
          high: Math.max(...regular.map((bar) => bar.high)),
          low: Math.min(...regular.map((bar) => bar.low)),
          close: regular[regular.length - 1]!.close,
          volume: regular.reduce((sum, bar) => sum + bar.volume, 0),
        });
        // Prices stay in a sane band for decades (base prices are $5-$400, mean-reverting walk).
        expect(daily.close).toBeGreaterThan(1);
        expect(daily.close).toBeLessThan(3000);
      }),
      { numRuns: 60 },
    );
  });

  it('follows early closes: 13:00 close, after-hours to 17:00 (day after Thanksgiving 2026)', () => {
    const market = createSyntheticMarket({ seed: 12, universeSize: 30 });
    const hours = sessionHours('2026-11-27')!;
    for (const info of market.universe.slice(0, 5)) {
      const bars = market.minuteBars(info.symbol, '2026-11-27');
      expect(bars).toHaveLength(330 + 210 + 240);
      expect(dayProblems(bars, hours)).toEqual([]);
      expect(regularBars(bars, hours)).toHaveLength(210);
    }
  });

  it('keeps every regular-session minute close to the previous one (no jumps inside the session)', () => {
    const market = createSyntheticMarket({ seed: 77, universeSize: 40 });
    const hours = sessionHours('2026-04-14')!;
    let largestMove = 0;
    for (const info of market.universe) {
      const regular = regularBars(market.minuteBars(info.symbol, '2026-04-14'), hours);
      for (let i = 1; i < regular.length; i++) largestMove = Math.max(largestMove, Math.abs(Math.log(regular[i]!.close / regular[i - 1]!.close)));
    }
    // Even a mover's wildest minute at the open stays within a few percent.
    expect(largestMove).toBeLessThan(0.06);
  });
});
