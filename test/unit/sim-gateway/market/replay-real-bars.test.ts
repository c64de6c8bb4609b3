import fs from 'node:fs';
import path from 'node:path';
import { createReplayMarket } from '../../../../apps/sim-gateway/market';
import { sessionHours } from '../../../../shared/time/trading-calendar';
import { HAVE_REAL_BARS, REAL_BARS_SKIP_REASON, REAL_MINUTE_DIR, consecutiveTradingDays, dayProblems, regularBars } from './market-assertions';

/** SPY regular-session aggregates from shared/data/bars/README.md (cross-checked there against Lean's daily file). */
const SPY_DAYS: Record<string, { open: number; high: number; low: number; close: number; volume: number }> = {
  '2013-10-04': { open: 167.74, high: 169.06, low: 167.53, close: 168.89, volume: 84960871 },
  '2013-10-07': { open: 167.43, high: 168.45, low: 167.25, close: 167.42, volume: 81489219 },
  '2013-10-08': { open: 167.45, high: 167.62, low: 165.36, close: 165.48, volume: 153859703 },
  '2013-10-09': { open: 165.82, high: 166.2, low: 164.53, close: 165.57, volume: 143898404 },
  '2013-10-10': { open: 167.32, high: 169.24, low: 167.23, close: 169.24, volume: 157839488 },
  '2013-10-11': { open: 168.9, high: 170.32, low: 168.77, close: 170.3, volume: 88751455 },
};

/** The file's rows of one day, keyed by minutes since 09:30 (parsed here independently of the model). */
function fileRows(symbol: string, fileDay: string): Map<number, number[]> {
  const rows = new Map<number, number[]>();
  for (const line of fs.readFileSync(path.join(REAL_MINUTE_DIR, `${symbol}.csv`), 'utf8').trim().split('\n').slice(1)) {
    const [time, ...values] = line.split(',');
    if (!time!.startsWith(fileDay)) continue;
    rows.set(Number(time!.slice(11, 13)) * 60 + Number(time!.slice(14, 16)) - 570, values.map(Number));
  }
  return rows;
}

if (!HAVE_REAL_BARS) {
  // eslint-disable-next-line no-console
  console.warn(`replay of the real minute bars ${REAL_BARS_SKIP_REASON}`);
}
const describeWithRealBars = HAVE_REAL_BARS ? describe : describe.skip;

describeWithRealBars(`replay of the real minute bars in ${REAL_MINUTE_DIR}`, () => {
  const market = HAVE_REAL_BARS ? createReplayMarket({ dir: REAL_MINUTE_DIR, seed: 1, universeSize: 40 }) : undefined!;
  const simDays = consecutiveTradingDays('2026-05-04', 12);

  it('loads all six files and keeps the universe at 40', () => {
    expect(market.replayedSymbols).toEqual(['AAPL', 'AIG', 'BAC', 'IBM', 'SPY', 'TWX']);
    expect(market.universe).toHaveLength(40);
    expect(market.universe.find((info) => info.symbol === 'SPY')!.primaryExchange).toBe('ARCA');
  });

  it('replays every file day exactly (values and minutes), carrying the missing minutes with volume 1', () => {
    const mismatches: string[] = [];
    for (const symbol of market.replayedSymbols) {
      for (const day of simDays) {
        const fileDay = market.fileDayFor(symbol, day);
        const rows = fileRows(symbol, fileDay);
        const hours = sessionHours(day)!;
        const bars = market.minuteBars(symbol, day);
        expect(dayProblems(bars, hours, { realRegularSession: true })).toEqual([]);
        const regular = regularBars(bars, hours);
        let carried = 0;
        regular.forEach((bar, minute) => {
          const row = rows.get(minute);
          const values = [bar.open, bar.high, bar.low, bar.close, bar.volume];
          if (row && values.join() !== row.join()) mismatches.push(`${symbol} ${fileDay} minute ${minute}: ${values} vs file ${row}`);
          if (!row) {
            carried++;
            const flatAtLastClose = bar.volume === 1 && bar.open === bar.close && bar.high === bar.low && bar.open === regular[minute - 1]!.close;
            if (!flatAtLastClose) mismatches.push(`${symbol} ${fileDay} minute ${minute}: missing minute not carried: ${JSON.stringify(bar)}`);
          }
        });
        expect(carried).toBe(390 - rows.size);
      }
    }
    expect(mismatches).toEqual([]);
    // The README lists TWX 2014-06-06 as missing 11:43, 13:37 and 14:32.
    const twxDay = simDays.find((day) => market.fileDayFor('TWX', day) === '2014-06-06')!;
    expect(regularBars(market.minuteBars('TWX', twxDay), sessionHours(twxDay)!).filter((bar) => bar.volume === 1)).toHaveLength(3);
  });

  it('reproduces the README\'s SPY daily bars and measures gaps from the real previous close', () => {
    for (const day of simDays) {
      const fileDay = market.fileDayFor('SPY', day);
      expect(market.dailyBar('SPY', day)).toEqual({ tradingDay: day, ...SPY_DAYS[fileDay] });
      const fileDays = Object.keys(SPY_DAYS);
      const index = fileDays.indexOf(fileDay);
      if (index > 0) expect(market.previousClose('SPY', day)).toBe(SPY_DAYS[fileDays[index - 1]!]!.close);
    }
  });
});
