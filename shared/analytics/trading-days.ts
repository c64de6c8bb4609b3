import { DateTime } from 'luxon';
import { nyseEarlyCloses } from '../time/nyse-holidays';
import { MARKET_ZONE, holidayName, type TradingDay } from '../time/trading-calendar';

/**
 * Calendar helpers that analytics calls thousands of times (10 years of days, 100,000 trades): the same
 * answers as shared/time's calendar, cached so a report does not create a luxon DateTime per trade.
 */

const DAY_MS = 86_400_000;
/** The instants toISOString prints with a four-digit year, 0000 to 9999 (others: '+010000-…', or it throws). */
const YEAR_0_MS = new Date(0).setUTCFullYear(0, 0, 1);
const YEAR_10000_MS = Date.UTC(10000, 0, 1);

/** new Date(ms).toISOString().slice(0, 10), by arithmetic within years 0 to 9999 (see formatEt). */
function isoDateOfUtcMs(ms: number): string {
  const t = Math.trunc(ms);
  if (!(t >= YEAR_0_MS && t < YEAR_10000_MS)) return new Date(ms).toISOString().slice(0, 10);
  return isoDateOfDayNumber(Math.floor(t / DAY_MS));
}

function utcMsOfIsoDate(day: string): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
}

/** Same as isTradingDay, without luxon: weekday from the UTC date, holidays from the cached NYSE table. */
export function isTradingDate(day: TradingDay): boolean {
  // The weekday from the day number (1970-01-01 was a Thursday), without a Date.
  const weekday = ((Math.floor(utcMsOfIsoDate(day) / DAY_MS) + 4) % 7 + 7) % 7;
  return weekday !== 0 && weekday !== 6 && holidayName(day) === undefined;
}

/** Every NYSE trading day from `from` to `to`, both included when they trade. */
export function tradingDaysBetween(from: TradingDay, to: TradingDay): TradingDay[] {
  const days: TradingDay[] = [];
  const first = utcMsOfIsoDate(from);
  // Weekday from the day number (1970-01-01 was a Thursday): weekends cost no date string.
  let weekday = (((Math.floor(first / DAY_MS) + 4) % 7) + 7) % 7;
  for (let ms = first, end = utcMsOfIsoDate(to); ms <= end; ms += DAY_MS, weekday = weekday === 6 ? 0 : weekday + 1) {
    if (weekday === 0 || weekday === 6) continue;
    const day = isoDateOfUtcMs(ms);
    if (holidayName(day) === undefined) days.push(day);
  }
  return days;
}

const earlyClosesByYear = new Map<number, ReadonlyMap<string, string>>();

/** Regular-session minutes of a trading day: 390, or 210 on a 13:00 early close; 0 on a closed day. */
export function sessionMinutes(day: TradingDay): number {
  if (!isTradingDate(day)) return 0;
  const year = Number(day.slice(0, 4));
  let early = earlyClosesByYear.get(year);
  if (!early) {
    early = nyseEarlyCloses(year);
    earlyClosesByYear.set(year, early);
  }
  return early.has(day) ? 210 : 390;
}

const offsetByUtcDay = new Map<number, number | null>();
const offsetByUtcHour = new Map<number, number>();

function luxonOffsetMinutes(ms: number): number {
  return DateTime.fromMillis(ms, { zone: MARKET_ZONE }).offset;
}

/**
 * New York's UTC offset in minutes at an instant, from two luxon look-ups per UTC day (cached): a day whose
 * start and end have the same offset has it all day; the two days a year with a DST change are looked up
 * per hour (New York's offsets are whole hours and change on the hour).
 */
export function newYorkOffsetMinutes(ms: number): number {
  const utcDay = Math.floor(ms / DAY_MS);
  let offset = offsetByUtcDay.get(utcDay);
  if (offset === undefined) {
    const atStart = luxonOffsetMinutes(utcDay * DAY_MS);
    offset = atStart === luxonOffsetMinutes(utcDay * DAY_MS + DAY_MS - 1) ? atStart : null;
    if (offsetByUtcDay.size > 100_000) offsetByUtcDay.clear();
    offsetByUtcDay.set(utcDay, offset);
  }
  if (offset !== null) return offset;
  const hour = Math.floor(ms / 3_600_000);
  let hourly = offsetByUtcHour.get(hour);
  if (hourly === undefined) {
    hourly = luxonOffsetMinutes(hour * 3_600_000);
    offsetByUtcHour.set(hour, hourly);
  }
  return hourly;
}

