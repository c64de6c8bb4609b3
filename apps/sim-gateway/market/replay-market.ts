import { sessionHours, type TradingDay } from '../../../shared/time/trading-calendar';
import { roundToCent } from './cents';
import { dayNumberOf, dayOfNumber, isTradingDayNumber, previousTradingDayNumber, tradingDayOrdinal } from './day-numbers';
import { LruCache } from './lru-cache';
import { MarketDataError } from './market-data-error';
import type { DailyBar, MarketModel, MinuteBar, Quote, SymbolInfo, Tick } from './market-types';
import { insideSharesForDailyVolume, quoteAround } from './quote-model';
import { readReplayDirectory, type ReplayFile, type ReplayFileDay } from './replay-csv';
import { replayDayBars, replayRegularCloseUsd } from './replay-day';
import { replaySymbolInfo } from './replay-symbols';
import { regularSessionDailyBar } from './regular-session';
import { SeededRandom, hashString } from './seeded-random';
import { phaseAt } from './session-phase';
import { DEFAULT_UNIVERSE_SIZE, MINIMUM_UNIVERSE_SIZE, SyntheticMarket } from './synthetic-market';
import { createSyntheticUniverse, spreadBpsForDollarVolume } from './synthetic-universe';
import { ticksForBar } from './ticks-for-bar';

/** A move this big at the open makes a replayed symbol quote like a synthetic gap-and-go mover. */
const MOVER_GAP_FRACTION = 0.05;
/**
 * sd of the invented gap in front of the file's first day when the cycle wraps (the file has no
 * previous close there). SPY 1998-2021: median |gap| 0.29 %, so 0.5 % is an ordinary stock's gap.
 */
const WRAP_GAP_SD = 0.005;

interface ReplaySymbol {
  readonly info: SymbolInfo;
  readonly symbolHash: number;
  readonly file: ReplayFile;
  readonly regularSpreadBps: number;
  readonly insideShares: number;
}

/**
 * Real minute bars replayed onto simulated days: sim trading day k (its ordinal since 2000) plays file
 * day k mod n, so the files cycle for ever and every process agrees on which file day a date plays.
 * Symbols beyond the files come from the synthetic model (seeded as usual), keeping the universe full
 * and the daily gap-and-go movers present.
 *
 * Gaps: when the file has the day before (file day j > 0), the previous close is that real close (the
 * sim's previous trading day plays file day j - 1). At the wrap (j = 0) there is no real previous close,
 * so an ordinary gap (sd 0.5 %) is invented in front of the file's first open; there, and only there,
 * previousClose(day) differs from dailyBar(previous trading day).close.
 */
export class ReplayMarket implements MarketModel {
  readonly universe: readonly SymbolInfo[];
  private readonly replayed: ReadonlyMap<string, ReplaySymbol>;
  private readonly dayBars = new LruCache<string, readonly MinuteBar[]>(400);
  private readonly dailyBars = new LruCache<string, DailyBar>(50_000);
  private readonly ordinals = new LruCache<number, number>(10_000);

  constructor(
    private readonly seed: number,
    files: readonly ReplayFile[],
    private readonly synthetic: SyntheticMarket,
    replayedInfos: readonly SymbolInfo[],
  ) {
    this.replayed = new Map(
      files.map((file, i) => {
        const dailyShares = file.days.reduce((sum, day) => sum + day.meanMinuteVolume * 390, 0) / file.days.length;
        const dailyDollars = file.days.reduce((sum, day) => sum + day.meanMinuteVolume * 390 * day.lastCloseUsd, 0) / file.days.length;
        const info = replayedInfos[i]!;
        return [
          info.symbol,
          {
            info,
            symbolHash: hashString(info.symbol),
            file,
            regularSpreadBps: spreadBpsForDollarVolume(dailyDollars),
            insideShares: insideSharesForDailyVolume(dailyShares),
          },
        ];
      }),
    );
    this.universe = [...replayedInfos, ...synthetic.universe];
  }

  /** Symbols that replay real bars (the rest are synthetic). */
  get replayedSymbols(): readonly string[] {
    return [...this.replayed.keys()];
  }

  hasSymbol(symbol: string): boolean {
    return this.replayed.has(symbol) || this.synthetic.hasSymbol(symbol);
  }

  /** The file day a sim trading day plays (for tests and the operator's log). */
  fileDayFor(symbol: string, tradingDay: TradingDay): TradingDay {
    return this.fileDayOf(this.replayedOf(symbol), dayNumberOf(tradingDay)).fileDay.tradingDay;
  }

  minuteBars(symbol: string, tradingDay: TradingDay): readonly MinuteBar[] {
    const replayed = this.replayed.get(symbol);
    if (!replayed) return this.synthetic.minuteBars(symbol, tradingDay);
    const dayNumber = dayNumberOf(tradingDay);
    if (!isTradingDayNumber(dayNumber)) return [];
    return this.dayBars.getOrCompute(`${symbol}|${dayNumber}`, () =>
      replayDayBars(
        this.seed,
        replayed.symbolHash,
        this.fileDayOf(replayed, dayNumber).fileDay,
        this.previousClose(symbol, tradingDay),
        sessionHours(tradingDay)!,
      ),
    );
  }

