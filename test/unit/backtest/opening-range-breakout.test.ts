import { dayBarsFrom, type MinuteBar } from '../../../shared/bars/day-bars';
import { analyzeBacktest } from '../../../shared/backtest/analysis';
import { MemoryBarSource } from '../../../shared/backtest/bar-sources';
import { runBacktest } from '../../../shared/backtest/engine';
import { engineSettings } from '../../../shared/backtest/settings';
import { loadConfig } from '../../../shared/config/load-config';
import { loadStrategies } from '../../../shared/strategy/registry';
import { sessionHours } from '../../../shared/time/trading-calendar';

/**
 * The example user strategy, strategies/opening-range-breakout.ts, loaded by name like the day-trader loads it
 * and run by the backtest engine next to the built-in gap-momentum: it enters the breakout, its own stop
 * (mid-range) and target (2R) travel with the trade, and the P&L is attributed to its agent.
 * A one-cent spread, no slippage, no fees: the prices below are computed by hand.
 */
const config = loadConfig({ env: { STRATEGIES: 'gap-momentum,opening-range-breakout', SCAN_TIMES: '10:00', SCANNER_REFRESH_S: '100000000' } });
const settings = engineSettings({ spread: 0, slippageBps: 0, participation: 1, commissions: { schedule: 'fixed', regulatoryFees: false, exchangeFeePerShare: 0, addLiquidityRebatePerShare: 0 } });
const DAY = '2026-11-23';
const HISTORY = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20'];

function hhmm(t: number): string {
  return new Date(t).toLocaleTimeString('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit' });
}

/** A regular session of one-minute bars: `shape` gives each minute's bar (default: flat at `price`, 1,000 shares). */
function session(symbol: string, tradingDay: string, price: number, shape: (hhmm: string) => Partial<MinuteBar> | undefined = () => undefined) {
  const hours = sessionHours(tradingDay)!;
  const bars: MinuteBar[] = [];
  for (let t = hours.openMs; t < hours.closeMs; t += 60_000) bars.push({ startMs: t, open: price, high: price, low: price, close: price, volume: 1_000, ...shape(hhmm(t)) });
  return dayBarsFrom(symbol, tradingDay, bars);
}

/**
 * ORBX: 09:30-09:44 between 50.00 and 50.50 (the opening range), 09:45-09:59 at 51.00 on 3,000 shares a minute
 * (the breakout, 2x the usual volume for the time of day), then `after` from 10:00.
 */
function breakoutDay(after: (hhmm: string) => Partial<MinuteBar> | undefined) {
  return session('ORBX', DAY, 50.25, (m) => {
    if (m < '09:45') return { open: 50.25, high: 50.5, low: 50, close: 50.25 };
    if (m < '10:00') return { open: 51, high: 51, low: 51, close: 51, volume: 3_000 };
    return { open: 51, high: 51, low: 51, close: 51, ...after(m) };
  });
}

function run(after: (hhmm: string) => Partial<MinuteBar> | undefined) {
  const history = HISTORY.flatMap((d) => [session('ORBX', d, 50.25), session('FLAT', d, 30), session('STIL', d, 20)]);
  const source = new MemoryBarSource([...history, breakoutDay(after), session('FLAT', DAY, 30), session('STIL', DAY, 20)]);
  const strategies = loadStrategies(config);
  return runBacktest({ source, symbols: ['ORBX', 'FLAT', 'STIL'], tradingDays: [DAY], warmupDays: HISTORY.slice(-1), config, strategies, settings: { ...settings, recordSignals: true } });
}

describe('the opening-range breakout example in the backtest', () => {
  it('is loaded by name from strategies/ next to gap-momentum, each as its own agent', () => {
    expect(loadStrategies(config).map((s) => [s.name, s.type])).toEqual([['gap-momentum', 'gap-momentum'], ['opening-range-breakout', 'opening-range-breakout']]);
  });

  it('enters the breakout at the next bar and takes its own 2R target, attributed to its agent', () => {
    // The target: 10:20's high reaches 53.
    const result = run((m) => (m === '10:20' ? { high: 53, close: 52.9 } : m > '10:20' ? { open: 52.9, high: 52.9, low: 52.9, close: 52.9 } : undefined));
    const taken = result.signals.filter((s) => s.decision === 'TAKEN');
    expect(taken.map((s) => [s.agent, s.symbol])).toEqual([['opening-range-breakout', 'ORBX']]);
    expect(result.trades).toHaveLength(1);
    const trade = result.trades[0]!;
    // Scored at 10:00 on the ask 51.01: stop at the range's middle, (51.01 - 50.25) / 51.01 = 1.49 %, target 2.98 %.
    // Filled at 10:00's open 51.00 + one cent; stop 51.01 x (1 - 1.49 %) = 50.25, target 51.01 x 1.0298 = 52.53.
    expect(trade).toMatchObject({ agentName: 'opening-range-breakout', symbol: 'ORBX', entryPrice: 51.01, exitReason: 'PROFIT_TARGET' });
    expect(trade.stopLossPrice).toBeCloseTo(50.25, 2);
    expect(trade.profitTargetPrice).toBeCloseTo(52.53, 2);
    expect(trade.exitPrice).toBeCloseTo(52.53, 2);
    expect(trade.realizedPnl).toBeCloseTo((trade.exitPrice - 51.01) * trade.quantity - 2, 6);
    // A gap-momentum run of the same configuration would have used its own 1 % / 2 % exits: the plan is the strategy's.
    expect(trade.profitTargetPrice).not.toBeCloseTo(51.01 * (1 + config.strategy.takeProfitPct / 100), 2);
    const analysis = analyzeBacktest(result);
    expect(analysis.byAgent.map((a) => [a.key, a.trades])).toEqual([['opening-range-breakout', 1]]);
    expect(analysis.byAgent[0]!.netProfit).toBeCloseTo(result.trades[0]!.realizedPnl, 6);
  });

  it('falls back to the middle of the range: its own stop', () => {
    const result = run((m) => (m === '10:10' ? { low: 50.1, close: 50.2 } : m > '10:10' ? { open: 50.2, high: 50.2, low: 50.2, close: 50.2 } : undefined));
    expect(result.trades).toHaveLength(1);
    expect(result.trades[0]).toMatchObject({ agentName: 'opening-range-breakout', exitReason: 'STOP_LOSS' });
    // 10:10 trades through the stop 50.25: filled there less half the one-cent spread (50.245 -> 50.24).
    const trade = result.trades[0]!;
    expect(trade).toMatchObject({ stopLossPrice: 50.25, exitPrice: 50.24 });
    // IB fixed: $1 minimum per order on 196 shares (0.98), twice.
    expect(trade.realizedPnl).toBeCloseTo((50.24 - 51.01) * trade.quantity - 2, 6);
  });
});
