import path from 'node:path';
import { EntryExecutor } from '../../../apps/day-trader/entry-executor';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { silentLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';

const DAY = '2026-11-23';
const flush = () => new Promise((resolve) => setImmediate(resolve));

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
    db = openDatabase(path.join(temp.dir, `e-${n++}.db`));
    clock = new ManualClock(newYorkTime(DAY, '10:00'));
    repos = createRepositories(db, clock, 'day-trader');
    broker = new FakeBroker(clock, { clientId: 11 });
    await broker.connect();
    entries = new EntryExecutor({ app: 'day-trader', broker, repos, clock, log: silentLogger(), config });
    entries.start();
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  it('claims, sends one LMT order with orderRef = claim id, and books the fill as OPEN', async () => {
    broker.setPrice('ABC', 50);
    const result = await entries.enter(entry);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    await flush();
    expect(broker.sent).toEqual([{ orderId: expect.any(Number), request: expect.objectContaining({ orderRef: result.positionId, side: 'BUY', type: 'LMT', limitPrice: 50.1, quantity: 100 }) }]);
    expect(repos.positions.getById(result.positionId)).toMatchObject({ status: 'OPEN', quantity: 100, entryPrice: 50.01 });
    expect(repos.orders.getByRef(result.positionId)).toMatchObject({ status: 'FILLED', filledQuantity: 100 });
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

  it('cancels an entry unfilled by its deadline and releases the claim', async () => {
    broker.setPrice('ABC', 51); // ask 51.01 above the 50.10 limit: the order rests
    const result = await entries.enter(entry);
    await flush();
    clock.advance(config.strategy.entryFillTimeoutSeconds * 1000 - 1);
    await entries.enforceDeadlines();
    expect(repos.positions.countActive()).toBe(1);
    clock.advance(2);
    await entries.enforceDeadlines();
    await flush();
    expect(repos.positions.countActive()).toBe(0);
    expect(result.ok && repos.orders.getByRef(result.positionId)?.status).toBe('CANCELLED');
  });

  it('after a crash, settles the claim from the broker by orderRef and never sends a second order', async () => {
    broker.setPrice('ABC', 50);
    const result = await entries.enter(entry);
    await flush();
    if (!result.ok) throw new Error(result.reason);
    // Simulate the crash: the fill was never booked and the order row never left PENDING_SUBMIT.
    db.exec("DELETE FROM trades; DELETE FROM round_trips; UPDATE active_positions SET status = 'PENDING_ENTRY', quantity = 0, entry_price = NULL; UPDATE orders SET status = 'PENDING_SUBMIT'");
    const restarted = new EntryExecutor({ app: 'day-trader', broker, repos, clock, log: silentLogger(), config });
    restarted.start();
    await restarted.resolveInFlight();
    expect(repos.positions.getById(result.positionId)).toMatchObject({ status: 'OPEN', quantity: 100 });
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
