import type { SymbolInfo } from '../market';
import type { ServerContract } from '../protocol/server-messages';

/** The simulator lists US stocks routed SMART, in USD, like IB's contract database does. */
export function contractFor(info: SymbolInfo): ServerContract {
  return {
    conId: info.conId,
    symbol: info.symbol,
    secType: 'STK',
    exchange: 'SMART',
    primaryExchange: info.primaryExchange,
    currency: 'USD',
    localSymbol: info.symbol,
    tradingClass: info.primaryExchange === 'NASDAQ' ? 'NMS' : info.symbol,
  };
}
