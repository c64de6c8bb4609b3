/**
 * Account, portfolio, position and P&L messages at v193.
 *
 * - REQ_ACCOUNT_DATA (reqAccountUpdates) is answered by ACCT_VALUE*, PORTFOLIO_VALUE*,
 *   ACCT_UPDATE_TIME, then ACCT_DOWNLOAD_END;
 * - REQ_POSITIONS by POSITION* then POSITION_END, and later POSITION updates;
 * - REQ_ACCOUNT_SUMMARY by ACCOUNT_SUMMARY* then ACCOUNT_SUMMARY_END;
 * - REQ_PNL / REQ_PNL_SINGLE by PNL / PNL_SINGLE updates (no end message).
 */
import { ServerMessageId } from './message-ids';
import type { ServerContract } from './server-contract';
import { doubleOrUnset, WireField } from './wire-format';

/** decodeMsg_ACCT_VALUE: version, key, value, currency, accountName. Values are strings. */
export function accountValueFields(key: string, value: string, currency: string, accountName: string): WireField[] {
  return [ServerMessageId.ACCT_VALUE, 2, key, value, currency, accountName];
}

export interface PortfolioValueInput {
  readonly contract: ServerContract;
  readonly position: number;
  readonly marketPrice: number;
  readonly marketValue: number;
  readonly averageCost: number;
  readonly unrealizedPnl: number;
  readonly realizedPnl: number;
  readonly accountName: string;
}

/**
 * decodeMsg_PORTFOLIO_VALUE with version 8 (conId from 6, multiplier + primaryExch from 7,
 * tradingClass from 8): 20 fields. The contract carries primaryExch but NO exchange field.
 */
export function portfolioValueFields(input: PortfolioValueInput): WireField[] {
  const contract = input.contract;
  return [
    ServerMessageId.PORTFOLIO_VALUE,
    8,
    contract.conId,
    contract.symbol,
    contract.secType,
    contract.lastTradeDateOrContractMonth ?? '',
    contract.strike ?? 0,
    contract.right ?? '',
    contract.multiplier ?? '',
    contract.primaryExchange ?? '',
    contract.currency,
    contract.localSymbol ?? '',
    contract.tradingClass ?? '',
    input.position, // readDecimal
    input.marketPrice,
    input.marketValue,
    input.averageCost,
    input.unrealizedPnl,
    input.realizedPnl,
    input.accountName,
  ];
}

/** decodeMsg_ACCT_UPDATE_TIME: version, time of day ("HH:mm"). */
export function accountUpdateTimeFields(timeOfDay: string): WireField[] {
  return [ServerMessageId.ACCT_UPDATE_TIME, 1, timeOfDay];
}

/** decodeMsg_ACCT_DOWNLOAD_END: version, accountName. */
export function accountDownloadEndFields(accountName: string): WireField[] {
  return [ServerMessageId.ACCT_DOWNLOAD_END, 1, accountName];
}

export interface PositionInput {
  readonly account: string;
  readonly contract: ServerContract;
  /** Signed: negative is short. 0 is sent when a position is closed. */
  readonly position: number;
  /** Per share, commissions included. */
  readonly averageCost: number;
}

/**
 * decodeMsg_POSITION with version 3 (tradingClass from 2, avgCost from 3): 16 fields. The
 * contract carries exchange but NO primaryExch.
 */
export function positionFields(input: PositionInput): WireField[] {
  const contract = input.contract;
  return [
    ServerMessageId.POSITION,
    3,
    input.account,
    contract.conId,
    contract.symbol,
    contract.secType,
    contract.lastTradeDateOrContractMonth ?? '',
    contract.strike ?? 0,
    contract.right ?? '',
    contract.multiplier ?? '',
    contract.exchange,
    contract.currency,
    contract.localSymbol ?? '',
    contract.tradingClass ?? '',
    input.position, // readDecimal
    input.averageCost,
  ];
}

/** decodeMsg_POSITION_END: version. */
export function positionEndFields(): WireField[] {
  return [ServerMessageId.POSITION_END, 1];
}

/** decodeMsg_ACCOUNT_SUMMARY: version, reqId, account, tag, value, currency. */
export function accountSummaryFields(reqId: number, account: string, tag: string, value: string, currency: string): WireField[] {
  return [ServerMessageId.ACCOUNT_SUMMARY, 1, reqId, account, tag, value, currency];
}

/** decodeMsg_ACCOUNT_SUMMARY_END: version, reqId. */
export function accountSummaryEndFields(reqId: number): WireField[] {
  return [ServerMessageId.ACCOUNT_SUMMARY_END, 1, reqId];
}

export interface PnlInput {
  readonly reqId: number;
  readonly dailyPnl?: number;
  readonly unrealizedPnl?: number;
  readonly realizedPnl?: number;
}

/**
 * decodeMsg_PNL: reqId, dailyPnL, unrealizedPnL (UNREALIZED_PNL 129), realizedPnL (REALIZED_PNL
 * 135); no version field. Read with readDouble, so undefined goes out as UNSET_DOUBLE ("" = 0).
 */
export function pnlFields(input: PnlInput): WireField[] {
  return [ServerMessageId.PNL, input.reqId, doubleOrUnset(input.dailyPnl), doubleOrUnset(input.unrealizedPnl), doubleOrUnset(input.realizedPnl)];
}

export interface PnlSingleInput extends PnlInput {
  readonly position: number;
  /** Market value of the position. */
  readonly value?: number;
}

/** decodeMsg_PNL_SINGLE: reqId, pos (readDecimal), dailyPnL, unrealizedPnL, realizedPnL, value. */
export function pnlSingleFields(input: PnlSingleInput): WireField[] {
  return [
    ServerMessageId.PNL_SINGLE,
    input.reqId,
    input.position,
    doubleOrUnset(input.dailyPnl),
    doubleOrUnset(input.unrealizedPnl),
    doubleOrUnset(input.realizedPnl),
    doubleOrUnset(input.value),
  ];
}
