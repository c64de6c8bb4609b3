/**
 * PLACE_ORDER (3) at server version 193, field by field in the order of @stoqey/ib encoder.js
 * `placeOrder`. No version field (omitted from ORDER_CONTAINER = 145 on). Conditional blocks and
 * the condition the encoder uses to send them:
 *
 * - combo legs, order combo leg prices, smart combo routing params: contract secType BAG;
 * - 8 delta-neutral fields: deltaNeutralOrderType non-empty;
 * - 7 scale fields: scalePriceIncrement set;
 * - hedgeParam: hedgeType non-empty; algo params: algoStrategy non-empty;
 * - 5 pegged-to-benchmark fields: orderType "PEG BENCH"/"PEGBENCH";
 * - conditionsIgnoreRth/CancelOrder: at least one condition;
 * - minTradeQty: exchange IBKRATS; minCompeteSize + competeAgainstBestOffset: PEG BEST;
 *   midOffsetAtWhole/Half: PEG MID, or PEG BEST with competeAgainstBestOffset = Infinity.
 *
 * Not sent at 193: faProfile (dropped at FA_PROFILE_DESUPPORT 177), the RFQ fields (only
 * 187 <= v < 190).
 */
import type { ClientContract, ClientOrderComboLeg, PlacedOrder } from './client-order-types';
import type { ClientRequest } from './client-request-types';
import { isBagContract, readContractBase, readDeltaNeutralContract } from './decode-contract';
import { readOrderConditions } from './decode-order-conditions';
import type { FieldCursor, TagValue } from './field-cursor';

export type PlaceOrderRequest = Extract<ClientRequest, { kind: 'placeOrder' }>;

/** The cursor starts after the message id; the caller checks that nothing is left over. */
export function decodePlaceOrder(cursor: FieldCursor): PlaceOrderRequest {
  const orderId = cursor.int('orderId');
  const baseContract = readContractBase(cursor);
  const secIdType = cursor.string('contract.secIdType');
  const secId = cursor.string('contract.secId');
  const main = readMainFields(cursor);
  const bag = isBagContract(baseContract) ? readBagFields(cursor) : undefined;
  cursor.string('sharesAllocation'); // deprecated, always "" (encoder.js: "send deprecated sharesAllocation field")
  const extended = readExtendedFields(cursor);
  const volatility = readVolatilityFields(cursor);
  const trailAndScale = readTrailAndScaleFields(cursor);
  const routing = readRoutingFields(cursor);
  const deltaNeutralContract = readDeltaNeutralContract(cursor);
  const algo = readAlgoFields(cursor);
  const pegBench = isOrderType(main.orderType, 'PEG BENCH') ? readPegBenchFields(cursor) : {};
  const conditions = readOrderConditions(cursor);
  const adjusted = readAdjustedFields(cursor);
  const misc = readMiscFields(cursor);
  const pegBestMid = readPegBestMidFields(cursor, baseContract.exchange, main.orderType);
  const tail = {
    customerAccount: cursor.string('customerAccount'),
    professionalCustomer: cursor.bool('professionalCustomer'),
    includeOvernight: cursor.bool('includeOvernight'),
    manualOrderIndicator: cursor.optionalInt('manualOrderIndicator'),
  };

  const contract: ClientContract = {
    ...baseContract,
    secIdType,
    secId,
    ...(bag ? { comboLegs: bag.comboLegs } : {}),
    ...(deltaNeutralContract ? { deltaNeutralContract } : {}),
  };
  const order: PlacedOrder = {
    ...main,
    orderComboLegPrices: bag?.orderComboLegPrices ?? [],
    smartComboRoutingParams: bag?.smartComboRoutingParams ?? [],
    ...extended,
    ...volatility,
    ...trailAndScale,
    ...routing,
    ...algo,
    ...pegBench,
    ...conditions,
    ...adjusted,
    ...misc,
    ...pegBestMid,
    ...tail,
  };
  return { kind: 'placeOrder', orderId, contract, order };
}

/** @stoqey/ib orderType.js `isPegBenchOrder` etc. accept the name with and without the space. */
function isOrderType(orderType: string, spacedName: string): boolean {
  return orderType === spacedName || orderType === spacedName.replace(' ', '');
}

