import type { Bar, BrokerPort } from '../../shared/broker/types';
import { BrokerRequestError } from '../../shared/broker/ib/pending-requests';
import { quoteSnapshot } from '../../shared/broker/quote-snapshot';
import { barWindow } from '../../shared/strategy/bar-window';
import { dailyContextOf, gapMomentumMetrics, type CandidateMetrics } from '../../shared/strategy/candidate-metrics';
import { gapMomentumNeeds } from '../../shared/strategy/gap-momentum';
import { HISTORICAL_PACING_REASON, HistoricalPacer, INTRADAY_BARS_TTL_MS } from '../../shared/strategy/historical-pacer';
import type { CandidateData, MarketNeeds } from '../../shared/strategy/types';
import { sessionHours, tradingDayOf, type TradingDay } from '../../shared/time/trading-calendar';

/** A candidate that could not be measured now, and why (it is recorded as a signal with that reason). */
export class NotMeasured extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotMeasured';
  }
}

export { INTRADAY_BARS_TTL_MS };

/**
 * Fetches what a strategy needs about a scanner candidate from the broker (shared/strategy MarketNeeds):
 * intraday bars (gap-momentum: 5-minute bars of two days, extended hours included), daily bars (cached per
 * day because they do not change intraday) and a quote (15-minute delayed when that is all the account has).
 * Historical requests stay under IB's pacing (HistoricalPacer) and are reused for a few market minutes;
 * a candidate the budget cannot measure now is reported as such, not guessed. The backtest engine answers
 * the same needs from its bar store the same way (shared/backtest/candidate-data.ts).
 */
export class CandidateMetricsSource {
  private readonly dailyCache = new Map<string, Bar[]>();
  private readonly intradayCache = new Map<string, { atMs: number; bars: Bar[] }>();
  readonly pacer: HistoricalPacer;

  constructor(private readonly broker: BrokerPort, private readonly quoteTimeoutMs: number, now: () => number = Date.now) {
    this.pacer = new HistoricalPacer(now);
  }

  /** Everything a strategy with these needs sees of `symbol` now. */
  async fetch(symbol: string, nowMs: number, needs: MarketNeeds): Promise<CandidateData> {
    const day = tradingDayOf(nowMs);
    const [bars, dailyBars, quote] = await Promise.all([
      needs.intraday ? this.intradayBars(symbol, nowMs, needs.intraday) : ([] as Bar[]),
      needs.dailyDays ? this.dailyBars(symbol, day, needs.dailyDays) : ([] as Bar[]),
      needs.quote ? quoteSnapshot(this.broker, symbol, this.quoteTimeoutMs).catch(() => undefined) : undefined,
    ]);
    return {
      symbol, nowMs, tradingDay: day, session: sessionHours(day), intraday: barWindow(bars), dailyBars, daily: dailyContextOf(dailyBars, day),
      quote: quote ? { bid: quote.bid, ask: quote.ask, last: quote.last, delayed: quote.delayed } : undefined,
    };
  }

  /** The built-in gap-momentum measurements of a candidate. */
  async measure(symbol: string, nowMs: number): Promise<CandidateMetrics> {
    const data = await this.fetch(symbol, nowMs, gapMomentumNeeds({ candidatesPerScan: 20 }));
    return gapMomentumMetrics(data);
  }

  private async intradayBars(symbol: string, nowMs: number, request: NonNullable<MarketNeeds['intraday']>): Promise<Bar[]> {
    const key = `${symbol}|${request.barSize}|${request.days}|${request.useRth}`;
    const cached = this.intradayCache.get(key);
    if (cached && nowMs - cached.atMs < INTRADAY_BARS_TTL_MS) return cached.bars;
    const bars = await this.paced(() => this.broker.historicalBars(symbol, { barSize: request.barSize, duration: `${request.days} D`, useRth: request.useRth }));
    this.intradayCache.set(key, { atMs: nowMs, bars });
    return bars;
  }

  private async dailyBars(symbol: string, day: TradingDay, days: number): Promise<Bar[]> {
    const key = `${symbol}:${day}:${days}`;
    const cached = this.dailyCache.get(key);
    if (cached) return cached;
    const bars = await this.paced(() => this.broker.historicalBars(symbol, { barSize: '1 day', duration: `${days} D`, useRth: true }));
    // Kept for the day once it holds a day before today (what the daily context is made of).
    if (dailyContextOf(bars, day)) this.dailyCache.set(key, bars);
    return bars;
  }

  private async paced<T>(request: () => Promise<T>): Promise<T> {
    if (!this.pacer.tryAcquire()) throw new NotMeasured(HISTORICAL_PACING_REASON);
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
