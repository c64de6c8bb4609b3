import { EventName } from '@stoqey/ib';
import type { ClientRequest } from '../../../../apps/sim-gateway/protocol/client-request-types';
import { HistoricalPacer } from '../../../../apps/sim-gateway/realism/historical-pacing';
import { InProcessGateway, stock } from './in-process-gateway';

type HistoricalRequest = Extract<ClientRequest, { kind: 'reqHistoricalData' }>;

function request(symbol: string, fields: Partial<HistoricalRequest> = {}): HistoricalRequest {
  return {
    kind: 'reqHistoricalData', reqId: 1, endDateTime: '', barSizeSetting: '5 mins', durationStr: '1 D', useRTH: false, whatToShow: 'TRADES', formatDate: 2,
    keepUpToDate: false, chartOptions: [],
    contract: { conId: undefined, symbol, secType: 'STK', lastTradeDateOrContractMonth: '', strike: undefined, right: '', multiplier: undefined, exchange: 'SMART', primaryExchange: '', currency: 'USD', localSymbol: '', tradingClass: '' },
    ...fields,
  };
}

describe('HistoricalPacer (market time)', () => {
  it('refuses an identical request within 15 s, whatever its request id; admits it again after', () => {
    const pacer = new HistoricalPacer();
    expect(pacer.admit(request('AAA', { reqId: 1 }), 0)).toBeUndefined();
    expect(pacer.admit(request('AAA', { reqId: 2 }), 14_999)).toBe('identical-within-15s');
    expect(pacer.admit(request('AAA', { reqId: 3, durationStr: '2 D' }), 14_999)).toBeUndefined(); // not identical
    expect(pacer.admit(request('AAA', { reqId: 4 }), 15_000)).toBeUndefined();
  });

  it('refuses a sixth request for the same contract and tick type within 2 s', () => {
    const pacer = new HistoricalPacer();
    const durations = ['1 D', '2 D', '3 D', '4 D', '5 D', '6 D'];
    for (const [i, durationStr] of durations.slice(0, 5).entries()) expect(pacer.admit(request('AAA', { durationStr }), i * 100)).toBeUndefined();
    expect(pacer.admit(request('AAA', { durationStr: '6 D' }), 1_999)).toBe('same-contract-6-within-2s');
    expect(pacer.admit(request('AAA', { durationStr: '6 D', whatToShow: 'MIDPOINT' }), 1_999)).toBeUndefined(); // another tick type
    expect(pacer.admit(request('BBB', { durationStr: '6 D' }), 1_999)).toBeUndefined(); // another contract
    expect(pacer.admit(request('AAA', { durationStr: '6 D' }), 2_000)).toBeUndefined(); // the first has left the window
  });

  it('refuses a 61st request in 10 minutes (BID_ASK counts twice); refusals are not counted', () => {
    const pacer = new HistoricalPacer();
    for (let i = 0; i < 59; i++) expect(pacer.admit(request(`S${i}`), i * 1_000)).toBeUndefined();
    expect(pacer.admit(request('X', { whatToShow: 'BID_ASK' }), 59_000)).toBe('over-60-in-10min');
    expect(pacer.admit(request('X'), 59_000)).toBeUndefined(); // the 60th
    expect(pacer.admit(request('Y'), 599_999)).toBe('over-60-in-10min');
    expect(pacer.admit(request('Y'), 600_000)).toBeUndefined(); // the request of t=0 is 10 minutes old
  });

  it('a market clock that starts over (a restarted simulated day) does not keep requests from the "future"', () => {
    const pacer = new HistoricalPacer();
    expect(pacer.admit(request('AAA'), 1_000_000)).toBeUndefined();
    expect(pacer.admit(request('AAA'), 10_000)).toBeUndefined();
  });
});

describe('historical data through the IBApi client', () => {
  let sim: InProcessGateway;
  afterEach(async () => sim.stop());
  const symbolOn = (exchange: string) => sim.gateway.model.universe.find((i) => i.primaryExchange === exchange)!.symbol;

  it('no market-data permissions: 162 naming the exchange (ISLAND for NASDAQ stocks); delayed-only accounts get bars', async () => {
    sim = await new InProcessGateway({ realism: { marketData: 'none' } }).start();
    const client = await sim.connect(51);
    expect(await client.history(1, stock(symbolOn('NASDAQ')))).toBe(162);
    expect(client.errorsOf(1)[0]!.message).toBe('Historical Market Data Service error message:No market data permissions for ISLAND STK');
    expect(await client.history(2, stock(symbolOn('NYSE')))).toBe(162);
    expect(client.errorsOf(2)[0]!.message).toBe('Historical Market Data Service error message:No market data permissions for NYSE STK');
    sim.setRealism({ marketData: 'delayed' });
    expect(await client.history(3, stock(symbolOn('NYSE')))).toBe(0);
  });

  it('pacing on: an identical request within 15 market seconds is refused (162), from any client of the gateway', async () => {
    sim = await new InProcessGateway({ realism: { historicalPacing: true } }).start();
    const first = await sim.connect(52);
    const second = await sim.connect(53);
    const symbol = sim.gateway.model.universe[0]!.symbol;
    expect(await first.history(1, stock(symbol))).toBe(0);
    expect(await first.history(2, stock(symbol))).toBe(162);
    expect(first.errorsOf(2)[0]!.message).toBe('Historical Market Data Service error message:Historical data request pacing violation');
    expect(await second.history(3, stock(symbol))).toBe(162); // IB paces per login, not per client
    expect(await second.history(4, stock(symbol), '', '2 D')).toBe(0);
    sim.clock.advance(15_000);
    expect(await first.history(5, stock(symbol))).toBe(0);
  });

  it('pacing off (ideal profile): identical requests are all answered', async () => {
    sim = await new InProcessGateway().start();
    const client = await sim.connect(54);
    const symbol = sim.gateway.model.universe[0]!.symbol;
    for (let reqId = 1; reqId <= 8; reqId++) expect(await client.history(reqId, stock(symbol))).toBe(0);
  });

  it('pacing on: six requests for one contract within 2 market seconds, the sixth refused; switching it off at run time applies at once', async () => {
    sim = await new InProcessGateway({ realism: { historicalPacing: true } }).start();
    const client = await sim.connect(55);
    const symbol = sim.gateway.model.universe[1]!.symbol;
    for (let reqId = 1; reqId <= 5; reqId++) expect(await client.history(reqId, stock(symbol), '', `${reqId} D`)).toBe(0);
    expect(await client.history(6, stock(symbol), '', '6 D')).toBe(162);
    sim.setRealism({ historicalPacing: false });
    expect(await client.history(7, stock(symbol), '', '6 D')).toBe(0);
  });

  it('cancelHistoricalData is accepted (logged), the connection keeps working and nothing more comes for the request', async () => {
    sim = await new InProcessGateway().start();
    const client = await sim.connect(56);
    const symbol = sim.gateway.model.universe[0]!.symbol;
    expect(await client.history(9, stock(symbol))).toBe(0);
    const before = client.of(9).length;
    client.ib.cancelHistoricalData(9);
    await client.sync();
    expect(client.of(9).length).toBe(before);
    expect(client.events.some((e) => e.name === EventName.error && e.args[1] === 320)).toBe(false);
    expect(sim.log.lines.filter((l) => l.event === 'historical_data_cancelled').map((l) => l.fields)).toEqual([{ clientId: 56, reqId: 9 }]);
    expect(await client.history(10, stock(symbol), '', '2 D')).toBe(0);
  });
});
