import { dayNumberOf, dayOfNumber, isTradingDayNumber, previousTradingDayNumber, tradingDayOrdinal } from '../../../../apps/sim-gateway/market/day-numbers';
import { isTradingDay, previousTradingDay } from '../../../../shared/time/trading-calendar';

describe('day numbers (the market model\'s fast copy of the NYSE calendar)', () => {
  it('agrees with the shared calendar on every day of 1999-2031', () => {
    const mismatches: string[] = [];
    for (let n = dayNumberOf('1999-01-01'); n <= dayNumberOf('2031-12-31'); n++) {
      const day = dayOfNumber(n);
      if (dayNumberOf(day) !== n) mismatches.push(`${day}: round trip`);
      if (isTradingDayNumber(n) !== isTradingDay(day)) mismatches.push(`${day}: trading?`);
      // previousTradingDay goes through luxon, slow inside jest's sandbox: every 3rd day is plenty.
      if (n % 3 === 0 && isTradingDay(day) && dayOfNumber(previousTradingDayNumber(n)) !== previousTradingDay(day)) mismatches.push(`${day}: previous`);
    }
    expect(mismatches).toEqual([]);
  });

  it('numbers trading days consecutively from the first one of 2000, across years and backwards', () => {
    expect(tradingDayOrdinal(dayNumberOf('2000-01-03'))).toBe(0);
    let expected = tradingDayOrdinal(dayNumberOf('1998-01-02'));
    expect(expected).toBeLessThan(0);
    for (let n = dayNumberOf('1998-01-02'); n <= dayNumberOf('2003-12-31'); n++) {
      if (!isTradingDayNumber(n)) continue;
      expect(tradingDayOrdinal(n)).toBe(expected++);
    }
  });

  it('rejects malformed days', () => {
    for (const bad of ['2026-02-30', '2026-1-5', 'tomorrow', '']) expect(() => dayNumberOf(bad)).toThrow(/is not a day/);
  });
});
