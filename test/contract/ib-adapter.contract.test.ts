import type { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import { makeTempDir } from '../helpers/temp-dir';
import { brokerContractSuite, type BrokerHarness } from './broker-contract-suite';
import { fileGateway, ibAdapter, orderIdDatabase, type SimProfile } from './ib-adapter-harness';

/**
 * The unmodified @stoqey/ib client, through our adapter, against a real sim-gateway process on loopback, on
 * BOTH simulator profiles: realistic (what a real IB Gateway does: positions reported late, executions
 * behind their statuses, corrections, delayed-only market data, ambiguous symbols, holdings the bots never
 * bought) and ideal (tidy and synchronous). Order ids come from the bots' real high-water-mark table.
 */
function adapterContract(profile: SimProfile): void {
  const temp = makeTempDir(`contract-ib-${profile}`);
  const gatewayProcess = fileGateway(temp.dir, profile);
  let database: ReturnType<typeof orderIdDatabase> | undefined;
  const adapters: IbBrokerAdapter[] = [];

  brokerContractSuite(`IB adapter against sim-gateway (${profile} profile)`, async (): Promise<BrokerHarness> => {
    const gw = await gatewayProcess.start();
    database = orderIdDatabase(temp.dir, `contract-${profile}`);
    const adapter = (clientId: number) => {
      const broker = ibAdapter(gw.port, clientId, database!.orderIds, { requestTimeoutMs: 5_000, livenessTimeoutMs: 1_000, marketDataType: 'auto' });
      adapters.push(broker);
      return broker;
    };
    const broker = adapter(21);
    const otherClient = adapter(22);
    await broker.connect();
    await otherClient.connect();
    // Symbols from the scanner carry their conIds: on the realistic profile some are ambiguous on SMART.
    const symbols = await broker.scan('MOST_ACTIVE', { rows: 20 });
    const snapshot = async (symbol: string) => (await gw.admin<{ snapshot: { last: number; askSize: number } }>('POST /faults/jump', { symbol, pct: 0 })).snapshot;
    return {
      broker, otherClient, symbols, eventTimeoutMs: 5_000,
      lastPrice: async (symbol) => (await snapshot(symbol)).last,
      // The simulator's own touch: a client's quote may be 15 minutes old (delayed data on the realistic
      // profile), and its first two-sided callback can come before the ask size tick.
      insideSize: async (symbol) => (await snapshot(symbol)).askSize,
      movePrice: async (symbol, pct) => {
        await gw.admin('POST /faults/jump', { symbol, pct });
      },
      rejectNext: async (count) => {
        await gw.admin('POST /faults/reject-next', { count });
      },
      restartGateway: async () => {
        await gw.admin('POST /faults/restart', { downMs: 300 });
      },
      silenceGateway: async () => {
        await gw.admin('POST /faults/silence', { on: true });
      },
      resumeGateway: async () => {
        await gw.admin('POST /faults/silence', { on: false });
      },
      refsAtBroker: async () => (await gw.admin<{ orders: Array<{ orderRef: string }> }>('GET /state')).orders.map((o) => o.orderRef),
    };
  }, async () => {
    for (const a of adapters.splice(0)) await a.disconnect();
    await gatewayProcess.stop();
    database?.close();
    temp.cleanup();
  });
}

adapterContract('realistic');
adapterContract('ideal');
