import type { MarketSnapshot } from '../engine/types';
import { DELAY_MS, DelayedTape, type TapeEntry } from '../feed/delayed-tape';
import { tickPriceFields, tickSizeFields, type WireField } from '../protocol/server-messages';
import type { GatewayContext } from '../tcp/gateway-context';

/** IB's delayed tick types (TWS API "Available Tick Types"). */
export const DELAYED_TICK = { BID: 66, ASK: 67, LAST: 68, BID_SIZE: 69, ASK_SIZE: 70, LAST_SIZE: 71, HIGH: 72, LOW: 73, VOLUME: 74, CLOSE: 75, OPEN: 76 } as const;

/**
 * Delayed market data of one gateway: records every trade of the feed on a tape (market time) and streams
 * the market of 15 minutes ago to delayed subscriptions, one update each time the symbol trades.
 *
 * It attaches itself to the gateway's feed the first time it is needed (the first request of an account
 * without live data), so the ideal profile never pays for the tape. Until the tape reaches 15 minutes back,
 * a delayed view is the oldest state it recorded.
 */
export class DelayedMarketData {
  readonly tape = new DelayedTape();

  constructor(private readonly ctx: GatewayContext) {
    ctx.feed.on('trade', (symbol, snapshot, live) => this.onTrade(symbol, snapshot, live));
  }

  /** What a delayed feed shows for the symbol now. */
  view(symbol: string): TapeEntry {
    return this.tape.at(symbol, this.ctx.clock.now() - DELAY_MS) ?? this.tape.record(this.ctx.feed.snapshot(symbol));
  }

  private onTrade(symbol: string, snapshot: MarketSnapshot, live: boolean): void {
    this.tape.record(snapshot);
    // Minutes replayed while the feed catches up are recorded, not streamed, and nothing streams while the
    // link to IB is down (1100): as for live subscribers.
    if (!live || this.ctx.faults.ibLinkLost) return;
    let view: TapeEntry | undefined;
    for (const session of this.ctx.sessions()) {
      if (session.subscriptions.delayedMarketData.size === 0) continue;
      for (const [reqId, subscription] of session.subscriptions.delayedMarketData) {
        if (subscription.symbol !== symbol) continue;
        view ??= this.view(symbol);
        if (view === subscription.lastSent) continue;
        subscription.lastSent = view;
        session.sendAll(delayedTradeTicks(reqId, view));
      }
    }
  }
}

const services = new WeakMap<GatewayContext, DelayedMarketData>();

/** The gateway's delayed market data, attached to its feed on first use. */
export function delayedMarketData(ctx: GatewayContext): DelayedMarketData {
  let service = services.get(ctx);
  if (!service) {
    service = new DelayedMarketData(ctx);
    services.set(ctx, service);
  }
  return service;
}

/** Everything a new delayed subscription gets: close, open, high, low, then the trade ticks. */
export function delayedFullTicks(reqId: number, s: Readonly<MarketSnapshot>): WireField[][] {
  return [
    tickPriceFields({ tickerId: reqId, tickType: DELAYED_TICK.CLOSE, price: s.previousClose }),
    ...(s.open > 0 ? [tickPriceFields({ tickerId: reqId, tickType: DELAYED_TICK.OPEN, price: s.open })] : []),
    ...(s.high > 0 ? [tickPriceFields({ tickerId: reqId, tickType: DELAYED_TICK.HIGH, price: s.high }), tickPriceFields({ tickerId: reqId, tickType: DELAYED_TICK.LOW, price: s.low })] : []),
    ...delayedTradeTicks(reqId, s),
  ];
}

/**
 * Delayed bid, ask and last with their sizes, and the volume. Unlike the live BID (whose derived size type
 * is 0, which @stoqey/ib's decoder tests as falsy and drops), the client derives DELAYED_BID_SIZE 69,
 * DELAYED_ASK_SIZE 70 and DELAYED_LAST_SIZE 71 from the sizes carried in these TICK_PRICE messages
 * (decoder.js decodeMsg_TICK_PRICE), so no separate size ticks are needed. No attribute bits: delayed
 * quotes cannot be auto-executed. RT_VOLUME (generic tick 233) is not among the generic ticks IB
 * serves with delayed data, so a delayed subscription never gets it.
 */
export function delayedTradeTicks(reqId: number, s: Readonly<MarketSnapshot>): WireField[][] {
  return [
    tickPriceFields({ tickerId: reqId, tickType: DELAYED_TICK.BID, price: s.bid, size: s.bidSize }),
    tickPriceFields({ tickerId: reqId, tickType: DELAYED_TICK.ASK, price: s.ask, size: s.askSize }),
    tickPriceFields({ tickerId: reqId, tickType: DELAYED_TICK.LAST, price: s.last, size: s.lastSize }),
    tickSizeFields(reqId, DELAYED_TICK.VOLUME, s.volume),
  ];
}
