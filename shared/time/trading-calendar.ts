import { DateTime } from 'luxon';
import { nyseEarlyCloses, nyseHolidays } from './nyse-holidays';

export const MARKET_ZONE = 'America/New_York';

/** A trading day in New York, 'YYYY-MM-DD'. Rows are keyed on it, never on "since this process started". */
export type TradingDay = string;

export type MarketPhase = 'PRE_MARKET' | 'REGULAR' | 'AFTER_HOURS' | 'CLOSED';

export interface SessionHours {
  readonly tradingDay: TradingDay;
  readonly preMarketOpenMs: number; // 04:00
  readonly openMs: number; // 09:30
  readonly closeMs: number; // 16:00, or 13:00 on early closes
  readonly afterHoursCloseMs: number; // 20:00 (17:00 on early closes)
  readonly earlyClose: boolean;
}

const sessionCache = new Map<string, SessionHours | null>();

function weekdayOf(day: TradingDay): number {
  return DateTime.fromISO(day, { zone: 'utc' }).weekday;
}

export function holidayName(day: TradingDay): string | undefined {
  return nyseHolidays(Number(day.slice(0, 4))).get(day);
}

export function earlyCloseReason(day: TradingDay): string | undefined {
  return nyseEarlyCloses(Number(day.slice(0, 4))).get(day);
}

/** Per day, like sessionCache: the weekday and holiday rules go through luxon, which costs on a fill's path. */
const tradingDayCache = new Map<string, boolean>();

export function isTradingDay(day: TradingDay): boolean {
  let open = tradingDayCache.get(day);
  if (open === undefined) {
    open = weekdayOf(day) <= 5 && holidayName(day) === undefined;
    tradingDayCache.set(day, open);
  }
  return open;
}

/** Session times of a trading day as epoch ms (DST handled by the zone), or undefined on a closed day. */
export function sessionHours(day: TradingDay): SessionHours | undefined {
  const cached = sessionCache.get(day);
  if (cached !== undefined) return cached ?? undefined;
  if (!isTradingDay(day)) {
    sessionCache.set(day, null);
    return undefined;
  }
  const at = (hour: number, minute: number) => DateTime.fromISO(day, { zone: MARKET_ZONE }).set({ hour, minute }).toMillis();
  const earlyClose = earlyCloseReason(day) !== undefined;
  const hours: SessionHours = {
    tradingDay: day,
    preMarketOpenMs: at(4, 0),
    openMs: at(9, 30),
    closeMs: earlyClose ? at(13, 0) : at(16, 0),
    afterHoursCloseMs: earlyClose ? at(17, 0) : at(20, 0),
    earlyClose,
  };
  sessionCache.set(day, hours);
  return hours;
}

const HOUR_MS = 3_600_000;
const offsetByUtcHour = new Map<number, number | null>();

/**
 * New York's offset from UTC (ms) at a moment, from the time-zone database once per UTC hour. Building a zoned
 * luxon DateTime costs ~40 µs, and this runs on every tick (minutes to the close), every log line (market
 * time) and every fill's trading day. New York's offsets are whole hours and change at 2:00 local, which is
 * the start of a UTC hour, so one lookup holds for the whole hour; an hour whose two ends disagree (none since
 * 1883) is never cached and always asked. undefined: not a finite time.
 */
function newYorkOffsetMs(tsMs: number): number | undefined {
  if (!Number.isFinite(tsMs)) return undefined;
  const hour = Math.floor(tsMs / HOUR_MS);
  let offset = offsetByUtcHour.get(hour);
  if (offset === undefined) {
    const start = DateTime.fromMillis(hour * HOUR_MS, { zone: MARKET_ZONE }).offset;
    const end = DateTime.fromMillis(hour * HOUR_MS + HOUR_MS - 1, { zone: MARKET_ZONE }).offset;
    offset = start === end ? start * 60_000 : null;
    if (offsetByUtcHour.size >= 50_000) offsetByUtcHour.clear();
    offsetByUtcHour.set(hour, offset);
  }
  return offset ?? DateTime.fromMillis(tsMs, { zone: MARKET_ZONE }).offset * 60_000;
}

/** 'YYYY-MM-DDTHH:mm:ss.SSS' of New York's wall clock; undefined outside the years 0-9999 or for NaN. */
function newYorkIso(tsMs: number): string | undefined {
  const offset = newYorkOffsetMs(tsMs);
  if (offset === undefined) return undefined;
  const iso = new Date(tsMs + offset).toISOString();
  return iso.length === 24 ? iso.slice(0, 23) : undefined;
}

