import { z } from 'zod/v3';
import { dayBarsFrom, type MinuteBar } from '../../../shared/bars/day-bars';
import { MemoryBarSource } from '../../../shared/backtest/bar-sources';
import { runBacktest } from '../../../shared/backtest/engine';
import { engineSettings } from '../../../shared/backtest/settings';
import { loadConfig } from '../../../shared/config/load-config';
import { defineStrategy, standardParams } from '../../../shared/strategy/define-strategy';
import type { Strategy } from '../../../shared/strategy/types';
import { newYorkTime, sessionHours } from '../../../shared/time/trading-calendar';

/**
 * The engine's rules on a universe written by hand: what is entered when and at what price, the broker-side
 * stop and target, the end-of-day flatten (early closes too), the claim rules, several strategies at once.
 * A one-cent spread (fixed 0 bps -> one tick), no slippage, IB fixed commissions without fees: every price
 * and P&L below is computed by hand.
 */
const config = loadConfig({ env: { SCAN_TIMES: '09:35', SCANNER_REFRESH_S: '100000000' } });
const settings = engineSettings({ spread: 0, slippageBps: 0, participation: 1, commissions: { schedule: 'fixed', regulatoryFees: false, exchangeFeePerShare: 0, addLiquidityRebatePerShare: 0 }, recordSignals: true });

/** A strategy that takes the symbols it is told to, at any scan, score 90; exits: stop 1 %, target 2 %. */
function picker(name: string, take: readonly string[], extra: { rows?: number } = {}): Strategy {
  const definition = defineStrategy({
    name: 'picker',
    description: 'takes the symbols it is told to (tests)',
    params: z.object({ ...standardParams, capitalAllocationPct: z.number().default(10), stopLossPct: z.number().default(1), takeProfitPct: z.number().default(2) }),
    needs: () => ({ scanners: ['MOST_ACTIVE'], rowsPerScanner: extra.rows ?? 10, quote: true }),
    evaluate: (data) => {
      const price = data.quote?.ask;
      const wanted = take.includes(data.symbol);
      return { metrics: { symbol: data.symbol, price }, decision: wanted ? { accepted: true, score: 90 - take.indexOf(data.symbol), reason: 'picked' } : { accepted: false, score: 10, reason: 'not_picked' } };
    },
  });
  return definition.create(definition.params.parse({}), name);
}

/** A day of one-minute bars 09:30-16:00 (or the early close) at `price`, with overrides by HH:MM. */
function day(symbol: string, tradingDay: string, price: number, volume: number, overrides: Record<string, Partial<MinuteBar>> = {}) {
  const hours = sessionHours(tradingDay)!;
  const bars: MinuteBar[] = [];
  for (let t = hours.openMs; t < hours.closeMs; t += 60_000) {
    const hhmm = new Date(t).toLocaleTimeString('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit' });
    bars.push({ startMs: t, open: price, high: price, low: price, close: price, volume, ...overrides[hhmm] });
  }
  return dayBarsFrom(symbol, tradingDay, bars);
}

function universe(tradingDay: string, overrides: Record<string, Record<string, Partial<MinuteBar>>> = {}, volumes: Record<string, number> = {}) {
  return ['AAA', 'BBB', 'CCC'].map((s, i) => day(s, tradingDay, 50, volumes[s] ?? 10_000 - i * 1_000, overrides[s]));
}

const DAY = '2026-11-23';

