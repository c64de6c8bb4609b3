import fc from 'fast-check';
import { buildDailyEquity, computePerformance, returnsFromPrices, type ClosedTradeInput, type DailyEquity } from '../../../shared/analytics';
import { newYorkTime } from '../../../shared/time/trading-calendar';

const DAYS = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20'];

function series(returns: number[], days = DAYS, start = 100_000): DailyEquity[] {
  let equity = start;
  return returns.map((r, i) => {
    const end = equity * (1 + r);
    const d: DailyEquity = { tradingDay: days[i]!, startEquity: equity, endEquity: end, pnl: end - equity, trades: 1, return: r, endSource: 'derived' };
    equity = end;
    return d;
  });
}

/** A second, deliberately plain implementation of the headline formulas (two-pass mean/variance, loops). */
function reference(returns: number[], rfAnnual = 0) {
  const n = returns.length;
  const rf = Math.pow(1 + rfAnnual, 1 / 252) - 1;
  const excess = returns.map((r) => r - rf);
  let sum = 0;
  for (const x of excess) sum += x;
  const mean = sum / n;
  let ss = 0;
  for (const x of excess) ss += (x - mean) * (x - mean);
  const std = Math.sqrt(ss / (n - 1));
  let down = 0;
  for (const x of excess) if (x < 0) down += x * x;
  const downside = Math.sqrt(down / n);
  let growth = 1;
  let peak = 1;
  let maxDd = 0;
  for (const r of returns) {
    growth *= 1 + r;
    peak = Math.max(peak, growth);
    maxDd = Math.min(maxDd, growth / peak - 1);
  }
  return {
    std,
    downside,
    sharpe: (mean / std) * Math.sqrt(252),
    sortino: (mean / downside) * Math.sqrt(252),
    total: growth - 1,
    cagr: Math.pow(growth, 252 / n) - 1,
    maxDd,
    vol: Math.sqrt(returns.reduce((a, r) => a + (r - returns.reduce((b, x) => b + x, 0) / n) ** 2, 0) / (n - 1)) * Math.sqrt(252),
  };
}

