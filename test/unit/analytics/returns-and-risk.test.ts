import {
  annualizedDownsideDeviation, annualizedReturn, annualizedVolatility, cagr, calmarRatio, cumulativeReturns, downsideDeviation,
  informationRatio, monthlyReturns, periodRiskFreeRate, recoveryFactor, sharpeRatio, simpleReturns, sortinoRatio, totalReturn, yearlyReturns,
} from '../../../shared/analytics';

const SQRT252 = Math.sqrt(252);

/**
 * The reference series used across this file: five daily returns, worked out by hand.
 *   r = [0.02, -0.01, 0.03, -0.02, 0.01]
 *   mean = 0.03 / 5 = 0.006
 *   deviations from the mean = [0.014, -0.016, 0.024, -0.026, 0.004]
 *   squares = [0.000196, 0.000256, 0.000576, 0.000676, 0.000016], sum = 0.00172
 *   sample variance = 0.00172 / 4 = 0.00043, std = √0.00043 = 0.020736441...
 *   growth = 1.02 × 0.99 × 1.03 × 0.98 × 1.01 = 1.0098 × 1.03 × 0.98 × 1.01 = 1.040094 × 0.98 × 1.01
 *          = 1.01929212 × 1.01 = 1.0294850412
 */
const R = [0.02, -0.01, 0.03, -0.02, 0.01];
const GROWTH = 1.0294850412;

describe('returns', () => {
  it('turns equity into simple returns and back', () => {
    // 100 → 102: +2 %; 102 → 100.98: 100.98/102 - 1 = -1 %
    const returns = simpleReturns([100, 102, 100.98]);
    expect(returns[0]).toBeCloseTo(0.02, 12);
    expect(returns[1]).toBeCloseTo(-0.01, 12);
    expect(simpleReturns([100])).toEqual([]);
    // A zero previous equity has no defined return: 0, never Infinity.
    expect(simpleReturns([0, 10])).toEqual([0]);
  });

  it('compounds the total return and the cumulative curve', () => {
    expect(totalReturn(R)).toBeCloseTo(GROWTH - 1, 12);
    const curve = cumulativeReturns(R);
    // 1.02 - 1, 1.0098 - 1, 1.040094 - 1, 1.01929212 - 1, 1.0294850412 - 1
    [0.02, 0.0098, 0.040094, 0.01929212, 0.0294850412].forEach((v, i) => expect(curve[i]).toBeCloseTo(v, 12));
  });

  it('annualizes CAGR over n / 252 years like empyrical annual_return', () => {
    // years = 5 / 252, so CAGR = 1.0294850412^(252/5) - 1 = e^(50.4 × ln 1.0294850412) - 1 ≈ 3.3256
    expect(cagr(R)).toBeCloseTo(Math.pow(GROWTH, 252 / 5) - 1, 10);
    expect(cagr(R)!).toBeGreaterThan(3.3);
    // One full year of 252 days at +0.1 % a day: 1.001^252 - 1 (no calendar-day conversion).
    expect(cagr(new Array(252).fill(0.001))).toBeCloseTo(Math.pow(1.001, 252) - 1, 12);
  });

  it('gives the arithmetic annualized return and the annualized volatility', () => {
    expect(annualizedReturn(R)).toBeCloseTo(0.006 * 252, 12); // 1.512
    expect(annualizedVolatility(R)).toBeCloseTo(Math.sqrt(0.00043) * SQRT252, 12); // 0.32918...
  });

  it('compounds monthly and yearly returns by calendar period', () => {
    const days = ['2025-12-31', '2026-01-29', '2026-01-30', '2026-02-02', '2026-02-03'];
    const returns = [0.05, 0.01, 0.02, -0.01, 0.03];
    // Dec = 0.05; Jan = 1.01 × 1.02 - 1 = 0.0302; Feb = 0.99 × 1.03 - 1 = 0.0197
    const months = monthlyReturns(days, returns);
    expect(months.map((m) => m.period)).toEqual(['2025-12', '2026-01', '2026-02']);
    expect(months.map((m) => m.tradingDays)).toEqual([1, 2, 2]);
    expect(months[1]!.return).toBeCloseTo(0.0302, 12);
    expect(months[2]!.return).toBeCloseTo(0.0197, 12);
    // 2026 = 1.0302 × 1.0197 - 1 = 1.05049494 - 1
    const years = yearlyReturns(days, returns);
    expect(years.map((y) => y.period)).toEqual(['2025', '2026']);
    expect(years[1]!.return).toBeCloseTo(0.05049494, 12);
  });
});

