import { DateTime } from 'luxon';
import { SecType, type Contract, type Order, OrderAction, OrderType as IbOrderType } from './ib-client';
import { MARKET_ZONE, newYorkWallClockMs } from '../../time/trading-calendar';
import type { BrokerOrderStatus, BrokerPosition, OrderRequest } from '../types';

/** What identifies a stock unambiguously at IB: its conId, or at least its primary listing exchange. */
export interface ResolvedStock {
  conId?: number;
  primaryExchange?: string;
}

/**
 * US stocks routed SMART in USD: the only instruments the bots trade. SMART with neither conId nor primary
 * exchange is ambiguous for some symbols (IB error 200), so a resolved conId / primaryExch goes along.
 */
export function stockContract(symbol: string, resolved?: ResolvedStock): Contract {
  return {
    symbol, secType: SecType.STK, exchange: 'SMART', currency: 'USD',
    ...(resolved?.conId ? { conId: resolved.conId } : {}),
    ...(resolved?.primaryExchange ? { primaryExch: resolved.primaryExchange } : {}),
  };
}

/** A position as IB reports it (POSITION / POSITION_MULTI), in our types. */
export function toBrokerPosition(account: string, contract: Contract, quantity: number, averageCost: number | undefined): BrokerPosition {
  const secType = String(contract.secType ?? 'STK');
  const currency = contract.currency ?? 'USD';
  const symbol = contract.symbol ?? contract.localSymbol ?? '';
  return {
    account, conId: contract.conId ?? 0, symbol, secType, currency, description: describeContract(symbol, secType, currency, contract),
    quantity, averageCost: averageCost ?? 0,
  };
}

function describeContract(symbol: string, secType: string, currency: string, contract: Contract): string {
  if (secType === 'STK') return currency === 'USD' ? symbol : `${symbol} (STK ${currency})`;
  const parts = [symbol, contract.lastTradeDateOrContractMonth, contract.strike, contract.right].filter((p) => p !== undefined && p !== '' && p !== 0);
  return `${parts.join(' ')} (${secType}${currency === 'USD' ? '' : ` ${currency}`})`;
}

export function toIbOrder(request: OrderRequest, parentId?: number): Order {
  return {
    action: request.side === 'BUY' ? OrderAction.BUY : OrderAction.SELL,
    totalQuantity: request.quantity,
    orderType: request.type as IbOrderType,
    lmtPrice: request.limitPrice,
    auxPrice: request.type === 'STP' || request.type === 'STP LMT' ? request.stopPrice : undefined,
    trailingPercent: request.trailingPercent,
    trailStopPrice: request.trailStopPrice,
    tif: request.tif,
    ocaGroup: request.ocaGroup,
    ocaType: request.ocaGroup ? (request.ocaType ?? 1) : undefined,
    orderRef: request.orderRef,
    parentId: parentId ?? 0,
    // transmit must be explicit: left undefined it goes out as "" and IB keeps the order untransmitted.
    transmit: request.transmit ?? true,
    outsideRth: request.outsideRth ?? false,
  };
}

const KNOWN_STATUSES: readonly string[] = ['PendingSubmit', 'PreSubmitted', 'Submitted', 'Filled', 'Cancelled', 'Inactive', 'ApiCancelled', 'PendingCancel'];

export function toOrderStatus(status: string | undefined): BrokerOrderStatus {
  return status && KNOWN_STATUSES.includes(status) ? (status as BrokerOrderStatus) : 'Unknown';
}

const EXECUTION_TIME = /^\s*(\d{4})(\d{2})(\d{2})\s+(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?\s*$/;
const NEW_YORK_NAMES = new Set([MARKET_ZONE, 'US/Eastern']);

/** IB execution times: "yyyyMMdd HH:mm:ss America/New_York" (or a zone-less "yyyyMMdd  HH:mm:ss" in TWS's zone). */
export function parseExecutionTime(text: string | undefined, fallbackMs: number): number {
  if (!text) return fallbackMs;
  // New York (nearly every report): digits and the cached zone offsets. A resync reads the day's executions,
  // hundreds of them, and luxon's parse of each one took most of a restarted exit manager's time to protect.
  const fast = EXECUTION_TIME.exec(text);
  if (fast && (fast[7] === undefined || NEW_YORK_NAMES.has(fast[7]))) {
    const ms = newYorkWallClockMs(Number(fast[1]), Number(fast[2]), Number(fast[3]), Number(fast[4]), Number(fast[5]), Number(fast[6]));
    if (ms !== undefined) return ms;
  }
  const parts = text.trim().split(/\s+/);
  const zone = parts[2] === 'US/Eastern' || !parts[2] ? MARKET_ZONE : parts[2];
  const parsed = DateTime.fromFormat(`${parts[0]} ${parts[1]}`, 'yyyyLLdd HH:mm:ss', { zone });
  return parsed.isValid ? parsed.toMillis() : fallbackMs;
}

/** Historical bar times: epoch seconds (formatDate 2, intraday) or "yyyyMMdd" (daily). */
export function parseBarTime(text: string): number {
  if (/^\d{8}$/.test(text)) return DateTime.fromFormat(text, 'yyyyLLdd', { zone: MARKET_ZONE }).toMillis();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  return parseExecutionTime(text, NaN);
}

/**
 * How an error with an order id is meant (TWS API message codes): 202 is a cancel confirmation; 399, 404,
 * 21xx and 10349 are warnings that leave the order working; 10147/10148 refuse a cancel; the rest reject the
 * order. 10349 ("Order TIF was set to DAY based on order preset.") is sent by newer TWS versions ahead of
 * the order's acknowledgement and is missing from IB's list of codes; libraries that read it as a rejection
 * reported orders cancelled that then filled (ib_async issues 191 and 217, pysystemtrade issue 1580).
 */
export type OrderErrorMeaning = 'cancelled' | 'warning' | 'cancel_refused' | 'rejected';

/** Informational codes about an order: it keeps working. */
export const ORDER_WARNING_CODES: ReadonlySet<number> = new Set([399, 404, 10349]);

export function orderErrorMeaning(code: number): OrderErrorMeaning {
  if (code === 202) return 'cancelled';
  if (ORDER_WARNING_CODES.has(code) || (code >= 2100 && code < 2200)) return 'warning';
  if (code === 10147 || code === 10148 || code === 161) return 'cancel_refused';
  return 'rejected';
}

/**
 * Market-data errors on a ticker: 354 / 10089 "not subscribed ... Delayed market data is available" end the
 * request (ask for delayed instead); 10168 "Delayed market data is not enabled" means no data at all;
 * 10167 "Displaying delayed market data", 10090 / 10091 "part of requested market data is not subscribed"
 * are advisories: the ticks that are allowed keep coming.
 */
export const NO_LIVE_SUBSCRIPTION = new Set([354, 10089]);
export const NO_DELAYED_DATA = 10168;
export const MARKET_DATA_ADVISORIES = new Set([10090, 10091, 10167]);

/** TWS market data types (reqMarketDataType): 1 live, 2 frozen, 3 delayed, 4 delayed frozen. */
export const MARKET_DATA_LIVE = 1;
export const MARKET_DATA_DELAYED = 3;

/** Connectivity notices that arrive with id -1. */
export const CONNECTIVITY_LOST = 1100;
export const CONNECTIVITY_RESTORED_DATA_LOST = 1101;
export const CONNECTIVITY_RESTORED = 1102;
export const CLIENT_ID_IN_USE = 326;
