/**
 * The order as OPEN_ORDER and COMPLETED_ORDER echo it, plus the slot values both templates share.
 * Optional prices left undefined go out as "" which the decoder (readDoubleOrUndefined) reads as
 * undefined: an unset limit price must never arrive as 0.
 */
import type { ServerContract } from './server-contract';
import type { WireField } from './wire-format';

export interface ServerOrder {
  /** "BUY" / "SELL". */
  readonly action: string;
  readonly totalQuantity: number;
  /** "MKT", "LMT", "STP", "STP LMT", "TRAIL", ... */
  readonly orderType: string;
  readonly lmtPrice?: number;
  /** Stop price for STP / STP LMT, trailing amount for TRAIL. */
  readonly auxPrice?: number;
  /** "DAY", "GTC", "IOC", ... */
  readonly tif: string;
  readonly account: string;
  readonly ocaGroup?: string;
  /** 1 cancel others on fill, 2 reduce with block, 3 reduce without block. */
  readonly ocaType?: number;
  /** Free text the client set; our bots put their claim id here. */
  readonly orderRef?: string;
  readonly permId: number;
  readonly outsideRth?: boolean;
  readonly trailStopPrice?: number;
  readonly trailingPercent?: number;
  /** "yyyymmdd hh:mm:ss[ tz]". */
  readonly goodAfterTime?: string;
  readonly goodTillDate?: string;
  readonly openClose?: string;
  readonly hidden?: boolean;
  readonly displaySize?: number;
  readonly allOrNone?: boolean;
  readonly minQty?: number;
}

/** The 11 contract slots of OrderDecoder.readContractFields (version >= 32: multiplier, tradingClass). */
export function orderContractSlots(contract: ServerContract) {
  return {
    conId: contract.conId,
    symbol: contract.symbol,
    secType: contract.secType,
    lastTradeDateOrContractMonth: contract.lastTradeDateOrContractMonth,
    strike: contract.strike,
    right: contract.right,
    multiplier: contract.multiplier,
    exchange: contract.exchange,
    currency: contract.currency,
    localSymbol: contract.localSymbol,
    tradingClass: contract.tradingClass,
  } satisfies Record<string, WireField>;
}

/** Order slots present in both the OPEN_ORDER and the COMPLETED_ORDER template. */
export function commonOrderSlots(order: ServerOrder) {
  return {
    action: order.action,
    totalQuantity: order.totalQuantity,
    orderType: order.orderType,
    lmtPrice: order.lmtPrice,
    auxPrice: order.auxPrice,
    tif: order.tif,
    ocaGroup: order.ocaGroup,
    account: order.account,
    openClose: order.openClose,
    orderRef: order.orderRef,
    permId: order.permId,
    outsideRth: order.outsideRth,
    hidden: order.hidden,
    goodAfterTime: order.goodAfterTime,
    goodTillDate: order.goodTillDate,
    displaySize: order.displaySize,
    allOrNone: order.allOrNone,
    minQty: order.minQty,
    ocaType: order.ocaType,
    trailStopPrice: order.trailStopPrice,
    trailingPercent: order.trailingPercent,
    // The decoders read trailStopPrice twice (readTrailParams, then readStopPriceAndLmtPriceOffset)
    // and the second read wins: both slots must carry it.
    trailStopPriceAgain: order.trailStopPrice,
  } satisfies Record<string, WireField>;
}

/** @stoqey/ib orderType.js isPegBenchOrder: the decoders read 5 more fields for these. */
export function isPegBenchOrderType(orderType: string): boolean {
  return orderType === 'PEG BENCH' || orderType === 'PEGBENCH';
}

/** readPegToBenchParams defaults: referenceContractId, isPeggedChangeAmountDecrease,
 * peggedChangeAmount, referenceChangeAmount, referenceExchangeId. */
export const PEG_BENCH_DEFAULT_FIELDS: readonly WireField[] = [0, false, 0, 0, ''];
