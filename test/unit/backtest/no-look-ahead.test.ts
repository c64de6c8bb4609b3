import fc from 'fast-check';
import { createSyntheticMarket } from '../../../apps/sim-gateway/market';
import { dayBarsFrom, type DayBars } from '../../../shared/bars/day-bars';
import { MemoryBarSource } from '../../../shared/backtest/bar-sources';
import { runBacktest, type BacktestInput } from '../../../shared/backtest/engine';
import type { BacktestResult } from '../../../shared/backtest/result';
import { engineSettings } from '../../../shared/backtest/settings';
import { loadConfig } from '../../../shared/config/load-config';
import { loadStrategies } from '../../../shared/strategy/registry';
import { nextTradingDay, previousTradingDay, sessionHours } from '../../../shared/time/trading-calendar';

/**
 * No look-ahead: whatever the bars from a moment T on say, nothing decided or filled before T changes. And
 * determinism: the same inputs give byte-identical results.
 */
const model = createSyntheticMarket({ seed: 5, universeSize: 30 });
const symbols = model.universe.map((u) => u.symbol);
const TRADE_DAYS = ['2026-11-23', '2026-11-24'];
const WARMUP: string[] = [];
for (let d = TRADE_DAYS[0]!, i = 0; i < 16; i++) WARMUP.unshift((d = previousTradingDay(d)));
const original = new Map<string, DayBars>();
for (const day of [...WARMUP, ...TRADE_DAYS]) for (const s of symbols) original.set(`${s}|${day}`, dayBarsFrom(s, day, model.minuteBars(s, day)));

// Interval scans every 5 minutes and scheduled ones off the 5-minute grid: many decisions, forming buckets too.
const config = loadConfig({ env: { SCAN_TIMES: '09:37,11:02', SCANNER_REFRESH_S: '300', MIN_SCORE: '40', ENTRY_RSI_MAX: '75' } });

function run(perturb?: { fromMs: number; priceFactor: number; volumeFactor: number }): BacktestResult {
  const source = new MemoryBarSource();
  for (const bars of original.values()) {
    if (!perturb || bars.startMs[bars.length - 1]! < perturb.fromMs) {
      source.add(bars);
      continue;
    }
    const copy = { ...bars, open: bars.open.slice(), high: bars.high.slice(), low: bars.low.slice(), close: bars.close.slice(), volume: bars.volume.slice() };
    for (let i = 0; i < bars.length; i++) {
      if (bars.startMs[i]! < perturb.fromMs) continue;
      // A different future: prices scaled (OHLC stays consistent), volumes changed.
      copy.open[i] = Math.round(bars.open[i]! * perturb.priceFactor * 100) / 100;
      copy.high[i] = Math.round(bars.high[i]! * perturb.priceFactor * 100) / 100;
      copy.low[i] = Math.round(bars.low[i]! * perturb.priceFactor * 100) / 100;
      copy.close[i] = Math.round(bars.close[i]! * perturb.priceFactor * 100) / 100;
      copy.volume[i] = Math.max(1, Math.round(bars.volume[i]! * perturb.volumeFactor));
    }
    source.add(copy);
  }
  const input: BacktestInput = { source, symbols, tradingDays: TRADE_DAYS, warmupDays: WARMUP.slice(-1), config, strategies: loadStrategies(config), settings: engineSettings({ recordSignals: true }) };
  return runBacktest(input);
}

describe('no look-ahead and determinism', () => {
  const baseline = run();

  it('decides something to compare (scans, scored candidates, entries)', () => {
    expect(baseline.stats.scans).toBeGreaterThan(100);
    expect(baseline.signals.length).toBeGreaterThan(1_000);
    expect(baseline.decisions.filter((d) => d.kind === 'entry_ordered').length).toBeGreaterThan(0);
  });

  it('changing any future bar never changes a past decision (property, seeded)', () => {
    const seed = Number(process.env.FC_SEED ?? Date.now() % 1_000_000);
    process.stderr.write(`no-look-ahead property: fast-check seed ${seed} (FC_SEED=${seed} replays it)\n`);
    const first = sessionHours(TRADE_DAYS[0]!)!;
    const last = sessionHours(TRADE_DAYS[TRADE_DAYS.length - 1]!)!;
    const minutes = Math.round((last.closeMs - first.openMs) / 60_000);
    fc.assert(fc.property(
      fc.integer({ min: 0, max: minutes }), fc.double({ min: 0.8, max: 1.25, noNaN: true }), fc.double({ min: 0.2, max: 5, noNaN: true }),
      (minute, priceFactor, volumeFactor) => {
        const fromMs = first.openMs + minute * 60_000;
        const changed = run({ fromMs, priceFactor, volumeFactor });
        const before = <T extends { t: number }>(events: readonly T[]) => events.filter((e) => e.t < fromMs);
        expect(before(changed.decisions)).toEqual(before(baseline.decisions));
        expect(before(changed.signals)).toEqual(before(baseline.signals));
        expect(changed.trades.filter((t) => t.exitTimeMs < fromMs)).toEqual(baseline.trades.filter((t) => t.exitTimeMs < fromMs));
      },
    ), { seed, numRuns: 8 });
  });

  it('a change at a decision time changes what follows (the check above can fail)', () => {
    const entry = baseline.decisions.find((d) => d.kind === 'entry_filled')!;
    const changed = run({ fromMs: entry.t, priceFactor: 1.2, volumeFactor: 1 });
    expect(changed.decisions.filter((d) => d.t >= entry.t)).not.toEqual(baseline.decisions.filter((d) => d.t >= entry.t));
  });

  it('the same inputs give byte-identical results', () => {
    expect(JSON.stringify(run())).toBe(JSON.stringify(baseline));
  });
});

// Keep the day list honest: the trading days are consecutive NYSE sessions.
test('the fixture days are consecutive sessions', () => {
  expect(nextTradingDay(TRADE_DAYS[0]!)).toBe(TRADE_DAYS[1]);
});
