import type { Bar, BrokerPort } from '../../shared/broker/types';
import { BrokerRequestError } from '../../shared/broker/ib/pending-requests';
import { quoteSnapshot } from '../../shared/broker/quote-snapshot';
import { averageTrueRange, relativeStrengthIndex } from '../../shared/indicators/indicators';
import { sessionHours, tradingDayOf, calendarDayInNewYork, type TradingDay } from '../../shared/time/trading-calendar';
import { HistoricalPacer } from './historical-pacer';
import type { CandidateMetrics } from './scoring';

interface DailyContext {
  previousClose: number;
  averageDailyVolume: number;
}

/** A candidate that could not be measured now, and why (it is recorded as a signal with that reason). */
export class NotMeasured extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotMeasured';
  }
}

/** 5-minute bars of a symbol are reused for this long (market ms): a new request would mostly repeat them. */
const INTRADAY_BARS_TTL_MS = 5 * 60_000;

/**
 * Measures a scanner candidate from the broker's data: 5-minute bars of the last two days (RSI(14), ATR(14),
 * today's first trade and volume), daily bars (previous close, usual volume; cached per day because they
 * do not change intraday) and a quote (spread, price; 15-minute delayed when that is all the account has).
 * Historical requests stay under IB's pacing (HistoricalPacer) and are reused for a few market minutes;
 * a candidate the budget cannot measure now is reported as such, not guessed.
 */
export class CandidateMetricsSource {
  private readonly dailyCache = new Map<string, DailyContext>();
  private readonly intradayCache = new Map<string, { atMs: number; bars: Bar[] }>();
  readonly pacer: HistoricalPacer;

  constructor(private readonly broker: BrokerPort, private readonly quoteTimeoutMs: number, now: () => number = Date.now) {
    this.pacer = new HistoricalPacer(now);
  }

  async measure(symbol: string, nowMs: number): Promise<CandidateMetrics> {
    const day = tradingDayOf(nowMs);
    const [bars, daily, quote] = await Promise.all([
      this.intradayBars(symbol, nowMs),
      this.dailyContext(symbol, day),
      quoteSnapshot(this.broker, symbol, this.quoteTimeoutMs).catch(() => undefined),
    ]);
    const closes = bars.map((b) => b.close);
    const rsi = relativeStrengthIndex(closes, 14);
    const atr = averageTrueRange(bars, 14);
    const today = bars.filter((b) => calendarDayInNewYork(b.timeMs) === day && b.volume > 0);
    const price = quote?.last ?? closes[closes.length - 1];
    const hours = sessionHours(day);
    const elapsed = hours ? Math.min(1, Math.max(0.05, (nowMs - hours.openMs) / (hours.closeMs - hours.openMs))) : 1;
    const todayVolume = today.reduce((n, b) => n + b.volume, 0);
    const mid = quote?.bid && quote?.ask ? (quote.bid + quote.ask) / 2 : undefined;
    return {
      symbol,
      price: quote?.ask ?? price,
      rsi,
      atrPct: atr !== undefined && price ? (atr / price) * 100 : undefined,
      gapPct: daily && today[0] ? (today[0].open / daily.previousClose - 1) * 100 : undefined,
      relativeVolume: daily && daily.averageDailyVolume > 0 ? todayVolume / (daily.averageDailyVolume * elapsed) : undefined,
      spreadPct: mid && quote?.bid && quote.ask ? ((quote.ask - quote.bid) / mid) * 100 : undefined,
      delayedQuote: quote?.delayed === true,
    };
  }

  private async intradayBars(symbol: string, nowMs: number): Promise<Bar[]> {
    const cached = this.intradayCache.get(symbol);
    if (cached && nowMs - cached.atMs < INTRADAY_BARS_TTL_MS) return cached.bars;
    const bars = await this.paced(() => this.broker.historicalBars(symbol, { barSize: '5 mins', duration: '2 D', useRth: false }));
    this.intradayCache.set(symbol, { atMs: nowMs, bars });
    return bars;
  }

  private async dailyContext(symbol: string, day: TradingDay): Promise<DailyContext | undefined> {
    const key = `${symbol}:${day}`;
    const cached = this.dailyCache.get(key);
    if (cached) return cached;
    const bars = await this.paced(() => this.broker.historicalBars(symbol, { barSize: '1 day', duration: '15 D', useRth: true }));
    const earlier = bars.filter((b) => calendarDayInNewYork(b.timeMs) < day);
    const last = earlier[earlier.length - 1];
    if (!last) return undefined;
    const context = { previousClose: last.close, averageDailyVolume: earlier.reduce((n, b) => n + b.volume, 0) / earlier.length };
    this.dailyCache.set(key, context);
    return context;
  }

  private async paced<T>(request: () => Promise<T>): Promise<T> {
    if (!this.pacer.tryAcquire()) throw new NotMeasured('historical_data_pacing (IB allows 60 requests per 10 minutes; measured next scan)');
    try {
      return await request();
    } catch (error) {
      if (error instanceof BrokerRequestError && error.code === 162) {
        if (/pacing/i.test(error.message)) this.pacer.onPacingViolation();
        throw new NotMeasured(`historical_data_refused (IB 162: ${error.message})`);
      }
      throw error;
    }
  }
}