  dailyBar(symbol: string, tradingDay: TradingDay): DailyBar {
    if (!this.replayed.has(symbol)) return this.synthetic.dailyBar(symbol, tradingDay);
    const hours = sessionHours(tradingDay);
    if (!hours) throw new MarketDataError('not-a-trading-day', `${tradingDay} is not a NYSE trading day: it has no daily bar`);
    return this.dailyBars.getOrCompute(`${symbol}|${tradingDay}`, () =>
      regularSessionDailyBar(tradingDay, this.minuteBars(symbol, tradingDay), hours),
    );
  }

  previousClose(symbol: string, tradingDay: TradingDay): number {
    const replayed = this.replayed.get(symbol);
    if (!replayed) return this.synthetic.previousClose(symbol, tradingDay);
    const dayNumber = dayNumberOf(tradingDay);
    if (isTradingDayNumber(dayNumber)) {
      const { fileDay, fileIndex } = this.fileDayOf(replayed, dayNumber);
      if (fileIndex === 0) {
        const gapLog = WRAP_GAP_SD * SeededRandom.from(this.seed, replayed.symbolHash, 'replay-wrap-gap', dayNumber).normal();
        return roundToCent(fileDay.firstOpenUsd / Math.exp(gapLog));
      }
    }
    const previousDayNumber = previousTradingDayNumber(dayNumber);
    const previousDay = dayOfNumber(previousDayNumber);
    return replayRegularCloseUsd(this.fileDayOf(replayed, previousDayNumber).fileDay, sessionHours(previousDay)!);
  }

  ticksForBar(symbol: string, bar: MinuteBar, ticksPerBar: number): readonly Tick[] {
    const replayed = this.replayed.get(symbol);
    if (!replayed) return this.synthetic.ticksForBar(symbol, bar, ticksPerBar);
    return ticksForBar(this.seed, replayed.symbolHash, bar, ticksPerBar);
  }

  quote(symbol: string, lastPrice: number, timeMs: number): Quote {
    const replayed = this.replayed.get(symbol);
    if (!replayed) return this.synthetic.quote(symbol, lastPrice, timeMs);
    const at = phaseAt(timeMs);
    let volatileMover = false;
    if (at.dayNumber !== undefined) {
      const day = dayOfNumber(at.dayNumber);
      const gap = this.fileDayOf(replayed, at.dayNumber).fileDay.firstOpenUsd / this.previousClose(symbol, day) - 1;
      volatileMover = Math.abs(gap) >= MOVER_GAP_FRACTION;
    }
    const random = SeededRandom.from(this.seed, replayed.symbolHash, 'quote', Math.floor(timeMs / 1000), Math.round(lastPrice * 100));
    return quoteAround(
      lastPrice,
      {
        phase: at.phase,
        minutesSinceOpen: at.minutesSinceOpen,
        regularSpreadBps: replayed.regularSpreadBps,
        regularInsideShares: replayed.insideShares,
        volatileMover,
      },
      random,
    );
  }

  private fileDayOf(replayed: ReplaySymbol, dayNumber: number): { fileDay: ReplayFileDay; fileIndex: number } {
    const ordinal = this.ordinals.getOrCompute(dayNumber, () => tradingDayOrdinal(dayNumber));
    const count = replayed.file.days.length;
    const fileIndex = ((ordinal % count) + count) % count;
    return { fileDay: replayed.file.days[fileIndex]!, fileIndex };
  }

  private replayedOf(symbol: string): ReplaySymbol {
    const replayed = this.replayed.get(symbol);
    if (!replayed) throw new MarketDataError('unknown-symbol', `"${symbol}" is not a replayed symbol`);
    return replayed;
  }
}

/**
 * Replays every `<SYMBOL>.csv` in `dir`, then adds synthetic symbols up to `universeSize`. When the
 * folder alone has `universeSize` symbols or more, the universe is just the files (no synthetic movers).
 */
export function createReplayMarket(options: { dir: string; seed: number; universeSize?: number }): ReplayMarket {
  const universeSize = options.universeSize ?? DEFAULT_UNIVERSE_SIZE;
  if (!Number.isInteger(options.seed)) throw new MarketDataError('bad-argument', `seed must be an integer, got ${options.seed}`);
  if (!Number.isInteger(universeSize) || universeSize < MINIMUM_UNIVERSE_SIZE) {
    throw new MarketDataError('bad-argument', `universeSize must be an integer of at least ${MINIMUM_UNIVERSE_SIZE}, got ${universeSize}`);
  }
  const files = readReplayDirectory(options.dir);
  const usedConIds = new Set<number>();
  const replayedInfos = files.map((file) => replaySymbolInfo(file.symbol, usedConIds));
  const dynamics = createSyntheticUniverse({
    seed: options.seed,
    size: Math.max(0, universeSize - files.length),
    reservedSymbols: files.map((file) => file.symbol),
    reservedConIds: usedConIds,
  });
  return new ReplayMarket(options.seed, files, new SyntheticMarket(options.seed, dynamics), replayedInfos);
}
