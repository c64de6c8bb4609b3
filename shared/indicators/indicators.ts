import { ATR, RSI } from 'trading-signals';

/**
 * Indicators come from `trading-signals` (maintained, typed, Wilder smoothing like most charting packages)
 * rather than hand-written loops. Both return undefined until enough data exists: "not enough data" must
 * never read as a number the strategy acts on.
 */

/** RSI with Wilder's smoothing (the classic 14-period RSI) of the closes, oldest first. */
export function relativeStrengthIndex(closes: readonly number[], period = 14): number | undefined {
  if (closes.length <= period) return undefined;
  const rsi = new RSI(period);
  let value: number | null = null;
  for (const close of closes) value = rsi.update(close, false);
  return value === null || !Number.isFinite(value) ? undefined : value;
}

export interface HighLowCloseBar {
  high: number;
  low: number;
  close: number;
}

/** Average True Range (Wilder) of the bars, oldest first, in price units. */
export function averageTrueRange(bars: readonly HighLowCloseBar[], period = 14): number | undefined {
  if (bars.length <= period) return undefined;
  const atr = new ATR(period);
  let value: number | null = null;
  for (const bar of bars) value = atr.update({ high: bar.high, low: bar.low, close: bar.close }, false);
  return value === null || !Number.isFinite(value) ? undefined : value;
}
