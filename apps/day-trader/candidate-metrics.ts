import type { BrokerPort } from '../../shared/broker/types';
import { quoteSnapshot } from '../../shared/broker/quote-snapshot';
import { averageTrueRange, relativeStrengthIndex } from '../../shared/indicators/indicators';
import { sessionHours, tradingDayOf, calendarDayInNewYork, type TradingDay } from '../../shared/time/trading-calendar';
import type { CandidateMetrics } from './scoring';

interface DailyContext {
  previousClose: number;
  averageDailyVolume: number;
}

/**
 * Measures a scanner candidate from the broker's data: 5-minute bars of the last two days (RSI(14), ATR(14),
 * today's first trade and volume), daily bars (previous close, usual volume; cached per day because they
 * do not change intraday and IB paces historical requests) and a live quote (spread, price).
 */
export class CandidateMetricsSource {
  private readonly dailyCache = new Map<string, DailyContext>();

  constructor(private readonly broker: BrokerPort, private readonly quoteTimeoutMs: number) {}

  async measure(symbol: string, nowMs: number): Promise<CandidateMetrics> {
    const day = tradingDayOf(nowMs);
    const [bars, daily, quote] = await Promise.all([
      this.broker.historicalBars(symbol, { barSize: '5 mins', duration: '2 D', useRth: false }),
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
    };
  }

  private async dailyContext(symbol: string, day: TradingDay): Promise<DailyContext | undefined> {
    const key = `${symbol}:${day}`;
    const cached = this.dailyCache.get(key);
    if (cached) return cached;
    const bars = await this.broker.historicalBars(symbol, { barSize: '1 day', duration: '15 D', useRth: true });
    const earlier = bars.filter((b) => calendarDayInNewYork(b.timeMs) < day);
    const last = earlier[earlier.length - 1];
    if (!last) return undefined;
    const context = { previousClose: last.close, averageDailyVolume: earlier.reduce((n, b) => n + b.volume, 0) / earlier.length };
    this.dailyCache.set(key, context);
    return context;
  }
}
