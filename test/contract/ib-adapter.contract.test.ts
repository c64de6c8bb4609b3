import { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import { silentLogger } from '../../shared/log/logger';
import { quoteSnapshot } from '../../shared/broker/quote-snapshot';
import { makeTempDir } from '../helpers/temp-dir';
import { startSimGateway, type SimGatewayProcess } from '../helpers/sim-gateway-process';
import { brokerContractSuite, type BrokerHarness } from './broker-contract-suite';

const temp = makeTempDir('contract-ib');
let gateway: SimGatewayProcess;
const adapters: IbBrokerAdapter[] = [];

function adapter(port: number, clientId: number): IbBrokerAdapter {
  let next = 0;
  const broker = new IbBrokerAdapter({
    host: '127.0.0.1', port, clientId, connectTimeoutMs: 3_000, requestTimeoutMs: 5_000, livenessIntervalMs: 250, livenessTimeoutMs: 1_000,
    reconnectMaxDelayMs: 500, log: silentLogger(),
    orderIds: { reserve: (_c, brokerNext) => (next = Math.max(next + 1, brokerNext)) },
  });
  adapters.push(broker);
  return broker;
}

/** The unmodified @stoqey/ib client, through our adapter, against a real sim-gateway process on loopback. */
brokerContractSuite('IB adapter against sim-gateway', async (): Promise<BrokerHarness> => {
  gateway = await startSimGateway({ dir: temp.dir, speed: 10, dayStart: '09:45' });
  const broker = adapter(gateway.port, 21);
  const otherClient = adapter(gateway.port, 22);
  await broker.connect();
  await otherClient.connect();
  const symbols = await broker.scan('MOST_ACTIVE', { rows: 20 });
  const last = async (symbol: string) => {
    const state = await gateway.admin<{ snapshot: { last: number } }>('POST /faults/jump', { symbol, pct: 0 });
    return state.snapshot.last;
  };
  return {
    broker, otherClient, symbols, eventTimeoutMs: 5_000,
    lastPrice: last,
    insideSize: async (symbol) => (await quoteSnapshot(broker, symbol, 3_000)).askSize ?? 100,
    movePrice: async (symbol, pct) => {
      await gateway.admin('POST /faults/jump', { symbol, pct });
    },
    rejectNext: async (count) => {
      await gateway.admin('POST /faults/reject-next', { count });
    },
    restartGateway: async () => {
      await gateway.admin('POST /faults/restart', { downMs: 300 });
    },
    silenceGateway: async () => {
      await gateway.admin('POST /faults/silence', { on: true });
    },
    resumeGateway: async () => {
      await gateway.admin('POST /faults/silence', { on: false });
    },
    refsAtBroker: async () => (await gateway.admin<{ orders: Array<{ orderRef: string }> }>('GET /state')).orders.map((o) => o.orderRef),
  };
}, async () => {
  for (const a of adapters) await a.disconnect();
  await gateway?.stop();
  temp.cleanup();
});
