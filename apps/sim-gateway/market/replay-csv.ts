import fs from 'node:fs';
import path from 'node:path';
import { BAR_CSV_HEADER, readMinuteCsv } from '../../../shared/bars/minute-csv';
import { sessionHours, type SessionHours, type TradingDay } from '../../../shared/time/trading-calendar';
import { dayOfNumber, isTradingDayNumber } from './day-numbers';
import { MarketDataError } from './market-data-error';

/**
 * Reads replay files: `<SYMBOL>.csv` with header `time,open,high,low,close,volume`, one regular-session
 * minute per row, `time` ISO 8601 with an offset marking the bar START, minutes without trades
 * missing (see /work/shared/data/bars/README.md). Every rule broken names the file and line. The rows are
 * read by the shared minute-bar CSV reader; what is the replay's own is the regular-session-only rule.
 */

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
    throw new MarketDataError('bad-directory', `replay directory ${dir} has no <SYMBOL>.csv files (schema: ${BAR_CSV_HEADER})`);
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
  const { symbol, rows } = readMinuteCsv(file, { place: regularSessionDay, error: (detail, where) => new MarketDataError('bad-csv', detail, where) });
  const days: ReplayFileDay[] = [];
  let current: { tradingDay: TradingDay; bars: Array<ReplayBar | undefined> } | undefined;
  for (const { bar, place: { tradingDay, hours } } of rows) {
    if (!current || current.tradingDay !== tradingDay) {
      if (current) days.push(summariseDay(current.tradingDay, current.bars));
      current = { tradingDay, bars: new Array((hours.closeMs - hours.openMs) / 60_000).fill(undefined) };
    }
    current.bars[(bar.startMs - hours.openMs) / 60_000] = { open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume };
  }
  // readMinuteCsv refuses a file without bars, so a day is always open here.
  days.push(summariseDay(current!.tradingDay, current!.bars));
  return { symbol, file, days };
}

/** The trading day of a bar, which must be inside its regular session (replay files hold nothing else). */
function regularSessionDay(startMs: number, timeText: string, fail: (detail: string) => never): { tradingDay: TradingDay; hours: SessionHours } {
  // In the regular session the New York date is the UTC date of (t - 4 h), in EDT and in EST alike.
  const dayNumber = Math.floor((startMs - FOUR_HOURS_MS) / MS_PER_DAY);
  const tradingDay = dayOfNumber(dayNumber);
  if (!isTradingDayNumber(dayNumber)) fail(`${tradingDay} is not a NYSE trading day`);
  const hours = sessionHours(tradingDay)!;
  if (startMs < hours.openMs || startMs >= hours.closeMs) {
    fail(`time "${timeText}" is outside the regular session of ${tradingDay}: replay files hold regular-session bars only`);
  }
  return { tradingDay, hours };
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
