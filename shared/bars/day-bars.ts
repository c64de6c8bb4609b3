import type { SessionHours, TradingDay } from '../time/trading-calendar';

/** One minute of trades; `startMs` is the bar START (the bar covers [startMs, startMs + 60 000)). */
export interface MinuteBar {
  readonly startMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Shares, a positive integer. */
  readonly volume: number;
}

/**
 * One symbol's minute bars of one trading day, column-wise (what the bar store keeps and the engine reads):
 * strictly increasing bar starts, 04:00 to 20:00 New York time at most, minutes without trades absent.
 */
export interface DayBars {
  readonly symbol: string;
  readonly tradingDay: TradingDay;
  readonly length: number;
  readonly startMs: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** Regular-session OHLCV of a day (the daily bar IB returns with useRth, and what gaps are measured against). */
export interface DailyAggregate {
  readonly tradingDay: TradingDay;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export function dayBarsFrom(symbol: string, tradingDay: TradingDay, bars: readonly MinuteBar[]): DayBars {
  const n = bars.length;
  const day: DayBars = {
    symbol, tradingDay, length: n,
    startMs: new Float64Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const b = bars[i]!;
    day.startMs[i] = b.startMs;
    day.open[i] = b.open;
    day.high[i] = b.high;
    day.low[i] = b.low;
    day.close[i] = b.close;
    day.volume[i] = b.volume;
  }
  return day;
}

export function minuteBarAt(day: DayBars, i: number): MinuteBar {
  return { startMs: day.startMs[i]!, open: day.open[i]!, high: day.high[i]!, low: day.low[i]!, close: day.close[i]!, volume: day.volume[i]! };
}

/** The regular-session aggregate (09:30 to the close, early closes included); undefined without a regular bar. */
export function regularAggregate(day: DayBars, hours: SessionHours): DailyAggregate | undefined {
  let open = NaN, high = -Infinity, low = Infinity, close = NaN, volume = 0;
  let any = false;
  for (let i = 0; i < day.length; i++) {
    const t = day.startMs[i]!;
    if (t < hours.openMs || t >= hours.closeMs) continue;
    if (!any) open = day.open[i]!;
    any = true;
    if (day.high[i]! > high) high = day.high[i]!;
    if (day.low[i]! < low) low = day.low[i]!;
    close = day.close[i]!;
    volume += day.volume[i]!;
  }
  return any ? { tradingDay: day.tradingDay, open, high, low, close, volume } : undefined;
}

/** Index of the first bar starting at or after `ms` (binary search; `length` when none). */
export function firstIndexAtOrAfter(day: DayBars, ms: number): number {
  let lo = 0;
  let hi = day.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (day.startMs[mid]! < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