function readMainFields(cursor: FieldCursor) {
  return {
    action: cursor.string('action'),
    totalQuantity: cursor.optionalDouble('totalQuantity'),
    orderType: cursor.string('orderType'),
    lmtPrice: cursor.optionalDouble('lmtPrice'),
    auxPrice: cursor.optionalDouble('auxPrice'),
    tif: cursor.string('tif'),
    ocaGroup: cursor.string('ocaGroup'),
    account: cursor.string('account'),
    openClose: cursor.string('openClose'),
    origin: cursor.optionalInt('origin'),
    orderRef: cursor.string('orderRef'),
    transmit: cursor.bool('transmit'),
    parentId: cursor.int('parentId'),
    blockOrder: cursor.bool('blockOrder'),
    sweepToFill: cursor.bool('sweepToFill'),
    displaySize: cursor.optionalInt('displaySize'),
    triggerMethod: cursor.optionalInt('triggerMethod'),
    outsideRth: cursor.bool('outsideRth'),
    hidden: cursor.bool('hidden'),
  };
}

function readBagFields(cursor: FieldCursor) {
  const legCount = cursor.count('comboLegs.count', 8);
  const comboLegs: ClientOrderComboLeg[] = [];
  for (let index = 0; index < legCount; index += 1) {
    const leg = `comboLegs[${index}]`;
    comboLegs.push({
      conId: cursor.int(`${leg}.conId`),
      ratio: cursor.int(`${leg}.ratio`),
      action: cursor.string(`${leg}.action`),
      exchange: cursor.string(`${leg}.exchange`),
      openClose: cursor.int(`${leg}.openClose`),
      shortSaleSlot: cursor.int(`${leg}.shortSaleSlot`),
      designatedLocation: cursor.string(`${leg}.designatedLocation`),
      exemptCode: cursor.int(`${leg}.exemptCode`),
    });
  }
  const priceCount = cursor.count('orderComboLegs.count', 1);
  const orderComboLegPrices: Array<number | undefined> = [];
  for (let index = 0; index < priceCount; index += 1) {
    orderComboLegPrices.push(cursor.optionalDouble(`orderComboLegs[${index}].price`));
  }
  return { comboLegs, orderComboLegPrices, smartComboRoutingParams: readTagValuePairs(cursor, 'smartComboRoutingParams') };
}

/** A count, then tag and value as two separate fields per pair. */
function readTagValuePairs(cursor: FieldCursor, name: string): TagValue[] {
  const pairCount = cursor.count(`${name}.count`, 2);
  const pairs: TagValue[] = [];
  for (let index = 0; index < pairCount; index += 1) {
    pairs.push({ tag: cursor.string(`${name}[${index}].tag`), value: cursor.string(`${name}[${index}].value`) });
  }
  return pairs;
}

function readExtendedFields(cursor: FieldCursor) {
  return {
    discretionaryAmt: cursor.optionalDouble('discretionaryAmt'),
    goodAfterTime: cursor.string('goodAfterTime'),
    goodTillDate: cursor.string('goodTillDate'),
    faGroup: cursor.string('faGroup'),
    faMethod: cursor.string('faMethod'),
    faPercentage: cursor.string('faPercentage'),
    modelCode: cursor.string('modelCode'),
    shortSaleSlot: cursor.optionalInt('shortSaleSlot'),
    designatedLocation: cursor.string('designatedLocation'),
    exemptCode: cursor.optionalInt('exemptCode'),
    ocaType: cursor.optionalInt('ocaType'),
    rule80A: cursor.string('rule80A'),
    settlingFirm: cursor.string('settlingFirm'),
    allOrNone: cursor.bool('allOrNone'),
    minQty: cursor.optionalInt('minQty'),
    percentOffset: cursor.optionalDouble('percentOffset'),
    eTradeOnly: cursor.bool('eTradeOnly'),
    firmQuoteOnly: cursor.bool('firmQuoteOnly'),
    nbboPriceCap: cursor.optionalDouble('nbboPriceCap'),
    auctionStrategy: cursor.optionalInt('auctionStrategy'),
    startingPrice: cursor.optionalDouble('startingPrice'),
    stockRefPrice: cursor.optionalDouble('stockRefPrice'),
    delta: cursor.optionalDouble('delta'),
    stockRangeLower: cursor.optionalDouble('stockRangeLower'),
    stockRangeUpper: cursor.optionalDouble('stockRangeUpper'),
    overridePercentageConstraints: cursor.bool('overridePercentageConstraints'),
  };
}

