import path from 'node:path';
import { ProtectionManager } from '../../../apps/exit-manager/protection-manager';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import type { ResolvedConfig } from '../../../shared/config/schema';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { silentLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';
import { openBookedPosition } from './fake-market-day';

const DAY = '2026-11-23';
const flush = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The exit manager against an in-memory broker that is as hostile as IB on demand: position reports held
 * back, executions behind their statuses, snapshots that time out, corrections, refused modifications,
 * holdings the bots never bought. The invariant checked throughout: the broker's true position in a
 * symbol the bots trade never goes below what is not theirs (never short, never past flat).
 */
describe('exit manager against the fake broker', () => {
  const temp = makeTempDir('exit-manager');
  let n = 0;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  let broker: FakeBroker;
  const baseConfig = loadConfig({ env: {} });
  const configWith = (exits: Partial<ResolvedConfig['exits']> = {}, foreignPolicy: ResolvedConfig['positions']['foreignPolicy'] = 'ignore'): ResolvedConfig =>
    ({ ...baseConfig, exits: { ...baseConfig.exits, ...exits }, positions: { foreignPolicy } });
  const managers: ProtectionManager[] = [];

  const manager = (config: ResolvedConfig = configWith(), onGaveUp?: (symbols: string[]) => void) => {
    const m = new ProtectionManager({ app: 'exit-manager', broker, db, repos, clock, log: silentLogger(), config, onProtectingChanged: () => undefined, onGaveUpChanged: onGaveUp });
    m.start();
    managers.push(m);
    return m;
  };
  const openPosition = (symbol: string, quantity: number, price: number) => openBookedPosition({ repos, broker, clock }, symbol, quantity, price);
  const sentRefs = () => broker.sent.map((s) => s.request.orderRef);
  const working = async (symbol: string) => (await broker.openOrders('own')).filter((o) => o.symbol === symbol);

  beforeEach(async () => {
    db = openDatabase(path.join(temp.dir, `em-${n++}.db`));
    clock = new ManualClock(newYorkTime(DAY, '10:00'));
    repos = createRepositories(db, clock, 'exit-manager');
    broker = new FakeBroker(clock, { clientId: 12 });
    await broker.connect();
  });
  afterEach(() => {
    for (const m of managers.splice(0)) m.stop();
    db.close();
  });
  afterAll(() => temp.cleanup());

  it('protects a new position with one OCA pair, once, and records the stop-out once', async () => {
    const positionId = openPosition('ABC', 100, 50);
    const m = manager();
    await m.resync('test');
    await m.checkAll();
    await m.checkAll();
    expect(broker.sent.map((s) => s.request)).toEqual([
      expect.objectContaining({ orderRef: `${positionId}:SL:1`, type: 'STP', side: 'SELL', quantity: 100, stopPrice: 49.55, ocaGroup: `${positionId}:OCA:1`, ocaType: 2, tif: 'GTC' }),
      expect.objectContaining({ orderRef: `${positionId}:TP:1`, type: 'LMT', side: 'SELL', quantity: 100, limitPrice: 50.9, ocaGroup: `${positionId}:OCA:1`, ocaType: 2 }),
    ]);
    await flush();
    await m.checkAll();
    expect(repos.positions.getById(positionId)).toMatchObject({ status: 'PROTECTED', protectedQuantity: 100, stopLossPrice: 49.55, profitTargetPrice: 50.9 });

    broker.setPrice('ABC', 49.2); // gaps through the stop: fills at the bid
    await flush();
    expect(repos.closed.getClosedToday(DAY)).toEqual([expect.objectContaining({ symbol: 'ABC', exitReason: 'STOP_LOSS', quantity: 100, exitPrice: 49.19 })]);
    expect(repos.positions.getById(positionId)).toBeUndefined();
    expect(repos.trades.getByPosition(positionId).filter((t) => t.purpose === 'EXIT')).toHaveLength(1);
    expect(await working('ABC')).toEqual([]); // the OCA sibling is gone
    expect(broker.trueQuantity('ABC')).toBe(0);
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

  it('protects on the broker\'s position report alone, without any timer or DB poll', async () => {
    const m = manager();
    await m.resync('start');
    const positionId = openPosition('ABC', 100, 50); // the DB row and the broker's report: setPosition streams it
    await waitUntil(() => broker.sent.length === 2, 5_000, 'protection triggered by the position stream');
    expect(sentRefs()).toEqual([`${positionId}:SL:1`, `${positionId}:TP:1`]);
  });

  it('protects on a DB change alone (a fill another process booked), before any position report', async () => {
    const m = manager();
    await m.resync('start');
    broker.holdPositionUpdates();
    // The day-trader is another process: its commit arrives through another connection to the file.
    const otherProcess = openDatabase(db.name);
    const dayTrader = createRepositories(otherProcess, clock, 'day-trader');
    const claim = dayTrader.positions.claimSymbol({ symbol: 'ABC', tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: 100 });
    if (!claim.ok) throw new Error(claim.reason);
    broker.setPrice('ABC', 50);
    broker.setPosition('ABC', 100, 50);
    dayTrader.ledger.recordEntryFill(claim.position.id, { execId: '0000e.ABC.000001.01', symbol: 'ABC', side: 'BUY', quantity: 100, price: 50, executedAtMs: clock.now() });
    otherProcess.close();
    const positionId = claim.position.id;
    expect(broker.sent).toEqual([]);
    m.onDbPoll();
    await waitUntil(() => broker.sent.length === 2, 5_000, 'protection triggered by the DB change');
    expect(sentRefs()).toEqual([`${positionId}:SL:1`, `${positionId}:TP:1`]);
  });

  it('protects the shares the broker REPORTED filled before their execution arrives', async () => {
    const claim = repos.positions.claimSymbol({ symbol: 'ABC', tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: 600 });
    if (!claim.ok) throw new Error(claim.reason);
    broker.setPrice('ABC', 50);
    repos.positions.updateActivePosition(claim.position.id, { entryPrice: 50 });
    repos.ledger.recordEntryStatus(claim.position.id, 600, false); // orderStatus Filled 600; no execution booked yet
    const m = manager();
    await m.resync('start');
    expect(broker.sent.map((s) => [s.request.orderRef, s.request.quantity])).toEqual([[`${claim.position.id}:SL:1`, 600], [`${claim.position.id}:TP:1`, 600]]);
  });

  it('never sells again when the position report lags a take-profit fill (the HLX re-entry)', async () => {
    const positionId = openPosition('HLX', 600, 14);
    const m = manager(configWith({ brokerSettleMs: 60_000 }));
    await m.resync('start');
    await flush();
    broker.holdPositionUpdates(); // from here the broker keeps reporting 600 shares
    broker.setPrice('HLX', 14.3); // through the target (14.25)
    await flush();
    for (let i = 0; i < 3; i++) {
      await m.checkAll();
      await flush();
    }
    expect(broker.trueQuantity('HLX')).toBe(0);
    expect((await broker.positions()).find((p) => p.symbol === 'HLX')?.quantity).toBe(600); // the lagging report
    expect(sentRefs()).toEqual([`${positionId}:SL:1`, `${positionId}:TP:1`]); // nothing after the fill
    expect(repos.closed.getClosedToday(DAY)).toEqual([expect.objectContaining({ positionId, exitReason: 'PROFIT_TARGET', quantity: 600 })]);
    broker.releasePositionUpdates();
    await m.checkAll();
    await flush();
    expect(sentRefs()).toHaveLength(2);
    expect(await working('HLX')).toEqual([]);
  });

  it('counts a fill the order status reported before its execution, and books the execution once when it comes', async () => {
    const positionId = openPosition('ABC', 100, 50);
    const m = manager();
    await m.resync('start');
    await flush();
    broker.holdExecutions(); // statuses now overtake the execution reports
    broker.setPrice('ABC', 51);
    await flush();
    await m.checkAll();
    await flush();
    expect(broker.trueQuantity('ABC')).toBe(0);
    expect(sentRefs()).toHaveLength(2); // the status said "filled": nothing re-protected, nothing re-sold
    expect(repos.positions.getById(positionId)).toBeDefined(); // not closed before its execution is booked
    broker.releaseExecutions();
    await flush();
    expect(repos.positions.getById(positionId)).toBeUndefined();
    expect(repos.closed.getClosedToday(DAY)).toEqual([expect.objectContaining({ positionId, exitReason: 'PROFIT_TARGET', quantity: 100 })]);
    expect(repos.trades.getByPosition(positionId).filter((t) => t.purpose === 'EXIT')).toHaveLength(1);
  });

  it('closes a position whose exit was booked before its entry execution only when the entry is booked', async () => {
    const claim = repos.positions.claimSymbol({ symbol: 'ABC', tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: 100 });
    if (!claim.ok) throw new Error(claim.reason);
    const id = claim.position.id;
    broker.setPrice('ABC', 50);
    repos.positions.updateActivePosition(id, { entryPrice: 50 });
    repos.ledger.recordEntryStatus(id, 100, false);
    broker.setPosition('ABC', 100, 50);
    const m = manager();
    await m.resync('start');
    await flush();
    broker.setPrice('ABC', 51); // the take-profit fills and is booked: the entry execution is still on its way
    await flush();
    expect(repos.positions.getById(id)).toMatchObject({ quantity: -100, status: 'CLOSING' });
    await m.checkAll();
    expect(sentRefs()).toHaveLength(2);
    repos.ledger.recordEntryFill(id, { execId: '0000e.ABC.late.01', symbol: 'ABC', side: 'BUY', quantity: 100, price: 50, commission: 1, executedAtMs: clock.now() });
    expect(repos.positions.getById(id)).toBeUndefined();
    expect(repos.closed.getClosedToday(DAY)).toEqual([expect.objectContaining({ positionId: id, exitReason: 'PROFIT_TARGET', quantity: 100, entryPrice: 50, exitPrice: 50.99 })]);
  });

  it('books a corrected execution once, at its corrected price', async () => {
    const positionId = openPosition('ABC', 100, 50);
    const m = manager();
    await m.resync('start');
    await flush();
    broker.setPrice('ABC', 51);
    await flush();
    const [exit] = await broker.executions({ symbol: 'ABC' }).then((e) => e.filter((x) => x.side === 'SELL'));
    const correctedId = broker.correctExecution(exit!.execId, 50.97);
    await flush();
    const exits = repos.trades.getByPosition(positionId).filter((t) => t.purpose === 'EXIT');
    expect(exits).toEqual([expect.objectContaining({ exec_id: correctedId, price: 50.97, corrections: 1, quantity: 100 })]);
    expect(repos.closed.getClosedToday(DAY)).toEqual([expect.objectContaining({ exitPrice: 50.97, realizedPnl: expect.closeTo((50.97 - 50) * 100 - 2, 6) })]);
  });

  /** ABC, 100 shares, protected by a pair the broker will refuse to shrink once. */
  const pairWhoseNextReductionIsRefused = async () => {
    openPosition('ABC', 100, 50);
    const m = manager(configWith({ brokerSettleMs: 10 }));
    await m.resync('start');
    await flush();
    const first = await working('ABC');
    broker.rejectNextModify(201, 'Order rejected - reason: order precautions');
    return { m, first };
  };

  /** After a refused reduction of ABC's pair (100 → 70): the checks until a pair of 70 replaced it. */
  const pairOf70InPlaceOfRefusedReduction = (m: ReturnType<typeof manager>) => waitUntil(async () => {
    await m.checkAll();
    const orders = await working('ABC');
    return orders.length === 2 && orders.every((o) => o.quantity === 70);
  }, 5_000, 'a pair of 70 in place of the refused reduction');

  it('keeps a protective order the broker refused to shrink until the broker cancels it, then covers what is left with a new pair (never both at once)', async () => {
    const { m, first } = await pairWhoseNextReductionIsRefused();
    // Every broker event: our working sells never exceed what the account holds (the chaos run's short ZNTH:
    // a refused reduction left a 42-share stop over 28 shares, and the stop fired).
    let worst = 0;
    broker.onOrderEvent(() => void broker.openOrders('own').then((orders) => {
      const sells = orders.filter((o) => o.symbol === 'ABC' && o.side === 'SELL');
      const byGroup = new Map<string, number>();
      for (const o of sells) byGroup.set(o.ocaGroup ?? String(o.orderId), Math.max(byGroup.get(o.ocaGroup ?? String(o.orderId)) ?? 0, o.quantity - o.filledQuantity));
      worst = Math.max(worst, [...byGroup.values()].reduce((a, b) => a + b, 0) - broker.trueQuantity('ABC'));
    }));
    broker.setPosition('ABC', 70, 50); // 30 shares sold by hand: the fallen report shrinks protection to 70
    await pairOf70InPlaceOfRefusedReduction(m);
    expect(broker.modified).toHaveLength(2); // the pair's two reductions (the stop's refused), never the refused one again
    const now = await working('ABC');
    expect(now.map((o) => o.orderId).some((id) => first.some((f) => f.orderId === id))).toBe(false); // the old pair is gone
    expect(broker.sent).toHaveLength(4);
    expect(repos.events.byName('protection_modify_refused')).toHaveLength(1);
    await flush();
    expect(worst).toBeLessThanOrEqual(30); // over-covered only by the refused order, until its cancel; never by a second pair beside it
  });

  it('forgets a refused modification once its order ended: an order id handed out again is reduced, not cancelled', async () => {
    const { m, first } = await pairWhoseNextReductionIsRefused();
    broker.setPosition('ABC', 70, 50);
    await pairOf70InPlaceOfRefusedReduction(m);
    // A gateway whose ids went backwards hands out the refused stop's id again for the next pair.
    const refusedStopId = first.find((o) => o.type === 'STP')!.orderId;
    (broker as unknown as { nextId: number }).nextId = refusedStopId;
    for (const order of await working('ABC')) await broker.cancelOrder(order.orderId);
    await waitUntil(async () => {
      await m.checkAll();
      return (await working('ABC')).some((o) => o.orderId === refusedStopId && o.quantity === 70);
    }, 5_000, 'a new pair whose stop has the old id');
    broker.setPosition('ABC', 50, 50);
    await waitUntil(async () => {
      await m.checkAll();
      return (await working('ABC')).every((o) => o.quantity === 50);
    }, 5_000, 'the new pair shrunk to 50');
    expect(repos.events.byName('protection_modify_refused')).toHaveLength(1);
    expect(broker.modified.filter((m) => m.orderId === refusedStopId)).toHaveLength(2); // refused once, then the new stop's reduction
  });

  it('backs off on repeated refusals, stops after the limit and raises an alert', async () => {
    openPosition('ABC', 100, 50);
    broker.rejectNext = 1_000;
    const gaveUp: string[][] = [];
    const m = manager(configWith({ maxRejections: 3 }), (symbols) => gaveUp.push(symbols));
    await m.resync('start');
    await waitUntil(() => repos.events.byName('protection_gave_up').length === 1, 10_000, 'the give-up alert');
    const sentAtGiveUp = broker.sent.length;
    await m.checkAll();
    await m.checkAll();
    expect(broker.sent.length).toBe(sentAtGiveUp); // stopped: no more orders
    expect(sentAtGiveUp).toBeLessThanOrEqual(3 * 2);
    expect(gaveUp.at(-1)).toEqual(['ABC']);
  });

  it('does not act on positions before it has complete snapshots (own orders or positions timing out)', async () => {
    openPosition('ABC', 100, 50);
    const first = manager();
    await first.resync('first life');
    await flush();
    expect(broker.sent).toHaveLength(2);
    // A restart whose own-orders snapshot times out: the pair at the broker is unknown, not absent.
    broker.failNextSnapshot('openOrders');
    const second = manager();
    await second.resync('second life');
    expect(second.protecting).toBe(false);
    await second.checkAll();
    expect(broker.sent).toHaveLength(2); // no doubled stop
    await second.resync('again');
    expect(second.protecting).toBe(true);
    expect(broker.sent).toHaveLength(2);
    broker.failNextSnapshot('positions');
    const third = manager();
    await third.resync('third life');
    await third.checkAll();
    expect(broker.sent).toHaveLength(2);
  });

  it('raises one critical alert per episode when shares stay without a working stop beyond the limit', async () => {
    const m = manager(configWith({ unprotectedAlertSeconds: 0 }));
    await m.resync('start');
    repos.halts.set('emergency liquidation', 'liquidate'); // nothing may be placed: the shares stay bare
    const positionId = openPosition('ABC', 100, 50);
    for (let i = 0; i < 4; i++) await m.checkAll();
    const alerts = repos.events.byName('protection_missing');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.data).toMatchObject({ positionId, held: 100, covered: 0, why: 'trading halted' });
    expect(repos.alerts.has(`protection_missing:${positionId}:${alerts[0]!.data.sinceMs}`)).toBe(true);
    repos.halts.lift('test');
    await m.checkAll(); // protected now: the episode ends
    await flush();
    await m.checkAll();
    expect(broker.sent).toHaveLength(2);
    expect(repos.events.byName('protection_missing')).toHaveLength(1);
  });

  it('obeys a trading halt: no protection changes and no exits until it is lifted', async () => {
    const m = manager();
    await m.resync('start');
    repos.halts.set('emergency liquidation', 'liquidate');
    openPosition('ABC', 100, 50);
    await m.checkAll();
    clock.set(newYorkTime(DAY, '15:55'));
    await m.checkAll();
    expect(broker.sent).toEqual([]);
    repos.halts.lift('test');
    clock.set(newYorkTime(DAY, '10:00'));
    await m.checkAll();
    expect(broker.sent).toHaveLength(2);
  });

  it('never touches options, other currencies or (by default) stock it did not buy', async () => {
    // Reports settle at once here, so the foreign stock is judged exactly as it would be seconds later.
    const m = manager(configWith({ brokerSettleMs: 0 }, 'ignore'));
    await m.resync('start');
    broker.setPrice('NOVA', 50);
    broker.setPosition('NOVA', 2, 300, { conId: 900001, secType: 'OPT', description: 'NOVA 20270115 50 C (OPT)' });
    broker.setPosition('SAP', 40, 118, { conId: 900002, currency: 'EUR' });
    broker.setPrice('KEEP', 20);
    broker.setPosition('KEEP', 100, 20);
    await flush();
    await m.checkAll();
    await m.checkAll();
    expect(broker.sent).toEqual([]);
    expect(repos.positions.getActivePositions()).toEqual([]);
    clock.set(newYorkTime(DAY, '15:55'));
    await m.checkAll();
    expect(broker.sent).toEqual([]);
  });

  it('adopts a stock position it did not buy when configured to, once the broker\'s reports settled, priced off the market', async () => {
    const m = manager(configWith({ brokerSettleMs: 30 }, 'adopt'));
    await m.resync('start');
    broker.setPrice('HAND', 20);
    broker.setPosition('HAND', 30, 10); // bought long ago at 10: a stop 0.9 % under 10 would be meaningless
    await m.checkAll();
    expect(repos.positions.getActivePosition('HAND')).toBeUndefined(); // not settled yet
    await waitUntil(async () => {
      await m.checkAll();
      return broker.sent.length === 2;
    }, 5_000, 'adoption and protection');
    const row = repos.positions.getActivePosition('HAND');
    expect(row).toMatchObject({ agentName: 'adopted', quantity: 30, stopLossPrice: 19.82, profitTargetPrice: 20.36 });
    expect(broker.sent.map((s) => [s.request.orderRef, s.request.stopPrice ?? s.request.limitPrice])).toEqual([[`${row!.id}:SL:1`, 19.82], [`${row!.id}:TP:1`, 20.36]]);
  });

  it('protects but never closes a foreign position under the "protect" policy', async () => {
    const m = manager(configWith({ brokerSettleMs: 30 }, 'protect'));
    await m.resync('start');
    broker.setPrice('HAND', 20);
    broker.setPosition('HAND', 30, 20);
    await waitUntil(async () => {
      await m.checkAll();
      return broker.sent.length === 2;
    }, 5_000, 'protection of the foreign position');
    clock.set(newYorkTime(DAY, '15:55'));
    await m.checkAll();
    expect(broker.sent.filter((s) => s.request.type === 'MKT')).toEqual([]);
  });

  it('protects and flattens only its own shares when the account also holds some of the same stock', async () => {
    broker.setPrice('ABC', 50);
    broker.setPosition('ABC', 100, 40); // held long before the bots
    const positionId = openPosition('ABC', 600, 50);
    const m = manager(configWith({ brokerSettleMs: 10 }));
    await m.resync('start');
    expect(broker.sent.map((s) => [s.request.orderRef, s.request.quantity])).toEqual([[`${positionId}:SL:1`, 600], [`${positionId}:TP:1`, 600]]);
    clock.set(newYorkTime(DAY, '15:51'));
    await m.checkAll();
    await flush();
    await m.checkAll();
    expect(broker.sent.filter((s) => s.request.type === 'MKT').map((s) => [s.request.quantity, s.request.ocaGroup])).toEqual([[600, `${positionId}:OCA:1`]]);
    expect(broker.trueQuantity('ABC')).toBe(100);
    expect(repos.closed.getClosedToday(DAY)).toEqual([expect.objectContaining({ positionId, exitReason: 'EOD_LIQUIDATION', quantity: 600 })]);
  });

  it('recognises its own orders on a share-class symbol with a space after a restart (no stacked pairs)', async () => {
    const positionId = openPosition('BRK B', 10, 400);
    expect(positionId).toMatch(/^P-20261123-BRK_B-[0-9a-f]{6}$/);
    const first = manager();
    await first.resync('first life');
    await flush();
    const second = manager();
    await second.resync('second life');
    await second.checkAll();
    expect(sentRefs()).toEqual([`${positionId}:SL:1`, `${positionId}:TP:1`]);
  });

  it('flattens at the end of the day one slice per OCA group, and never past flat', async () => {
    const positionId = openPosition('ABC', 600, 50);
    const m = manager();
    await m.resync('start');
    await flush();
    // 118 more shares reported for the same entry: protection grows by a second pair, never by a modify up.
    repos.ledger.recordEntryFill(positionId, { execId: '0000e.ABC.000002.01', symbol: 'ABC', side: 'BUY', quantity: 118, price: 50, commission: 1, executedAtMs: clock.now() });
    broker.setPosition('ABC', 718, 50);
    await m.checkAll();
    await flush();
    expect(broker.sent.map((s) => [s.request.orderRef, s.request.quantity])).toEqual([
      [`${positionId}:SL:1`, 600], [`${positionId}:TP:1`, 600], [`${positionId}:SL:2`, 118], [`${positionId}:TP:2`, 118],
    ]);
    expect(broker.modified).toEqual([]);
    clock.set(newYorkTime(DAY, '15:51'));
    await m.checkAll();
    await flush();
    await m.checkAll();
    const exits = broker.sent.filter((s) => s.request.type === 'MKT').map((s) => [s.request.quantity, s.request.ocaGroup]);
    expect(exits).toEqual([[600, `${positionId}:OCA:1`], [118, `${positionId}:OCA:2`]]);
    expect(broker.trueQuantity('ABC')).toBe(0);
    expect(await working('ABC')).toEqual([]);
    expect(repos.closed.getClosedToday(DAY)).toEqual([expect.objectContaining({ positionId, exitReason: 'EOD_LIQUIDATION', quantity: 718 })]);
  });
});
