/**
 * What a client's PLACE_ORDER (and the contract part of other requests) carries, decoded. Field
 * names follow @stoqey/ib's `Contract`/`Order` so a test can compare them one to one, except
 * `primaryExchange` (the client's `primaryExch`). Optional numbers are undefined when the client
 * left them unset ("" or Double/Integer.MAX_VALUE on the wire).
 */
import type { TagValue } from './field-cursor';

/** A combo leg as REQ_MKT_DATA / REQ_HISTORICAL_DATA send it (BAG contracts only). */
export interface ClientComboLeg {
  readonly conId: number;
  readonly ratio: number;
  readonly action: string;
  readonly exchange: string;
}

/** A combo leg as PLACE_ORDER sends it: with the short-sale attributes. */
export interface ClientOrderComboLeg extends ClientComboLeg {
  readonly openClose: number;
  readonly shortSaleSlot: number;
  readonly designatedLocation: string;
  readonly exemptCode: number;
}

export interface ClientDeltaNeutralContract {
  readonly conId: number;
  readonly delta: number | undefined;
  readonly price: number | undefined;
}

export interface ClientContract {
  readonly conId: number | undefined;
  readonly symbol: string;
  readonly secType: string;
  readonly lastTradeDateOrContractMonth: string;
  readonly strike: number | undefined;
  readonly right: string;
  readonly multiplier: number | undefined;
  readonly exchange: string;
  readonly primaryExchange: string;
  readonly currency: string;
  readonly localSymbol: string;
  readonly tradingClass: string;
  /** REQ_CONTRACT_DATA / REQ_HISTORICAL_DATA only. */
  readonly includeExpired?: boolean;
  /** PLACE_ORDER / REQ_CONTRACT_DATA only. */
  readonly secIdType?: string;
  readonly secId?: string;
  /** REQ_CONTRACT_DATA only. */
  readonly issuerId?: string;
  /** BAG contracts only. */
  readonly comboLegs?: ReadonlyArray<ClientComboLeg | ClientOrderComboLeg>;
  /** REQ_MKT_DATA / PLACE_ORDER: present when the client sent the delta-neutral flag set. */
  readonly deltaNeutralContract?: ClientDeltaNeutralContract;
}

/** An order condition; `conjunction` is "a" (and) or "o" (or) with the next condition. */
export type ClientOrderCondition =
  | { readonly kind: 'price'; readonly conjunction: string; readonly isMore: boolean; readonly price: number | undefined; readonly conId: number; readonly exchange: string; readonly triggerMethod: number }
  | { readonly kind: 'time'; readonly conjunction: string; readonly isMore: boolean; readonly time: string }
  | { readonly kind: 'margin'; readonly conjunction: string; readonly isMore: boolean; readonly percent: number | undefined }
  | { readonly kind: 'execution'; readonly conjunction: string; readonly secType: string; readonly exchange: string; readonly symbol: string }
  | { readonly kind: 'volume'; readonly conjunction: string; readonly isMore: boolean; readonly volume: number | undefined; readonly conId: number; readonly exchange: string }
  | { readonly kind: 'percentChange'; readonly conjunction: string; readonly isMore: boolean; readonly changePercent: number | undefined; readonly conId: number; readonly exchange: string };

