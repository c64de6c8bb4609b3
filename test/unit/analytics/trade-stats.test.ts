import { breakdownBy, computeTradeStats, timeInMarket, type ClosedTradeInput } from '../../../shared/analytics';
import { newYorkTime } from '../../../shared/time/trading-calendar';

const DAY = '2026-11-23';
const at = (hhmm: string) => newYorkTime(DAY, hhmm);
const MIN = 60_000;

function trade(pnl: number, exitHhmm: string, heldMinutes: number, symbol = 'AAPL', agentName = 'a'): ClosedTradeInput {
  const exitTimeMs = at(exitHhmm);
  return { symbol, agentName, realizedPnl: pnl, entryTimeMs: exitTimeMs - heldMinutes * MIN, exitTimeMs, commission: 1 };
}

describe('trade statistics', () => {
  // In exit order: +100, -50, +30, 0, -20, -10, +200, held 10, 20, ..., 70 minutes
  const trades = [
    trade(100, '10:00', 10), trade(-50, '10:30', 20), trade(30, '11:00', 30), trade(0, '11:30', 40),
    trade(-20, '12:00', 50), trade(-10, '12:30', 60), trade(200, '13:00', 70),
  ];

  it('computes the pyfolio round-trip figures by hand', () => {
    const s = computeTradeStats(trades);
    expect(s).toMatchObject({ trades: 7, wins: 3, losses: 3, breakeven: 1, grossProfit: 330, grossLoss: -80, netProfit: 250, commissions: 7 });
    expect(s.winRate).toBeCloseTo(3 / 7, 12); // breakeven counts in the denominator (pyfolio "percent profitable")
    expect(s.profitFactor).toBeCloseTo(330 / 80, 12); // 4.125
    expect(s.averageWin).toBeCloseTo(110, 12); // 330 / 3
    expect(s.averageLoss).toBeCloseTo(-80 / 3, 12); // -26.67
    expect(s.payoffRatio).toBeCloseTo(110 / (80 / 3), 12); // 4.125
    expect(s.averageTrade).toBeCloseTo(250 / 7, 12);
    expect(s.largestWin).toBe(200);
    expect(s.largestLoss).toBe(-50);
    // W L W 0 L L W: the breakeven trade breaks streaks; longest losing run is -20, -10
    expect(s.longestWinningStreak).toBe(1);
    expect(s.longestLosingStreak).toBe(2);
    expect(s.averageHoldingMinutes).toBeCloseTo(40, 12); // (10 + ... + 70) / 7
    expect(s.medianHoldingMinutes).toBe(40);
    expect(s.longestHoldingMinutes).toBe(70);
  });

  it('orders by exit time for streaks whatever the input order', () => {
    const shuffled = [trades[6]!, trades[0]!, trades[4]!, trades[2]!, trades[5]!, trades[1]!, trades[3]!];
    expect(computeTradeStats(shuffled)).toEqual(computeTradeStats(trades));
    const streaky = [trade(1, '10:00', 1), trade(2, '10:01', 1), trade(3, '10:02', 1), trade(-1, '10:03', 1)];
    expect(computeTradeStats(streaky)).toMatchObject({ longestWinningStreak: 3, longestLosingStreak: 1 });
  });

  it('handles no trades, one trade, all losers and no losers without NaN', () => {
    const empty = computeTradeStats([]);
    expect(empty).toMatchObject({ trades: 0, winRate: null, profitFactor: null, averageWin: null, averageLoss: null, largestWin: null, largestLoss: null, averageHoldingMinutes: null, netProfit: 0 });
    const one = computeTradeStats([trade(42, '10:00', 15)]);
    expect(one).toMatchObject({ trades: 1, winRate: 1, profitFactor: null, averageWin: 42, averageLoss: null, payoffRatio: null, largestWin: 42, largestLoss: null, longestWinningStreak: 1, averageHoldingMinutes: 15 });
    const losers = computeTradeStats([trade(-10, '10:00', 5), trade(-30, '10:30', 5)]);
    // gross profit 0 / |gross loss| 40 = 0
    expect(losers).toMatchObject({ winRate: 0, profitFactor: 0, averageWin: null, averageLoss: -20, largestWin: null, largestLoss: -30, longestLosingStreak: 2, longestWinningStreak: 0 });
    for (const s of [empty, one, losers]) {
      const json = JSON.stringify(s);
      expect(json).not.toMatch(/NaN|Infinity/);
      expect(JSON.parse(json)).toEqual(s);
    }
  });

  it('breaks figures down by symbol, best net profit first', () => {
    const rows = breakdownBy([trade(100, '10:00', 10, 'MSFT'), trade(-40, '10:10', 20, 'MSFT'), trade(-5, '10:20', 30, 'AAPL'), trade(7, '10:30', 40, 'TSLA')], (t) => t.symbol);
    expect(rows.map((r) => r.key)).toEqual(['MSFT', 'TSLA', 'AAPL']);
    expect(rows[0]).toMatchObject({ trades: 2, wins: 1, losses: 1, winRate: 0.5, netProfit: 60, profitFactor: 2.5, averageTrade: 30, averageWin: 100, averageLoss: -40, averageHoldingMinutes: 15 });
    expect(rows[1]).toMatchObject({ profitFactor: null, winRate: 1, averageWin: 7, averageLoss: null });
    expect(rows[2]).toMatchObject({ averageWin: null, averageLoss: -5 });
  });

  it('measures time in market as the union of holding intervals over session time', () => {
    // 09:30-10:00 and 09:45-10:15 overlap → 09:30-10:15 = 45 min; 11:00-11:30 = 30 min; total 75 of 390
    const overlapping: ClosedTradeInput[] = [
      { symbol: 'A', realizedPnl: 1, entryTimeMs: at('09:30'), exitTimeMs: at('10:00') },
      { symbol: 'B', realizedPnl: 1, entryTimeMs: at('09:45'), exitTimeMs: at('10:15') },
      { symbol: 'C', realizedPnl: 1, entryTimeMs: at('11:00'), exitTimeMs: at('11:30') },
      { symbol: 'D', realizedPnl: 1, entryTimeMs: at('11:05'), exitTimeMs: at('11:10') }, // inside C
    ];
    expect(timeInMarket(overlapping, 390)).toBeCloseTo(75 / 390, 12);
    expect(timeInMarket([], 390)).toBe(0);
    expect(timeInMarket(overlapping, 0)).toBeNull();
    expect(timeInMarket([{ symbol: 'X', realizedPnl: 0, entryTimeMs: at('04:00'), exitTimeMs: at('20:00') }], 390)).toBe(1);
  });
});
