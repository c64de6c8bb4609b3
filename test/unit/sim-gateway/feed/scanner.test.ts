import type { MarketSnapshot } from '../../../../apps/sim-gateway/engine/types';
import { MarketFeed } from '../../../../apps/sim-gateway/feed/market-feed';
import { hasAverageVolume, runScan, warmAverageVolumes } from '../../../../apps/sim-gateway/feed/scanner';
import { createSyntheticMarket } from '../../../../apps/sim-gateway/market';
import { ManualClock } from '../../../../shared/time/clock';
import { newYorkTime } from '../../../../shared/time/trading-calendar';

const DAY = '2026-11-23';
const model = createSyntheticMarket({ seed: 3, universeSize: 30 });
const symbols = model.universe.map((i) => i.symbol);

/** Snapshots set by hand: symbol i at a change of changes[i] % from a previous close of 20. */
function handSnapshots(changes: readonly number[], volumes: readonly number[] = []): (symbol: string) => MarketSnapshot {
  const bySymbol = new Map(symbols.map((symbol, i) => {
    const change = changes[i] ?? 0;
    const last = Math.round(20 * (1 + change / 100) * 100) / 100;
    return [symbol, { symbol, last, lastSize: 100, bid: last - 0.01, ask: last + 0.01, bidSize: 100, askSize: 100, volume: volumes[i] ?? 1_000, high: last, low: last, open: last, previousClose: 20, timeMs: 0 }];
  }));
  return (symbol) => bySymbol.get(symbol)!;
}

