import { historicalBars, HistoricalRequestError, parseEndDateTime, type HistoricalQuery } from '../../../../apps/sim-gateway/feed/historical-bars';
import { createSyntheticMarket, type MinuteBar } from '../../../../apps/sim-gateway/market';
import { newYorkTime, previousTradingDay, sessionHours } from '../../../../shared/time/trading-calendar';

const DAY = '2026-11-23';
const model = createSyntheticMarket({ seed: 5, universeSize: 30 });
const symbol = model.universe[2]!.symbol;

function query(fields: Partial<HistoricalQuery>): HistoricalQuery {
  return { symbol, endMs: newYorkTime(DAY, '10:02') + 30_000, barSize: '1 min', duration: '1 D', useRth: true, formatDate: 2, ...fields };
}

function aggregateOf(bars: readonly MinuteBar[]) {
  return {
    open: bars[0]!.open,
    high: Math.max(...bars.map((b) => b.high)),
    low: Math.min(...bars.map((b) => b.low)),
    close: bars[bars.length - 1]!.close,
    volume: bars.reduce((sum, b) => sum + b.volume, 0),
  };
}

const startSeconds = (hhmm: string, day = DAY) => String(newYorkTime(day, hhmm) / 1000);

describe('historical bars', () => {
  it('1-min bars are the model\'s complete minutes only: none from the future, not even the running minute', () => {
    const { bars } = historicalBars(model, query({}));
    const minutes = model.minuteBars(symbol, DAY).filter((b) => b.startMs >= newYorkTime(DAY, '09:30') && b.startMs < newYorkTime(DAY, '10:02'));
    expect(bars).toHaveLength(32);
    expect(bars.map((b) => b.time)).toEqual(minutes.map((b) => String(b.startMs / 1000)));
    expect(bars.map((b) => [b.open, b.high, b.low, b.close, b.volume])).toEqual(minutes.map((b) => [b.open, b.high, b.low, b.close, b.volume]));
    expect(bars[bars.length - 1]!.time).toBe(startSeconds('10:01'));
  });

  it('without useRth includes the pre-market from 04:00', () => {
    const { bars, startMs } = historicalBars(model, query({ useRth: false }));
    expect(bars[0]!.time).toBe(startSeconds('04:00'));
    expect(bars).toHaveLength((newYorkTime(DAY, '10:02') - newYorkTime(DAY, '04:00')) / 60_000);
    expect(startMs).toBe(newYorkTime(DAY, '04:00'));
  });

  it('5-min bars aggregate the 1-min bars (open first, close last, high max, low min, volume sum)', () => {
    const { bars } = historicalBars(model, query({ barSize: '5 mins' }));
    const minutes = model.minuteBars(symbol, DAY);
    expect(bars.map((b) => b.time)).toEqual(['09:30', '09:35', '09:40', '09:45', '09:50', '09:55', '10:00'].map((t) => startSeconds(t)));
    for (const bar of bars) {
      const fromMs = Number(bar.time) * 1000;
      const inside = minutes.filter((m) => m.startMs >= fromMs && m.startMs < fromMs + 5 * 60_000 && m.startMs + 60_000 <= query({}).endMs);
      expect(bar).toMatchObject(aggregateOf(inside));
    }
    // The running 10:00 bar holds 10:00 and 10:01 only: its close is 10:01's close, not a later price.
    const last = bars[bars.length - 1]!;
    const tenOhOne = minutes.find((m) => m.startMs === newYorkTime(DAY, '10:01'))!;
    expect(last.close).toBe(tenOhOne.close);
    expect(last.volume).toBe(aggregateOf(minutes.filter((m) => m.startMs === newYorkTime(DAY, '10:00') || m.startMs === tenOhOne.startMs)).volume);
  });

  it('daily bars match the model\'s daily bars, and today\'s bar only holds what already traded', () => {
    const { bars } = historicalBars(model, query({ barSize: '1 day', duration: '5 D', formatDate: 1 }));
    expect(bars).toHaveLength(5);
    const days = [DAY];
    while (days.length < 5) days.unshift(previousTradingDay(days[0]!));
    expect(bars.map((b) => b.time)).toEqual(days.map((d) => d.replace(/-/g, '')));
    for (const [i, day] of days.slice(0, 4).entries()) {
      const daily = model.dailyBar(symbol, day);
      expect(bars[i]).toMatchObject({ open: daily.open, high: daily.high, low: daily.low, close: daily.close, volume: daily.volume });
    }
    const today = model.minuteBars(symbol, DAY).filter((b) => b.startMs >= newYorkTime(DAY, '09:30') && b.startMs < newYorkTime(DAY, '10:02'));
    expect(bars[4]).toMatchObject(aggregateOf(today));
    expect(bars[4]!.close).not.toBe(model.dailyBar(symbol, DAY).close);
  });

  it('a request made on a non-trading day ends with the last session (a weekend asks for Friday)', () => {
    const saturday = newYorkTime('2026-11-21', '12:00');
    const { bars } = historicalBars(model, query({ endMs: saturday, barSize: '1 hour', duration: '1 D' }));
    expect(bars.length).toBeGreaterThan(0);
    expect(Number(bars[bars.length - 1]!.time) * 1000).toBeLessThan(sessionHours('2026-11-20')!.closeMs);
    expect(Number(bars[0]!.time) * 1000).toBeGreaterThanOrEqual(newYorkTime('2026-11-20', '09:00'));
  });

  it('"1 W" covers 5 trading days and an unknown bar size is refused with 321', () => {
    const { bars } = historicalBars(model, query({ barSize: '1 day', duration: '1 W' }));
    expect(bars).toHaveLength(5);
    expect(() => historicalBars(model, query({ barSize: '7 mins' }))).toThrow(HistoricalRequestError);
    expect(() => historicalBars(model, query({ duration: 'yesterday' }))).toThrow(expect.objectContaining({ code: 321 }));
  });

  it('an end time in the future is clamped to now', () => {
    const nowMs = newYorkTime(DAY, '10:00');
    expect(parseEndDateTime('20261123 15:00:00 US/Eastern', nowMs)).toBe(nowMs);
    expect(parseEndDateTime('20261123 09:45:00 US/Eastern', nowMs)).toBe(newYorkTime(DAY, '09:45'));
    expect(parseEndDateTime('20261123-14:45:00', nowMs)).toBe(newYorkTime(DAY, '09:45')); // UTC
    expect(parseEndDateTime('', nowMs)).toBe(nowMs);
  });
});
