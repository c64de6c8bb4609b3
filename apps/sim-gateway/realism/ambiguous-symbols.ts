/**
 * Symbols that are ambiguous on SMART. Real IB answers error 200 "The contract description specified for
 * <SYM> is ambiguous." when a stock request routed SMART matches more than one listing (reports:
 * ib_insync #539 KWEB, QuantConnect Lean #4889 SPCE, SumZeroTrading #10 GDX/GLD, stoqey/ibkr #28 CSCO,
 * node-ib #153 MSFT). Setting `primaryExch` or `conId` resolves it ("you need to specify the
 * IBApi.Contract.PrimaryExch attribute to avoid ambiguity", TWS API docs, quoted in deephaven-ib #33).
 */
import type { MarketModel, SymbolInfo } from '../market';
import { SeededRandom } from '../market/seeded-random';
import type { ClientContract } from '../protocol/client-order-types';
import type { GatewayContext } from '../tcp/gateway-context';

/** About one symbol in ten, and at least two, so every universe has some. */
const SHARE = 0.1;
const MINIMUM = 2;

const cache = new WeakMap<MarketModel, ReadonlySet<string>>();

/**
 * The ambiguous subset of a universe: a pure function of the universe, which is itself a pure function of
 * the market seed (its symbols and conIds come from the seed), so the same seed always gives the same set.
 */
export function ambiguousSymbolSet(model: MarketModel): ReadonlySet<string> {
  const cached = cache.get(model);
  if (cached) return cached;
  const symbols = model.universe.map((info) => info.symbol).sort();
  const random = SeededRandom.from('ambiguous-on-smart', ...model.universe.map((info) => `${info.symbol}:${info.conId}`).sort());
  const count = Math.min(symbols.length, Math.max(MINIMUM, Math.round(symbols.length * SHARE)));
  // Partial Fisher-Yates: the first `count` places of a seeded shuffle.
  for (let i = 0; i < count; i++) {
    const j = i + random.intBelow(symbols.length - i);
    [symbols[i], symbols[j]] = [symbols[j]!, symbols[i]!];
  }
  const set: ReadonlySet<string> = new Set(symbols.slice(0, count).sort());
  cache.set(model, set);
  return set;
}

/** IB accepts ISLAND for NASDAQ listings as well. */
function listedOn(info: SymbolInfo, primaryExchange: string): boolean {
  const wanted = primaryExchange.toUpperCase();
  return wanted === info.primaryExchange || (info.primaryExchange === 'NASDAQ' && wanted === 'ISLAND');
}

/**
 * The error 200 a request for this contract gets while `realism.ambiguousSymbols` is on, else undefined.
 * Only SMART requests are ambiguous; a `conId`, or a `primaryExch` naming the symbol's listing, resolves
 * them; a `primaryExch` naming another exchange matches nothing.
 */
export function contractAmbiguity(ctx: GatewayContext, contract: ClientContract): { code: 200; message: string } | undefined {
  if (!ctx.realism.ambiguousSymbols) return undefined;
  const symbol = contract.symbol.toUpperCase();
  const info = ctx.info(symbol);
  if (!info || contract.exchange.toUpperCase() !== 'SMART' || !ambiguousSymbolSet(ctx.model).has(symbol)) return undefined;
  if (contract.conId !== undefined && contract.conId > 0) return undefined;
  if (contract.primaryExchange) {
    return listedOn(info, contract.primaryExchange) ? undefined : { code: 200, message: 'No security definition has been found for the request' };
  }
  return { code: 200, message: `The contract description specified for ${symbol} is ambiguous.` };
}
