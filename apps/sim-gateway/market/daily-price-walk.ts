import { roundToCent } from './cents';
import { DaySeries } from './day-series';
import { dayOfNumber, isTradingDayNumber, previousTradingDayNumber } from './day-numbers';
import { regularVarianceMinutes } from './intraday-profiles';
import { LruCache } from './lru-cache';
import { GAP_DOWN_MOVER_PROBABILITY, MARKET_OPEN_TO_CLOSE_SD, type GapperRole, type MarketDays, expectedGapUpMoversPerDay, expectedGapperShocks } from './market-day';
import { SeededRandom, hashString } from './seeded-random';
import type { SymbolDynamics } from './synthetic-universe';
import { exp, log, max, pow, sqrt } from './fast-math';

/**
 * Each symbol's regular-session closes as a mean-reverting walk that can be evaluated at any day on
 * its own (no simulating from an epoch, no dependence on the order days are asked in):
 *
 *   x(d) = μ' + Σ_{i<W} (1-κ)^i · s(d-i),   close(d) = round(exp(x(d)), 0.01)
 *
 * where s is the day's log move (gap + open-to-close, 0 on closed days), κ the daily pull toward the
 * symbol's base price and W a fixed window ((1-κ)^W ≈ 1e-4). The truncation is part of the definition,
 * so x is exact and identical however it was reached. Prices stay in a plausible band for decades
 * instead of wandering off to $0.10 or $10 000 (measured: sd of ln(close / base) ≈ 0.21 over
 * 2000-2040; a move's half-life is ~70 calendar days, invisible within a trading day). Daily moves:
 * ordinary days ≈ 1 % sd; with the movers, a symbol's daily sd is ~3 % (a small-cap momentum universe).
 */
const REVERSION_PER_CALENDAR_DAY = 0.01;
const WINDOW_CALENDAR_DAYS = 920;
/** Hashed once: a string key would be re-hashed on each of the ~40 000 draws of a cold start. */
const DAY_DRAW_SALT = hashString('day');
const TRADING_DAYS_PER_CALENDAR_DAY = 252 / 365.25;

const WINDOW_WEIGHTS: Float64Array = (() => {
  const weights = new Float64Array(WINDOW_CALENDAR_DAYS);
  for (let i = 0; i < WINDOW_CALENDAR_DAYS; i++) weights[i] = pow(1 - REVERSION_PER_CALENDAR_DAY, i);
  return weights;
})();
const WINDOW_WEIGHT_SUM = WINDOW_WEIGHTS.reduce((sum, weight) => sum + weight, 0);

/** sqrt(Σ shape²) of a full session: the day's planned move is sized as if every day were full. */
const FULL_SESSION_VOLATILITY_MINUTES = sqrt(regularVarianceMinutes(390));

/** What the intraday generator needs for one symbol-day; everything here is fixed before any minute exists. */
export interface DayPlan {
  readonly dayNumber: number;
  readonly tradingDay: string;
  readonly previousCloseUsd: number;
  /** The first pre-market print: part of the gap shows at 04:00, the rest builds until the open. */
  readonly preMarketFirstPriceUsd: number;
  readonly openUsd: number;
  readonly closeUsd: number;
  readonly gapper: GapperRole | undefined;
  readonly middayVolatilityBps: number;
  /** Multiplies the symbol's average minute volume for the whole day. */
  readonly volumeMultiplier: number;
  /** Extra multiplier on top for the pre-market (news traders pile in before the open). */
  readonly preMarketVolumeMultiplier: number;
}

interface DayMove {
  readonly gapLog: number;
  readonly openToCloseLog: number;
  readonly volatilityMultiplier: number;
  readonly gapper: GapperRole | undefined;
}

interface DayDraw extends DayMove {
  readonly volumeMultiplier: number;
  readonly preMarketStartFraction: number;
}

export class DailyPriceWalk {
  /** Per symbol: day number → s(d). Shared by consecutive days' windows, so a new day costs W adds. */
  private readonly shocks = new Map<number, DaySeries>();
  private readonly closes = new LruCache<string, number>(50_000);
  private readonly meanShockPerCalendarDay: number;

  constructor(
    private readonly seed: number,
    private readonly marketDays: MarketDays,
    universeSize: number,
  ) {
    const movers = expectedGapperShocks();
    const perTradingDay =
      (expectedGapUpMoversPerDay(universeSize) * movers.up + GAP_DOWN_MOVER_PROBABILITY * movers.down) / max(1, universeSize);
    this.meanShockPerCalendarDay = perTradingDay * TRADING_DAYS_PER_CALENDAR_DAY;
  }

