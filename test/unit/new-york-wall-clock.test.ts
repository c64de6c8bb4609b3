import { DateTime } from 'luxon';
import { calendarDayInNewYork, formatNewYork, MARKET_ZONE } from '../../shared/time/trading-calendar';

/**
 * The market-time formatting and the New York date take a cached per-hour offset instead of a zoned luxon
 * DateTime. They must agree with luxon (the time-zone database) at every moment, DST changes above all.
 */
describe('New York wall clock from the cached offset', () => {
  const FORMATS = ["yyyy-LL-dd'T'HH:mm:ss.SSS", 'yyyy-LL-dd HH:mm:ss', 'yyyy-LL-dd HH:mm', 'yyyy-LL-dd', 'HH:mm:ss', 'HH:mm'];
  const mismatches = (tsMs: number): string[] => {
    const zoned = DateTime.fromMillis(tsMs, { zone: MARKET_ZONE });
    const out: string[] = [];
    for (const format of FORMATS) if (formatNewYork(tsMs, format) !== zoned.toFormat(format)) out.push(`${tsMs} ${format}: ${formatNewYork(tsMs, format)} != ${zoned.toFormat(format)}`);
    if (calendarDayInNewYork(tsMs) !== zoned.toISODate()) out.push(`${tsMs} day: ${calendarDayInNewYork(tsMs)} != ${zoned.toISODate()}`);
    return out;
  };

  it('agrees with luxon every 5 minutes around each DST change from 2007 to 2035, and 1 ms either side of it', () => {
    const wrong: string[] = [];
    for (let year = 2007; year <= 2035; year++) {
      for (const month of [3, 11]) {
        const first = DateTime.fromObject({ year, month, day: 1 }, { zone: MARKET_ZONE });
        for (let d = 0; d < 14; d++) {
          const date = first.plus({ days: d });
          if (date.weekday !== 7) continue;
          // From 18:00 the evening before (midnight UTC and New York both crossed) to 08:00 on the change day.
          const from = date.minus({ hours: 6 }).toMillis();
          for (let ts = from; ts < from + 14 * 3_600_000; ts += 300_000) wrong.push(...mismatches(ts + (ts % 997)));
          // The change itself: 2:00 local, 06:00 or 07:00 UTC.
          const change = date.set({ hour: 3 }).toUTC().startOf('hour').minus({ hours: 1 }).toMillis();
          for (const ts of [change - 1, change, change + 1, change + 3_600_000 - 1, change + 3_600_000]) wrong.push(...mismatches(ts));
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('agrees with luxon at random moments from 1950 to 2060, and on both sides of a change to the millisecond', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const from = Date.UTC(1950, 0, 1);
    const to = Date.UTC(2060, 0, 1);
    const wrong: string[] = [];
    for (let i = 0; i < 5_000; i++) wrong.push(...mismatches(Math.floor(from + random() * (to - from))));
    for (const ts of [0, -1, 1, Date.UTC(2026, 10, 1, 5, 59, 59, 999), Date.UTC(2026, 10, 1, 6), Date.UTC(2026, 2, 8, 6, 59, 59, 999), Date.UTC(2026, 2, 8, 7)]) wrong.push(...mismatches(ts));
    expect(wrong).toEqual([]);
  });

  it('falls back to luxon for what it does not cut (other formats, NaN)', () => {
    const ts = Date.UTC(2026, 11, 7, 15, 4, 5);
    expect(formatNewYork(ts, 'ccc yyyy-LL-dd HH:mm')).toBe('Mon 2026-12-07 10:04');
    expect(formatNewYork(Number.NaN, 'HH:mm')).toBe(DateTime.fromMillis(Number.NaN, { zone: MARKET_ZONE }).toFormat('HH:mm'));
  });
});
