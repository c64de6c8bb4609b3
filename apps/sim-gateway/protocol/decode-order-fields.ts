/**
 * The PLACE_ORDER sections after the main order fields (decode-place-order.ts has the overview),
 * each read in the order of @stoqey/ib encoder.js `placeOrder` at server version 193.
 */
import type { FieldCursor } from './field-cursor';

/** @stoqey/ib orderType.js `isPegBenchOrder` etc. accept the name with and without the space. */
export function isOrderType(orderType: string, spacedName: string): boolean {
  return orderType === spacedName || orderType === spacedName.replace(' ', '');
}

export function readExtendedFields(cursor: FieldCursor) {
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

export function readVolatilityFields(cursor: FieldCursor) {
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

export function readTrailAndScaleFields(cursor: FieldCursor) {
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

export function readRoutingFields(cursor: FieldCursor) {
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

export function readAlgoFields(cursor: FieldCursor) {
  const algoStrategy = cursor.string('algoStrategy');
  return {
    algoStrategy,
    algoParams: algoStrategy === '' ? [] : cursor.tagValuePairs('algoParams'),
    algoId: cursor.string('algoId'),
    whatIf: cursor.bool('whatIf'),
    orderMiscOptions: cursor.string('orderMiscOptions'),
    solicited: cursor.bool('solicited'),
    randomizeSize: cursor.bool('randomizeSize'),
    randomizePrice: cursor.bool('randomizePrice'),
  };
}

export function readPegBenchFields(cursor: FieldCursor) {
  return {
    referenceContractId: cursor.int('referenceContractId'),
    isPeggedChangeAmountDecrease: cursor.bool('isPeggedChangeAmountDecrease'),
    peggedChangeAmount: cursor.optionalDouble('peggedChangeAmount'),
    referenceChangeAmount: cursor.optionalDouble('referenceChangeAmount'),
    referenceExchangeId: cursor.string('referenceExchangeId'),
  };
}

export function readAdjustedFields(cursor: FieldCursor) {
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

export function readMiscFields(cursor: FieldCursor) {
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
export function readPegBestMidFields(cursor: FieldCursor, exchange: string, orderType: string) {
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
