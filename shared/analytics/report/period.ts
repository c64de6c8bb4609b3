import { DateTime } from 'luxon';
import { calendarDayInNewYork, previousTradingDay, type TradingDay } from '../../time/trading-calendar';
import { isTradingDate, isoWeekBounds, isoWeekKey, monthBounds, tradingDaysBetween } from '../trading-days';
import type { ReportPeriod, ReportPeriodKind } from './report-model';

/**
 * The period containing `date` ('YYYY-MM-DD'):
 * - daily: that trading day; a weekend or holiday date means the trading day before it;
 * - weekly: the ISO week (Monday to Sunday), key 'YYYY-Www';
 * - monthly: the calendar month, key 'YYYY-MM'.
 */
export function reportPeriod(kind: ReportPeriodKind, date: string): ReportPeriod {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !DateTime.fromISO(date, { zone: 'utc' }).isValid) {
    throw new RangeError(`invalid date ${JSON.stringify(date)}: expected YYYY-MM-DD`);
  }
  if (kind === 'daily') {
    const day = isTradingDate(date) ? date : previousTradingDay(date);
    const weekday = DateTime.fromISO(day, { zone: 'utc' }).toFormat('cccc');
    return { kind, key: day, from: day, to: day, tradingDays: [day], title: `Daily report: ${weekday} ${day}` };
  }
  if (kind === 'weekly') {
    const { monday, sunday } = isoWeekBounds(date);
    const days = tradingDaysBetween(monday, sunday);
    const key = isoWeekKey(date);
    return { kind, key, from: monday, to: sunday, tradingDays: days, title: `Weekly report: ${key} (${monday} to ${sunday})` };
  }
  const { first, last } = monthBounds(date);
  const name = DateTime.fromISO(first, { zone: 'utc' }).toFormat('LLLL yyyy');
  return { kind, key: first.slice(0, 7), from: first, to: last, tradingDays: tradingDaysBetween(first, last), title: `Monthly report: ${name}` };
}

/** Default `--date`: today in New York (a daily report of a weekend or holiday shows the trading day before). */
export function defaultReportDate(nowMs: number): TradingDay {
  return calendarDayInNewYork(nowMs);
}
