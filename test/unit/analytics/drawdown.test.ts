import { drawdownPeriods, drawdownSeries, drawdownSummary } from '../../../shared/analytics';

describe('drawdowns', () => {
  it('finds the deepest drawdown, its dates and durations, including one that never recovers', () => {
    // Week of 2026-11-16 (Mon) to 2026-11-20 (Fri); r = [0.02, -0.01, 0.03, -0.02, 0.01]
    // curve: 1 → 1.02 → 1.0098 → 1.040094 → 1.01929212 → 1.0294850412
    // Tue: 1.0098 / 1.02 - 1 = -0.01 (recovered Wed at 1.040094 > 1.02)
    // Thu: 1.01929212 / 1.040094 - 1 = -0.02; Fri: 1.0294850412 / 1.040094 - 1 = -0.0102 (still under water)
    const days = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20'];
    const returns = [0.02, -0.01, 0.03, -0.02, 0.01];
    const series = drawdownSeries(returns);
    [0, -0.01, 0, -0.02, -0.0102].forEach((v, i) => expect(series[i]).toBeCloseTo(v, 12));

    const periods = drawdownPeriods(days, returns);
    expect(periods).toHaveLength(2);
    expect(periods[0]).toMatchObject({ peakDay: '2026-11-16', startDay: '2026-11-17', endDay: '2026-11-17', troughDay: '2026-11-17', recoveryDay: '2026-11-18', calendarDays: 1, tradingDays: 1 });
    expect(periods[1]).toMatchObject({ peakDay: '2026-11-18', startDay: '2026-11-19', endDay: '2026-11-20', troughDay: '2026-11-19', recoveryDay: null, calendarDays: 2, tradingDays: 2 });

    const summary = drawdownSummary(days, returns);
    expect(summary.maxDrawdown).toBeCloseTo(-0.02, 12);
    expect(summary).toMatchObject({ peakDay: '2026-11-18', troughDay: '2026-11-19', recoveryDay: null, recovered: false, maxDrawdownCalendarDays: 2, maxDrawdownTradingDays: 2, longestDrawdownCalendarDays: 2, drawdownPeriods: 2 });
    expect(summary.currentDrawdown).toBeCloseTo(-0.0102, 12);
  });

  it('counts a loss on the first day from the starting equity (the start is a peak)', () => {
    // 0.99 × 0.98 × 0.97 = 0.941094: one drawdown from the start that never recovers
    const days = ['2026-11-23', '2026-11-24', '2026-11-25'];
    const summary = drawdownSummary(days, [-0.01, -0.02, -0.03]);
    expect(summary.maxDrawdown).toBeCloseTo(-0.058906, 12);
    expect(summary).toMatchObject({ peakDay: null, troughDay: '2026-11-25', recovered: false, maxDrawdownCalendarDays: 3, maxDrawdownTradingDays: 3 });
  });

  it('measures durations in calendar days across a weekend and a holiday', () => {
    // Under water from Wed 2026-11-25 (-10 %) through Fri 11-27 (Thanksgiving 11-26 closed) and Mon 11-30,
    // recovered Tue 12-01: 1 × 0.9 × 1.05 × 1.02 = 0.9639 < 1, then × 1.05 = 1.012095 ≥ 1
    const days = ['2026-11-24', '2026-11-25', '2026-11-27', '2026-11-30', '2026-12-01'];
    const returns = [0, -0.1, 0.05, 0.02, 0.05];
    const [period] = drawdownPeriods(days, returns);
    // 2026-11-25 to 2026-11-30 inclusive = 6 calendar days, 3 trading days
    expect(period).toMatchObject({ peakDay: '2026-11-24', startDay: '2026-11-25', endDay: '2026-11-30', recoveryDay: '2026-12-01', calendarDays: 6, tradingDays: 3 });
    expect(period!.depth).toBeCloseTo(-0.1, 12);
  });

  it('reports no drawdown on a flat or rising series, and nothing for an empty one', () => {
    expect(drawdownSummary(['2026-11-23', '2026-11-24'], [0, 0])).toMatchObject({ maxDrawdown: 0, recovered: null, drawdownPeriods: 0, currentDrawdown: 0 });
    expect(drawdownSummary(['2026-11-23', '2026-11-24'], [0.01, 0.02]).maxDrawdown).toBe(0);
    expect(drawdownSummary([], [])).toMatchObject({ maxDrawdown: null, currentDrawdown: null, drawdownPeriods: 0 });
  });

  it('treats a recovery to the same value as recovered despite float dust', () => {
    // 1.109 × 0.227 × (1 + (1.109 / 0.251743 - 1)) is 1.1089999999999998 in floating point, not 1.109:
    // the account is back at its peak all the same
    const up = 0.109;
    const down = -0.773;
    const back = (1 + up) / ((1 + up) * (1 + down)) - 1;
    expect((1 + up) * (1 + down) * (1 + back)).toBeLessThan(1 + up); // the float dust this test is about
    const [period, ...rest] = drawdownPeriods(['a', 'b', 'c'], [up, down, back]);
    expect(rest).toEqual([]);
    expect(period).toMatchObject({ startDay: 'b', recoveryDay: 'c' });
  });

  it('agrees with a straightforward peak-tracking implementation on random series', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let run = 0; run < 50; run++) {
      const returns = Array.from({ length: 60 }, () => (random() - 0.5) * 0.06);
      // independent: equity values with the start prepended, worst value / running max - 1
      const equity = [100];
      for (const r of returns) equity.push(equity[equity.length - 1]! * (1 + r));
      let peak = -Infinity;
      let worst = 0;
      for (const e of equity) {
        peak = Math.max(peak, e);
        worst = Math.min(worst, e / peak - 1);
      }
      const days = returns.map((_, i) => `d${String(i).padStart(3, '0')}`);
      expect(drawdownSummary(days, returns).maxDrawdown).toBeCloseTo(worst, 10);
    }
  });
});