/** tradingDayOf for many timestamps (the same answer, see trading-calendar.ts): the New York date, or the next trading day. */
export function tradingDayOfTime(ms: number): TradingDay {
  const day = isoDateOfUtcMs(ms + newYorkOffsetMinutes(ms) * 60_000);
  return isTradingDate(day) ? day : tradingDateAfter(day);
}

/** The trading days among the `calendarDays` calendar days after a day (tradingDaysBetween of that range). */
export function tradingDaysAfter(day: TradingDay, calendarDays: number): TradingDay[] {
  const firstMs = utcMsOfIsoDate(day) + DAY_MS;
  return tradingDaysBetween(isoDateOfUtcMs(firstMs), isoDateOfUtcMs(firstMs + (calendarDays - 1) * DAY_MS));
}

/** The first trading day after a day (like nextTradingDay, without luxon). */
export function tradingDateAfter(day: TradingDay): TradingDay {
  let next = isoDateOfUtcMs(utcMsOfIsoDate(day) + DAY_MS);
  while (!isTradingDate(next)) next = isoDateOfUtcMs(utcMsOfIsoDate(next) + DAY_MS);
  return next;
}

/** 'YYYY-MM' of a day. */
export function monthKey(day: TradingDay): string {
  return day.slice(0, 7);
}

/** ISO week of a day, 'YYYY-Www' (ISO week-numbering year: 2026-12-31 is in 2026-W53, 2027-01-01 too). */
export function isoWeekKey(day: TradingDay): string {
  const dt = DateTime.fromISO(day, { zone: 'utc' });
  return `${dt.weekYear}-W${String(dt.weekNumber).padStart(2, '0')}`;
}

/** Monday and Sunday of the ISO week containing a day. */
export function isoWeekBounds(day: TradingDay): { monday: TradingDay; sunday: TradingDay } {
  const dt = DateTime.fromISO(day, { zone: 'utc' });
  const monday = dt.minus({ days: dt.weekday - 1 });
  return { monday: monday.toISODate()!, sunday: monday.plus({ days: 6 }).toISODate()! };
}

/** First and last calendar day of the month containing a day. */
export function monthBounds(day: TradingDay): { first: TradingDay; last: TradingDay } {
  const dt = DateTime.fromISO(day, { zone: 'utc' });
  return { first: dt.startOf('month').toISODate()!, last: dt.endOf('month').toISODate()! };
}

/** Calendar days from a to b (b - a), for durations. */
export function calendarDaysBetween(a: TradingDay, b: TradingDay): number {
  return Math.round((utcMsOfIsoDate(b) - utcMsOfIsoDate(a)) / DAY_MS);
}


/** New York wall-clock time of an instant, 'YYYY-MM-DD HH:mm' (or `format` 'time' for 'HH:mm'). */
export function formatEt(ms: number, format: 'datetime' | 'time' = 'datetime'): string {
  if (!Number.isFinite(ms)) return '';
  // The fields of new Date(local).toISOString() by integer arithmetic: reports format two times per trade, and
  // building the ISO string took most of a report's rendering. A Date's time value is the integer part.
  const local = Math.trunc(ms + newYorkOffsetMinutes(ms) * 60_000);
  if (!(local >= YEAR_0_MS && local < YEAR_10000_MS)) {
    const iso = new Date(ms + newYorkOffsetMinutes(ms) * 60_000).toISOString();
    return format === 'time' ? iso.slice(11, 16) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  }
  const days = Math.floor(local / DAY_MS);
  const minuteOfDay = Math.floor((local - days * DAY_MS) / 60_000);
  const time = `${twoDigits(Math.floor(minuteOfDay / 60))}:${twoDigits(minuteOfDay % 60)}`;
  return format === 'time' ? time : `${isoDateOfDayNumber(days)} ${time}`;
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/** 'YYYY-MM-DD' of a day number (days since 1970-01-01), years 0 to 9999 (H. Hinnant's civil_from_days). */
function isoDateOfDayNumber(dayNumber: number): string {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1_460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${twoDigits(month)}-${twoDigits(day)}`;
}
