/**
 * Account, position, P&L, contract, historical and scanner messages decoded by @stoqey/ib's own
 * Decoder at server version 193.
 */
import {
  accountDownloadEndFields,
  accountSummaryEndFields,
  accountSummaryFields,
  accountUpdateTimeFields,
  accountValueFields,
  CONTRACT_DATA_TEMPLATE,
  contractDataEndFields,
  contractDataFields,
  HistoricalBar,
  historicalDataFields,
  historicalDataUpdateFields,
  pnlFields,
  pnlSingleFields,
  portfolioValueFields,
  positionEndFields,
  positionFields,
  scannerDataFields,
  scannerParametersFields,
} from '../../../../apps/sim-gateway/protocol/server-messages';
import { AAPL, AAPL_AS_DECODED, ACCOUNT_ID } from './fixtures';
import { decodeWithClient, decodingErrorsFor, expectExactLayout } from './ib-client-harness';

describe('account and portfolio', () => {
  test('ACCT_VALUE, ACCT_UPDATE_TIME, ACCT_DOWNLOAD_END', () => {
    const value = accountValueFields('NetLiquidation', '100000.00', 'USD', ACCOUNT_ID);
    for (const fields of [value, accountUpdateTimeFields('09:31'), accountDownloadEndFields(ACCOUNT_ID)]) expectExactLayout(fields);
    expect(decodeWithClient(value)).toEqual([{ name: 'updateAccountValue', args: ['NetLiquidation', '100000.00', 'USD', ACCOUNT_ID] }]);
    expect(decodeWithClient(accountUpdateTimeFields('09:31'))).toEqual([{ name: 'updateAccountTime', args: ['09:31'] }]);
    expect(decodeWithClient(accountDownloadEndFields(ACCOUNT_ID))).toEqual([{ name: 'accountDownloadEnd', args: [ACCOUNT_ID] }]);
  });

  test('PORTFOLIO_VALUE (version 8, 20 fields): contract with primaryExch, then position and P&L', () => {
    const fields = portfolioValueFields({
      contract: AAPL, position: -50, marketPrice: 190.02, marketValue: -9501, averageCost: 189.9, unrealizedPnl: -6, realizedPnl: 12.5, accountName: ACCOUNT_ID,
    });
    expect(fields).toHaveLength(20);
    expectExactLayout(fields);
    const events = decodeWithClient(fields);
    expect(events).toHaveLength(1);
    expect(events[0]!.name).toBe('updatePortfolio');
    const [contract, ...rest] = events[0]!.args;
    expect(contract).toEqual({
      conId: 265598, symbol: 'AAPL', secType: 'STK', lastTradeDateOrContractMonth: '', strike: 0, right: undefined, multiplier: 0,
      primaryExch: 'NASDAQ', currency: 'USD', localSymbol: 'AAPL', tradingClass: 'NMS',
    });
    expect(rest).toEqual([-50, 190.02, -9501, 189.9, -6, 12.5, ACCOUNT_ID]);
  });

  test('POSITION (version 3, 16 fields) and POSITION_END', () => {
    const fields = positionFields({ account: ACCOUNT_ID, contract: AAPL, position: 100, averageCost: 189.47 });
    expect(fields).toHaveLength(16);
    expectExactLayout(fields);
    expectExactLayout(positionEndFields());
    const events = decodeWithClient(fields);
    expect(events).toEqual([{ name: 'position', args: [ACCOUNT_ID, expect.objectContaining(AAPL_AS_DECODED), 100, 189.47] }]);
    expect(decodeWithClient(positionEndFields())).toEqual([{ name: 'positionEnd', args: [] }]);
  });

  test('ACCOUNT_SUMMARY and ACCOUNT_SUMMARY_END', () => {
    const fields = accountSummaryFields(9001, ACCOUNT_ID, 'BuyingPower', '400000.00', 'USD');
    expectExactLayout(fields);
    expectExactLayout(accountSummaryEndFields(9001));
    expect(decodeWithClient(fields)).toEqual([{ name: 'accountSummary', args: [9001, ACCOUNT_ID, 'BuyingPower', '400000.00', 'USD'] }]);
    expect(decodeWithClient(accountSummaryEndFields(9001))).toEqual([{ name: 'accountSummaryEnd', args: [9001] }]);
  });

  test('PNL and PNL_SINGLE: unset values arrive as undefined, not 0', () => {
    expectExactLayout(pnlFields({ reqId: 5, dailyPnl: 10 }));
    expect(decodeWithClient(pnlFields({ reqId: 5, dailyPnl: 10.25, unrealizedPnl: -3 }))).toEqual([{ name: 'pnl', args: [5, 10.25, -3, undefined] }]);
    const single = pnlSingleFields({ reqId: 6, position: 100, dailyPnl: 1, unrealizedPnl: 2, realizedPnl: 0, value: 18947 });
    expectExactLayout(single);
    expect(decodeWithClient(single)).toEqual([{ name: 'pnlSingle', args: [6, 100, 1, 2, 0, 18947] }]);
  });
});