describe('computePerformance', () => {
  it('puts the hand-computed figures of the reference week together', () => {
    const r = [0.02, -0.01, 0.03, -0.02, 0.01];
    const m = computePerformance({ daily: series(r), trades: [] });
    // See returns-and-risk.test.ts for the arithmetic of each figure.
    expect(m.totalReturn).toBeCloseTo(0.0294850412, 10);
    expect(m.sharpeRatio).toBeCloseTo((0.006 / Math.sqrt(0.00043)) * Math.sqrt(252), 10);
    expect(m.sortinoRatio).toBeCloseTo(0.6 * Math.sqrt(252), 10);
    expect(m.maxDrawdown).toBeCloseTo(-0.02, 12);
    expect(m.recoveryFactor).toBeCloseTo(0.0294850412 / 0.02, 10);
    expect(m.calmarRatio).toBeCloseTo((Math.pow(1.0294850412, 252 / 5) - 1) / 0.02, 8);
    expect(m.bestDay).toMatchObject({ day: '2026-11-18', return: 0.03 });
    expect(m.worstDay).toMatchObject({ day: '2026-11-19', return: -0.02 });
    expect(m.dailyWinRate).toBeCloseTo(3 / 5, 12);
    expect(m.longestWinningDayStreak).toBe(1);
    expect(m.longestLosingDayStreak).toBe(1);
    expect(m.exposure).toBe(1);
    expect(m.startEquity).toBe(100_000);
    expect(m.endEquity).toBeCloseTo(102_948.50412, 6);
    expect(m.monthlyReturns).toEqual([{ period: '2026-11', return: expect.closeTo(0.0294850412, 10), tradingDays: 5 }]);
    expect(m.informationRatio).toBeNull();
  });

  it('computes the information ratio only over days the benchmark has', () => {
    // benchmark closes give returns on 11-17 .. 11-20: 0.00, 0.01, -0.01, 0.00 (11-16 has no previous close)
    const benchmark = returnsFromPrices([
      { day: '2026-11-13', close: 100 }, { day: '2026-11-16', close: 101 }, { day: '2026-11-17', close: 101 },
      { day: '2026-11-18', close: 102.01 }, { day: '2026-11-19', close: 100.9899 }, { day: '2026-11-20', close: 100.9899 },
    ]);
    expect(benchmark.get('2026-11-16')).toBeCloseTo(0.01, 12);
    const m = computePerformance({ daily: series([0.02, -0.01, 0.03, -0.02, 0.01]), trades: [], benchmark });
    // active = [0.01, -0.01, 0.02, -0.01, 0.01] as in returns-and-risk.test.ts → 0.004 / √0.00018
    expect(m.benchmarkDays).toBe(5);
    expect(m.informationRatio).toBeCloseTo(0.004 / Math.sqrt(0.00018), 8);
  });

  it('gives sensible, JSON-safe output for empty history, a single day, one trade, all losers, a flat series', () => {
    const entry = newYorkTime('2026-11-16', '10:00');
    const oneTrade: ClosedTradeInput[] = [{ symbol: 'AAPL', realizedPnl: 250, entryTimeMs: entry, exitTimeMs: entry + 30 * 60_000, commission: 2 }];
    const cases = {
      empty: computePerformance({ daily: [], trades: [] }),
      singleDay: computePerformance({ daily: buildDailyEquity([{ tradingDay: '2026-11-16', realizedPnl: 250 }]), trades: oneTrade }),
      allLosers: computePerformance({ daily: series([-0.01, -0.02, -0.03], DAYS.slice(0, 3)), trades: [{ ...oneTrade[0]!, realizedPnl: -5 }] }),
      flat: computePerformance({ daily: series([0, 0, 0], DAYS.slice(0, 3)), trades: [] }),
    };
    for (const [name, m] of Object.entries(cases)) {
      const json = JSON.stringify(m);
      expect({ name, bad: /NaN|Infinity/.test(json) }).toEqual({ name, bad: false });
      expect(JSON.parse(json)).toEqual(m);
    }
    expect(cases.empty).toMatchObject({ tradingDays: 0, totalReturn: null, sharpeRatio: null, maxDrawdown: null, bestDay: null, timeInMarket: null, firstDay: null });
    // one day at +250 on 100,000: total 0.25 %, no volatility from one point, no drawdown
    expect(cases.singleDay.totalReturn).toBeCloseTo(0.0025, 12);
    expect(cases.singleDay).toMatchObject({ tradingDays: 1, sharpeRatio: null, sortinoRatio: null, annualizedVolatility: null, maxDrawdown: 0, calmarRatio: null, recoveryFactor: null });
    expect(cases.singleDay.timeInMarket).toBeCloseTo(30 / 390, 12);
    expect(cases.singleDay.trades).toMatchObject({ trades: 1, winRate: 1, profitFactor: null });
    expect(cases.allLosers.maxDrawdown).toBeCloseTo(-0.058906, 12);
    expect(cases.allLosers.recoveryFactor).toBeCloseTo(-1, 12);
    expect(cases.allLosers.trades.profitFactor).toBe(0);
    expect(cases.allLosers.drawdown.recovered).toBe(false);
    expect(cases.flat).toMatchObject({ totalReturn: 0, cagr: 0, sharpeRatio: null, sortinoRatio: null, annualizedVolatility: 0, maxDrawdown: 0, exposure: 0, dailyWinRate: null });
  });

  it('agrees with an independent implementation on random series, and is always JSON-safe', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -0.2, max: 0.2, noNaN: true }), { minLength: 3, maxLength: 80 }), fc.constantFrom(0, 0.03), (returns, rf) => {
        const days = returns.map((_, i) => `2020-01-${String(i + 1).padStart(3, '0')}`);
        const m = computePerformance({ daily: series(returns, days), trades: [], options: { riskFreeRate: rf } });
        expect(JSON.stringify(m)).not.toMatch(/NaN|Infinity/);
        const ref = reference(returns, rf);
        const close = (actual: number | null, expected: number) => {
          if (!Number.isFinite(expected)) expect(actual).toBeNull();
          else {
            expect(actual).not.toBeNull();
            expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
          }
        };
        close(m.totalReturn, ref.total);
        close(m.maxDrawdown, ref.maxDd);
        close(m.annualizedVolatility, ref.vol);
        // Ratios are compared where the deviation is well above float dust (below 1e-12 they are null by design).
        if (ref.std > 1e-9) close(m.sharpeRatio, ref.sharpe);
        else if (ref.std < 1e-12) expect(m.sharpeRatio).toBeNull();
        if (ref.downside > 1e-9) close(m.sortinoRatio, ref.sortino);
        else if (ref.downside < 1e-12) expect(m.sortinoRatio).toBeNull();
        if (m.cagr !== null) close(m.cagr, ref.cagr);
      }),
      { numRuns: 300 },
    );
  });
});
