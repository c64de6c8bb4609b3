/**
 * Decodes one client -> server message (its fields as FrameReader returns them) into a
 * `ClientRequest`. Layouts are @stoqey/ib 1.6.10 encoder.js at server version 193; short messages
 * are decoded here, the long ones in decode-place-order.ts and decode-data-requests.ts.
 *
 * Every decoder consumes exactly the fields its layout has: a missing field or a leftover one is a
 * ProtocolError (the sender disagrees with us about the layout, so any value could be shifted).
 * Message ids we do not implement come back as `{ kind: 'unsupported', messageId }` without
 * looking at their fields. Nothing but ProtocolError is thrown.
 */
import type { ClientRequest } from './client-request-types';
import { decodeReqContractData, decodeReqExecutions, decodeReqHistoricalData, decodeReqMktData, decodeReqScannerSubscription } from './decode-data-requests';
import { decodePlaceOrder } from './decode-place-order';
import { ProtocolError } from './errors';
import { FieldCursor } from './field-cursor';
import { SERVER_VERSION } from './handshake';
import { ClientMessageId } from './message-ids';

export type { ClientRequest, ClientRequestKind, ExecutionFilterRequest, ScannerSubscriptionRequest } from './client-request-types';
export type { ClientContract, ClientOrderCondition, PlacedOrder } from './client-order-types';
export type { TagValue } from './field-cursor';

type Decoder = (cursor: FieldCursor) => ClientRequest;

/** Reads a leading version field whose value does not change the layout at 193. */
function versioned(decode: Decoder): Decoder {
  return (cursor) => {
    cursor.int('version');
    return decode(cursor);
  };
}

const reqIdOnly =
  (kind: 'cancelMktData' | 'cancelHistoricalData' | 'cancelScannerSubscription' | 'cancelAccountSummary'): Decoder =>
  (cursor) => ({ kind, reqId: cursor.int('reqId') });

