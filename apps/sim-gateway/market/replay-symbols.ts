import type { SymbolInfo } from './market-types';
import { uniqueConId } from './synthetic-universe';

/** Contract details of the symbols in the shared real-data folder; anything else gets neutral defaults. */
const KNOWN_LISTINGS: Record<string, Omit<SymbolInfo, 'symbol' | 'conId'>> = {
  SPY: { longName: 'SPDR S&P 500 ETF Trust', primaryExchange: 'ARCA', industry: 'Exchange Traded Fund' },
  AAPL: { longName: 'Apple Inc.', primaryExchange: 'NASDAQ', industry: 'Computers' },
  IBM: { longName: 'International Business Machines Corp.', primaryExchange: 'NYSE', industry: 'Computers' },
  BAC: { longName: 'Bank of America Corp.', primaryExchange: 'NYSE', industry: 'Banks' },
  AIG: { longName: 'American International Group Inc.', primaryExchange: 'NYSE', industry: 'Insurance' },
  TWX: { longName: 'Time Warner Inc.', primaryExchange: 'NYSE', industry: 'Media' },
};

export function replaySymbolInfo(symbol: string, usedConIds: Set<number>): SymbolInfo {
  const listing = KNOWN_LISTINGS[symbol] ?? { longName: `${symbol} (replayed)`, primaryExchange: 'NYSE' as const, industry: 'Unknown' };
  return { symbol, conId: uniqueConId(symbol, usedConIds), ...listing };
}
