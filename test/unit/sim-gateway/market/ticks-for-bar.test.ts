import fc from 'fast-check';
import { MarketDataError, type MinuteBar, type Tick, createSyntheticMarket } from '../../../../apps/sim-gateway/market';
import { isOnCentGrid } from './market-assertions';

const market = createSyntheticMarket({ seed: 31, universeSize: 30 });
const symbol = market.universe[0]!.symbol;

/** Problems with a tick path for a bar (empty when valid). */
function tickProblems(bar: MinuteBar, ticks: readonly Tick[]): string[] {
  const problems: string[] = [];
  if (ticks.length === 0) return ['no ticks'];
  if (ticks[0]!.price !== bar.open) problems.push(`first price ${ticks[0]!.price} is not the open ${bar.open}`);
  if (ticks[ticks.length - 1]!.price !== bar.close) problems.push(`last price is not the close ${bar.close}`);
  if (!ticks.some((tick) => tick.price === bar.high)) problems.push('never touches the high');
  if (!ticks.some((tick) => tick.price === bar.low)) problems.push('never touches the low');
  if (ticks.reduce((sum, tick) => sum + tick.size, 0) !== bar.volume) problems.push('sizes do not sum to the volume');
  ticks.forEach((tick, i) => {
    if (!Number.isInteger(tick.offsetMs) || tick.offsetMs < 0 || tick.offsetMs > 59_999) problems.push(`tick ${i}: offset ${tick.offsetMs}`);
    if (i > 0 && tick.offsetMs <= ticks[i - 1]!.offsetMs) problems.push(`tick ${i}: offset not increasing`);
    if (tick.price < bar.low || tick.price > bar.high) problems.push(`tick ${i}: price ${tick.price} outside [low, high]`);
    if (!Number.isInteger(tick.size) || tick.size < 0) problems.push(`tick ${i}: size ${tick.size}`);
  });
  return problems;
}

const cents = (low: number, high: number) => fc.integer({ min: low, max: high }).map((value) => value / 100);
const arbitraryBar: fc.Arbitrary<MinuteBar> = fc
  .tuple(cents(1, 50_000), cents(1, 50_000), cents(0, 500), cents(0, 500), fc.integer({ min: 1, max: 5_000_000 }))
  .map(([open, close, up, down, volume]) => ({
    startMs: Date.UTC(2026, 2, 4, 15, 0),
    open,
    close,
    high: Math.round((Math.max(open, close) + up) * 100) / 100,
    low: Math.max(0.01, Math.round((Math.min(open, close) - down) * 100) / 100),
    volume,
  }));

describe('ticksForBar', () => {
  it('starts at the open, ends at the close, touches high and low, sums to the volume (arbitrary bars)', () => {
    fc.assert(
      fc.property(arbitraryBar, fc.integer({ min: 1, max: 400 }), (bar, ticksPerBar) => {
        const ticks = market.ticksForBar(symbol, bar, ticksPerBar);
        expect(tickProblems(bar, ticks)).toEqual([]);
        expect(ticks.every((tick) => isOnCentGrid(tick.price))).toBe(true);
        if (bar.volume >= 100 * ticksPerBar) {
          // ticksPerBar trades, or up to 4 when the bar needs more prices than that (open, high, low, close).
          expect(ticks.length).toBeGreaterThanOrEqual(ticksPerBar);
          expect(ticks.length).toBeLessThanOrEqual(Math.max(ticksPerBar, 4));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is valid on the model\'s own bars, deterministic, and uses about ticksPerBar on busy bars', () => {
    const bars = market.minuteBars(symbol, '2026-03-04');
    for (const bar of bars.filter((_, i) => i % 7 === 0)) {
      const ticks = market.ticksForBar(symbol, bar, 30);
      expect(tickProblems(bar, ticks)).toEqual([]);
      expect(market.ticksForBar(symbol, bar, 30)).toEqual(ticks);
      if (bar.volume >= 3000) expect(ticks.length).toBeGreaterThanOrEqual(30);
      // Round lots when the volume allows it: every print but one (the odd lot) is a multiple of 100.
      if (bar.volume >= 100 * ticks.length) expect(ticks.filter((tick) => tick.size % 100 !== 0).length).toBeLessThanOrEqual(1);
    }
  });

  it('uses fewer trades for tiny bars and one trade for a flat one-share bar', () => {
    const thin = { startMs: 0, open: 10, high: 10.02, low: 9.99, close: 10.01, volume: 300 };
    const thinTicks = market.ticksForBar(symbol, thin, 50);
    expect(thinTicks.length).toBeLessThanOrEqual(4);
    expect(tickProblems(thin, thinTicks)).toEqual([]);
    const flat = { startMs: 0, open: 5, high: 5, low: 5, close: 5, volume: 1 };
    expect(market.ticksForBar(symbol, flat, 50)).toEqual([{ offsetMs: expect.any(Number), price: 5, size: 1 }]);
    // A (malformed) bar with fewer shares than prices to touch still adds up, with zero-size prints.
    const starved = { startMs: 0, open: 10, high: 10.05, low: 9.95, close: 10.01, volume: 2 };
    expect(tickProblems(starved, market.ticksForBar(symbol, starved, 10))).toEqual([]);
  });

  it('rejects a non-positive or fractional ticksPerBar', () => {
    const bar = market.minuteBars(symbol, '2026-03-04')[400]!;
    expect(() => market.ticksForBar(symbol, bar, 0)).toThrow(MarketDataError);
    expect(() => market.ticksForBar(symbol, bar, 2.5)).toThrow(MarketDataError);
  });
});
