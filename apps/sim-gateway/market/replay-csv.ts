import fs from 'node:fs';
import path from 'node:path';
import { sessionHours, type TradingDay } from '../../../shared/time/trading-calendar';
import { dayOfNumber, isTradingDayNumber } from './day-numbers';
import { MarketDataError } from './market-data-error';

/**
 * Reads replay files: `<SYMBOL>.csv` with header `time,open,high,low,close,volume`, one regular-session
 * minute per row, `time` ISO 8601 with an offset marking the bar START, minutes without trades
 * missing (see /work/shared/data/bars/README.md). Every rule broken names the file and line.
 */

export const REPLAY_CSV_HEADER = 'time,open,high,low,close,volume';

export interface ReplayBar {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export interface ReplayFileDay {
  readonly tradingDay: TradingDay;
  /** Index = minutes since 09:30; undefined where the file has no row (no trades that minute). */
  readonly barsByMinute: ReadonlyArray<ReplayBar | undefined>;
  readonly firstOpenUsd: number;
  readonly lastCloseUsd: number;
  readonly meanMinuteVolume: number;
  /** sd of 1-minute log close-to-close returns over the day (sizes the synthetic extended hours). */
  readonly oneMinuteReturnSd: number;
}

export interface ReplayFile {
  readonly symbol: string;
  readonly file: string;
  readonly days: readonly ReplayFileDay[];
}

const TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const PRICE_PATTERN = /^\d+(\.\d+)?$/;
const VOLUME_PATTERN = /^\d+(\.0+)?$/;
const SYMBOL_PATTERN = /^[A-Z][A-Z0-9.]{0,11}$/;
const MS_PER_DAY = 86_400_000;
const FOUR_HOURS_MS = 4 * 3_600_000;
/** Used when a day has too few bars to measure its volatility: a calm large cap (see intraday-profiles.ts). */
const FALLBACK_ONE_MINUTE_SD = 0.0005;

export function readReplayDirectory(dir: string): ReplayFile[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new MarketDataError('bad-directory', `replay directory ${dir} does not exist or is not a directory`);
  }
  const names = fs.readdirSync(dir).filter((name) => name.toLowerCase().endsWith('.csv')).sort();
  if (names.length === 0) {
    throw new MarketDataError('bad-directory', `replay directory ${dir} has no <SYMBOL>.csv files (schema: ${REPLAY_CSV_HEADER})`);
  }
  const files = names.map((name) => readReplayFile(path.join(dir, name)));
  const seen = new Map<string, string>();
  for (const file of files) {
    const other = seen.get(file.symbol);
    if (other) throw new MarketDataError('bad-directory', `${other} and ${file.file} both hold symbol ${file.symbol}`);
    seen.set(file.symbol, file.file);
  }
  return files;
}

export function readReplayFile(file: string): ReplayFile {
  const symbol = path.basename(file).replace(/\.csv$/i, '').toUpperCase();
  if (!SYMBOL_PATTERN.test(symbol)) {
    throw new MarketDataError('bad-csv', `the file name must be <SYMBOL>.csv; "${symbol}" is not a ticker`, { file });
  }
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  const header = lines[0]!.replace(/^\uFEFF/, '').trim();
  if (header !== REPLAY_CSV_HEADER) {
    throw new MarketDataError('bad-csv', `expected the header "${REPLAY_CSV_HEADER}", found "${header}"`, { file, line: 1 });
  }
  const days: ReplayFileDay[] = [];
  let current: { tradingDay: TradingDay; bars: Array<ReplayBar | undefined> } | undefined;
  let previousMs = -Infinity;
  for (let index = 1; index < lines.length; index++) {
    const text = lines[index]!.trim();
    if (text === '') continue;
    const where = { file, line: index + 1 };
    const fail = (detail: string): never => {
      throw new MarketDataError('bad-csv', detail, where);
    };
    const fields = text.split(',');
    if (fields.length !== 6) fail(`expected 6 fields (${REPLAY_CSV_HEADER}), found ${fields.length}`);
    const [timeText, ...numberTexts] = fields as [string, string, string, string, string, string];
    if (!TIME_PATTERN.test(timeText)) fail(`time "${timeText}" is not ISO 8601 with an offset (e.g. 2013-10-04T09:30:00-04:00)`);
    const startMs = Date.parse(timeText);
    if (Number.isNaN(startMs)) fail(`time "${timeText}" is not a valid date`);
    if (startMs % 60_000 !== 0) fail(`time "${timeText}" is not on a whole minute (bars are 1 minute, stamped at their start)`);
    if (startMs <= previousMs) fail(`time "${timeText}" is not after the previous row's: rows must be strictly increasing in time`);
    previousMs = startMs;
    // In the regular session the New York date is the UTC date of (t - 4 h), in EDT and in EST alike.
    const dayNumber = Math.floor((startMs - FOUR_HOURS_MS) / MS_PER_DAY);
    const tradingDay = dayOfNumber(dayNumber);
    if (!isTradingDayNumber(dayNumber)) fail(`${tradingDay} is not a NYSE trading day`);
    const hours = sessionHours(tradingDay)!;
    if (startMs < hours.openMs || startMs >= hours.closeMs) {
      fail(`time "${timeText}" is outside the regular session of ${tradingDay}: replay files hold regular-session bars only`);
    }
    const [open, high, low, close] = numberTexts.slice(0, 4).map((numberText, i) => {
      if (!PRICE_PATTERN.test(numberText) || Number(numberText) <= 0) fail(`${['open', 'high', 'low', 'close'][i]} "${numberText}" is not a positive price`);
      return Number(numberText);
    }) as [number, number, number, number];
    if (!VOLUME_PATTERN.test(numberTexts[4]) || Number(numberTexts[4]) <= 0) fail(`volume "${numberTexts[4]}" is not a positive integer`);
    if (low > Math.min(open, close) || high < Math.max(open, close)) {
      fail(`OHLC is inconsistent (open ${open}, high ${high}, low ${low}, close ${close}): need low <= open, close <= high`);
    }
    if (!current || current.tradingDay !== tradingDay) {
      if (current) days.push(summariseDay(current.tradingDay, current.bars));
      current = { tradingDay, bars: new Array((hours.closeMs - hours.openMs) / 60_000).fill(undefined) };
    }
    current.bars[(startMs - hours.openMs) / 60_000] = { open, high, low, close, volume: Number(numberTexts[4]) };
  }
  if (!current) throw new MarketDataError('bad-csv', 'the file has a header but no bars', { file });
  days.push(summariseDay(current.tradingDay, current.bars));
  return { symbol, file, days };
}

function summariseDay(tradingDay: TradingDay, barsByMinute: ReadonlyArray<ReplayBar | undefined>): ReplayFileDay {
  const present = barsByMinute.filter((bar): bar is ReplayBar => bar !== undefined);
  const returns: number[] = [];
  for (let i = 1; i < present.length; i++) returns.push(Math.log(present[i]!.close / present[i - 1]!.close));
  const meanReturn = returns.reduce((sum, r) => sum + r, 0) / Math.max(1, returns.length);
  const variance = returns.reduce((sum, r) => sum + (r - meanReturn) ** 2, 0) / Math.max(1, returns.length - 1);
  return {
    tradingDay,
    barsByMinute,
    firstOpenUsd: present[0]!.open,
    lastCloseUsd: present[present.length - 1]!.close,
    meanMinuteVolume: present.reduce((sum, bar) => sum + bar.volume, 0) / present.length,
    oneMinuteReturnSd: returns.length >= 10 ? Math.sqrt(variance) : FALLBACK_ONE_MINUTE_SD,
  };
}
