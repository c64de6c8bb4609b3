import { DaySeries } from './day-series';
import { isTradingDayNumber } from './day-numbers';
import { SeededRandom } from './seeded-random';
import { exp, floor, log, min, pow } from './fast-math';

/**
 * What one calendar day looks like for the whole synthetic market: the market's own gap and
 * open-to-close move (stocks follow it through their beta), the volatility regime, and which symbols
 * are the day's gap-and-go movers. A pure function of (seed, day), so any day can be asked directly.
 */

export type GapperFate = 'go' | 'fade' | 'chop';

export interface GapperRole {
  readonly direction: 'up' | 'down';
  /** ln(regular open / previous close). */
  readonly gapLog: number;
  /** Planned ln(close / open) before the daily walk's small pull toward the symbol's base price. */
  readonly openToCloseLog: number;
  readonly fate: GapperFate;
  readonly volatilityMultiplier: number;
  readonly volumeMultiplier: number;
  readonly preMarketVolumeMultiplier: number;
}

export interface MarketDay {
  readonly dayNumber: number;
  readonly trading: boolean;
  /** exp(volatility state): 1 on an average day; clusters across days (AR(1) with φ = 0.9 a day). */
  readonly volatilityMultiplier: number;
  readonly marketGapLog: number;
  readonly marketOpenToCloseLog: number;
  /** Synthetic-universe index → role, for the day's movers. */
  readonly gappers: ReadonlyMap<number, GapperRole>;
}

/**
 * Daily volatility regime: v(d) = Σ_{i<40} 0.9^i · 0.12 · z(d-i). A fixed 40-day window (0.9^40 ≈ 1.5 %)
 * instead of a recursion keeps each day computable on its own. Stationary sd of v ≈ 0.28: calm and
 * nervous weeks, as in real markets (SPY 1998-2021 daily: lag-1 autocorrelation of |r| = 0.28). In
 * single synthetic stocks the movers' big days dominate daily returns, so their daily |r|
 * autocorrelation comes out lower (0.0-0.07 measured); the clustering that matters intraday is GARCH.
 */
const VOLATILITY_WINDOW_DAYS = 40;
const VOLATILITY_PERSISTENCE = 0.9;
const VOLATILITY_SHOCK_SD = 0.12;
/** Market gap and open-to-close sd (SPY 1998-2021 daily: median |gap| 0.29 %, 90 % of gaps under 1 %). */
const VOLATILITY_WEIGHTS = Float64Array.from({ length: VOLATILITY_WINDOW_DAYS }, (_, i) => pow(VOLATILITY_PERSISTENCE, i) * VOLATILITY_SHOCK_SD);
const MARKET_GAP_SD = 0.0035;
export const MARKET_OPEN_TO_CLOSE_SD = 0.006;

/** ~80 years of days: more than any simulation asks for, small enough to never matter for memory. */
const MAX_CACHED_DAYS = 30_000;

export const GAP_UP_MOVERS_MIN = 2;
export const GAP_UP_MOVERS_MAX = 5;
export const GAP_DOWN_MOVER_PROBABILITY = 0.3;

/** One gap-up mover: +5 % .. +15 % (more small gaps than big ones); some keep going, some fade. */
export function drawGapUpRole(random: SeededRandom): GapperRole {
  const gapPct = 0.05 + 0.1 * pow(random.unit(), 1.5);
  const fateRoll = random.unit();
  const fate: GapperFate = fateRoll < 0.4 ? 'go' : fateRoll < 0.75 ? 'fade' : 'chop';
  const openToClosePct =
    fate === 'go' ? random.between(0.02, 0.1) : fate === 'fade' ? -random.between(0.02, min(0.08, 0.8 * gapPct)) : 0.015 * random.normal();
  return {
    direction: 'up',
    gapLog: log(1 + gapPct),
    openToCloseLog: log(1 + openToClosePct),
    fate,
    volatilityMultiplier: random.between(4, 7),
    volumeMultiplier: random.between(3, 8),
    preMarketVolumeMultiplier: random.between(20, 40),
  };
}

