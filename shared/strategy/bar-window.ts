import type { Bar } from '../broker/types';
import { averageTrueRange, relativeStrengthIndex } from '../indicators/indicators';

/**
 * A strategy's view of a symbol's intraday history at a decision time: the bars exactly as IB's historical
 * data request returns them (complete bars only, the current bucket possibly still forming), oldest first,
 * with the indicators a strategy asks for most. Live, the indicators are computed from `bars` (this file);
 * the backtest engine keeps them incrementally with the same library and gives the same numbers (tested).
 */
export interface BarWindow {
  readonly bars: readonly Bar[];
  /** Wilder RSI of the closes; undefined until enough bars. */
  rsi(period?: number): number | undefined;
  /** Wilder ATR in price units; undefined until enough bars. */
  atr(period?: number): number | undefined;
}

/** A BarWindow over a list of bars, indicators computed from scratch (and remembered). */
export function barWindow(bars: readonly Bar[]): BarWindow {
  const rsiCache = new Map<number, number | undefined>();
  const atrCache = new Map<number, number | undefined>();
  return {
    bars,
    rsi(period = 14) {
      if (!rsiCache.has(period)) rsiCache.set(period, relativeStrengthIndex(bars.map((b) => b.close), period));
      return rsiCache.get(period);
    },
    atr(period = 14) {
      if (!atrCache.has(period)) atrCache.set(period, averageTrueRange(bars, period));
      return atrCache.get(period);
    },
  };
}
