/**
 * PLACE_ORDER as @stoqey/ib's own Encoder writes it at server version 193, decoded by
 * decodeClientMessage: every field must come back as the client set it.
 */
import {
  ConjunctionConnection,
  Contract,
  ExecutionCondition,
  MarginCondition,
  Order,
  OrderAction,
  OrderType,
  PercentChangeCondition,
  PriceCondition,
  SecType,
  TimeCondition,
  TriggerMethod,
  VolumeCondition,
} from '@stoqey/ib';
import type { ClientRequest, PlacedOrder } from '../../../../apps/sim-gateway/protocol/client-messages';
import { captureRequest, captureRequests } from './client-capture';
import { ACCOUNT_ID } from './fixtures';

const STOCK: Contract = { conId: 265598, symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', primaryExch: 'NASDAQ', currency: 'USD' };

function placed(request: ClientRequest): Extract<ClientRequest, { kind: 'placeOrder' }> {
  if (request.kind !== 'placeOrder') throw new Error(`expected placeOrder, got ${request.kind}`);
  return request;
}

function placeOne(order: Order, contract: Contract = STOCK) {
  return placed(captureRequest((encoder) => encoder.placeOrder(4242, contract, order)));
}

test('a bracket: parent and stop child held with transmit=false, the last child transmits', () => {
  const parent: Order = { action: OrderAction.BUY, orderType: OrderType.LMT, totalQuantity: 100, lmtPrice: 189.5, tif: 'DAY', account: ACCOUNT_ID, orderRef: 'claim-17', transmit: false };
  const stopLoss: Order = { action: OrderAction.SELL, orderType: OrderType.STP, totalQuantity: 100, auxPrice: 187.25, tif: 'GTC', parentId: 1001, orderRef: 'claim-17', transmit: false };
  const takeProfit: Order = { action: OrderAction.SELL, orderType: OrderType.LMT, totalQuantity: 100, lmtPrice: 193, tif: 'GTC', parentId: 1001, orderRef: 'claim-17', transmit: true };
  const requests = captureRequests((encoder) => {
    encoder.placeOrder(1001, STOCK, parent);
    encoder.placeOrder(1002, STOCK, stopLoss);
    encoder.placeOrder(1003, STOCK, takeProfit);
  }).map(placed);

  expect(requests.map((request) => request.orderId)).toEqual([1001, 1002, 1003]);
  expect(requests[0]!.contract).toMatchObject({ conId: 265598, symbol: 'AAPL', secType: 'STK', exchange: 'SMART', primaryExchange: 'NASDAQ', currency: 'USD' });
  expect(requests[0]!.order).toMatchObject({ action: 'BUY', orderType: 'LMT', totalQuantity: 100, lmtPrice: 189.5, tif: 'DAY', account: ACCOUNT_ID, orderRef: 'claim-17', transmit: false, parentId: 0 });
  expect(requests[0]!.order.auxPrice).toBeUndefined();
  expect(requests[1]!.order).toMatchObject({ action: 'SELL', orderType: 'STP', auxPrice: 187.25, tif: 'GTC', parentId: 1001, transmit: false });
  expect(requests[1]!.order.lmtPrice).toBeUndefined();
  expect(requests[2]!.order).toMatchObject({ orderType: 'LMT', lmtPrice: 193, parentId: 1001, transmit: true });
});

test('an omitted transmit reads as false, like a gateway keeping the order untransmitted', () => {
  expect(placeOne({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1 }).order.transmit).toBe(false);
});

test('OCA siblings carry ocaGroup and ocaType', () => {
  const { order } = placeOne({ action: OrderAction.SELL, orderType: OrderType.LMT, totalQuantity: 50, lmtPrice: 195, ocaGroup: 'oca-claim-17', ocaType: 1, transmit: true });
  expect(order).toMatchObject({ ocaGroup: 'oca-claim-17', ocaType: 1 });
});

test('TRAIL with trailingPercent and trailStopPrice; STP LMT with both prices; fractional quantity', () => {
  const trail = placeOne({ action: OrderAction.SELL, orderType: OrderType.TRAIL, totalQuantity: 100, trailingPercent: 2.5, trailStopPrice: 184.8, transmit: true });
  expect(trail.order).toMatchObject({ orderType: 'TRAIL', trailingPercent: 2.5, trailStopPrice: 184.8 });
  expect(trail.order.auxPrice).toBeUndefined();
  const stopLimit = placeOne({ action: OrderAction.BUY, orderType: OrderType.STP_LMT, totalQuantity: 0.5, lmtPrice: 190.15, auxPrice: 190, transmit: true });
  expect(stopLimit.order).toMatchObject({ orderType: 'STP LMT', totalQuantity: 0.5, lmtPrice: 190.15, auxPrice: 190 });
});

/** Every Order field the encoder sends at v193, set to distinctive values (booleans mixed so a swap shows). */
const KITCHEN_SINK: Order = {
  action: OrderAction.SELL, totalQuantity: 12.5, orderType: OrderType.LMT, lmtPrice: 101.25, auxPrice: 99.5, tif: 'GTC', ocaGroup: 'oca',
  account: ACCOUNT_ID, openClose: 'C', origin: 1, orderRef: 'claim-ünïcode ✓', transmit: true, parentId: 77, blockOrder: true, sweepToFill: false,
  displaySize: 10, triggerMethod: 2, outsideRth: true, hidden: true, discretionaryAmt: 0.05, goodAfterTime: '20261123 09:30:00',
  goodTillDate: '20261124 16:00:00', faGroup: 'group', faMethod: 'EqualQuantity', faPercentage: '10', modelCode: 'model', shortSaleSlot: 2,
  designatedLocation: 'loc', exemptCode: 3, ocaType: 2, rule80A: 'I', settlingFirm: 'firm', allOrNone: true, minQty: 5, percentOffset: 0.01,
  eTradeOnly: false, firmQuoteOnly: true, nbboPriceCap: 102, auctionStrategy: 1, startingPrice: 100.5, stockRefPrice: 100.25, delta: 0.5,
  stockRangeLower: 95, stockRangeUpper: 105, overridePercentageConstraints: true, volatility: 0.3, volatilityType: 2,
  deltaNeutralOrderType: 'LMT', deltaNeutralAuxPrice: 1.5, deltaNeutralConId: 12345, deltaNeutralSettlingFirm: 'dn-firm',
  deltaNeutralClearingAccount: 'dn-account', deltaNeutralClearingIntent: 'IB', deltaNeutralOpenClose: 'O', deltaNeutralShortSale: true,
  deltaNeutralShortSaleSlot: 1, deltaNeutralDesignatedLocation: 'dn-loc', referencePriceType: 2, trailStopPrice: 98, trailingPercent: 1.5,
  scaleInitLevelSize: 3, scaleSubsLevelSize: 2, scalePriceIncrement: 0.05, scalePriceAdjustValue: 0.01, scalePriceAdjustInterval: 60,
  scaleProfitOffset: 0.2, scaleAutoReset: true, scaleInitPosition: 1, scaleInitFillQty: 4, scaleRandomPercent: false, scaleTable: 'table',
  hedgeType: 'D', hedgeParam: '0.5', optOutSmartRouting: true, clearingAccount: 'clearing', clearingIntent: 'Away', notHeld: true,
  algoStrategy: 'Vwap', algoParams: [{ tag: 'maxPctVol', value: '0.1' }, { tag: 'noTakeLiq', value: '1' }], algoId: 'algo-1', whatIf: true,
  solicited: true, randomizeSize: true, randomizePrice: false,
  conditions: [
    new PriceCondition(185.5, TriggerMethod.Last, 265598, 'SMART', false, ConjunctionConnection.AND),
    new TimeCondition('20261123 10:00:00 US/Eastern', true, ConjunctionConnection.OR),
    new MarginCondition(30, false, ConjunctionConnection.AND),
    new ExecutionCondition('SMART', SecType.STK, 'MSFT', ConjunctionConnection.AND),
    new VolumeCondition(1_000_000, 265598, 'SMART', true, ConjunctionConnection.AND),
    new PercentChangeCondition(2.5, 265598, 'SMART', true, ConjunctionConnection.OR),
  ],
  conditionsIgnoreRth: true, conditionsCancelOrder: false, adjustedOrderType: 'STP', triggerPrice: 97, lmtPriceOffset: 0.1,
  adjustedStopPrice: 96, adjustedStopLimitPrice: 95.5, adjustedTrailingAmount: 0.5, adjustableTrailingUnit: 1, extOperator: 'operator',
  softDollarTier: { name: 'tier-name', value: 'tier-value' }, cashQty: 1000, mifid2DecisionMaker: 'maker', mifid2DecisionAlgo: 'd-algo',
  mifid2ExecutionTrader: 'trader', mifid2ExecutionAlgo: 'e-algo', dontUseAutoPriceForHedge: true, isOmsContainer: true,
  discretionaryUpToLimitPrice: false, usePriceMgmtAlgo: true, duration: 30, postToAts: 1, autoCancelParent: true,
  advancedErrorOverride: 'override', manualOrderTime: '20261123 09:29:59', customerAccount: 'customer', professionalCustomer: true,
  includeOvernight: true, manualOrderIndicator: 1, continuousUpdate: 1,
};

test('every field of a kitchen-sink order comes back as the client set it', () => {
  const { order } = placeOne(KITCHEN_SINK);
  const decoded = order as unknown as Record<string, unknown>;
  const sent = KITCHEN_SINK as unknown as Record<string, unknown>;
  const special = new Set(['conditions', 'softDollarTier', 'continuousUpdate']);
  for (const key of Object.keys(sent).filter((name) => !special.has(name))) {
    expect({ key, value: decoded[key] }).toEqual({ key, value: sent[key] });
  }
  expect(Object.keys(sent).filter((key) => !(key in decoded))).toEqual(['softDollarTier']);
  expect(order).toMatchObject({ softDollarTierName: 'tier-name', softDollarTierValue: 'tier-value', continuousUpdate: true });
  expect(order.conditions).toEqual([
    { kind: 'price', conjunction: 'a', isMore: false, price: 185.5, conId: 265598, exchange: 'SMART', triggerMethod: 2 },
    { kind: 'time', conjunction: 'o', isMore: true, time: '20261123 10:00:00 US/Eastern' },
    { kind: 'margin', conjunction: 'a', isMore: false, percent: 30 },
    { kind: 'execution', conjunction: 'a', secType: 'STK', exchange: 'SMART', symbol: 'MSFT' },
    { kind: 'volume', conjunction: 'a', isMore: true, volume: 1_000_000, conId: 265598, exchange: 'SMART' },
    { kind: 'percentChange', conjunction: 'o', isMore: true, changePercent: 2.5, conId: 265598, exchange: 'SMART' },
  ]);
});

test('a BAG order: combo legs, per-leg prices, smart routing params and a delta-neutral contract', () => {
  const combo: Contract = {
    symbol: 'AAPL', secType: SecType.BAG, exchange: 'SMART', currency: 'USD',
    comboLegs: [
      { conId: 111, ratio: 1, action: OrderAction.BUY, exchange: 'SMART', openClose: 0, shortSaleSlot: 0, designatedLocation: '', exemptCode: -1 },
      { conId: 222, ratio: 2, action: OrderAction.SELL, exchange: 'SMART', openClose: 0, shortSaleSlot: 0, designatedLocation: '', exemptCode: -1 },
    ],
    deltaNeutralContract: { conId: 333, delta: 0.25, price: 10.5 },
  };
  const { contract, order } = placeOne(
    { action: OrderAction.BUY, orderType: OrderType.LMT, totalQuantity: 1, lmtPrice: 0.5, transmit: true, orderComboLegs: [{ price: 1.25 }, { price: undefined }], smartComboRoutingParams: [{ tag: 'NonGuaranteed', value: '1' }] },
    combo,
  );
  expect(contract.comboLegs).toEqual(combo.comboLegs);
  expect(contract.deltaNeutralContract).toEqual({ conId: 333, delta: 0.25, price: 10.5 });
  expect(order.orderComboLegPrices).toEqual([1.25, undefined]);
  expect(order.smartComboRoutingParams).toEqual([{ tag: 'NonGuaranteed', value: '1' }]);
  expect(order.lmtPrice).toBe(0.5);
});

describe('pegged orders: the conditional blocks at the end of the message', () => {
  test('PEG BENCH sends its 5 reference fields', () => {
    const { order } = placeOne({ action: OrderAction.BUY, orderType: OrderType.PEG_BENCH, totalQuantity: 1, referenceContractId: 8314, isPeggedChangeAmountDecrease: true, peggedChangeAmount: 0.5, referenceChangeAmount: 0.25, referenceExchangeId: 'NYSE', transmit: true });
    expect(order).toMatchObject({ referenceContractId: 8314, isPeggedChangeAmountDecrease: true, peggedChangeAmount: 0.5, referenceChangeAmount: 0.25, referenceExchangeId: 'NYSE' });
  });

  test('PEG BEST on IBKRATS competing up to mid (Infinity) sends minTradeQty and both mid offsets', () => {
    const { order } = placeOne(
      { action: OrderAction.BUY, orderType: OrderType.PEG_BEST, totalQuantity: 100, minTradeQty: 10, minCompeteSize: 20, competeAgainstBestOffset: Infinity, midOffsetAtWhole: 0.01, midOffsetAtHalf: 0.005, transmit: true },
      { ...STOCK, exchange: 'IBKRATS' },
    );
    expect(order).toMatchObject({ minTradeQty: 10, minCompeteSize: 20, competeAgainstBestOffset: Infinity, midOffsetAtWhole: 0.01, midOffsetAtHalf: 0.005 });
  });

  test('PEG BEST with a finite offset sends no mid offsets; PEG MID sends only them', () => {
    const pegBest = placeOne({ action: OrderAction.BUY, orderType: OrderType.PEG_BEST, totalQuantity: 100, minCompeteSize: 20, competeAgainstBestOffset: 0.02, midOffsetAtWhole: 0.01, transmit: true });
    expect(pegBest.order).toMatchObject({ minCompeteSize: 20, competeAgainstBestOffset: 0.02 });
    expect('midOffsetAtWhole' in pegBest.order).toBe(false);
    const pegMid = placeOne({ action: OrderAction.BUY, orderType: OrderType.PEG_MID, totalQuantity: 100, midOffsetAtWhole: 0.01, midOffsetAtHalf: 0.005, transmit: true });
    expect(pegMid.order).toMatchObject({ midOffsetAtWhole: 0.01, midOffsetAtHalf: 0.005 });
    expect('minCompeteSize' in pegMid.order).toBe(false);
  });
});

test('client bug: orderMiscOptions (typed TagValue[]) is flattened raw, so two entries misalign the message', () => {
  const order = (options: Order['orderMiscOptions']): Order => ({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1, transmit: true, orderMiscOptions: options });
  expect(placeOne(order([{ tag: 'a', value: 'b' }])).order.orderMiscOptions).toBe('[object Object]');
  expect(() => captureRequest((encoder) => encoder.placeOrder(1, STOCK, order([{ tag: 'a', value: 'b' }, { tag: 'c', value: 'd' }])))).toThrow(
    /PLACE_ORDER: field #\d+ \(solicited\) should be a boolean/,
  );
});

test('the decoded order type lists every field in wire order (no field left undecoded)', () => {
  const { order } = placeOne({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1, transmit: true });
  const alwaysPresent: Array<keyof PlacedOrder> = ['action', 'transmit', 'parentId', 'ocaType', 'trailStopPrice', 'trailingPercent', 'conditions', 'manualOrderIndicator'];
  for (const key of alwaysPresent) expect(key in order).toBe(true);
});
