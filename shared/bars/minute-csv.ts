import fs from 'node:fs';
import path from 'node:path';
import type { MinuteBar } from './day-bars';

/**
 * The rows of one minute-bar CSV file in the schema of ../shared/data/bars (README there): `<SYMBOL>.csv`, header
 * `time,open,high,low,close,volume`, `time` ISO 8601 with its offset marking the bar START, rows strictly
 * increasing, minutes without trades absent. Which hours a file may hold differs by reader (the backtester takes
 * extended hours, the simulator's replay the regular session only), so the reader places each bar in its day.
 * Every rule broken is reported with the file and line, as the reader's own error.
 */
export const BAR_CSV_HEADER = 'time,open,high,low,close,volume';

const TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const PRICE_PATTERN = /^\d+(\.\d+)?$/;
const VOLUME_PATTERN = /^\d+(\.0+)?$/;
export const SYMBOL_PATTERN = /^[A-Z][A-Z0-9.]{0,11}$/;

/** The file at fault, and the line (1-based) when one line is. */
export interface CsvLocation {
  readonly file: string;
  readonly line?: number;
}

export interface MinuteCsvReader<Place> {
  /**
   * The trading day (and whatever else the reader keeps) a bar starting at `startMs` belongs to; calls `fail`
   * when the bar is on no trading day or outside the hours this reader accepts.
   */
  readonly place: (startMs: number, timeText: string, fail: (detail: string) => never) => Place;
  /** The reader's own error for a broken rule. */
  readonly error: (detail: string, where: CsvLocation) => Error;
}

export interface MinuteCsvRow<Place> {
  readonly bar: MinuteBar;
  readonly place: Place;
}

export function symbolOfCsvFile(file: string): string {
  return path.basename(file).replace(/\.csv$/i, '').toUpperCase();
}

/** The symbol (from the file name) and every bar of the file, in file order; at least one bar. */
export function readMinuteCsv<Place>(file: string, reader: MinuteCsvReader<Place>): { symbol: string; rows: Array<MinuteCsvRow<Place>> } {
  const symbol = symbolOfCsvFile(file);
  if (!SYMBOL_PATTERN.test(symbol)) throw reader.error(`the file name must be <SYMBOL>.csv; "${symbol}" is not a ticker`, { file });
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  const header = (lines[0] ?? '').replace(/^\uFEFF/, '').trim();
  if (header !== BAR_CSV_HEADER) throw reader.error(`expected the header "${BAR_CSV_HEADER}", found "${header}"`, { file, line: 1 });
  const rows: Array<MinuteCsvRow<Place>> = [];
  let previousMs = -Infinity;
  for (let index = 1; index < lines.length; index++) {
    const text = lines[index]!.trim();
    if (text === '') continue;
    const where = { file, line: index + 1 };
    const fail = (detail: string): never => {
      throw reader.error(detail, where);
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
    const place = reader.place(startMs, timeText, fail);
    const [open, high, low, close] = [openText, highText, lowText, closeText].map((value, i) => {
      if (!PRICE_PATTERN.test(value) || !(Number(value) > 0)) fail(`${['open', 'high', 'low', 'close'][i]} "${value}" is not a positive price`);
      return Number(value);
    }) as [number, number, number, number];
    const volume = Number(volumeText);
    if (!VOLUME_PATTERN.test(volumeText) || !Number.isInteger(volume) || volume <= 0) fail(`volume "${volumeText}" is not a positive integer`);
    if (low > Math.min(open, close) || high < Math.max(open, close)) fail(`OHLC is inconsistent (open ${open}, high ${high}, low ${low}, close ${close}): need low <= open, close <= high`);
    rows.push({ bar: { startMs, open, high, low, close, volume }, place });
  }
  if (rows.length === 0) throw reader.error('the file has a header but no bars', { file });
  return { symbol, rows };
}
