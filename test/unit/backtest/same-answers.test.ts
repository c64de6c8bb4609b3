import { createSyntheticMarket } from '../../../apps/sim-gateway/market';
import { historicalBars } from '../../../apps/sim-gateway/feed/historical-bars';
import { runScan } from '../../../apps/sim-gateway/feed/scanner';
import type { MarketSnapshot } from '../../../apps/sim-gateway/engine/types';
import { dayBarsFrom } from '../../../shared/bars/day-bars';
import { MemoryBarSource } from '../../../shared/backtest/bar-sources';
import { IntradaySeries } from '../../../shared/backtest/intraday-series';
import { DailyHistory, MarketDay } from '../../../shared/backtest/market-view';
import { emulateScan, scannerElapsedFraction } from '../../../shared/backtest/scanner';
import type { Bar } from '../../../shared/broker/types';
import { averageTrueRange, relativeStrengthIndex } from '../../../shared/indicators/indicators';
import { newYorkTime, previousTradingDay, sessionHours } from '../../../shared/time/trading-calendar';

/**
 * The backtest answers the strategy's questions exactly as the live side gets them answered: intraday bars as
 * the simulator's reqHistoricalData returns them (the same buckets, the same forming last bucket), indicators
 * equal to the live from-scratch computation, and the same scanner rankings.
 */
const model = createSyntheticMarket({ seed: 11, universeSize: 30 });
const DAY = '2026-11-24';
const PREVIOUS = previousTradingDay(DAY);
const symbols = model.universe.map((u) => u.symbol);

function simBars(symbol: string, endMs: number, barSize: string, duration: string, useRth: boolean): Bar[] {
  return historicalBars(model, { symbol, endMs, barSize, duration, useRth, formatDate: 2 }).bars.map((b) => ({ timeMs: Number(b.time) * 1000, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume }));
}

describe('the backtest answers like the simulator', () => {
  const times = ['09:35', '09:37', '10:00', '11:43', '12:00', '15:30', '15:59'];

  it.each(symbols.slice(0, 6))('5-minute bars of two days with extended hours, and RSI/ATR(14), at every scan time (%s)', (symbol) => {
    const previous = { bars: dayBarsFrom(symbol, PREVIOUS, model.minuteBars(symbol, PREVIOUS)), hours: sessionHours(PREVIOUS)! };
    const series = new IntradaySeries(5, false, [previous], { bars: dayBarsFrom(symbol, DAY, model.minuteBars(symbol, DAY)), hours: sessionHours(DAY)! });
    for (const hhmm of times) {
      const t = newYorkTime(DAY, hhmm);
      series.advanceTo(t);
      const window = series.window();
      const expected = simBars(symbol, t, '5 mins', '2 D', false);
      expect(window.bars).toEqual(expected);
      // Bit-for-bit the live computation (incremental when the last bucket is complete, from scratch otherwise).
      expect(window.rsi(14)).toBe(relativeStrengthIndex(expected.map((b) => b.close), 14));
      expect(window.atr(14)).toBe(averageTrueRange(expected, 14));
    }
  });

  it('1-minute regular-hours bars of one day (what the opening-range breakout asks for)', () => {
    const symbol = symbols[3]!;
    const series = new IntradaySeries(1, true, [], { bars: dayBarsFrom(symbol, DAY, model.minuteBars(symbol, DAY)), hours: sessionHours(DAY)! });
    for (const hhmm of times) {
      const t = newYorkTime(DAY, hhmm);
      series.advanceTo(t);
      expect(series.window().bars).toEqual(simBars(symbol, t, '1 min', '1 D', true));
    }
  });

  it('the same scanner rankings for every scan code', () => {
    const source = new MemoryBarSource();
    let day = DAY;
    const days = [DAY];
    for (let i = 0; i < 12; i++) days.unshift((day = previousTradingDay(day)));
    for (const d of days) for (const s of symbols) source.add(dayBarsFrom(s, d, model.minuteBars(s, d)));
    const market = new MarketDay(DAY, sessionHours(DAY)!, symbols, source.day(DAY, symbols), [], new DailyHistory(source, symbols, days[0]!, DAY), undefined);
    for (const hhmm of ['09:35', '10:15', '14:00']) {
      const t = newYorkTime(DAY, hhmm);
      const snapshots = market.scannerSnapshots(t);
      const simSnapshot = (symbol: string): MarketSnapshot => {
        const s = snapshots.find((x) => x.symbol === symbol)!;
        return { symbol, last: s.last, lastSize: 0, bid: 0, ask: 0, bidSize: 0, askSize: 0, volume: s.volume, high: 0, low: 0, open: 0, previousClose: model.previousClose(symbol, DAY), timeMs: t };
      };
      for (const code of ['TOP_PERC_GAIN', 'TOP_PERC_LOSE', 'MOST_ACTIVE', 'HOT_BY_VOLUME'] as const) {
        const ours = emulateScan(snapshots, code, { rows: 20, abovePrice: 2 }, scannerElapsedFraction(t, sessionHours(DAY)));
        expect(ours).toEqual(runScan(model, simSnapshot, { scanCode: code, rows: 20, abovePrice: 2 }, t));
      }
      // Our snapshot inputs are the simulator's too: last = the last finished minute's close, volume since 04:00.
      const s = snapshots[0]!;
      const bars = model.minuteBars(s.symbol, DAY).filter((b) => b.startMs + 60_000 <= t);
      expect(s.last).toBe(bars[bars.length - 1]!.close);
      expect(s.volume).toBe(bars.reduce((n, b) => n + b.volume, 0));
      expect(s.previousClose).toBe(model.previousClose(s.symbol, DAY));
    }
  });
});
