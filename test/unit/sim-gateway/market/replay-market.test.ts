import fs from 'node:fs';
import path from 'node:path';
import { MarketDataError, createReplayMarket } from '../../../../apps/sim-gateway/market';
import { newYorkTime, nextTradingDay, sessionHours } from '../../../../shared/time/trading-calendar';
import { makeTempDir } from '../../../helpers/temp-dir';
import { consecutiveTradingDays, dayProblems, firstBarDifference, regularBars } from './market-assertions';

const HEADER = 'time,open,high,low,close,volume';

/** Rows of a file day: a handful of real-looking minutes, some minutes missing on purpose. */
const FILE_ROWS: Record<string, Array<[string, number, number, number, number, number]>> = {
  // Monday 2024-03-04 (EST, -05:00): 09:30, 09:31, then nothing until 09:34, then 15:59.
  '2024-03-04': [
    ['2024-03-04T09:30:00-05:00', 50.1, 50.25, 50.05, 50.2, 12000],
    ['2024-03-04T09:31:00-05:00', 50.2, 50.3, 50.15, 50.28, 8000],
    ['2024-03-04T09:34:00-05:00', 50.3, 50.31, 50.1, 50.12, 5000],
    ['2024-03-04T15:59:00-05:00', 50.6, 50.7, 50.55, 50.65, 30000],
  ],
  // Tuesday 2024-03-05: opens higher (the real gap from 50.65) and has its first row at 09:32.
  '2024-03-05': [
    ['2024-03-05T09:32:00-05:00', 51.5, 51.6, 51.4, 51.45, 9000],
    ['2024-03-05T12:00:00-05:00', 51.0, 51.05, 50.9, 50.95, 4000],
  ],
};

function csv(rows: Array<[string, number, number, number, number, number]>): string {
  return [HEADER, ...rows.map((row) => row.join(','))].join('\n') + '\n';
}

describe('replay market (small CSVs written by the test)', () => {
  const temp = makeTempDir('replay-market');
  const dir = path.join(temp.dir, 'good');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'ACME.csv'), csv([...FILE_ROWS['2024-03-04']!, ...FILE_ROWS['2024-03-05']!]));
  fs.writeFileSync(path.join(dir, 'BLTZ.csv'), csv(FILE_ROWS['2024-03-04']!.map(([time, ...rest]) => [time, ...rest] as [string, number, number, number, number, number])));
  afterAll(() => temp.cleanup());

  const market = createReplayMarket({ dir, seed: 9, universeSize: 30 });
  const days = consecutiveTradingDays('2026-03-02', 6);

  it('puts the CSV symbols first and tops the universe up with synthetic ones', () => {
    expect(market.universe).toHaveLength(30);
    expect(market.universe.slice(0, 2).map((info) => info.symbol)).toEqual(['ACME', 'BLTZ']);
    expect(new Set(market.universe.map((info) => info.symbol)).size).toBe(30);
    expect(new Set(market.universe.map((info) => info.conId)).size).toBe(30);
    expect(market.hasSymbol('ACME') && market.hasSymbol(market.universe[29]!.symbol)).toBe(true);
  });

  it('replays the file\'s values exactly, minute for minute, on the simulated day, and carries missing minutes', () => {
    const day = days.find((candidate) => market.fileDayFor('ACME', candidate) === '2024-03-04')!;
    const hours = sessionHours(day)!;
    const regular = regularBars(market.minuteBars('ACME', day), hours);
    expect(regular).toHaveLength(390);
    expect(regular[0]).toEqual({ startMs: newYorkTime(day, '09:30'), open: 50.1, high: 50.25, low: 50.05, close: 50.2, volume: 12000 });
    expect(regular[1]).toEqual({ startMs: newYorkTime(day, '09:31'), open: 50.2, high: 50.3, low: 50.15, close: 50.28, volume: 8000 });
    // 09:32 and 09:33 had no trades: the price stays at the last close, one share marks the bar.
    expect(regular[2]).toEqual({ startMs: newYorkTime(day, '09:32'), open: 50.28, high: 50.28, low: 50.28, close: 50.28, volume: 1 });
    expect(regular[3]).toMatchObject({ close: 50.28, volume: 1 });
    expect(regular[4]).toEqual({ startMs: newYorkTime(day, '09:34'), open: 50.3, high: 50.31, low: 50.1, close: 50.12, volume: 5000 });
    expect(regular[389]).toEqual({ startMs: newYorkTime(day, '15:59'), open: 50.6, high: 50.7, low: 50.55, close: 50.65, volume: 30000 });
    expect(market.dailyBar('ACME', day)).toEqual({ tradingDay: day, open: 50.1, high: 50.7, low: 50.05, close: 50.65, volume: 12000 + 8000 + 5000 + 30000 + 386 });
  });

  it('cycles through the file\'s days: sim day k plays file day k mod n, and the gap is the real one', () => {
    const played = days.map((day) => market.fileDayFor('ACME', day));
    for (let i = 1; i < days.length; i++) expect(played[i]).not.toBe(played[i - 1]);
    expect(new Set(played)).toEqual(new Set(['2024-03-04', '2024-03-05']));
    expect(days.map((day) => market.fileDayFor('BLTZ', day))).toEqual(days.map(() => '2024-03-04'));
    const secondFileDay = days.find((day, i) => i > 0 && market.fileDayFor('ACME', day) === '2024-03-05')!;
    // Previous close from the file's own previous day: 50.65, so the open at 51.50 is a real +1.7 % gap.
    expect(market.previousClose('ACME', secondFileDay)).toBe(50.65);
    // Minutes before the file day's first row open at that first row's open.
    const regular = regularBars(market.minuteBars('ACME', secondFileDay), sessionHours(secondFileDay)!);
    expect(regular[0]).toMatchObject({ open: 51.5, close: 51.5, volume: 1 });
    expect(regular[2]).toMatchObject({ open: 51.5, high: 51.6, low: 51.4, close: 51.45, volume: 9000 });
    expect(market.dailyBar('ACME', secondFileDay).close).toBe(50.95);
  });

  it('surrounds the real session with thin synthetic pre-market and after-hours bars: contiguous, valid, deterministic', () => {
    const again = createReplayMarket({ dir, seed: 9, universeSize: 30 });
    for (const day of days) {
      const hours = sessionHours(day)!;
      const bars = market.minuteBars('ACME', day);
      expect(dayProblems(bars, hours, { realRegularSession: true })).toEqual([]);
      expect(firstBarDifference(again.minuteBars('ACME', day), bars)).toBe('');
      const preMarket = bars.filter((bar) => bar.startMs < hours.openMs);
      expect(preMarket[0]!.open / market.previousClose('ACME', day)).toBeCloseTo(1, 1);
      expect(preMarket[preMarket.length - 1]!.close).toBe(regularBars(bars, hours)[0]!.open);
    }
    // Synthetic symbols of the same universe behave like the synthetic model's.
    const synthetic = market.universe[5]!.symbol;
    expect(dayProblems(market.minuteBars(synthetic, days[0]!), sessionHours(days[0]!)!)).toEqual([]);
    expect(market.previousClose(synthetic, days[1]!)).toBe(market.dailyBar(synthetic, days[0]!).close);
  });

  it('cuts the replayed session at 13:00 on a simulated early close', () => {
    const hours = sessionHours('2026-11-27')!;
    const bars = market.minuteBars('ACME', '2026-11-27');
    expect(dayProblems(bars, hours, { realRegularSession: true })).toEqual([]);
    expect(regularBars(bars, hours)).toHaveLength(210);
    expect(market.minuteBars('ACME', '2026-11-26')).toEqual([]); // Thanksgiving
  });

  it('quotes replayed symbols like any other', () => {
    const day = nextTradingDay('2026-03-02');
    const quote = market.quote('ACME', 50.12, newYorkTime(day, '10:00'));
    expect(quote.bid).toBeLessThanOrEqual(50.12);
    expect(quote.ask).toBeGreaterThanOrEqual(50.12);
    expect(quote.bid).toBeLessThan(quote.ask);
  });
});