const DECODERS: Readonly<Record<number, { readonly name: string; readonly decode: Decoder }>> = {
  [ClientMessageId.START_API]: {
    name: 'START_API',
    // socket.js startAPI: version 2, clientId, optionalCapabilities (OPTIONAL_CAPABILITIES = 72).
    decode: versioned((cursor) => ({ kind: 'startApi', clientId: cursor.int('clientId'), optionalCapabilities: cursor.string('optionalCapabilities') })),
  },
  [ClientMessageId.REQ_MKT_DATA]: { name: 'REQ_MKT_DATA', decode: decodeReqMktData },
  [ClientMessageId.CANCEL_MKT_DATA]: { name: 'CANCEL_MKT_DATA', decode: versioned(reqIdOnly('cancelMktData')) },
  [ClientMessageId.PLACE_ORDER]: { name: 'PLACE_ORDER', decode: decodePlaceOrder },
  [ClientMessageId.CANCEL_ORDER]: {
    name: 'CANCEL_ORDER',
    // encoder.js cancelOrder: no version from CME_TAGGING_FIELDS (192); manualOrderCancelTime from
    // MANUAL_ORDER_TIME (169); extOperator + manualOrderIndicator from 192. The RFQ fields are
    // only sent for 187 <= v < 190.
    decode: (cursor) => ({
      kind: 'cancelOrder',
      orderId: cursor.int('orderId'),
      manualOrderCancelTime: cursor.string('manualOrderCancelTime'),
      extOperator: cursor.string('extOperator'),
      manualOrderIndicator: cursor.optionalInt('manualOrderIndicator'),
    }),
  },
  [ClientMessageId.REQ_OPEN_ORDERS]: { name: 'REQ_OPEN_ORDERS', decode: versioned(() => ({ kind: 'reqOpenOrders' })) },
  [ClientMessageId.REQ_ACCOUNT_DATA]: {
    name: 'REQ_ACCOUNT_DATA',
    // encoder.js reqAccountUpdates: version 2, subscribe, acctCode.
    decode: versioned((cursor) => ({ kind: 'reqAccountData', subscribe: cursor.bool('subscribe'), accountCode: cursor.string('acctCode') })),
  },
  [ClientMessageId.REQ_EXECUTIONS]: { name: 'REQ_EXECUTIONS', decode: decodeReqExecutions },
  [ClientMessageId.REQ_IDS]: { name: 'REQ_IDS', decode: versioned((cursor) => ({ kind: 'reqIds', numIds: cursor.int('numIds') })) },
  [ClientMessageId.REQ_CONTRACT_DATA]: { name: 'REQ_CONTRACT_DATA', decode: decodeReqContractData },
  [ClientMessageId.REQ_AUTO_OPEN_ORDERS]: {
    name: 'REQ_AUTO_OPEN_ORDERS',
    decode: versioned((cursor) => ({ kind: 'reqAutoOpenOrders', autoBind: cursor.bool('autoBind') })),
  },
  [ClientMessageId.REQ_ALL_OPEN_ORDERS]: { name: 'REQ_ALL_OPEN_ORDERS', decode: versioned(() => ({ kind: 'reqAllOpenOrders' })) },
  [ClientMessageId.REQ_MANAGED_ACCTS]: { name: 'REQ_MANAGED_ACCTS', decode: versioned(() => ({ kind: 'reqManagedAccts' })) },
  [ClientMessageId.REQ_HISTORICAL_DATA]: { name: 'REQ_HISTORICAL_DATA', decode: decodeReqHistoricalData },
  [ClientMessageId.CANCEL_HISTORICAL_DATA]: { name: 'CANCEL_HISTORICAL_DATA', decode: versioned(reqIdOnly('cancelHistoricalData')) },
  [ClientMessageId.REQ_SCANNER_SUBSCRIPTION]: { name: 'REQ_SCANNER_SUBSCRIPTION', decode: decodeReqScannerSubscription },
  [ClientMessageId.CANCEL_SCANNER_SUBSCRIPTION]: {
    name: 'CANCEL_SCANNER_SUBSCRIPTION',
    decode: versioned(reqIdOnly('cancelScannerSubscription')),
  },
  [ClientMessageId.REQ_SCANNER_PARAMETERS]: { name: 'REQ_SCANNER_PARAMETERS', decode: versioned(() => ({ kind: 'reqScannerParameters' })) },
  [ClientMessageId.REQ_CURRENT_TIME]: { name: 'REQ_CURRENT_TIME', decode: versioned(() => ({ kind: 'reqCurrentTime' })) },
  [ClientMessageId.REQ_GLOBAL_CANCEL]: {
    name: 'REQ_GLOBAL_CANCEL',
    // encoder.js reqGlobalCancel: no version from CME_TAGGING_FIELDS (192).
    decode: (cursor) => ({
      kind: 'reqGlobalCancel',
      extOperator: cursor.string('extOperator'),
      manualOrderIndicator: cursor.optionalInt('manualOrderIndicator'),
    }),
  },
  [ClientMessageId.REQ_MARKET_DATA_TYPE]: {
    name: 'REQ_MARKET_DATA_TYPE',
    // 1 real-time, 2 frozen, 3 delayed, 4 delayed-frozen.
    decode: versioned((cursor) => ({ kind: 'reqMarketDataType', marketDataType: cursor.int('marketDataType') })),
  },
  [ClientMessageId.REQ_POSITIONS]: { name: 'REQ_POSITIONS', decode: versioned(() => ({ kind: 'reqPositions' })) },
  [ClientMessageId.CANCEL_POSITIONS]: { name: 'CANCEL_POSITIONS', decode: versioned(() => ({ kind: 'cancelPositions' })) },
  [ClientMessageId.REQ_ACCOUNT_SUMMARY]: {
    name: 'REQ_ACCOUNT_SUMMARY',
    decode: versioned((cursor) => ({
      kind: 'reqAccountSummary',
      reqId: cursor.int('reqId'),
      group: cursor.string('group'),
      // Comma-separated, e.g. "NetLiquidation,BuyingPower" or "$LEDGER:USD".
      tags: cursor
        .string('tags')
        .split(',')
        .map((tag) => tag.trim())
        .filter((tag) => tag !== ''),
    })),
  },
  [ClientMessageId.CANCEL_ACCOUNT_SUMMARY]: { name: 'CANCEL_ACCOUNT_SUMMARY', decode: versioned(reqIdOnly('cancelAccountSummary')) },
  // The PnL messages carry no version field (encoder.js reqPnL & co.).
  [ClientMessageId.REQ_PNL]: {
    name: 'REQ_PNL',
    decode: (cursor) => ({ kind: 'reqPnl', reqId: cursor.int('reqId'), account: cursor.string('account'), modelCode: cursor.string('modelCode') }),
  },
  [ClientMessageId.CANCEL_PNL]: { name: 'CANCEL_PNL', decode: (cursor) => ({ kind: 'cancelPnl', reqId: cursor.int('reqId') }) },
  [ClientMessageId.REQ_PNL_SINGLE]: {
    name: 'REQ_PNL_SINGLE',
    decode: (cursor) => ({
      kind: 'reqPnlSingle',
      reqId: cursor.int('reqId'),
      account: cursor.string('account'),
      modelCode: cursor.string('modelCode'),
      conId: cursor.int('conId'),
    }),
  },
  [ClientMessageId.CANCEL_PNL_SINGLE]: { name: 'CANCEL_PNL_SINGLE', decode: (cursor) => ({ kind: 'cancelPnlSingle', reqId: cursor.int('reqId') }) },
  // encoder.js reqCompletedOrders: no version, apiOnly.
  [ClientMessageId.REQ_COMPLETED_ORDERS]: {
    name: 'REQ_COMPLETED_ORDERS',
    decode: (cursor) => ({ kind: 'reqCompletedOrders', apiOnly: cursor.bool('apiOnly') }),
  },
};

export function decodeClientMessage(fields: readonly string[], serverVersion: number = SERVER_VERSION): ClientRequest {
  if (serverVersion !== SERVER_VERSION) {
    throw new ProtocolError('unsupported-server-version', `client message layouts are implemented for v${SERVER_VERSION} only, asked for v${serverVersion}`);
  }
  if (fields.length === 0) throw new ProtocolError('truncated-message', 'message has no fields, not even an id');
  if (fields[0] === '') throw new ProtocolError('malformed-field', 'message id is empty');
  const messageId = new FieldCursor(fields, 'message').int('messageId');
  const entry = DECODERS[messageId];
  if (entry === undefined) return { kind: 'unsupported', messageId };
  const cursor = new FieldCursor(fields, entry.name, 1);
  const request = entry.decode(cursor);
  cursor.end();
  return request;
}
