import { sessionHours, type TradingDay } from '../../../shared/time/trading-calendar';
import { DailyPriceWalk } from './daily-price-walk';
import { dayNumberOf, isTradingDayNumber, previousTradingDayNumber } from './day-numbers';
import { LruCache } from './lru-cache';
import { MarketDays } from './market-day';
import { MarketDataError } from './market-data-error';
import type { DailyBar, MarketModel, MinuteBar, Quote, SymbolInfo, Tick } from './market-types';
import { insideSharesForDailyVolume, quoteAround } from './quote-model';
import { regularSessionDailyBar } from './regular-session';
import { SeededRandom } from './seeded-random';
import { phaseAt } from './session-phase';
import { syntheticDayBars } from './synthetic-day';
import { type SymbolDynamics, createSyntheticUniverse } from './synthetic-universe';
import { ticksForBar } from './ticks-for-bar';

export const DEFAULT_UNIVERSE_SIZE = 40;
export const MINIMUM_UNIVERSE_SIZE = 30;

/**
 * Bars of ~20 symbol-days of 960 minutes (~80 KB each): a live session touches 40 symbols × 1-2 days,
 * history requests walk back day by day. Daily bars are tiny, so many more are kept.
 */
const MINUTE_BAR_CACHE_DAYS = 400;
const DAILY_BAR_CACHE_ENTRIES = 50_000;

/**
 * The seeded synthetic market: any trading day of any symbol computed directly from (seed, symbol, day).
 * Also the engine behind the replay model's non-replayed symbols.
 */
export class SyntheticMarket implements MarketModel {
  readonly universe: readonly SymbolInfo[];
  private readonly bySymbol: ReadonlyMap<string, SymbolDynamics>;
  private readonly marketDays: MarketDays;
  private readonly walk: DailyPriceWalk;
  private readonly minuteBarCache = new LruCache<string, readonly MinuteBar[]>(MINUTE_BAR_CACHE_DAYS);
  private readonly dailyBarCache = new LruCache<string, DailyBar>(DAILY_BAR_CACHE_ENTRIES);

  constructor(
    private readonly seed: number,
    readonly dynamics: readonly SymbolDynamics[],
  ) {
    this.universe = dynamics.map((symbol) => symbol.info);
    this.bySymbol = new Map(dynamics.map((symbol) => [symbol.info.symbol, symbol]));
    this.marketDays = new MarketDays(seed, dynamics.length);
    this.walk = new DailyPriceWalk(seed, this.marketDays, dynamics.length);
  }

  hasSymbol(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  minuteBars(symbol: string, tradingDay: TradingDay): readonly MinuteBar[] {
    const dynamics = this.dynamicsOf(symbol);
    const dayNumber = dayNumberOf(tradingDay);
    if (!isTradingDayNumber(dayNumber)) return [];
    return this.minuteBarCache.getOrCompute(`${symbol}|${dayNumber}`, () =>
      syntheticDayBars(this.seed, dynamics, this.walk.plan(dynamics, dayNumber), sessionHours(tradingDay)!),
    );
  }

  dailyBar(symbol: string, tradingDay: TradingDay): DailyBar {
    this.dynamicsOf(symbol);
    const hours = sessionHours(tradingDay);
    if (!hours) throw new MarketDataError('not-a-trading-day', `${tradingDay} is not a NYSE trading day: it has no daily bar`);
    return this.dailyBarCache.getOrCompute(`${symbol}|${tradingDay}`, () =>
      regularSessionDailyBar(tradingDay, this.minuteBars(symbol, tradingDay), hours),
    );
  }

  previousClose(symbol: string, tradingDay: TradingDay): number {
    return this.walk.closeUsd(this.dynamicsOf(symbol), previousTradingDayNumber(dayNumberOf(tradingDay)));
  }

  ticksForBar(symbol: string, bar: MinuteBar, ticksPerBar: number): readonly Tick[] {
    return ticksForBar(this.seed, this.dynamicsOf(symbol).symbolHash, bar, ticksPerBar);
  }

  quote(symbol: string, lastPrice: number, timeMs: number): Quote {
    const dynamics = this.dynamicsOf(symbol);
    const at = phaseAt(timeMs);
    const volatileMover = at.dayNumber !== undefined && this.marketDays.day(at.dayNumber).gappers.has(dynamics.index);
    // Seeded by the second and the price: a quote is stable within a second, the book moves with the tape.
    const random = SeededRandom.from(this.seed, dynamics.symbolHash, 'quote', Math.floor(timeMs / 1000), Math.round(lastPrice * 100));
    return quoteAround(
      lastPrice,
      {
        phase: at.phase,
        minutesSinceOpen: at.minutesSinceOpen,
        regularSpreadBps: dynamics.regularSpreadBps,
        regularInsideShares: insideSharesForDailyVolume(dynamics.averageDailyVolumeShares),
        volatileMover,
      },
      random,
    );
  }

  /** Today's gap-and-go movers (symbol → signed gap fraction), for tests and the scanner. */
  moversOf(tradingDay: TradingDay): ReadonlyMap<string, number> {
    const movers = new Map<string, number>();
    for (const [index, role] of this.marketDays.day(dayNumberOf(tradingDay)).gappers) {
      movers.set(this.dynamics[index]!.info.symbol, Math.expm1(role.gapLog));
    }
    return movers;
  }

  private dynamicsOf(symbol: string): SymbolDynamics {
    const dynamics = this.bySymbol.get(symbol);
    if (!dynamics) throw new MarketDataError('unknown-symbol', `unknown symbol "${symbol}": it is not in the simulated universe`);
    return dynamics;
  }
}

export function createSyntheticMarket(options: { seed: number; universeSize?: number }): SyntheticMarket {
  const universeSize = options.universeSize ?? DEFAULT_UNIVERSE_SIZE;
  if (!Number.isInteger(options.seed)) throw new MarketDataError('bad-argument', `seed must be an integer, got ${options.seed}`);
  if (!Number.isInteger(universeSize) || universeSize < MINIMUM_UNIVERSE_SIZE) {
    throw new MarketDataError('bad-argument', `universeSize must be an integer of at least ${MINIMUM_UNIVERSE_SIZE}, got ${universeSize}`);
  }
  return new SyntheticMarket(options.seed, createSyntheticUniverse({ seed: options.seed, size: universeSize }));
}
