import fs from 'node:fs';
import path from 'node:path';
import { createReplayMarket, createSyntheticMarket } from '../../../../apps/sim-gateway/market';
import { newYorkTime, sessionHours } from '../../../../shared/time/trading-calendar';
import { HAVE_REAL_BARS, REAL_BARS_SKIP_REASON, REAL_MINUTE_DIR, consecutiveTradingDays, mean, regularBars, standardDeviation } from './market-assertions';

/**
 * The synthetic model against the real bars it was calibrated on (numbers in
 * apps/sim-gateway/market/intraday-profiles.ts and synthetic-universe.ts). Skipped where the real
 * bars are not available.
 */

interface Bar { minute: number; open: number; high: number; low: number; close: number; volume: number }

function realDays(symbol: string): Bar[][] {
  const byDay = new Map<string, Bar[]>();
  for (const line of fs.readFileSync(path.join(REAL_MINUTE_DIR, `${symbol}.csv`), 'utf8').trim().split('\n').slice(1)) {
    const [time, open, high, low, close, volume] = line.split(',');
    const day = time!.slice(0, 10);
    if (!byDay.has(day)) byDay.set(day, []);
    byDay.get(day)!.push({ minute: Number(time!.slice(11, 13)) * 60 + Number(time!.slice(14, 16)) - 570, open: +open!, high: +high!, low: +low!, close: +close!, volume: +volume! });
  }
  return [...byDay.values()];
}

/** Volume U ratio: mean of first and last 30 minutes over 12:00-13:30, each day normalised by its mean. */
function uRatio(days: readonly Bar[][]): number {
  const perMinute = new Float64Array(390);
  for (const bars of days) {
    const dayMean = mean(bars.map((bar) => bar.volume));
    for (const bar of bars) perMinute[bar.minute]! += bar.volume / dayMean;
  }
  return (mean(perMinute.subarray(0, 30)) + mean(perMinute.subarray(360, 390))) / 2 / mean(perMinute.subarray(150, 240));
}

/** sd of 1-minute close-to-close log returns, in bp, for minutes in [from, to). */
function returnSdBps(days: readonly Bar[][], from: number, to: number): number {
  const returns: number[] = [];
  for (const bars of days) for (let i = 1; i < bars.length; i++) if (bars[i]!.minute >= from && bars[i]!.minute < to) returns.push(Math.log(bars[i]!.close / bars[i - 1]!.close));
  return standardDeviation(returns) * 10_000;
}

/** Roll's implied spread: 2·sqrt(-cov(Δp_t, Δp_t-1)), from trade prices only. */
function rollSpreadUsd(days: readonly Bar[][]): number {
  let covariance = 0;
  let pairs = 0;
  for (const bars of days) {
    for (let i = 2; i < bars.length; i++) {
      covariance += (bars[i]!.close - bars[i - 1]!.close) * (bars[i - 1]!.close - bars[i - 2]!.close);
      pairs++;
    }
  }
  return 2 * Math.sqrt(Math.max(0, -covariance / pairs));
}

const describeWithRealBars = HAVE_REAL_BARS ? describe : describe.skip;
if (!HAVE_REAL_BARS) {
  // eslint-disable-next-line no-console
  console.warn(`calibration against real bars ${REAL_BARS_SKIP_REASON}`);
}

describeWithRealBars('synthetic market calibration against the real minute bars', () => {
  const realSymbols = ['SPY', 'IBM', 'BAC', 'AIG', 'AAPL', 'TWX'];
  const real = HAVE_REAL_BARS ? realSymbols.map((symbol) => realDays(symbol)) : [];
  const market = createSyntheticMarket({ seed: 17, universeSize: 40 });
  const simDays = consecutiveTradingDays('2025-10-06', 10);
  const model: Bar[][][] = market.universe.map((info) =>
    simDays
      .filter((day) => !market.moversOf(day).has(info.symbol)) // movers are deliberately wilder than these large caps
      .map((day) => {
        const hours = sessionHours(day)!;
        return regularBars(market.minuteBars(info.symbol, day), hours).map((bar) => ({ ...bar, minute: (bar.startMs - hours.openMs) / 60_000 }));
      }),
  );

  it('has a volume U of the same size (real ≈ 3.3)', () => {
    const realRatio = uRatio(real.flat());
    const modelRatio = uRatio(model.flat());
    // eslint-disable-next-line no-console
    console.log(`volume U ratio: real ${realRatio.toFixed(2)}, model ${modelRatio.toFixed(2)}`);
    expect(modelRatio).toBeGreaterThan(realRatio / 1.5);
    expect(modelRatio).toBeLessThan(realRatio * 1.5);
  });

  it('has midday 1-minute volatility in the real range and an open ~2-3x as volatile', () => {
    const realMidday = real.map((days) => returnSdBps(days, 150, 240)).sort((a, b) => a - b);
    const modelMidday = model.map((days) => returnSdBps(days, 150, 240)).sort((a, b) => a - b);
    const realOpenRatio = mean(real.map((days) => returnSdBps(days, 1, 30) / returnSdBps(days, 150, 240)));
    const modelOpenRatio = mean(model.map((days) => returnSdBps(days, 1, 30) / returnSdBps(days, 150, 240)));
    const median = (values: number[]) => values[Math.floor(values.length / 2)]!;
    // eslint-disable-next-line no-console
    console.log(
      `midday 1-min sd (bp): real median ${median(realMidday).toFixed(1)} [${realMidday.map((v) => v.toFixed(1)).join(' ')}], model median ${median(modelMidday).toFixed(1)}; ` +
        `open/midday sd: real ${realOpenRatio.toFixed(2)}, model ${modelOpenRatio.toFixed(2)}`,
    );
    expect(median(modelMidday)).toBeGreaterThan(median(realMidday) / 2);
    expect(median(modelMidday)).toBeLessThan(median(realMidday) * 2);
    expect(modelOpenRatio).toBeGreaterThan(realOpenRatio / 1.6);
    expect(modelOpenRatio).toBeLessThan(realOpenRatio * 1.6);
  });

  it('quotes the real names with spreads near their Roll-implied spreads (about one tick on SPY and BAC)', () => {
    const replay = createReplayMarket({ dir: REAL_MINUTE_DIR, seed: 17, universeSize: 40 });
    const day = '2026-05-05';
    for (const symbol of ['SPY', 'BAC', 'IBM', 'TWX']) {
      const roll = rollSpreadUsd(realDays(symbol));
      const price = replay.dailyBar(symbol, day).close;
      const quoted = mean(Array.from({ length: 200 }, (_, i) => {
        const quote = replay.quote(symbol, price, newYorkTime(day, '12:00') + i * 1_000);
        return Math.round((quote.ask - quote.bid) * 100);
      }));
      // eslint-disable-next-line no-console
      console.log(`${symbol}: Roll spread ${(roll * 100).toFixed(2)}¢, model quoted spread ${quoted.toFixed(2)}¢`);
      expect(quoted).toBeGreaterThanOrEqual(1);
      expect(quoted).toBeLessThan(Math.max(2, roll * 100 * 2.5));
    }
  });
});
