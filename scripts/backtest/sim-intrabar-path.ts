import type { MarketModel, MinuteBar as ModelMinuteBar } from '../../apps/sim-gateway/market';
import { MarketFeed } from '../../apps/sim-gateway/feed/market-feed';
import type { MinuteBar } from '../../shared/bars/day-bars';
import type { IntrabarPath, IntrabarTick } from '../../shared/backtest/intrabar';
import { tradingDayOf } from '../../shared/time/trading-calendar';

/**
 * The trades and quotes sim-gateway plays inside a minute, for the backtest side of the parity check: the same
 * market model, the same number of ticks per bar (MarketFeed.ticksPerBarFor(speed): it depends on the run's
 * speed), and the feed's own turning of a tick into a trade and a quote (MarketFeed.applyTrade, reproduced in
 * `tradeAndQuote` below; test/unit/backtest/sim-intrabar-path.test.ts fails if the two drift apart).
 *
 * The ticks come from the model's own bar of that minute, as the feed plays it, not from the bar the backtest
 * was given (stored bars could differ in the last digit). No price shocks: the parity run injects no faults.
 */
export class SimulatorIntrabarPath implements IntrabarPath {
  private readonly barsByDay = new Map<string, Map<number, ModelMinuteBar>>();

  constructor(private readonly model: MarketModel, readonly ticksPerBar: number) {}

  /** The path a simulator running at `speed` plays. */
  static forSpeed(model: MarketModel, speed: number): SimulatorIntrabarPath {
    return new SimulatorIntrabarPath(model, MarketFeed.ticksPerBarFor(speed));
  }

  ticks(symbol: string, bar: MinuteBar): readonly IntrabarTick[] {
    const played = this.modelBar(symbol, bar.startMs) ?? bar;
    return this.model.ticksForBar(symbol, played, this.ticksPerBar).map((tick) => ({
      offsetMs: tick.offsetMs,
      ...tradeAndQuote(this.model, symbol, tick.price, played.startMs + tick.offsetMs),
    }));
  }

  private modelBar(symbol: string, startMs: number): ModelMinuteBar | undefined {
    const key = `${symbol}|${tradingDayOf(startMs)}`;
    let byStart = this.barsByDay.get(key);
    if (!byStart) {
      byStart = new Map(this.model.minuteBars(symbol, tradingDayOf(startMs)).map((b) => [b.startMs, b]));
      // A backtest touches a few symbol-days at a time: keep the last few dozen.
      if (this.barsByDay.size >= 64) this.barsByDay.delete(this.barsByDay.keys().next().value!);
      this.barsByDay.set(key, byStart);
    }
    return byStart.get(startMs);
  }
}

/**
 * MarketFeed.applyTrade with a price factor of 1: the trade on the cent grid, the model's quote around it, the
 * bid never above the trade and the ask never below it, and at least a cent between them.
 */
export function tradeAndQuote(model: MarketModel, symbol: string, tickPrice: number, timeMs: number): Omit<IntrabarTick, 'offsetMs'> {
  const price = cents(tickPrice);
  const quote = model.quote(symbol, price, timeMs);
  const bid = Math.min(cents(quote.bid), price);
  let ask = Math.max(cents(quote.ask), price);
  if (ask <= bid) ask = cents(bid + 0.01);
  return { price, bid, ask, bidSize: quote.bidSize, askSize: quote.askSize };
}

function cents(price: number): number {
  return Math.round(price * 100) / 100;
}