/** The formats the bots print on hot paths, cut from the wall clock's ISO text; any other goes through luxon. */
const FAST_FORMATS: Partial<Record<string, (iso: string) => string>> = {
  "yyyy-LL-dd'T'HH:mm:ss.SSS": (iso) => iso,
  'yyyy-LL-dd HH:mm:ss': (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}`,
  'yyyy-LL-dd HH:mm': (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`,
  'yyyy-LL-dd': (iso) => iso.slice(0, 10),
  'HH:mm:ss': (iso) => iso.slice(11, 19),
  'HH:mm': (iso) => iso.slice(11, 16),
};

/**
 * Epoch ms of a New York wall-clock time, from the cached offsets: undefined for the hours around a DST change
 * (01:00-02:59, where a wall time can be missing or twice), for a field out of range, or outside 0-9999;
 * the caller asks luxon then. Used for every execution time the broker reports (luxon's parse costs ~0.3 ms).
 */
export function newYorkWallClockMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined {
  if (hour === 1 || hour === 2 || hour > 23 || minute > 59 || second > 59 || year < 1 || year > 9999) return undefined;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  // utc + offset(utc) = wall: one step from the offset at the wall time read as UTC, and one to confirm.
  const first = newYorkOffsetMs(wall - (newYorkOffsetMs(wall) ?? 0));
  if (first === undefined) return undefined;
  const utc = wall - first;
  return newYorkOffsetMs(utc) === first ? utc : undefined;
}

export function calendarDayInNewYork(tsMs: number): TradingDay {
  return newYorkIso(tsMs)?.slice(0, 10) ?? DateTime.fromMillis(tsMs, { zone: MARKET_ZONE }).toISODate()!;
}

export function nextTradingDay(day: TradingDay): TradingDay {
  let dt = DateTime.fromISO(day, { zone: 'utc' });
  do dt = dt.plus({ days: 1 });
  while (!isTradingDay(dt.toISODate()!));
  return dt.toISODate()!;
}

export function previousTradingDay(day: TradingDay): TradingDay {
  let dt = DateTime.fromISO(day, { zone: 'utc' });
  do dt = dt.minus({ days: 1 });
  while (!isTradingDay(dt.toISODate()!));
  return dt.toISODate()!;
}

/** The day itself when it trades, otherwise the next trading day. */
export function tradingDayOnOrAfter(day: TradingDay): TradingDay {
  return isTradingDay(day) ? day : nextTradingDay(day);
}

/**
 * The trading day a moment belongs to: its New York date when that date trades (pre-market to after-hours
 * and the night after), otherwise the next session it prepares for (a Saturday belongs to Monday).
 */
export function tradingDayOf(tsMs: number): TradingDay {
  return tradingDayOnOrAfter(calendarDayInNewYork(tsMs));
}

export function marketPhase(tsMs: number): MarketPhase {
  const hours = sessionHours(calendarDayInNewYork(tsMs));
  if (!hours) return 'CLOSED';
  if (tsMs >= hours.openMs && tsMs < hours.closeMs) return 'REGULAR';
  if (tsMs >= hours.preMarketOpenMs && tsMs < hours.openMs) return 'PRE_MARKET';
  if (tsMs >= hours.closeMs && tsMs < hours.afterHoursCloseMs) return 'AFTER_HOURS';
  return 'CLOSED';
}

/** Minutes until today's regular close (negative after it); undefined on a closed day. */
export function minutesToClose(tsMs: number): number | undefined {
  const hours = sessionHours(calendarDayInNewYork(tsMs));
  return hours ? (hours.closeMs - tsMs) / 60_000 : undefined;
}

/** Epoch ms of a New York wall-clock time on a given day ('HH:MM'). */
export function newYorkTime(day: TradingDay, hhmm: string): number {
  const [hour, minute] = hhmm.split(':').map(Number);
  return DateTime.fromISO(day, { zone: MARKET_ZONE }).set({ hour: hour!, minute: minute!, second: 0, millisecond: 0 }).toMillis();
}

export function formatNewYork(tsMs: number, format = 'yyyy-LL-dd HH:mm:ss'): string {
  const fast = FAST_FORMATS[format];
  const iso = fast ? newYorkIso(tsMs) : undefined;
  return iso !== undefined ? fast!(iso) : DateTime.fromMillis(tsMs, { zone: MARKET_ZONE }).toFormat(format);
}
