import { EventName, IBApi } from '@stoqey/ib';
import type { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import type { Quote } from '../../shared/broker/types';
import { accountProblemForMode } from '../../shared/config/safety';
import { AccountMismatchError, BrokerUnavailable } from '../../shared/errors/errors';
import { EventRecorder } from '../helpers/order-events';
import type { SimGatewayProcess } from '../helpers/sim-gateway-process';
import { makeTempDir } from '../helpers/temp-dir';
import { waitUntil } from '../helpers/wait-until';
import { gatewayState, ibAdapter, orderIdDatabase, refFactory, fileGateway, type AdapterOverrides } from '../contract/ib-adapter-harness';

/**
 * The handshake and the gateway's link to IB, against a real realistic sim-gateway: managedAccounts after
 * nextValidId, the account check, and the connectivity notices 1100 (link lost: the socket still answers,
 * nothing reaches the exchange), 1102 (restored, data kept) and 1101 (restored, data lost: resubscribe).
 */
describe('IB adapter: handshake order and IB connectivity against the realistic sim-gateway', () => {
  const temp = makeTempDir('adapter-connectivity');
  const gatewayProcess = fileGateway(temp.dir, 'realistic');
  let gateway: SimGatewayProcess;
  let database: ReturnType<typeof orderIdDatabase>;
  let accountId = '';
  const adapters: IbBrokerAdapter[] = [];
  const ref = refFactory('CX');

  const adapter = (clientId: number, overrides: AdapterOverrides = {}) => {
    const broker = ibAdapter(gateway.port, clientId, database.orderIds, overrides);
    adapters.push(broker);
    return broker;
  };

  beforeAll(async () => {
    gateway = await gatewayProcess.start();
    database = orderIdDatabase(temp.dir);
    accountId = (await gateway.admin<{ accountId: string }>('GET /health')).accountId;
  });
  afterAll(async () => {
    for (const broker of adapters) await broker.disconnect();
    await gatewayProcess.stop();
    database?.close();
    temp.cleanup();
  });

  it('the realistic gateway really sends managedAccounts AFTER nextValidId (seen by a raw IBApi)', async () => {
    const ib = new IBApi({ host: '127.0.0.1', port: gateway.port, clientId: 59 });
    const order: string[] = [];
    const both = new Promise<void>((resolve) => {
      const note = (what: string) => {
        order.push(what);
        if (order.length === 2) resolve();
      };
      ib.once(EventName.nextValidId, () => note('nextValidId'));
      ib.once(EventName.managedAccounts, () => note('managedAccounts'));
    });
    ib.connect();
    await both;
    ib.disconnect();
    expect(order).toEqual(['nextValidId', 'managedAccounts']);
  });

  it('connects and reports the DU account although managedAccounts comes after nextValidId; the account check sees it', async () => {
    const checked: string[][] = [];
    const broker = adapter(51, {
      verifyAccounts: (accounts) => {
        checked.push([...accounts]);
        return accountProblemForMode('SIM', accountId, accounts);
      },
    });
    const info = await broker.connect();
    expect(info.accounts).toEqual([accountId]);
    expect(accountId).toMatch(/^DU\d{7}$/);
    expect(checked).toEqual([[accountId]]);
    expect(broker.isConnected()).toBe(true);
  });

  it('refuses a gateway whose account is not IB_ACCOUNT, for good', async () => {
    const broker = adapter(52, { verifyAccounts: (accounts) => accountProblemForMode('SIM', 'DU9999999', accounts) });
    const events = new EventRecorder(broker);
    await expect(broker.connect()).rejects.toBeInstanceOf(AccountMismatchError);
    expect(broker.isConnected()).toBe(false);
    await expect(broker.placeOrder({ orderRef: ref('wrong-account'), symbol: 'ANY', side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' })).rejects.toBeInstanceOf(BrokerUnavailable);
    // No reconnect loop either: a wrong account does not become right by retrying.
    await expect(broker.connect()).rejects.toBeInstanceOf(AccountMismatchError);
    expect(events.connectionEvents.some((e) => e.kind === 'connected')).toBe(false);
    events.close();
  });

  it('1100: not connected and nothing is sent; 1102: connected again and orders go through; 1101: quotes are resubscribed', async () => {
    const broker = adapter(53, { marketDataType: 'auto' });
    const events = new EventRecorder(broker);
    await broker.connect();
    // Symbols from the broker's own scan: it knows their conIds (some are ambiguous on SMART).
    const symbol = (await broker.scan('MOST_ACTIVE', { rows: 10 }))[0]!;
    const quotes: Quote[] = [];
    const unsubscribe = broker.subscribeQuotes(symbol, (quote) => quotes.push({ ...quote }));
    await waitUntil(() => quotes.length > 0, 15_000, `quotes of ${symbol}`);

    // 1100: the socket stays up and answers, but the gateway has no link to IB.
    let seen = events.connectionEvents.length;
    await gateway.admin('POST /quirks/connectivity', { code: 1100 });
    await events.waitForConnection((e) => e.kind === 'disconnected', 10_000, 'disconnected on 1100', seen);
    expect(broker.isConnected()).toBe(false);
    const refusedRef = ref('during-1100');
    await expect(broker.placeOrder({ orderRef: refusedRef, symbol, side: 'BUY', quantity: 5, type: 'MKT', tif: 'DAY' })).rejects.toBeInstanceOf(BrokerUnavailable);
    // A round trip on the same socket: whatever the adapter had sent before it has reached the gateway.
    await broker.currentTime();
    expect((await gatewayState(gateway, refusedRef)).orders).toEqual([]);

    // 1102: restored with data kept: the adapter says connected again, and orders go out and fill.
    seen = events.connectionEvents.length;
    await gateway.admin('POST /quirks/connectivity', { code: 1102 });
    await events.waitForConnection((e) => e.kind === 'connected', 10_000, 'connected on 1102', seen);
    expect(broker.isConnected()).toBe(true);
    const afterRef = ref('after-1102');
    await broker.placeOrder({ orderRef: afterRef, symbol, side: 'BUY', quantity: 5, type: 'MKT', tif: 'DAY' });
    await events.waitForOrder((e) => e.kind === 'filled' && e.ref === afterRef, 10_000, 'the order after 1102 filled');
    const refs = (await gatewayState(gateway)).orders.map((o) => o.orderRef);
    expect(refs).toContain(afterRef);
    expect(refs).not.toContain(refusedRef);

    // 1101: restored, data LOST: the gateway dropped every market-data subscription; quotes flow again only
    // because the adapter subscribed anew.
    seen = events.connectionEvents.length;
    await gateway.admin('POST /quirks/connectivity', { code: 1100 });
    await events.waitForConnection((e) => e.kind === 'disconnected', 10_000, 'disconnected on the second 1100', seen);
    // Nothing streams while the link is down: every quote counted so far came before it.
    const quotesBefore = quotes.length;
    seen = events.connectionEvents.length;
    await gateway.admin('POST /quirks/connectivity', { code: 1101 });
    await events.waitForConnection((e) => e.kind === 'connected', 10_000, 'connected on 1101', seen);
    expect(broker.isConnected()).toBe(true);
    await waitUntil(() => quotes.length > quotesBefore, 15_000, `quotes of ${symbol} after 1101`);
    expect(quotes[quotes.length - 1]!.bid! > 0 || quotes[quotes.length - 1]!.last! > 0).toBe(true);
    unsubscribe();
    events.close();
  });
});

describe('IB adapter: queries without a connection', () => {
  it('reject instead of throwing, so a Promise.all over several queries never leaves one unhandled (a crash)', async () => {
    const temp = makeTempDir('adapter-no-link');
    const database = orderIdDatabase(temp.dir);
    const broker = ibAdapter(1, 91, database.orderIds);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // What the reconciler does: the first query fails, the second must not throw while building the array.
      const all = Promise.all([broker.positions(), broker.openOrders('all'), broker.executions({})]);
      await expect(all).rejects.toBeInstanceOf(BrokerUnavailable);
      for (const query of [() => broker.scan('MOST_ACTIVE'), () => broker.accountSummary(), () => broker.accountPnl(), () => broker.currentTime()]) {
        let returned: Promise<unknown> | undefined;
        expect(() => (returned = query())).not.toThrow();
        await expect(returned).rejects.toBeInstanceOf(BrokerUnavailable);
      }
      // One turn for any rejection nobody handled to be reported.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      database.close();
      temp.cleanup();
    }
  });
});
