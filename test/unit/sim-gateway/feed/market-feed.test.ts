import { BrokerEngine } from '../../../../apps/sim-gateway/engine/broker-engine';
import type { MarketSnapshot } from '../../../../apps/sim-gateway/engine/types';
import { MarketFeed } from '../../../../apps/sim-gateway/feed/market-feed';
import { createSyntheticMarket, type MinuteBar } from '../../../../apps/sim-gateway/market';
import type { PlacedOrder } from '../../../../apps/sim-gateway/protocol/client-order-types';
import { BrokerStore } from '../../../../apps/sim-gateway/state/broker-store';
import { ManualClock } from '../../../../shared/time/clock';
import { newYorkTime } from '../../../../shared/time/trading-calendar';
import { makeTempDir } from '../../../helpers/temp-dir';

const DAY = '2026-11-23';
const NEXT_DAY = '2026-11-24';
const TICKS_PER_BAR = 8;
const model = createSyntheticMarket({ seed: 11, universeSize: 30 });
const cents = (price: number) => Math.round(price * 100) / 100;

interface Played extends MarketSnapshot {
  live: boolean;
  emittedAtMs: number;
}

function feedAt(startMs: number) {
  const clock = new ManualClock(startMs);
  const factors = new Map<string, number>();
  const feed = new MarketFeed(model, clock, TICKS_PER_BAR, factors);
  const played: Played[] = [];
  // The feed mutates one snapshot object per symbol: keep copies.
  feed.on('trade', (_symbol, snapshot, live) => played.push({ ...snapshot, live, emittedAtMs: clock.now() }));
  return { clock, feed, factors, played };
}

/** The trades the model says a symbol prints in [fromMs, toMs], in order, with the feed's price factor. */
function modelTrades(symbol: string, fromBarMs: number, toMs: number, factor = 1): Array<{ timeMs: number; price: number; size: number }> {
  const trades: Array<{ timeMs: number; price: number; size: number }> = [];
  for (const bar of model.minuteBars(symbol, DAY)) {
    if (bar.startMs < fromBarMs || bar.startMs > toMs) continue;
    for (const tick of model.ticksForBar(symbol, bar, TICKS_PER_BAR)) {
      if (bar.startMs + tick.offsetMs <= toMs) trades.push({ timeMs: bar.startMs + tick.offsetMs, price: cents(tick.price * factor), size: tick.size });
    }
  }
  return trades;
}

