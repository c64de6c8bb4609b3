import type { Bar } from '../broker/types';
import { firstIndexAtOrAfter, type DailyAggregate, type DayBars } from '../bars/day-bars';
import { barWindow } from '../strategy/bar-window';
import { dailyContextOf, newYorkDayBounds } from '../strategy/candidate-metrics';
import { HISTORICAL_PACING_REASON, HistoricalPacer, INTRADAY_BARS_TTL_MS } from '../strategy/historical-pacer';
import type { CandidateData, MarketNeeds } from '../strategy/types';
import { previousTradingDay, type SessionHours, type TradingDay } from '../time/trading-calendar';
import { IntradaySeries } from './intraday-series';
import type { ScannerSnapshot } from './scanner';
import { modelledSpread, quoteAround } from './spread-model';

/** Where the engine gets its bars: the bar store, or memory (tests). */
export interface BarSource {
  /** Every universe symbol's minute bars of one day (a symbol without bars that day is absent). */
  day(tradingDay: TradingDay, symbols: readonly string[]): Map<string, DayBars>;
  /** Regular-session aggregates of a symbol between two days, both included, oldest first. */
  dailyAggregates(symbol: string, fromDay: TradingDay, toDay: TradingDay): DailyAggregate[];
}

/** Per symbol: its regular-session daily history, for previous closes, usual volumes and daily bars. */
export class DailyHistory {
  private readonly bySymbol = new Map<string, { days: string[]; bars: DailyAggregate[] }>();

  constructor(source: BarSource, symbols: readonly string[], fromDay: TradingDay, toDay: TradingDay) {
    for (const symbol of symbols) {
      const bars = source.dailyAggregates(symbol, fromDay, toDay);
      this.bySymbol.set(symbol, { days: bars.map((b) => b.tradingDay), bars });
    }
  }

  /** The aggregates of the days strictly before `day`, the last `count` of them, oldest first. */
  before(symbol: string, day: TradingDay, count: number): DailyAggregate[] {
    const entry = this.bySymbol.get(symbol);
    if (!entry) return [];
    let hi = entry.days.length;
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entry.days[mid]! < day) lo = mid + 1;
      else hi = mid;
    }
    return entry.bars.slice(Math.max(0, lo - count), lo);
  }

  previousClose(symbol: string, day: TradingDay): number | undefined {
    return this.before(symbol, day, 1)[0]?.close;
  }
}

interface SymbolDayState {
  bars: DayBars | undefined;
  /** Cumulative volume through bar i. */
  prefixVolume?: Float64Array;
  previousClose: number | undefined;
  averageVolume10: number;
  dollarVolume10: number | undefined;
  firstRegularOpen?: number;
}

/**
 * The market of one simulated trading day as the engine and the strategies see it at time t: last prices,
 * scanner snapshots, quotes from the spread model, and candidate data answered like IB answers the live
 * day-trader's requests, with the same pacing and reuse (HistoricalPacer, 5-minute reuse of intraday bars,
 * daily bars cached for the day).
 */
export class MarketDay {
  private readonly states = new Map<string, SymbolDayState>();
  private readonly series = new Map<string, IntradaySeries>();
  private readonly dailyStartMsCache = new Map<string, number>();

  constructor(
    readonly tradingDay: TradingDay,
    readonly hours: SessionHours,
    readonly universe: readonly string[],
    readonly bars: ReadonlyMap<string, DayBars>,
    /** Earlier days' bars, most recent first (for intraday requests over several days). */
    private readonly earlierDays: ReadonlyArray<{ tradingDay: TradingDay; hours: SessionHours; bars: ReadonlyMap<string, DayBars> }>,
    private readonly daily: DailyHistory,
    private readonly fixedSpreadBps: number | undefined,
  ) {}

  state(symbol: string): SymbolDayState {
    let state = this.states.get(symbol);
    if (!state) {
      const history = this.daily.before(symbol, this.tradingDay, 10);
      const averageVolume10 = history.length > 0 ? history.reduce((n, b) => n + b.volume, 0) / history.length : 0;
      const dollarVolume10 = history.length > 0 ? history.reduce((n, b) => n + b.volume * b.close, 0) / history.length : undefined;
      state = { bars: this.bars.get(symbol), previousClose: history[history.length - 1]?.close, averageVolume10, dollarVolume10 };
      this.states.set(symbol, state);
    }
    return state;
  }

