import { compareTrades, type ParityTrade } from '../../../shared/backtest/parity';
import { newYorkTime } from '../../../shared/time/trading-calendar';

const DAY = '2026-11-23';
const at = (hhmm: string, seconds = 0) => newYorkTime(DAY, hhmm) + seconds * 1000;
const trade = (symbol: string, entry: number, exit: number, reason: string, pnl: number, entryPrice = 50): ParityTrade => ({
  symbol, side: 'LONG', tradingDay: DAY, agentName: 'gm', quantity: 100, entryTimeMs: entry, exitTimeMs: exit, exitReason: reason, entryPrice, exitPrice: entryPrice + pnl / 100, realizedPnl: pnl,
});

describe('parity: matching live and backtest trades', () => {
  it('matches by symbol, day, entry minute, exit minute and reason; seconds inside the minute do not matter', () => {
    const live = [trade('AAA', at('09:35', 31), at('10:02', 5), 'PROFIT_TARGET', 90), trade('BBB', at('09:35', 12), at('09:40', 44), 'STOP_LOSS', -45)];
    const backtest = [trade('BBB', at('09:35'), at('09:40'), 'STOP_LOSS', -46), trade('AAA', at('09:35'), at('10:02'), 'PROFIT_TARGET', 91)];
    const report = compareTrades(live, backtest);
    expect(report).toMatchObject({ liveTrades: 2, backtestTrades: 2, matched: 2, matchedShare: 1, livePnl: 45, backtestPnl: 45, pnlDifference: 0, pnlDifferenceShare: 0, unmatched: [] });
  });

  it('counts every trade without a twin against the share, and says why each one is unmatched', () => {
    const live = [trade('AAA', at('09:35', 20), at('10:02'), 'PROFIT_TARGET', 90), trade('CCC', at('12:00', 5), at('15:50'), 'EOD_LIQUIDATION', 10)];
    const backtest = [trade('AAA', at('09:36'), at('10:02'), 'PROFIT_TARGET', 88, 50.02), trade('DDD', at('12:00'), at('12:30'), 'STOP_LOSS', -40)];
    const report = compareTrades(live, backtest, {
      live: [{ tMs: at('12:00', 3), symbol: 'DDD', decision: 'REJECTED', reason: 'score_below_minimum (54.6 < 55)', score: 54.6 }],
      backtest: [{ tMs: at('12:00'), symbol: 'CCC', decision: 'REJECTED', reason: 'rsi_too_high (60.2 >= 60)', score: 61 }],
    }, (ms) => new Date(ms).toLocaleTimeString('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit' }));
    expect(report.matched).toBe(0);
    expect(report.matchedShare).toBe(0);
    expect(report.unmatched.map((u) => [u.side, u.trade.symbol, u.why])).toEqual([
      ['live_only', 'AAA', 'entry minute live 09:35, backtest 09:36; entry price live 50.00, backtest 50.02'],
      ['live_only', 'CCC', 'the backtest did not take it: rejected at 12:00: rsi_too_high (60.2 >= 60) (score 61)'],
      ['backtest_only', 'DDD', 'the live system did not take it: rejected at 12:00: score_below_minimum (54.6 < 55) (score 54.6)'],
    ]);
    expect(report.pnlDifference).toBe(48 - 100);
  });
});