describe('MarketFeed', () => {
  it('plays every tick of the model in time order and never one from the future', () => {
    const { clock, feed, played } = feedAt(newYorkTime(DAY, '10:00'));
    const endMs = newYorkTime(DAY, '10:03') + 17_000;
    for (; clock.now() <= endMs; clock.advance(700)) feed.step();
    const lastStepMs = clock.now() - 700;
    const problems: string[] = [];
    for (const info of model.universe) {
      const mine = played.filter((p) => p.symbol === info.symbol);
      mine.forEach((p, i) => {
        if (p.timeMs > p.emittedAtMs) problems.push(`${info.symbol}: trade of ${p.timeMs} emitted at ${p.emittedAtMs}`);
        if (i > 0 && p.timeMs < mine[i - 1]!.timeMs) problems.push(`${info.symbol}: trade ${i} goes back in time`);
        if (!p.live && p.timeMs >= newYorkTime(DAY, '09:57')) problems.push(`${info.symbol}: a recent minute was fast-forwarded`);
      });
      // The last 3 minutes before the start are streamed tick by tick, then everything up to the last step.
      const live = mine.filter((p) => p.live).map((p) => ({ timeMs: p.timeMs, price: p.last, size: p.lastSize }));
      expect(live).toEqual(modelTrades(info.symbol, newYorkTime(DAY, '09:57'), lastStepMs));
    }
    expect(problems).toEqual([]);
    expect(feed.ticksEmitted).toBe(played.filter((p) => p.live).length);
  });

  it('keeps quotes around the trade: bid <= last <= ask, on the cent grid', () => {
    const { clock, feed, played } = feedAt(newYorkTime(DAY, '11:00'));
    for (let i = 0; i < 40; i++, clock.advance(500)) feed.step();
    expect(played.length).toBeGreaterThan(1_000);
    const problems = played.filter((p) => !(p.bid <= p.last && p.ask >= p.last && p.ask > p.bid && cents(p.bid) === p.bid && cents(p.ask) === p.ask && p.bidSize > 0 && p.askSize > 0));
    expect(problems).toEqual([]);
  });

  it('steps often enough at high speed that one step releases about a market second, never more than 10 ms apart', () => {
    expect(MarketFeed.stepMsFor(600)).toBe(2);
    expect(MarketFeed.stepMsFor(300)).toBe(3);
    expect(MarketFeed.stepMsFor(60)).toBe(10);
    expect(MarketFeed.stepMsFor(1)).toBe(10);
    expect(MarketFeed.stepMsFor(5_000)).toBe(2);
  });

  it('emits nothing while paused and catches up afterwards', () => {
    const { clock, feed, played } = feedAt(newYorkTime(DAY, '10:00'));
    feed.step();
    const before = played.length;
    feed.paused = true;
    clock.advance(60_000);
    feed.step();
    expect(played.length).toBe(before);
    feed.paused = false;
    feed.step();
    expect(played.length).toBeGreaterThan(before);
  });

  describe('fast-forward after a gap', () => {
    /** A symbol and window where only the skipped minutes' LOWS go below a level: no open, close or earlier tick does. */
    function findDipOnlyInLows(fromMs: number, toMs: number) {
      for (const info of model.universe) {
        const bars = model.minuteBars(info.symbol, DAY).filter((b) => b.startMs >= fromMs && b.startMs < toMs);
        const minOpenClose = Math.min(...bars.map((b) => Math.min(b.open, b.close)));
        const minLow = Math.min(...bars.map((b) => b.low));
        const before = model.minuteBars(info.symbol, DAY).filter((b) => b.startMs < fromMs && b.startMs >= fromMs - 4 * 60_000);
        const floorBefore = Math.min(...before.map((b) => b.low));
        if (minOpenClose - minLow >= 0.04 && floorBefore - minLow >= 0.04) return { symbol: info.symbol, bars, stop: cents(minLow + 0.02) };
      }
      throw new Error('no symbol with a dip only in the lows: pick another seed');
    }

    it('matches the skipped minutes on their extremes, so a stop inside a skipped wick triggers and fills at that bid', () => {
      const { clock, feed, played } = feedAt(newYorkTime(DAY, '10:00'));
      const temp = makeTempDir('feed-engine');
      const store = new BrokerStore(temp.dir);
      try {
        const engine = new BrokerEngine(store, { hasSymbol: (s) => feed.hasSymbol(s), snapshot: (s) => feed.snapshot(s) }, clock, {
          accountId: 'DU1', startingCash: 1_000_000, buyingPowerMultiple: 4,
        });
        feed.on('trade', (symbol) => engine.onMarketUpdate(symbol));
        const window = findDipOnlyInLows(newYorkTime(DAY, '10:01'), newYorkTime(DAY, '10:26'));
        feed.step();
        expect(feed.snapshot(window.symbol).last).toBeGreaterThan(window.stop);
        const stopOrder = { action: 'SELL', totalQuantity: 10, orderType: 'STP', auxPrice: window.stop, tif: 'DAY', ocaGroup: '', orderRef: 'gap', transmit: true, parentId: 0, outsideRth: false };
        expect(engine.placeOrder(1, 1, window.symbol, stopOrder as unknown as PlacedOrder)).toBeUndefined();
        const fills: number[] = [];
        engine.on('execution', (e) => fills.push(e.price));

        clock.set(newYorkTime(DAY, '10:30')); // the process was stalled for half an hour
        feed.step();

        const trigger = played.find((p) => p.symbol === window.symbol && p.last <= window.stop)!;
        expect(trigger.live).toBe(false); // a fast-forwarded minute, not streamed to clients
        const bar = window.bars.find((b: MinuteBar) => b.startMs + 59_000 === trigger.timeMs)!;
        expect(trigger.last).toBe(bar.low);
        const quote = model.quote(window.symbol, bar.low, trigger.timeMs);
        expect(fills).toEqual([Math.min(cents(quote.bid), bar.low)]);
        // Every skipped minute was played as open, both extremes and close.
        const skipped = played.filter((p) => p.symbol === window.symbol && !p.live && p.timeMs >= newYorkTime(DAY, '10:01'));
        expect(skipped.length % 4).toBe(0);
        expect(new Set(skipped.map((p) => p.last))).toEqual(new Set(window.bars.filter((b) => b.startMs + 59_000 <= skipped[skipped.length - 1]!.timeMs).flatMap((b) => [b.open, b.high, b.low, b.close])));
      } finally {
        store.close();
        temp.cleanup();
      }
    });
  });

  describe('jump', () => {
    it('scales the price at once and every later trade by the factor, compounding', () => {
      const { clock, feed, factors, played } = feedAt(newYorkTime(DAY, '10:00'));
      const symbol = model.universe[3]!.symbol;
      feed.step();
      const lastBefore = feed.snapshot(symbol).last;
      const jumped = feed.jump(symbol, -10);
      expect(jumped.last).toBe(cents(lastBefore * 0.9));
      expect(played[played.length - 1]).toMatchObject({ symbol, last: cents(lastBefore * 0.9), live: true });
      expect(factors.get(symbol)).toBeCloseTo(0.9, 12);
      expect(jumped.bid).toBeLessThan(jumped.ask);

      const fromMs = clock.now();
      const count = played.length;
      clock.advance(45_000);
      feed.step();
      const after = played.slice(count).filter((p) => p.symbol === symbol).map((p) => ({ timeMs: p.timeMs, price: p.last, size: p.lastSize }));
      expect(after.length).toBeGreaterThan(0);
      expect(after).toEqual(modelTrades(symbol, newYorkTime(DAY, '10:00'), clock.now(), 0.9).filter((t) => t.timeMs > fromMs));
      // Other symbols are untouched.
      const other = model.universe[4]!.symbol;
      const otherLive = played.filter((p) => p.symbol === other && p.live).map((p) => p.last);
      expect(otherLive).toEqual(modelTrades(other, newYorkTime(DAY, '09:57'), clock.now()).map((t) => t.price));

      feed.jump(symbol, 10);
      expect(factors.get(symbol)).toBeCloseTo(0.99, 12);
      const count2 = played.length;
      clock.advance(45_000);
      feed.step();
      const later = played.slice(count2).filter((p) => p.symbol === symbol);
      expect(later.length).toBeGreaterThan(0);
      expect(later.map((p) => p.last)).toEqual(modelTrades(symbol, newYorkTime(DAY, '10:00'), clock.now(), 0.99).filter((t) => t.timeMs > clock.now() - 45_000).map((t) => t.price));
    });

    it('carries the shock into the next day (previous close and prices)', () => {
      const { clock, feed } = feedAt(newYorkTime(DAY, '10:00'));
      const symbol = model.universe[5]!.symbol;
      feed.step();
      feed.jump(symbol, 20);
      clock.set(newYorkTime(NEXT_DAY, '09:30'));
      feed.step();
      const snapshot = feed.snapshot(symbol);
      expect(snapshot.previousClose).toBe(cents(model.previousClose(symbol, NEXT_DAY) * 1.2));
      const open = model.minuteBars(symbol, NEXT_DAY).find((b) => b.startMs === newYorkTime(NEXT_DAY, '09:30'))!;
      expect(snapshot.open).toBeGreaterThan(0);
      expect(snapshot.high).toBeGreaterThanOrEqual(cents(open.open * 1.2));
    });
  });
});
