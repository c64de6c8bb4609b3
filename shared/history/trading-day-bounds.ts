import { DateTime } from 'luxon';
import { MARKET_ZONE, isTradingDay, previousTradingDay, tradingDayOnOrAfter, type TradingDay } from '../time/trading-calendar';

/**
 * A trading day as a half-open range of ISO-8601 UTC instants, so SQL can filter `exit_time` (ISO text,
 * indexed) by trading day: tradingDayOf(t) = D exactly when t is in [start(D), end(D)), where the range runs
 * from New York midnight after the previous trading day to New York midnight after D (a Saturday belongs to
 * Monday, see tradingDayOf).
 */
function newYorkMidnightIso(calendarDay: string): string {
  return DateTime.fromISO(calendarDay, { zone: MARKET_ZONE }).startOf('day').toUTC().toISO()!;
}

function nextCalendarDay(day: string): string {
  return DateTime.fromISO(day, { zone: 'utc' }).plus({ days: 1 }).toISODate()!;
}

/** Start of the first trading day on or after `day`. */
export function tradingDayStartIso(day: TradingDay): string {
  const first = tradingDayOnOrAfter(day);
  return toStoredIso(newYorkMidnightIso(nextCalendarDay(previousTradingDay(first))));
}

/** End (exclusive) of the last trading day on or before `day`. */
export function tradingDayEndIso(day: TradingDay): string {
  const last = isTradingDay(day) ? day : previousTradingDay(day);
  return toStoredIso(newYorkMidnightIso(nextCalendarDay(last)));
}

/** luxon prints '...T05:00:00.000Z'; stored times come from Date#toISOString: the same shape, normalized anyway. */
function toStoredIso(iso: string): string {
  return new Date(Date.parse(iso)).toISOString();
}
