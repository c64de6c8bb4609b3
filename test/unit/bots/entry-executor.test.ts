import { EntryExecutor } from '../../../apps/day-trader/entry-executor';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import type { Db, Repositories } from '../../../shared/db';
import { silentLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { makeTempDir } from '../../helpers/temp-dir';
import { DAY, flush, openFakeMarketDay } from './fake-market-day';


describe('day-trader entries against the fake broker', () => {
  const temp = makeTempDir('entries');
  const config = loadConfig({ env: {} });
  let n = 0;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  let broker: FakeBroker;
  let entries: EntryExecutor;
  const entry = { symbol: 'ABC', quantity: 100, limitPrice: 50.1, stopLossPrice: 49.55, profitTargetPrice: 50.9, score: 80, reason: 'test' };

  beforeEach(async () => {
    ({ db, repos, clock, broker } = await openFakeMarketDay(temp.dir, `e-${n++}.db`, { app: 'day-trader', clientId: 11 }));
    entries = new EntryExecutor({ app: 'day-trader', broker, repos, clock, log: silentLogger(), config });
    entries.start();
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  it('claims, sends one immediate-or-cancel LMT order with orderRef = claim id, and books the fill as OPEN', async () => {
    broker.setPrice('ABC', 50);
    const result = await entries.enter(entry);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    await flush();
    expect(broker.sent).toEqual([{ orderId: expect.any(Number), request: expect.objectContaining({ orderRef: result.positionId, side: 'BUY', type: 'LMT', limitPrice: 50.1, quantity: 100, tif: 'IOC' }) }]);
    expect(repos.positions.getById(result.positionId)).toMatchObject({ status: 'OPEN', quantity: 100, entryPrice: 50.01, entryBooked: 100, entryReported: 100, entryWorking: false });
    expect(repos.orders.getByRef(result.positionId)).toMatchObject({ status: 'FILLED', filledQuantity: 100 });
  });

  it('sets stop and target from the real average fill, not from the quote the order was sized on', async () => {
    broker.setPrice('ABC', 50);
    const result = await entries.enter({ ...entry, stopLossPrice: 40, profitTargetPrice: 60 });
    await flush();
    if (!result.ok) throw new Error(result.reason);
    // Filled at the ask 50.01: stop -0.9 %, target +1.8 % of that.
    expect(repos.positions.getById(result.positionId)).toMatchObject({ stopLossPrice: 49.56, profitTargetPrice: 50.91 });
  });

  it('has the levels on the fill price already when the execution is booked ahead of the order status (what the exit manager protects at once)', async () => {
    broker.setPrice('ABC', 50);
    // Registered after the executor: sees the row as the executor left it after each event, before the next one.
    const seen: Array<{ kind: string; stop: number | null; target: number | null; booked: number }> = [];
    broker.onOrderEvent((event) => {
      if (event.kind !== 'filled' && event.kind !== 'status') return;
      const row = repos.positions.getById(event.ref);
      if (row) seen.push({ kind: event.kind, stop: row.stopLossPrice, target: row.profitTargetPrice, booked: row.entryBooked });
    });
    const result = await entries.enter({ ...entry, stopLossPrice: 40, profitTargetPrice: 60 });
    await flush();
    if (!result.ok) throw new Error(result.reason);
    // The fake broker sends the execution first, as IB may: booked with the fill's levels, never the claim's 40 / 60.
    expect(seen[0]).toEqual({ kind: 'filled', stop: 49.56, target: 50.91, booked: 100 });
  });

  it('keeps the claim of a partly filled entry whose rest the broker cancelled, even when "Cancelled" comes before the executions', async () => {
    broker.setPrice('ABC', 50, { liquidity: 60 }); // 60 shares at the touch: the IOC fills 60, the broker cancels 40
    broker.holdExecutions();
    const result = await entries.enter(entry);
    await flush();
    if (!result.ok) throw new Error(result.reason);
    // Only the statuses have arrived: Filled 60 of 100, then Cancelled with filled 60.
    expect(repos.positions.getById(result.positionId)).toMatchObject({ status: 'PENDING_ENTRY', quantity: 0, entryReported: 60, entryWorking: false });
    expect(repos.events.byName('claim_released')).toEqual([]);
    broker.releaseExecutions();
    await flush();
    expect(repos.positions.getById(result.positionId)).toMatchObject({ status: 'OPEN', quantity: 60, entryBooked: 60 });
    expect(repos.trades.getByPosition(result.positionId)).toHaveLength(1);
  });

  it('leaves no entry order working after the broker answered (nothing can re-enter later)', async () => {
    broker.setPrice('ABC', 50, { liquidity: 60 });
    await entries.enter(entry);
    await flush();
    expect(await broker.openOrders('own')).toEqual([]);
    broker.setPrice('ABC', 49); // more liquidity later: an old remainder would have filled now
    await flush();
    expect(broker.trueQuantity('ABC')).toBe(60);
  });

  it('refuses a second entry in the same symbol without sending anything', async () => {
    broker.setPrice('ABC', 50);
    await entries.enter(entry);
    expect(await entries.enter(entry)).toEqual({ ok: false, reason: 'claim_refused: ALREADY_ACTIVE' });
    expect(broker.sent).toHaveLength(1);
  });

  it('releases the claim when the broker rejects the entry', async () => {
    broker.setPrice('ABC', 50);
    broker.rejectNext = 1;
    const result = await entries.enter(entry);
    await flush();
    expect(result.ok).toBe(true);
    expect(repos.positions.getActivePositions()).toEqual([]);
    expect(repos.events.byName('claim_released')[0]?.data).toMatchObject({ reason: 'rejected_201' });
  });

  it('releases the claim when the broker is down, and sends nothing', async () => {
    broker.setPrice('ABC', 50);
    broker.simulateDisconnect();
    const result = await entries.enter(entry);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^order_not_sent/) });
    expect(repos.positions.getActivePositions()).toEqual([]);
    expect(broker.sent).toEqual([]);
  });

  it('releases the claim of an entry the broker could not fill at once (IOC cancelled with nothing filled)', async () => {
    broker.setPrice('ABC', 51); // ask 51.01 above the 50.10 limit
    const result = await entries.enter(entry);
    await flush();
    expect(repos.positions.countActive()).toBe(0);
    expect(result.ok && repos.orders.getByRef(result.positionId)?.status).toBe('CANCELLED');
    expect(repos.events.byName('claim_released')[0]?.data).toMatchObject({ reason: 'cancelled_unfilled' });
  });

  it('cancels an entry still working past its deadline (a broker that did not answer the IOC) and releases the claim', async () => {
    broker.setPrice('ABC', 50);
    broker.frozen = true; // accepted, but neither filled nor cancelled by the exchange
    const result = await entries.enter(entry);
    await flush();
    if (!result.ok) throw new Error(result.reason);
    expect(repos.positions.getById(result.positionId)).toMatchObject({ status: 'PENDING_ENTRY', entryWorking: true });
    clock.advance(config.strategy.entryFillTimeoutSeconds * 1000 - 1);
    await entries.enforceDeadlines();
    await flush();
    expect(repos.positions.countActive()).toBe(1);
    clock.advance(2);
    await entries.enforceDeadlines();
    await flush();
    expect(broker.sent).toHaveLength(1); // a cancel, never a second order
    expect(repos.orders.getByRef(result.positionId)?.status).toBe('CANCELLED');
    expect(repos.positions.countActive()).toBe(0);
  });

  it('keeps retrying the start-up resolution when the broker query times out, instead of blocking the day', async () => {
    broker.failNextSnapshot('executions');
    await expect(entries.resolveInFlight()).rejects.toThrow(/unknown, not empty/);
    expect(entries.ready).toBe(false);
    await entries.ensureResolved();
    expect(entries.ready).toBe(true);
  });

  it('after a crash, settles the claim from the broker by orderRef and never sends a second order', async () => {
    broker.setPrice('ABC', 50);
    const result = await entries.enter(entry);
    await flush();
    if (!result.ok) throw new Error(result.reason);
    // Simulate the crash: the fill was never booked and the order row never left PENDING_SUBMIT.
    db.exec("DELETE FROM trades; DELETE FROM round_trips; UPDATE active_positions SET status = 'PENDING_ENTRY', quantity = 0, entry_price = NULL, entry_booked = 0, entry_reported = 0, entry_working = 1; UPDATE orders SET status = 'PENDING_SUBMIT'");
    const restarted = new EntryExecutor({ app: 'day-trader', broker, repos, clock, log: silentLogger(), config });
    restarted.start();
    await restarted.resolveInFlight();
    expect(repos.positions.getById(result.positionId)).toMatchObject({ status: 'OPEN', quantity: 100, entryWorking: false });
    expect(broker.sent).toHaveLength(1);
  });

  it('leaves no stuck claim when a write meets someone else\'s lock, and settles from the broker before the next entry', async () => {
    broker.setPrice('ABC', 50);
    const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const recordIntent = repos.orders.recordIntent.bind(repos.orders);
    repos.orders.recordIntent = () => {
      throw busy();
    };
    expect(await entries.enter(entry)).toMatchObject({ ok: false, reason: expect.stringMatching(/^intent_not_written/) });
    expect(repos.positions.getActivePositions()).toEqual([]);
    expect(broker.sent).toEqual([]);
    repos.orders.recordIntent = recordIntent;
    // The order leaves, then the rows after it fail: no new entry until the broker has been read again.
    await entries.resolveInFlight();
    const markSubmitted = repos.orders.markSubmitted.bind(repos.orders);
    repos.orders.markSubmitted = () => {
      throw busy();
    };
    const result = await entries.enter(entry);
    await flush();
    repos.orders.markSubmitted = markSubmitted;
    expect(result.ok).toBe(true);
    expect(entries.ready).toBe(false);
    await entries.ensureResolved();
    expect(entries.ready).toBe(true);
    expect(repos.positions.getActivePosition('ABC')).toMatchObject({ status: 'OPEN', quantity: 100, entryWorking: false });
    expect(broker.sent).toHaveLength(1);
  });

  it('after a crash before the order reached the broker, releases the claim', async () => {
    const claim = repos.positions.claimSymbol({ symbol: 'XYZ', tradingDay: DAY, agentName: config.strategy.agentName, maxOpenPositions: 5, requestedQuantity: 10 });
    expect(claim.ok).toBe(true);
    await entries.resolveInFlight();
    expect(repos.positions.getActivePositions()).toEqual([]);
    expect(repos.events.byName('claim_released')[0]?.data).toMatchObject({ reason: 'entry_order_not_at_broker' });
    expect(broker.sent).toEqual([]);
  });
});
