/**
 * COMPLETED_ORDER (101) at v193: 98 fields, one slot per read of decoder.js
 * `decodeMsg_COMPLETED_ORDER` (OrderDecoder with version = Number.MAX_VALUE). Unlike OPEN_ORDER
 * it has no order id, client id or parent id, and carries the final status, fill quantity and
 * completion time instead. "!" marks slots whose default must stay (see encode-open-order.ts).
 */
import { defineFieldTemplate } from './field-template';
import { ServerMessageId } from './message-ids';
import type { ServerContract } from './server-contract';
import { commonOrderSlots, isPegBenchOrderType, orderContractSlots, PEG_BENCH_DEFAULT_FIELDS, ServerOrder } from './server-order';
import type { WireField } from './wire-format';

export const COMPLETED_ORDER_TEMPLATE = defineFieldTemplate('COMPLETED_ORDER', [
  ['messageId', ServerMessageId.COMPLETED_ORDER],
  // readContractFields
  ['conId', 0],
  ['symbol', ''],
  ['secType', ''],
  ['lastTradeDateOrContractMonth', ''],
  ['strike', 0],
  ['right', ''],
  ['multiplier', ''],
  ['exchange', ''],
  ['currency', ''],
  ['localSymbol', ''],
  ['tradingClass', ''],
  ['action', ''], // readAction
  ['totalQuantity', 0], // readTotalQuantity
  ['orderType', ''], // readOrderType; "PEG BENCH" adds 5 fields before conditionCount
  ['lmtPrice', ''], // readLmtPrice
  ['auxPrice', ''], // readAuxPrice
  ['tif', 'DAY'], // readTIF
  ['ocaGroup', ''], // readOcaGroup
  ['account', ''], // readAccount
  ['openClose', ''], // readOpenClose
  ['origin', 0], // readOrigin
  ['orderRef', ''], // readOrderRef
  ['permId', 0], // readPermId
  ['outsideRth', false], // readOutsideRth
  ['hidden', false], // readHidden
  ['discretionaryAmt', 0], // readDiscretionaryAmount
  ['goodAfterTime', ''], // readGoodAfterTime
  ['faGroup', ''], // readFAParams
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
  ['startingPrice', ''], // readBoxOrderParams
  ['stockRefPrice', ''],
  ['delta', ''],
  ['stockRangeLower', ''], // readPegToStkOrVolOrderParams
  ['stockRangeUpper', ''],
  ['displaySize', ''], // readDisplaySize
  ['sweepToFill', false], // readSweepToFill
  ['allOrNone', false], // readAllOrNone
  ['minQty', ''], // readMinQty
  ['ocaType', 0], // readOcaType
  ['triggerMethod', 0], // readTriggerMethod
  ['volatility', ''], // readVolOrderParams(false)
  ['volatilityType', 0],
  ['deltaNeutralOrderType', ''], // ! non-empty adds 4 delta-neutral fields (readOpenOrderAttribs = false)
  ['deltaNeutralAuxPrice', ''],
  ['continuousUpdate', 0],
  ['referencePriceType', 0],
  ['trailStopPrice', ''], // readTrailParams
  ['trailingPercent', ''],
  ['comboLegsDescription', ''], // readComboLegs
  ['comboLegCount', 0], // !
  ['orderComboLegCount', 0], // !
  ['smartComboRoutingParamCount', 0], // ! readSmartComboRoutingParams
  ['scaleInitLevelSize', ''], // readScaleOrderParams
  ['scaleSubsLevelSize', ''],
  ['scalePriceIncrement', ''], // ! > 0 adds 7 scale fields
  ['hedgeType', ''], // ! readHedgeParams
  ['clearingAccount', ''], // readClearingParams
  ['clearingIntent', ''],
  ['notHeld', false], // readNotHeld
  ['hasDeltaNeutralContract', false], // ! readDeltaNeutral
  ['algoStrategy', ''], // ! readAlgoParams
  ['solicited', false], // readSolicited
  ['status', ''], // readOrderStatus -> orderState.status
  ['randomizeSize', false], // readVolRandomizeFlags
  ['randomizePrice', false],
  ['conditionCount', 0], // ! readConditions
  ['trailStopPriceAgain', ''], // readStopPriceAndLmtPriceOffset: order.trailStopPrice again, this read wins
  ['lmtPriceOffset', ''],
  ['cashQty', ''], // readCashQty
  ['dontUseAutoPriceForHedge', false], // readDontUseAutoPriceForHedge
  ['isOmsContainer', false], // readIsOmsContainer
  ['autoCancelDate', ''], // readAutoCancelDate
  ['filledQuantity', ''], // readFilledQuantity (readDecimal)
  ['refFuturesConId', 0], // readRefFuturesConId
  ['autoCancelParent', false], // readAutoCancelParent()
  ['shareholder', ''], // readShareholder
  ['imbalanceOnly', false], // readImbalanceOnly
  ['routeMarketableToBbo', false], // readRouteMarketableToBbo
  ['parentPermId', 0], // readParentPermId
  ['completedTime', ''], // readCompletedTime -> orderState.completedTime
  ['completedStatus', ''], // readCompletedStatus -> orderState.completedStatus
  ['minTradeQty', ''], // readPegBestPegMidOrderAttributes
  ['minCompeteSize', ''],
  ['competeAgainstBestOffset', ''],
  ['midOffsetAtWhole', ''],
  ['midOffsetAtHalf', ''],
  ['customerAccount', ''], // readCustomerAccount
  ['professionalCustomer', false], // readProfessionalCustomer
]);

export interface CompletedOrderInput {
  readonly contract: ServerContract;
  readonly order: ServerOrder & {
    readonly filledQuantity: number;
    /** permId of the bracket parent, 0 when none. */
    readonly parentPermId?: number;
  };
  readonly orderState: {
    /** "Filled", "Cancelled", "Inactive", ... */
    readonly status: string;
    /** e.g. "20261123 15:59:59 America/New_York". */
    readonly completedTime: string;
    /** Free text, e.g. "Filled Size: 100" or the cancel reason. */
    readonly completedStatus: string;
  };
}

export function completedOrderFields(input: CompletedOrderInput): WireField[] {
  const { order, orderState } = input;
  const fields = COMPLETED_ORDER_TEMPLATE.fill({
    ...orderContractSlots(input.contract),
    ...commonOrderSlots(order),
    filledQuantity: order.filledQuantity,
    parentPermId: order.parentPermId,
    status: orderState.status,
    completedTime: orderState.completedTime,
    completedStatus: orderState.completedStatus,
  });
  if (isPegBenchOrderType(order.orderType)) {
    fields.splice(COMPLETED_ORDER_TEMPLATE.indexOf('conditionCount'), 0, ...PEG_BENCH_DEFAULT_FIELDS);
  }
  return fields;
}

/** decodeMsg_COMPLETED_ORDERS_END reads nothing: the message is the id alone (a version field would be "unprocessed data", 505). */
export function completedOrdersEndFields(): WireField[] {
  return [ServerMessageId.COMPLETED_ORDERS_END];
}
