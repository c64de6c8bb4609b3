import { newYorkTime } from '../../../../shared/time/trading-calendar';
import { EventName } from '@stoqey/ib';
import { DELAY_MS } from '../../../../apps/sim-gateway/feed/delayed-tape';
import type { SymbolInfo } from '../../../../apps/sim-gateway/market';
import { marketDataAccess } from '../../../../apps/sim-gateway/realism/market-data-permissions';
import { DAY, InProcessGateway, stock, type TestClient } from './in-process-gateway';

const LIVE_TYPES = [1, 2, 4, 0, 3, 5, 6, 7, 8, 9, 14];
const DELAYED_TYPES = [66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76];
const NASDAQ_INFO: SymbolInfo = { symbol: 'ABCD', conId: 1, longName: 'Abcd Inc.', primaryExchange: 'NASDAQ', industry: 'Tech' };
const NYSE_INFO: SymbolInfo = { symbol: 'XYZ', conId: 2, longName: 'Xyz Corp.', primaryExchange: 'NYSE', industry: 'Banks' };

describe('market data access decision (permissions x requested type)', () => {
  const open = () => false;
  const closed = () => true;

  it('a live account gets live data whatever it asks for; frozen types say 2 only while the market is closed', () => {
    for (const type of [1, 3] as const) expect(marketDataAccess('live', type, NASDAQ_INFO, 'SMART', closed)).toEqual({ kind: 'live', marketDataType: 1 });
    for (const type of [2, 4] as const) {
      expect(marketDataAccess('live', type, NASDAQ_INFO, 'SMART', open)).toEqual({ kind: 'live', marketDataType: 1 });
      expect(marketDataAccess('live', type, NASDAQ_INFO, 'SMART', closed)).toEqual({ kind: 'live', marketDataType: 2 });
    }
  });

  it('a delayed-only account: live and frozen requests fail with 10089 naming the listing; delayed ones get delayed data after 10167', () => {
    for (const type of [1, 2] as const) {
      const access = marketDataAccess('delayed', type, NASDAQ_INFO, 'SMART', open);
      expect(access).toEqual({ kind: 'refused', error: { code: 10089, message: expect.stringMatching(/^Requested market data requires additional subscription for API\..*Delayed market data is available\.ABCD NASDAQ\.NMS\/TOP\/ALL$/) } });
    }
    expect(marketDataAccess('delayed', 1, NYSE_INFO, 'SMART', open)).toMatchObject({ error: { message: expect.stringMatching(/XYZ NYSE\/TOP\/ALL$/) } });
    expect(marketDataAccess('delayed', 3, NASDAQ_INFO, 'SMART', closed)).toEqual({
      kind: 'delayed', marketDataType: 3, notice: { code: 10167, message: 'Requested market data is not subscribed. Displaying delayed market data.' },
    });
    expect(marketDataAccess('delayed', 4, NASDAQ_INFO, 'SMART', open)).toMatchObject({ kind: 'delayed', marketDataType: 3 });
    expect(marketDataAccess('delayed', 4, NASDAQ_INFO, 'SMART', closed)).toMatchObject({ kind: 'delayed', marketDataType: 4 });
  });

  it('an account without market data: live requests fail with 354, delayed ones with 10168', () => {
    for (const type of [1, 2] as const) {
      expect(marketDataAccess('none', type, NASDAQ_INFO, 'SMART', open)).toEqual({ kind: 'refused', error: { code: 354, message: 'Requested market data is not subscribed.Error&BEST/STK/Top&BEST/STK/Top' } });
    }
    for (const type of [3, 4] as const) {
      expect(marketDataAccess('none', type, NASDAQ_INFO, 'SMART', open)).toEqual({ kind: 'refused', error: { code: 10168, message: 'Requested market data is not subscribed. Delayed market data is not enabled.' } });
    }
  });
});

