import { createSyntheticMarket } from '../../../../apps/sim-gateway/market';
import { sessionHours } from '../../../../shared/time/trading-calendar';
import { consecutiveTradingDays, mean, pooledAutocorrelation, regularBars, standardDeviation } from './market-assertions';

const market = createSyntheticMarket({ seed: 2024, universeSize: 40 });
const days = consecutiveTradingDays('2025-09-02', 20);
const symbols = market.universe.map((info) => info.symbol);

interface SymbolDay {
  symbol: string;
  day: string;
  gap: number;
  mover: boolean;
  open: number;
  high: number;
  low: number;
  close: number;
  preMarketVolume: number;
}

const symbolDays: SymbolDay[] = days.flatMap((day) => {
  const hours = sessionHours(day)!;
  const movers = market.moversOf(day);
  return symbols.map((symbol) => {
    const daily = market.dailyBar(symbol, day);
    const preMarketVolume = market.minuteBars(symbol, day).filter((bar) => bar.startMs < hours.openMs).reduce((sum, bar) => sum + bar.volume, 0);
    return { symbol, day, gap: daily.open / market.previousClose(symbol, day) - 1, mover: movers.has(symbol), ...daily, preMarketVolume };
  });
});

describe('synthetic market looks like a real intraday market', () => {
  it('has at least 2 gap-and-go movers (>= +5 % at the open) on each of 20 consecutive trading days', () => {
    const gappersPerDay = days.map((day) => ({ day, gappers: symbolDays.filter((row) => row.day === day && row.gap >= 0.05).length }));
    expect(gappersPerDay.filter((row) => row.gappers < 2)).toEqual([]);
    expect(gappersPerDay.filter((row) => row.gappers > 6)).toEqual([]);
  });

  it('gaps most symbols by less than 1 % (SPY 1998-2021: 90 % of daily gaps under 1 %)', () => {
    const smallGapShareByDay = days.map((day) => {
      const rows = symbolDays.filter((row) => row.day === day);
      return { day, share: rows.filter((row) => Math.abs(row.gap) < 0.01).length / rows.length };
    });
    expect(smallGapShareByDay.filter((row) => row.share <= 0.6)).toEqual([]);
    const ordinary = symbolDays.filter((row) => !row.mover);
    expect(ordinary.filter((row) => Math.abs(row.gap) < 0.01).length / ordinary.length).toBeGreaterThan(0.85);
  });

  it('gives movers heavy pre-market volume compared with their ordinary days', () => {
    const ratios = symbolDays
      .filter((row) => row.mover)
      .map((row) => {
        const quietDays = symbolDays.filter((other) => other.symbol === row.symbol && !other.mover);
        return row.preMarketVolume / mean(quietDays.map((other) => other.preMarketVolume));
      })
      .sort((a, b) => a - b);
    expect(ratios[Math.floor(ratios.length / 2)]).toBeGreaterThan(10);
  });

  it('moves movers enough for a +1.8 % target and a -0.9 % stop to both happen, while many ordinary names move < 1 % open to close', () => {
    const movers = symbolDays.filter((row) => row.mover);
    const reachedTarget = movers.filter((row) => row.high >= row.open * 1.018).length / movers.length;
    const reachedStop = movers.filter((row) => row.low <= row.open * 0.991).length / movers.length;
    expect(reachedTarget).toBeGreaterThan(0.4);
    expect(reachedStop).toBeGreaterThan(0.4);
    // Some keep going and some fade: both directions of close-vs-open occur among movers.
    expect(movers.some((row) => row.close > row.open * 1.02)).toBe(true);
    expect(movers.some((row) => row.close < row.open * 0.98)).toBe(true);
    const ordinary = symbolDays.filter((row) => !row.mover);
    expect(ordinary.filter((row) => Math.abs(row.close / row.open - 1) < 0.01).length / ordinary.length).toBeGreaterThan(0.4);
  });

  it('has U-shaped volume: first and last 30 regular minutes > 1.5x the midday mean (measured on real bars: 3.3x)', () => {
    const ratios = days.map((day) => {
      const hours = sessionHours(day)!;
      const perMinute = new Float64Array(390);
      for (const symbol of symbols) {
        const regular = regularBars(market.minuteBars(symbol, day), hours);
        const meanVolume = mean(regular.map((bar) => bar.volume));
        regular.forEach((bar, i) => (perMinute[i]! += bar.volume / meanVolume));
      }
      const edges = (mean(perMinute.subarray(0, 30)) + mean(perMinute.subarray(360, 390))) / 2;
      return edges / mean(perMinute.subarray(150, 240));
    });
    expect(mean(ratios)).toBeGreaterThan(1.5);
    // Pre-market and after-hours are thin next to the regular session.
    const hours = sessionHours(days[0]!)!;
    const bars = market.minuteBars(symbols[0]!, days[0]!);
    const regularMean = mean(regularBars(bars, hours).map((bar) => bar.volume));
    expect(mean(bars.filter((bar) => bar.startMs < hours.openMs).map((bar) => bar.volume))).toBeLessThan(regularMean * 0.3);
    expect(mean(bars.filter((bar) => bar.startMs >= hours.closeMs).map((bar) => bar.volume))).toBeLessThan(regularMean * 0.3);
  });

  it('clusters volatility: positive lag-1 autocorrelation of |1-minute returns| at midday, after removing each day\'s level', () => {
    // Midday only (11:00-14:30) and standardised per symbol-day, so neither the intraday U nor the
    // differences between symbols and days can create the correlation: only GARCH-like clustering can.
    const series: number[][] = [];
    for (const day of days) {
      const hours = sessionHours(day)!;
      for (const symbol of symbols) {
        if (market.dailyBar(symbol, day).close < 40) continue; // cheap stocks sit on the penny grid
        const midday = regularBars(market.minuteBars(symbol, day), hours).slice(90, 300);
        const returns = midday.slice(1).map((bar, i) => Math.log(bar.close / midday[i]!.close));
        const sd = standardDeviation(returns);
        series.push(returns.map((r) => Math.abs(r) / sd));
      }
    }
    expect(series.length).toBeGreaterThan(200);
    expect(pooledAutocorrelation(series, 1)).toBeGreaterThan(0.05);
  });

  it('gives each symbol its own price level ($5-$400 band) and volatility', () => {
    const closes = symbols.map((symbol) => market.dailyBar(symbol, days[0]!).close);
    expect(Math.min(...closes)).toBeLessThan(20);
    expect(Math.max(...closes)).toBeGreaterThan(100);
    const middaySd = symbols.map((symbol) => {
      const hours = sessionHours(days[0]!)!;
      const regular = regularBars(market.minuteBars(symbol, days[0]!), hours).slice(150, 240);
      return standardDeviation(regular.slice(1).map((bar, i) => Math.log(bar.close / regular[i]!.close)));
    });
    expect(Math.max(...middaySd) / Math.min(...middaySd)).toBeGreaterThan(2);
  });
});
