import { sessionHours } from '../../../shared/time/trading-calendar';
import { dayOfNumber, isTradingDayNumber } from './day-numbers';
import { MarketDataError } from './market-data-error';
import type { QuotePhase } from './quote-model';

const MS_PER_DAY = 86_400_000;
const FOUR_HOURS_MS = 4 * 3_600_000;

export interface PhaseAt {
  readonly phase: QuotePhase;
  /** Day number of the New York trading day, when the moment falls between 04:00 and the after-hours close. */
  readonly dayNumber: number | undefined;
  readonly minutesSinceOpen: number;
}

/**
 * Session phase of a moment, without luxon on the hot path (quotes are asked for on every tick).
 * Between 04:00 and 20:00 New York time the NY date equals the UTC date of (t - 4 h) in both EDT and
 * EST, so the date is plain arithmetic; the shared calendar (cached per day) gives the exact hours.
 */
export function phaseAt(timeMs: number): PhaseAt {
  if (!Number.isFinite(timeMs)) throw new MarketDataError('bad-argument', `a quote needs a finite time in epoch ms, got ${timeMs}`);
  const dayNumber = Math.floor((timeMs - FOUR_HOURS_MS) / MS_PER_DAY);
  if (!isTradingDayNumber(dayNumber)) return { phase: 'closed', dayNumber: undefined, minutesSinceOpen: 0 };
  const hours = sessionHours(dayOfNumber(dayNumber))!;
  const minutesSinceOpen = (timeMs - hours.openMs) / 60_000;
  if (timeMs < hours.preMarketOpenMs || timeMs >= hours.afterHoursCloseMs) return { phase: 'closed', dayNumber: undefined, minutesSinceOpen };
  if (timeMs < hours.openMs) return { phase: 'pre-market', dayNumber, minutesSinceOpen };
  if (timeMs < hours.closeMs) return { phase: 'regular', dayNumber, minutesSinceOpen };
  return { phase: 'after-hours', dayNumber, minutesSinceOpen };
}
