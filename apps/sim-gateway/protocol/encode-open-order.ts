/**
 * OPEN_ORDER (5) at v193: 133 fields, one slot per read of decoder.js `decodeMsg_OPEN_ORDER`
 * (OrderDecoder with version = serverVersion = 193, since ORDER_CONTAINER (145) the message has
 * no version field). Slot comments name the OrderDecoder method; "!" marks a slot whose default
 * must stay as it is because a non-empty value makes the decoder read extra fields.
 *
 * The message does not carry `transmit`, the fill state (that is ORDER_STATUS) or `whyHeld`.
 */
import { defineFieldTemplate } from './field-template';
import { ServerMessageId } from './message-ids';
import type { ServerContract } from './server-contract';
import { commonOrderSlots, isPegBenchOrderType, orderContractSlots, PEG_BENCH_DEFAULT_FIELDS, ServerOrder } from './server-order';
import type { WireField } from './wire-format';

export const OPEN_ORDER_TEMPLATE = defineFieldTemplate('OPEN_ORDER', [
  ['messageId', ServerMessageId.OPEN_ORDER],
  ['orderId', 0], // readOrderId
  // readContractFields
  ['conId', 0],
  ['symbol', ''],
  ['secType', ''],
  ['lastTradeDateOrContractMonth', ''],
  ['strike', 0],
  ['right', ''],
  ['multiplier', ''], // +readStr(): "" -> 0
  ['exchange', ''],
  ['currency', ''],
  ['localSymbol', ''],
  ['tradingClass', ''],
  ['action', ''], // readAction
  ['totalQuantity', 0], // readTotalQuantity (readDecimal)
  ['orderType', ''], // readOrderType; "PEG BENCH" adds 5 fields before conditionCount
  ['lmtPrice', ''], // readLmtPrice: readDoubleOrUndefined
  ['auxPrice', ''], // readAuxPrice: readDoubleOrUndefined
  ['tif', 'DAY'], // readTIF
  ['ocaGroup', ''], // readOcaGroup
  ['account', ''], // readAccount
  ['openClose', ''], // readOpenClose
  ['origin', 0], // readOrigin: 0 = customer
  ['orderRef', ''], // readOrderRef
  ['clientId', 0], // readClientId
  ['permId', 0], // readPermId
  ['outsideRth', false], // readOutsideRth
  ['hidden', false], // readHidden
  ['discretionaryAmt', 0], // readDiscretionaryAmount
  ['goodAfterTime', ''], // readGoodAfterTime
  ['sharesAllocation', ''], // skipSharesAllocation (deprecated)
  ['faGroup', ''], // readFAParams (no faProfile: version >= FA_PROFILE_DESUPPORT 177)
  ['faMethod', ''],
  ['faPercentage', ''],
  ['modelCode', ''], // readModelCode
  ['goodTillDate', ''], // readGoodTillDate
  ['rule80A', ''], // readRule80A
  ['percentOffset', ''], // readPercentOffset
  ['settlingFirm', ''], // readSettlingFirm
  ['shortSaleSlot', 0], // readShortSaleParams
  ['designatedLocation', ''],
  ['exemptCode', -1],
  ['auctionStrategy', 0], // readAuctionStrategy
  ['startingPrice', ''], // readBoxOrderParams
  ['stockRefPrice', ''],
  ['delta', ''],
  ['stockRangeLower', ''], // readPegToStkOrVolOrderParams
  ['stockRangeUpper', ''],
  ['displaySize', ''], // readDisplaySize: readIntOrUndefined (readOldStyleOutsideRth reads nothing at v >= 18)
  ['blockOrder', false], // readBlockOrder
  ['sweepToFill', false], // readSweepToFill
  ['allOrNone', false], // readAllOrNone
  ['minQty', ''], // readMinQty: readIntOrUndefined
  ['ocaType', 0], // readOcaType
  ['eTradeOnly', false], // readETradeOnly
  ['firmQuoteOnly', false], // readFirmQuoteOnly
  ['nbboPriceCap', ''], // readNbboPriceCap
  ['parentId', 0], // readParentId
  ['triggerMethod', 0], // readTriggerMethod
  ['volatility', ''], // readVolOrderParams(true)
  ['volatilityType', 0],
  ['deltaNeutralOrderType', ''], // ! non-empty adds 8 delta-neutral fields
  ['deltaNeutralAuxPrice', ''],
  ['continuousUpdate', 0],
  ['referencePriceType', 0],
  ['trailStopPrice', ''], // readTrailParams (overwritten by trailStopPriceAgain below)
  ['trailingPercent', ''],
  ['basisPoints', ''], // readBasisPoints
  ['basisPointsType', ''],
  ['comboLegsDescription', ''], // readComboLegs
  ['comboLegCount', 0], // ! legs follow
  ['orderComboLegCount', 0], // ! prices follow
  ['smartComboRoutingParamCount', 0], // ! readSmartComboRoutingParams: pairs follow
  ['scaleInitLevelSize', ''], // readScaleOrderParams
  ['scaleSubsLevelSize', ''],
  ['scalePriceIncrement', ''], // ! > 0 adds 7 scale fields
  ['hedgeType', ''], // ! readHedgeParams: non-empty adds hedgeParam
  ['optOutSmartRouting', false], // readOptOutSmartRouting
  ['clearingAccount', ''], // readClearingParams
  ['clearingIntent', ''],
  ['notHeld', false], // readNotHeld
  ['hasDeltaNeutralContract', false], // ! readDeltaNeutral: true adds conId, delta, price
  ['algoStrategy', ''], // ! readAlgoParams: non-empty adds a count and pairs
  ['solicited', false], // readSolicited
  ['whatIf', false], // readWhatIfInfoAndCommission
  ['status', ''], //   readOrderStatus -> orderState.status
  ['initMarginBefore', ''], //   WHAT_IF_EXT_FIELDS (142): six margin fields, readDoubleOrUndefined
  ['maintMarginBefore', ''],
  ['equityWithLoanBefore', ''],
  ['initMarginChange', ''],
  ['maintMarginChange', ''],
  ['equityWithLoanChange', ''],
  ['initMarginAfter', ''],
  ['maintMarginAfter', ''],
  ['equityWithLoanAfter', ''],
  ['commission', ''],
  ['minCommission', ''],
  ['maxCommission', ''],
  ['commissionCurrency', ''],
  ['warningText', ''],
  ['randomizeSize', false], // readVolRandomizeFlags
  ['randomizePrice', false],
  ['conditionCount', 0], // ! readConditions: conditions + 2 flags follow
  ['adjustedOrderType', ''], // readAdjustedOrderParams
  ['triggerPrice', ''],
  ['trailStopPriceAgain', ''], //   readStopPriceAndLmtPriceOffset: order.trailStopPrice again, this read wins
  ['lmtPriceOffset', ''],
  ['adjustedStopPrice', ''],
  ['adjustedStopLimitPrice', ''],
  ['adjustedTrailingAmount', ''],
  ['adjustableTrailingUnit', 0],
  ['softDollarTierName', ''], // readSoftDollarTier
  ['softDollarTierValue', ''],
  ['softDollarTierDisplayName', ''],
  ['cashQty', ''], // readCashQty
  ['dontUseAutoPriceForHedge', false], // readDontUseAutoPriceForHedge
  ['isOmsContainer', false], // readIsOmsContainer
  ['discretionaryUpToLimitPrice', false], // readDiscretionaryUpToLimitPrice
  ['usePriceMgmtAlgo', false], // readUsePriceMgmtAlgo
  ['duration', ''], // readDuration (readInt: "" -> 0)
  ['postToAts', ''], // readPostToAts
  ['autoCancelParent', false], // readAutoCancelParent(AUTO_CANCEL_PARENT)
  ['minTradeQty', ''], // readPegBestPegMidOrderAttributes
  ['minCompeteSize', ''],
  ['competeAgainstBestOffset', ''],
  ['midOffsetAtWhole', ''],
  ['midOffsetAtHalf', ''],
  ['customerAccount', ''], // readCustomerAccount
  ['professionalCustomer', false], // readProfessionalCustomer
  ['bondAccruedInterest', ''], // readBondAccruedInterest
  ['includeOvernight', false], // readIncludeOvernight
  ['extOperator', ''], // readCMETaggingFields (CME_TAGGING_FIELDS_IN_OPEN_ORDER 193)
  ['manualOrderIndicator', ''],
]);