describe('backtest engine rules (hand-computed)', () => {
  it('enters at the bar after the scan at its ask, and a gap through the stop fills at the open', () => {
    const source = new MemoryBarSource(universe(DAY, { AAA: { '09:36': { open: 49, high: 49.2, low: 48.8, close: 49 } } }));
    const result = runBacktest({ source, symbols: ['AAA', 'BBB', 'CCC'], tradingDays: [DAY], config, strategies: [picker('picker', ['AAA'])], settings });
    // Scan at 09:35 on the bars that ended by 09:35 (last 50.00: ask 50.01); 10 % of 100,000 / 50.01 = 199 sh.
    // Filled at the 09:35 bar's open 50.00 + half a cent, rounded up: 50.01. Stop 50.01 x 0.99 = 49.51, target 51.01.
    // 09:36 opens at 49.00, below the stop: sold half a cent below that open, rounded down: 48.99.
    // (48.99 - 50.01) x 199 - 1.00 - 1.00 = -204.98
    expect(result.trades).toEqual([expect.objectContaining({
      symbol: 'AAA', agentName: 'picker', quantity: 199, entryPrice: 50.01, entryTimeMs: newYorkTime(DAY, '09:35'), stopLossPrice: 49.51, profitTargetPrice: 51.01,
      exitPrice: 48.99, exitTimeMs: newYorkTime(DAY, '09:36'), exitReason: 'STOP_LOSS', commission: 2, realizedPnl: -204.98,
    })]);
    expect(result.daily).toEqual([{ tradingDay: DAY, realizedPnl: -204.98, trades: 1, startEquity: 100_000, endEquity: 99_795.02 }]);
  });

  it('takes the target at its price when the bid reaches it', () => {
    const source = new MemoryBarSource(universe(DAY, { AAA: { '10:10': { open: 50.5, high: 51.05, low: 50.4, close: 50.9 } } }));
    const result = runBacktest({ source, symbols: ['AAA', 'BBB', 'CCC'], tradingDays: [DAY], config, strategies: [picker('picker', ['AAA'])], settings });
    // High 51.05: the bid there (half a cent below, rounded down) is 51.04 >= 51.01. (51.01 - 50.01) x 199 - 2.00 = 197.00
    expect(result.trades[0]).toMatchObject({ exitReason: 'PROFIT_TARGET', exitPrice: 51.01, exitTimeMs: newYorkTime(DAY, '10:10'), realizedPnl: 197 });
  });

  it('flattens at the end of the day 10 minutes before the close, at 12:50 on an early close', () => {
    for (const [tradingDay, flatten] of [[DAY, '15:50'], ['2026-11-27', '12:50']] as const) {
      const source = new MemoryBarSource(universe(tradingDay));
      const result = runBacktest({ source, symbols: ['AAA', 'BBB', 'CCC'], tradingDays: [tradingDay], config, strategies: [picker('picker', ['AAA'])], settings });
      // Sold at the flatten minute's open 50.00 less half a cent, rounded down: 49.99. (49.99 - 50.01) x 199 - 2.00 = -5.98
      expect(result.trades[0]).toMatchObject({ exitReason: 'EOD_LIQUIDATION', exitTimeMs: newYorkTime(tradingDay, flatten), exitPrice: 49.99, realizedPnl: -5.98 });
    }
  });

  it('refuses a day NYSE does not trade (Thanksgiving)', () => {
    expect(() => runBacktest({ source: new MemoryBarSource(), symbols: ['AAA'], tradingDays: ['2026-11-26'], config, strategies: [picker('picker', ['AAA'])], settings })).toThrow(/2026-11-26 is not a NYSE trading day/);
  });

  it('applies the claim rules: max open positions, and no re-entry of a symbol closed today', () => {
    const oneSlot = loadConfig({ env: { SCAN_TIMES: '09:35,10:00', SCANNER_REFRESH_S: '100000000', MAX_OPEN_POSITIONS: '1' } });
    const source = new MemoryBarSource(universe(DAY, { AAA: { '09:40': { open: 50.5, high: 51.1, low: 50.5, close: 51 } } }));
    const result = runBacktest({ source, symbols: ['AAA', 'BBB', 'CCC'], tradingDays: [DAY], config: oneSlot, strategies: [picker('picker', ['AAA', 'BBB'])], settings });
    const at = (hhmm: string, symbol: string) => result.signals.find((s) => s.t === newYorkTime(DAY, hhmm) && s.symbol === symbol);
    expect(at('09:35', 'AAA')).toMatchObject({ decision: 'TAKEN' });
    expect(at('09:35', 'BBB')).toMatchObject({ decision: 'REJECTED', reason: 'claim_refused: MAX_OPEN_POSITIONS' });
    // AAA hit its target at 09:40; at 10:00 it was closed today: not again. BBB takes the free slot.
    expect(at('10:00', 'AAA')).toMatchObject({ decision: 'REJECTED', reason: 'closed_today' });
    expect(at('10:00', 'BBB')).toMatchObject({ decision: 'TAKEN' });
    expect(result.trades.map((t) => [t.symbol, t.exitReason])).toEqual([['AAA', 'PROFIT_TARGET'], ['BBB', 'EOD_LIQUIDATION']]);
  });

  it('runs several strategies, each as its own agent, sharing the limits and one position per symbol', () => {
    const source = new MemoryBarSource(universe(DAY));
    const result = runBacktest({ source, symbols: ['AAA', 'BBB', 'CCC'], tradingDays: [DAY], config, strategies: [picker('first', ['AAA']), picker('second', ['AAA', 'CCC'])], settings });
    const signals = result.signals.filter((s) => s.decision === 'TAKEN' || s.reason === 'already_active');
    expect(signals.map((s) => [s.agent, s.symbol, s.decision, s.reason.split(';')[0]])).toEqual([
      ['first', 'AAA', 'TAKEN', 'picked'],
      ['second', 'AAA', 'REJECTED', 'already_active'],
      ['second', 'CCC', 'TAKEN', 'picked'],
    ]);
    expect(result.trades.map((t) => [t.agentName, t.symbol])).toEqual([['first', 'AAA'], ['second', 'CCC']]);
  });

  it('with an entry latency, buys that far into the bar and prices the IOC then (sized at the scan)', () => {
    const source = new MemoryBarSource(universe(DAY, { AAA: { '09:35': { open: 50, high: 50.5, low: 50, close: 50.4 } } }));
    const result = runBacktest({ source, symbols: ['AAA', 'BBB', 'CCC'], tradingDays: [DAY], config, strategies: [picker('picker', ['AAA'])], settings: { ...settings, entryLatencySeconds: 30 } });
    // Sized at 09:35 on the ask 50.01 (199 sh); the order reaches the market 30 s in: 50.00 + 0.40 x 30/60 = 50.20, ask 50.21.
    expect(result.trades[0]).toMatchObject({ quantity: 199, entryPrice: 50.21, stopLossPrice: 49.71, profitTargetPrice: 51.21 });
  });

  it('fills no more than its share of a bar\'s volume; the IOC rest is cancelled', () => {
    const source = new MemoryBarSource(universe(DAY, {}, { AAA: 1_500, BBB: 1_000, CCC: 900 }));
    const result = runBacktest({ source, symbols: ['AAA', 'BBB', 'CCC'], tradingDays: [DAY], config, strategies: [picker('picker', ['AAA'])], settings: { ...settings, participation: 0.1 } });
    // 10 % of the 09:35 bar's 1,500 shares: 150 of the 199 asked.
    expect(result.trades[0]).toMatchObject({ quantity: 150, requestedQuantity: 199 });
    expect(result.stats.partialEntries).toBe(1);
  });
});
