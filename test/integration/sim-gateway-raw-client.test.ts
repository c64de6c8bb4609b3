/* eslint-disable @typescript-eslint/no-explicit-any */
import { EventName, IBApi, OrderAction, OrderType, SecType, type Contract } from '@stoqey/ib';
import { makeTempDir } from '../helpers/temp-dir';
import { startSimGateway, type SimGatewayProcess } from '../helpers/sim-gateway-process';

/**
 * The ordinary IBApi calls, made with the raw @stoqey/ib client (not our adapter), answered by a real
 * sim-gateway process: what any third-party IB program would see.
 */
/** The tidy profile: live data, no ambiguous symbols, no pacing (the realistic one: sim-gateway-realism.test.ts). */
const IDEAL = { SIM_PROFILE: 'ideal' };

describe('sim-gateway with the raw IBApi client', () => {
  const temp = makeTempDir('raw');
  let gateway: SimGatewayProcess;
  const clients: IBApi[] = [];
  let symbol = '';

  const stock = (s: string): Contract => ({ symbol: s, secType: SecType.STK, exchange: 'SMART', currency: 'USD' });

  /** Connects a raw client and resolves at nextValidId. */
  function connect(clientId: number, beforeConnect?: (ib: IBApi) => void): Promise<{ ib: IBApi; nextValidId: number; accounts: string }> {
    const ib = new IBApi({ host: '127.0.0.1', port: gateway.port, clientId });
    clients.push(ib);
    beforeConnect?.(ib);
    return new Promise((resolve) => {
      let accounts = '';
      ib.once(EventName.managedAccounts, (a: string) => (accounts = a));
      ib.once(EventName.nextValidId, (id: number) => resolve({ ib, nextValidId: id, accounts }));
      ib.connect();
    });
  }

  /** IBApi's typed overloads per event get in the way of a generic helper: listen through the plain emitter API. */
  type Emitter = { on(event: string, fn: (...args: any[]) => void): void; off(event: string, fn: (...args: any[]) => void): void };
  const on = (ib: IBApi, event: EventName, fn: (...args: any[]) => void) => (ib as unknown as Emitter).on(event, fn);

  function once<T extends unknown[]>(ib: IBApi, event: EventName, predicate: (...args: T) => boolean = () => true): Promise<T> {
    return new Promise((resolve) => {
      const handler = (...args: unknown[]) => {
        if (!predicate(...(args as T))) return;
        (ib as unknown as Emitter).off(event, handler);
        resolve(args as T);
      };
      on(ib, event, handler);
    });
  }

  beforeAll(async () => {
    gateway = await startSimGateway({ dir: temp.dir, speed: 10, dayStart: '09:45', startingCash: 200_000, extraEnv: IDEAL });
  });
  afterAll(async () => {
    for (const ib of clients) ib.disconnect();
    await gateway.stop();
    temp.cleanup();
  });

  it('handshakes, names a DU account and answers current time, scanner, contract details and history', async () => {
    const { ib, accounts, nextValidId } = await connect(31);
    expect(accounts).toMatch(/^DU\d{7}$/);
    expect(nextValidId).toBeGreaterThanOrEqual(1);

    const time = once<[number]>(ib, EventName.currentTime);
    ib.reqCurrentTime();
    const [seconds] = await time;
    expect(new Date(seconds * 1000).toISOString()).toMatch(/^2026-11-23T1[45]:/); // 09:45+ New York on the simulated day

    const rows: string[] = [];
    const scanDone = once<[number]>(ib, EventName.scannerDataEnd, (id) => id === 500);
    on(ib, EventName.scannerData, (id: number, _rank: number, details: { contract: Contract }) => id === 500 && rows.push(details.contract.symbol!));
    ib.reqScannerSubscription(500, { numberOfRows: 10, instrument: 'STK' as never, locationCode: 'STK.US.MAJOR' as never, scanCode: 2 /* MOST_ACTIVE */ });
    await scanDone;
    ib.cancelScannerSubscription(500);
    expect(rows.length).toBe(10);
    symbol = rows[0]!;

    const details = once<[number, { contract: Contract; longName?: string }]>(ib, EventName.contractDetails, (id) => id === 501);
    const detailsEnd = once<[number]>(ib, EventName.contractDetailsEnd, (id) => id === 501);
    ib.reqContractDetails(501, stock(symbol));
    const [, d] = await details;
    await detailsEnd;
    expect(d.contract).toMatchObject({ symbol, secType: 'STK', currency: 'USD' });
    expect(d.contract.conId).toBeGreaterThan(0);

    const bars: number[] = [];
    on(ib, EventName.historicalData, (id: number, time: string, _o: number, _h: number, _l: number, close: number) => {
      if (id === 502 && !time.startsWith('finished')) bars.push(close);
    });
    const finished = once<[number, string]>(ib, EventName.historicalData, (id, time) => id === 502 && time.startsWith('finished'));
    ib.reqHistoricalData(502, stock(symbol), '', '1 D', '5 mins' as never, 'TRADES' as never, 0, 2, false);
    await finished;
    expect(bars.length).toBeGreaterThan(60); // 04:00 to 09:45 in 5-minute bars
    expect(bars.every((c) => c > 0)).toBe(true);

    const daily: number[] = [];
    on(ib, EventName.historicalData, (id: number, time: string) => id === 503 && !time.startsWith('finished') && daily.push(Number(time)));
    const dailyDone = once<[number, string]>(ib, EventName.historicalData, (id, time) => id === 503 && time.startsWith('finished'));
    ib.reqHistoricalData(503, stock(symbol), '', '10 D', '1 day' as never, 'TRADES' as never, 1, 1, false);
    await dailyDone;
    expect(daily.length).toBe(10);
  });

  it('streams quotes, fills an order with execDetails + commission, and reports it everywhere', async () => {
    const { ib, nextValidId } = await connect(32);
    const bid = once<[number, number, number]>(ib, EventName.tickPrice, (id, field) => id === 600 && field === 1);
    ib.reqMktData(600, stock(symbol), '', false, false);
    const [, , bidPrice] = await bid;
    expect(bidPrice).toBeGreaterThan(0);

    const exec = once<[number, Contract, { side: string; shares: number; orderRef: string; execId: string; price: number }]>(ib, EventName.execDetails);
    const commission = once<[{ execId: string; commission: number }]>(ib, EventName.commissionReport);
    ib.placeOrder(nextValidId, stock(symbol), { action: OrderAction.BUY, totalQuantity: 100, orderType: OrderType.MKT, tif: 'DAY', orderRef: 'raw-1', transmit: true });
    const [reqId, contract, execution] = await exec;
    expect(reqId).toBe(-1);
    expect(contract.symbol).toBe(symbol);
    expect(execution).toMatchObject({ side: 'BOT', shares: 100, orderRef: 'raw-1' });
    const [report] = await commission;
    expect(report.execId).toBe(execution.execId);
    expect(report.commission).toBe(1); // $0.005 x 100 = $0.50, minimum $1.00

    const executions: string[] = [];
    on(ib, EventName.execDetails, (id: number, _c: Contract, e: { orderRef: string }) => id === 601 && executions.push(e.orderRef));
    const execEnd = once<[number]>(ib, EventName.execDetailsEnd, (id) => id === 601);
    ib.reqExecutions(601, {});
    await execEnd;
    expect(executions).toContain('raw-1');

    const summary: Record<string, string> = {};
    on(ib, EventName.accountSummary, (id: number, _a: string, tag: string, value: string) => id === 602 && (summary[tag] = value));
    const summaryEnd = once<[number]>(ib, EventName.accountSummaryEnd, (id) => id === 602);
    ib.reqAccountSummary(602, 'All', 'NetLiquidation,TotalCashValue,GrossPositionValue,BuyingPower,AvailableFunds');
    await summaryEnd;
    ib.cancelAccountSummary(602);
    expect(Number(summary.GrossPositionValue)).toBeGreaterThan(0);
    expect(Number(summary.TotalCashValue)).toBeLessThan(200_000);

    const completed: string[] = [];
    on(ib, EventName.completedOrder, (_c: Contract, o: { orderRef?: string }) => completed.push(o.orderRef ?? ''));
    const completedEnd = once<[]>(ib, EventName.completedOrdersEnd);
    ib.reqCompletedOrders(false);
    await completedEnd;
    expect(completed).toContain('raw-1');

    const pnl = once<[number, number, number, number]>(ib, EventName.pnl, (id) => id === 603);
    ib.reqPnL(603, 'DU', '');
    const [, daily] = await pnl;
    expect(Number.isFinite(daily)).toBe(true);
    ib.cancelPnL(603);
  });

  it('refuses a duplicate client id (326), an unknown symbol (200), too little buying power (201) and a reused order id (103)', async () => {
    const { ib, nextValidId } = await connect(33);
    const second = new IBApi({ host: '127.0.0.1', port: gateway.port, clientId: 33 });
    clients.push(second);
    const refused = once<[string, number]>(second, EventName.info, (_m, code) => code === 326);
    second.connect();
    await refused;

    const unknown = once<[Error, number, number]>(ib, EventName.error, (_e, code) => code === 200);
    ib.placeOrder(nextValidId, stock('NOSUCHSYM'), { action: OrderAction.BUY, totalQuantity: 1, orderType: OrderType.MKT, tif: 'DAY', transmit: true });
    expect((await unknown)[2]).toBe(nextValidId);

    const tooBig = once<[Error, number, number]>(ib, EventName.error, (_e, code) => code === 201);
    ib.placeOrder(nextValidId + 1, stock(symbol), { action: OrderAction.BUY, totalQuantity: 10_000_000, orderType: OrderType.MKT, tif: 'DAY', transmit: true });
    const [error, , id] = await tooBig;
    expect(id).toBe(nextValidId + 1);
    expect(error.message).toMatch(/BUYING POWER/);

    const duplicate = once<[Error, number, number]>(ib, EventName.error, (_e, code) => code === 103);
    ib.placeOrder(nextValidId, stock(symbol), { action: OrderAction.BUY, totalQuantity: 1, orderType: OrderType.MKT, tif: 'DAY', transmit: true });
    expect((await duplicate)[2]).toBe(nextValidId);
  });

  it('with an order preset, an order without a time in force gets the informational 10349 first, then works as DAY and fills', async () => {
    await gateway.admin('POST /realism', { orderPresetWarnings: true });
    try {
      const { ib, nextValidId } = await connect(34);
      // Another stock than the one the other tests count shares of.
      const other = (await gateway.admin<{ symbols: string[] }>('GET /universe')).symbols.find((s) => s !== symbol)!;
      const seen: string[] = [];
      const note = (code: number, id: number) => id === nextValidId && seen.push(`notice ${code}`);
      on(ib, EventName.error, (_e: Error, code: number, id: number) => note(code, id));
      on(ib, EventName.info, (_m: string, code: number, id?: number) => note(code, id ?? -1));
      on(ib, EventName.openOrder, (id: number, _c: Contract, order: { tif?: string }) => id === nextValidId && seen.push(`openOrder ${order.tif}`));
      const exec = once<[number, Contract, { orderRef: string; shares: number }]>(ib, EventName.execDetails, (_r, _c, e) => e.orderRef === 'raw-preset');
      ib.placeOrder(nextValidId, stock(other), { action: OrderAction.BUY, totalQuantity: 10, orderType: OrderType.MKT, orderRef: 'raw-preset', transmit: true });
      expect((await exec)[2]).toMatchObject({ shares: 10 });
      expect(seen[0]).toBe('notice 10349');
      expect(seen).toContain('openOrder DAY');
    } finally {
      await gateway.admin('POST /realism', { orderPresetWarnings: false });
    }
  });

  it('plays the IB quirks on demand: ids going backwards and executions replayed after a restart, pacing, a manual trade', async () => {
    await gateway.admin('POST /quirks/ids-backwards', { on: true });
    await gateway.admin('POST /quirks/replay-executions', { on: true });
    await gateway.admin('POST /faults/restart', { downMs: 200 });
    let replayed: Promise<[number, Contract, { orderRef: string }]> | undefined;
    const { ib, nextValidId } = await connect(32, (raw) => {
      replayed = once<[number, Contract, { orderRef: string }]>(raw, EventName.execDetails, (_id, _c, e) => e.orderRef === 'raw-1');
    });
    expect(nextValidId).toBe(1); // below the ids client 32 already used
    const [reqId, , execution] = await replayed!;
    expect(reqId).toBe(-1); // replayed as if new: a client must book executions by execId, once
    expect(execution.orderRef).toBe('raw-1');

    await gateway.admin('POST /quirks/pacing', { historical: 1 });
    const pacing = once<[Error, number, number]>(ib, EventName.error, (_e, code) => code === 162);
    ib.reqHistoricalData(700, stock(symbol), '', '1 D', '1 min' as never, 'TRADES' as never, 0, 2, false);
    expect((await pacing)[2]).toBe(700);

    const positions = new Map<string, number>();
    on(ib, EventName.position, (_a: string, c: Contract, quantity: number) => positions.set(c.symbol!, quantity));
    const initial = once(ib, EventName.positionEnd);
    ib.reqPositions();
    await initial;
    expect(positions.get(symbol)).toBe(100);
    const update = once(ib, EventName.position, (_a: string, c: Contract, quantity: number) => c.symbol === symbol && quantity === 60);
    const manual = await gateway.admin<{ execution: { symbol: string; orderRef: string } }>('POST /quirks/manual-trade', { symbol, quantity: -40 });
    expect(manual.execution.symbol).toBe(symbol);
    await update; // streamed to every subscriber although no API client placed an order
    expect(positions.get(symbol)).toBe(60);
  });

  it('keeps the account when the gateway process is killed and started again', async () => {
    const before = await gateway.admin<{ positions: Array<{ symbol: string; quantity: number }>; executions: unknown[] }>('GET /state');
    await gateway.kill();
    gateway = await startSimGateway({ dir: temp.dir, speed: 10, dayStart: '09:45', port: gateway.port, adminPort: gateway.adminPort, extraEnv: IDEAL });
    const after = await gateway.admin<{ positions: Array<{ symbol: string; quantity: number }>; executions: unknown[] }>('GET /state');
    expect(after.positions).toEqual(before.positions);
    expect(after.executions.length).toBe(before.executions.length);
  });
});
