import path from 'node:path';
import { ProtectionManager } from '../../../apps/exit-manager/protection-manager';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { silentLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';

const DAY = '2026-11-23';

describe('exit manager against the fake broker', () => {
  const temp = makeTempDir('exit-manager');
  let n = 0;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  let broker: FakeBroker;
  const config = loadConfig({ env: {} });

  const manager = () => {
    const m = new ProtectionManager({ app: 'exit-manager', broker, db, repos, clock, log: silentLogger(), config, onProtectingChanged: () => undefined });
    m.start();
    return m;
  };
  /** A position the day-trader opened: claim + entry fill booked, and the broker holding it. */
  const openPosition = (symbol: string, quantity: number, price: number) => {
    const claim = repos.positions.claimSymbol({ symbol, tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: quantity });
    if (!claim.ok) throw new Error(claim.reason);
    repos.ledger.recordEntryFill(claim.position.id, { execId: `entry-${symbol}`, symbol, side: 'BUY', quantity, price, commission: 1, executedAtMs: clock.now() });
    broker.setPrice(symbol, price);
    broker.setPosition(symbol, quantity, price);
    return claim.position.id;
  };
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(async () => {
    db = openDatabase(path.join(temp.dir, `em-${n++}.db`));
    clock = new ManualClock(newYorkTime(DAY, '10:00'));
    repos = createRepositories(db, clock, 'exit-manager');
    broker = new FakeBroker(clock, { clientId: 12 });
    await broker.connect();
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  it('protects a new position with one OCA pair, once, and records the stop-out once', async () => {
    const positionId = openPosition('ABC', 100, 50);
    const m = manager();
    await m.resync('test');
    await m.checkAll();
    await m.checkAll();
    const sent = broker.sent.map((s) => s.request);
    expect(sent).toEqual([
      expect.objectContaining({ orderRef: `${positionId}:SL:1`, type: 'STP', side: 'SELL', quantity: 100, stopPrice: 49.55, ocaGroup: `${positionId}:OCA:1`, ocaType: 2, tif: 'GTC' }),
      expect.objectContaining({ orderRef: `${positionId}:TP:1`, type: 'LMT', side: 'SELL', quantity: 100, limitPrice: 50.9, ocaGroup: `${positionId}:OCA:1`, ocaType: 2 }),
    ]);
    await flush();
    await m.checkAll();
    expect(repos.positions.getById(positionId)).toMatchObject({ status: 'PROTECTED', protectedQuantity: 100, stopLossPrice: 49.55, profitTargetPrice: 50.9 });

    broker.setPrice('ABC', 49.2); // gaps through the stop: fills at the bid
    await flush();
    const [closed] = repos.closed.getClosedToday(DAY);
    expect(closed).toMatchObject({ symbol: 'ABC', exitReason: 'STOP_LOSS', quantity: 100, exitPrice: 49.19 });
    expect(repos.positions.getById(positionId)).toBeUndefined();
    expect(repos.trades.getByPosition(positionId).filter((t) => t.purpose === 'EXIT')).toHaveLength(1);
    expect((await broker.openOrders('own')).length).toBe(0); // the OCA sibling is gone
  });

  it('after a restart verifies instead of placing again', async () => {
    openPosition('ABC', 100, 50);
    const first = manager();
    await first.resync('first life');
    await flush();
    const sentBefore = broker.sent.length;
    const second = manager(); // a new process with the same client id: the orders are its own
    await second.resync('second life');
    await second.checkAll();
    expect(broker.sent.length).toBe(sentBefore);
  });

  it('adopts and protects a position the DB never knew (opened by hand)', async () => {
    const m = manager();
    await m.resync('start');
    broker.setPrice('HAND', 20);
    broker.setPosition('HAND', 30, 20);
    await m.checkAll();
    await flush();
    const row = repos.positions.getActivePosition('HAND');
    expect(row).toMatchObject({ agentName: 'adopted', quantity: 30, status: 'OPEN' });
    expect(broker.sent.map((s) => s.request.orderRef)).toEqual([`${row!.id}:SL:1`, `${row!.id}:TP:1`]);
  });

  it('flattens everything at the end of the day inside the OCA group, with the right reasons', async () => {
    const tracked = openPosition('ABC', 100, 50);
    const m = manager();
    await m.resync('start');
    broker.setPrice('HAND', 20);
    broker.setPosition('HAND', 30, 20);
    await m.checkAll();
    await flush();
    clock.set(newYorkTime(DAY, '15:51'));
    await m.checkAll();
    await flush();
    await m.checkAll();
    const exits = broker.sent.filter((s) => s.request.type === 'MKT').map((s) => s.request);
    expect(exits).toEqual(expect.arrayContaining([
      expect.objectContaining({ orderRef: `${tracked}:X-EOD_LIQUIDATION:2`, side: 'SELL', quantity: 100, ocaGroup: `${tracked}:OCA:1` }),
      expect.objectContaining({ orderRef: expect.stringMatching(/:X-EOD_LIQUIDATION_UNTRACKED:2$/), quantity: 30 }),
    ]));
    await flush();
    const reasons = repos.closed.getClosedToday(DAY).map((r) => [r.symbol, r.exitReason]).sort();
    expect(reasons).toEqual([['ABC', 'EOD_LIQUIDATION'], ['HAND', 'EOD_LIQUIDATION_UNTRACKED']]);
    expect(repos.positions.getActivePositions()).toEqual([]);
    expect((await broker.positions())).toEqual([]);
  });

  it('retries protection the broker rejected', async () => {
    openPosition('ABC', 100, 50);
    broker.rejectNext = 1;
    const m = manager();
    await m.resync('start');
    await flush();
    // The manager retries by itself after its back-off: wait for the third order to reach the broker.
    await waitUntil(() => broker.sent.length === 3, 5_000, 'the rejected leg to be sent again');
    await flush();
    const working = await broker.openOrders('own');
    expect(working.map((o) => o.type).sort()).toEqual(['LMT', 'STP']);
  });

  it('does not act on positions before it has a complete snapshot (unknown is not empty)', async () => {
    openPosition('ABC', 100, 50);
    broker.positionsTimeouts = 1;
    const m = manager();
    await m.resync('start'); // positions query times out
    expect(m.protecting).toBe(false);
    await m.checkAll();
    expect(broker.sent).toEqual([]);
    await m.resync('again');
    expect(m.protecting).toBe(true);
    expect(broker.sent).toHaveLength(2);
  });
});
