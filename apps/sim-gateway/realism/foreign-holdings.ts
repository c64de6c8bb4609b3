import type { ServerContract } from '../protocol/server-messages';
import type { SymbolInfo } from '../market';
import { SeededRandom } from '../market/seeded-random';
import { conIdForSymbol } from '../market/synthetic-universe';

/** The share-class symbol the realistic account holds and the market lists: IB writes it with a space. */
export const SHARE_CLASS_SYMBOL = 'BRK B';

/** A holding that never trades in the simulator (an option, a stock in another currency). */
export interface StaticHolding {
  contract: ServerContract;
  quantity: number;
  averageCost: number;
  /** Price per unit for portfolio messages (per share of the underlying for options, as IB reports). */
  marketPrice: number;
}

export interface ForeignHoldingsPlan {
  /** A long-held position in a stock the bots may well trade too. */
  stock: { symbol: string; quantity: number };
  /** The share-class symbol with a space. */
  shareClass: { symbol: string; quantity: number };
  /** Call options on stocks the bots may trade: same symbol, secType OPT. */
  options: Array<{ underlying: string; quantity: number }>;
  /** A stock in EUR on a German exchange. */
  euroStock: StaticHolding;
}

/**
 * What a real account holds besides the bots' trades (TWS API reality: the positions stream is
 * account-wide). Chosen deterministically from the seed among the tradable universe.
 */
export function foreignHoldingsPlan(seed: number, universe: readonly SymbolInfo[]): ForeignHoldingsPlan {
  const tradable = universe.filter((i) => i.symbol !== SHARE_CLASS_SYMBOL);
  const random = SeededRandom.from(seed, 'foreign-holdings');
  const pick = () => tradable[random.intBelow(tradable.length)]!.symbol;
  const stock = pick();
  const optionUnderlyings = new Set<string>();
  while (optionUnderlyings.size < 2) optionUnderlyings.add(pick());
  return {
    stock: { symbol: stock, quantity: 100 },
    shareClass: { symbol: SHARE_CLASS_SYMBOL, quantity: 15 },
    options: [...optionUnderlyings].map((underlying) => ({ underlying, quantity: 2 })),
    euroStock: {
      contract: { conId: conIdForSymbol('SAP@IBIS'), symbol: 'SAP', secType: 'STK', exchange: 'IBIS', primaryExchange: 'IBIS', currency: 'EUR', localSymbol: 'SAP', tradingClass: 'XETRA' },
      quantity: 40, averageCost: 118.4, marketPrice: 121.9,
    },
  };
}

/** An option contract as IB reports it: the underlying's symbol, its own conId, expiry, strike, right. */
export function optionContract(underlying: string, strike: number, expiry: string): ServerContract {
  const localSymbol = `${underlying.padEnd(6)}${expiry.slice(2)}C${String(Math.round(strike * 1000)).padStart(8, '0')}`;
  return {
    conId: conIdForSymbol(`OPT:${localSymbol}`), symbol: underlying, secType: 'OPT', exchange: 'SMART', currency: 'USD',
    localSymbol, tradingClass: underlying, lastTradeDateOrContractMonth: expiry, strike, right: 'C', multiplier: 100,
  };
}
