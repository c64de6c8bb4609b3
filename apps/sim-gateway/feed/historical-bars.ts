import { DateTime } from 'luxon';
import { calendarDayInNewYork, MARKET_ZONE, previousTradingDay, sessionHours, type TradingDay } from '../../../shared/time/trading-calendar';
import type { MarketModel, MinuteBar } from '../market';
import type { HistoricalBar } from '../protocol/server-messages';

export class HistoricalRequestError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const BAR_SIZES: Record<string, number> = {
  '1 min': 1, '2 mins': 2, '3 mins': 3, '5 mins': 5, '10 mins': 10, '15 mins': 15, '20 mins': 20, '30 mins': 30, '1 hour': 60, '1 day': 1440,
};

/** Parses IB duration strings ("300 S", "2 D", "1 W", "1 M", "1 Y") into a number of trading days back (intraday) or calendar span. */
function durationDays(duration: string): number {
  const match = /^(\d+)\s*([SDWMY])$/i.exec(duration.trim());
  if (!match) throw new HistoricalRequestError(321, `Error validating request: invalid duration "${duration}" (expected e.g. "1 D", "300 S", "2 W")`);
  const n = Number(match[1]);
  switch (match[2]!.toUpperCase()) {
    case 'S': return Math.max(1, Math.ceil(n / 23_400));
    case 'D': return n;
    case 'W': return n * 5;
    case 'M': return n * 21;
    default: return n * 252;
  }
}

/** "yyyymmdd hh:mm:ss[ zone]", "yyyymmdd-hh:mm:ss" (UTC) or "" (now). */
export function parseEndDateTime(text: string, nowMs: number): number {
  const value = text.trim();
  if (!value) return nowMs;
  const utc = /^(\d{8})-(\d{2}:\d{2}:\d{2})$/.exec(value);
  const parsed = utc
    ? DateTime.fromFormat(`${utc[1]} ${utc[2]}`, 'yyyyLLdd HH:mm:ss', { zone: 'utc' })
    : DateTime.fromFormat(value.split(/\s+/).slice(0, 2).join(' '), 'yyyyLLdd HH:mm:ss', { zone: normalizeZone(value.split(/\s+/)[2]) });
  if (!parsed.isValid) throw new HistoricalRequestError(321, `Error validating request: invalid endDateTime "${text}"`);
  return Math.min(parsed.toMillis(), nowMs);
}

function normalizeZone(zone: string | undefined): string {
  if (!zone) return MARKET_ZONE;
  return zone === 'US/Eastern' ? MARKET_ZONE : zone;
}

function formatBarTime(ms: number, formatDate: number, daily: boolean): string {
  if (formatDate === 2 && !daily) return String(Math.floor(ms / 1000));
  const dt = DateTime.fromMillis(ms, { zone: MARKET_ZONE });
  return daily ? dt.toFormat('yyyyLLdd') : `${dt.toFormat('yyyyLLdd HH:mm:ss')} US/Eastern`;
}

function aggregate(bars: readonly MinuteBar[], time: string): HistoricalBar {
  let volume = 0;
  let notional = 0;
  for (const bar of bars) {
    volume += bar.volume;
    notional += bar.volume * (bar.high + bar.low + bar.close) / 3;
  }
  return {
    time,
    open: bars[0]!.open,
    high: Math.max(...bars.map((b) => b.high)),
    low: Math.min(...bars.map((b) => b.low)),
    close: bars[bars.length - 1]!.close,
    volume,
    wap: volume > 0 ? Math.round((notional / volume) * 100) / 100 : bars[bars.length - 1]!.close,
    tradeCount: bars.length * 8,
  };
}

export interface HistoricalQuery {
  symbol: string;
  endMs: number;
  barSize: string;
  duration: string;
  useRth: boolean;
  formatDate: number;
}

/** Bars as IB returns them: complete bars only, never past `endMs` (no peeking into the simulated future). */
export function historicalBars(model: MarketModel, query: HistoricalQuery): { bars: HistoricalBar[]; startMs: number } {
  const minutes = BAR_SIZES[query.barSize];
  if (!minutes) throw new HistoricalRequestError(321, `Error validating request: unsupported bar size "${query.barSize}" (use ${Object.keys(BAR_SIZES).join(', ')})`);
  const days = durationDays(query.duration);
  // The calendar day, not tradingDayOf: that maps a weekend or holiday to the NEXT session, which has no bars yet.
  const lastDay = calendarDayInNewYork(query.endMs);
  const dayList: TradingDay[] = [];
  for (let day = sessionHours(lastDay) ? lastDay : previousTradingDay(lastDay); dayList.length < days; day = previousTradingDay(day)) dayList.unshift(day);
  const bars: HistoricalBar[] = [];
  for (const day of dayList) {
    const hours = sessionHours(day)!;
    const minuteBars = model.minuteBars(query.symbol, day).filter((b) =>
      b.startMs + 60_000 <= query.endMs && (!query.useRth || (b.startMs >= hours.openMs && b.startMs < hours.closeMs)));
    if (minutes === 1440) {
      const regular = minuteBars.filter((b) => b.startMs >= hours.openMs && b.startMs < hours.closeMs);
      if (regular.length > 0) bars.push(aggregate(regular, formatBarTime(hours.openMs, query.formatDate, true)));
      continue;
    }
    const bucketMs = minutes * 60_000;
    let bucket: MinuteBar[] = [];
    let bucketStart = -1;
    for (const bar of minuteBars) {
      const start = bar.startMs - ((bar.startMs - hours.preMarketOpenMs) % bucketMs);
      if (start !== bucketStart && bucket.length > 0) {
        bars.push(aggregate(bucket, formatBarTime(bucketStart, query.formatDate, false)));
        bucket = [];
      }
      bucketStart = start;
      bucket.push(bar);
    }
    if (bucket.length > 0) bars.push(aggregate(bucket, formatBarTime(bucketStart, query.formatDate, false)));
  }
  return { bars, startMs: sessionHours(dayList[0]!)!.preMarketOpenMs };
}

export function formatHistoricalRange(ms: number): string {
  return DateTime.fromMillis(ms, { zone: MARKET_ZONE }).toFormat('yyyyLLdd  HH:mm:ss');
}