  /** Number of today's bars of a symbol that ended by t. */
  barsEndedBy(symbol: string, t: number): number {
    const bars = this.state(symbol).bars;
    return bars ? firstIndexAtOrAfter(bars, t - 60_000 + 1) : 0;
  }

  /** The last trade known at t: the close of the last bar that ended, else the previous close. */
  lastPrice(symbol: string, t: number): number | undefined {
    const state = this.state(symbol);
    const n = this.barsEndedBy(symbol, t);
    return n > 0 ? state.bars!.close[n - 1] : state.previousClose;
  }

  volumeBy(symbol: string, t: number): number {
    const state = this.state(symbol);
    const n = this.barsEndedBy(symbol, t);
    if (n === 0 || !state.bars) return 0;
    if (!state.prefixVolume) {
      const prefix = new Float64Array(state.bars.length);
      let total = 0;
      for (let i = 0; i < state.bars.length; i++) prefix[i] = total += state.bars.volume[i]!;
      state.prefixVolume = prefix;
    }
    return state.prefixVolume[n - 1]!;
  }

  scannerSnapshots(t: number): ScannerSnapshot[] {
    return this.universe.map((symbol) => {
      const state = this.state(symbol);
      return { symbol, last: this.lastPrice(symbol, t) ?? 0, previousClose: state.previousClose ?? 0, volume: this.volumeBy(symbol, t), averageDailyVolume: state.averageVolume10 };
    });
  }

  /** Today's gap against the previous close (first regular bar once the session is open, else the first bar). */
  gap(symbol: string, t: number): number | undefined {
    const state = this.state(symbol);
    if (!state.bars || state.previousClose === undefined || state.bars.length === 0) return undefined;
    if (t > this.hours.openMs) {
      if (state.firstRegularOpen === undefined) {
        const i = firstIndexAtOrAfter(state.bars, this.hours.openMs);
        state.firstRegularOpen = i < state.bars.length ? state.bars.open[i]! : state.bars.open[0]!;
      }
      return state.firstRegularOpen / state.previousClose - 1;
    }
    return state.bars.open[0]! / state.previousClose - 1;
  }

  /** The full quoted spread at a price and time. */
  spread(symbol: string, price: number, t: number): number {
    const state = this.state(symbol);
    return modelledSpread({ price, dailyDollarVolume: state.dollarVolume10, gap: this.gap(symbol, t), minutesSinceOpen: (t - this.hours.openMs) / 60_000 }, this.fixedSpreadBps);
  }

  quote(symbol: string, t: number): { bid: number; ask: number; last: number } | undefined {
    const last = this.lastPrice(symbol, t);
    if (last === undefined || !(last > 0)) return undefined;
    return { ...quoteAround(last, this.spread(symbol, last, t)), last };
  }

  intradaySeries(symbol: string, request: NonNullable<MarketNeeds['intraday']>): IntradaySeries {
    const key = `${symbol}|${request.barSize}|${request.days}|${request.useRth}`;
    let series = this.series.get(key);
    if (!series) {
      const earlier = this.earlierDays.slice(0, Math.max(0, request.days - 1)).reverse()
        .map((d) => ({ bars: d.bars.get(symbol), hours: d.hours }))
        .filter((d): d is { bars: DayBars; hours: SessionHours } => d.bars !== undefined);
      series = new IntradaySeries(BAR_MINUTES[request.barSize], request.useRth, earlier, { bars: this.bars.get(symbol), hours: this.hours });
      this.series.set(key, series);
    }
    return series;
  }

  /** Daily bars as IB answers '1 day', 'N D', useRth at t: the earlier days, and today's once a regular minute ended. */
  dailyBars(symbol: string, t: number, days: number): Bar[] {
    const out: Bar[] = [];
    for (const b of this.daily.before(symbol, this.tradingDay, Math.max(0, days - 1))) {
      if (b.tradingDay < this.earliestCalendarDay(days)) continue;
      out.push({ timeMs: this.dayStartMs(b.tradingDay), open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume });
    }
    const bars = this.state(symbol).bars;
    if (bars) {
      let open = NaN, high = -Infinity, low = Infinity, close = NaN, volume = 0, any = false;
      for (let i = firstIndexAtOrAfter(bars, this.hours.openMs); i < bars.length; i++) {
        const start = bars.startMs[i]!;
        if (start >= this.hours.closeMs || start + 60_000 > t) break;
        if (!any) open = bars.open[i]!;
        any = true;
        high = Math.max(high, bars.high[i]!);
        low = Math.min(low, bars.low[i]!);
        close = bars.close[i]!;
        volume += bars.volume[i]!;
      }
      if (any) out.push({ timeMs: this.dayStartMs(this.tradingDay), open, high, low, close, volume });
    }
    return out;
  }