describe('scanner', () => {
  const nowMs = newYorkTime(DAY, '09:45');

  it('TOP_PERC_GAIN ranks gainers by change from the previous close and leaves out the rest', () => {
    const changes = symbols.map((_, i) => (i % 3 === 0 ? -i : i * 0.5)); // every third symbol is down
    const rows = runScan(model, handSnapshots(changes), { scanCode: 'TOP_PERC_GAIN', rows: 50 }, nowMs);
    const expected = symbols.map((s, i) => ({ s, c: changes[i]! })).filter((r) => r.c > 0).sort((a, b) => b.c - a.c).map((r) => r.s);
    expect(rows).toEqual(expected);
    expect(rows[0]).toBe(symbols[29]);
  });

  it('limits the rows and applies the price filters', () => {
    const changes = symbols.map((_, i) => i + 1); // all up, symbol 29 most
    const snapshots = handSnapshots(changes);
    expect(runScan(model, snapshots, { scanCode: 'TOP_PERC_GAIN', rows: 3 }, nowMs)).toEqual([symbols[29], symbols[28], symbols[27]]);
    // last = 20 x (1 + (i + 1) / 100): below 25 keeps i + 1 < 25
    expect(runScan(model, snapshots, { scanCode: 'TOP_PERC_GAIN', rows: 2, belowPrice: 25 }, nowMs)).toEqual([symbols[23], symbols[22]]);
    expect(runScan(model, snapshots, { scanCode: 'TOP_PERC_GAIN', rows: 50, abovePrice: 25.5 }, nowMs)).toEqual([symbols[29], symbols[28], symbols[27]]); // 26.00, 25.80, 25.60
  });

  it('TOP_PERC_LOSE ranks losers, MOST_ACTIVE ranks by volume', () => {
    const changes = symbols.map((_, i) => (i < 5 ? -(i + 1) : 1));
    const volumes = symbols.map((_, i) => (i === 7 ? 9_000_000 : i === 3 ? 5_000_000 : 1_000 + i));
    const snapshots = handSnapshots(changes, volumes);
    expect(runScan(model, snapshots, { scanCode: 'TOP_PERC_LOSE', rows: 10 }, nowMs)).toEqual([4, 3, 2, 1, 0].map((i) => symbols[i]));
    expect(runScan(model, snapshots, { scanCode: 'MOST_ACTIVE', rows: 3 }, nowMs)).toEqual([symbols[7], symbols[3], symbols[29]]);
    expect(runScan(model, snapshots, { scanCode: 'MOST_ACTIVE', rows: 50, aboveVolume: 4_000_000 }, nowMs)).toEqual([symbols[7], symbols[3]]);
  });

  it('on the live feed in the pre-market, the day\'s gappers lead TOP_PERC_GAIN', () => {
    const clock = new ManualClock(newYorkTime(DAY, '09:00'));
    const feed = new MarketFeed(model, clock, 4, new Map());
    feed.step();
    const rows = runScan(model, (s) => feed.snapshot(s), { scanCode: 'TOP_PERC_GAIN', rows: 50 }, clock.now());
    const change = (s: string) => feed.snapshot(s).last / feed.snapshot(s).previousClose - 1;
    expect(rows.length).toBeGreaterThan(0);
    for (let i = 1; i < rows.length; i++) expect(change(rows[i]!)).toBeLessThanOrEqual(change(rows[i - 1]!));
    expect(rows.every((s) => change(s) > 0)).toBe(true);
    const gapUps = [...model.moversOf(DAY)].filter(([, gap]) => gap > 0.04).map(([s]) => s);
    expect(gapUps.length).toBeGreaterThan(0);
    expect(new Set(rows.slice(0, gapUps.length))).toEqual(new Set(gapUps));
  });

  describe('the usual volumes, warmed a symbol per turn (a scan never stalls the simulator computing them)', () => {
    const warmDay = '2026-11-24';
    const warmNow = newYorkTime(warmDay, '10:30');

    it('yields between symbols, and a HOT_BY_VOLUME scan afterwards ranks exactly as one computing them itself', async () => {
      const cold = createSyntheticMarket({ seed: 5, universeSize: 30 });
      const snapshots = (symbol: string): MarketSnapshot => ({ ...handSnapshots([])(cold.universe[0]!.symbol), symbol, volume: 10_000 + symbol.charCodeAt(0) * 37 });
      // Computed inside the scan (nothing warmed for this model's symbols and day yet).
      expect(cold.universe.some((i) => hasAverageVolume(cold, i.symbol, warmDay))).toBe(false);
      const computedInScan = runScan(cold, snapshots, { scanCode: 'HOT_BY_VOLUME', rows: 30 }, warmNow);

      const warm = createSyntheticMarket({ seed: 5, universeSize: 30 });
      let turns = 0;
      await warmAverageVolumes(warm, warmDay, async () => { turns += 1; });
      expect(turns).toBe(30);
      expect(warm.universe.every((i) => hasAverageVolume(warm, i.symbol, warmDay))).toBe(true);
      expect(runScan(warm, snapshots, { scanCode: 'HOT_BY_VOLUME', rows: 30 }, warmNow)).toEqual(computedInScan);
      // Warmed already: nothing computed again.
      expect(await warmAverageVolumes(warm, warmDay, async () => undefined)).toBe(0);
    });

    it('keeps only the day it warms', async () => {
      const market = createSyntheticMarket({ seed: 6, universeSize: 30 });
      await warmAverageVolumes(market, '2026-11-25', async () => undefined);
      expect(hasAverageVolume(market, market.universe[0]!.symbol, '2026-11-25')).toBe(true);
      await warmAverageVolumes(market, '2026-11-27', async () => undefined);
      expect(hasAverageVolume(market, market.universe[0]!.symbol, '2026-11-25')).toBe(false);
      expect(hasAverageVolume(market, market.universe[0]!.symbol, '2026-11-27')).toBe(true);
    });

    it('scans that do not rank on it do not compute it', () => {
      const market = createSyntheticMarket({ seed: 7, universeSize: 30 });
      const snapshots = (symbol: string): MarketSnapshot => ({ ...handSnapshots([5])(market.universe[0]!.symbol), symbol });
      for (const scanCode of ['TOP_PERC_GAIN', 'TOP_PERC_LOSE', 'MOST_ACTIVE']) runScan(market, snapshots, { scanCode, rows: 30 }, newYorkTime('2026-11-30', '10:00'));
      expect(market.universe.some((i) => hasAverageVolume(market, i.symbol, '2026-11-30'))).toBe(false);
    });
  });
});
