import type { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import type { OrderEvent, OrderRequest } from '../../shared/broker/types';
import { executionBase, executionVersion } from '../../shared/db/execution-ids';
import { EventRecorder } from '../helpers/order-events';
import type { SimGatewayProcess } from '../helpers/sim-gateway-process';
import { makeTempDir } from '../helpers/temp-dir';
import { waitUntil } from '../helpers/wait-until';
import { memoryLogger } from '../../shared/log/logger';
import { recordRejectionContradictions } from '../../shared/broker/create-broker';
import { createRepositories } from '../../shared/db';
import { SystemClock } from '../../shared/time/clock';
import { gatewayState, ibAdapter, orderIdDatabase, refFactory, fileGateway } from '../contract/ib-adapter-harness';

type Filled = Extract<OrderEvent, { kind: 'filled' }>;
const WORKING = ['PreSubmitted', 'Submitted'];

/**
 * Orders against a real realistic sim-gateway: an error about an order is not its death (only a status
 * is), a new order refused before the broker acknowledged it is rejected, and corrected executions replace
 * the reports they correct.
 */
describe('IB adapter: order errors and execution corrections against the realistic sim-gateway', () => {
  const temp = makeTempDir('adapter-orders');
  const gatewayProcess = fileGateway(temp.dir, 'realistic');
  let gateway: SimGatewayProcess;
  let database: ReturnType<typeof orderIdDatabase>;
  let broker: IbBrokerAdapter;
  let events: EventRecorder;
  let symbols: string[] = [];
  const ref = refFactory('OR');

  const lastPrice = async (symbol: string) => (await gateway.admin<{ snapshot: { last: number } }>('POST /faults/jump', { symbol, pct: 0 })).snapshot.last;
  const cents = (price: number) => Math.round(price * 100) / 100;

  beforeAll(async () => {
    gateway = await gatewayProcess.start();
    database = orderIdDatabase(temp.dir);
    broker = ibAdapter(gateway.port, 81, database.orderIds);
    events = new EventRecorder(broker);
    await broker.connect();
    symbols = await broker.scan('MOST_ACTIVE', { rows: 10 });
  });
  afterAll(async () => {
    events?.close();
    await broker?.disconnect();
    await gatewayProcess.stop();
    database?.close();
    temp.cleanup();
  });

  it('a refused modification (price off the tick, 110) is an order_error; the order keeps working at its old price', async () => {
    const symbol = symbols[0]!;
    const limitPrice = cents((await lastPrice(symbol)) * 0.5);
    const orderRef = ref('modify');
    const request: OrderRequest = { orderRef, symbol, side: 'BUY', quantity: 10, type: 'LMT', limitPrice, tif: 'DAY' };
    const orderId = await broker.placeOrder(request);
    await events.waitForOrder((e) => e.kind === 'accepted' && e.ref === orderRef, 10_000, 'accepted');

    await broker.modifyOrder(orderId, { ...request, limitPrice: limitPrice + 0.005 });
    const refusal = await events.waitForOrder((e) => e.kind === 'order_error' && e.orderId === orderId, 10_000, 'the refused modification');
    expect(refusal).toMatchObject({ kind: 'order_error', code: 110, refused: 'modify' });
    expect(events.orderEvents.some((e) => (e.kind === 'rejected' || e.kind === 'cancelled') && e.ref === orderRef)).toBe(false);

    const [atGateway] = (await gatewayState(gateway, orderRef)).orders;
    expect(atGateway).toMatchObject({ orderId, lmtPrice: limitPrice });
    expect(WORKING).toContain(atGateway!.status);
    const own = (await broker.openOrders('own')).find((o) => o.orderRef === orderRef);
    expect(own).toMatchObject({ orderId, limitPrice });
    expect(WORKING).toContain(own!.status);

    // Still alive in the adapter too: a valid modification is applied and reported.
    const newPrice = cents(limitPrice - 0.01);
    await broker.modifyOrder(orderId, { ...request, limitPrice: newPrice });
    await events.waitForOrder((e) => e.kind === 'open' && e.orderId === orderId && e.limitPrice === newPrice, 10_000, 'the applied modification');
    await broker.cancelOrder(orderId);
    await events.waitForOrder((e) => e.kind === 'cancelled' && e.orderId === orderId, 10_000, 'cancelled');
  });

  it('a NEW order refused before the broker acknowledged it is rejected, and nothing works at the gateway', async () => {
    const symbol = symbols[1]!;
    const orderRef = ref('new-off-tick');
    const limitPrice = cents((await lastPrice(symbol)) * 0.5) + 0.005;
    const orderId = await broker.placeOrder({ orderRef, symbol, side: 'BUY', quantity: 10, type: 'LMT', limitPrice, tif: 'DAY' });
    const rejected = await events.waitForOrder((e) => e.kind === 'rejected' && e.ref === orderRef, 10_000, 'rejected');
    expect(rejected).toMatchObject({ kind: 'rejected', orderId, code: 110 });
    expect(events.orderEvents.some((e) => (e.kind === 'accepted' || e.kind === 'order_error') && e.ref === orderRef)).toBe(false);
    expect((await gatewayState(gateway, orderRef)).orders).toEqual([]);
    expect((await broker.openOrders('own')).some((o) => o.orderRef === orderRef)).toBe(false);
  });

  it('IB\'s informational 10349 (TIF from the order preset) ahead of the acknowledgement is a warning: the order works and its fill arrives', async () => {
    // Newer TWS versions send it before openOrder; client libraries that took it for a rejection lost the fills
    // that followed (a bot would release its claim, or place a second stop beside the first).
    const symbol = symbols[3]!;
    await gateway.admin('POST /quirks/preset-warnings', { count: 1 });
    const orderRef = ref('preset');
    const orderId = await broker.placeOrder({ orderRef, symbol, side: 'BUY', quantity: 10, type: 'MKT', tif: 'DAY' });
    const fill = await events.waitForOrder((e) => e.kind === 'filled' && e.ref === orderRef, 15_000, 'the fill') as Filled;
    expect(fill.execution).toMatchObject({ orderId, quantity: 10, side: 'BUY' });
    const mine = events.orderEvents.filter((e) => 'ref' in e && e.ref === orderRef);
    expect(mine[0]).toMatchObject({ kind: 'order_error', code: 10349 }); // it did come first
    expect(mine.some((e) => e.kind === 'rejected' || e.kind === 'cancelled')).toBe(false);
    expect(mine.some((e) => e.kind === 'status' && e.status === 'Filled')).toBe(true);
    const [atGateway] = (await gatewayState(gateway, orderRef)).orders;
    expect(atGateway).toMatchObject({ status: 'Filled', filled: 10 });
  });

  it('an order taken as rejected on a code it does not know, then reported filled, is said loudly (order_rejection_contradicted)', async () => {
    // The next informational code IB adds: the adapter cannot know it is one, but must not stay silent.
    const log = memoryLogger();
    const second = ibAdapter(gateway.port, 82, database.orderIds, { log });
    const recorder = new EventRecorder(second);
    // As createBroker wires the bots: an events row and a critical alert in the DB, not only a log line.
    const repos = createRepositories(database.db, new SystemClock(), 'day-trader');
    recordRejectionContradictions(second, repos.alerts, log, 'day-trader');
    try {
      await second.connect();
      await gateway.admin('POST /quirks/preset-warnings', { count: 1, code: 10999, message: 'Some new notice about the order.' });
      const orderRef = ref('unknown-notice');
      await second.placeOrder({ orderRef, symbol: symbols[4]!, side: 'BUY', quantity: 5, type: 'MKT', tif: 'DAY' });
      await recorder.waitForOrder((e) => e.kind === 'rejected' && e.ref === orderRef, 10_000, 'taken as rejected');
      await recorder.waitForOrder((e) => e.kind === 'status' && e.ref === orderRef && e.status === 'Filled', 15_000, 'then filled');
      await waitUntil(() => log.lines.some((l) => l.event === 'order_rejection_contradicted'), 5_000, 'the contradiction said');
      expect(log.lines.filter((l) => l.event === 'order_rejection_contradicted')).toEqual([
        expect.objectContaining({ level: 'error', fields: expect.objectContaining({ orderRef, code: 10999 }) }),
      ]);
      const events = database.db.prepare("SELECT app, level, data FROM events WHERE event = 'order_rejection_contradicted'").all() as Array<{ app: string; level: string; data: string }>;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ app: 'day-trader', level: 'error' });
      expect(JSON.parse(events[0]!.data)).toMatchObject({ orderRef, code: 10999, status: expect.stringMatching(/Submitted|Filled/) });
      const alerts = database.db.prepare("SELECT severity, title FROM alerts_outbox WHERE kind = 'order_rejection_contradicted'").all() as Array<{ severity: string; title: string }>;
      expect(alerts).toEqual([{ severity: 'critical', title: expect.stringContaining(`${orderRef} was taken as rejected (IB 10999)`) }]);
    } finally {
      recorder.close();
      await second.disconnect();
    }
  });

  it('an order joining an OCA group one of whose orders already filled is cancelled as it arrives (IB), never working past flat', async () => {
    const symbol = symbols[2]!;
    const buyRef = ref('oca-buy');
    await broker.placeOrder({ orderRef: buyRef, symbol, side: 'BUY', quantity: 20, type: 'MKT', tif: 'DAY' });
    await events.waitForOrder((e) => e.kind === 'status' && e.ref === buyRef && e.status === 'Filled', 15_000, 'the buy filled');
    const last = await lastPrice(symbol);
    const group = ref('oca-group');
    // A stop far above the market (a long's stop through the market) triggers and fills as it arrives...
    const stopRef = ref('oca-stop');
    await broker.placeOrder({ orderRef: stopRef, symbol, side: 'SELL', quantity: 20, type: 'STP', stopPrice: cents(last * 1.5), tif: 'GTC', ocaGroup: group, ocaType: 2 });
    await events.waitForOrder((e) => e.kind === 'status' && e.ref === stopRef && e.status === 'Filled', 15_000, 'the stop filled on arrival');
    // ...and the take-profit that joins its group afterwards must never work.
    const targetRef = ref('oca-target');
    await broker.placeOrder({ orderRef: targetRef, symbol, side: 'SELL', quantity: 20, type: 'LMT', limitPrice: cents(last * 1.2), tif: 'GTC', ocaGroup: group, ocaType: 2 });
    const ended = await events.waitForOrder((e) => e.kind === 'cancelled' && e.ref === targetRef, 15_000, 'the late joiner cancelled');
    expect(ended).toMatchObject({ kind: 'cancelled', filled: 0 });
    const [atGateway] = (await gatewayState(gateway, targetRef)).orders;
    expect(atGateway).toMatchObject({ status: 'Cancelled', filled: 0 });
    const { exposure } = await gateway.admin<{ exposure: { intervals: Array<{ symbol: string }>; open: Array<{ symbol: string }> } }>('GET /exposure');
    expect([...exposure.intervals, ...exposure.open].filter((i) => i.symbol === symbol)).toEqual([]);
  });

  it('a corrected execution arrives as a filled event with the same execId prefix and a higher suffix; executions() has only the latest', async () => {
    await gateway.admin('POST /realism', { correctionProbability: 1, executionLag: { minMs: 0, maxMs: 20 }, correctionDelay: { minMs: 50, maxMs: 200 } });
    try {
      const symbol = symbols[2]!;
      const orderRef = ref('corrected');
      await broker.placeOrder({ orderRef, symbol, side: 'BUY', quantity: 10, type: 'MKT', tif: 'DAY' });
      const fills = () => events.orderEvents.filter((e): e is Filled => e.kind === 'filled' && e.ref === orderRef);
      const [original, correction] = await waitUntil(() => {
        const all = fills();
        const first = all[0];
        const later = first && all.find((f) => executionBase(f.execution.execId) === executionBase(first.execution.execId) && f !== first);
        return first && later ? [first, later] : undefined;
      }, 15_000, 'an execution and its correction');
      expect(executionVersion(correction!.execution.execId)).toBeGreaterThan(executionVersion(original!.execution.execId));
      expect(correction!.execution).toMatchObject({ orderId: original!.orderId, orderRef, quantity: original!.execution.quantity });
      expect(Math.abs(correction!.execution.price - original!.execution.price)).toBeCloseTo(0.01, 6);

      // Once every fill of the order is corrected, the executions query holds one row per execution, the latest.
      const latestSeen = () => {
        const byBase = new Map<string, Filled>();
        for (const f of fills()) {
          const known = byBase.get(executionBase(f.execution.execId));
          if (!known || executionVersion(f.execution.execId) > executionVersion(known.execution.execId)) byBase.set(executionBase(f.execution.execId), f);
        }
        return [...byBase.values()];
      };
      await waitUntil(() => {
        const latest = latestSeen();
        return latest.reduce((n, f) => n + f.execution.quantity, 0) === 10 && latest.every((f) => executionVersion(f.execution.execId) > 1);
      }, 15_000, 'every fill of the order corrected');
      const rows = (await broker.executions({ symbol })).filter((e) => e.orderRef === orderRef);
      expect(rows.map((r) => r.execId).sort()).toEqual(latestSeen().map((f) => f.execution.execId).sort());
      for (const row of rows) expect(row.price).toBe(latestSeen().find((f) => f.execution.execId === row.execId)!.execution.price);
    } finally {
      await gateway.admin('POST /realism', { correctionProbability: 0 });
    }
  });
});