describe('CONTRACT_DATA', () => {
  const details = {
    reqId: 77,
    contract: AAPL,
    marketName: 'NMS',
    longName: 'APPLE INC – Ünïcode',
    minTick: 0.01,
    orderTypes: 'LMT,MKT,STP,STP LMT,TRAIL',
    validExchanges: 'SMART,NASDAQ,ARCA',
    industry: 'Technology',
    category: 'Computers',
    subcategory: 'Computers',
    timeZoneId: 'US/Eastern',
    tradingHours: '20261123:0400-20261123:2000;20261124:0400-20261124:2000',
    liquidHours: '20261123:0930-20261123:1600;20261124:0930-20261124:1600',
    stockType: 'COMMON',
  };

  test('has the 42 fields decodeMsg_CONTRACT_DATA reads, every one of them', () => {
    const fields = contractDataFields(details);
    expect(CONTRACT_DATA_TEMPLATE.fieldCount).toBe(42);
    expect(fields).toHaveLength(42);
    expectExactLayout(fields);
    for (let index = 1; index < fields.length; index += 1) {
      expect({ index, errors: decodingErrorsFor([...fields.slice(0, index), ...fields.slice(index + 1)]).length }).toEqual({ index, errors: 1 });
    }
  });

  test('arrives as contractDetails(reqId, details) with contract, hours and names', () => {
    const events = decodeWithClient(contractDataFields(details));
    expect(events.map((event) => event.name)).toEqual(['contractDetails']);
    const [reqId, decoded] = events[0]!.args as [number, Record<string, unknown>];
    expect(reqId).toBe(77);
    expect(decoded.contract).toEqual({ ...AAPL_AS_DECODED, primaryExch: 'NASDAQ', lastTradeDate: '', strike: 0, right: undefined, multiplier: 0 });
    expect(decoded).toMatchObject({
      marketName: 'NMS', longName: 'APPLE INC – Ünïcode', minTick: 0.01, orderTypes: details.orderTypes, validExchanges: details.validExchanges,
      industry: 'Technology', timeZoneId: 'US/Eastern', tradingHours: details.tradingHours, liquidHours: details.liquidHours, stockType: 'COMMON',
      minSize: 1, sizeIncrement: 1, suggestedSizeIncrement: 1, ineligibilityReasonList: [],
    });
  });

  test('a FUND gets the 17 fund fields; CONTRACT_DATA_END', () => {
    expectExactLayout(contractDataFields({ reqId: 1, contract: { ...AAPL, secType: 'FUND' } }));
    expectExactLayout(contractDataEndFields(77));
    expect(decodeWithClient(contractDataEndFields(77))).toEqual([{ name: 'contractDetailsEnd', args: [77] }]);
  });
});

describe('historical data', () => {
  const bars: HistoricalBar[] = [
    { time: '20261123 09:30:00 US/Eastern', open: 189.5, high: 190.1, low: 189.2, close: 189.9, volume: 120000, wap: 189.7, tradeCount: 950 },
    { time: '20261123 09:35:00 US/Eastern', open: 189.9, high: 190.4, low: 189.8, close: 190.3, volume: 80000, wap: 190.1, tradeCount: 610 },
  ];

  test('HISTORICAL_DATA: all bars in one message, the client emits the "finished" marker itself', () => {
    const fields = historicalDataFields({ reqId: 31, startDateTime: '20261123 09:30:00', endDateTime: '20261123 09:40:00', bars });
    expect(fields).toHaveLength(5 + 8 * bars.length);
    expectExactLayout(fields);
    expect(decodeWithClient(fields)).toEqual([
      { name: 'historicalData', args: [31, bars[0]!.time, 189.5, 190.1, 189.2, 189.9, 120000, 950, 189.7, undefined] },
      { name: 'historicalData', args: [31, bars[1]!.time, 189.9, 190.4, 189.8, 190.3, 80000, 610, 190.1, undefined] },
      { name: 'historicalData', args: [31, 'finished-20261123 09:30:00-20261123 09:40:00', -1, -1, -1, -1, -1, -1, -1, false] },
    ]);
  });

  test('HISTORICAL_DATA with no bars still ends the request', () => {
    expect(decodeWithClient(historicalDataFields({ reqId: 32, startDateTime: 'a', endDateTime: 'b', bars: [] }))).toEqual([
      { name: 'historicalData', args: [32, 'finished-a-b', -1, -1, -1, -1, -1, -1, -1, false] },
    ]);
  });

  test('HISTORICAL_DATA_UPDATE (open, close, high, low, WAP, volume on the wire) arrives in bar order', () => {
    const fields = historicalDataUpdateFields(31, bars[1]!);
    expectExactLayout(fields);
    expect(decodeWithClient(fields)).toEqual([
      { name: 'historicalDataUpdate', args: [31, bars[1]!.time, 189.9, 190.4, 189.8, 190.3, 80000, 610, 190.1] },
    ]);
  });
});

describe('scanner', () => {
  test('SCANNER_DATA: one scannerData per row, then scannerDataEnd', () => {
    const rows = [
      { rank: 0, contract: AAPL, marketName: 'NMS', distance: '1.5' },
      { rank: 1, contract: { ...AAPL, conId: 272093, symbol: 'MSFT', localSymbol: 'MSFT' } },
    ];
    const fields = scannerDataFields(41, rows);
    expect(fields).toHaveLength(4 + 16 * rows.length);
    expectExactLayout(fields);
    const events = decodeWithClient(fields);
    expect(events.map((event) => event.name)).toEqual(['scannerData', 'scannerData', 'scannerDataEnd']);
    expect(events[0]!.args).toEqual([41, 0, { contract: { ...AAPL_AS_DECODED, strike: 0, right: undefined }, marketName: 'NMS' }, '1.5', '', '', '']);
    expect(events[1]!.args).toEqual([41, 1, expect.objectContaining({ contract: expect.objectContaining({ symbol: 'MSFT', conId: 272093 }) }), '', '', '', '']);
    expect(events[2]!.args).toEqual([41]);
  });

  test('SCANNER_PARAMETERS', () => {
    const xml = '<?xml version="1.0"?><ScanParameterResponse/>';
    expectExactLayout(scannerParametersFields(xml));
    expect(decodeWithClient(scannerParametersFields(xml))).toEqual([{ name: 'scannerParameters', args: [xml] }]);
  });
});
