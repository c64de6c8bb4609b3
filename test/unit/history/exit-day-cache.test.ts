import { tradingDayOfTime } from '../../../shared/analytics';
import { ExitDayCache, TradingDayEnds } from '../../../shared/history/exit-day-cache';
import { mulberry32 } from '../../../shared/random/mulberry32';

describe('trading day of stored exit times read in order', () => {
  it('gives tradingDayOfTime every 7 min 13 s across New York midnights, weekends, holidays and both DST changes', () => {
    // 2026: DST starts Sunday 8 March, ends Sunday 1 November; Good Friday 3 April; Thanksgiving 26 November.
    const spans: Array<[string, string]> = [['2026-03-05', '2026-03-11'], ['2026-04-01', '2026-04-07'], ['2026-10-29', '2026-11-04'], ['2026-11-24', '2026-11-30']];
    for (const [from, to] of spans) {
      const cache = new ExitDayCache();
      const end = Date.parse(`${to}T00:00:00Z`);
      // Every 7 minutes and 13 seconds: hits each hour at a different minute, and most midnights closely.
      for (let ms = Date.parse(`${from}T00:00:00Z`); ms < end; ms += 433_000) {
        const iso = new Date(ms).toISOString();
        expect([iso, cache.tradingDayOf(iso)]).toEqual([iso, tradingDayOfTime(ms)]);
      }
    }
  });

  it('parses other ISO forms on their own and answers the same for a time seen out of order', () => {
    const cache = new ExitDayCache();
    const times = ['2026-11-25T20:00:00.000Z', '2026-11-27T04:59:59.999Z', '2026-11-25T20:00:00Z', '2026-11-27T05:00:00.000Z', '2026-11-25T21:00:00.000Z', '2026-11-28T04:30:00-05:00'];
    for (const iso of times) expect([iso, cache.tradingDayOf(iso)]).toEqual([iso, tradingDayOfTime(Date.parse(iso))]);
  });

  it('walks on to the following trading days without a parse, shared between caches, across gaps, holidays and DST', () => {
    const days = new TradingDayEnds();
    const random = mulberry32(20261207);
    // Two readers of the same days (a report's agents), each in its own order of exit times over three years.
    for (let reader = 0; reader < 2; reader++) {
      const cache = new ExitDayCache(days);
      const parse = jest.spyOn(Date, 'parse');
      let ms = Date.parse('2025-01-01T00:00:00Z');
      const end = Date.parse('2028-01-01T00:00:00Z');
      let times = 0;
      while (ms < end) {
        const iso = new Date(ms).toISOString();
        expect([iso, cache.tradingDayOf(iso)]).toEqual([iso, tradingDayOfTime(ms)]);
        times++;
        // Mostly a few hours on, now and then weeks (more trading days than the walk takes before it parses).
        const r = random();
        ms += r < 0.02 ? Math.floor(random() * 30 * 86_400_000) : r < 0.05 ? 0 : Math.floor(random() * 9 * 3_600_000);
      }
      // Only the cache parses (tradingDayOfTime takes a number): after the first time, only past long gaps.
      expect(parse.mock.calls.length).toBeLessThan(times / 50);
      parse.mockRestore();
    }
  });
});
