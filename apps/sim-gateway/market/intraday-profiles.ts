/**
 * Intraday seasonality: how volume and volatility vary through the day.
 *
 * Calibrated on the real regular-session minute bars in /work/shared/data/bars/minute (SPY, IBM, BAC,
 * AIG 2013-10-04..11; AAPL, TWX 2014-06-05..09; 30 symbol-days). Measured, with each day's volume
 * divided by that day's mean minute volume, averaged over symbol-days:
 *
 *   15-minute buckets from 09:30:  2.10 1.45 1.38 1.06 0.92 0.99 0.86 0.74 0.91 0.83 0.68 0.69 0.61
 *                                  0.61 0.65 0.67 0.64 0.56 0.68 0.76 0.57 0.65 0.87 0.95 1.32 3.82
 *   09:30 bar 6.0x the mean; 15:59 bar 24x (market-on-close interest printed in the last minute).
 *   mean(first 30 min) 1.78, mean(last 30 min) 2.57, mean(12:00-13:30) 0.65: U ratio 3.34
 *   (per symbol-day the ratio ranged 1.9 .. 7.9).
 *
 * Volatility (sd of 1-minute log returns, first 30 min / 12:00-13:30 / last 30 min, bp):
 *   SPY 4.1/2.5/3.6  IBM 8.5/3.2/4.1  BAC 10.9/5.6/6.1  AIG 10.8/4.5/5.1  AAPL 11.1/4.5/3.5  TWX 12.7/3.4/4.8
 *   so the open is ~2.5x as volatile as midday and the last half hour ~1.25x.
 *
 * Pre-market and after-hours were not in the files (they were dropped in the conversion), so those
 * shapes follow the usual pattern for US large caps: ~2-3 % of the day's volume outside the regular
 * session, ramping up into 09:30 with a small bump at 08:00 (economic releases), and a burst of
 * closing-print trades in the first minutes after 16:00.
 */

// Fitted to the buckets above (least squares on log ratios): 1 + fast + slow + late + spikes.
const OPEN_FAST_AMPLITUDE = 1.7;
const OPEN_FAST_DECAY_MINUTES = 8;
const OPEN_SLOW_AMPLITUDE = 1.9;
const OPEN_SLOW_DECAY_MINUTES = 70;
const CLOSE_AMPLITUDE = 3.2;
const CLOSE_DECAY_MINUTES = 22;
const FIRST_MINUTE_SPIKE = 4;
const LAST_MINUTE_SPIKE = 36;

function rawRegularVolumeShape(minuteIndex: number, sessionMinutes: number): number {
  const minutesToEnd = sessionMinutes - 1 - minuteIndex;
  return (
    1 +
    OPEN_FAST_AMPLITUDE * Math.exp(-minuteIndex / OPEN_FAST_DECAY_MINUTES) +
    OPEN_SLOW_AMPLITUDE * Math.exp(-minuteIndex / OPEN_SLOW_DECAY_MINUTES) +
    CLOSE_AMPLITUDE * Math.exp(-minutesToEnd / CLOSE_DECAY_MINUTES) +
    (minuteIndex === 0 ? FIRST_MINUTE_SPIKE : 0) +
    (minutesToEnd === 0 ? LAST_MINUTE_SPIKE : 0)
  );
}

const regularShapeCache = new Map<number, Float64Array>();

/** Regular-session volume multiplier of each minute, normalised to mean 1 (early closes have 210 minutes). */
export function regularVolumeShape(sessionMinutes: number): Float64Array {
  let shape = regularShapeCache.get(sessionMinutes);
  if (!shape) {
    shape = new Float64Array(sessionMinutes);
    let sum = 0;
    for (let i = 0; i < sessionMinutes; i++) sum += shape[i] = rawRegularVolumeShape(i, sessionMinutes);
    for (let i = 0; i < sessionMinutes; i++) shape[i] = (shape[i]! * sessionMinutes) / sum;
    regularShapeCache.set(sessionMinutes, shape);
  }
  return shape;
}

function rawRegularVolatilityShape(minuteIndex: number, sessionMinutes: number): number {
  const minutesToEnd = sessionMinutes - 1 - minuteIndex;
  // 3.5·e^(-t/15) averages 1.5 over the first 30 minutes (open ≈ 2.5x midday); 0.5·e^(-t/20) ≈ 0.25 over the last 30.
  return 1 + 3.5 * Math.exp(-minuteIndex / 15) + 0.5 * Math.exp(-minutesToEnd / 20);
}

const volatilityShapeCache = new Map<number, Float64Array>();

/** Volatility multiplier of each regular-session minute relative to midday (1 = midday). */
export function regularVolatilityShape(sessionMinutes: number): Float64Array {
  let shape = volatilityShapeCache.get(sessionMinutes);
  if (!shape) {
    shape = Float64Array.from({ length: sessionMinutes }, (_, i) => rawRegularVolatilityShape(i, sessionMinutes));
    volatilityShapeCache.set(sessionMinutes, shape);
  }
  return shape;
}

const sumOfSquaresCache = new Map<number, number>();

/** Σ shape² over the session: a day's open-to-close variance is midday variance times this. */
export function regularVarianceMinutes(sessionMinutes: number): number {
  let sum = sumOfSquaresCache.get(sessionMinutes);
  if (sum === undefined) {
    sum = regularVolatilityShape(sessionMinutes).reduce((total, multiplier) => total + multiplier * multiplier, 0);
    sumOfSquaresCache.set(sessionMinutes, sum);
  }
  return sum;
}

/** Pre-market volume of each minute (04:00 → 09:29), as a fraction of the regular session's mean minute volume. */
export const PRE_MARKET_VOLUME_SHAPE: Float64Array = Float64Array.from({ length: 330 }, (_, minuteIndex) => {
  const minutesToOpen = 329 - minuteIndex;
  const eightOClockIndex = 240;
  return 0.012 + 0.06 * Math.exp(-minutesToOpen / 40) + 0.03 * Math.exp(-Math.abs(minuteIndex - eightOClockIndex) / 6);
});

/** After-hours volume of each minute (16:00 → 19:59, or 13:00 → 16:59 after an early close). */
export const AFTER_HOURS_VOLUME_SHAPE: Float64Array = Float64Array.from({ length: 240 }, (_, minuteIndex) => 0.012 + 0.35 * Math.exp(-minuteIndex / 4));

/** Pre-market and after-hours prices move less per minute than midday but not by much (thin books). */
export const PRE_MARKET_VOLATILITY_SHAPE = 0.6;
export const AFTER_HOURS_VOLATILITY_SHAPE = 0.5;