/** Every field PLACE_ORDER carries at server version 193, in wire order. */
export interface PlacedOrder {
  readonly action: string;
  readonly totalQuantity: number | undefined;
  readonly orderType: string;
  readonly lmtPrice: number | undefined;
  readonly auxPrice: number | undefined;
  readonly tif: string;
  readonly ocaGroup: string;
  readonly account: string;
  readonly openClose: string;
  readonly origin: number | undefined;
  readonly orderRef: string;
  /** "" reads as false: a gateway keeps such an order untransmitted (a classic client mistake). */
  readonly transmit: boolean;
  readonly parentId: number;
  readonly blockOrder: boolean;
  readonly sweepToFill: boolean;
  readonly displaySize: number | undefined;
  readonly triggerMethod: number | undefined;
  readonly outsideRth: boolean;
  readonly hidden: boolean;
  /** BAG only: per-leg limit prices and SMART combo routing parameters. */
  readonly orderComboLegPrices: ReadonlyArray<number | undefined>;
  readonly smartComboRoutingParams: readonly TagValue[];
  readonly discretionaryAmt: number | undefined;
  readonly goodAfterTime: string;
  readonly goodTillDate: string;
  readonly faGroup: string;
  readonly faMethod: string;
  readonly faPercentage: string;
  readonly modelCode: string;
  readonly shortSaleSlot: number | undefined;
  readonly designatedLocation: string;
  readonly exemptCode: number | undefined;
  readonly ocaType: number | undefined;
  readonly rule80A: string;
  readonly settlingFirm: string;
  readonly allOrNone: boolean;
  readonly minQty: number | undefined;
  readonly percentOffset: number | undefined;
  readonly eTradeOnly: boolean;
  readonly firmQuoteOnly: boolean;
  readonly nbboPriceCap: number | undefined;
  readonly auctionStrategy: number | undefined;
  readonly startingPrice: number | undefined;
  readonly stockRefPrice: number | undefined;
  readonly delta: number | undefined;
  readonly stockRangeLower: number | undefined;
  readonly stockRangeUpper: number | undefined;
  readonly overridePercentageConstraints: boolean;
  readonly volatility: number | undefined;
  readonly volatilityType: number | undefined;
  readonly deltaNeutralOrderType: string;
  readonly deltaNeutralAuxPrice: number | undefined;
  /** Only sent when deltaNeutralOrderType is non-empty. */
  readonly deltaNeutralConId?: number;
  readonly deltaNeutralSettlingFirm?: string;
  readonly deltaNeutralClearingAccount?: string;
  readonly deltaNeutralClearingIntent?: string;
  readonly deltaNeutralOpenClose?: string;
  readonly deltaNeutralShortSale?: boolean;
  readonly deltaNeutralShortSaleSlot?: number;
  readonly deltaNeutralDesignatedLocation?: string;
  readonly continuousUpdate: boolean;
  readonly referencePriceType: number | undefined;
  readonly trailStopPrice: number | undefined;
  readonly trailingPercent: number | undefined;
  readonly scaleInitLevelSize: number | undefined;
  readonly scaleSubsLevelSize: number | undefined;
  readonly scalePriceIncrement: number | undefined;
  /** Only sent when scalePriceIncrement was set. */
  readonly scalePriceAdjustValue?: number;
  readonly scalePriceAdjustInterval?: number;
  readonly scaleProfitOffset?: number;
  readonly scaleAutoReset?: boolean;
  readonly scaleInitPosition?: number;
  readonly scaleInitFillQty?: number;
  readonly scaleRandomPercent?: boolean;
  readonly scaleTable: string;
  readonly activeStartTime: string;
  readonly activeStopTime: string;
  readonly hedgeType: string;
  /** Only sent when hedgeType is non-empty. */
  readonly hedgeParam?: string;
  readonly optOutSmartRouting: boolean;
  readonly clearingAccount: string;
  readonly clearingIntent: string;
  readonly notHeld: boolean;
  readonly algoStrategy: string;
  readonly algoParams: readonly TagValue[];
  readonly algoId: string;
  readonly whatIf: boolean;
  readonly orderMiscOptions: string;
  readonly solicited: boolean;
  readonly randomizeSize: boolean;
  readonly randomizePrice: boolean;
  /** Only sent for PEG BENCH orders. */
  readonly referenceContractId?: number;
  readonly isPeggedChangeAmountDecrease?: boolean;
  readonly peggedChangeAmount?: number;
  readonly referenceChangeAmount?: number;
  readonly referenceExchangeId?: string;
  readonly conditions: readonly ClientOrderCondition[];
  /** Only sent when there is at least one condition; false otherwise. */
  readonly conditionsIgnoreRth: boolean;
  readonly conditionsCancelOrder: boolean;
  readonly adjustedOrderType: string;
  readonly triggerPrice: number | undefined;
  readonly lmtPriceOffset: number | undefined;
  readonly adjustedStopPrice: number | undefined;
  readonly adjustedStopLimitPrice: number | undefined;
  readonly adjustedTrailingAmount: number | undefined;
  readonly adjustableTrailingUnit: number | undefined;
  readonly extOperator: string;
  readonly softDollarTierName: string;
  readonly softDollarTierValue: string;
  readonly cashQty: number | undefined;
  readonly mifid2DecisionMaker: string;
  readonly mifid2DecisionAlgo: string;
  readonly mifid2ExecutionTrader: string;
  readonly mifid2ExecutionAlgo: string;
  readonly dontUseAutoPriceForHedge: boolean;
  readonly isOmsContainer: boolean;
  readonly discretionaryUpToLimitPrice: boolean;
  readonly usePriceMgmtAlgo: boolean;
  readonly duration: number | undefined;
  readonly postToAts: number | undefined;
  readonly autoCancelParent: boolean;
  readonly advancedErrorOverride: string;
  readonly manualOrderTime: string;
  /** Only sent when the contract's exchange is IBKRATS. */
  readonly minTradeQty?: number;
  /** Only sent for PEG BEST orders. */
  readonly minCompeteSize?: number;
  readonly competeAgainstBestOffset?: number;
  /** Only sent for PEG MID, or PEG BEST competing "up to mid" (competeAgainstBestOffset Infinity). */
  readonly midOffsetAtWhole?: number;
  readonly midOffsetAtHalf?: number;
  readonly customerAccount: string;
  readonly professionalCustomer: boolean;
  readonly includeOvernight: boolean;
  readonly manualOrderIndicator: number | undefined;
}
