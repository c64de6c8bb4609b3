import type { AddressInfo } from 'node:net';
import { EventName, OrderAction, OrderType, type Contract } from '@stoqey/ib';
import { createAdminServer } from '../../../../apps/sim-gateway/admin/admin-server';
import { createSyntheticMarket } from '../../../../apps/sim-gateway/market';
import { ambiguousSymbolSet } from '../../../../apps/sim-gateway/realism/ambiguous-symbols';
import { InProcessGateway, stock, type TestClient } from './in-process-gateway';

const AMBIGUOUS = (symbol: string) => `The contract description specified for ${symbol} is ambiguous.`;

describe('ambiguous symbols: the subset', () => {
  it('is about a tenth of the universe, at least two, and a pure function of the market seed', () => {
    for (const [seed, size] of [[7, 30], [42, 40], [3, 120]] as const) {
      const set = ambiguousSymbolSet(createSyntheticMarket({ seed, universeSize: size }));
      expect(set.size).toBe(Math.max(2, Math.round(size / 10)));
      expect([...set]).toEqual([...ambiguousSymbolSet(createSyntheticMarket({ seed, universeSize: size }))]);
      const universe = createSyntheticMarket({ seed, universeSize: size }).universe.map((i) => i.symbol);
      for (const symbol of set) expect(universe).toContain(symbol);
    }
    const seven = [...ambiguousSymbolSet(createSyntheticMarket({ seed: 7, universeSize: 40 }))];
    const eight = [...ambiguousSymbolSet(createSyntheticMarket({ seed: 8, universeSize: 40 }))];
    expect(seven).not.toEqual(eight);
  });
});

describe('ambiguous symbols through the IBApi client', () => {
  let sim: InProcessGateway;
  let client: TestClient;
  let ambiguous = '';
  let plain = '';
  afterEach(async () => sim.stop());

  async function start(on: boolean): Promise<void> {
    sim = await new InProcessGateway({ realism: { ambiguousSymbols: on } }).start();
    client = await sim.connect(71);
    const set = ambiguousSymbolSet(sim.gateway.model);
    ambiguous = [...set][0]!;
    plain = sim.gateway.model.universe.find((i) => !set.has(i.symbol))!.symbol;
  }

  /** Every kind of request for the contract; the error codes per kind (0 = answered). */
  async function tryAll(contract: Contract, base: number): Promise<Record<string, number | string>> {
    const orderId = client.nextOrderId++;
    const accepted = client.next(EventName.openOrder, (id: number) => id === orderId);
    client.ib.reqMktData(base + 1, contract, '', true, false);
    client.ib.reqContractDetails(base + 2, contract);
    const history = client.history(base + 3, contract);
    client.ib.placeOrder(orderId, contract, { action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: 1, totalQuantity: 1, tif: 'DAY', transmit: true });
    await history;
    await client.sync();
    const outcome = (id: number) => client.errorsOf(id)[0]?.message ?? 0;
    const orderError = client.errorsOf(orderId)[0]?.message;
    if (orderError === undefined) await accepted;
    return { mktData: outcome(base + 1), contractDetails: outcome(base + 2), history: outcome(base + 3), order: orderError ?? 0 };
  }

  it('switch on: an ambiguous symbol on SMART without primaryExch or conId fails everywhere with 200', async () => {
    await start(true);
    const expected = AMBIGUOUS(ambiguous);
    expect(await tryAll(stock(ambiguous), 100)).toEqual({ mktData: expected, contractDetails: expected, history: expected, order: expected });
    expect(client.of(100 + 1).concat(client.of(100 + 2)).every((e) => e.name === EventName.error && e.args[1] === 200)).toBe(true);
    expect(sim.gateway.engine.getOrders().filter((o) => o.symbol === ambiguous)).toEqual([]); // no order was created
  });

  it('switch on: a conId, or the primaryExch of the listing (ISLAND for NASDAQ too), resolves it; a wrong primaryExch matches nothing', async () => {
    await start(true);
    const info = sim.gateway.info(ambiguous)!;
    const none = { mktData: 0, contractDetails: 0, history: 0, order: 0 };
    expect(await tryAll(stock(ambiguous, { conId: info.conId }), 200)).toEqual(none);
    expect(await tryAll(stock(ambiguous, { primaryExch: info.primaryExchange }), 300)).toEqual(none);
    if (info.primaryExchange === 'NASDAQ') expect(await tryAll(stock(ambiguous, { primaryExch: 'ISLAND' }), 400)).toEqual(none);
    const wrong = info.primaryExchange === 'NYSE' ? 'ARCA' : 'NYSE';
    const noDefinition = 'No security definition has been found for the request';
    expect(await tryAll(stock(ambiguous, { primaryExch: wrong }), 500)).toEqual({ mktData: noDefinition, contractDetails: noDefinition, history: noDefinition, order: noDefinition });
    // Only SMART is ambiguous, and only the subset.
    expect(await tryAll(stock(ambiguous, { exchange: info.primaryExchange === 'NASDAQ' ? 'ISLAND' : info.primaryExchange }), 600)).toEqual(none);
    expect(await tryAll(stock(plain), 700)).toEqual(none);
  });

  it('switch off (ideal profile): the same symbol works without primaryExch or conId', async () => {
    await start(false);
    expect(await tryAll(stock(ambiguous), 100)).toEqual({ mktData: 0, contractDetails: 0, history: 0, order: 0 });
  });

  it('GET /realism lists the ambiguous symbols while the switch is on', async () => {
    await start(true);
    const admin = createAdminServer(sim.gateway, sim.log);
    await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', () => resolve()));
    const get = async () => (await (await fetch(`http://127.0.0.1:${(admin.address() as AddressInfo).port}/realism`)).json()) as { ambiguousSymbols: string[] };
    try {
      expect((await get()).ambiguousSymbols).toEqual([...ambiguousSymbolSet(sim.gateway.model)]);
      sim.setRealism({ ambiguousSymbols: false });
      expect((await get()).ambiguousSymbols).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => admin.close(() => resolve()));
    }
  });
});