describe('risk ratios', () => {
  it('computes Sharpe with the sample standard deviation and √252', () => {
    // 0.006 / 0.020736441 × 15.874508 = 4.59333...
    expect(sharpeRatio(R)).toBeCloseTo((0.006 / Math.sqrt(0.00043)) * SQRT252, 10);
    expect(sharpeRatio(R)).toBeCloseTo(4.5933, 3);
  });

  it('subtracts a daily risk-free rate derived geometrically from the annual one', () => {
    const rfDaily = Math.pow(1.05, 1 / 252) - 1; // 0.00019363...
    expect(periodRiskFreeRate(0.05, 252)).toBeCloseTo(rfDaily, 15);
    // A constant shift leaves the deviation unchanged: (0.006 - rf_d) / √0.00043 × √252
    expect(sharpeRatio(R, { riskFreeRate: 0.05 })).toBeCloseTo(((0.006 - rfDaily) / Math.sqrt(0.00043)) * SQRT252, 10);
    // Sortino: shortfalls below rf_d are -0.01 - rf_d and -0.02 - rf_d; the other three are above it.
    const dd = Math.sqrt(((-0.01 - rfDaily) ** 2 + (-0.02 - rfDaily) ** 2) / 5);
    expect(sortinoRatio(R, { riskFreeRate: 0.05 })).toBeCloseTo(((0.006 - rfDaily) / dd) * SQRT252, 10);
  });

  it('computes the downside deviation over ALL observations and Sortino from it', () => {
    // shortfalls below 0: -0.01 and -0.02 → (0.0001 + 0.0004) / 5 = 0.0001 → √ = 0.01
    expect(downsideDeviation(R)).toBeCloseTo(0.01, 12);
    expect(annualizedDownsideDeviation(R)).toBeCloseTo(0.01 * SQRT252, 12);
    // 0.006 / 0.01 × √252 = 0.6 × 15.8745 = 9.5247
    expect(sortinoRatio(R)).toBeCloseTo(0.6 * SQRT252, 10);
  });

  it('computes the information ratio as mean / std of active returns, not annualized', () => {
    const benchmark = [0.01, 0.0, 0.01, -0.01, 0.0];
    // active = [0.01, -0.01, 0.02, -0.01, 0.01], mean = 0.004
    // deviations = [0.006, -0.014, 0.016, -0.014, 0.006], squares sum = 0.00072, variance = 0.00018
    expect(informationRatio(R, benchmark)).toBeCloseTo(0.004 / Math.sqrt(0.00018), 10); // 0.298142
    expect(informationRatio(R, R)).toBeNull(); // zero tracking error
    expect(informationRatio([0.01], [0.0])).toBeNull();
  });

  it('handles negative returns', () => {
    const losing = [-0.01, -0.02, -0.03];
    // mean -0.02; deviations 0.01, 0, -0.01 → variance 0.0002 / 2 = 0.0001, std 0.01 → -2 × √252
    expect(sharpeRatio(losing)).toBeCloseTo(-2 * SQRT252, 10);
    // downside = √((0.0001 + 0.0004 + 0.0009) / 3) = √(0.0014 / 3)
    expect(sortinoRatio(losing)).toBeCloseTo((-0.02 / Math.sqrt(0.0014 / 3)) * SQRT252, 10);
    // 0.99 × 0.98 × 0.97 = 0.941094
    expect(totalReturn(losing)).toBeCloseTo(-0.058906, 12);
    expect(cagr(losing)).toBeCloseTo(Math.pow(0.941094, 84) - 1, 12);
  });

  it('returns null, never NaN or Infinity, on degenerate input', () => {
    for (const series of [[], [0.01], [0, 0, 0], [0.01, 0.01, 0.01]]) {
      const values = [sharpeRatio(series), sortinoRatio(series), informationRatio(series, series.map(() => 0))];
      for (const v of values) expect(v === null || Number.isFinite(v)).toBe(true);
    }
    expect(sharpeRatio([0, 0, 0])).toBeNull(); // std 0
    expect(sharpeRatio([0.01, 0.01, 0.01])).toBeNull(); // std 0
    expect(sortinoRatio([0.01, 0.02])).toBeNull(); // no shortfall
    expect(sharpeRatio([0.01])).toBeNull();
    expect(totalReturn([])).toBeNull();
    expect(cagr([])).toBeNull();
    expect(annualizedVolatility([0.01])).toBeNull();
    expect(annualizedVolatility([0, 0, 0])).toBe(0);
    expect(cagr([-1, 0.5])).toBe(-1); // wiped out: 0^(…) - 1
    // A huge return over a short span overflows: null, not Infinity.
    expect(cagr([1e6])).toBeNull();
  });

  it('computes Calmar and recovery factor from CAGR, total return and max drawdown', () => {
    expect(calmarRatio(0.3, -0.15)).toBeCloseTo(2, 12);
    expect(recoveryFactor(0.0294850412, -0.02)).toBeCloseTo(1.47425206, 10);
    expect(recoveryFactor(-0.058906, -0.058906)).toBeCloseTo(-1, 12);
    expect(calmarRatio(0.3, 0)).toBeNull();
    expect(recoveryFactor(0.1, null)).toBeNull();
  });
});
