import type { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import type { BrokerPosition } from '../../shared/broker/types';
import { BrokerTimeout, BrokerUnavailable } from '../../shared/errors/errors';
import { EventRecorder } from '../helpers/order-events';
import type { SimGatewayProcess } from '../helpers/sim-gateway-process';
import { makeTempDir } from '../helpers/temp-dir';
import { gatewayState, ibAdapter, orderIdDatabase, refFactory, fileGateway, stockQuantity } from '../contract/ib-adapter-harness';

/**
 * positionEnd and openOrderEnd carry no request id (TWS API): the late end marker of a request that timed
 * out looks exactly like the end of the next one. The adapter counts markers (EndMarkerSequence); these
 * tests drive a real realistic sim-gateway to answer late and prove a timed-out request stays a timeout,
 * the next request gets its OWN complete answer, and a gateway that stopped answering is reconnected.
 *
 * Timing: each late answer comes LATE_ANSWER_MS after its request, REQUEST_TIMEOUT_MS after which the
 * adapter gave up; the next request is sent right after that timeout, so it is still waiting when the late
 * marker arrives (the moment a wrong adapter would complete it), and its own answer, which the gateway
 * sends after the late one (one connection's answers come in order), arrives well inside its own timeout.
 */
const REQUEST_TIMEOUT_MS = 3_000;
const LATE_ANSWER_MS = 4_000;

describe('IB adapter: late end markers against the realistic sim-gateway', () => {
  const temp = makeTempDir('adapter-end-markers');
  const gatewayProcess = fileGateway(temp.dir, 'realistic');
  let gateway: SimGatewayProcess;
  let database: ReturnType<typeof orderIdDatabase>;
  const adapters: IbBrokerAdapter[] = [];
  let symbols: string[] = [];
  const ref = refFactory('EM');

  const connect = async (clientId: number, requestTimeoutMs = REQUEST_TIMEOUT_MS) => {
    const adapter = ibAdapter(gateway.port, clientId, database.orderIds, { requestTimeoutMs, livenessTimeoutMs: 2_000 });
    adapters.push(adapter);
    await adapter.connect();
    return adapter;
  };

  /** The instruments the gateway reports now, by conId: what a complete snapshot must contain. */
  const reportedConIds = async () => {
    const state = await gateway.admin<{ reportedPositions: Array<{ conId: number; quantity: number }> }>('GET /state');
    return state.reportedPositions.filter((p) => p.quantity !== 0).map((p) => p.conId).sort((a, b) => a - b);
  };
  const conIds = (positions: readonly BrokerPosition[]) => positions.map((p) => p.conId).sort((a, b) => a - b);

  const settle = <T>(promise: Promise<T>) => promise.then((value) => ({ value }), (error: unknown) => ({ error }));

  beforeAll(async () => {
    gateway = await gatewayProcess.start();
    database = orderIdDatabase(temp.dir);
    const scout = await connect(60, 10_000);
    // Symbols that need no conId (not ambiguous on SMART), so any adapter can trade them without a scan.
    const { ambiguousSymbols } = await gateway.admin<{ ambiguousSymbols: string[] }>('GET /realism');
    symbols = (await scout.scan('MOST_ACTIVE', { rows: 20 })).filter((s) => !ambiguousSymbols.includes(s));
  });
  afterAll(async () => {
    for (const adapter of adapters) await adapter.disconnect();
    await gatewayProcess.stop();
    database?.close();
    temp.cleanup();
  });

  it('a timed-out positions request stays a timeout; the next one gets its own complete answer, not the late one', async () => {
    const adapter = await connect(61);
    const symbol = symbols[0]!;
    const heldBefore = stockQuantity(await adapter.positions(), symbol);
    await gateway.admin('POST /quirks/late-answer-ms', { ms: LATE_ANSWER_MS });
    await gateway.admin('POST /quirks/positions-timeout', { count: 1 });

    const late = settle(adapter.positions());
    // The account changes after the late request was answered (its answer is on its way, late).
    const reported = new Promise<void>((resolve) => {
      const stop = adapter.onPositionUpdate((p) => {
        if (p.symbol === symbol && p.secType === 'STK' && p.quantity === heldBefore + 25) {
          stop();
          resolve();
        }
      });
    });
    await gateway.admin('POST /quirks/manual-trade', { symbol, quantity: 25 });
    await reported;
    const outcome = await late;
    expect('error' in outcome && outcome.error).toBeInstanceOf(BrokerTimeout);

    const next = await adapter.positions();
    expect(stockQuantity(next, symbol)).toBe(heldBefore + 25);
    expect(conIds(next)).toEqual(await reportedConIds());
    // The count is intact: the request after that is answered by its own marker too.
    expect(stockQuantity(await adapter.positions(), symbol)).toBe(heldBefore + 25);
  });

  it.each([
    ['own', 'all'],
    ['all', 'own'],
  ] as const)('a timed-out open-orders request (%s) stays a timeout; the next one (%s) gets its own complete answer', async (lateScope, nextScope) => {
    const adapter = await connect(lateScope === 'own' ? 62 : 63);
    const events = new EventRecorder(adapter);
    const symbol = symbols[1]!;
    const { snapshot } = await gateway.admin<{ snapshot: { last: number } }>('POST /faults/jump', { symbol, pct: 0 });
    await gateway.admin('POST /quirks/late-answer-ms', { ms: LATE_ANSWER_MS });
    await gateway.admin('POST /quirks/open-orders-timeout', { count: 1 });

    const late = settle(adapter.openOrders(lateScope));
    // A new working order after the late request was answered: the late answer does not have it.
    const orderRef = ref(`oo-${lateScope}`);
    await adapter.placeOrder({ orderRef, symbol, side: 'BUY', quantity: 3, type: 'LMT', limitPrice: Math.round(snapshot.last * 50) / 100, tif: 'DAY' });
    await events.waitForOrder((e) => e.kind === 'accepted' && e.ref === orderRef, 10_000, 'the new order accepted');
    const outcome = await late;
    expect('error' in outcome && outcome.error).toBeInstanceOf(BrokerTimeout);

    const next = await adapter.openOrders(nextScope);
    expect(next.map((o) => o.orderRef)).toContain(orderRef);
    const working = (await gatewayState(gateway)).orders.filter((o) => (o.status === 'Submitted' || o.status === 'PreSubmitted') && o.clientId !== 0);
    const expected = working.filter((o) => nextScope === 'all' || o.clientId === adapter.clientId).map((o) => o.permId).sort((a, b) => a - b);
    expect(next.map((o) => o.permId).sort((a, b) => a - b)).toEqual(expected);
    events.close();
  });

  it('markers owed for two requests: the connection is recycled, and comes back answering correctly', async () => {
    const adapter = await connect(64, 800);
    const events = new EventRecorder(adapter);
    // Answers that never come while this test runs: the gateway has stopped answering positions requests.
    await gateway.admin('POST /quirks/late-answer-ms', { ms: 120_000 });
    await gateway.admin('POST /quirks/positions-timeout', { count: 2 });
    const [first, second] = await Promise.all([settle(adapter.positions()), settle(adapter.positions())]);
    expect('error' in first && first.error).toBeInstanceOf(BrokerTimeout);
    expect('error' in second && second.error).toBeInstanceOf(BrokerTimeout);

    const seen = events.connectionEvents.length;
    // A third request while two markers are owed: the adapter drops the connection instead of waiting forever.
    const third = await settle(adapter.positions());
    await events.waitForConnection((e) => e.kind === 'disconnected', 10_000, 'the connection recycled', seen);
    await events.waitForConnection((e) => e.kind === 'connected', 15_000, 'the connection back', seen);

    // A new connection owes nothing: every request is answered by its own marker again, first time.
    for (let i = 0; i < 3; i++) expect(conIds(await adapter.positions())).toEqual(await reportedConIds());
    // The request that found the connection stuck was refused, not sent: on the dead connection nobody
    // would answer it, and counted on the new one it would take the next request's marker (and that one the
    // next, each request timing out for good).
    expect('error' in third && third.error).toBeInstanceOf(BrokerUnavailable);
    events.close();
  });
});
