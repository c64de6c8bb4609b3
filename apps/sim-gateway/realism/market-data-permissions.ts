/**
 * What an account's market-data permissions give a client, per request, the way IB answers a new account.
 *
 * Codes and texts, as IB Gateway sends them (field reports: ib_insync #19/#198, ezibpy #23, node-ib #21,
 * IB4m #101/#158, deephaven-ib #44, rust-ibapi #672; TWS API docs "Delayed Streaming Data" and
 * "Market Data Types"):
 * - 10089 "Requested market data requires additional subscription for API. ... Delayed market data is
 *   available.<SYM> <LISTING>/TOP/ALL": a live (or frozen) request from an account that has delayed data only.
 * - 354 "Requested market data is not subscribed.": a live request from an account with no market data at all.
 * - 10168 "Requested market data is not subscribed. Delayed market data is not enabled.": a delayed request
 *   from that account.
 * - 10167 "Requested market data is not subscribed. Displaying delayed market data.": the notice that comes
 *   with delayed data (a delayed request from a delayed-only account), sent with the request id BEFORE the
 *   delayed ticks. @stoqey/ib delivers it as `error(..., 10167, reqId)`: a client must not take it as a
 *   failure.
 * - 162 "Historical Market Data Service error message:No market data permissions for <EXCH> STK": history
 *   without permissions (IB names NASDAQ's book ISLAND there).
 * Live data always wins when the account has it: reqMarketDataType(3) on a live account streams live data
 * ("If live data is available, it will always be returned instead of delayed data").
 */
import type { SymbolInfo } from '../market';
import type { RequestedMarketDataType } from '../tcp/client-session';
import type { MarketDataPermission } from './realism-settings';

export interface MarketDataError {
  readonly code: number;
  readonly message: string;
}

export type MarketDataAccess =
  /** Live ticks; the MARKET_DATA_TYPE message says 1, or 2 (frozen) when frozen data was asked for and the market is closed. */
  | { readonly kind: 'live'; readonly marketDataType: 1 | 2 }
  /** Delayed ticks (66-76), after the 10167 notice; MARKET_DATA_TYPE 3, or 4 when delayed-frozen was asked for and the market is closed. */
  | { readonly kind: 'delayed'; readonly marketDataType: 3 | 4; readonly notice: MarketDataError }
  | { readonly kind: 'refused'; readonly error: MarketDataError };

export const DELAYED_DATA_NOTICE: MarketDataError = { code: 10167, message: 'Requested market data is not subscribed. Displaying delayed market data.' };

/** How IB names a listing in its market-data subscription texts ("AAPL NASDAQ.NMS/TOP/ALL"). */
function topOfBookName(info: SymbolInfo): string {
  return info.primaryExchange === 'NASDAQ' ? 'NASDAQ.NMS' : info.primaryExchange;
}

/** The exchange IB's historical-data service names in its permission error (NASDAQ stocks: ISLAND). */
function historicalExchangeName(info: SymbolInfo): string {
  return info.primaryExchange === 'NASDAQ' ? 'ISLAND' : info.primaryExchange;
}

/**
 * @param requestedExchange the request's `exchange` ("SMART" routes to IB's BEST book in the error detail).
 * @param marketClosed whether no session trades now (asked only for frozen types, which differ from live/delayed only then).
 */
export function marketDataAccess(
  permission: MarketDataPermission,
  requestedType: RequestedMarketDataType,
  info: SymbolInfo,
  requestedExchange: string,
  marketClosed: () => boolean,
): MarketDataAccess {
  const wantsDelayed = requestedType === 3 || requestedType === 4;
  const wantsFrozen = requestedType === 2 || requestedType === 4;
  if (permission === 'live') return { kind: 'live', marketDataType: wantsFrozen && marketClosed() ? 2 : 1 };
  if (permission === 'delayed') {
    if (wantsDelayed) return { kind: 'delayed', marketDataType: requestedType === 4 && marketClosed() ? 4 : 3, notice: DELAYED_DATA_NOTICE };
    // Frozen data needs the same subscriptions as live data.
    return {
      kind: 'refused',
      error: {
        code: 10089,
        message: `Requested market data requires additional subscription for API. See link in 'Market Data Connections' dialog for more details.Delayed market data is available.${info.symbol} ${topOfBookName(info)}/TOP/ALL`,
      },
    };
  }
  if (wantsDelayed) return { kind: 'refused', error: { code: 10168, message: 'Requested market data is not subscribed. Delayed market data is not enabled.' } };
  const book = requestedExchange.toUpperCase() === 'SMART' || requestedExchange === '' ? 'BEST' : requestedExchange.toUpperCase();
  return { kind: 'refused', error: { code: 354, message: `Requested market data is not subscribed.Error&${book}/STK/Top&${book}/STK/Top` } };
}

/**
 * History for an account without any market data is refused. IB's docs say historical data needs real
 * subscriptions; the simulator refuses it only on `none`, so a delayed-only account can still compute indicators.
 */
export function historicalPermissionError(permission: MarketDataPermission, info: SymbolInfo): MarketDataError | undefined {
  if (permission !== 'none') return undefined;
  return { code: 162, message: `Historical Market Data Service error message:No market data permissions for ${historicalExchangeName(info)} STK` };
}
