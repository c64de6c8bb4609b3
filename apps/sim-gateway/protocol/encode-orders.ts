/**
 * Order life-cycle messages at v193 besides OPEN_ORDER / COMPLETED_ORDER: ORDER_STATUS, and per
 * fill EXECUTION_DATA + COMMISSION_REPORT (the pair shares execId).
 */
import { ServerMessageId } from './message-ids';
import type { ServerContract } from './server-contract';
import { doubleOrUnset, WireField } from './wire-format';

export interface OrderStatusInput {
  readonly orderId: number;
  /** "PendingSubmit", "PreSubmitted", "Submitted", "Filled", "Cancelled", "Inactive", "ApiCancelled", ... */
  readonly status: string;
  readonly filled: number;
  readonly remaining: number;
  /** 0 before the first fill, as TWS sends it. */
  readonly avgFillPrice: number;
  readonly permId: number;
  readonly parentId: number;
  readonly lastFillPrice: number;
  readonly clientId: number;
  /** "" or e.g. "locate" / "child,trigger". */
  readonly whyHeld?: string;
  readonly mktCapPrice?: number;
}

/**
 * decodeMsg_ORDER_STATUS: no version field from MARKET_CAP_PRICE (131); then id, status, filled,
 * remaining, avgFillPrice, permId, parentId, lastFillPrice, clientId, whyHeld, mktCapPrice.
 */
export function orderStatusFields(input: OrderStatusInput): WireField[] {
  return [
    ServerMessageId.ORDER_STATUS,
    input.orderId,
    input.status,
    input.filled, // readDecimal
    input.remaining, // readDecimal
    input.avgFillPrice,
    input.permId,
    input.parentId,
    input.lastFillPrice,
    input.clientId,
    input.whyHeld ?? '',
    input.mktCapPrice ?? 0,
  ];
}

export interface ExecutionInput {
  /** The REQ_EXECUTIONS reqId, or -1 for an execution reported as it happens. */
  readonly reqId: number;
  readonly orderId: number;
  readonly contract: ServerContract;
  /** Unique per fill, e.g. "0000e0d5.6553f1a1.01.01"; COMMISSION_REPORT refers to it. */
  readonly execId: string;
  /** e.g. "20261123 09:30:05 America/New_York". */
  readonly time: string;
  readonly account: string;
  /** Where it executed, e.g. "ISLAND". */
  readonly executionExchange: string;
  /** "BOT" or "SLD" (not BUY/SELL). */
  readonly side: 'BOT' | 'SLD';
  readonly shares: number;
  readonly price: number;
  readonly permId: number;
  readonly clientId: number;
  /** Cumulative quantity and average price of the order after this fill. */
  readonly cumQty: number;
  readonly avgPrice: number;
  readonly orderRef?: string;
  /** 1 added liquidity, 2 removed, 3 routed out. */
  readonly lastLiquidity?: number;
  readonly liquidation?: number;
  readonly modelCode?: string;
}

/**
 * decodeMsg_EXECUTION_DATA: 32 fields. No version field from LAST_LIQUIDITY (136), so the decoder
 * uses serverVersion as version: reqId (v >= 7), orderId, contract (conId, symbol, secType,
 * lastTradeDateOrContractMonth, strike, right, multiplier, exchange, currency, localSymbol,
 * tradingClass), then the execution.
 */
export function executionDataFields(input: ExecutionInput): WireField[] {
  const contract = input.contract;
  return [
    ServerMessageId.EXECUTION_DATA,
    input.reqId,
    input.orderId,
    contract.conId,
    contract.symbol,
    contract.secType,
    contract.lastTradeDateOrContractMonth ?? '',
    contract.strike ?? 0,
    contract.right ?? '',
    contract.multiplier ?? '', // readDouble: "" -> 0
    contract.exchange,
    contract.currency,
    contract.localSymbol ?? '',
    contract.tradingClass ?? '',
    input.execId,
    input.time,
    input.account, // exec.acctNumber
    input.executionExchange, // exec.exchange
    input.side,
    input.shares, // readDecimal
    input.price,
    input.permId,
    input.clientId,
    input.liquidation ?? 0,
    input.cumQty, // readDecimal
    input.avgPrice,
    input.orderRef ?? '',
    '', // evRule
    doubleOrUnset(undefined), // evMultiplier (readDouble): unset
    input.modelCode ?? '',
    input.lastLiquidity ?? 0,
    false, // pendingPriceRevision (PENDING_PRICE_REVISION 178)
  ];
}

/** decodeMsg_EXECUTION_DATA_END: version, reqId. */
export function executionDataEndFields(reqId: number): WireField[] {
  return [ServerMessageId.EXECUTION_DATA_END, 1, reqId];
}

export interface CommissionReportInput {
  readonly execId: string;
  readonly commission: number;
  readonly currency: string;
  /** Undefined for an opening fill (TWS sends Double.MAX_VALUE, read as undefined). */
  readonly realizedPnl?: number;
  readonly yieldValue?: number;
  /** yyyymmdd as an integer, 0 when none. */
  readonly yieldRedemptionDate?: number;
}

/** decodeMsg_COMMISSION_REPORT: version, execId, commission, currency, realizedPNL, yield, yieldRedemptionDate. */
export function commissionReportFields(input: CommissionReportInput): WireField[] {
  return [
    ServerMessageId.COMMISSION_REPORT,
    1,
    input.execId,
    input.commission,
    input.currency,
    doubleOrUnset(input.realizedPnl), // readDouble: "" would read as a realized P&L of 0
    doubleOrUnset(input.yieldValue),
    input.yieldRedemptionDate ?? 0,
  ];
}
