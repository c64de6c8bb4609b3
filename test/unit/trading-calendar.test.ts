import { DateTime } from 'luxon';
import {
  earlyCloseReason, holidayName, isTradingDay, marketPhase, minutesToClose, newYorkTime, nextTradingDay,
  previousTradingDay, sessionHours, tradingDayOf,
} from '../../shared/time/trading-calendar';
import { nyseEarlyCloses, nyseHolidays } from '../../shared/time/nyse-holidays';

// The NYSE's published holiday lists (nyse.com/markets/hours-calendars).
const PUBLISHED: Record<number, { holidays: string[]; earlyCloses: string[] }> = {
  2022: { holidays: ['2022-01-17', '2022-02-21', '2022-04-15', '2022-05-30', '2022-06-20', '2022-07-04', '2022-09-05', '2022-11-24', '2022-12-26'], earlyCloses: ['2022-11-25'] },
  2024: { holidays: ['2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-11-28', '2024-12-25'], earlyCloses: ['2024-07-03', '2024-11-29', '2024-12-24'] },
  2025: { holidays: ['2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25'], earlyCloses: ['2025-07-03', '2025-11-28', '2025-12-24'] },
  2026: { holidays: ['2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25'], earlyCloses: ['2026-11-27', '2026-12-24'] },
  2027: { holidays: ['2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-11-25', '2027-12-24'], earlyCloses: ['2027-11-26'] },
};

const utc = (ms: number) => new Date(ms).toISOString();

describe('NYSE trading calendar', () => {
  it.each(Object.keys(PUBLISHED).map(Number))('matches the published holidays and early closes of %i', (year) => {
    expect([...nyseHolidays(year).keys()].sort()).toEqual(PUBLISHED[year]!.holidays);
    expect([...nyseEarlyCloses(year).keys()].sort()).toEqual(PUBLISHED[year]!.earlyCloses);
  });

  it('keeps the Friday before a Saturday New Year open', () => {
    expect(isTradingDay('2021-12-31')).toBe(true);
    expect(holidayName('2022-01-01')).toBeUndefined();
  });

  it('knows weekends, holidays and the sessions around them', () => {
    expect(isTradingDay('2026-11-26')).toBe(false); // Thanksgiving
    expect(holidayName('2026-11-26')).toBe('Thanksgiving Day');
    expect(nextTradingDay('2026-11-25')).toBe('2026-11-27');
    expect(nextTradingDay('2026-11-27')).toBe('2026-11-30');
    expect(previousTradingDay('2026-11-30')).toBe('2026-11-27');
    expect(previousTradingDay('2026-01-02')).toBe('2025-12-31');
  });

  it('closes at 13:00 on early-close days', () => {
    const hours = sessionHours('2026-11-27')!;
    expect(earlyCloseReason('2026-11-27')).toBe('Day after Thanksgiving');
    expect(hours.earlyClose).toBe(true);
    expect(utc(hours.closeMs)).toBe('2026-11-27T18:00:00.000Z');
    expect(marketPhase(newYorkTime('2026-11-27', '13:30'))).toBe('AFTER_HOURS');
    expect(marketPhase(newYorkTime('2026-11-27', '12:59'))).toBe('REGULAR');
    expect(minutesToClose(newYorkTime('2026-11-27', '12:30'))).toBe(30);
  });

  it('follows DST: the open is 09:30 New York time on both sides of each change', () => {
    expect(utc(sessionHours('2026-03-06')!.openMs)).toBe('2026-03-06T14:30:00.000Z'); // EST
    expect(utc(sessionHours('2026-03-09')!.openMs)).toBe('2026-03-09T13:30:00.000Z'); // EDT, Monday after spring forward
    expect(utc(sessionHours('2026-10-30')!.closeMs)).toBe('2026-10-30T20:00:00.000Z'); // EDT
    expect(utc(sessionHours('2026-11-02')!.closeMs)).toBe('2026-11-02T21:00:00.000Z'); // EST, Monday after fall back
    // 01:30 happens twice on 2026-11-01; both are Sunday and closed
    const ambiguous = DateTime.fromISO('2026-11-01T01:30', { zone: 'America/New_York' }).toMillis();
    expect(marketPhase(ambiguous)).toBe('CLOSED');
    expect(marketPhase(ambiguous + 3_600_000)).toBe('CLOSED');
  });

  it('names the market phase of any moment', () => {
    expect(marketPhase(newYorkTime('2026-11-23', '03:59'))).toBe('CLOSED');
    expect(marketPhase(newYorkTime('2026-11-23', '04:00'))).toBe('PRE_MARKET');
    expect(marketPhase(newYorkTime('2026-11-23', '09:30'))).toBe('REGULAR');
    expect(marketPhase(newYorkTime('2026-11-23', '16:00'))).toBe('AFTER_HOURS');
    expect(marketPhase(newYorkTime('2026-11-23', '20:00'))).toBe('CLOSED');
    expect(marketPhase(newYorkTime('2026-11-26', '11:00'))).toBe('CLOSED'); // holiday
    expect(marketPhase(newYorkTime('2026-11-28', '11:00'))).toBe('CLOSED'); // Saturday
  });

  it('maps every moment to its trading day in New York, weekends to the next session', () => {
    expect(tradingDayOf(Date.parse('2026-11-24T03:00:00Z'))).toBe('2026-11-23'); // 22:00 NY the day before
    expect(tradingDayOf(newYorkTime('2026-11-28', '12:00'))).toBe('2026-11-30');
    expect(tradingDayOf(newYorkTime('2026-11-26', '12:00'))).toBe('2026-11-27');
  });
});