  private earliestDay: Map<number, string> = new Map();

  /** The first of the last `days` NYSE trading days ending today (IB's duration counts trading days). */
  private earliestCalendarDay(days: number): string {
    let day = this.earliestDay.get(days);
    if (day === undefined) {
      day = this.tradingDay;
      for (let i = 1; i < days; i++) day = previousTradingDay(day);
      this.earliestDay.set(days, day);
    }
    return day;
  }

  private dayStartMs(day: string): number {
    let ms = this.dailyStartMsCache.get(day);
    if (ms === undefined) this.dailyStartMsCache.set(day, (ms = newYorkDayBounds(day)[0]));
    return ms;
  }
}

const BAR_MINUTES: Record<NonNullable<MarketNeeds['intraday']>['barSize'], number> = { '1 min': 1, '5 mins': 5, '15 mins': 15, '1 hour': 60 };

export class NotMeasuredInBacktest extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * The live day-trader's CandidateMetricsSource, answered from the bars: the same requests, the same pacing
 * budget (one HistoricalPacer on market time, shared by every strategy), the same reuse of intraday bars for
 * five market minutes and of daily bars for the day. Throws NotMeasuredInBacktest where live throws NotMeasured.
 */
export class CandidateDataEmulator {
  readonly pacer: HistoricalPacer;
  private nowMs = 0;
  private readonly intradayCache = new Map<string, { atMs: number; series: IntradaySeries; mark: ReturnType<IntradaySeries['mark']> }>();
  private readonly dailyCache = new Map<string, Bar[]>();

  constructor() {
    this.pacer = new HistoricalPacer(() => this.nowMs);
  }

  fetch(market: MarketDay, symbol: string, nowMs: number, needs: MarketNeeds): CandidateData {
    this.nowMs = nowMs;
    let window = EMPTY_WINDOW;
    let intradayRefused = false;
    if (needs.intraday) {
      const key = `${symbol}|${needs.intraday.barSize}|${needs.intraday.days}|${needs.intraday.useRth}`;
      const cached = this.intradayCache.get(key);
      // Reused within five market minutes: the bars as they were then (live keeps the earlier answer).
      if (cached && nowMs - cached.atMs < INTRADAY_BARS_TTL_MS) window = barWindow(cached.series.barsAt(cached.mark));
      else if (!this.pacer.tryAcquire()) intradayRefused = true;
      else {
        const series = market.intradaySeries(symbol, needs.intraday);
        series.advanceTo(nowMs);
        window = series.window();
        this.intradayCache.set(key, { atMs: nowMs, series, mark: series.mark() });
      }
    }
    let dailyBars: Bar[] = [];
    let dailyRefused = false;
    if (needs.dailyDays) {
      const key = `${symbol}:${market.tradingDay}:${needs.dailyDays}`;
      const cached = this.dailyCache.get(key);
      if (cached) dailyBars = cached;
      else if (!this.pacer.tryAcquire()) dailyRefused = true;
      else {
        dailyBars = market.dailyBars(symbol, nowMs, needs.dailyDays);
        if (dailyContextOf(dailyBars, market.tradingDay)) this.dailyCache.set(key, dailyBars);
      }
    }
    if (intradayRefused || dailyRefused) throw new NotMeasuredInBacktest(HISTORICAL_PACING_REASON);
    const quote = needs.quote ? market.quote(symbol, nowMs) : undefined;
    return {
      symbol, nowMs, tradingDay: market.tradingDay, session: market.hours, intraday: window, dailyBars, daily: dailyContextOf(dailyBars, market.tradingDay),
      quote: quote ? { bid: quote.bid, ask: quote.ask, last: quote.last, delayed: false } : undefined,
    };
  }

  /** A new day: daily caches go (live keys them by day too; intraday entries simply age out). */
  startDay(): void {
    this.dailyCache.clear();
  }
}

const EMPTY_WINDOW = barWindow([]);
