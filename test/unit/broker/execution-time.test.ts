import { DateTime } from 'luxon';
import { parseExecutionTime } from '../../../shared/broker/ib/ib-mapping';
import { MARKET_ZONE } from '../../../shared/time/trading-calendar';

/** The reading luxon gives (the parse before the fast path), for comparison. */
function byLuxon(text: string, fallbackMs: number): number {
  const parts = text.trim().split(/\s+/);
  const zone = parts[2] === 'US/Eastern' || !parts[2] ? MARKET_ZONE : parts[2];
  const parsed = DateTime.fromFormat(`${parts[0]} ${parts[1]}`, 'yyyyLLdd HH:mm:ss', { zone });
  return parsed.isValid ? parsed.toMillis() : fallbackMs;
}

describe('IB execution times', () => {
  it('read the same as luxon for New York times across two years and every 7 minutes around each DST change', () => {
    const wrong: string[] = [];
    const moments: number[] = [];
    const from = DateTime.fromISO('2025-01-01T00:00', { zone: MARKET_ZONE }).toMillis();
    for (let ts = from; ts < from + 2 * 366 * 86_400_000; ts += 3 * 3_600_000 + 7 * 60_000 + 1_000) moments.push(ts);
    for (const change of ['2025-03-09', '2025-11-02', '2026-03-08', '2026-11-01']) {
      const at = DateTime.fromISO(`${change}T02:00`, { zone: MARKET_ZONE }).toMillis();
      for (let ts = at - 30 * 3_600_000; ts < at + 30 * 3_600_000; ts += 7 * 60_000 + 1_000) moments.push(ts);
    }
    moments.forEach((ts, i) => {
      const wall = DateTime.fromMillis(ts, { zone: MARKET_ZONE }).toFormat('yyyyLLdd HH:mm:ss');
      // The forms IB and TWS send, one per moment in turn.
      const text = [`${wall} America/New_York`, `${wall} US/Eastern`, wall, ` ${wall.replace(' ', '  ')} `][i % 4]!;
      const got = parseExecutionTime(text, -1);
      const want = byLuxon(text, -1);
      if (got !== want) wrong.push(`${text}: ${got} != ${want}`);
    });
    expect(wrong).toEqual([]);
  });

  it('give the same answer as luxon in the hours a DST change makes missing or double, and for other zones', () => {
    for (const text of ['20260308 02:30:00 America/New_York', '20261101 01:30:00 US/Eastern', '20261101 01:59:59', '20260308 01:59:59', '20260308 03:00:00',
      '20261207 10:15:00 Europe/London', '20261207 10:15:00 Asia/Tokyo', '20261207 10:15:00 UTC']) {
      expect(`${text} -> ${parseExecutionTime(text, -1)}`).toBe(`${text} -> ${byLuxon(text, -1)}`);
    }
    expect(parseExecutionTime('20261207 10:15:00 America/New_York', -1)).toBe(Date.UTC(2026, 11, 7, 15, 15));
  });

  it('fall back on what does not read as a time, as before', () => {
    for (const text of ['', 'garbage', '20261399 10:15:00', '20260230 10:15:00', '20261207 24:00:00', '20261207 10:61:00', '20261207 10:15:00 Not/AZone']) {
      expect(`${text} -> ${parseExecutionTime(text, 42)}`).toBe(`${text} -> ${text ? byLuxon(text, 42) : 42}`);
    }
  });
});
