/**
 * Streaming market data messages at v193 (answers to REQ_MKT_DATA).
 *
 * What the client does with them (decoder.js `decodeMsg_TICK_PRICE`): TICK_PRICE for ASK(2),
 * LAST(4) and the delayed BID/ASK/LAST (66/67/68) also emits a tickSize event with the size carried
 * in the same message. For BID(1) it does NOT: the derived type BID_SIZE is 0 and the client tests
 * `if (sizeTickType)`, so the bid size is dropped. Send every size as its own TICK_SIZE as well
 * (TWS does so anyway); then the client sees ask/last sizes twice, which is what real TWS causes.
 * IBApiNext completes a snapshot subscription only on TICK_SNAPSHOT_END.
 */
import { ServerMessageId } from './message-ids';
import type { WireField } from './wire-format';

/** Price tick attributes, sent as a bit mask. */
export interface TickAttributes {
  readonly canAutoExecute?: boolean;
  readonly pastLimit?: boolean;
  readonly preOpen?: boolean;
}

export interface TickPriceInput {
  readonly tickerId: number;
  /** IB tick type: 1 bid, 2 ask, 4 last, 6 high, 7 low, 9 close, 14 open, 66-68 delayed bid/ask/last. */
  readonly tickType: number;
  /** -1 means "no price" (e.g. no bid), as TWS sends it. */
  readonly price: number;
  /** Size for the bid/ask/last size tick the client derives; undefined reads as undefined. */
  readonly size?: number;
  readonly attributes?: TickAttributes;
}

/**
 * decodeMsg_TICK_PRICE: version, tickerId, tickType, price, size (version >= 2), attribute mask
 * (version >= 3). We send version 3, the lowest at which the client reads both.
 * Quirk: the client reads the mask with readBool, so its `canAutoExecute` argument is true when
 * ANY bit is set (pastLimit = 2, preOpen = 4 included).
 */
export function tickPriceFields(input: TickPriceInput): WireField[] {
  const attributes = input.attributes ?? {};
  const attributeMask = (attributes.canAutoExecute ? 1 : 0) | (attributes.pastLimit ? 2 : 0) | (attributes.preOpen ? 4 : 0);
  return [ServerMessageId.TICK_PRICE, 3, input.tickerId, input.tickType, input.price, input.size, attributeMask];
}

/** decodeMsg_TICK_SIZE: version, tickerId, tickType (0 bid size, 3 ask size, 5 last size, 8 volume), size. */
export function tickSizeFields(tickerId: number, tickType: number, size: number | undefined): WireField[] {
  return [ServerMessageId.TICK_SIZE, 1, tickerId, tickType, size];
}

/** decodeMsg_TICK_STRING: version, tickerId, tickType (e.g. 45 last timestamp, 48 RT volume), value. */
export function tickStringFields(tickerId: number, tickType: number, value: string): WireField[] {
  return [ServerMessageId.TICK_STRING, 1, tickerId, tickType, value];
}

/** decodeMsg_TICK_GENERIC: version, tickerId, tickType (e.g. 49 halted, 46 shortable), value (readDouble). */
export function tickGenericFields(tickerId: number, tickType: number, value: number): WireField[] {
  return [ServerMessageId.TICK_GENERIC, 1, tickerId, tickType, value];
}

export interface TickRequestParametersInput {
  readonly tickerId: number;
  readonly minTick: number;
  /** e.g. "9c0001" (TWS's BBO exchange key); "" is fine for the client. */
  readonly bboExchange: string;
  readonly snapshotPermissions: number;
}

/**
 * decodeMsg_TICK_REQ_PARAMS: tickerId, minTick, bboExchange, snapshotPermissions (no version).
 * Quirk: the client reads minTick with readInt, so 0.01 arrives as 0; we still send the true
 * value as TWS does.
 */
export function tickRequestParametersFields(input: TickRequestParametersInput): WireField[] {
  return [ServerMessageId.TICK_REQ_PARAMS, input.tickerId, input.minTick, input.bboExchange, input.snapshotPermissions];
}

/** decodeMsg_TICK_SNAPSHOT_END: version, reqId. Ends a snapshot=true REQ_MKT_DATA. */
export function tickSnapshotEndFields(reqId: number): WireField[] {
  return [ServerMessageId.TICK_SNAPSHOT_END, 1, reqId];
}

/** Market data types of MARKET_DATA_TYPE / REQ_MARKET_DATA_TYPE. */
export const MarketDataType = { REALTIME: 1, FROZEN: 2, DELAYED: 3, DELAYED_FROZEN: 4 } as const;

/** decodeMsg_MARKET_DATA_TYPE: version, reqId, marketDataType (TWS sends it when a subscription starts). */
export function marketDataTypeFields(reqId: number, marketDataType: number): WireField[] {
  return [ServerMessageId.MARKET_DATA_TYPE, 1, reqId, marketDataType];
}
