import { ATR, RSI } from 'trading-signals';
import type { Bar } from '../broker/types';
import type { DayBars } from '../bars/day-bars';
import { averageTrueRange, relativeStrengthIndex } from '../indicators/indicators';
import type { BarWindow } from '../strategy/bar-window';
import type { SessionHours } from '../time/trading-calendar';

/**
 * The answer IB gives to reqHistoricalData(barSize, "N D", useRth) at a time t, built from the bar store as the
 * simulated day goes on: minute bars that ended by t, grouped into buckets counted from 04:00 New York
 * (09:30 is on every bucket size's grid), the last bucket possibly still forming. Earlier days are whole.
 *
 * Indicators are kept incrementally (the same trading-signals classes the live code uses, fed the same
 * complete bars in the same order, so the values are identical; tested against the from-scratch path).
 * When the last bucket is still forming, the value is computed from scratch over all the bars, like live.
 */
export class IntradaySeries {
  private readonly complete: Bar[] = [];
  private readonly bucketMs: number;
  private todayIndex = 0;
  private forming: { startMs: number; open: number; high: number; low: number; close: number; volume: number } | undefined;
  private readonly rsis = new Map<number, { indicator: RSI; fed: number }>();
  private readonly atrs = new Map<number, { indicator: ATR; fed: number }>();
  private asOfMs = -Infinity;

  constructor(
    bucketMinutes: number,
    private readonly useRth: boolean,
    earlierDays: ReadonlyArray<{ bars: DayBars; hours: SessionHours }>,
    private readonly today: { bars: DayBars | undefined; hours: SessionHours },
  ) {
    this.bucketMs = bucketMinutes * 60_000;
    for (const day of earlierDays) {
      const { bars, hours } = day;
      let bucket: Bar | undefined;
      for (let i = 0; i < bars.length; i++) {
        const t = bars.startMs[i]!;
        if (this.useRth && (t < hours.openMs || t >= hours.closeMs)) continue;
        const start = t - ((t - hours.preMarketOpenMs) % this.bucketMs);
        if (!bucket || bucket.timeMs !== start) {
          if (bucket) this.complete.push(bucket);
          bucket = { timeMs: start, open: bars.open[i]!, high: bars.high[i]!, low: bars.low[i]!, close: bars.close[i]!, volume: bars.volume[i]! };
        } else {
          if (bars.high[i]! > bucket.high) bucket.high = bars.high[i]!;
          if (bars.low[i]! < bucket.low) bucket.low = bars.low[i]!;
          bucket.close = bars.close[i]!;
          bucket.volume += bars.volume[i]!;
        }
      }
      if (bucket) this.complete.push(bucket);
    }
  }

  /** Moves to time t (never backwards): today's minute bars that ended by t join their buckets. */
  advanceTo(t: number): void {
    if (t < this.asOfMs) throw new RangeError(`the series is at ${this.asOfMs}; it cannot go back to ${t}`);
    this.asOfMs = t;
    const bars = this.today.bars;
    const hours = this.today.hours;
    if (bars) {
      for (; this.todayIndex < bars.length; this.todayIndex++) {
        const i = this.todayIndex;
        const start = bars.startMs[i]!;
        if (start + 60_000 > t) break;
        if (this.useRth && (start < hours.openMs || start >= hours.closeMs)) continue;
        const bucketStart = start - ((start - hours.preMarketOpenMs) % this.bucketMs);
        const f = this.forming;
        if (f && f.startMs === bucketStart) {
          if (bars.high[i]! > f.high) f.high = bars.high[i]!;
          if (bars.low[i]! < f.low) f.low = bars.low[i]!;
          f.close = bars.close[i]!;
          f.volume += bars.volume[i]!;
        } else {
          if (f) this.complete.push({ timeMs: f.startMs, open: f.open, high: f.high, low: f.low, close: f.close, volume: f.volume });
          this.forming = { startMs: bucketStart, open: bars.open[i]!, high: bars.high[i]!, low: bars.low[i]!, close: bars.close[i]!, volume: bars.volume[i]! };
        }
      }
    }
    // A bucket whose whole span has passed is complete even if its last minutes had no trades.
    const f = this.forming;
    if (f && f.startMs + this.bucketMs <= t) {
      this.complete.push({ timeMs: f.startMs, open: f.open, high: f.high, low: f.low, close: f.close, volume: f.volume });
      this.forming = undefined;
    }
  }

  /**
   * The window at the current time (call advanceTo first). Its `bars` may be the series' own list (no copy):
   * valid until the series advances; `mark()` and `barsAt()` keep a stable view for later reuse.
   */
  window(): BarWindow {
    const f = this.forming;
    const bars: Bar[] = f ? [...this.complete, { timeMs: f.startMs, open: f.open, high: f.high, low: f.low, close: f.close, volume: f.volume }] : this.complete;
    return {
      bars,
      rsi: (period = 14) => (f ? relativeStrengthIndex(bars.map((b) => b.close), period) : this.incrementalRsi(period)),
      atr: (period = 14) => (f ? averageTrueRange(bars, period) : this.incrementalAtr(period)),
    };
  }

  /** Where the series is now (complete bars only grow, so a length and the forming bucket say it all). */
  mark(): { length: number; forming: Bar | undefined } {
    const f = this.forming;
    return { length: this.complete.length, forming: f ? { timeMs: f.startMs, open: f.open, high: f.high, low: f.low, close: f.close, volume: f.volume } : undefined };
  }

  /** The bars as they were at a mark. */
  barsAt(mark: { length: number; forming: Bar | undefined }): Bar[] {
    const bars = this.complete.slice(0, mark.length);
    if (mark.forming) bars.push(mark.forming);
    return bars;
  }

  private incrementalRsi(period: number): number | undefined {
    let state = this.rsis.get(period);
    if (!state) this.rsis.set(period, (state = { indicator: new RSI(period), fed: 0 }));
    for (; state.fed < this.complete.length; state.fed++) state.indicator.update(this.complete[state.fed]!.close, false);
    return this.complete.length <= period ? undefined : finite(state.indicator.getResult());
  }

  private incrementalAtr(period: number): number | undefined {
    let state = this.atrs.get(period);
    if (!state) this.atrs.set(period, (state = { indicator: new ATR(period), fed: 0 }));
    for (; state.fed < this.complete.length; state.fed++) {
      const b = this.complete[state.fed]!;
      state.indicator.update({ high: b.high, low: b.low, close: b.close }, false);
    }
    return this.complete.length <= period ? undefined : finite(state.indicator.getResult());
  }
}

function finite(value: number | null | undefined): number | undefined {
  return value === null || value === undefined || !Number.isFinite(value) ? undefined : value;
}
