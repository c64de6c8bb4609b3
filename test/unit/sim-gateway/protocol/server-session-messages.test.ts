/**
 * Handshake reply, session messages and market data, decoded by @stoqey/ib's own Socket + Decoder
 * at server version 193.
 */
import { encodeHandshakeReply, encodeFrame } from '../../../../apps/sim-gateway/protocol/framing';
import {
  currentTimeFields,
  errorMessageFields,
  frameAll,
  managedAccountsFields,
  marketDataTypeFields,
  nextValidIdFields,
  NO_REQUEST_ID,
  tickGenericFields,
  tickPriceFields,
  tickRequestParametersFields,
  tickSizeFields,
  tickSnapshotEndFields,
  tickStringFields,
} from '../../../../apps/sim-gateway/protocol/server-messages';
import { ACCOUNT_ID } from './fixtures';
import { CONNECTION_TIME, decodeWithClient, decodingErrors, expectExactLayout, IbClientHarness } from './ib-client-harness';

describe('handshake reply', () => {
  test('the client accepts it: connected + server(193, connection time), then START_API goes out', () => {
    const harness = new IbClientHarness(7);
    harness.connect();
    expect(harness.takeEvents()).toEqual([
      { name: 'connected', args: [] },
      { name: 'server', args: [193, CONNECTION_TIME] },
    ]);
    expect(harness.serverVersion).toBe(193);
  });

  test('the greeting the client waits for decodes in one chunk: accounts, next id, farm notices as info', () => {
    const harness = IbClientHarness.connected();
    harness.feed(
      frameAll([
        managedAccountsFields([ACCOUNT_ID]),
        nextValidIdFields(1000),
        errorMessageFields({ id: NO_REQUEST_ID, code: 2104, message: 'Market data farm connection is OK:usfarm' }),
        errorMessageFields({ id: NO_REQUEST_ID, code: 2106, message: 'HMDS data farm connection is OK:ushmds' }),
        errorMessageFields({ id: NO_REQUEST_ID, code: 2158, message: 'Sec-def data farm connection is OK:secdefil' }),
      ]),
    );
    expect(harness.takeEvents()).toEqual([
      { name: 'managedAccounts', args: [ACCOUNT_ID] },
      { name: 'nextValidId', args: [1000] },
      { name: 'info', args: ['Market data farm connection is OK:usfarm', 2104] },
      { name: 'info', args: ['HMDS data farm connection is OK:ushmds', 2106] },
      { name: 'info', args: ['Sec-def data farm connection is OK:secdefil', 2158] },
    ]);
  });

  test('why the trailing NUL after the connection time matters: without it the next message is garbage', () => {
    const harness = new IbClientHarness(7);
    const reply = encodeHandshakeReply(193, CONNECTION_TIME);
    const withoutTrailingNul = Buffer.concat([Buffer.from([0, 0, 0, reply.length - 5]), reply.subarray(4, reply.length - 1)]);
    harness.feed(withoutTrailingNul);
    harness.feed(encodeFrame(managedAccountsFields([ACCOUNT_ID])));
    const events = harness.takeEvents();
    expect(events.find((event) => event.name === 'managedAccounts')).toBeUndefined();
    expect(decodingErrors(events).length).toBeGreaterThan(0);
  });

  test('a version above the client maximum is refused with 506', () => {
    const harness = new IbClientHarness(7);
    harness.connect(194);
    expect(harness.takeEvents()).toContainEqual({ name: 'error', args: [new Error('Unsupported Version 194'), 506, -1, undefined] });
  });
});

describe('session messages', () => {
  test('MANAGED_ACCTS lists several accounts comma-separated', () => {
    expectExactLayout(managedAccountsFields(['DU1', 'DU2']));
    expect(decodeWithClient(managedAccountsFields(['DU1', 'DU2']))).toEqual([{ name: 'managedAccounts', args: ['DU1,DU2'] }]);
  });

  test('NEXT_VALID_ID and CURRENT_TIME', () => {
    expectExactLayout(nextValidIdFields(5));
    expect(decodeWithClient(nextValidIdFields(5))).toEqual([{ name: 'nextValidId', args: [5] }]);
    expectExactLayout(currentTimeFields(1_790_000_000.9));
    expect(decodeWithClient(currentTimeFields(1_790_000_000.9))).toEqual([{ name: 'currentTime', args: [1_790_000_000] }]);
  });

  test('ERR_MSG is exactly 4, 2, id, code, msg, "" and arrives as error(Error, code, reqId)', () => {
    const fields = errorMessageFields({ id: 1001, code: 201, message: 'Order rejected - reason:insufficient margin' });
    expect(fields).toEqual([4, 2, 1001, 201, 'Order rejected - reason:insufficient margin', '']);
    expectExactLayout(fields);
    expect(decodeWithClient(fields)).toEqual([
      { name: 'error', args: [new Error('Order rejected - reason:insufficient margin'), 201, 1001, undefined] },
    ]);
  });

  test('ERR_MSG: -1 arrives as info, non-ASCII text and the advanced reject JSON survive', () => {
    expect(decodeWithClient(errorMessageFields({ id: NO_REQUEST_ID, code: 1100, message: 'Connectivity lost' }))).toEqual([
      { name: 'info', args: ['Connectivity lost', 1100] },
    ]);
    const reject = { rejectReason: 'Prix hors limite – €', codes: [1, 2] };
    const events = decodeWithClient(errorMessageFields({ id: 12, code: 201, message: 'Ordre refusé ✓ 𝄞', advancedOrderReject: reject }));
    expect(events).toEqual([{ name: 'error', args: [new Error('Ordre refusé ✓ 𝄞'), 201, 12, reject] }]);
  });
});

