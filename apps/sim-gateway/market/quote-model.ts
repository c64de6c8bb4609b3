import { MarketDataError } from './market-data-error';
import type { Quote } from './market-types';
import type { SeededRandom } from './seeded-random';
import { abs, exp, floor, max, min, round } from './fast-math';

export type QuotePhase = 'pre-market' | 'regular' | 'after-hours' | 'closed';

export interface QuoteConditions {
  readonly phase: QuotePhase;
  /** Minutes since 09:30 in the regular session (spreads are wide for the first minutes). */
  readonly minutesSinceOpen: number;
  /** The symbol's normal regular-session spread, basis points of price. */
  readonly regularSpreadBps: number;
  /** Typical shares shown at the inside during the regular session. */
  readonly regularInsideShares: number;
  /** A gap-and-go mover today: wider and jumpier book. */
  readonly volatileMover: boolean;
}

/**
 * Outside the regular session fewer market makers quote and ECN books are thin, so spreads are several
 * times wider (and never a single tick); a day's movers are wider still.
 */
const PHASE_SPREAD_MULTIPLIER: Record<QuotePhase, number> = { 'pre-market': 5, regular: 1, 'after-hours': 4, closed: 8 };
const PHASE_MINIMUM_TICKS: Record<QuotePhase, number> = { 'pre-market': 2, regular: 1, 'after-hours': 2, closed: 3 };
const PHASE_DEPTH_MULTIPLIER: Record<QuotePhase, number> = { 'pre-market': 0.15, regular: 1, 'after-hours': 0.15, closed: 0.05 };
const MOVER_SPREAD_MULTIPLIER = 2.5;

export function quoteAround(lastPriceUsd: number, conditions: QuoteConditions, random: SeededRandom): Quote {
  if (!Number.isFinite(lastPriceUsd) || lastPriceUsd < 0.01) {
    throw new MarketDataError('bad-argument', `cannot quote around a last price of ${lastPriceUsd}: it must be at least $0.01`);
  }
  const openingMultiplier = conditions.phase === 'regular' ? 1 + 1.5 * exp(-conditions.minutesSinceOpen / 3) : 1;
  const jitter = exp(0.25 * random.normal());
  const spreadBps =
    conditions.regularSpreadBps *
    PHASE_SPREAD_MULTIPLIER[conditions.phase] *
    (conditions.volatileMover ? MOVER_SPREAD_MULTIPLIER : 1) *
    openingMultiplier *
    jitter;
  const spreadTicks = max(PHASE_MINIMUM_TICKS[conditions.phase], round((lastPriceUsd * spreadBps) / 10_000 / 0.01));

  // Work in integer cents: the last trade sits at a random place inside [bid, ask].
  const lastCents = lastPriceUsd * 100;
  const onGrid = abs(lastCents - round(lastCents)) < 1e-6;
  const floorCents = onGrid ? round(lastCents) : floor(lastCents);
  const bidCents = max(1, floorCents - random.intBelow(onGrid ? spreadTicks + 1 : spreadTicks));
  const askCents = bidCents + spreadTicks;

  const depth = conditions.regularInsideShares * PHASE_DEPTH_MULTIPLIER[conditions.phase];
  const sideShares = () => max(100, round((depth * exp(0.6 * random.normal() - 0.18)) / 100) * 100);
  return { bid: bidCents / 100, ask: askCents / 100, bidSize: sideShares(), askSize: sideShares() };
}

/** Inside size from daily volume: about 4 % of an average minute's shares, 100 .. 50 000. */
export function insideSharesForDailyVolume(averageDailyVolumeShares: number): number {
  return min(50_000, max(100, round((averageDailyVolumeShares / 390) * 0.04)));
}
