import type { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import { EventRecorder } from '../helpers/order-events';
import type { SimGatewayProcess } from '../helpers/sim-gateway-process';
import { makeTempDir } from '../helpers/temp-dir';
import { waitUntil } from '../helpers/wait-until';
import { ibAdapter, orderIdDatabase, startProfileGateway, refFactory } from '../contract/ib-adapter-harness';

const SUBSCRIPTIONS = 60;

/**
 * An order never waits behind the adapter's data requests. `@stoqey/ib` paces a connection's messages in one
 * first-in-first-out queue; at 50 messages a second, 60 market-data subscriptions take 1.2 s to leave it. An
 * order placed just after them must reach the gateway at once (the adapter paces its own data requests below
 * the library's rate), and every subscription must still be served.
 */
describe('IB adapter: orders go ahead of paced data requests (real sim-gateway)', () => {
  const temp = makeTempDir('adapter-pacing');
  let gateway: SimGatewayProcess | undefined;
  let database: ReturnType<typeof orderIdDatabase>;
  let broker: IbBrokerAdapter;
  let events: EventRecorder;
  const ref = refFactory('PACE');

  beforeAll(async () => {
    gateway = await startProfileGateway(temp.dir, 'ideal', { SIM_UNIVERSE_SIZE: String(SUBSCRIPTIONS + 10) });
    database = orderIdDatabase(temp.dir);
    broker = ibAdapter(gateway.port, 81, database.orderIds, { maxRequestsPerSecond: 50 });
    events = new EventRecorder(broker);
    await broker.connect();
  });
  afterAll(async () => {
    events?.close();
    await broker?.disconnect();
    await gateway?.stop();
    database?.close();
    temp.cleanup();
  });

  it('an order placed after 60 subscriptions is acknowledged before most of them are served; all are served', async () => {
    const { symbols } = await gateway!.admin<{ symbols: string[] }>('GET /universe');
    const [orderSymbol, ...rest] = symbols;
    const subscribed = rest.slice(0, SUBSCRIPTIONS);
    expect(subscribed).toHaveLength(SUBSCRIPTIONS);
    // The order's contract first, so the order itself is one message.
    await broker.contractOf(orderSymbol!);
    const quoted = new Set<string>();
    const unsubscribes = subscribed.map((symbol) => broker.subscribeQuotes(symbol, () => quoted.add(symbol)));
    const orderRef = ref('far-bid');
    await broker.placeOrder({ orderRef, symbol: orderSymbol!, side: 'BUY', quantity: 1, type: 'LMT', limitPrice: 1, tif: 'DAY' });
    await events.waitForOrder((e) => e.kind === 'accepted' && e.ref === orderRef, 10_000, 'the order acknowledged');
    // Behind a FIFO of 60 requests the acknowledgement would follow every subscription's first quote (one socket,
    // answered in order); paced, it comes after a window's worth of them.
    const servedBeforeOrder = quoted.size;
    expect(servedBeforeOrder).toBeLessThan(SUBSCRIPTIONS / 2);
    await waitUntil(() => quoted.size === SUBSCRIPTIONS || undefined, 15_000, `quotes for all ${SUBSCRIPTIONS} subscriptions (had ${quoted.size})`);
    for (const unsubscribe of unsubscribes) unsubscribe();
  });
});
