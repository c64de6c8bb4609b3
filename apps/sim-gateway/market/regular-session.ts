import type { SessionHours, TradingDay } from '../../../shared/time/trading-calendar';
import { InvariantViolation } from '../../../shared/errors/errors';
import type { DailyBar, MinuteBar } from './market-types';

/** The regular-session bars of a day (09:30 to the close, early closes included). */
export function regularSessionBars(bars: readonly MinuteBar[], hours: SessionHours): MinuteBar[] {
  return bars.filter((bar) => bar.startMs >= hours.openMs && bar.startMs < hours.closeMs);
}

/** Daily OHLCV aggregated from the regular session, so daily and minute history always agree. */
export function regularSessionDailyBar(tradingDay: TradingDay, bars: readonly MinuteBar[], hours: SessionHours): DailyBar {
  const regular = regularSessionBars(bars, hours);
  if (regular.length === 0) throw new InvariantViolation(`no regular-session bars on trading day ${tradingDay}`, { tradingDay });
  let high = -Infinity;
  let low = Infinity;
  let volume = 0;
  for (const bar of regular) {
    if (bar.high > high) high = bar.high;
    if (bar.low < low) low = bar.low;
    volume += bar.volume;
  }
  return { tradingDay, open: regular[0]!.open, high, low, close: regular[regular.length - 1]!.close, volume };
}
