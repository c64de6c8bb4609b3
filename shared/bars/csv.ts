import fs from 'node:fs';
import path from 'node:path';
import { dayBarsFrom, type DayBars, type MinuteBar } from './day-bars';
import { BarDataError } from './bar-errors';
import { BAR_CSV_HEADER, readMinuteCsv, symbolOfCsvFile } from './minute-csv';
import { DateTime } from 'luxon';
import { calendarDayInNewYork, MARKET_ZONE, sessionHours, type TradingDay } from '../time/trading-calendar';

export { BAR_CSV_HEADER, SYMBOL_PATTERN } from './minute-csv';

/**
 * Minute-bar CSV files in the schema of ../shared/data/bars (README there; the row rules are in ./minute-csv).
 * Accepted here as well: extended-hours minutes (04:00-20:00 New York, as IB returns them with useRth=0). Every
 * rule broken is reported with the file and line.
 */

/** Every `<SYMBOL>.csv` of a folder (sorted), each as days of bars. */
export function readBarCsvDirectory(dir: string, symbols?: readonly string[]): Array<{ symbol: string; file: string; days: DayBars[] }> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new BarDataError(`bar folder ${dir} does not exist or is not a directory`);
  const names = fs.readdirSync(dir).filter((name) => name.toLowerCase().endsWith('.csv')).sort();
  if (names.length === 0) throw new BarDataError(`bar folder ${dir} has no <SYMBOL>.csv files (schema: ${BAR_CSV_HEADER})`);
  const wanted = symbols ? new Set(symbols) : undefined;
  const files = names.filter((name) => !wanted || wanted.has(symbolOfCsvFile(name)));
  if (wanted) {
    const found = new Set(files.map(symbolOfCsvFile));
    const missing = [...wanted].filter((s) => !found.has(s));
    if (missing.length > 0) throw new BarDataError(`no bars for ${missing.join(', ')} in ${dir} (it has ${names.map(symbolOfCsvFile).join(', ')})`);
  }
  return files.map((name) => readBarCsvFile(path.join(dir, name)));
}

export function readBarCsvFile(file: string): { symbol: string; file: string; days: DayBars[] } {
  const { symbol, rows } = readMinuteCsv(file, { place: extendedHoursDay, error: (detail, where) => new BarDataError(detail, where) });
  const byDay = new Map<TradingDay, MinuteBar[]>();
  for (const { bar, place: day } of rows) {
    let bars = byDay.get(day);
    if (!bars) byDay.set(day, (bars = []));
    bars.push(bar);
  }
  return { symbol, file, days: [...byDay.entries()].map(([day, bars]) => dayBarsFrom(symbol, day, bars)) };
}

/** The New York day of a bar, which must be a trading day, with the bar inside its extended hours. */
function extendedHoursDay(startMs: number, timeText: string, fail: (detail: string) => never): TradingDay {
  const day = calendarDayInNewYork(startMs);
  const hours = sessionHours(day);
  if (!hours) return fail(`${day} is not a NYSE trading day`);
  if (startMs < hours.preMarketOpenMs || startMs >= hours.afterHoursCloseMs) fail(`time "${timeText}" is outside ${day}'s trading hours (04:00 to ${hours.earlyClose ? '17:00' : '20:00'} New York)`);
  return day;
}

/** A day of bars as CSV text in the same schema (export, and the tests' own small files). */
export function barsToCsv(bars: readonly MinuteBar[]): string {
  const lines = [BAR_CSV_HEADER];
  for (const b of bars) lines.push(`${isoWithOffset(b.startMs)},${b.open},${b.high},${b.low},${b.close},${b.volume}`);
  return `${lines.join('\n')}\n`;
}

/** ISO 8601 with the New York offset, e.g. 2013-10-04T09:30:00-04:00. */
export function isoWithOffset(ms: number): string {
  return DateTime.fromMillis(ms, { zone: MARKET_ZONE }).toISO({ suppressMilliseconds: true, includeOffset: true })!;
}