  /** Regular-session close of a trading day. */
  closeUsd(symbol: SymbolDynamics, dayNumber: number): number {
    const key = `${symbol.index}|${dayNumber}`;
    return this.closes.getOrCompute(key, () => {
      const meanLogPrice = log(symbol.basePriceUsd) - this.meanShockPerCalendarDay * WINDOW_WEIGHT_SUM;
      return roundToCent(exp(meanLogPrice + this.shocksOf(symbol).weightedSumBackFrom(dayNumber, WINDOW_WEIGHTS)));
    });
  }

  plan(symbol: SymbolDynamics, dayNumber: number): DayPlan {
    const draw = this.draw(symbol, dayNumber);
    const previousCloseUsd = this.closeUsd(symbol, previousTradingDayNumber(dayNumber));
    const gapper = draw.gapper;
    return {
      dayNumber,
      tradingDay: dayOfNumber(dayNumber),
      previousCloseUsd,
      preMarketFirstPriceUsd: roundToCent(previousCloseUsd * exp(draw.preMarketStartFraction * draw.gapLog)),
      openUsd: roundToCent(previousCloseUsd * exp(draw.gapLog)),
      closeUsd: this.closeUsd(symbol, dayNumber),
      gapper,
      middayVolatilityBps: symbol.middayVolatilityBps * draw.volatilityMultiplier * (gapper ? gapper.volatilityMultiplier : 1),
      volumeMultiplier: draw.volumeMultiplier,
      preMarketVolumeMultiplier: gapper ? gapper.preMarketVolumeMultiplier : 1,
    };
  }

  private shocksOf(symbol: SymbolDynamics): DaySeries {
    let series = this.shocks.get(symbol.index);
    if (!series) {
      series = new DaySeries((dayNumber) => {
        if (!isTradingDayNumber(dayNumber)) return 0;
        const move = this.move(symbol, dayNumber);
        return move.gapLog + move.openToCloseLog;
      });
      this.shocks.set(symbol.index, series);
    }
    return series;
  }

  /**
   * The day's gap and open-to-close move. Drawn first from the day's stream so the walk (which needs only
   * this, for ~650 days per symbol on a cold start) can stop here; `draw` continues the same stream.
   */
  private move(symbol: SymbolDynamics, dayNumber: number, random = this.dayRandom(symbol, dayNumber)): DayMove {
    const market = this.marketDays.day(dayNumber);
    const volatilityMultiplier = market.volatilityMultiplier * exp(0.2 * random.normal() - 0.02);
    const gapper = market.gappers.get(symbol.index);
    if (gapper) return { gapLog: gapper.gapLog, openToCloseLog: gapper.openToCloseLog, volatilityMultiplier, gapper };
    // Planned open-to-close sd equals what the intraday walk would produce on its own, so bridging to
    // it does not distort the minute returns.
    const dayMoveSd = (symbol.middayVolatilityBps / 10_000) * FULL_SESSION_VOLATILITY_MINUTES * volatilityMultiplier;
    const marketPartSd = symbol.betaToMarket * MARKET_OPEN_TO_CLOSE_SD * market.volatilityMultiplier;
    const ownSd = sqrt(max(dayMoveSd * dayMoveSd - marketPartSd * marketPartSd, 0.09 * dayMoveSd * dayMoveSd));
    return {
      gapLog: symbol.betaToMarket * market.marketGapLog + symbol.idiosyncraticGapSd * volatilityMultiplier * random.normal(),
      openToCloseLog: symbol.betaToMarket * market.marketOpenToCloseLog + ownSd * random.normal(),
      volatilityMultiplier,
      gapper: undefined,
    };
  }

  private draw(symbol: SymbolDynamics, dayNumber: number): DayDraw {
    const random = this.dayRandom(symbol, dayNumber);
    const move = this.move(symbol, dayNumber, random);
    const volumeMultiplier = exp(0.25 * random.normal() - 0.03) * (0.6 + 0.4 * move.volatilityMultiplier);
    return {
      ...move,
      volumeMultiplier: move.gapper ? volumeMultiplier * move.gapper.volumeMultiplier : volumeMultiplier,
      // Movers' news is out before 04:00, so most of their gap is there at the first print.
      preMarketStartFraction: move.gapper ? random.between(0.6, 1.05) : random.between(0.2, 0.8),
    };
  }

  private dayRandom(symbol: SymbolDynamics, dayNumber: number): SeededRandom {
    return SeededRandom.from(this.seed, symbol.symbolHash, DAY_DRAW_SALT, dayNumber);
  }
}
