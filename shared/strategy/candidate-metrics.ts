import type { Bar } from '../broker/types';
import { DateTime } from 'luxon';
import { MARKET_ZONE, type SessionHours, type TradingDay } from '../time/trading-calendar';
import type { BarWindow } from './bar-window';

/** What the day-trader measured about one scanner candidate. Missing values are undefined, never 0. */
export interface CandidateMetrics {
  symbol: string;
  price?: number;
  /** RSI(14) of 5-minute closes. */
  rsi?: number;
  /** ATR(14) of 5-minute bars as % of price. */
  atrPct?: number;
  /** Today's first trade (pre-market included) against the previous close, in %. */
  gapPct?: number;
  /** Today's volume against the usual volume for this time of day. */
  relativeVolume?: number;
  /** (ask - bid) / mid, in %. */
  spreadPct?: number;
  /** The quote was IB's 15-minute delayed data (all the account has). */
  delayedQuote?: boolean;
}

/** A quote as a strategy sees it (live: the first two-sided quote; backtest: modelled around the last price). */
export interface CandidateQuote {
  bid?: number;
  ask?: number;
  last?: number;
  delayed?: boolean;
}

/** Previous close and usual daily volume, from the daily bars before today. */
export interface DailyContext {
  previousClose: number;
  averageDailyVolume: number;
}

/**
 * The daily context from daily bars (regular-session OHLCV, oldest first, possibly including today): the last
 * close before `day` and the mean volume of the days before it. Undefined without a day before `day`.
 */
export function dailyContextOf(dailyBars: readonly Bar[], day: TradingDay): DailyContext | undefined {
  const [dayStartMs] = newYorkDayBounds(day);
  const earlier = dailyBars.filter((b) => b.timeMs < dayStartMs);
  const last = earlier[earlier.length - 1];
  if (!last) return undefined;
  return { previousClose: last.close, averageDailyVolume: earlier.reduce((n, b) => n + b.volume, 0) / earlier.length };
}

export interface GapMomentumInput {
  symbol: string;
  nowMs: number;
  tradingDay: TradingDay;
  /** Regular session of `tradingDay` (undefined on a closed day). */
  session: SessionHours | undefined;
  /** 5-minute bars of the last two days, extended hours included (IB: '5 mins', '2 D', useRth false). */
  intraday: BarWindow;
  daily: DailyContext | undefined;
  quote: CandidateQuote | undefined;
}

/**
 * The gap-momentum strategy's measurements of a candidate: RSI(14) and ATR(14) of 5-minute bars, today's
 * first trade against the previous close, today's volume against the usual volume for the time of day, the
 * spread. Pure: the live day-trader feeds it the broker's answers, the backtest the bar store's.
 */
export function gapMomentumMetrics(input: GapMomentumInput): CandidateMetrics {
  const { symbol, nowMs, tradingDay: day, quote, daily } = input;
  const bars = input.intraday.bars;
  const rsi = input.intraday.rsi(14);
  const atr = input.intraday.atr(14);
  const lastClose = bars.length > 0 ? bars[bars.length - 1]!.close : undefined;
  let firstToday: Bar | undefined;
  let todayVolume = 0;
  const [dayStartMs, dayEndMs] = newYorkDayBounds(day);
  let start = bars.length;
  while (start > 0 && bars[start - 1]!.timeMs >= dayStartMs) start--;
  for (let i = start; i < bars.length; i++) {
    const b = bars[i]!;
    if (!(b.volume > 0) || b.timeMs >= dayEndMs) continue;
    firstToday ??= b;
    todayVolume += b.volume;
  }
  const price = quote?.last ?? lastClose;
  const hours = input.session;
  const elapsed = hours ? Math.min(1, Math.max(0.05, (nowMs - hours.openMs) / (hours.closeMs - hours.openMs))) : 1;
  const mid = quote?.bid && quote?.ask ? (quote.bid + quote.ask) / 2 : undefined;
  return {
    symbol,
    price: quote?.ask ?? price,
    rsi,
    atrPct: atr !== undefined && price ? (atr / price) * 100 : undefined,
    gapPct: daily && firstToday ? (firstToday.open / daily.previousClose - 1) * 100 : undefined,
    relativeVolume: daily && daily.averageDailyVolume > 0 ? todayVolume / (daily.averageDailyVolume * elapsed) : undefined,
    spreadPct: mid && quote?.bid && quote.ask ? ((quote.ask - quote.bid) / mid) * 100 : undefined,
    delayedQuote: quote?.delayed === true,
  };
}

const dayBoundsCache = new Map<string, readonly [number, number]>();

/** [00:00, next 00:00) of a New York calendar day in epoch ms (what calendarDayInNewYork maps to that day, DST included). */
export function newYorkDayBounds(day: TradingDay): readonly [number, number] {
  let bounds = dayBoundsCache.get(day);
  if (!bounds) {
    const start = DateTime.fromISO(day, { zone: MARKET_ZONE }).startOf('day');
    bounds = [start.toMillis(), start.plus({ days: 1 }).toMillis()] as const;
    if (dayBoundsCache.size > 5_000) dayBoundsCache.clear();
    dayBoundsCache.set(day, bounds);
  }
  return bounds;
}
