import { spawn } from 'node:child_process';
import path from 'node:path';
import type { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import type { ConnectionEvent, OrderEvent, OrderRequest } from '../../shared/broker/types';
import { EventRecorder } from '../helpers/order-events';
import type { SimGatewayProcess } from '../helpers/sim-gateway-process';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';
import { waitUntil } from '../helpers/wait-until';
import { gatewayState, ibAdapter, orderIdDatabase, refFactory, fileGateway } from '../contract/ib-adapter-harness';

/**
 * IB's nextValidId is not durable: after a gateway restart it can start again below ids already used, and
 * IB refuses a reused id (103). Each process keeps its own high-water mark in the bots' database
 * (order_id_high_water). Here it is wired for real: the adapter gets `createRepositories(db).orderIds` of a
 * real SQLite file, the gateway restarts with its ids going backwards, and a new adapter object and a new
 * OS process on the same database must still never send an id at or below one used before.
 */
const CLIENT_ID = 41;

describe('IB adapter: order ids never go backwards across gateway and process restarts', () => {
  const temp = makeTempDir('adapter-order-ids');
  const gatewayProcess = fileGateway(temp.dir, 'realistic');
  let gateway: SimGatewayProcess;
  let database: ReturnType<typeof orderIdDatabase>;
  const adapters: IbBrokerAdapter[] = [];
  const recorders: EventRecorder[] = [];
  const ref = refFactory('OID');
  let symbol = '';
  let limitPrice = 0;
  /** Every order this test sent, in order, with the id it went out with. */
  const sent: Array<{ orderRef: string; orderId: number }> = [];

  const order = (orderRef: string): OrderRequest => ({ orderRef, symbol, side: 'BUY', quantity: 1, type: 'LMT', limitPrice, tif: 'DAY' });

  const newAdapter = () => {
    const adapter = ibAdapter(gateway.port, CLIENT_ID, database.orderIds);
    adapters.push(adapter);
    const events = new EventRecorder(adapter);
    recorders.push(events);
    return { adapter, events };
  };

  /** Places orders and waits until the gateway accepted each one (a 103 would come as `rejected`). */
  const placeAccepted = async (adapter: IbBrokerAdapter, events: EventRecorder, count: number) => {
    for (let i = 0; i < count; i++) {
      const orderRef = ref('order');
      const orderId = await adapter.placeOrder(order(orderRef));
      sent.push({ orderRef, orderId });
      const outcome = await events.waitForOrder((e) => (e.kind === 'accepted' || e.kind === 'rejected') && e.ref === orderRef, 10_000, `the gateway's answer to ${orderRef}`);
      expect(outcome).toMatchObject({ kind: 'accepted', orderId });
      // A NEW order at the gateway: an id reused while its first order still works would MODIFY that order.
      expect((await gatewayState(gateway, orderRef)).orders.map((o) => [o.clientId, o.orderId])).toEqual([[CLIENT_ID, orderId]]);
    }
  };

  const maxIdSent = () => Math.max(...sent.map((s) => s.orderId));
  const clientConnected = async () => (await gateway.admin<{ clients: number[] }>('GET /health')).clients.includes(CLIENT_ID);

  beforeAll(async () => {
    gateway = await gatewayProcess.start();
    database = orderIdDatabase(temp.dir, 'order-ids-test');
    const { ambiguousSymbols } = await gateway.admin<{ ambiguousSymbols: string[] }>('GET /realism');
    const scout = ibAdapter(gateway.port, 40, database.orderIds);
    adapters.push(scout);
    await scout.connect();
    symbol = (await scout.scan('MOST_ACTIVE', { rows: 20 })).find((s) => !ambiguousSymbols.includes(s))!;
    const { snapshot } = await gateway.admin<{ snapshot: { last: number } }>('POST /faults/jump', { symbol, pct: 0 });
    limitPrice = Math.round(snapshot.last * 50) / 100; // far below the market: the orders stay working
    await scout.disconnect();
  });
  afterAll(async () => {
    for (const events of recorders) events.close();
    for (const adapter of adapters) await adapter.disconnect();
    await gatewayProcess.stop();
    database?.close();
    temp.cleanup();
  });

  it('keeps ids increasing in the same adapter, in a brand-new adapter object and in a new process after the gateway\'s ids went backwards', async () => {
    const first = newAdapter();
    await first.adapter.connect();
    await placeAccepted(first.adapter, first.events, 3);
    const highBeforeRestart = maxIdSent();

    // The gateway restarts and hands out ids from 1 again, below those already used.
    await gateway.admin('POST /quirks/ids-backwards', { on: true });
    const seen = first.events.connectionEvents.length;
    await gateway.admin('POST /faults/restart', { downMs: 300 });
    const reconnected = await first.events.waitForConnection((e) => e.kind === 'connected', 15_000, 'reconnect after the restart', seen);
    expect((reconnected as Extract<ConnectionEvent, { kind: 'connected' }>).nextValidId).toBeLessThanOrEqual(highBeforeRestart);
    await placeAccepted(first.adapter, first.events, 2);

    // A process restart: the old adapter is gone, a brand-new one starts with nothing in memory.
    await first.adapter.disconnect();
    await waitUntil(async () => !(await clientConnected()), 10_000, `client ${CLIENT_ID} gone from the gateway`, 50);
    const second = newAdapter();
    const info = await second.adapter.connect();
    expect(info.nextValidId).toBeLessThanOrEqual(highBeforeRestart);
    await placeAccepted(second.adapter, second.events, 2);
    await second.adapter.disconnect();
    await waitUntil(async () => !(await clientConnected()), 10_000, `client ${CLIENT_ID} gone from the gateway`, 50);

    // And a real new OS process on the same database file.
    const child = await placeFromChildProcess({
      port: gateway.port, clientId: CLIENT_ID, dbPath: path.join(temp.dir, 'trading.db'), request: order(ref('child')),
    });
    expect(child.nextValidId).toBeLessThanOrEqual(highBeforeRestart);
    expect(child.event).toMatchObject({ kind: 'accepted', orderId: child.orderId });
    sent.push({ orderRef: child.event.ref, orderId: child.orderId });

    // Every id above every id sent before it, nothing refused as a duplicate, every order at the gateway.
    const ids = sent.map((s) => s.orderId);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    const refusals = recorders.flatMap((r) => [
      ...r.orderEvents.filter((e) => e.kind === 'rejected' || e.kind === 'order_error').map((e) => (e as { code: number }).code),
      ...r.connectionEvents.filter((e) => e.kind === 'error').map((e) => (e as { code: number }).code),
    ]);
    expect(refusals).not.toContain(103);
    const atGateway = (await gatewayState(gateway)).orders.filter((o) => o.clientId === CLIENT_ID);
    expect(atGateway.map((o) => [o.orderRef, o.orderId]).sort()).toEqual(sent.map((s) => [s.orderRef, s.orderId]).sort());
    expect(database.orderIds.lastUsed(CLIENT_ID)).toBeGreaterThanOrEqual(maxIdSent());
  });
});

interface ChildResult {
  nextValidId: number;
  orderId: number;
  event: Extract<OrderEvent, { kind: 'accepted' | 'rejected' }>;
}

/** Runs the compiled adapter in a new node process: connect, place one order, report the gateway's answer. */
async function placeFromChildProcess(input: { port: number; clientId: number; dbPath: string; request: OrderRequest }): Promise<ChildResult> {
  const script = `
    const { IbBrokerAdapter } = require(${JSON.stringify(distFile('shared/broker/ib/ib-broker-adapter.ts'))});
    const { openDatabase, createRepositories } = require(${JSON.stringify(distFile('shared/db/index.ts'))});
    const { silentLogger } = require(${JSON.stringify(distFile('shared/log/logger.ts'))});
    const { SystemClock } = require(${JSON.stringify(distFile('shared/time/clock.ts'))});
    const input = JSON.parse(process.env.CHILD_INPUT);
    (async () => {
      const db = openDatabase(input.dbPath);
      const { orderIds } = createRepositories(db, new SystemClock(), 'child-process');
      const adapter = new IbBrokerAdapter({
        host: '127.0.0.1', port: input.port, clientId: input.clientId, connectTimeoutMs: 5000, requestTimeoutMs: 5000,
        livenessIntervalMs: 250, livenessTimeoutMs: 2000, reconnectMaxDelayMs: 500, log: silentLogger(), orderIds,
      });
      const info = await adapter.connect();
      const answered = new Promise((resolve) => adapter.onOrderEvent((e) => {
        if (e.ref === input.request.orderRef && (e.kind === 'accepted' || e.kind === 'rejected')) resolve(e);
      }));
      const orderId = await adapter.placeOrder(input.request);
      const event = await answered;
      process.stdout.write(JSON.stringify({ nextValidId: info.nextValidId, orderId, event }));
      await adapter.disconnect();
      db.close();
      process.exit(0);
    })().catch((error) => {
      process.stderr.write(String(error && error.stack || error));
      process.exit(1);
    });
  `;
  const child = spawn(process.execPath, ['-e', script], { env: testEnv({ CHILD_INPUT: JSON.stringify(input) }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  if (code !== 0) throw new Error(`the child adapter process exited with ${code}: ${stderr}`);
  return JSON.parse(stdout) as ChildResult;
}
