import { BrokerEngine } from '../../../apps/sim-gateway/engine/broker-engine';
import type { SimExecution } from '../../../apps/sim-gateway/engine/types';
import { MarketFeed } from '../../../apps/sim-gateway/feed/market-feed';
import { createSyntheticMarket, type MinuteBar } from '../../../apps/sim-gateway/market';
import type { PlacedOrder } from '../../../apps/sim-gateway/protocol/client-order-types';
import { BrokerStore } from '../../../apps/sim-gateway/state/broker-store';
import { tickAt, tickExits, type IntrabarTick } from '../../../shared/backtest/intrabar';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { SimulatorIntrabarPath } from '../../../scripts/backtest/sim-intrabar-path';
import { makeTempDir } from '../../helpers/temp-dir';

// The parity run's market: seed 42, 40 symbols, the session after Thanksgiving.
const DAY = '2026-11-27';
const model = createSyntheticMarket({ seed: 42, universeSize: 40 });
const barAt = (symbol: string, startMs: number): MinuteBar => model.minuteBars(symbol, DAY).find((b) => b.startMs === startMs)!;

/** A MarketFeed on a manual clock, stepped like the gateway steps it; every trade recorded as the engine sees it. */
function feedFrom(startMs: number, speed: number) {
  const clock = new ManualClock(startMs, speed);
  const feed = new MarketFeed(model, clock, MarketFeed.ticksPerBarFor(speed), new Map());
  const played: Array<{ symbol: string; live: boolean; timeMs: number } & Omit<IntrabarTick, 'offsetMs'>> = [];
  feed.on('trade', (symbol, s, live) => played.push({ symbol, live, timeMs: s.timeMs, price: s.last, bid: s.bid, ask: s.ask, bidSize: s.bidSize, askSize: s.askSize }));
  const stepUntil = (untilMs: number) => {
    for (; clock.now() < untilMs; clock.advance(Math.min(MarketFeed.stepMsFor(speed) * speed, untilMs - clock.now()))) feed.step();
    feed.step();
  };
  return { clock, feed, played, stepUntil };
}