/** A gap-down mover (bad news): -5 % .. -10 %; it either keeps sliding or bounces. */
export function drawGapDownRole(random: SeededRandom): GapperRole {
  const gapPct = -random.between(0.05, 0.1);
  const fateRoll = random.unit();
  const fate: GapperFate = fateRoll < 0.4 ? 'go' : fateRoll < 0.75 ? 'fade' : 'chop';
  const openToClosePct = fate === 'go' ? -random.between(0.02, 0.06) : fate === 'fade' ? random.between(0.02, 0.05) : 0.015 * random.normal();
  return {
    direction: 'down',
    gapLog: log(1 + gapPct),
    openToCloseLog: log(1 + openToClosePct),
    fate,
    volatilityMultiplier: random.between(2.5, 4),
    volumeMultiplier: random.between(3, 6),
    preMarketVolumeMultiplier: random.between(15, 30),
  };
}

let expectedShocks: { up: number; down: number } | undefined;

/**
 * Mean ln(close/previous close) of a gap-up and a gap-down day, by a fixed-seed Monte Carlo of the very
 * functions above (so it cannot drift from them). Movers push prices up on average; the daily walk
 * subtracts this so that prices do not ratchet upward over the years.
 */
export function expectedGapperShocks(): { up: number; down: number } {
  if (!expectedShocks) {
    const random = new SeededRandom(20_150_102);
    const samples = 5_000;
    let up = 0;
    let down = 0;
    for (let i = 0; i < samples; i++) {
      const upRole = drawGapUpRole(random);
      const downRole = drawGapDownRole(random);
      up += upRole.gapLog + upRole.openToCloseLog;
      down += downRole.gapLog + downRole.openToCloseLog;
    }
    expectedShocks = { up: up / samples, down: down / samples };
  }
  return expectedShocks;
}

export function expectedGapUpMoversPerDay(universeSize: number): number {
  return min((GAP_UP_MOVERS_MIN + GAP_UP_MOVERS_MAX) / 2, floor(universeSize / 2));
}

export class MarketDays {
  /** Plain Map, not LRU: the daily walk asks ~1 000 days per symbol and an LRU touch per ask costs more than the day. */
  private readonly days = new Map<number, MarketDay>();
  private readonly volatilityShocks = new DaySeries((dayNumber) => SeededRandom.from(this.seed, 'market-volatility', dayNumber).normal());

  constructor(
    private readonly seed: number,
    private readonly universeSize: number,
  ) {}

  day(dayNumber: number): MarketDay {
    let day = this.days.get(dayNumber);
    if (!day) {
      if (this.days.size >= MAX_CACHED_DAYS) this.days.clear();
      this.days.set(dayNumber, (day = this.computeDay(dayNumber)));
    }
    return day;
  }

  private computeDay(dayNumber: number): MarketDay {
    const volatilityMultiplier = exp(this.volatilityShocks.weightedSumBackFrom(dayNumber, VOLATILITY_WEIGHTS));
    const random = SeededRandom.from(this.seed, 'market-day', dayNumber);
    const marketGapLog = MARKET_GAP_SD * volatilityMultiplier * random.normal();
    const marketOpenToCloseLog = MARKET_OPEN_TO_CLOSE_SD * volatilityMultiplier * random.normal();
    const trading = isTradingDayNumber(dayNumber);
    const gappers = new Map<number, GapperRole>();
    if (trading) {
      const upCount = min(GAP_UP_MOVERS_MIN + random.intBelow(GAP_UP_MOVERS_MAX - GAP_UP_MOVERS_MIN + 1), floor(this.universeSize / 2));
      const withDown = random.chance(GAP_DOWN_MOVER_PROBABILITY) && this.universeSize > upCount + 1;
      const chosen = this.pickDistinct(random, upCount + (withDown ? 1 : 0));
      chosen.forEach((index, k) => gappers.set(index, k < upCount ? drawGapUpRole(random) : drawGapDownRole(random)));
    }
    return { dayNumber, trading, volatilityMultiplier, marketGapLog, marketOpenToCloseLog, gappers };
  }

  /** Partial Fisher-Yates: `count` distinct indices of the universe. */
  private pickDistinct(random: SeededRandom, count: number): number[] {
    const indices = Array.from({ length: this.universeSize }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + random.intBelow(this.universeSize - i);
      [indices[i], indices[j]] = [indices[j]!, indices[i]!];
    }
    return indices.slice(0, count);
  }
}
