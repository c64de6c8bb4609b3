/**
 * Every client request other than PLACE_ORDER, as @stoqey/ib's own Encoder writes it at server
 * version 193, decoded by decodeClientMessage; plus malformed input.
 */
import {
  BarSizeSetting,
  ConjunctionConnection,
  Contract,
  Instrument,
  LocationCode,
  OrderAction,
  OrderType,
  ScanCode,
  SecType,
  TimeCondition,
  WhatToShow,
} from '@stoqey/ib';
import { decodeClientMessage } from '../../../../apps/sim-gateway/protocol/client-messages';
import { ProtocolError } from '../../../../apps/sim-gateway/protocol/errors';
import { captureFields, captureRequest } from './client-capture';
import { ACCOUNT_ID } from './fixtures';

const STOCK: Contract = { conId: 265598, symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', primaryExch: 'NASDAQ', currency: 'USD', localSymbol: 'AAPL', tradingClass: 'NMS' };
const DECODED_STOCK = {
  conId: 265598, symbol: 'AAPL', secType: 'STK', lastTradeDateOrContractMonth: '', strike: undefined, right: '', multiplier: undefined,
  exchange: 'SMART', primaryExchange: 'NASDAQ', currency: 'USD', localSymbol: 'AAPL', tradingClass: 'NMS',
};

describe('market data requests', () => {
  test('reqMktData and cancelMktData', () => {
    expect(captureRequest((encoder) => encoder.reqMktData(11, STOCK, '233,236', false, false))).toEqual({
      kind: 'reqMktData', reqId: 11, contract: DECODED_STOCK, genericTickList: '233,236', snapshot: false, regulatorySnapshot: false, mktDataOptions: '',
    });
    expect(captureRequest((encoder) => encoder.reqMktData(12, STOCK, '', true, false))).toMatchObject({ kind: 'reqMktData', reqId: 12, snapshot: true });
    expect(captureRequest((encoder) => encoder.cancelMktData(11))).toEqual({ kind: 'cancelMktData', reqId: 11 });
  });

  test('reqMktData for a BAG carries its legs and a delta-neutral contract', () => {
    const combo: Contract = {
      symbol: 'SPY', secType: SecType.BAG, exchange: 'SMART', currency: 'USD',
      comboLegs: [{ conId: 1, ratio: 1, action: OrderAction.BUY, exchange: 'SMART' }, { conId: 2, ratio: 3, action: OrderAction.SELL, exchange: 'CBOE' }],
      deltaNeutralContract: { conId: 756733, delta: 0.4, price: 450.5 },
    };
    const request = captureRequest((encoder) => encoder.reqMktData(13, combo, '', false, false));
    expect(request).toMatchObject({
      kind: 'reqMktData',
      contract: { secType: 'BAG', comboLegs: combo.comboLegs, deltaNeutralContract: { conId: 756733, delta: 0.4, price: 450.5 } },
    });
  });

  test('reqMarketDataType, reqCurrentTime', () => {
    expect(captureRequest((encoder) => encoder.reqMarketDataType(3))).toEqual({ kind: 'reqMarketDataType', marketDataType: 3 });
    expect(captureRequest((encoder) => encoder.reqCurrentTime())).toEqual({ kind: 'reqCurrentTime' });
  });

  test('reqHistoricalData: bar size and duration arrive in the right slots; cancelHistoricalData', () => {
    const request = captureRequest((encoder) =>
      encoder.reqHistoricalData(31, STOCK, '20261123 16:00:00 US/Eastern', '2 D', BarSizeSetting.MINUTES_FIVE, WhatToShow.TRADES, 1, 1, true, [{ tag: 'XYZ', value: 'a=b' }]),
    );
    expect(request).toEqual({
      kind: 'reqHistoricalData', reqId: 31, contract: { ...DECODED_STOCK, includeExpired: false }, endDateTime: '20261123 16:00:00 US/Eastern',
      barSizeSetting: '5 mins', durationStr: '2 D', useRTH: true, whatToShow: 'TRADES', formatDate: 1, keepUpToDate: true,
      chartOptions: [{ tag: 'XYZ', value: 'a=b' }],
    });
    expect(captureRequest((encoder) => encoder.cancelHistoricalData(31))).toEqual({ kind: 'cancelHistoricalData', reqId: 31 });
  });

  test('reqContractDetails', () => {
    expect(captureRequest((encoder) => encoder.reqContractDetails(77, { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD', includeExpired: true }))).toEqual({
      kind: 'reqContractData', reqId: 77,
      contract: {
        conId: undefined, symbol: 'AAPL', secType: 'STK', lastTradeDateOrContractMonth: '', strike: undefined, right: '', multiplier: undefined, exchange: 'SMART',
        primaryExchange: '', currency: 'USD', localSymbol: '', tradingClass: '', includeExpired: true, secIdType: '', secId: '', issuerId: '',
      },
    });
  });

  test('reqScannerSubscription with filter options; cancel and parameters', () => {
    const request = captureRequest((encoder) =>
      encoder.reqScannerSubscription(
        41,
        { numberOfRows: 25, instrument: Instrument.STK, locationCode: LocationCode.STK_US_MAJOR, scanCode: ScanCode.TOP_PERC_GAIN, abovePrice: 5, belowPrice: 500.5, aboveVolume: 100000, marketCapAbove: 1e9, stockTypeFilter: 'CORP' },
        [],
        [{ tag: 'changePercAbove', value: '4' }, { tag: 'priceAbove', value: '5' }],
      ),
    );
    expect(request).toMatchObject({
      kind: 'reqScannerSubscription', reqId: 41,
      subscription: { numberOfRows: 25, instrument: 'STK', locationCode: 'STK.US.MAJOR', scanCode: 'TOP_PERC_GAIN', abovePrice: 5, belowPrice: 500.5, aboveVolume: 100000, marketCapAbove: 1e9, excludeConvertible: false, stockTypeFilter: 'CORP' },
      filterOptions: [{ tag: 'changePercAbove', value: '4' }, { tag: 'priceAbove', value: '5' }],
      subscriptionOptions: [],
    });
    expect(request.kind === 'reqScannerSubscription' && request.subscription.marketCapBelow).toBeUndefined();
    expect(captureRequest((encoder) => encoder.cancelScannerSubscription(41))).toEqual({ kind: 'cancelScannerSubscription', reqId: 41 });
    expect(captureRequest((encoder) => encoder.reqScannerParameters())).toEqual({ kind: 'reqScannerParameters' });
  });
});

describe('order and account requests', () => {
  test('cancelOrder, with and without a manual cancel time; reqGlobalCancel', () => {
    expect(captureRequest((encoder) => encoder.cancelOrder(1002, { manualOrderCancelTime: undefined, extOperator: '', manualOrderIndicator: undefined }))).toEqual({
      kind: 'cancelOrder', orderId: 1002, manualOrderCancelTime: '', extOperator: '', manualOrderIndicator: undefined,
    });
    expect(captureRequest((encoder) => encoder.cancelOrder(1003, { manualOrderCancelTime: '20261123 10:00:00', extOperator: 'op', manualOrderIndicator: 1 }))).toEqual({
      kind: 'cancelOrder', orderId: 1003, manualOrderCancelTime: '20261123 10:00:00', extOperator: 'op', manualOrderIndicator: 1,
    });
    expect(captureRequest((encoder) => encoder.reqGlobalCancel({ manualOrderCancelTime: undefined, extOperator: '', manualOrderIndicator: undefined }))).toEqual({
      kind: 'reqGlobalCancel', extOperator: '', manualOrderIndicator: undefined,
    });
  });

  test('open, all open, auto open and completed orders; ids; managed accounts', () => {
    expect(captureRequest((encoder) => encoder.reqOpenOrders())).toEqual({ kind: 'reqOpenOrders' });
    expect(captureRequest((encoder) => encoder.reqAllOpenOrders())).toEqual({ kind: 'reqAllOpenOrders' });
    expect(captureRequest((encoder) => encoder.reqAutoOpenOrders(true))).toEqual({ kind: 'reqAutoOpenOrders', autoBind: true });
    expect(captureRequest((encoder) => encoder.reqCompletedOrders(true))).toEqual({ kind: 'reqCompletedOrders', apiOnly: true });
    expect(captureRequest((encoder) => encoder.reqCompletedOrders(false))).toEqual({ kind: 'reqCompletedOrders', apiOnly: false });
    expect(captureRequest((encoder) => encoder.reqIds(1))).toEqual({ kind: 'reqIds', numIds: 1 });
    expect(captureRequest((encoder) => encoder.reqManagedAccts())).toEqual({ kind: 'reqManagedAccts' });
  });

  test('reqExecutions with a filter', () => {
    // @stoqey/ib types ExecutionFilter.clientId as a string; on the wire it is the number either way.
    const filter = { clientId: '3', acctCode: ACCOUNT_ID, time: '20261123-09:30:00', symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', side: OrderAction.BUY };
    expect(captureRequest((encoder) => encoder.reqExecutions(51, filter))).toEqual({ kind: 'reqExecutions', reqId: 51, filter: { ...filter, clientId: 3 } });
    expect(captureRequest((encoder) => encoder.reqExecutions(52, {}))).toEqual({
      kind: 'reqExecutions', reqId: 52, filter: { clientId: undefined, acctCode: '', time: '', symbol: '', secType: '', exchange: '', side: '' },
    });
  });

  test('account data, positions, account summary', () => {
    expect(captureRequest((encoder) => encoder.reqAccountUpdates(true, ACCOUNT_ID))).toEqual({ kind: 'reqAccountData', subscribe: true, accountCode: ACCOUNT_ID });
    expect(captureRequest((encoder) => encoder.reqAccountUpdates(false, ACCOUNT_ID))).toEqual({ kind: 'reqAccountData', subscribe: false, accountCode: ACCOUNT_ID });
    expect(captureRequest((encoder) => encoder.reqPositions())).toEqual({ kind: 'reqPositions' });
    expect(captureRequest((encoder) => encoder.cancelPositions())).toEqual({ kind: 'cancelPositions' });
    expect(captureRequest((encoder) => encoder.reqAccountSummary(9001, 'All', 'NetLiquidation,BuyingPower,$LEDGER:USD'))).toEqual({
      kind: 'reqAccountSummary', reqId: 9001, group: 'All', tags: ['NetLiquidation', 'BuyingPower', '$LEDGER:USD'],
    });
    expect(captureRequest((encoder) => encoder.cancelAccountSummary(9001))).toEqual({ kind: 'cancelAccountSummary', reqId: 9001 });
  });

  test('PnL subscriptions', () => {
    expect(captureRequest((encoder) => encoder.reqPnL(61, ACCOUNT_ID, ''))).toEqual({ kind: 'reqPnl', reqId: 61, account: ACCOUNT_ID, modelCode: '' });
    expect(captureRequest((encoder) => encoder.cancelPnL(61))).toEqual({ kind: 'cancelPnl', reqId: 61 });
    expect(captureRequest((encoder) => encoder.reqPnLSingle(62, ACCOUNT_ID, '', 265598))).toEqual({ kind: 'reqPnlSingle', reqId: 62, account: ACCOUNT_ID, modelCode: '', conId: 265598 });
    expect(captureRequest((encoder) => encoder.cancelPnLSingle(62))).toEqual({ kind: 'cancelPnlSingle', reqId: 62 });
  });

  test('requests we do not implement come back as unsupported with their id', () => {
    expect(captureRequest((encoder) => encoder.reqMktDepth(5, STOCK, 10, false, []))).toEqual({ kind: 'unsupported', messageId: 10 });
    expect(captureRequest((encoder) => encoder.reqNewsBulletins(true))).toEqual({ kind: 'unsupported', messageId: 12 });
  });
});

describe('malformed input is a ProtocolError naming what was wrong', () => {
  const reqMktData = captureFields((encoder) => encoder.reqMktData(11, STOCK, '233', false, false));

  function reasonOf(fields: string[]): string {
    try {
      decodeClientMessage(fields);
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError);
      return (error as ProtocolError).reason;
    }
    throw new Error('expected a ProtocolError');
  }

  test('one field missing, one too many, a non-number, an empty id, nothing at all', () => {
    expect(reasonOf(reqMktData.slice(0, -1))).toBe('truncated-message');
    expect(reasonOf([...reqMktData, ''])).toBe('unexpected-fields');
    expect(reasonOf(reqMktData.map((field, index) => (index === 2 ? 'eleven' : field)))).toBe('malformed-field');
    expect(reasonOf(['', '1'])).toBe('malformed-field');
    expect(reasonOf([])).toBe('truncated-message');
    expect(reasonOf(['x'])).toBe('malformed-field');
  });

  test('a garbage count does not allocate or loop, a bad tag list and an unknown condition type are refused', () => {
    const bag = ['1', '11', '11', '', 'SPY', 'BAG', '', '', '', '', 'SMART', '', 'USD', '', '', '999999999'];
    expect(reasonOf(bag)).toBe('truncated-message');
    const historical = captureFields((encoder) => encoder.reqHistoricalData(31, STOCK, '', '1 D', BarSizeSetting.MINUTES_FIVE, WhatToShow.TRADES, 1, 1, false));
    expect(reasonOf([...historical.slice(0, -1), 'no-equals-sign;'])).toBe('malformed-field');
    const conditional = captureFields((encoder) =>
      encoder.placeOrder(1, STOCK, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1, conditions: [new TimeCondition('20261123 10:00:00', true, ConjunctionConnection.AND)] }),
    );
    const typeIndex = conditional.indexOf('20261123 10:00:00') - 3;
    expect(conditional[typeIndex]).toBe('3');
    expect(reasonOf(conditional.map((field, index) => (index === typeIndex ? '2' : field)))).toBe('malformed-field');
  });

  test('the error message says which message and field', () => {
    expect(() => decodeClientMessage(reqMktData.slice(0, 5))).toThrow(/REQ_MKT_DATA: field #5 \(contract\.secType\) missing/);
  });

  test('only version 193 layouts are implemented', () => {
    expect(() => decodeClientMessage(reqMktData, 176)).toThrow(ProtocolError);
  });
});