describe('the simulator\'s intrabar path (parity)', () => {
  const cases = [
    { speed: 20, symbol: model.universe[0]!.symbol, hhmm: '09:35' },
    { speed: 20, symbol: model.universe[7]!.symbol, hhmm: '10:00' },
    { speed: 20, symbol: model.universe[23]!.symbol, hhmm: '10:21' },
    { speed: 10, symbol: model.universe[31]!.symbol, hhmm: '09:31' },
    { speed: 60, symbol: model.universe[12]!.symbol, hhmm: '10:47' },
  ];

  it.each(cases)('at x$speed, $symbol $hhmm: the ticks, trades, quotes and sizes are what MarketFeed plays', ({ speed, symbol, hhmm }) => {
    const startMs = newYorkTime(DAY, hhmm);
    const { played, stepUntil } = feedFrom(startMs - 60_000, speed);
    stepUntil(startMs + 60_000);
    const fromFeed = played.filter((p) => p.symbol === symbol && p.live && p.timeMs >= startMs && p.timeMs < startMs + 60_000)
      .map(({ timeMs, price, bid, ask, bidSize, askSize }) => ({ offsetMs: timeMs - startMs, price, bid, ask, bidSize, askSize }));
    const path = SimulatorIntrabarPath.forSpeed(model, speed).ticks(symbol, barAt(symbol, startMs));
    expect(fromFeed.length).toBeGreaterThanOrEqual(2);
    expect(path).toEqual(fromFeed);
  });

  it('plays as many trades per bar as the feed at that speed (a path for another speed differs)', () => {
    const symbol = model.universe[3]!.symbol;
    const bar = barAt(symbol, newYorkTime(DAY, '09:45'));
    expect(bar.volume).toBeGreaterThan(100 * 48);
    expect(SimulatorIntrabarPath.forSpeed(model, 20).ticks(symbol, bar)).toHaveLength(24);
    expect(SimulatorIntrabarPath.forSpeed(model, 10).ticks(symbol, bar)).toHaveLength(48);
  });

  it.each(['STOP_LOSS', 'PROFIT_TARGET'] as const)('an IOC entry and the stop/target pair fill on the real engine exactly where the path says (%s first)', (firstLeg) => {
    const speed = 20;
    const intrabar = SimulatorIntrabarPath.forSpeed(model, speed);
    const entryOffsetMs = 26_000; // the latency parity measured
    // A bar where, after the entry, the trades reach both a stop and a target inside the bar, `firstLeg` first.
    let found: { symbol: string; bar: MinuteBar; stop: number; target: number; path: readonly IntrabarTick[] } | undefined;
    for (let minute = 0; minute < 90 && !found; minute++) {
      for (const info of model.universe) {
        const bar = barAt(info.symbol, newYorkTime(DAY, '09:31') + minute * 60_000);
        const path = intrabar.ticks(info.symbol, bar);
        const entry = tickAt(path, entryOffsetMs)!;
        const after = path.filter((t) => t.offsetMs > entry.offsetMs);
        if (after.length < 4) continue;
        const stop = Math.round((Math.min(...after.map((t) => t.price)) + 0.01) * 100) / 100;
        const target = Math.round((Math.max(...after.map((t) => t.bid)) - 0.01) * 100) / 100;
        const first = tickExits(path, { stopPrice: stop, targetPrice: target, stopTriggered: false }, entry.askSize!, entry.offsetMs).sales[0];
        // (and its trade not at the bid: a sale at the trade's price instead of the bid would show)
        const firstTick = path.find((t) => t.offsetMs === first?.offsetMs);
        if (found) break;
        if (stop < entry.price - 0.02 && target > entry.ask + 0.02 && first?.leg === firstLeg && firstTick!.bid < firstTick!.price) found ??= { symbol: info.symbol, bar, stop, target, path };
      }
    }
    expect(found).toBeDefined();
    const { symbol, bar, stop, target, path } = found!;

    const temp = makeTempDir('intrabar-engine');
    const store = new BrokerStore(temp.dir);
    try {
      const { clock, feed, stepUntil } = feedFrom(bar.startMs - 60_000, speed);
      const engine = new BrokerEngine(store, { hasSymbol: (s) => feed.hasSymbol(s), snapshot: (s) => feed.snapshot(s) }, clock, { accountId: 'DU1', startingCash: 10_000_000, buyingPowerMultiple: 4 });
      feed.on('trade', (s) => engine.onMarketUpdate(s));
      const fills: Array<SimExecution & { orderId: number }> = [];
      engine.on('execution', (e) => fills.push({ ...e }));
      stepUntil(bar.startMs + entryOffsetMs);

      // The entry: an IOC buy far larger than the displayed ask, limit well above it.
      const order = (fields: Partial<PlacedOrder>) => ({ tif: 'GTC', ocaGroup: '', orderRef: 'p1', transmit: true, parentId: 0, outsideRth: false, ...fields }) as unknown as PlacedOrder;
      expect(engine.placeOrder(1, 1, symbol, order({ action: 'BUY', totalQuantity: 100_000, orderType: 'LMT', lmtPrice: Math.round(bar.high * 1.05 * 100) / 100, tif: 'IOC' }))).toBeUndefined();
      const entryTick = tickAt(path, entryOffsetMs)!;
      expect(fills).toHaveLength(1);
      expect(fills[0]).toMatchObject({ side: 'BOT', price: entryTick.ask, shares: entryTick.askSize });
      const held = fills[0]!.shares;

      // The pair, placed at once (stop first, as the exit manager sends it), OCA reduce-with-block.
      expect(engine.placeOrder(1, 2, symbol, order({ action: 'SELL', totalQuantity: held, orderType: 'STP', auxPrice: stop, ocaGroup: 'oca1', ocaType: 2 } as Partial<PlacedOrder>))).toBeUndefined();
      expect(engine.placeOrder(1, 3, symbol, order({ action: 'SELL', totalQuantity: held, orderType: 'LMT', lmtPrice: target, ocaGroup: 'oca1', ocaType: 2 } as Partial<PlacedOrder>))).toBeUndefined();
      stepUntil(bar.startMs + 60_000 - 1);

      const expected = tickExits(path, { stopPrice: stop, targetPrice: target, stopTriggered: false }, held, entryTick.offsetMs).sales;
      const exits = fills.slice(1).map((e) => ({ leg: e.orderId === 2 ? 'STOP_LOSS' : 'PROFIT_TARGET', shares: e.shares, price: e.price, offsetMs: e.timeMs - bar.startMs }));
      expect(expected[0]!.leg).toBe(firstLeg);
      // The simulator stamps a fill with the step's clock, not the trade's time: the same trade, up to one step later.
      expect(exits.map(({ leg, shares, price }) => ({ leg, shares, price }))).toEqual(expected.map(({ leg, shares, price }) => ({ leg, shares, price })));
      exits.forEach((e, i) => {
        expect(e.offsetMs).toBeGreaterThanOrEqual(expected[i]!.offsetMs);
        expect(e.offsetMs - expected[i]!.offsetMs).toBeLessThanOrEqual(MarketFeed.stepMsFor(speed) * speed);
      });
    } finally {
      store.close();
      temp.cleanup();
    }
  });
});