function readVolatilityFields(cursor: FieldCursor) {
  const head = {
    volatility: cursor.optionalDouble('volatility'),
    volatilityType: cursor.optionalInt('volatilityType'),
    deltaNeutralOrderType: cursor.string('deltaNeutralOrderType'),
    deltaNeutralAuxPrice: cursor.optionalDouble('deltaNeutralAuxPrice'),
  };
  // encoder.js: DELTA_NEUTRAL_CONID and DELTA_NEUTRAL_OPEN_CLOSE blocks, both `!!order.deltaNeutralOrderType`.
  const deltaNeutral =
    head.deltaNeutralOrderType === ''
      ? {}
      : {
          deltaNeutralConId: cursor.int('deltaNeutralConId'),
          deltaNeutralSettlingFirm: cursor.string('deltaNeutralSettlingFirm'),
          deltaNeutralClearingAccount: cursor.string('deltaNeutralClearingAccount'),
          deltaNeutralClearingIntent: cursor.string('deltaNeutralClearingIntent'),
          deltaNeutralOpenClose: cursor.string('deltaNeutralOpenClose'),
          deltaNeutralShortSale: cursor.bool('deltaNeutralShortSale'),
          deltaNeutralShortSaleSlot: cursor.int('deltaNeutralShortSaleSlot'),
          deltaNeutralDesignatedLocation: cursor.string('deltaNeutralDesignatedLocation'),
        };
  return {
    ...head,
    ...deltaNeutral,
    continuousUpdate: cursor.bool('continuousUpdate'),
    referencePriceType: cursor.optionalInt('referencePriceType'),
  };
}

function readTrailAndScaleFields(cursor: FieldCursor) {
  const head = {
    trailStopPrice: cursor.optionalDouble('trailStopPrice'),
    trailingPercent: cursor.optionalDouble('trailingPercent'),
    scaleInitLevelSize: cursor.optionalInt('scaleInitLevelSize'),
    scaleSubsLevelSize: cursor.optionalInt('scaleSubsLevelSize'),
    scalePriceIncrement: cursor.optionalDouble('scalePriceIncrement'),
  };
  // encoder.js sends these when `order.scalePriceIncrement !== undefined`, i.e. when the field
  // above is non-empty (nullifyMax turns Double.MAX_VALUE into "" but still sends the block: a
  // client bug we cannot see on the wire and do not model).
  const scale =
    head.scalePriceIncrement === undefined
      ? {}
      : {
          scalePriceAdjustValue: cursor.optionalDouble('scalePriceAdjustValue'),
          scalePriceAdjustInterval: cursor.optionalInt('scalePriceAdjustInterval'),
          scaleProfitOffset: cursor.optionalDouble('scaleProfitOffset'),
          scaleAutoReset: cursor.bool('scaleAutoReset'),
          scaleInitPosition: cursor.optionalInt('scaleInitPosition'),
          scaleInitFillQty: cursor.optionalInt('scaleInitFillQty'),
          scaleRandomPercent: cursor.bool('scaleRandomPercent'),
        };
  return {
    ...head,
    ...scale,
    scaleTable: cursor.string('scaleTable'),
    activeStartTime: cursor.string('activeStartTime'),
    activeStopTime: cursor.string('activeStopTime'),
  };
}

function readRoutingFields(cursor: FieldCursor) {
  const hedgeType = cursor.string('hedgeType');
  return {
    hedgeType,
    ...(hedgeType === '' ? {} : { hedgeParam: cursor.string('hedgeParam') }),
    optOutSmartRouting: cursor.bool('optOutSmartRouting'),
    clearingAccount: cursor.string('clearingAccount'),
    clearingIntent: cursor.string('clearingIntent'),
    notHeld: cursor.bool('notHeld'),
  };
}

