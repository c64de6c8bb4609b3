import type { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import type { ConnectionEvent, Quote } from '../../shared/broker/types';
import { EventRecorder } from '../helpers/order-events';
import type { SimGatewayProcess } from '../helpers/sim-gateway-process';
import { makeTempDir } from '../helpers/temp-dir';
import { waitUntil } from '../helpers/wait-until';
import { ibAdapter, orderIdDatabase, fileGateway } from '../contract/ib-adapter-harness';

type MarketDataEvent = Extract<ConnectionEvent, { kind: 'market_data' }>;
const isMarketData = (state: string) => (e: ConnectionEvent) => e.kind === 'market_data' && e.state === state;

/**
 * Market data is what the account's permissions give (a new IB account has delayed data only). Against a
 * real realistic sim-gateway whose permissions are switched live (`POST /realism {"marketData": ...}`):
 * `auto` falls back to delayed and says so, no data at all is `unavailable`, and `live` never falls back
 * silently.
 */
describe('IB adapter: market-data permissions against the realistic sim-gateway', () => {
  const temp = makeTempDir('adapter-market-data');
  const gatewayProcess = fileGateway(temp.dir, 'realistic');
  let gateway: SimGatewayProcess;
  let database: ReturnType<typeof orderIdDatabase>;
  const adapters: IbBrokerAdapter[] = [];
  const recorders: EventRecorder[] = [];
  let clientId = 70;

  /** A fresh connection (the market data type is per connection) that knows the symbols' conIds. */
  const connect = async (marketDataType: 'auto' | 'live' | 'delayed') => {
    const broker = ibAdapter(gateway.port, clientId++, database.orderIds, { marketDataType });
    adapters.push(broker);
    const events = new EventRecorder(broker);
    recorders.push(events);
    await broker.connect();
    const symbols = await broker.scan('MOST_ACTIVE', { rows: 10 });
    return { broker, events, symbol: symbols[0]! };
  };

  const collectQuotes = (broker: IbBrokerAdapter, symbol: string) => {
    const quotes: Quote[] = [];
    const unsubscribe = broker.subscribeQuotes(symbol, (quote) => quotes.push({ ...quote }));
    return { quotes, unsubscribe };
  };

  beforeAll(async () => {
    gateway = await gatewayProcess.start();
    database = orderIdDatabase(temp.dir);
  });
  afterAll(async () => {
    for (const events of recorders) events.close();
    for (const broker of adapters) await broker.disconnect();
    await gatewayProcess.stop();
    database?.close();
    temp.cleanup();
  });

  it('auto on a delayed-only account: falls back to delayed quotes, says so with a market_data event', async () => {
    await gateway.admin('POST /realism', { marketData: 'delayed' });
    const { broker, events, symbol } = await connect('auto');
    const { quotes, unsubscribe } = collectQuotes(broker, symbol);
    const quote = await waitUntil(() => quotes.find((q) => q.bid! > 0 && q.ask! > 0), 15_000, `a two-sided quote of ${symbol}`);
    expect(quote.delayed).toBe(true);
    expect(quotes.every((q) => q.delayed === true)).toBe(true);
    expect(broker.marketDataState()).toBe('delayed');
    const event = events.connectionEvents.find(isMarketData('delayed')) as MarketDataEvent | undefined;
    expect(event).toBeDefined();
    unsubscribe();
  });

  it('auto on an account without any market data: unavailable, and no quotes', async () => {
    await gateway.admin('POST /realism', { marketData: 'none' });
    const { broker, events, symbol } = await connect('auto');
    const { quotes, unsubscribe } = collectQuotes(broker, symbol);
    const event = (await events.waitForConnection(isMarketData('unavailable'), 15_000, 'market data unavailable')) as MarketDataEvent;
    expect(event.code).toBe(10168);
    expect(broker.marketDataState()).toBe('unavailable');
    // A round trip on the same socket: anything the gateway streamed for the subscription has arrived.
    await broker.currentTime();
    expect(quotes).toEqual([]);
    unsubscribe();
  });

  it('live on a delayed-only account: unavailable (10089), no silent fallback to delayed data', async () => {
    await gateway.admin('POST /realism', { marketData: 'delayed' });
    const { broker, events, symbol } = await connect('live');
    const { quotes, unsubscribe } = collectQuotes(broker, symbol);
    const event = (await events.waitForConnection(isMarketData('unavailable'), 15_000, 'market data unavailable')) as MarketDataEvent;
    expect(event.code).toBe(10089);
    await broker.currentTime();
    expect(broker.marketDataState()).toBe('unavailable');
    expect(quotes).toEqual([]);
    expect(events.connectionEvents.some(isMarketData('delayed'))).toBe(false);
    unsubscribe();
  });
});
