import type { SessionHours } from '../../../shared/time/trading-calendar';
import { roundToCent } from './cents';
import {
  AFTER_HOURS_VOLATILITY_SHAPE, PRE_MARKET_VOLATILITY_SHAPE, AFTER_HOURS_VOLUME_SHAPE, PRE_MARKET_VOLUME_SHAPE,
} from './intraday-profiles';
import type { MinuteBar } from './market-types';
import { appendSegmentBars, type GarchState } from './minute-path';
import type { ReplayFileDay } from './replay-csv';
import { SeededRandom } from './seeded-random';

/** A minute the file has no row for: nothing traded, so the price stays and one share marks the bar. */
const CARRIED_BAR_VOLUME = 1;
/** Real pre-market prints come in round lots. */
const MINIMUM_EXTENDED_HOURS_VOLUME = 100;
/**
 * A day's whole-session 1-minute sd is ~1.3x its midday sd (the open is ~2.5x midday for 30 minutes);
 * the extended-hours shapes are relative to midday.
 */
const SESSION_TO_MIDDAY_VOLATILITY = 1.3;

/**
 * The regular session of a sim day replayed from one file day, moved onto the sim day's clock minute
 * for minute (09:30 → 09:30); missing minutes carried at the last price; bars past a sim early close
 * dropped, minutes past a file early close carried. Pre-market and after-hours are synthesised thinly
 * around them: from the previous close (plus part of the gap) to the real open, and on from the real close.
 */
export function replayDayBars(
  seed: number,
  symbolHash: number,
  fileDay: ReplayFileDay,
  previousCloseUsd: number,
  hours: SessionHours,
): MinuteBar[] {
  const regular = replayRegularBars(fileDay, hours);
  const random = SeededRandom.from(seed, symbolHash, 'replay-extended-hours', hours.openMs);
  const garch: GarchState = { variance: 1 };
  const middayBps = (fileDay.oneMinuteReturnSd * 10_000) / SESSION_TO_MIDDAY_VOLATILITY;
  const preMarketMinutes = (hours.openMs - hours.preMarketOpenMs) / 60_000;
  const openUsd = regular[0]!.open;
  const gapLog = Math.log(openUsd / previousCloseUsd);
  const bars: MinuteBar[] = [];
  appendSegmentBars(
    {
      firstBarStartMs: hours.preMarketOpenMs,
      minutes: preMarketMinutes,
      openPriceUsd: roundToCent(previousCloseUsd * Math.exp(random.between(0.2, 0.8) * gapLog)),
      targetClosePriceUsd: openUsd,
      volatilityBpsOfMinute: () => middayBps * PRE_MARKET_VOLATILITY_SHAPE,
      expectedVolumeOfMinute: (i) => fileDay.meanMinuteVolume * PRE_MARKET_VOLUME_SHAPE[i]!,
      minimumVolume: MINIMUM_EXTENDED_HOURS_VOLUME,
    },
    garch,
    random,
    bars,
  );
  bars.push(...regular);
  appendSegmentBars(
    {
      firstBarStartMs: hours.closeMs,
      minutes: (hours.afterHoursCloseMs - hours.closeMs) / 60_000,
      openPriceUsd: regular[regular.length - 1]!.close,
      volatilityBpsOfMinute: () => middayBps * AFTER_HOURS_VOLATILITY_SHAPE,
      expectedVolumeOfMinute: (i) => fileDay.meanMinuteVolume * AFTER_HOURS_VOLUME_SHAPE[i]!,
      minimumVolume: MINIMUM_EXTENDED_HOURS_VOLUME,
    },
    garch,
    random,
    bars,
  );
  return bars;
}

export function replayRegularBars(fileDay: ReplayFileDay, hours: SessionHours): MinuteBar[] {
  const minutes = (hours.closeMs - hours.openMs) / 60_000;
  const bars: MinuteBar[] = [];
  let lastPriceUsd = fileDay.firstOpenUsd;
  for (let i = 0; i < minutes; i++) {
    const startMs = hours.openMs + i * 60_000;
    const row = fileDay.barsByMinute[i];
    if (row) {
      bars.push({ startMs, open: row.open, high: row.high, low: row.low, close: row.close, volume: row.volume });
      lastPriceUsd = row.close;
    } else {
      bars.push({ startMs, open: lastPriceUsd, high: lastPriceUsd, low: lastPriceUsd, close: lastPriceUsd, volume: CARRIED_BAR_VOLUME });
    }
  }
  return bars;
}

/** The regular close a sim day gets from a file day, without building the day (no extended hours needed). */
export function replayRegularCloseUsd(fileDay: ReplayFileDay, hours: SessionHours): number {
  const minutes = (hours.closeMs - hours.openMs) / 60_000;
  for (let i = Math.min(minutes, fileDay.barsByMinute.length) - 1; i >= 0; i--) {
    const row = fileDay.barsByMinute[i];
    if (row) return row.close;
  }
  return fileDay.firstOpenUsd;
}
