import type { MarketSnapshot } from '../engine/types';
import type { ClientRequest } from '../protocol/client-request-types';
import {
  marketDataTypeFields, tickPriceFields, tickRequestParametersFields, tickSizeFields, tickSnapshotEndFields, tickStringFields,
  type WireField,
} from '../protocol/server-messages';
import type { ClientSession } from '../tcp/client-session';
import type { GatewayContext } from '../tcp/gateway-context';

type Req<K extends ClientRequest['kind']> = Extract<ClientRequest, { kind: K }>;

/** IB tick types (TWS API "Available Tick Types"). */
const TICK = { BID_SIZE: 0, BID: 1, ASK: 2, ASK_SIZE: 3, LAST: 4, LAST_SIZE: 5, HIGH: 6, LOW: 7, VOLUME: 8, CLOSE: 9, OPEN: 14, RT_VOLUME: 48 } as const;

/** Benchmarks can ask for real wall-clock stamps in RT_VOLUME to measure fan-out latency across processes. */
const REAL_TIMESTAMPS = process.env.SIM_TICK_REAL_TIMESTAMPS === '1';

export function handleMarketData(ctx: GatewayContext, session: ClientSession, request: Req<'reqMktData'>): void {
  const symbol = request.contract.symbol.toUpperCase();
  if (!ctx.feed.hasSymbol(symbol)) {
    session.sendError(request.reqId, 200, 'No security definition has been found for the request');
    return;
  }
  const rtVolume = request.genericTickList.split(',').map((s) => s.trim()).includes('233');
  const snapshot = ctx.feed.snapshot(symbol);
  const messages: WireField[][] = [
    marketDataTypeFields(request.reqId, 1),
    tickRequestParametersFields({ tickerId: request.reqId, minTick: 0.01, bboExchange: '9c0001', snapshotPermissions: 3 }),
    ...fullTicks(request.reqId, snapshot),
  ];
  if (request.snapshot) {
    session.sendAll([...messages, tickSnapshotEndFields(request.reqId)]);
    return;
  }
  session.subscriptions.marketData.set(request.reqId, { symbol, rtVolume });
  session.sendAll(messages);
}

export function handleCancelMarketData(session: ClientSession, request: Req<'cancelMktData'>): void {
  session.subscriptions.marketData.delete(request.reqId);
}

function fullTicks(reqId: number, s: MarketSnapshot): WireField[][] {
  return [
    tickPriceFields({ tickerId: reqId, tickType: TICK.CLOSE, price: s.previousClose }),
    ...(s.open > 0 ? [tickPriceFields({ tickerId: reqId, tickType: TICK.OPEN, price: s.open })] : []),
    ...(s.high > 0 ? [tickPriceFields({ tickerId: reqId, tickType: TICK.HIGH, price: s.high }), tickPriceFields({ tickerId: reqId, tickType: TICK.LOW, price: s.low })] : []),
    ...liveTicks(reqId, s, false),
  ];
}

/**
 * The ticks of one trade: bid, ask, last and volume. Bid size goes in its own TICK_SIZE because
 * @stoqey/ib drops the size carried in a BID TICK_PRICE (its bid-size tick type is 0, tested as falsy).
 * RT_VOLUME (generic tick 233) goes first: a client that reacts to the price ticks then already holds
 * this trade's time stamp, not the previous trade's.
 */
export function liveTicks(reqId: number, s: MarketSnapshot, rtVolume: boolean): WireField[][] {
  const messages: WireField[][] = [];
  if (rtVolume) {
    // With real stamps: the moment the feed emitted the trade, the same for every client it is fanned out to.
    const stamp = REAL_TIMESTAMPS ? (s.emittedAtRealMs ?? performance.timeOrigin + performance.now()).toFixed(3) : String(s.timeMs);
    messages.push(tickStringFields(reqId, TICK.RT_VOLUME, `${s.last};${s.lastSize};${stamp};${s.volume};${s.last};false`));
  }
  messages.push(
    tickPriceFields({ tickerId: reqId, tickType: TICK.BID, price: s.bid, size: s.bidSize, attributes: { canAutoExecute: true } }),
    tickSizeFields(reqId, TICK.BID_SIZE, s.bidSize),
    tickPriceFields({ tickerId: reqId, tickType: TICK.ASK, price: s.ask, size: s.askSize, attributes: { canAutoExecute: true } }),
    tickPriceFields({ tickerId: reqId, tickType: TICK.LAST, price: s.last, size: s.lastSize }),
    tickSizeFields(reqId, TICK.VOLUME, s.volume),
  );
  return messages;
}
