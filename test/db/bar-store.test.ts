import fs from 'node:fs';
import path from 'node:path';
import { createSyntheticMarket } from '../../apps/sim-gateway/market';
import { barsToCsv, readBarCsvDirectory } from '../../shared/bars/csv';
import { decodeDayBars, encodeDayBars } from '../../shared/bars/codec';
import { dayBarsFrom, minuteBarAt } from '../../shared/bars/day-bars';
import { BarStore } from '../../shared/db/bar-store/bar-store-repository';
import { openDatabase } from '../../shared/db/open-database';
import { BacktestRunsRepository } from '../../shared/db/repositories/backtest-runs-repository';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { makeTempDir } from '../helpers/temp-dir';

describe('the bar store (real SQLite files)', () => {
  const temp = makeTempDir('bar-store');
  afterAll(() => temp.cleanup());
  const model = createSyntheticMarket({ seed: 3, universeSize: 30 });
  const symbol = model.universe[0]!.symbol;

  it('stores a day of bars exactly (prices to 1/10000 of a dollar, volumes, bar starts) and its regular-session bar', () => {
    const day = dayBarsFrom(symbol, '2026-11-24', model.minuteBars(symbol, '2026-11-24'));
    const store = BarStore.open(path.join(temp.dir, 'exact.db'));
    try {
      store.putDays([day], 'synthetic:3');
      const back = store.getDay(symbol, '2026-11-24')!;
      expect(back.length).toBe(960);
      for (const key of ['startMs', 'open', 'high', 'low', 'close', 'volume'] as const) expect(Array.from(back[key])).toEqual(Array.from(day[key]));
      const regular = model.dailyBar(symbol, '2026-11-24');
      expect(store.dailyAggregates(symbol, '2026-11-24', '2026-11-24')).toEqual([{ ...regular }]);
      expect(store.db.pragma('page_size', { simple: true })).toBe(16384);
    } finally {
      store.close();
    }
  });

  it('keeps prices that do not fit the compact form (sub-cent beyond 4 decimals, huge prices, fractional volume) exactly', () => {
    const odd = dayBarsFrom('ODD', '2026-11-24', [
      { startMs: newYorkTime('2026-11-24', '09:30'), open: 0.123456, high: 250_000.5, low: 0.1, close: 0.2, volume: 12.5 },
      { startMs: newYorkTime('2026-11-24', '09:31'), open: 1, high: 1, low: 1, close: 1, volume: 5_000_000_000 },
    ]);
    const back = decodeDayBars('ODD', '2026-11-24', encodeDayBars(odd));
    expect([0, 1].map((i) => minuteBarAt(back, i))).toEqual([0, 1].map((i) => minuteBarAt(odd, i)));
  });

  it('imports a CSV folder in the ../shared/data/bars schema, and names file and line of a broken row', () => {
    const dir = path.join(temp.dir, 'csv');
    fs.mkdirSync(dir);
    const bars = model.minuteBars(symbol, '2026-11-24').filter((b) => b.startMs >= newYorkTime('2026-11-24', '09:30') && b.startMs < newYorkTime('2026-11-24', '10:00'));
    fs.writeFileSync(path.join(dir, 'ABC.csv'), barsToCsv(bars));
    const [file] = readBarCsvDirectory(dir);
    expect(file!.symbol).toBe('ABC');
    expect(file!.days.map((d) => [d.tradingDay, d.length])).toEqual([['2026-11-24', 30]]);
    const lines = fs.readFileSync(path.join(dir, 'ABC.csv'), 'utf8').split('\n');
    lines[4] = lines[4]!.replace(/,([\d.]+),([\d.]+),([\d.]+),/, (_m, o, _h, l) => `,${o},${Number(l) - 1},${l},`); // high below low
    fs.writeFileSync(path.join(dir, 'ABC.csv'), lines.join('\n'));
    expect(() => readBarCsvDirectory(dir)).toThrow(new RegExp(`ABC\\.csv:5: OHLC is inconsistent`));
    fs.writeFileSync(path.join(dir, 'ABC.csv'), 'time,open,high,low,close,volume\n2026-11-26T10:00:00-05:00,1,1,1,1,100\n');
    expect(() => readBarCsvDirectory(dir)).toThrow(/ABC\.csv:2: 2026-11-26 is not a NYSE trading day/);
    expect(() => readBarCsvDirectory(dir, ['XYZ'])).toThrow(/no bars for XYZ/);
  });

  it('remembers what a download asked for (resume), and lists coverage', () => {
    const store = BarStore.open(path.join(temp.dir, 'resume.db'));
    try {
      store.recordRequest('AAA', '2026-11-23', 'failed', 'IB error 162: pacing');
      store.recordRequest('AAA', '2026-11-23', 'done');
      expect(store.request('AAA', '2026-11-23')).toEqual({ status: 'done', attempts: 2, lastError: null });
      store.putDays([dayBarsFrom(symbol, '2026-11-23', model.minuteBars(symbol, '2026-11-23')), dayBarsFrom(symbol, '2026-11-24', model.minuteBars(symbol, '2026-11-24'))], 'test');
      expect(store.coverage()).toEqual([{ symbol, firstDay: '2026-11-23', lastDay: '2026-11-24', days: 2, bars: 1920, sources: 'test' }]);
      expect(store.tradingDays('2026-11-01', '2026-11-30')).toEqual(['2026-11-23', '2026-11-24']);
    } finally {
      store.close();
    }
  });
});

