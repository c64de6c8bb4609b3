import type { BrokerPort, MarketDataState, Quote } from '../../shared/broker/types';
import type { RecordedLine, RecordingLogger } from './recording-logger';

/** What a symbol got: real-time ticks, IB's 15-minute delayed ticks (66-76), nothing, or no answer either way. */
export type SymbolData = 'live' | 'delayed' | 'none' | 'unknown';

export interface SymbolProbe {
  symbol: string;
  data: SymbolData;
  /** IB codes answered for this symbol's requests (354, 10089, 10167, 10168, 200, ...), oldest first. */
  codes: Array<{ code: number; message: string }>;
  quote?: { bid?: number; ask?: number; last?: number };
}

export interface MarketDataProbe {
  symbols: SymbolProbe[];
  /** The connection's market-data state at the end (the adapter's view: live, delayed, unavailable, unknown). */
  state: MarketDataState;
  /** The last state change the adapter announced, with the IB code behind it. */
  stateChange?: { state: MarketDataState; code?: number; message?: string };
  waitedMs: number;
}

/** A request refused for the contract, not for data permissions: no security definition, ambiguous on SMART. */
const CONTRACT_CODES = new Set([200]);
/** Notices that come with data (delayed data displayed, part of the data not subscribed): the request goes on. */
const ADVISORY_CODES = new Set([10090, 10091, 10167]);
/** Handled through the connection's market-data state (the adapter falls back to delayed, or gives up). */
const STATE_CODES = new Set([354, 10089, 10168]);

/**
 * Subscribes every test symbol at once with the configured MARKET_DATA_TYPE (the adapter does exactly what
 * the bots' adapters do: auto asks for live and falls back to delayed on 354/10089) and reports what
 * arrives for each: the first tick says live or delayed; the adapter declaring the data unavailable (10168,
 * or 354/10089 with MARKET_DATA_TYPE=live) ends every symbol still waiting as "none"; an error for one
 * symbol ends that symbol. Whatever is still silent after `timeoutMs` is "unknown".
 */
export function probeMarketData(broker: BrokerPort, symbols: readonly string[], recorder: RecordingLogger, timeoutMs: number): Promise<MarketDataProbe> {
  const startedMs = Date.now();
  const results = new Map<string, SymbolProbe>(symbols.map((symbol) => [symbol, { symbol, data: 'unknown', codes: [] }]));
  const latest = new Map<string, Quote>();
  const pending = new Set(symbols);
  const unsubscribes: Array<() => void> = [];
  let stateChange: MarketDataProbe['stateChange'];

  return new Promise<MarketDataProbe>((resolve) => {
    let done = false;
    const settle = (symbol: string, data: SymbolData) => {
      if (!pending.delete(symbol)) return;
      results.get(symbol)!.data = data;
      if (pending.size === 0) finish();
    };
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      offConnection();
      offLines();
      for (const unsubscribe of unsubscribes) unsubscribe();
      for (const result of results.values()) {
        result.codes = recorder.codesFor(result.symbol);
        const quote = latest.get(result.symbol);
        if (quote) result.quote = { bid: quote.bid, ask: quote.ask, last: quote.last };
      }
      resolve({ symbols: [...results.values()], state: broker.marketDataState(), stateChange, waitedMs: Date.now() - startedMs });
    };
    const timer = setTimeout(() => {
      pending.clear();
      finish();
    }, timeoutMs);
    const offConnection = broker.onConnectionEvent((event) => {
      if (event.kind !== 'market_data') return;
      stateChange = { state: event.state, code: event.code, message: event.message };
      if (event.state === 'unavailable') for (const symbol of [...pending]) settle(symbol, 'none');
    });
    const offLines = recorder.onLine((line: RecordedLine) => {
      const symbol = line.fields.symbol;
      const code = line.fields.code;
      if (typeof symbol !== 'string' || typeof code !== 'number' || !pending.has(symbol)) return;
      if (ADVISORY_CODES.has(code) || STATE_CODES.has(code)) return;
      settle(symbol, CONTRACT_CODES.has(code) ? 'unknown' : 'none');
    });
    for (const symbol of symbols) {
      unsubscribes.push(broker.subscribeQuotes(symbol, (quote) => {
        latest.set(symbol, { ...quote });
        settle(symbol, quote.delayed ? 'delayed' : 'live');
      }));
    }
    if (symbols.length === 0) finish();
  });
}
