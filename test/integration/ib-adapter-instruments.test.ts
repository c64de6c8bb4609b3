import { EventName, IBApi, OrderAction, OrderType, SecType, type Contract } from '@stoqey/ib';
import type { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import type { BrokerPosition, Quote } from '../../shared/broker/types';
import { isUsdStock } from '../../shared/broker/types';
import { EventRecorder } from '../helpers/order-events';
import type { SimGatewayProcess } from '../helpers/sim-gateway-process';
import { makeTempDir } from '../helpers/temp-dir';
import { waitUntil } from '../helpers/wait-until';
import { ibAdapter, orderIdDatabase, refFactory, fileGateway, stockQuantity } from '../contract/ib-adapter-harness';

/**
 * Instruments as a real account has them, against a real realistic sim-gateway: symbols that are
 * ambiguous on SMART unless addressed by conId, and holdings the bots never bought (an option with its
 * underlying's symbol, a EUR stock, the share-class symbol `BRK B`). Instruments are keyed by conId.
 */
describe('IB adapter: ambiguous symbols and foreign holdings against the realistic sim-gateway', () => {
  const temp = makeTempDir('adapter-instruments');
  const gatewayProcess = fileGateway(temp.dir, 'realistic');
  let gateway: SimGatewayProcess;
  let database: ReturnType<typeof orderIdDatabase>;
  const adapters: IbBrokerAdapter[] = [];
  const recorders: EventRecorder[] = [];
  let ambiguousSymbols: string[] = [];
  const ref = refFactory('IN');

  const connect = async (clientId: number) => {
    const broker = ibAdapter(gateway.port, clientId, database.orderIds, { marketDataType: 'auto' });
    adapters.push(broker);
    const events = new EventRecorder(broker);
    recorders.push(events);
    await broker.connect();
    return { broker, events };
  };

  /** A market order that must fill; waits until the position shows it. */
  const trade = async (broker: IbBrokerAdapter, events: EventRecorder, symbol: string, side: 'BUY' | 'SELL', quantity: number) => {
    const before = stockQuantity(await broker.positions(), symbol);
    const orderRef = ref(`${side}-${symbol.replace(' ', '_')}`);
    await broker.placeOrder({ orderRef, symbol, side, quantity, type: 'MKT', tif: 'DAY' });
    const outcome = await events.waitForOrder((e) => (e.kind === 'filled' || e.kind === 'rejected') && e.ref === orderRef, 15_000, `the fill of ${orderRef}`);
    expect(outcome.kind).toBe('filled');
    const expected = before + (side === 'BUY' ? quantity : -quantity);
    return waitUntil(async () => {
      const positions = await broker.positions();
      return stockQuantity(positions, symbol) === expected ? positions : undefined;
    }, 15_000, `${expected} ${symbol} reported`, 100);
  };

  beforeAll(async () => {
    gateway = await gatewayProcess.start();
    database = orderIdDatabase(temp.dir);
    ambiguousSymbols = (await gateway.admin<{ ambiguousSymbols: string[] }>('GET /realism')).ambiguousSymbols;
  });
  afterAll(async () => {
    for (const events of recorders) events.close();
    for (const broker of adapters) await broker.disconnect();
    await gatewayProcess.stop();
    database?.close();
    temp.cleanup();
  });

  it('the simulator is strict: an ambiguous symbol on SMART without conId is refused with 200 (raw IBApi)', async () => {
    expect(ambiguousSymbols.length).toBeGreaterThanOrEqual(2);
    const symbol = ambiguousSymbols[0]!;
    const ib = new IBApi({ host: '127.0.0.1', port: gateway.port, clientId: 99 });
    const errors = new Map<number, number>();
    const nextValidId = new Promise<number>((resolve) => ib.once(EventName.nextValidId, resolve));
    ib.on(EventName.error, (_error: Error, code: number, id: number) => errors.set(id, code));
    ib.connect();
    const orderId = await nextValidId;
    const contract: Contract = { symbol, secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
    ib.reqMktData(9_001, contract, '', false, false);
    ib.reqHistoricalData(9_002, contract, '', '3600 S', '5 mins' as never, 'TRADES' as never, 1, 2, false);
    ib.placeOrder(orderId, contract, { action: OrderAction.BUY, totalQuantity: 1, orderType: OrderType.MKT, tif: 'DAY', transmit: true, orderRef: ref('raw') });
    await waitUntil(() => errors.size >= 3, 10_000, 'three refusals');
    ib.disconnect();
    expect(Object.fromEntries(errors)).toEqual({ 9001: 200, 9002: 200, [orderId]: 200 });
  });

  it('an ambiguous symbol works through the adapter once a scan gave its conId: quotes, history, an order', async () => {
    const { broker, events } = await connect(91);
    const scanned = await broker.scan('MOST_ACTIVE', { rows: 50 });
    const symbol = ambiguousSymbols.find((s) => scanned.includes(s))!;
    expect(symbol).toBeDefined();

    const quotes: Quote[] = [];
    const unsubscribe = broker.subscribeQuotes(symbol, (quote) => quotes.push({ ...quote }));
    await waitUntil(() => quotes.find((q) => q.bid! > 0 && q.ask! > 0), 15_000, `a two-sided quote of ${symbol}`);
    unsubscribe();
    const bars = await broker.historicalBars(symbol, { barSize: '5 mins', duration: '3600 S' });
    expect(bars.length).toBeGreaterThan(0);
    const positions = await trade(broker, events, symbol, 'BUY', 5);
    const conId = positions.find((p) => p.symbol === symbol && isUsdStock(p))?.conId;
    expect(conId).toBeGreaterThan(0);
    expect(events.connectionEvents.filter((e) => e.kind === 'error' && e.code === 200)).toEqual([]);
    // What the day-trader puts on its claim, and what its fill says: the same contract (the exit manager,
    // another connection that never scanned, protects with it before any position report).
    expect(await broker.contractOf(symbol)).toMatchObject({ conId });
    const fills = events.orderEvents.filter((e) => e.kind === 'filled' && e.execution.symbol === symbol);
    expect(fills.length).toBeGreaterThan(0);
    for (const fill of fills) expect(fill.kind === 'filled' && fill.execution.conId).toBe(conId);
  });

  it('a connection that never scanned nor held the symbol names it by the conId it is given: its stop is not refused', async () => {
    const { broker: dayTrader, events: dayTraderEvents } = await connect(94);
    const scanned = await dayTrader.scan('MOST_ACTIVE', { rows: 50 });
    const held = (await gateway.admin<{ positions: Array<{ symbol: string; quantity: number }> }>('GET /state')).positions;
    const symbol = ambiguousSymbols.find((s) => scanned.includes(s) && !held.some((p) => p.symbol === s && p.quantity !== 0))!;
    expect(symbol).toBeDefined();
    const contract = await dayTrader.contractOf(symbol);
    expect(contract?.conId).toBeGreaterThan(0);
    await dayTrader.placeOrder({ orderRef: ref(`BUY-${symbol}`), symbol, conId: contract!.conId, side: 'BUY', quantity: 5, type: 'MKT', tif: 'DAY' });
    await dayTraderEvents.waitForOrder((e) => e.kind === 'filled' && e.execution.symbol === symbol, 15_000, 'the entry fill');
    const { broker: exitManager, events: exitEvents } = await connect(95);
    const stopRef = ref(`SL-${symbol}`);
    await exitManager.placeOrder({ orderRef: stopRef, symbol, conId: contract!.conId, side: 'SELL', quantity: 5, type: 'STP', stopPrice: 0.5, tif: 'GTC' });
    const outcome = await exitEvents.waitForOrder((e) => (e.kind === 'accepted' || e.kind === 'rejected') && e.ref === stopRef, 15_000, 'the stop acknowledged');
    expect(outcome.kind).toBe('accepted');
    if (outcome.kind === 'accepted') await exitManager.cancelOrder(outcome.orderId);
  });

  it('an adapter that never scanned learns the conId from the positions it holds, and can sell an ambiguous symbol', async () => {
    const held = (await gateway.admin<{ positions: Array<{ symbol: string; quantity: number }> }>('GET /state')).positions;
    const symbol = ambiguousSymbols.find((s) => held.some((p) => p.symbol === s && p.quantity >= 5))!;
    expect(symbol).toBeDefined();
    const { broker, events } = await connect(92);
    await trade(broker, events, symbol, 'SELL', 5);
  });

  it('foreign holdings come with conId, secType, currency and a description; only US stocks are ours to trade', async () => {
    const { broker, events } = await connect(93);
    await broker.scan('MOST_ACTIVE', { rows: 50 });
    const initial = await broker.positions();
    const option = initial.find((p) => p.secType === 'OPT')!;
    expect(option).toBeDefined();
    // Hold shares of the option's underlying too: same symbol, two instruments, told apart by conId.
    const positions = await trade(broker, events, option.symbol, 'BUY', 10);

    const bySymbol = (symbol: string) => positions.filter((p) => p.symbol === symbol);
    const optionRow = bySymbol(option.symbol).find((p) => p.secType === 'OPT')!;
    const stockRow = bySymbol(option.symbol).find((p) => p.secType === 'STK')!;
    expect(optionRow).toMatchObject<Partial<BrokerPosition>>({ currency: 'USD', quantity: option.quantity });
    expect(optionRow.description).toMatch(new RegExp(`^${option.symbol} \\d{8} \\d+(\\.\\d+)? C \\(OPT\\)$`));
    expect(stockRow).toMatchObject<Partial<BrokerPosition>>({ currency: 'USD', description: option.symbol });
    expect(optionRow.conId).toBeGreaterThan(0);
    expect(stockRow.conId).toBeGreaterThan(0);
    expect(optionRow.conId).not.toBe(stockRow.conId);

    const euro = positions.find((p) => p.currency === 'EUR')!;
    expect(euro).toMatchObject<Partial<BrokerPosition>>({ symbol: 'SAP', secType: 'STK', description: 'SAP (STK EUR)' });
    expect(euro.conId).toBeGreaterThan(0);
    const shareClass = positions.find((p) => p.symbol === 'BRK B')!;
    expect(shareClass).toMatchObject<Partial<BrokerPosition>>({ secType: 'STK', currency: 'USD', description: 'BRK B' });
    expect(shareClass.conId).toBeGreaterThan(0);

    expect(isUsdStock(optionRow)).toBe(false);
    expect(isUsdStock(euro)).toBe(false);
    expect(isUsdStock(stockRow)).toBe(true);
    expect(isUsdStock(shareClass)).toBe(true);
    expect(stockQuantity(positions, option.symbol)).toBe(stockRow.quantity);
    // Every instrument once: conIds are unique in a snapshot.
    expect(new Set(positions.map((p) => p.conId)).size).toBe(positions.length);
  });
});
