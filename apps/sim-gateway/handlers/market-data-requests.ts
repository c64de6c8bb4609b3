import { marketPhase } from '../../../shared/time/trading-calendar';
import type { MarketSnapshot } from '../engine/types';
import type { ClientRequest } from '../protocol/client-request-types';
import {
  errorMessageFields, marketDataTypeFields, tickPriceFields, tickRequestParametersFields, tickSizeFields, tickSnapshotEndFields, tickStringFields,
  type WireField,
} from '../protocol/server-messages';
import { contractAmbiguity } from '../realism/ambiguous-symbols';
import { marketDataAccess } from '../realism/market-data-permissions';
import type { ClientSession, RequestedMarketDataType } from '../tcp/client-session';
import type { GatewayContext } from '../tcp/gateway-context';
import { delayedFullTicks, delayedMarketData } from './delayed-market-data';

type Req<K extends ClientRequest['kind']> = Extract<ClientRequest, { kind: K }>;

/** IB tick types (TWS API "Available Tick Types"). */
const TICK = { BID_SIZE: 0, BID: 1, ASK: 2, ASK_SIZE: 3, LAST: 4, LAST_SIZE: 5, HIGH: 6, LOW: 7, VOLUME: 8, CLOSE: 9, OPEN: 14, RT_VOLUME: 48 } as const;

/** Benchmarks can ask for real wall-clock stamps in RT_VOLUME to measure fan-out latency across processes. */
const REAL_TIMESTAMPS = process.env.SIM_TICK_REAL_TIMESTAMPS === '1';

/**
 * reqMarketDataType: what this client asks for from now on (TWS keeps it per connection). It takes effect on
 * the next reqMktData; running subscriptions keep what they had.
 */
export function handleMarketDataType(ctx: GatewayContext, session: ClientSession, request: Req<'reqMarketDataType'>): void {
  const type = request.marketDataType;
  if (type !== 1 && type !== 2 && type !== 3 && type !== 4) {
    ctx.log.debug('unknown_market_data_type', { clientId: session.clientId, marketDataType: type });
    return;
  }
  session.marketDataType = type as RequestedMarketDataType;
}

/**
 * reqMktData, snapshot or streaming, answered by the account's permissions (ctx.realism.marketData, read now,
 * so an admin change applies to the next request) and the type the client asked for: live ticks, delayed
 * ticks of 15 minutes ago after the 10167 notice, or an error and nothing else (354, 10089, 10168).
 */
export function handleMarketData(ctx: GatewayContext, session: ClientSession, request: Req<'reqMktData'>): void {
  const symbol = request.contract.symbol.toUpperCase();
  const info = ctx.info(symbol);
  if (!info || !ctx.feed.hasSymbol(symbol)) {
    session.sendError(request.reqId, 200, 'No security definition has been found for the request');
    return;
  }
  const ambiguity = contractAmbiguity(ctx, request.contract);
  if (ambiguity) {
    session.sendError(request.reqId, ambiguity.code, ambiguity.message);
    return;
  }
  const access = marketDataAccess(ctx.realism.marketData, session.marketDataType, info, request.contract.exchange, () => marketPhase(ctx.clock.now()) === 'CLOSED');
  if (access.kind === 'refused') {
    ctx.log.debug('market_data_refused', { clientId: session.clientId, reqId: request.reqId, symbol, code: access.error.code });
    session.sendError(request.reqId, access.error.code, access.error.message);
    return;
  }
  const parameters = tickRequestParametersFields({ tickerId: request.reqId, minTick: 0.01, bboExchange: '9c0001', snapshotPermissions: 3 });
  if (access.kind === 'delayed') {
    const view = delayedMarketData(ctx).view(symbol);
    const messages: WireField[][] = [
      errorMessageFields({ id: request.reqId, code: access.notice.code, message: access.notice.message }),
      marketDataTypeFields(request.reqId, access.marketDataType),
      parameters,
      ...delayedFullTicks(request.reqId, view),
    ];
    if (request.snapshot) {
      session.sendAll([...messages, tickSnapshotEndFields(request.reqId)]);
      return;
    }
    session.subscriptions.marketData.delete(request.reqId); // a reused request id streams one kind of data
    session.subscriptions.delayedMarketData.set(request.reqId, { symbol, lastSent: view });
    session.sendAll(messages);
    return;
  }
  const rtVolume = request.genericTickList.split(',').map((s) => s.trim()).includes('233');
  const snapshot = ctx.feed.snapshot(symbol);
  const messages: WireField[][] = [marketDataTypeFields(request.reqId, access.marketDataType), parameters, ...fullTicks(request.reqId, snapshot)];
  if (request.snapshot) {
    session.sendAll([...messages, tickSnapshotEndFields(request.reqId)]);
    return;
  }
  session.subscriptions.delayedMarketData.delete(request.reqId);
  session.subscriptions.marketData.set(request.reqId, { symbol, rtVolume });
  session.sendAll(messages);
}

export function handleCancelMarketData(session: ClientSession, request: Req<'cancelMktData'>): void {
  session.subscriptions.marketData.delete(request.reqId);
  session.subscriptions.delayedMarketData.delete(request.reqId);
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
