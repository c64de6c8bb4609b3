import { FakeBroker } from '../../shared/broker/fake/fake-broker';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { brokerContractSuite, type BrokerHarness } from './broker-contract-suite';

/** The fake models one account seen by two clients: the second shares the first's positions. */
brokerContractSuite('in-memory fake', async (): Promise<BrokerHarness> => {
  const clock = new ManualClock(newYorkTime('2026-11-23', '10:00'));
  const broker = new FakeBroker(clock, { clientId: 1, cash: 10_000_000 });
  const symbols = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF', 'GGG', 'HHH', 'III', 'JJJ'];
  for (const [i, s] of symbols.entries()) broker.setPrice(s, 20 + i * 5, { liquidity: 500 });
  await broker.connect();
  const prices = new Map(symbols.map((s, i) => [s, 20 + i * 5]));
  // A second client: same account state (positions), its own order ownership for cancels.
  const otherClient = Object.create(broker) as FakeBroker;
  Object.defineProperty(otherClient, 'clientId', { value: 2 });
  otherClient.cancelOrder = async (orderId) => {
    // Orders belong to client 1; IB answers another client's cancel with 10147.
    queueMicrotask(() => (broker as unknown as { events: { emit: (n: string, e: unknown) => void } }).events.emit('connection', { kind: 'error', code: 10147, message: `OrderId ${orderId} that needs to be cancelled is not found.`, reqId: orderId }));
  };
  return {
    broker, otherClient, symbols, eventTimeoutMs: 2_000,
    lastPrice: async (s) => prices.get(s)!,
    insideSize: async () => 500,
    movePrice: async (s, pct) => {
      const next = Math.round(prices.get(s)! * (1 + pct / 100) * 100) / 100;
      prices.set(s, next);
      broker.setPrice(s, next);
    },
    rejectNext: async (n) => {
      broker.rejectNext = n;
    },
    restartGateway: async () => {
      broker.simulateDisconnect('restart');
      await broker.connect();
    },
    silenceGateway: async () => broker.simulateDisconnect('silent'),
    resumeGateway: async () => {
      await broker.connect();
    },
    refsAtBroker: async () => broker.sent.map((s) => s.request.orderRef),
  };
}, async () => undefined);
