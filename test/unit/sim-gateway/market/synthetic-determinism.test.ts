import fc from 'fast-check';
import { MarketDataError, createSyntheticMarket } from '../../../../apps/sim-gateway/market';
import { previousTradingDay, sessionHours } from '../../../../shared/time/trading-calendar';
import { consecutiveTradingDays, firstBarDifference } from './market-assertions';

describe('synthetic market: same seed, same market; any day on its own', () => {
  it('gives identical universes and bars for the same seed, in separate instances', () => {
    const a = createSyntheticMarket({ seed: 42, universeSize: 40 });
    const b = createSyntheticMarket({ seed: 42, universeSize: 40 });
    expect(b.universe).toEqual(a.universe);
    for (const info of a.universe.slice(0, 8)) {
      expect(firstBarDifference(b.minuteBars(info.symbol, '2026-03-04'), a.minuteBars(info.symbol, '2026-03-04'))).toBe('');
      const bar = a.minuteBars(info.symbol, '2026-03-04')[400]!;
      expect(b.ticksForBar(info.symbol, bar, 25)).toEqual(a.ticksForBar(info.symbol, bar, 25));
      expect(b.quote(info.symbol, bar.close, bar.startMs + 1234)).toEqual(a.quote(info.symbol, bar.close, bar.startMs + 1234));
    }
  });

  it('gives a different market for a different seed', () => {
    const a = createSyntheticMarket({ seed: 1, universeSize: 40 });
    const b = createSyntheticMarket({ seed: 2, universeSize: 40 });
    expect(b.universe.map((info) => info.symbol)).not.toEqual(a.universe.map((info) => info.symbol));
    const shared = a.universe.find((info) => b.hasSymbol(info.symbol));
    const symbolA = a.universe[0]!.symbol;
    const symbolB = b.universe[0]!.symbol;
    expect(b.minuteBars(symbolB, '2026-03-04').map((bar) => bar.close)).not.toEqual(a.minuteBars(symbolA, '2026-03-04').map((bar) => bar.close));
    if (shared) expect(firstBarDifference(b.minuteBars(shared.symbol, '2026-03-04'), a.minuteBars(shared.symbol, '2026-03-04'))).not.toBe('');
  });

  it('computes day N directly exactly as after walking through days 1..N-1 (and years apart)', () => {
    const days = consecutiveTradingDays('2026-01-05', 25);
    const target = days[days.length - 1]!;
    const walked = createSyntheticMarket({ seed: 7, universeSize: 30 });
    for (const day of days.slice(0, -1)) for (const info of walked.universe) walked.minuteBars(info.symbol, day);
    const direct = createSyntheticMarket({ seed: 7, universeSize: 30 });
    const farAway = createSyntheticMarket({ seed: 7, universeSize: 30 });
    for (const info of farAway.universe) farAway.minuteBars(info.symbol, '2033-08-09' /* a Tuesday, years later */);
    for (const info of walked.universe) {
      const expected = walked.minuteBars(info.symbol, target);
      expect(firstBarDifference(direct.minuteBars(info.symbol, target), expected)).toBe('');
      expect(firstBarDifference(farAway.minuteBars(info.symbol, target), expected)).toBe('');
      expect(direct.previousClose(info.symbol, target)).toBe(walked.previousClose(info.symbol, target));
    }
  });

  it('measures gaps against the previous trading day\'s regular close (property over days and symbols)', () => {
    const market = createSyntheticMarket({ seed: 99, universeSize: 30 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 29 }), fc.date({ min: new Date('2016-01-01'), max: new Date('2035-12-31'), noInvalidDate: true }), (index, date) => {
        const day = date.toISOString().slice(0, 10);
        if (!sessionHours(day)) return;
        const symbol = market.universe[index]!.symbol;
        const previous = previousTradingDay(day);
        expect(market.previousClose(symbol, day)).toBe(market.dailyBar(symbol, previous).close);
        // ...and the pre-market starts from there: a plausible overnight move, not a jump to anywhere.
        const firstPrint = market.minuteBars(symbol, day)[0]!.open;
        expect(Math.abs(Math.log(firstPrint / market.previousClose(symbol, day)))).toBeLessThan(0.2);
      }),
      { numRuns: 40 },
    );
  });

  it('builds a unique, stable universe: tickers, positive unique conIds, prefix-stable across sizes', () => {
    const small = createSyntheticMarket({ seed: 5, universeSize: 40 });
    const big = createSyntheticMarket({ seed: 5, universeSize: 60 });
    expect(small.universe).toHaveLength(40);
    expect(big.universe.slice(0, 40)).toEqual(small.universe);
    const symbols = big.universe.map((info) => info.symbol);
    const conIds = big.universe.map((info) => info.conId);
    expect(new Set(symbols).size).toBe(60);
    expect(new Set(conIds).size).toBe(60);
    for (const info of big.universe) {
      expect(info.symbol).toMatch(/^[A-Z]{3,4}$/);
      expect(Number.isInteger(info.conId) && info.conId > 0 && info.conId < 2 ** 31).toBe(true);
      expect(['NASDAQ', 'NYSE', 'ARCA']).toContain(info.primaryExchange);
      expect(info.longName.length).toBeGreaterThan(5);
      expect(info.industry.length).toBeGreaterThan(2);
    }
    // A symbol keeps its conId whatever the seed that generated it.
    const other = createSyntheticMarket({ seed: 6, universeSize: 60 });
    for (const info of other.universe) {
      const same = big.universe.find((candidate) => candidate.symbol === info.symbol);
      if (same) expect(info.conId).toBe(same.conId);
    }
  });

  it('has no bars on closed days and refuses what does not exist with typed errors', () => {
    const market = createSyntheticMarket({ seed: 3, universeSize: 30 });
    const symbol = market.universe[0]!.symbol;
    expect(market.minuteBars(symbol, '2026-03-07')).toEqual([]); // Saturday
    expect(market.minuteBars(symbol, '2026-12-25')).toEqual([]); // Christmas
    expect(() => market.dailyBar(symbol, '2026-12-25')).toThrow(expect.objectContaining({ reason: 'not-a-trading-day' }));
    expect(market.previousClose(symbol, '2026-12-26')).toBe(market.dailyBar(symbol, '2026-12-24').close);
    expect(() => market.minuteBars('NOPE', '2026-03-04')).toThrow(MarketDataError);
    expect(() => market.minuteBars('NOPE', '2026-03-04')).toThrow(expect.objectContaining({ reason: 'unknown-symbol' }));
    expect(() => market.minuteBars(symbol, '2026-13-01')).toThrow(expect.objectContaining({ reason: 'bad-argument' }));
    expect(market.hasSymbol(symbol)).toBe(true);
    expect(market.hasSymbol('NOPE')).toBe(false);
    expect(() => createSyntheticMarket({ seed: 3, universeSize: 29 })).toThrow(MarketDataError);
    expect(createSyntheticMarket({ seed: 3 }).universe).toHaveLength(40);
  });

  it('generates one day of 40 symbols quickly (sanity figure, printed, not asserted)', () => {
    const market = createSyntheticMarket({ seed: 8, universeSize: 40 });
    const [warmUp, day] = consecutiveTradingDays('2026-06-01', 2);
    const coldStartMs = performance.now();
    for (const info of market.universe) market.minuteBars(info.symbol, warmUp!);
    const warmStartMs = performance.now();
    for (const info of market.universe) market.minuteBars(info.symbol, day!);
    const endMs = performance.now();
    // eslint-disable-next-line no-console
    console.log(`synthetic market, 40 symbols x 960 bars: first day ${(warmStartMs - coldStartMs).toFixed(1)} ms (cold caches), next day ${(endMs - warmStartMs).toFixed(1)} ms`);
    expect(market.minuteBars(market.universe[0]!.symbol, day!)).toHaveLength(960);
  });
});
