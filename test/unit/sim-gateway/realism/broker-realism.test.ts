/* eslint-disable @typescript-eslint/no-explicit-any */
import { EventName, IBApi, OrderAction, OrderType, type Contract, type Order } from '@stoqey/ib';
import { createSyntheticMarket } from '../../../../apps/sim-gateway/market';
import { SHARE_CLASS_SYMBOL } from '../../../../apps/sim-gateway/realism/foreign-holdings';
import { ShareClassMarket } from '../../../../apps/sim-gateway/realism/share-class-market';
import { waitUntil } from '../../../helpers/wait-until';
import { InProcessGateway, stock, type TestClient } from './in-process-gateway';

/**
 * The simulator's account and order flow behave like a real IB Gateway on the realistic profile, each
 * behaviour switchable (and off on the ideal profile): positions reported after their fills, executions
 * after their statuses, corrected executions, the handshake messages in either order, no P&L tags in the
 * account summary, refused modifications that leave the order working, holdings the bots never bought,
 * 1100 freezing the exchange, late end markers, IOC.
 */
describe('sim-gateway broker realism', () => {
  let sim: InProcessGateway;
  afterEach(async () => sim?.stop());

  const order = (action: 'BUY' | 'SELL', quantity: number, extra: Partial<Order> = {}): Order => ({
    action: action === 'BUY' ? OrderAction.BUY : OrderAction.SELL, totalQuantity: quantity, orderType: OrderType.MKT, tif: 'DAY', transmit: true, orderRef: `t-${Math.random()}`, ...extra,
  });
  /** Every message of the kinds a test follows, in arrival order. */
  const follow = (client: TestClient) => {
    const log: Array<{ name: string; args: any[] }> = [];
    for (const name of [EventName.execDetails, EventName.orderStatus, EventName.position, EventName.positionEnd, EventName.openOrderEnd, EventName.commissionReport]) {
      (client.ib as any).on(name, (...args: any[]) => log.push({ name, args }));
    }
    return log;
  };
  const symbolOf = (s: InProcessGateway, index = 0) => s.gateway.model.universe[index]!.symbol;

  it('reports a position only after the lag, and answers snapshots from what it has reported', async () => {
    sim = await new InProcessGateway({ realism: { positionLag: { minMs: 400, maxMs: 400 } } }).start();
    const client = await sim.connect(1);
    const log = follow(client);
    client.ib.reqPositions();
    await waitUntil(() => log.some((e) => e.name === EventName.positionEnd), 5_000, 'the first positions answer');
    const symbol = symbolOf(sim);
    client.ib.placeOrder(client.nextOrderId, stock(symbol), order('BUY', 100));
    await waitUntil(() => log.some((e) => e.name === EventName.execDetails), 5_000, 'the execution');
    // The fill is done; the position is not reported yet, neither streamed nor in a fresh snapshot.
    const snapshot = await positionsSnapshot(client.ib);
    expect(snapshot.find((p) => p.symbol === symbol)).toBeUndefined();
    await waitUntil(() => log.some((e) => e.name === EventName.position && e.args[1].symbol === symbol), 5_000, 'the lagging position report');
    const execAt = log.findIndex((e) => e.name === EventName.execDetails);
    const positionAt = log.findIndex((e) => e.name === EventName.position && e.args[1].symbol === symbol);
    expect(positionAt).toBeGreaterThan(execAt);
    expect((await positionsSnapshot(client.ib)).find((p) => p.symbol === symbol)?.quantity).toBe(100);
  });

  it('sends an order\'s status before its executions when execution reports lag (Filled, and Cancelled with filled > 0)', async () => {
    sim = await new InProcessGateway({ realism: { executionLag: { minMs: 200, maxMs: 200 } } }).start();
    const client = await sim.connect(2);
    const log = follow(client);
    const symbol = symbolOf(sim, 1);
    client.ib.placeOrder(client.nextOrderId, stock(symbol), order('BUY', 10));
    await waitUntil(() => log.some((e) => e.name === EventName.execDetails), 5_000, 'the execution');
    const filledAt = log.findIndex((e) => e.name === EventName.orderStatus && e.args[1] === 'Filled');
    expect(filledAt).toBeGreaterThanOrEqual(0);
    expect(filledAt).toBeLessThan(log.findIndex((e) => e.name === EventName.execDetails));
    // An IOC larger than the displayed size: part fills, the rest is cancelled, and "Cancelled" comes first.
    const ask = sim.gateway.feed.snapshot(symbol).askSize;
    log.length = 0;
    client.ib.placeOrder(client.nextOrderId + 1, stock(symbol), order('BUY', ask * 5, { orderType: OrderType.LMT, lmtPrice: Math.round(sim.gateway.feed.snapshot(symbol).ask * 1.01 * 100) / 100, tif: 'IOC' }));
    await waitUntil(() => log.some((e) => e.name === EventName.execDetails), 5_000, 'the IOC execution');
    const cancelled = log.find((e) => e.name === EventName.orderStatus && e.args[1] === 'Cancelled');
    expect(cancelled?.args[2]).toBeGreaterThan(0); // filled > 0
    expect(log.indexOf(cancelled!)).toBeLessThan(log.findIndex((e) => e.name === EventName.execDetails));
  });

  it('corrects an execution with the next execId suffix, and reports only the latest version afterwards', async () => {
    sim = await new InProcessGateway({ realism: { correctionProbability: 1, correctionDelay: { minMs: 50, maxMs: 50 } } }).start();
    const client = await sim.connect(3);
    const log = follow(client);
    client.ib.placeOrder(client.nextOrderId, stock(symbolOf(sim, 2)), order('BUY', 10));
    await waitUntil(() => log.filter((e) => e.name === EventName.execDetails).length === 2, 5_000, 'the execution and its correction');
    const [first, second] = log.filter((e) => e.name === EventName.execDetails).map((e) => e.args[2]);
    expect(second.execId).toBe(`${first.execId.slice(0, -2)}02`);
    expect(Math.abs(second.price - first.price)).toBeCloseTo(0.01, 6);
    expect(second.shares).toBe(first.shares);
    const reported = await executionsSnapshot(client.ib, 77);
    expect(reported.map((e) => [e.execId, e.price])).toEqual([[second.execId, second.price]]);
  });

  it('may send managedAccounts after nextValidId', async () => {
    sim = await new InProcessGateway({ realism: { managedAccountsAfterNextValidId: true } }).start();
    const order: string[] = [];
    const ib = new IBApi({ host: '127.0.0.1', port: sim.gateway.port, clientId: 4 });
    ib.on(EventName.nextValidId, () => order.push('nextValidId'));
    ib.on(EventName.managedAccounts, () => order.push('managedAccounts'));
    ib.connect();
    await waitUntil(() => order.length === 2, 5_000, 'the handshake messages');
    ib.disconnect();
    expect(order).toEqual(['nextValidId', 'managedAccounts']);
  });

  it('answers reqAccountSummary without RealizedPnL / UnrealizedPnL tags, as IB does', async () => {
    sim = await new InProcessGateway({ realism: { accountSummaryPnlTags: false } }).start();
    const client = await sim.connect(5);
    const tags: string[] = [];
    client.ib.on(EventName.accountSummary, (_id: number, _account: string, tag: string) => tags.push(tag));
    const end = new Promise((resolve) => client.ib.once(EventName.accountSummaryEnd, resolve));
    client.ib.reqAccountSummary(9, 'All', 'NetLiquidation,RealizedPnL,UnrealizedPnL,BuyingPower');
    await end;
    expect(tags.sort()).toEqual(['BuyingPower', 'NetLiquidation']);
  });

  it('refuses a modification off the price tick (110) and keeps the original order working at its old price', async () => {
    sim = await new InProcessGateway({ realism: { strictModifications: true } }).start();
    const client = await sim.connect(6);
    const symbol = symbolOf(sim, 3);
    const price = Math.round(sim.gateway.feed.snapshot(symbol).bid * 0.9 * 100) / 100;
    const id = client.nextOrderId;
    client.ib.placeOrder(id, stock(symbol), order('BUY', 10, { orderType: OrderType.LMT, lmtPrice: price, tif: 'GTC' }));
    await client.next(EventName.openOrder, (orderId: number) => orderId === id);
    const refused = client.next(EventName.error, (_e: Error, _code: number, reqId: number) => reqId === id);
    client.ib.placeOrder(id, stock(symbol), order('BUY', 10, { orderType: OrderType.LMT, lmtPrice: price + 0.005, tif: 'GTC' }));
    expect((await refused).args[1]).toBe(110);
    const working = sim.gateway.engine.workingOrders(6);
    expect(working).toEqual([expect.objectContaining({ orderId: id, lmtPrice: price, status: expect.stringMatching(/Submitted/) })]);
    // An injected refusal (order precautions) works the same way.
    sim.gateway.engine.rejectNextModifies.push({ code: 201, message: 'Order rejected - reason: precautions' });
    const refusedAgain = client.next(EventName.error, (_e: Error, code: number, reqId: number) => reqId === id && code === 201);
    client.ib.placeOrder(id, stock(symbol), order('BUY', 20, { orderType: OrderType.LMT, lmtPrice: price, tif: 'GTC' }));
    await refusedAgain;
    expect(sim.gateway.engine.workingOrders(6)).toEqual([expect.objectContaining({ orderId: id, totalQuantity: 10 })]);
  });

  it('holds what people bought by hand: a long-held stock, the share class with a space, options and a EUR stock', async () => {
    const market = createSyntheticMarket({ seed: 7, universeSize: 30 });
    sim = await new InProcessGateway({ realism: { foreignHoldings: true }, model: new ShareClassMarket(market, SHARE_CLASS_SYMBOL, market.universe[29]!.symbol) }).start();
    const client = await sim.connect(7);
    const positions = await positionsSnapshot(client.ib);
    const kinds = positions.map((p) => `${p.secType}/${p.currency}`).sort();
    expect(kinds).toEqual(['OPT/USD', 'OPT/USD', 'STK/EUR', 'STK/USD', 'STK/USD']);
    expect(positions.some((p) => p.symbol === SHARE_CLASS_SYMBOL && p.secType === 'STK')).toBe(true);
    const options = positions.filter((p) => p.secType === 'OPT');
    for (const option of options) {
      expect(sim.gateway.model.hasSymbol(option.symbol)).toBe(true); // an option on a stock the bots can trade
      expect(option.conId).not.toBe(sim.gateway.info(option.symbol)!.conId);
    }
    expect(new Set(positions.map((p) => p.conId)).size).toBe(positions.length);
  });

  it('during 1100 keeps answering but nothing executes and no data flows; 1102 resumes', async () => {
    sim = await new InProcessGateway().start();
    const client = await sim.connect(8);
    const log = follow(client);
    sim.gateway.broadcastNotice(1100, 'Connectivity between IB and Trader Workstation has been lost.');
    const symbol = symbolOf(sim, 4);
    client.ib.placeOrder(client.nextOrderId, stock(symbol), order('BUY', 10));
    await client.sync(); // the API still answers
    sim.advance(60_000);
    await client.sync();
    expect(log.filter((e) => e.name === EventName.execDetails)).toEqual([]);
    sim.gateway.broadcastNotice(1102, 'Connectivity between IB and Trader Workstation has been restored - data maintained.');
    await waitUntil(() => log.some((e) => e.name === EventName.execDetails), 5_000, 'the order filled after 1102');
  });

  it('measures every interval in which API sell orders could trade more than the account may sell', async () => {
    sim = await new InProcessGateway().start();
    const client = await sim.connect(10);
    const log = follow(client);
    const symbol = symbolOf(sim, 5);
    client.ib.placeOrder(client.nextOrderId, stock(symbol), order('BUY', 100));
    await waitUntil(() => log.some((e) => e.name === EventName.execDetails), 5_000, 'the entry');
    const high = Math.round(sim.gateway.feed.snapshot(symbol).ask * 1.5 * 100) / 100;
    const low = Math.round(sim.gateway.feed.snapshot(symbol).bid * 0.5 * 100) / 100;
    // A stop and a target of 100 in one OCA group: 100 can sell, no excess.
    const oca = { ocaGroup: 'g1', ocaType: 2, tif: 'GTC' } as Partial<Order>;
    client.ib.placeOrder(client.nextOrderId + 1, stock(symbol), order('SELL', 100, { orderType: OrderType.STP, auxPrice: low, ...oca }));
    client.ib.placeOrder(client.nextOrderId + 2, stock(symbol), order('SELL', 100, { orderType: OrderType.LMT, lmtPrice: high, ...oca }));
    await client.sync();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sim.gateway.exposure.report()).toMatchObject({ intervals: [], open: [], longestMs: 0 });
    // One more sell outside the group: 200 could sell, 100 held. An interval opens, and closes on the cancel.
    const extra = client.nextOrderId + 3;
    client.ib.placeOrder(extra, stock(symbol), order('SELL', 100, { orderType: OrderType.LMT, lmtPrice: high, tif: 'GTC' }));
    await client.sync();
    await waitUntil(() => sim.gateway.exposure.report().open.length === 1, 5_000, 'the excess to be seen');
    expect(sim.gateway.exposure.report().open[0]).toMatchObject({ symbol, excessShares: 100, afterManualTrade: false });
    client.ib.cancelOrder(extra);
    await waitUntil(() => sim.gateway.exposure.report().intervals.length === 1, 5_000, 'the interval to close');
    expect(sim.gateway.exposure.report().open).toEqual([]);
  });

  it('answers a positions request late when told to: after the client gave up, with its end marker', async () => {
    sim = await new InProcessGateway().start();
    const client = await sim.connect(9);
    sim.gateway.faults.positionsTimeouts = 1;
    sim.gateway.faults.lateAnswerMs = 300;
    let ends = 0;
    client.ib.on(EventName.positionEnd, () => (ends += 1));
    client.ib.reqPositions();
    await client.sync(); // everything answered in order before this has arrived: not the positions
    expect(ends).toBe(0);
    await waitUntil(() => ends === 1, 5_000, 'the late end marker');
  });
});

