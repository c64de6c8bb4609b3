/* eslint-disable @typescript-eslint/no-explicit-any */
import { EventName, IBApi, ScanCode, SecType, type Contract } from '@stoqey/ib';
// The package exports TickType as a type only; its values live here.
import { TickType } from '@stoqey/ib/dist/api/market/tickType';
import { makeTempDir } from '../helpers/temp-dir';
import { startSimGateway, type SimGatewayProcess } from '../helpers/sim-gateway-process';

const DELAYED_TICK_TYPES = [
  TickType.DELAYED_BID, TickType.DELAYED_ASK, TickType.DELAYED_LAST, TickType.DELAYED_BID_SIZE, TickType.DELAYED_ASK_SIZE, TickType.DELAYED_LAST_SIZE,
  TickType.DELAYED_HIGH, TickType.DELAYED_LOW, TickType.DELAYED_VOLUME, TickType.DELAYED_CLOSE, TickType.DELAYED_OPEN,
];
const LIVE_TICK_TYPES = [TickType.BID, TickType.ASK, TickType.LAST, TickType.BID_SIZE, TickType.ASK_SIZE, TickType.LAST_SIZE, TickType.VOLUME];

/**
 * A real sim-gateway process on the realistic profile (a new account: delayed market data only, ambiguous
 * symbols, ...) and the unmodified IBApi client: a live request fails, reqMarketDataType(3) brings delayed
 * ticks that the client maps to its DELAYED_* tick types.
 */
describe('sim-gateway realistic profile with the raw IBApi client', () => {
  const temp = makeTempDir('realism-raw');
  let gateway: SimGatewayProcess;
  let ib: IBApi;

  type Emitter = { on(event: string, fn: (...args: any[]) => void): void; off(event: string, fn: (...args: any[]) => void): void };
  function once<T extends unknown[]>(event: EventName, predicate: (...args: T) => boolean = () => true): Promise<T> {
    return new Promise((resolve) => {
      const handler = (...args: unknown[]) => {
        if (!predicate(...(args as T))) return;
        (ib as unknown as Emitter).off(event, handler);
        resolve(args as T);
      };
      (ib as unknown as Emitter).on(event, handler);
    });
  }

  beforeAll(async () => {
    gateway = await startSimGateway({ dir: temp.dir, speed: 60, dayStart: '10:00', extraEnv: { SIM_PROFILE: 'realistic', SIM_MARKET_DATA: 'delayed' } });
    ib = new IBApi({ host: '127.0.0.1', port: gateway.port, clientId: 35 });
    const ready = once(EventName.nextValidId);
    ib.connect();
    await ready;
  });
  afterAll(async () => {
    ib.disconnect();
    await gateway.stop();
    temp.cleanup();
  });

  it('delayed-only account: live data is refused (10089), delayed data after reqMarketDataType(3) arrives as tick types 66-76', async () => {
    const realism = await gateway.admin<{ realism: { marketData: string } }>('GET /realism');
    expect(realism.realism.marketData).toBe('delayed');

    // Take the contract from the scanner, with its conId: the realistic profile has ambiguous symbols on SMART.
    const row = once<[number, number, { contract: Contract }]>(EventName.scannerData, (id) => id === 800);
    ib.reqScannerSubscription(800, { numberOfRows: 5, instrument: 'STK' as never, locationCode: 'STK.US.MAJOR' as never, scanCode: ScanCode.MOST_ACTIVE });
    const [, , details] = await row;
    ib.cancelScannerSubscription(800);
    const contract: Contract = { conId: details.contract.conId, symbol: details.contract.symbol, secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

    const seen = new Map<number, Set<number>>();
    const note = (id: number, type: number) => (seen.get(id) ?? seen.set(id, new Set()).get(id)!).add(type);
    (ib as unknown as Emitter).on(EventName.tickPrice, (id: number, type: number) => note(id, type));
    (ib as unknown as Emitter).on(EventName.tickSize, (id: number, type: number) => note(id, type));

    const refused = once<[Error, number, number]>(EventName.error, (_e, _code, id) => id === 801);
    ib.reqMktData(801, contract, '', false, false);
    const [error, code] = await refused;
    expect(code).toBe(10089);
    expect(error.message).toMatch(/^Requested market data requires additional subscription for API\..*Delayed market data is available\./);

    ib.reqMarketDataType(3);
    const notice = once<[Error, number, number]>(EventName.error, (_e, _code, id) => id === 802);
    const type = once<[number, number]>(EventName.marketDataType, (id) => id === 802);
    const volume = once<[number, number, number]>(EventName.tickSize, (id, tick) => id === 802 && tick === TickType.DELAYED_VOLUME);
    ib.reqMktData(802, contract, '', false, false);
    expect((await notice)[1]).toBe(10167);
    expect((await type)[1]).toBe(3);
    const [, , delayedVolume] = await volume; // the last tick of the first burst: every delayed type is in by now
    expect(Number(delayedVolume)).toBeGreaterThan(0);
    expect([...(seen.get(802) ?? [])].sort((a, b) => a - b)).toEqual([...DELAYED_TICK_TYPES].sort((a, b) => a - b));
    expect([...(seen.get(801) ?? [])]).toEqual([]);
    expect(LIVE_TICK_TYPES.some((t) => seen.get(802)?.has(t))).toBe(false);
    ib.cancelMktData(802);
  });
});