function readAlgoFields(cursor: FieldCursor) {
  const algoStrategy = cursor.string('algoStrategy');
  return {
    algoStrategy,
    algoParams: algoStrategy === '' ? [] : readTagValuePairs(cursor, 'algoParams'),
    algoId: cursor.string('algoId'),
    whatIf: cursor.bool('whatIf'),
    orderMiscOptions: cursor.string('orderMiscOptions'),
    solicited: cursor.bool('solicited'),
    randomizeSize: cursor.bool('randomizeSize'),
    randomizePrice: cursor.bool('randomizePrice'),
  };
}

function readPegBenchFields(cursor: FieldCursor) {
  return {
    referenceContractId: cursor.int('referenceContractId'),
    isPeggedChangeAmountDecrease: cursor.bool('isPeggedChangeAmountDecrease'),
    peggedChangeAmount: cursor.optionalDouble('peggedChangeAmount'),
    referenceChangeAmount: cursor.optionalDouble('referenceChangeAmount'),
    referenceExchangeId: cursor.string('referenceExchangeId'),
  };
}

function readAdjustedFields(cursor: FieldCursor) {
  return {
    adjustedOrderType: cursor.string('adjustedOrderType'),
    triggerPrice: cursor.optionalDouble('triggerPrice'),
    lmtPriceOffset: cursor.optionalDouble('lmtPriceOffset'),
    adjustedStopPrice: cursor.optionalDouble('adjustedStopPrice'),
    adjustedStopLimitPrice: cursor.optionalDouble('adjustedStopLimitPrice'),
    adjustedTrailingAmount: cursor.optionalDouble('adjustedTrailingAmount'),
    adjustableTrailingUnit: cursor.optionalInt('adjustableTrailingUnit'),
  };
}

function readMiscFields(cursor: FieldCursor) {
  return {
    extOperator: cursor.string('extOperator'),
    softDollarTierName: cursor.string('softDollarTier.name'),
    softDollarTierValue: cursor.string('softDollarTier.value'),
    cashQty: cursor.optionalDouble('cashQty'),
    mifid2DecisionMaker: cursor.string('mifid2DecisionMaker'),
    mifid2DecisionAlgo: cursor.string('mifid2DecisionAlgo'),
    mifid2ExecutionTrader: cursor.string('mifid2ExecutionTrader'),
    mifid2ExecutionAlgo: cursor.string('mifid2ExecutionAlgo'),
    dontUseAutoPriceForHedge: cursor.bool('dontUseAutoPriceForHedge'),
    isOmsContainer: cursor.bool('isOmsContainer'),
    discretionaryUpToLimitPrice: cursor.bool('discretionaryUpToLimitPrice'),
    usePriceMgmtAlgo: cursor.bool('usePriceMgmtAlgo'),
    duration: cursor.optionalInt('duration'),
    postToAts: cursor.optionalInt('postToAts'),
    autoCancelParent: cursor.bool('autoCancelParent'),
    advancedErrorOverride: cursor.string('advancedErrorOverride'),
    manualOrderTime: cursor.string('manualOrderTime'),
  };
}

/** encoder.js PEGBEST_PEGMID_OFFSETS block. */
function readPegBestMidFields(cursor: FieldCursor, exchange: string, orderType: string) {
  const minTradeQty = exchange === 'IBKRATS' ? { minTradeQty: cursor.optionalInt('minTradeQty') } : {};
  let pegBest = {};
  let sendsMidOffsets = isOrderType(orderType, 'PEG MID');
  if (isOrderType(orderType, 'PEG BEST')) {
    const minCompeteSize = cursor.optionalInt('minCompeteSize');
    const competeAgainstBestOffset = cursor.optionalDouble('competeAgainstBestOffset');
    pegBest = { minCompeteSize, competeAgainstBestOffset };
    // order.js COMPETE_AGAINST_BEST_OFFSET_UP_TO_MID is Infinity, sent as "Infinity".
    sendsMidOffsets = competeAgainstBestOffset === Infinity;
  }
  const midOffsets = sendsMidOffsets
    ? { midOffsetAtWhole: cursor.optionalDouble('midOffsetAtWhole'), midOffsetAtHalf: cursor.optionalDouble('midOffsetAtHalf') }
    : {};
  return { ...minTradeQty, ...pegBest, ...midOffsets };
}
