import type { SessionHours } from '../../../shared/time/trading-calendar';
import type { DayPlan } from './daily-price-walk';
import {
  AFTER_HOURS_VOLATILITY_SHAPE, AFTER_HOURS_VOLUME_SHAPE, PRE_MARKET_VOLATILITY_SHAPE, PRE_MARKET_VOLUME_SHAPE,
  regularVolatilityShape, regularVolumeShape,
} from './intraday-profiles';
import type { MinuteBar } from './market-types';
import { appendSegmentBars, type GarchState } from './minute-path';
import { SeededRandom } from './seeded-random';
import type { SymbolDynamics } from './synthetic-universe';

/** A round lot: a minute bar exists because at least one lot traded. */
const MINIMUM_BAR_VOLUME = 100;
/** Movers' news keeps the first regular hour wild on top of their higher volatility. */
const GAPPER_OPENING_HOUR_BOOST = 0.8;

const gapperShapeCache = new Map<number, Float64Array>();

function gapperVolatilityShape(regularMinutes: number): Float64Array {
  let shape = gapperShapeCache.get(regularMinutes);
  if (!shape) {
    const base = regularVolatilityShape(regularMinutes);
    shape = base.map((multiplier, i) => multiplier + GAPPER_OPENING_HOUR_BOOST * Math.exp(-i / 45));
    gapperShapeCache.set(regularMinutes, shape);
  }
  return shape;
}

/**
 * All minute bars of one synthetic symbol-day: pre-market (bridged from the first print to the planned
 * open), regular session (bridged to the planned close), after-hours (free). One GARCH state runs
 * through all three, so a wild pre-market carries into a wild open.
 */
export function syntheticDayBars(seed: number, symbol: SymbolDynamics, plan: DayPlan, hours: SessionHours): MinuteBar[] {
  const random = SeededRandom.from(seed, symbol.symbolHash, 'intraday', plan.dayNumber);
  const garch: GarchState = { variance: Math.exp(0.3 * random.normal()) };
  const preMarketMinutes = (hours.openMs - hours.preMarketOpenMs) / 60_000;
  const regularMinutes = (hours.closeMs - hours.openMs) / 60_000;
  const afterHoursMinutes = (hours.afterHoursCloseMs - hours.closeMs) / 60_000;
  const meanRegularMinuteVolume = (symbol.averageDailyVolumeShares / 390) * plan.volumeMultiplier;
  const middayBps = plan.middayVolatilityBps;
  const volumeShape = regularVolumeShape(regularMinutes);
  const volatilityShape = plan.gapper ? gapperVolatilityShape(regularMinutes) : regularVolatilityShape(regularMinutes);
  const bars: MinuteBar[] = [];

  appendSegmentBars(
    {
      firstBarStartMs: hours.preMarketOpenMs,
      minutes: preMarketMinutes,
      openPriceUsd: plan.preMarketFirstPriceUsd,
      targetClosePriceUsd: plan.openUsd,
      volatilityBpsOfMinute: () => middayBps * PRE_MARKET_VOLATILITY_SHAPE,
      expectedVolumeOfMinute: (i) => meanRegularMinuteVolume * plan.preMarketVolumeMultiplier * PRE_MARKET_VOLUME_SHAPE[i]!,
      minimumVolume: MINIMUM_BAR_VOLUME,
    },
    garch,
    random,
    bars,
  );
  appendSegmentBars(
    {
      firstBarStartMs: hours.openMs,
      minutes: regularMinutes,
      openPriceUsd: plan.openUsd,
      targetClosePriceUsd: plan.closeUsd,
      volatilityBpsOfMinute: (i) => middayBps * volatilityShape[i]!,
      expectedVolumeOfMinute: (i) => meanRegularMinuteVolume * volumeShape[i]!,
      minimumVolume: MINIMUM_BAR_VOLUME,
    },
    garch,
    random,
    bars,
  );
  appendSegmentBars(
    {
      firstBarStartMs: hours.closeMs,
      minutes: afterHoursMinutes,
      openPriceUsd: plan.closeUsd,
      volatilityBpsOfMinute: () => middayBps * AFTER_HOURS_VOLATILITY_SHAPE,
      expectedVolumeOfMinute: (i) => meanRegularMinuteVolume * AFTER_HOURS_VOLUME_SHAPE[i]!,
      minimumVolume: MINIMUM_BAR_VOLUME,
    },
    garch,
    random,
    bars,
  );
  return bars;
}
