import { nyseHolidays } from '../../../shared/time/nyse-holidays';
import type { TradingDay } from '../../../shared/time/trading-calendar';
import { MarketDataError } from './market-data-error';

/**
 * Days as integers (days since 1970-01-01) so the daily price walk can sum over thousands of days
 * cheaply. The shared calendar answers the same questions through luxon, which costs microseconds a
 * call; the walk asks ~2 000 times per symbol on a cold start, so we keep a plain-arithmetic copy
 * and pin it against the shared calendar in the tests.
 */

const MS_PER_DAY = 86_400_000;
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function dayNumberOf(tradingDay: TradingDay): number {
  const match = DAY_PATTERN.exec(tradingDay);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== tradingDay) {
    throw new MarketDataError('bad-argument', `"${tradingDay}" is not a day in the form YYYY-MM-DD`);
  }
  return ms / MS_PER_DAY;
}

export function dayOfNumber(dayNumber: number): TradingDay {
  return new Date(dayNumber * MS_PER_DAY).toISOString().slice(0, 10);
}

const tradingByDayNumber = new Map<number, boolean>();

export function isTradingDayNumber(dayNumber: number): boolean {
  let trading = tradingByDayNumber.get(dayNumber);
  if (trading === undefined) {
    const weekday = (((dayNumber + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday (4); 0 = Sunday
    const day = dayOfNumber(dayNumber);
    trading = weekday !== 0 && weekday !== 6 && !nyseHolidays(Number(day.slice(0, 4))).has(day);
    tradingByDayNumber.set(dayNumber, trading);
  }
  return trading;
}

export function previousTradingDayNumber(dayNumber: number): number {
  let day = dayNumber - 1;
  while (!isTradingDayNumber(day)) day--;
  return day;
}

/**
 * Ordinal of a trading day counted from the first trading day of 2000 (which is 0). The replay model
 * cycles through a file's days by this ordinal, so it must not depend on when the process started.
 */
const ORDINAL_ANCHOR_YEAR = 2000;
const tradingDaysBeforeYear = new Map<number, number>();

function tradingDaysInYear(year: number): number {
  let count = 0;
  for (let day = dayNumberOf(`${year}-01-01`), end = dayNumberOf(`${year + 1}-01-01`); day < end; day++) {
    if (isTradingDayNumber(day)) count++;
  }
  return count;
}

function ordinalOfYearStart(year: number): number {
  const cached = tradingDaysBeforeYear.get(year);
  if (cached !== undefined) return cached;
  let ordinal = 0;
  if (year > ORDINAL_ANCHOR_YEAR) ordinal = ordinalOfYearStart(year - 1) + tradingDaysInYear(year - 1);
  else if (year < ORDINAL_ANCHOR_YEAR) ordinal = ordinalOfYearStart(year + 1) - tradingDaysInYear(year);
  tradingDaysBeforeYear.set(year, ordinal);
  return ordinal;
}

export function tradingDayOrdinal(dayNumber: number): number {
  const day = dayOfNumber(dayNumber);
  let ordinal = ordinalOfYearStart(Number(day.slice(0, 4)));
  for (let d = dayNumberOf(`${day.slice(0, 4)}-01-01`); d < dayNumber; d++) if (isTradingDayNumber(d)) ordinal++;
  return ordinal;
}
