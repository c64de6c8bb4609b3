import { agentBreakdown, computeTradeStats, type ClosedTradeInput } from '../../../shared/analytics';
import { newYorkTime } from '../../../shared/time/trading-calendar';

const MIN = 60_000;

function trade(agentName: string | undefined, day: string, exitHhmm: string, pnl: number, heldMinutes = 30): ClosedTradeInput {
  const exitTimeMs = newYorkTime(day, exitHhmm);
  return { symbol: 'AAPL', agentName, realizedPnl: pnl, entryTimeMs: exitTimeMs - heldMinutes * MIN, exitTimeMs, commission: 2 };
}

// Two strategies sharing one account, Mon 23 to Wed 25 November 2026.
const GAP = [
  trade('gap-momentum', '2026-11-23', '10:00', 200, 20),
  trade('gap-momentum', '2026-11-23', '11:00', -100, 40),
  trade('gap-momentum', '2026-11-24', '10:00', -300, 60),
  trade('gap-momentum', '2026-11-25', '10:00', 500, 80),
];
const ORB = [
  trade('opening-range-breakout', '2026-11-23', '10:30', -50, 10),
  trade('opening-range-breakout', '2026-11-24', '10:30', -50, 10),
  trade('opening-range-breakout', '2026-11-25', '10:30', 25, 40),
];
const ALL = [...GAP, ...ORB].sort((a, b) => a.exitTimeMs - b.exitTimeMs);

describe('P&L per agent', () => {
  it('gives each agent its own trade figures and drawdown, computed by hand', () => {
    const rows = agentBreakdown({ trades: ALL, initialCapital: 100_000 });
    expect(rows.map((r) => r.agent)).toEqual(['gap-momentum', 'opening-range-breakout']); // +300 before -75
    const [gap, orb] = rows;
    // gap: +200 -100 -300 +500
    expect(gap).toMatchObject({
      trades: 4, wins: 2, losses: 2, breakeven: 0, winRate: 0.5, netProfit: 300, grossProfit: 700, grossLoss: -400, commissions: 8,
      profitFactor: 1.75, averageTrade: 75, averageWin: 350, averageLoss: -200, largestWin: 500, largestLoss: -300, payoffRatio: 1.75,
      averageHoldingMinutes: 50,
    });
    // Its own equity: 100,000 → 100,100 (Mon, +100) → 99,800 (Tue) → 100,300 (Wed): 99,800 / 100,100 - 1
    expect(gap!.maxDrawdown).toBeCloseTo(-300 / 100_100, 12);
    // orb: -50 -50 +25
    expect(orb).toMatchObject({ trades: 3, wins: 1, losses: 2, netProfit: -75, grossProfit: 25, grossLoss: -100, profitFactor: 0.25, averageWin: 25, averageLoss: -50 });
    expect(orb!.winRate).toBeCloseTo(1 / 3, 12);
    expect(orb!.averageHoldingMinutes).toBeCloseTo(20, 12);
    // 100,000 (the start counts as a peak) → 99,950 → 99,900 → 99,925
    expect(orb!.maxDrawdown).toBeCloseTo(-0.001, 12);
    // The agents' net P&L adds up to the account's.
    expect(gap!.netProfit + orb!.netProfit).toBe(computeTradeStats(ALL).netProfit);
  });

  it('uses the trade statistics of the whole-account metrics, not figures of its own', () => {
    const [gap] = agentBreakdown({ trades: ALL });
    const stats = computeTradeStats(GAP);
    for (const key of ['trades', 'wins', 'losses', 'winRate', 'netProfit', 'profitFactor', 'averageWin', 'averageLoss', 'largestLoss', 'payoffRatio'] as const) {
      expect(gap![key]).toBe(stats[key]);
    }
  });

  it('measures a range\'s drawdown from the equity the agent had built before it', () => {
    const period = ALL.filter((t) => t.exitTimeMs >= newYorkTime('2026-11-24', '00:00'));
    const withHistory = agentBreakdown({ trades: period, history: ALL, from: '2026-11-24', to: '2026-11-25', initialCapital: 100_000 });
    const gap = withHistory.find((r) => r.agent === 'gap-momentum')!;
    const orb = withHistory.find((r) => r.agent === 'opening-range-breakout')!;
    expect(gap).toMatchObject({ trades: 2, netProfit: 200 }); // only Tue and Wed count as trades
    expect(gap.maxDrawdown).toBeCloseTo(-300 / 100_100, 12); // Tue starts at 100,100, not 100,000
    expect(orb.maxDrawdown).toBeCloseTo(-50 / 99_950, 12); // Tue starts at 99,950
    // Without the history the same period starts from the initial capital: a different (wrong) figure.
    const alone = agentBreakdown({ trades: period, from: '2026-11-24', to: '2026-11-25', initialCapital: 100_000 });
    expect(alone.find((r) => r.agent === 'gap-momentum')!.maxDrawdown).toBeCloseTo(-0.003, 12);
  });

  it('handles no trades, no losers, a breakeven trade and a trade without an agent, JSON-safe', () => {
    expect(agentBreakdown({ trades: [] })).toEqual([]);
    const rows = agentBreakdown({ trades: [trade('winner', '2026-11-23', '10:00', 40), trade('winner', '2026-11-23', '11:00', 0), trade(undefined, '2026-11-23', '12:00', -10)] });
    expect(rows.map((r) => r.agent)).toEqual(['winner', '']);
    expect(rows[0]).toMatchObject({ trades: 2, wins: 1, losses: 0, breakeven: 1, winRate: 0.5, profitFactor: null, averageLoss: null, largestLoss: null, payoffRatio: null, maxDrawdown: 0 });
    expect(rows[1]).toMatchObject({ trades: 1, wins: 0, losses: 1, profitFactor: 0, averageWin: null });
    expect(rows[1]!.maxDrawdown).toBeCloseTo(-10 / 100_000, 12); // default initial capital
    const json = JSON.stringify(rows);
    expect(json).not.toMatch(/NaN|Infinity/);
    expect(JSON.parse(json)).toEqual(rows);
  });

  it('orders by net profit, ties by name', () => {
    const rows = agentBreakdown({ trades: [trade('b', '2026-11-23', '10:00', 10), trade('a', '2026-11-23', '10:05', 10), trade('c', '2026-11-23', '10:10', 20)] });
    expect(rows.map((r) => r.agent)).toEqual(['c', 'a', 'b']);
  });
});
