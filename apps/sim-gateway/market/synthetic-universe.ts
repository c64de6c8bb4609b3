import { MarketDataError } from './market-data-error';
import type { SymbolInfo } from './market-types';
import { SeededRandom, hashString } from './seeded-random';
import { INDUSTRIES, LEGAL_SUFFIXES, NAME_STEMS } from './symbol-names';

/** Everything the price and volume generators need to know about one synthetic symbol. */
export interface SymbolDynamics {
  readonly info: SymbolInfo;
  /** Index in the synthetic universe (gap-and-go movers are picked by index). */
  readonly index: number;
  readonly symbolHash: number;
  /** Long-run price level the daily walk reverts to. */
  readonly basePriceUsd: number;
  /** sd of a 1-minute log return at midday on an average day, in basis points. */
  readonly middayVolatilityBps: number;
  readonly averageDailyVolumeShares: number;
  readonly betaToMarket: number;
  /** sd of the stock-specific part of the overnight gap (log). */
  readonly idiosyncraticGapSd: number;
  /** Regular-session quoted spread on a normal day, basis points of price. */
  readonly regularSpreadBps: number;
}

/**
 * Quoted spread from liquidity: ~1.2 bp at $1B a day, widening with 1/sqrt(dollar volume). Checked
 * against Roll's spread estimate (2·sqrt(-cov of successive 1-minute price changes)) on the real bars:
 * SPY ($20B/day) 1.2¢, BAC ($1.1B, $14) 0.8¢ i.e. one tick, TWX ($360M, $69) 1.2¢, IBM ($700M, $186) 4.3¢;
 * this formula gives 1.4¢, 1¢, 1.4¢ and 2.7¢ (after rounding up to whole ticks).
 */
export function spreadBpsForDollarVolume(dailyDollarVolumeUsd: number): number {
  return Math.min(30, Math.max(0.8, 1.2 * Math.sqrt(1e9 / Math.max(1, dailyDollarVolumeUsd))));
}

/** IB conIds are positive 32-bit ints; a hash of the symbol keeps them stable across seeds and runs. */
export function conIdForSymbol(symbol: string): number {
  return 100_000 + (hashString(`conId:${symbol}`) % 2_000_000_000);
}

/** Assigns conIds in universe order, moving past the (astronomically rare) collision. */
export function uniqueConId(symbol: string, usedConIds: Set<number>): number {
  let conId = conIdForSymbol(symbol);
  while (usedConIds.has(conId)) conId++;
  usedConIds.add(conId);
  return conId;
}

function consonantsAfterFirst(word: string): string {
  return word[0]! + word.slice(1).replace(/[AEIOUY ]/g, '');
}

/** Ticker candidates that read like the company name (Cobalt → CBLT, CBL, COBA). */
function tickerCandidates(stem: string, nameWord: string): string[] {
  const letters = stem.toUpperCase().replace(/[^A-Z]/g, '');
  const word = nameWord.toUpperCase().replace(/[^A-Z]/g, '');
  const consonants = consonantsAfterFirst(letters);
  return [
    consonants.slice(0, 4),
    consonants.slice(0, 3),
    letters.slice(0, 4),
    letters.slice(0, 2) + word.slice(0, 2),
    letters.slice(0, 3) + word[0],
    consonants.slice(0, 3) + word[0],
  ].filter((candidate) => candidate.length >= 3);
}

function uniqueTicker(random: SeededRandom, stem: string, nameWord: string, taken: Set<string>): string {
  for (const candidate of tickerCandidates(stem, nameWord)) if (!taken.has(candidate)) return candidate;
  for (;;) {
    const candidate = stem[0]!.toUpperCase() + Array.from({ length: 3 }, () => String.fromCharCode(65 + random.intBelow(26))).join('');
    if (!taken.has(candidate)) return candidate;
  }
}

export interface SyntheticUniverseOptions {
  readonly seed: number;
  readonly size: number;
  /** Symbols that exist already (replayed CSVs): never generated, their conIds never reused. */
  readonly reservedSymbols?: readonly string[];
  readonly reservedConIds?: ReadonlySet<number>;
}

/**
 * Symbol i depends only on (seed, i) and the symbols before it, so a bigger universe with the same
 * seed starts with the same symbols.
 */
export function createSyntheticUniverse(options: SyntheticUniverseOptions): SymbolDynamics[] {
  if (!Number.isInteger(options.size) || options.size < 0) {
    throw new MarketDataError('bad-argument', `universe size must be a non-negative integer, got ${options.size}`);
  }
  const takenTickers = new Set((options.reservedSymbols ?? []).map((symbol) => symbol.toUpperCase()));
  const usedConIds = new Set(options.reservedConIds ?? []);
  const universe: SymbolDynamics[] = [];
  for (let index = 0; index < options.size; index++) {
    const random = SeededRandom.from(options.seed, 'symbol', index);
    const industry = random.pick(INDUSTRIES);
    const stem = random.pick(NAME_STEMS);
    const nameWord = random.pick(industry.nameWords);
    const symbol = uniqueTicker(random, stem, nameWord, takenTickers);
    takenTickers.add(symbol);
    // NYSE tickers are traditionally 1-3 letters, NASDAQ ones 4; ARCA lists a few small names too.
    const primaryExchange: SymbolInfo['primaryExchange'] = symbol.length >= 4 ? 'NASDAQ' : random.chance(0.15) ? 'ARCA' : 'NYSE';
    const basePriceUsd = random.logUniform(5, 400);
    // Cheap stocks move more per minute; the measured large caps sit at 2.5-5.6 bp at midday.
    const priceFactor = Math.pow(50 / basePriceUsd, 0.15);
    const middayVolatilityBps = Math.min(14, Math.max(1.5, random.logUniform(2.2, 4.8) * industry.volatilityFactor * priceFactor));
    const dailyDollarVolumeUsd = random.logUniform(2e7, 1.5e9) * Math.pow(basePriceUsd / 50, 0.3);
    universe.push({
      info: {
        symbol,
        conId: uniqueConId(symbol, usedConIds),
        longName: `${stem} ${nameWord} ${random.pick(LEGAL_SUFFIXES)}`,
        primaryExchange,
        industry: industry.industry,
      },
      index,
      symbolHash: hashString(symbol),
      basePriceUsd,
      middayVolatilityBps,
      averageDailyVolumeShares: Math.round(dailyDollarVolumeUsd / basePriceUsd),
      betaToMarket: random.between(0.6, 1.5),
      idiosyncraticGapSd: random.between(0.003, 0.006),
      regularSpreadBps: spreadBpsForDollarVolume(dailyDollarVolumeUsd),
    });
  }
  return universe;
}