export interface OpenOrderInput {
  readonly orderId: number;
  readonly contract: ServerContract;
  readonly order: ServerOrder & {
    /** The API client that placed the order (0 for orders placed in TWS itself). */
    readonly clientId: number;
    /** Bracket children carry their parent's order id; 0 = no parent. */
    readonly parentId?: number;
    readonly whatIf?: boolean;
  };
  readonly orderState: {
    /** "PreSubmitted", "Submitted", "Filled", "Cancelled", "Inactive", ... */
    readonly status: string;
    readonly commission?: number;
    readonly minCommission?: number;
    readonly maxCommission?: number;
    readonly commissionCurrency?: string;
    readonly warningText?: string;
    readonly initMarginAfter?: number;
    readonly maintMarginAfter?: number;
    readonly equityWithLoanAfter?: number;
  };
}

export function openOrderFields(input: OpenOrderInput): WireField[] {
  const { order, orderState } = input;
  const fields = OPEN_ORDER_TEMPLATE.fill({
    orderId: input.orderId,
    ...orderContractSlots(input.contract),
    ...commonOrderSlots(order),
    clientId: order.clientId,
    parentId: order.parentId,
    whatIf: order.whatIf,
    status: orderState.status,
    commission: orderState.commission,
    minCommission: orderState.minCommission,
    maxCommission: orderState.maxCommission,
    commissionCurrency: orderState.commissionCurrency,
    warningText: orderState.warningText,
    initMarginAfter: orderState.initMarginAfter,
    maintMarginAfter: orderState.maintMarginAfter,
    equityWithLoanAfter: orderState.equityWithLoanAfter,
  });
  if (isPegBenchOrderType(order.orderType)) {
    fields.splice(OPEN_ORDER_TEMPLATE.indexOf('conditionCount'), 0, ...PEG_BENCH_DEFAULT_FIELDS);
  }
  return fields;
}

/** decodeMsg_OPEN_ORDER_END: version. Ends the answer to REQ_OPEN_ORDERS / REQ_ALL_OPEN_ORDERS. */
export function openOrderEndFields(): WireField[] {
  return [ServerMessageId.OPEN_ORDER_END, 1];
}