/** One complete positions answer (waits for positionEnd). */
function positionsSnapshot(ib: IBApi): Promise<Array<{ symbol: string; secType: string; currency: string; conId: number; quantity: number }>> {
  return new Promise((resolve) => {
    const rows: Array<{ symbol: string; secType: string; currency: string; conId: number; quantity: number }> = [];
    const onPosition = (_account: string, contract: Contract, quantity: number) => rows.push({ symbol: contract.symbol!, secType: String(contract.secType), currency: contract.currency!, conId: contract.conId!, quantity });
    const onEnd = () => {
      ib.off(EventName.position, onPosition);
      ib.off(EventName.positionEnd, onEnd);
      resolve(rows.filter((r) => r.quantity !== 0));
    };
    ib.on(EventName.position, onPosition);
    ib.on(EventName.positionEnd, onEnd);
    ib.reqPositions();
  });
}

function executionsSnapshot(ib: IBApi, reqId: number): Promise<Array<{ execId: string; price: number }>> {
  return new Promise((resolve) => {
    const rows: Array<{ execId: string; price: number }> = [];
    const onExec = (id: number, _contract: Contract, execution: { execId: string; price: number }) => id === reqId && rows.push({ execId: execution.execId, price: execution.price });
    const onEnd = (id: number) => {
      if (id !== reqId) return;
      ib.off(EventName.execDetails, onExec);
      ib.off(EventName.execDetailsEnd, onEnd);
      resolve(rows);
    };
    ib.on(EventName.execDetails, onExec as never);
    ib.on(EventName.execDetailsEnd, onEnd);
    ib.reqExecutions(reqId, {} as never);
  });
}