describe('market data', () => {
  test('TICK_PRICE for ask yields the ask size too; the attribute mask arrives as canAutoExecute', () => {
    const fields = tickPriceFields({ tickerId: 11, tickType: 2, price: 189.43, size: 200, attributes: { canAutoExecute: true } });
    expectExactLayout(fields);
    expect(decodeWithClient(fields)).toEqual([
      { name: 'tickPrice', args: [11, 2, 189.43, true] },
      { name: 'tickSize', args: [11, 3, 200] },
    ]);
  });

  test('client bug: TICK_PRICE for BID drops the bid size (BID_SIZE is tick type 0, tested with `if (sizeTickType)`)', () => {
    const fields = tickPriceFields({ tickerId: 11, tickType: 1, price: 189.41, size: 300 });
    expect(decodeWithClient(fields)).toEqual([{ name: 'tickPrice', args: [11, 1, 189.41, false] }]);
    // ... so the server must send the bid size as its own TICK_SIZE.
    expect(decodeWithClient(tickSizeFields(11, 0, 300))).toEqual([{ name: 'tickSize', args: [11, 0, 300] }]);
  });

  test('TICK_PRICE quirks: any attribute bit reads as canAutoExecute; non-bid/ask/last types emit no size', () => {
    expect(decodeWithClient(tickPriceFields({ tickerId: 11, tickType: 4, price: 189.4, size: 5, attributes: { pastLimit: true } }))).toEqual([
      { name: 'tickPrice', args: [11, 4, 189.4, true] },
      { name: 'tickSize', args: [11, 5, 5] },
    ]);
    expect(decodeWithClient(tickPriceFields({ tickerId: 11, tickType: 9, price: 187.2 }))).toEqual([{ name: 'tickPrice', args: [11, 9, 187.2, false] }]);
    expect(decodeWithClient(tickPriceFields({ tickerId: 11, tickType: 68, price: 3.5, size: 1 }))).toEqual([
      { name: 'tickPrice', args: [11, 68, 3.5, false] },
      { name: 'tickSize', args: [11, 71, 1] },
    ]);
  });

  test('TICK_SIZE, TICK_STRING, TICK_GENERIC', () => {
    for (const fields of [tickSizeFields(11, 8, 123456), tickStringFields(11, 45, '1795000000'), tickGenericFields(11, 49, 0)]) expectExactLayout(fields);
    expect(decodeWithClient(tickSizeFields(11, 8, 123456))).toEqual([{ name: 'tickSize', args: [11, 8, 123456] }]);
    expect(decodeWithClient(tickStringFields(11, 45, '1795000000'))).toEqual([{ name: 'tickString', args: [11, 45, '1795000000'] }]);
    expect(decodeWithClient(tickGenericFields(11, 49, 0))).toEqual([{ name: 'tickGeneric', args: [11, 49, 0] }]);
  });

  test('TICK_REQ_PARAMS: the client reads minTick with parseInt, so 0.01 arrives as 0', () => {
    const fields = tickRequestParametersFields({ tickerId: 11, minTick: 0.01, bboExchange: '9c0001', snapshotPermissions: 3 });
    expectExactLayout(fields);
    expect(decodeWithClient(fields)).toEqual([{ name: 'tickReqParams', args: [11, 0, '9c0001', 3] }]);
  });

  test('TICK_SNAPSHOT_END and MARKET_DATA_TYPE', () => {
    expectExactLayout(tickSnapshotEndFields(11));
    expect(decodeWithClient(tickSnapshotEndFields(11))).toEqual([{ name: 'tickSnapshotEnd', args: [11] }]);
    expectExactLayout(marketDataTypeFields(11, 3));
    expect(decodeWithClient(marketDataTypeFields(11, 3))).toEqual([{ name: 'marketDataType', args: [11, 3] }]);
  });
});
