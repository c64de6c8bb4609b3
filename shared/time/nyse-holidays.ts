import { DateTime } from 'luxon';

/**
 * NYSE full-day closures and 13:00 early closes, as rules (NYSE Rule 7.2 and the exchange's published
 * holiday lists). We write the rules ourselves because no maintained npm package covers NYSE early closes;
 * the calendar tests pin them against the published lists for 2019-2027.
 */

export interface HolidayRuleResult {
  readonly name: string;
}

/** Unscheduled closures (national mourning, weather). */
const SPECIAL_CLOSURES: Record<string, string> = {
  '2001-09-11': 'September 11', '2001-09-12': 'September 11', '2001-09-13': 'September 11', '2001-09-14': 'September 11',
  '2004-06-11': 'National Day of Mourning (Reagan)',
  '2007-01-02': 'National Day of Mourning (Ford)',
  '2012-10-29': 'Hurricane Sandy', '2012-10-30': 'Hurricane Sandy',
  '2018-12-05': 'National Day of Mourning (G. H. W. Bush)',
  '2025-01-09': 'National Day of Mourning (Carter)',
};

function ymd(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** n-th (1-based) weekday (1=Mon..7=Sun, luxon) of a month; n = -1 for the last. */
function nthWeekday(year: number, month: number, weekday: number, n: number): string {
  if (n > 0) {
    const first = DateTime.utc(year, month, 1);
    const offset = (weekday - first.weekday + 7) % 7;
    return first.plus({ days: offset + (n - 1) * 7 }).toISODate()!;
  }
  const last = DateTime.utc(year, month, 1).endOf('month').startOf('day');
  const offset = (last.weekday - weekday + 7) % 7;
  return last.minus({ days: offset }).toISODate()!;
}

/** Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(year, month, day);
}

/** A fixed-date holiday moved to Friday when it falls on Saturday and to Monday when on Sunday. */
function observed(date: string): string {
  const dt = DateTime.fromISO(date, { zone: 'utc' });
  if (dt.weekday === 6) return dt.minus({ days: 1 }).toISODate()!;
  if (dt.weekday === 7) return dt.plus({ days: 1 }).toISODate()!;
  return date;
}

const holidayCache = new Map<number, Map<string, string>>();

/** All full-day closures of a year, date → name. */
export function nyseHolidays(year: number): ReadonlyMap<string, string> {
  const cached = holidayCache.get(year);
  if (cached) return cached;
  const days = new Map<string, string>();
  // New Year's Day: on a Saturday the NYSE does NOT close the Friday before (it would be in the old year).
  const newYear = ymd(year, 1, 1);
  const newYearWeekday = DateTime.fromISO(newYear, { zone: 'utc' }).weekday;
  if (newYearWeekday !== 6) days.set(observed(newYear), "New Year's Day");
  if (year >= 1998) days.set(nthWeekday(year, 1, 1, 3), 'Martin Luther King Jr. Day');
  days.set(nthWeekday(year, 2, 1, 3), "Washington's Birthday");
  days.set(DateTime.fromISO(easterSunday(year), { zone: 'utc' }).minus({ days: 2 }).toISODate()!, 'Good Friday');
  days.set(nthWeekday(year, 5, 1, -1), 'Memorial Day');
  if (year >= 2022) days.set(observed(ymd(year, 6, 19)), 'Juneteenth National Independence Day');
  days.set(observed(ymd(year, 7, 4)), 'Independence Day');
  days.set(nthWeekday(year, 9, 1, 1), 'Labor Day');
  days.set(nthWeekday(year, 11, 4, 4), 'Thanksgiving Day');
  days.set(observed(ymd(year, 12, 25)), 'Christmas Day');
  for (const [date, name] of Object.entries(SPECIAL_CLOSURES)) if (date.startsWith(`${year}-`)) days.set(date, name);
  holidayCache.set(year, days);
  return days;
}

/** 13:00 early closes of a year, date → reason. */
export function nyseEarlyCloses(year: number): ReadonlyMap<string, string> {
  const days = new Map<string, string>();
  const holidays = nyseHolidays(year);
  const isOpenWeekday = (date: string) => {
    const wd = DateTime.fromISO(date, { zone: 'utc' }).weekday;
    return wd <= 5 && !holidays.has(date);
  };
  // July 3 closes early when it is a weekday session and July 4 is a weekday (i.e. July 4 falls Tue-Fri).
  const july3 = ymd(year, 7, 3);
  const july4Weekday = DateTime.fromISO(ymd(year, 7, 4), { zone: 'utc' }).weekday;
  if (isOpenWeekday(july3) && july4Weekday >= 2 && july4Weekday <= 5) days.set(july3, 'Independence Day eve');
  const dayAfterThanksgiving = DateTime.fromISO(nthWeekday(year, 11, 4, 4), { zone: 'utc' }).plus({ days: 1 }).toISODate()!;
  days.set(dayAfterThanksgiving, 'Day after Thanksgiving');
  const christmasEve = ymd(year, 12, 24);
  if (isOpenWeekday(christmasEve)) days.set(christmasEve, 'Christmas Eve');
  return days;
}
