import type { MarketSnapshot } from '../../../../apps/sim-gateway/engine/types';
import { DELAY_MS, DelayedTape } from '../../../../apps/sim-gateway/feed/delayed-tape';

const MINUTE = 60_000;

function snapshot(symbol: string, timeMs: number, last: number, volume: number): MarketSnapshot {
  return { symbol, last, lastSize: 100, bid: last - 0.01, ask: last + 0.01, bidSize: 300, askSize: 400, volume, high: last, low: last, open: last, previousClose: 10, timeMs };
}

describe('DelayedTape', () => {
  it('answers the state as of a market time: the last trade at or before it', () => {
    const tape = new DelayedTape();
    tape.record(snapshot('AAA', 1 * MINUTE, 10.0, 100));
    tape.record(snapshot('AAA', 2 * MINUTE, 10.5, 200));
    tape.record(snapshot('AAA', 3 * MINUTE, 11.0, 300));
    expect(tape.at('AAA', 2 * MINUTE)?.last).toBe(10.5);
    expect(tape.at('AAA', 2 * MINUTE + 59_999)?.last).toBe(10.5);
    expect(tape.at('AAA', 10 * MINUTE)?.last).toBe(11.0);
    expect(tape.at('BBB', 10 * MINUTE)).toBeUndefined();
  });

  it('before its history reaches back far enough, it answers the oldest state it knows', () => {
    const tape = new DelayedTape();
    tape.record(snapshot('AAA', 30 * MINUTE, 10.0, 100));
    tape.record(snapshot('AAA', 31 * MINUTE, 12.0, 200));
    expect(tape.at('AAA', 31 * MINUTE - DELAY_MS)?.last).toBe(10.0);
  });

  it('keeps copies: the feed mutates one snapshot object per symbol', () => {
    const tape = new DelayedTape();
    const live = snapshot('AAA', MINUTE, 10.0, 100);
    tape.record(live);
    Object.assign(live, { last: 99, volume: 9_999, timeMs: 2 * MINUTE });
    expect(tape.at('AAA', MINUTE)).toMatchObject({ last: 10.0, volume: 100 });
  });

  it('holds the last 15 minutes plus the state at their start, no more', () => {
    const tape = new DelayedTape();
    for (let second = 0; second <= 3_600; second++) tape.record(snapshot('AAA', second * 1_000, 10 + second / 1_000, second));
    expect(tape.size('AAA')).toBe(15 * 60 + 1); // seconds 2700..3600: 2700 is the state at the window's start
    expect(tape.at('AAA', 3_600_000 - DELAY_MS)?.volume).toBe(2_700);
    expect(tape.at('AAA', 0)?.volume).toBe(2_700); // older than kept: the oldest kept
  });

  it('never goes back in time: a trade stamped before the last entry counts as happening with it', () => {
    const tape = new DelayedTape();
    tape.record(snapshot('AAA', 5 * MINUTE, 10.0, 100)); // e.g. an admin jump stamped with the clock
    tape.record(snapshot('AAA', 4 * MINUTE, 10.2, 150)); // a trade of the next feed step, stamped earlier
    expect(tape.at('AAA', 4 * MINUTE + 30_000)?.last).toBe(10.0);
    expect(tape.at('AAA', 5 * MINUTE)?.last).toBe(10.2);
  });
});