describe('replay market rejects bad files with the file and line', () => {
  const temp = makeTempDir('replay-bad');
  afterAll(() => temp.cleanup());

  function marketFrom(name: string, content: string) {
    const dir = fs.mkdtempSync(path.join(temp.dir, 'case-'));
    fs.writeFileSync(path.join(dir, name), content);
    return () => createReplayMarket({ dir, seed: 1, universeSize: 30 });
  }

  function expectError(create: () => unknown, reason: string, where: RegExp): void {
    let caught: unknown;
    try {
      create();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MarketDataError);
    expect((caught as MarketDataError).reason).toBe(reason);
    expect((caught as MarketDataError).message).toMatch(where);
  }

  const good = '2024-03-04T09:30:00-05:00,50.1,50.25,50.05,50.2,12000';

  it.each([
    ['a wrong header', 'time,o,h,l,c,v\n' + good, /BAD\.csv:1: expected the header/],
    ['a high below the close', `${HEADER}\n${good}\n2024-03-04T09:31:00-05:00,50.2,50.25,50.15,50.28,8000`, /BAD\.csv:3: OHLC is inconsistent/],
    ['a low above the open', `${HEADER}\n${good}\n${good.replace('09:30', '09:31').replace('50.05', '50.15')}`, /BAD\.csv:3: OHLC/],
    ['time going backwards', `${HEADER}\n${good.replace('09:30', '09:40')}\n${good}`, /BAD\.csv:3: .*strictly increasing/],
    ['a duplicate minute', `${HEADER}\n${good}\n${good}`, /BAD\.csv:3: .*strictly increasing/],
    ['a pre-market row', `${HEADER}\n${good.replace('09:30', '08:00')}`, /BAD\.csv:2: .*outside the regular session/],
    ['a weekend row', `${HEADER}\n${good.replace('2024-03-04', '2024-03-03')}`, /BAD\.csv:2: 2024-03-03 is not a NYSE trading day/],
    ['a time without offset', `${HEADER}\n${good.replace('-05:00', '')}`, /BAD\.csv:2: time .* offset/],
    ['a non-numeric price', `${HEADER}\n${good.replace('50.25', 'abc')}`, /BAD\.csv:2: high "abc"/],
    ['a zero volume', `${HEADER}\n${good.replace(',12000', ',0')}`, /BAD\.csv:2: volume "0"/],
    ['a missing field', `${HEADER}\n${good.replace(',12000', '')}`, /BAD\.csv:2: expected 6 fields/],
    ['no rows', `${HEADER}\n`, /BAD\.csv: the file has a header but no bars/],
  ])('rejects %s', (_, content, where) => {
    expectError(marketFrom('BAD.csv', content), 'bad-csv', where);
  });

  it('rejects a missing folder, an empty folder and a folder without CSVs', () => {
    expectError(() => createReplayMarket({ dir: path.join(temp.dir, 'nope'), seed: 1, universeSize: 30 }), 'bad-directory', /does not exist/);
    const empty = fs.mkdtempSync(path.join(temp.dir, 'empty-'));
    fs.writeFileSync(path.join(empty, 'notes.txt'), 'not a csv');
    expectError(() => createReplayMarket({ dir: empty, seed: 1, universeSize: 30 }), 'bad-directory', /no <SYMBOL>\.csv/);
  });
});