describe('market data permissions through the IBApi client', () => {
  let sim: InProcessGateway;
  let client: TestClient;
  const symbol = () => sim.gateway.model.universe[0]!.symbol;
  let nextReqId = 100;
  const reqId = () => nextReqId++;

  afterEach(async () => sim.stop());

  async function start(realism: Parameters<InProcessGateway['setRealism']>[0], atMs?: number): Promise<void> {
    sim = await new InProcessGateway({ realism, atMs }).start();
    client = await sim.connect(41);
  }

  it('switch off (ideal profile): live ticks as before, MARKET_DATA_TYPE 1, nothing delayed, even after reqMarketDataType(3)', async () => {
    await start({});
    for (const requested of [1, 3]) {
      client.ib.reqMarketDataType(requested);
      const id = reqId();
      client.ib.reqMktData(id, stock(symbol()), '', false, false);
      await client.sync();
      expect(client.errorsOf(id)).toEqual([]);
      expect(client.marketDataTypes(id)).toEqual([1]);
      expect(client.tickTypes(id)).toEqual(new Set([9, 14, 6, 7, 1, 0, 2, 3, 4, 5, 8]));
      expect(client.ticks(id).get(4)).toBe(sim.gateway.feed.snapshot(symbol()).last);
    }
  });

  it('delayed-only account: a live request gets 10089 and no ticks; after reqMarketDataType(3) ticks 66-76 of 15 market minutes ago', async () => {
    await start({ marketData: 'delayed' });
    const live = reqId();
    client.ib.reqMktData(live, stock(symbol()), '233', false, false);
    await client.sync();
    expect(client.errorsOf(live).map((e) => e.code)).toEqual([10089]);
    expect(client.of(live).filter((e) => e.name !== EventName.error)).toEqual([]);

    client.ib.reqMarketDataType(3);
    await client.sync(); // the tape records from here on
    sim.advance(20 * 60_000);
    const delayed = reqId();
    client.ib.reqMktData(delayed, stock(symbol()), '233', false, false);
    await client.sync();
    const errors = client.errorsOf(delayed);
    expect(errors).toEqual([{ code: 10167, message: 'Requested market data is not subscribed. Displaying delayed market data.' }]);
    expect(client.marketDataTypes(delayed)).toEqual([3]);
    const types = client.tickTypes(delayed);
    expect([...types].filter((t) => LIVE_TYPES.includes(t))).toEqual([]);
    expect(types).toEqual(new Set(DELAYED_TYPES));
    expect(client.of(delayed).some((e) => e.name === EventName.tickString)).toBe(false); // no RT_VOLUME with delayed data

    const then = sim.stateAt(symbol(), sim.clock.now() - DELAY_MS)!;
    const now = sim.gateway.feed.snapshot(symbol());
    const ticks = client.ticks(delayed);
    expect(Object.fromEntries(ticks)).toEqual({
      66: then.bid, 67: then.ask, 68: then.last, 69: then.bidSize, 70: then.askSize, 71: then.lastSize,
      72: then.high, 73: then.low, 74: then.volume, 75: then.previousClose, 76: then.open,
    });
    expect(then.volume).toBeLessThan(now.volume); // really the past, not the current state

    // It streams: each new trade moves the delayed view along, still 15 market minutes behind.
    const update = client.next(EventName.tickSize, (id: number, type: number) => id === delayed && type === 74);
    sim.advance(60_000);
    await update;
    sim.touch(symbol());
    await client.sync();
    const later = sim.stateAt(symbol(), sim.clock.now() - DELAY_MS)!;
    expect(client.ticks(delayed).get(74)).toBe(later.volume);
    expect(client.ticks(delayed).get(68)).toBe(later.last);
    expect(later.volume).toBeGreaterThan(then.volume);
    expect([...client.tickTypes(delayed)].filter((t) => LIVE_TYPES.includes(t))).toEqual([]);
  });

  it('before 15 minutes of history exist, a delayed view is the oldest state recorded', async () => {
    // The tape records from the gateway's start; started two minutes into the pre-market it holds only those.
    await start({ marketData: 'delayed' }, newYorkTime(DAY, '04:02'));
    client.ib.reqMarketDataType(3);
    const first = reqId();
    client.ib.reqMktData(first, stock(symbol()), '', true, false);
    await client.next(EventName.tickSnapshotEnd, (id: number) => id === first);
    const atFirst = Object.fromEntries(client.ticks(first));
    // A delayed-only account's gateway records the tape from its start: the oldest state is its first trade.
    const oldest = sim.history.get(symbol())![0]!;
    expect(atFirst[68]).toBe(oldest.last);
    expect(atFirst[74]).toBe(oldest.volume);
    expect(sim.clock.now() - oldest.timeMs).toBeLessThan(DELAY_MS);

    sim.advance(5 * 60_000);
    const second = reqId();
    client.ib.reqMktData(second, stock(symbol()), '', true, false);
    await client.next(EventName.tickSnapshotEnd, (id: number) => id === second);
    expect(Object.fromEntries(client.ticks(second))).toEqual(atFirst);
    expect(sim.gateway.feed.snapshot(symbol()).volume).toBeGreaterThan(atFirst[74]!);
  });

  it('snapshots follow the same rules: delayed snapshot ends with TICK_SNAPSHOT_END; a refused one gets only the error', async () => {
    await start({ marketData: 'delayed' });
    const refused = reqId();
    client.ib.reqMktData(refused, stock(symbol()), '', true, false);
    client.ib.reqMarketDataType(4);
    const delayed = reqId();
    client.ib.reqMktData(delayed, stock(symbol()), '', true, false);
    await client.next(EventName.tickSnapshotEnd, (id: number) => id === delayed);
    await client.sync();
    expect(client.of(refused).map((e) => e.name)).toEqual([EventName.error]);
    expect(client.errorsOf(refused)[0]!.code).toBe(10089);
    expect(client.marketDataTypes(delayed)).toEqual([3]); // delayed-frozen while the market is open: delayed
    expect([...client.tickTypes(delayed)].every((t) => DELAYED_TYPES.includes(t))).toBe(true);
  });

  it('no market data at all: live requests fail with 354, delayed with 10168, and nothing else comes', async () => {
    await start({ marketData: 'none' });
    const live = reqId();
    client.ib.reqMktData(live, stock(symbol()), '', false, false);
    client.ib.reqMarketDataType(3);
    const delayed = reqId();
    client.ib.reqMktData(delayed, stock(symbol()), '', false, false);
    await client.sync();
    sim.advance(60_000);
    await client.sync();
    expect(client.of(live).map((e) => e.args[1])).toEqual([354]);
    expect(client.of(delayed).map((e) => e.args[1])).toEqual([10168]);
  });

  it('a live account asking for delayed data gets live data (live always wins)', async () => {
    await start({ marketData: 'live' });
    client.ib.reqMarketDataType(3);
    const id = reqId();
    client.ib.reqMktData(id, stock(symbol()), '', false, false);
    await client.sync();
    expect(client.errorsOf(id)).toEqual([]);
    expect(client.marketDataTypes(id)).toEqual([1]);
    expect([...client.tickTypes(id)].filter((t) => DELAYED_TYPES.includes(t))).toEqual([]);
  });

  it('a permission change applies to new requests; running subscriptions keep streaming what they had', async () => {
    await start({ marketData: 'delayed' });
    client.ib.reqMarketDataType(3);
    const delayed = reqId();
    client.ib.reqMktData(delayed, stock(symbol()), '', false, false);
    await client.sync();
    sim.setRealism({ marketData: 'none' });
    const refused = reqId();
    client.ib.reqMktData(refused, stock(symbol()), '', false, false);
    await client.sync();
    expect(client.errorsOf(refused).map((e) => e.code)).toEqual([10168]);

    sim.advance(16 * 60_000); // the tape now reaches past the subscription's start: its view moves
    await client.sync();
    const updates = client.of(delayed).filter((e) => e.name === EventName.tickPrice && e.args[1] === 68);
    expect(updates.length).toBeGreaterThan(1);

    sim.setRealism({ marketData: 'live' });
    client.ib.reqMarketDataType(1);
    const live = reqId();
    client.ib.reqMktData(live, stock(symbol()), '', false, false);
    await client.sync();
    expect(client.marketDataTypes(live)).toEqual([1]);
    expect(client.tickTypes(live).has(4)).toBe(true);
  });

  it('cancelMktData stops a delayed stream', async () => {
    await start({ marketData: 'delayed' });
    client.ib.reqMarketDataType(3);
    const id = reqId();
    client.ib.reqMktData(id, stock(symbol()), '', false, false);
    await client.sync();
    client.ib.cancelMktData(id);
    await client.sync();
    const before = client.of(id).length;
    sim.advance(20 * 60_000);
    await client.sync();
    expect(client.of(id).length).toBe(before);
  });
});
