import fc from 'fast-check';
import { DateTime } from 'luxon';
import { buildDailyEquity, equityCurve, sliceDailyEquity, tradingDaysBetween, sessionMinutes, tradingDayOfTime, isoWeekKey, formatEt } from '../../../shared/analytics';
import { isTradingDay, newYorkTime, tradingDayOf } from '../../../shared/time/trading-calendar';

describe('daily equity series', () => {
  it('derives equity from initial capital + cumulative realized P&L and fills days without trades', () => {
    // Mon 2026-11-23 +1,000, Tue 11-24 nothing, Wed 11-25 -500 from 100,000
    const series = buildDailyEquity([
      { tradingDay: '2026-11-23', realizedPnl: 1_000, trades: 2 },
      { tradingDay: '2026-11-25', realizedPnl: -500, trades: 1 },
    ], { initialCapital: 100_000 });
    expect(series.map((d) => d.tradingDay)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25']);
    expect(series.map((d) => [d.startEquity, d.endEquity])).toEqual([[100_000, 101_000], [101_000, 101_000], [101_000, 100_500]]);
    expect(series[0]!.return).toBeCloseTo(0.01, 12);
    expect(series[1]!.return).toBe(0);
    expect(series[2]!.return).toBeCloseTo(-500 / 101_000, 12);
    expect(series.every((d) => d.endSource === 'derived')).toBe(true);
    expect(equityCurve(series).map((p) => p.equity)).toEqual([100_000, 101_000, 101_000, 100_500]);
    expect(equityCurve(series)[0]!.label).toBeNull();
  });

  it('uses the account equity where recorded, so deposits between days do not count as returns', () => {
    const series = buildDailyEquity([
      { tradingDay: '2026-11-23', realizedPnl: 400, startEquity: 50_000, endEquity: 50_500 }, // +100 unrealized/fees
      { tradingDay: '2026-11-24', realizedPnl: 100, startEquity: 60_500 }, // 10,000 deposited overnight
      { tradingDay: '2026-11-25', realizedPnl: -200, endEquity: 60_300 },
    ], { initialCapital: 1 });
    expect(series.map((d) => [d.startEquity, d.endEquity, d.endSource])).toEqual([
      [50_000, 50_500, 'account'], [60_500, 60_600, 'derived'], [60_600, 60_300, 'account'],
    ]);
    expect(series[0]!.return).toBeCloseTo(0.01, 12);
    expect(series[1]!.return).toBeCloseTo(100 / 60_500, 12); // not (60,600 / 50,500 - 1)
  });

  it('skips holidays and weekends when filling, and slices by day', () => {
    // Thanksgiving 2026-11-26 is closed, the weekend too
    const series = buildDailyEquity([{ tradingDay: '2026-11-24', realizedPnl: 1 }, { tradingDay: '2026-12-01', realizedPnl: 1 }]);
    expect(series.map((d) => d.tradingDay)).toEqual(['2026-11-24', '2026-11-25', '2026-11-27', '2026-11-30', '2026-12-01']);
    expect(sliceDailyEquity(series, '2026-11-26', '2026-11-30').map((d) => d.tradingDay)).toEqual(['2026-11-27', '2026-11-30']);
    expect(buildDailyEquity([])).toEqual([]);
    expect(buildDailyEquity([{ tradingDay: '2026-11-24', realizedPnl: 1 }], { fillTo: '2026-11-27' }).map((d) => d.tradingDay)).toEqual(['2026-11-24', '2026-11-25', '2026-11-27']);
  });
});

describe('calendar helpers used by analytics', () => {
  it('agree with the shared NYSE calendar', () => {
    const days = tradingDaysBetween('2026-01-01', '2026-12-31');
    // compared day by day with the luxon-based isTradingDay of shared/time
    let independent = 0;
    for (let ms = Date.UTC(2026, 0, 1); ms <= Date.UTC(2026, 11, 31); ms += 86_400_000) if (isTradingDay(new Date(ms).toISOString().slice(0, 10))) independent++;
    expect(days).toHaveLength(independent);
    expect(days).not.toContain('2026-11-26');
    expect(sessionMinutes('2026-11-27')).toBe(210); // day after Thanksgiving, 13:00 close
    expect(sessionMinutes('2026-11-25')).toBe(390);
    expect(sessionMinutes('2026-11-26')).toBe(0);
  });

  it('maps instants to trading days like tradingDayOf, across DST changes', () => {
    const instants = [newYorkTime('2026-03-06', '23:59'), newYorkTime('2026-03-07', '12:00'), newYorkTime('2026-03-09', '00:30'), newYorkTime('2026-11-01', '01:30'), newYorkTime('2026-11-02', '00:00'), newYorkTime('2026-11-26', '10:00')];
    for (const ms of instants) expect(tradingDayOfTime(ms)).toBe(tradingDayOf(ms));
    // and on random instants over 30 years, including every DST change hour
    fc.assert(fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2030, 11, 31) }), (ms) => {
      expect(tradingDayOfTime(ms)).toBe(tradingDayOf(ms));
      expect(formatEt(ms)).toBe(DateTime.fromMillis(ms, { zone: 'America/New_York' }).toFormat('yyyy-LL-dd HH:mm'));
    }), { numRuns: 2_000 });
    for (const iso of ['2026-03-08T06:59:59.999Z', '2026-03-08T07:00:00.000Z', '2026-11-01T05:59:59.999Z', '2026-11-01T06:00:00.000Z']) {
      const ms = Date.parse(iso);
      expect(formatEt(ms)).toBe(DateTime.fromMillis(ms, { zone: 'America/New_York' }).toFormat('yyyy-LL-dd HH:mm'));
    }
    expect(formatEt(newYorkTime('2026-03-09', '09:35'))).toBe('2026-03-09 09:35');
    expect(formatEt(newYorkTime('2026-11-02', '09:35'), 'time')).toBe('09:35');
    expect(isoWeekKey('2026-12-31')).toBe('2026-W53');
    expect(isoWeekKey('2027-01-01')).toBe('2026-W53');
  });
});
