import fs from 'node:fs';
import path from 'node:path';
import { dayBarsFrom, type DayBars, type MinuteBar } from './day-bars';
import { BarDataError } from './bar-errors';
import { DateTime } from 'luxon';
import { calendarDayInNewYork, MARKET_ZONE, sessionHours, type TradingDay } from '../time/trading-calendar';

/**
 * Minute-bar CSV files in the schema of ../shared/data/bars (README there): `<SYMBOL>.csv`, header
 * `time,open,high,low,close,volume`, `time` ISO 8601 with its offset marking the bar START, rows strictly
 * increasing, minutes without trades absent. Accepted here as well: extended-hours minutes (04:00-20:00 New
 * York, as IB returns them with useRth=0). Every rule broken is reported with the file and line.
 */
export const BAR_CSV_HEADER = 'time,open,high,low,close,volume';

const TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const NUMBER_PATTERN = /^\d+(\.\d+)?$/;
export const SYMBOL_PATTERN = /^[A-Z][A-Z0-9.]{0,11}$/;

/** Every `<SYMBOL>.csv` of a folder (sorted), each as days of bars. */
export function readBarCsvDirectory(dir: string, symbols?: readonly string[]): Array<{ symbol: string; file: string; days: DayBars[] }> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new BarDataError(`bar folder ${dir} does not exist or is not a directory`);
  const names = fs.readdirSync(dir).filter((name) => name.toLowerCase().endsWith('.csv')).sort();
  if (names.length === 0) throw new BarDataError(`bar folder ${dir} has no <SYMBOL>.csv files (schema: ${BAR_CSV_HEADER})`);
  const wanted = symbols ? new Set(symbols) : undefined;
  const files = names.filter((name) => !wanted || wanted.has(symbolOfFile(name)));
  if (wanted) {
    const found = new Set(files.map(symbolOfFile));
    const missing = [...wanted].filter((s) => !found.has(s));
    if (missing.length > 0) throw new BarDataError(`no bars for ${missing.join(', ')} in ${dir} (it has ${names.map(symbolOfFile).join(', ')})`);
  }
  return files.map((name) => readBarCsvFile(path.join(dir, name)));
}

function symbolOfFile(name: string): string {
  return path.basename(name).replace(/\.csv$/i, '').toUpperCase();
}

export function readBarCsvFile(file: string): { symbol: string; file: string; days: DayBars[] } {
  const symbol = symbolOfFile(file);
  if (!SYMBOL_PATTERN.test(symbol)) throw new BarDataError(`the file name must be <SYMBOL>.csv; "${symbol}" is not a ticker`, { file });
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  const header = (lines[0] ?? '').replace(/^\uFEFF/, '').trim();
  if (header !== BAR_CSV_HEADER) throw new BarDataError(`expected the header "${BAR_CSV_HEADER}", found "${header}"`, { file, line: 1 });
  const byDay = new Map<TradingDay, MinuteBar[]>();
  let previousMs = -Infinity;
  for (let index = 1; index < lines.length; index++) {
    const text = lines[index]!.trim();
    if (text === '') continue;
    const where = { file, line: index + 1 };
    const fail = (detail: string): never => {
      throw new BarDataError(detail, where);
    };
    const fields = text.split(',');
    if (fields.length !== 6) fail(`expected 6 fields (${BAR_CSV_HEADER}), found ${fields.length}`);
    const [timeText, openText, highText, lowText, closeText, volumeText] = fields as [string, string, string, string, string, string];
    if (!TIME_PATTERN.test(timeText)) fail(`time "${timeText}" is not ISO 8601 with an offset (e.g. 2013-10-04T09:30:00-04:00)`);
    const startMs = Date.parse(timeText);
    if (Number.isNaN(startMs)) fail(`time "${timeText}" is not a valid date`);
    if (startMs % 60_000 !== 0) fail(`time "${timeText}" is not on a whole minute (bars are 1 minute, stamped at their start)`);
    if (startMs <= previousMs) fail(`time "${timeText}" is not after the previous row's: rows must be strictly increasing in time`);
    previousMs = startMs;
    const day = calendarDayInNewYork(startMs);
    const hours = sessionHours(day);
    if (!hours) fail(`${day} is not a NYSE trading day`);
    if (startMs < hours!.preMarketOpenMs || startMs >= hours!.afterHoursCloseMs) fail(`time "${timeText}" is outside ${day}'s trading hours (04:00 to ${hours!.earlyClose ? '17:00' : '20:00'} New York)`);
    const [open, high, low, close] = [openText, highText, lowText, closeText].map((value, i) => {
      if (!NUMBER_PATTERN.test(value) || !(Number(value) > 0)) fail(`${['open', 'high', 'low', 'close'][i]} "${value}" is not a positive price`);
      return Number(value);
    }) as [number, number, number, number];
    if (!NUMBER_PATTERN.test(volumeText) || !Number.isInteger(Number(volumeText)) || Number(volumeText) <= 0) fail(`volume "${volumeText}" is not a positive integer`);
    if (low > Math.min(open, close) || high < Math.max(open, close)) fail(`OHLC is inconsistent (open ${open}, high ${high}, low ${low}, close ${close}): need low <= open, close <= high`);
    let bars = byDay.get(day);
    if (!bars) byDay.set(day, (bars = []));
    bars.push({ startMs, open, high, low, close, volume: Number(volumeText) });
  }
  if (byDay.size === 0) throw new BarDataError('the file has a header but no bars', { file });
  return { symbol, file, days: [...byDay.entries()].map(([day, bars]) => dayBarsFrom(symbol, day, bars)) };
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