describe('backtest runs in the trading DB (migration 005)', () => {
  const temp = makeTempDir('backtest-runs');
  afterAll(() => temp.cleanup());

  it('stores a run with its trades and equity in one transaction, lists and deletes with its rows', () => {
    const db = openDatabase(path.join(temp.dir, 'trading.db'));
    try {
      const runs = new BacktestRunsRepository(db);
      const trade = { symbol: 'AAA', agentName: 'gm', strategy: 'gap-momentum', tradingDay: '2026-11-23', quantity: 10, entryPrice: 50, entryTimeMs: newYorkTime('2026-11-23', '09:35'), exitPrice: 51, exitTimeMs: newYorkTime('2026-11-23', '10:00'), exitReason: 'PROFIT_TARGET', commission: 2, realizedPnl: 8, pnlPct: 2, score: 70 };
      const id = runs.save({ kind: 'run', fromDay: '2026-11-23', toDay: '2026-11-23', bars: 'synthetic:42:40', symbols: ['AAA'], strategies: [], settings: {}, config: {}, status: 'COMPLETED', trades: 1, netPnl: 8, sharpe: Number.NaN },
        [trade], [{ tradingDay: '2026-11-23', startEquity: 100_000, endEquity: 100_008, realizedPnl: 8, trades: 1 }]);
      const child = runs.save({ kind: 'optimize-point', parentId: id, fromDay: '2026-11-23', toDay: '2026-11-23', bars: 'x', symbols: [], strategies: [], settings: {}, config: {}, status: 'COMPLETED', trades: 0 });
      expect(runs.get(id)).toMatchObject({ id, kind: 'run', trades: 1, netPnl: 8, sharpe: null, symbols: ['AAA'] });
      expect(runs.trades(id)).toEqual([trade]);
      expect(runs.equity(id)).toEqual([{ tradingDay: '2026-11-23', startEquity: 100_000, endEquity: 100_008, realizedPnl: 8, trades: 1 }]);
      expect(runs.list().map((r) => r.id)).toEqual([id]);
      expect(runs.list({ parentId: id, kinds: ['optimize-point'] }).map((r) => r.id)).toEqual([child]);
      expect(runs.delete(id)).toBe(true);
      expect(runs.trades(id)).toEqual([]);
      expect(runs.get(child)).toBeUndefined();
    } finally {
      db.close();
    }
  });
});
