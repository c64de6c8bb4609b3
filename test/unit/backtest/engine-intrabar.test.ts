import { z } from 'zod/v3';
import { dayBarsFrom, type MinuteBar } from '../../../shared/bars/day-bars';
import { MemoryBarSource } from '../../../shared/backtest/bar-sources';
import { runBacktest } from '../../../shared/backtest/engine';
import type { IntrabarPath, IntrabarTick } from '../../../shared/backtest/intrabar';
import { engineSettings } from '../../../shared/backtest/settings';
import { loadConfig } from '../../../shared/config/load-config';
import { defineStrategy, standardParams } from '../../../shared/strategy/define-strategy';
import { newYorkTime, sessionHours } from '../../../shared/time/trading-calendar';

/**
 * The engine on a known intrabar path (the parity command's): entries at the standing ask, at most its size;
 * the stop and target trade by trade, each sale at most the bid size. Prices and P&L computed by hand.
 */
const DAY = '2026-11-23';
const config = loadConfig({ env: { SCAN_TIMES: '09:35', SCANNER_REFRESH_S: '100000000' } });
const settings = engineSettings({ spread: 0, slippageBps: 0, participation: 1, commissions: { schedule: 'fixed', regulatoryFees: false, exchangeFeePerShare: 0, addLiquidityRebatePerShare: 0 }, recordSignals: true });

/** Takes AAA at the 09:35 scan; stop 1 %, target 2 %, 10 % of the account. */
function picker() {
  const definition = defineStrategy({
    name: 'picker',
    description: 'takes AAA (tests)',
    params: z.object({ ...standardParams, capitalAllocationPct: z.number().default(10), stopLossPct: z.number().default(1), takeProfitPct: z.number().default(2) }),
    needs: () => ({ scanners: ['MOST_ACTIVE'], rowsPerScanner: 10, quote: true }),
    evaluate: (data) => ({
      metrics: { symbol: data.symbol, price: data.quote?.ask },
      decision: data.symbol === 'AAA' ? { accepted: true, score: 90, reason: 'picked' } : { accepted: false, score: 10, reason: 'not_picked' },
    }),
  });
  return definition.create(definition.params.parse({}), 'picker');
}

function source(aaa0935: Partial<MinuteBar>) {
  const hours = sessionHours(DAY)!;
  return new MemoryBarSource(['AAA', 'BBB', 'CCC'].map((symbol, i) => {
    const bars: MinuteBar[] = [];
    for (let t = hours.openMs; t < hours.closeMs; t += 60_000) bars.push({ startMs: t, open: 50, high: 50, low: 50, close: 50, volume: 10_000 - i * 1_000, ...(symbol === 'AAA' && t === newYorkTime(DAY, '09:35') ? aaa0935 : {}) });
    return dayBarsFrom(symbol, DAY, bars);
  }));
}

const tick = (offsetMs: number, price: number, bid: number, ask: number, bidSize: number, askSize: number): IntrabarTick => ({ offsetMs, price, bid, ask, bidSize, askSize });

/** AAA's trades by minute (HH:MM); every other bar has none known (the engine falls back to the bar). */
function path(byMinute: Record<string, IntrabarTick[]>): IntrabarPath {
  return { ticks: (symbol, bar) => (symbol === 'AAA' ? byMinute[Object.keys(byMinute).find((hhmm) => newYorkTime(DAY, hhmm) === bar.startMs) ?? ''] ?? [] : []) };
}

const run = (bar: Partial<MinuteBar>, intrabar?: IntrabarPath) =>
  runBacktest({ source: source(bar), symbols: ['AAA', 'BBB', 'CCC'], tradingDays: [DAY], config, strategies: [picker()], settings, intrabar }).trades;

describe('backtest engine on a known intrabar path (hand-computed)', () => {
  it('a target and a stop inside one bar: the path says the target came first (the bar model assumes the stop)', () => {
    const bar = { open: 50, high: 51.05, low: 49, close: 49, volume: 10_000 };
    // The IOC arrives at the bar's start, before its first trade: it meets the first quote, ask 50.02 (1,000 shown):
    // 10 % of 100,000 / 50.01 (the scan's ask) = 199 sh at 50.02. Stop 50.02 x 0.99 = 49.52, target 50.02 x 1.02 = 51.02.
    // At 20 s the bid is 51.03 >= 51.02: the target sells all 199 at that bid; the dip to 49.00 at 40 s comes too late.
    // (51.03 - 50.02) x 199 - 1.00 - 1.00 = 198.99
    const ticks = { '09:35': [tick(1_000, 50, 49.99, 50.02, 1_000, 1_000), tick(20_000, 51.05, 51.03, 51.06, 1_000, 1_000), tick(40_000, 49, 48.98, 49.01, 1_000, 1_000)] };
    expect(run(bar, path(ticks))).toEqual([expect.objectContaining({
      quantity: 199, entryPrice: 50.02, stopLossPrice: 49.52, profitTargetPrice: 51.02, exitReason: 'PROFIT_TARGET', exitPrice: 51.03, exitTimeMs: newYorkTime(DAY, '09:35'), realizedPnl: 198.99,
    })]);
    expect(run(bar)).toEqual([expect.objectContaining({ exitReason: 'STOP_LOSS' })]);
  });

  it('an IOC entry buys at most the ask size; a triggered stop sells the bid size per trade, the rest on the next bar', () => {
    // Entry: 150 shown at the ask 50.02 of the 199 asked: 150 sh (the rest cancelled). Stop 49.52.
    // 50 s: the trade at 49.40 triggers it; 100 sh sold at the bid 49.38. 09:36's first trade: 50 sh at 49.44.
    // Average exit (100 x 49.38 + 50 x 49.44) / 150 = 49.40; (49.40 - 50.02) x 150 - 1.00 (entry) - 1.00 (one stop order) = -95.00
    const ticks = {
      '09:35': [tick(1_000, 50, 49.99, 50.02, 1_000, 150), tick(30_000, 50.3, 50.29, 50.31, 1_000, 1_000), tick(50_000, 49.4, 49.38, 49.41, 100, 1_000)],
      '09:36': [tick(2_000, 49.45, 49.44, 49.46, 1_000, 1_000)],
    };
    expect(run({ open: 50, high: 50.3, low: 49.4, close: 49.4 }, path(ticks))).toEqual([expect.objectContaining({
      quantity: 150, requestedQuantity: 199, entryPrice: 50.02, exitReason: 'STOP_LOSS', exitPrice: 49.4, exitTimeMs: newYorkTime(DAY, '09:36'), commission: 2, realizedPnl: -95,
    })]);
  });
});