describe('tick-by-tick fills (hand-computed)', () => {
  const tick = (offsetMs: number, price: number, bid: number, ask: number, size = 1_000): IntrabarTick => ({ offsetMs, price, bid, ask, bidSize: size, askSize: size });

  it('a stop and a target both inside one bar: the one the trades reach first fills', () => {
    const legs = { stopPrice: 9.9, targetPrice: 10.2, stopTriggered: false };
    // Up first: the bid reaches 10.20 at 20 s (the target sells at that bid), the dip through 9.90 at 40 s comes after.
    const upFirst = [tick(0, 10, 9.99, 10.01), tick(10_000, 10.1, 10.09, 10.11), tick(20_000, 10.21, 10.2, 10.22), tick(40_000, 9.89, 9.88, 9.9)];
    expect(tickExits(upFirst, legs, 100, 0).sales).toEqual([{ leg: 'PROFIT_TARGET', shares: 100, price: 10.2, offsetMs: 20_000 }]);
    // Down first: the trade at 9.90 triggers the stop (at or below it), which sells at that trade's bid, 9.88.
    const downFirst = [tick(0, 10, 9.99, 10.01), tick(15_000, 9.9, 9.88, 9.91), tick(30_000, 10.25, 10.24, 10.26)];
    expect(tickExits(downFirst, legs, 100, 0).sales).toEqual([{ leg: 'STOP_LOSS', shares: 100, price: 9.88, offsetMs: 15_000 }]);
    // A trade at 10.20 whose bid is 10.19 does not reach the target: the limit sells at the bid, not the trade.
    expect(tickExits([tick(0, 10.2, 10.19, 10.21)], legs, 100, 0).sales).toEqual([]);
    // A bid of 9.90 with the trade at 9.91 does not trigger the stop: stops trigger on trades.
    expect(tickExits([tick(0, 9.91, 9.9, 9.92)], legs, 100, 0).sales).toEqual([]);
  });

  it('sells at most the bid size per trade; a triggered stop keeps selling on the next trades and bars', () => {
    const legs = { stopPrice: 9.9, targetPrice: 10.5, stopTriggered: false };
    const ticks = [tick(0, 9.95, 9.94, 9.96, 300), tick(5_000, 9.89, 9.88, 9.9, 200), tick(9_000, 9.93, 9.92, 9.94, 100)];
    // 500 shares: 200 at 9.88 (the trigger), then 100 at 9.92 though the trade is back above the stop: 300 left.
    const first = tickExits(ticks, legs, 500, 0);
    expect(first.sales).toEqual([{ leg: 'STOP_LOSS', shares: 200, price: 9.88, offsetMs: 5_000 }, { leg: 'STOP_LOSS', shares: 100, price: 9.92, offsetMs: 9_000 }]);
    expect(first.stopTriggered).toBe(true);
    // The next bar: the stop is a market order from its first trade.
    expect(tickExits([tick(1_000, 10, 9.99, 10.01, 300)], { ...legs, stopTriggered: true }, 200, 0).sales).toEqual([{ leg: 'STOP_LOSS', shares: 200, price: 9.99, offsetMs: 1_000 }]);
  });

  it('counts trades from the entry\'s (the pair is placed at once), not before', () => {
    const legs = { stopPrice: 9.9, targetPrice: 10.2, stopTriggered: false };
    const ticks = [tick(0, 9.85, 9.84, 9.86), tick(30_000, 10, 9.99, 10.01), tick(50_000, 10.22, 10.21, 10.23)];
    expect(tickExits(ticks, legs, 100, 30_000).sales).toEqual([{ leg: 'PROFIT_TARGET', shares: 100, price: 10.21, offsetMs: 50_000 }]);
    expect(tickExits(ticks, legs, 100, 0).sales[0]!.leg).toBe('STOP_LOSS');
  });

  it('an order meets the quote standing when it arrives: the last trade at or before, else the bar\'s first', () => {
    const ticks = [tick(2_000, 10, 9.99, 10.01), tick(20_000, 10.1, 10.09, 10.11), tick(40_000, 10.2, 10.19, 10.21)];
    expect(tickAt(ticks, 26_000)!.ask).toBe(10.11);
    expect(tickAt(ticks, 20_000)!.ask).toBe(10.11);
    expect(tickAt(ticks, 19_999)!.ask).toBe(10.01);
    expect(tickAt(ticks, 0)!.ask).toBe(10.01);
    expect(tickAt(ticks, 70_000)!.ask).toBe(10.21);
    expect(tickAt([], 0)).toBeUndefined();
  });
});
