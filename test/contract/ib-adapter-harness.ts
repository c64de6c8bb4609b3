import path from 'node:path';
import { IbBrokerAdapter, type IbAdapterOptions } from '../../shared/broker/ib/ib-broker-adapter';
import { createRepositories, openDatabase, type Db, type OrderIdHighWater } from '../../shared/db';
import { silentLogger } from '../../shared/log/logger';
import { SystemClock } from '../../shared/time/clock';
import { startSimGateway, type SimGatewayProcess } from '../helpers/sim-gateway-process';

export { stockQuantity, latestExecutions } from './broker-contract-suite';

/**
 * What the adapter tests share: a real sim-gateway process on an explicit profile, the persisted order-id
 * high-water mark of a real SQLite file (never an in-memory stub: the mark is what keeps ids increasing
 * across gateway and process restarts), and adapters wired like a bot's.
 */
export type SimProfile = 'realistic' | 'ideal';

export function startProfileGateway(dir: string, profile: SimProfile, extraEnv: Record<string, string> = {}): Promise<SimGatewayProcess> {
  return startSimGateway({ dir, speed: 10, dayStart: '09:45', extraEnv: { SIM_PROFILE: profile, ...extraEnv } });
}

/**
 * A test file's gateway. `stop` also ends a gateway whose start outlived a timed-out beforeAll (jest moves
 * on to afterAll while the start is still pending; a process left running keeps jest from exiting).
 */
export function fileGateway(dir: string, profile: SimProfile): { start: () => Promise<SimGatewayProcess>; stop: () => Promise<void> } {
  let starting: Promise<SimGatewayProcess> | undefined;
  return {
    start: () => (starting = startProfileGateway(dir, profile)),
    stop: async () => {
      const gateway = await starting?.catch(() => undefined);
      await gateway?.stop();
    },
  };
}

/** The order-id repository of the bots' own database file (shared/db), as createBroker gets it. */
export function orderIdDatabase(dir: string, app = 'adapter-test'): { db: Db; orderIds: OrderIdHighWater; close: () => void } {
  const db = openDatabase(path.join(dir, 'trading.db'));
  const { orderIds } = createRepositories(db, new SystemClock(), app);
  return { db, orderIds, close: () => db.close() };
}

export type AdapterOverrides = Partial<Omit<IbAdapterOptions, 'host' | 'port' | 'clientId' | 'orderIds'>>;

export function ibAdapter(port: number, clientId: number, orderIds: IbAdapterOptions['orderIds'], overrides: AdapterOverrides = {}): IbBrokerAdapter {
  return new IbBrokerAdapter({
    host: '127.0.0.1', port, clientId, connectTimeoutMs: 5_000, requestTimeoutMs: 5_000, livenessIntervalMs: 250, livenessTimeoutMs: 2_000,
    reconnectMaxDelayMs: 500, maxRequestsPerSecond: 200, log: silentLogger(), orderIds, ...overrides,
  });
}

export interface GatewayOrder {
  clientId: number;
  orderId: number;
  permId: number;
  orderRef: string;
  symbol: string;
  status: string;
  lmtPrice?: number;
  totalQuantity: number;
  filled: number;
}

export interface GatewayState {
  orders: GatewayOrder[];
  executions: Array<{ execId: string; orderRef: string; clientId: number; orderId: number; shares: number; price: number }>;
  positions: Array<{ symbol: string; quantity: number }>;
  faults: Record<string, unknown>;
}

export function gatewayState(gateway: SimGatewayProcess, refPrefix?: string): Promise<GatewayState> {
  return gateway.admin<GatewayState>(refPrefix ? `GET /state?refPrefix=${encodeURIComponent(refPrefix)}` : 'GET /state');
}

/** A unique order ref per test run, so a gateway state read can be filtered to one test's orders. */
export function refFactory(prefix: string): (label: string) => string {
  const run = Date.now().toString(36);
  let n = 0;
  return (label) => `${prefix}-${run}-${label}-${++n}`;
}
