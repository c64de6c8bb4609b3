import { EntryExecutor } from '../../../apps/day-trader/entry-executor';
import { ProtectionManager } from '../../../apps/exit-manager/protection-manager';
import { conIdOf, FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import type { Db, Repositories } from '../../../shared/db';
import { silentLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { makeTempDir } from '../../helpers/temp-dir';
import { flush, openFakeMarketDay } from './fake-market-day';
import { waitUntil } from '../../helpers/wait-until';


/**
 * The chaos find "ambiguous symbols protected late": a symbol IB finds ambiguous on SMART (200 without its
 * conId) must be protected from the first fill with its conId, taken from the claim the day-trader made,
 * never from the position report (which lags the fill by up to seconds, and here never comes at all).
 */
describe('a symbol that is ambiguous on SMART: entered and protected by conId', () => {
  const temp = makeTempDir('ambiguous');
  const config = loadConfig({ env: {} });
  let n = 0;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  let broker: FakeBroker;
  let manager: ProtectionManager;

  beforeEach(async () => {
    ({ db, repos, clock, broker } = await openFakeMarketDay(temp.dir, `a-${n++}.db`, { app: 'test', clientId: 11 }));
    broker.ambiguous.add('AMB');
    broker.setPrice('AMB', 20);
    manager = new ProtectionManager({ app: 'exit-manager', broker, db, repos, clock, log: silentLogger(), config, onProtectingChanged: () => undefined });
    manager.start();
    await manager.resync('start');
  });
  afterEach(() => {
    manager.stop();
    db.close();
  });
  afterAll(() => temp.cleanup());

  it('the claim carries the conId, and the first stop and target name it: nothing is refused as ambiguous', async () => {
    broker.holdPositionUpdates(); // the position report (the only other source of the conId) never arrives
    const rejections: number[] = [];
    broker.onOrderEvent((event) => event.kind === 'rejected' && rejections.push(event.code));
    const entries = new EntryExecutor({ app: 'day-trader', broker, repos, clock, log: silentLogger(), config });
    entries.start();
    const result = await entries.enter({ symbol: 'AMB', quantity: 100, limitPrice: 20.05, stopLossPrice: 19.8, profitTargetPrice: 20.4, score: 80, reason: 'test' });
    if (!result.ok) throw new Error(result.reason);
    await flush();
    expect(repos.positions.getById(result.positionId)).toMatchObject({ conId: conIdOf('AMB'), entryBooked: 100 });

    await manager.checkAll(); // the DB-change trigger only sees other connections' commits; this is one process
    await waitUntil(() => broker.sent.length === 3, 5_000, 'the stop and the target');
    await flush();
    expect(broker.sent.map((s) => [s.request.orderRef, s.request.conId])).toEqual([
      [result.positionId, conIdOf('AMB')],
      [`${result.positionId}:SL:1`, conIdOf('AMB')],
      [`${result.positionId}:TP:1`, conIdOf('AMB')],
    ]);
    expect(rejections).toEqual([]);
    expect((await broker.openOrders('own')).map((o) => o.orderRef).sort()).toEqual([`${result.positionId}:SL:1`, `${result.positionId}:TP:1`]);
  });

  it('a claim made without its conId (lookup failed) takes it from its fill\'s execution', async () => {
    broker.holdPositionUpdates();
    const entries = new EntryExecutor({ app: 'day-trader', broker, repos, clock, log: silentLogger(), config });
    entries.start();
    const lookups = broker.contractOf.bind(broker);
    let lookupFails = true;
    broker.contractOf = (symbol) => (lookupFails ? Promise.reject(new Error('contract details timed out')) : lookups(symbol));
    // The entry order itself goes out without a conId: IB may still take it (the adapter knows the scanner's
    // conId); the fake refuses ambiguous orders without one, so let this one symbol be unambiguous for the entry.
    broker.ambiguous.delete('AMB');
    const result = await entries.enter({ symbol: 'AMB', quantity: 100, limitPrice: 20.05, stopLossPrice: 19.8, profitTargetPrice: 20.4, score: 80, reason: 'test' });
    if (!result.ok) throw new Error(result.reason);
    lookupFails = false;
    broker.ambiguous.add('AMB');
    await flush();
    expect(repos.positions.getById(result.positionId)).toMatchObject({ conId: conIdOf('AMB'), entryBooked: 100 });
    await manager.checkAll(); // the DB-change trigger only sees other connections' commits; this is one process
    await waitUntil(() => broker.sent.length === 3, 5_000, 'the stop and the target');
    expect(broker.sent.slice(1).map((s) => s.request.conId)).toEqual([conIdOf('AMB'), conIdOf('AMB')]);
  });
});
