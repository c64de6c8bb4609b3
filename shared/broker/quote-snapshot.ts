import { BrokerTimeout } from '../errors/errors';
import type { BrokerPort, Quote } from './types';

/** Waits for the first two-sided quote of a symbol (bid and ask), then unsubscribes. */
export function quoteSnapshot(broker: BrokerPort, symbol: string, timeoutMs: number): Promise<Quote> {
  return new Promise((resolve, reject) => {
    let unsubscribe: (() => void) | undefined;
    const timer = setTimeout(() => {
      unsubscribe?.();
      reject(new BrokerTimeout(`no two-sided quote for ${symbol} within ${timeoutMs} ms`));
    }, timeoutMs);
    unsubscribe = broker.subscribeQuotes(symbol, (quote) => {
      if (!(quote.bid! > 0) || !(quote.ask! > 0)) return;
      clearTimeout(timer);
      unsubscribe?.();
      resolve({ ...quote });
    });
  });
}
