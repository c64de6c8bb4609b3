import type { BrokerPort, ConnectionEvent, MarketDataState, Quote } from '../../../shared/broker/types';
import { silentLogger } from '../../../shared/log/logger';
import { probeMarketData } from '../../../scripts/doctor/market-data-probe';
import { RecordingLogger } from '../../../scripts/doctor/recording-logger';

/** Just what the probe uses of a broker: quotes, connection events, the market-data state. */
class QuoteStub {
  state: MarketDataState = 'unknown';
  readonly listeners = new Map<string, (quote: Quote) => void>();
  readonly unsubscribed: string[] = [];
  private connection: ((event: ConnectionEvent) => void) | undefined;

  subscribeQuotes(symbol: string, listener: (quote: Quote) => void): () => void {
    this.listeners.set(symbol, listener);
    return () => this.unsubscribed.push(symbol);
  }
  onConnectionEvent(listener: (event: ConnectionEvent) => void): () => void {
    this.connection = listener;
    return () => (this.connection = undefined);
  }
  marketDataState(): MarketDataState {
    return this.state;
  }
  tick(symbol: string, delayed: boolean): void {
    this.listeners.get(symbol)!({ symbol, bid: 10, ask: 10.1, receivedAtMs: Date.now(), delayed });
  }
  marketData(state: MarketDataState, code?: number): void {
    this.state = state;
    this.connection?.({ kind: 'market_data', state, code });
  }
}

const asBroker = (stub: QuoteStub) => stub as unknown as BrokerPort;

describe('probeMarketData', () => {
  it('reports live or delayed per symbol from the first tick, with the codes the adapter logged for it, and unsubscribes', async () => {
    const stub = new QuoteStub();
    const log = new RecordingLogger(silentLogger());
    const done = probeMarketData(asBroker(stub), ['AAA', 'BBB'], log, 10_000);
    log.warn('market_data_falling_back_to_delayed', { symbol: 'BBB', code: 10089, message: 'delayed available' });
    stub.tick('AAA', false);
    stub.tick('BBB', true);
    const probe = await done;
    expect(probe.symbols).toEqual([
      { symbol: 'AAA', data: 'live', codes: [], quote: { bid: 10, ask: 10.1, last: undefined } },
      { symbol: 'BBB', data: 'delayed', codes: [{ code: 10089, message: 'delayed available' }], quote: { bid: 10, ask: 10.1, last: undefined } },
    ]);
    expect(stub.unsubscribed.sort()).toEqual(['AAA', 'BBB']);
  });

  it('ends every waiting symbol as "none" as soon as the adapter declares the data unavailable', async () => {
    const stub = new QuoteStub();
    const done = probeMarketData(asBroker(stub), ['AAA', 'BBB'], new RecordingLogger(silentLogger()), 60_000);
    stub.marketData('unavailable', 10168);
    const probe = await done;
    expect(probe.symbols.map((s) => s.data)).toEqual(['none', 'none']);
    expect(probe.stateChange).toEqual({ state: 'unavailable', code: 10168, message: undefined });
  });

  it('ends one symbol on an error of its own: a contract problem is "unknown", a refusal "none"; advisories do not end it', async () => {
    const stub = new QuoteStub();
    const log = new RecordingLogger(silentLogger());
    const done = probeMarketData(asBroker(stub), ['AAA', 'BBB', 'CCC'], log, 60_000);
    log.debug('market_data_advisory', { symbol: 'CCC', code: 10167, message: 'displaying delayed' });
    log.warn('market_data_error', { symbol: 'AAA', code: 200, message: 'ambiguous' });
    log.warn('market_data_error', { symbol: 'BBB', code: 10197, message: 'competing session' });
    stub.tick('CCC', true);
    const probe = await done;
    expect(probe.symbols.map((s) => [s.symbol, s.data])).toEqual([['AAA', 'unknown'], ['BBB', 'none'], ['CCC', 'delayed']]);
  });

  it('gives up after the timeout: what stayed silent is "unknown", not "none"', async () => {
    const stub = new QuoteStub();
    const probe = await probeMarketData(asBroker(stub), ['AAA'], new RecordingLogger(silentLogger()), 30);
    expect(probe.symbols[0]).toMatchObject({ symbol: 'AAA', data: 'unknown' });
  });
});
