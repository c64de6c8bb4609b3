import { ProtectionManager } from '../../../apps/exit-manager/protection-manager';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import type { BrokerOrder } from '../../../shared/broker/types';
import { loadConfig } from '../../../shared/config/load-config';
import type { ResolvedConfig } from '../../../shared/config/schema';
import type { Db, Repositories } from '../../../shared/db';
import { silentLogger } from '../../../shared/log/logger';
import { ManualClock } from '../../../shared/time/clock';
import { makeTempDir } from '../../helpers/temp-dir';
import { DAY, flush, openFakeMarketDay } from './fake-market-day';
import { waitUntil } from '../../helpers/wait-until';


/**
 * The chaos find "a take-profit working with the position flat" (neverPastFlat, seed 14): the stop of a new
 * pair was already through the market (its price came from the pre-trade delayed quote after the
 * day-trader died between its entry order and the DB update), filled as it arrived, and the take-profit
 * sent right behind it worked, 1,000 shares, with the position flat. The fake broker, like the ideal
 * simulator, lets an order join a filled OCA group: the bots must not rely on the broker to cancel it.
 * Checked after every broker event: our working sells never exceed the shares the account holds.
 */
describe('a stop that would be through the market', () => {
  const temp = makeTempDir('stop-through');
  const baseConfig = loadConfig({ env: {} });
  let n = 0;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  let broker: FakeBroker;
  let pastFlat: string[];
  const managers: ProtectionManager[] = [];

  const manager = (exits: Partial<ResolvedConfig['exits']> = {}) => {
    const config: ResolvedConfig = { ...baseConfig, exits: { ...baseConfig.exits, ...exits } };
    const m = new ProtectionManager({ app: 'exit-manager', broker, db, repos, clock, log: silentLogger(), config, onProtectingChanged: () => undefined });
    m.start();
    managers.push(m);
    return m;
  };
  /** Working sells against the true position, after every event the broker emits (synchronously, as it happens). */
  const watchPastFlat = (symbol: string) => {
    const orders = new Map<number, { quantity: number; working: boolean; ocaGroup?: string }>();
    broker.onOrderEvent((event) => {
      if (event.kind === 'commission') return;
      const request = broker.sent.find((s) => s.orderId === event.orderId)?.request;
      if (!request || request.symbol !== symbol || request.side !== 'SELL') return;
      const known = orders.get(event.orderId) ?? { quantity: request.quantity, working: true, ocaGroup: request.ocaGroup };
      if (event.kind === 'status') known.quantity = event.remaining;
      if (event.kind === 'cancelled' || event.kind === 'rejected' || (event.kind === 'status' && ['Filled', 'Cancelled'].includes(event.status))) known.working = false;
      orders.set(event.orderId, known);
      const byGroup = new Map<string, number>();
      for (const [id, o] of orders) if (o.working) byGroup.set(o.ocaGroup ?? `#${id}`, Math.max(byGroup.get(o.ocaGroup ?? `#${id}`) ?? 0, o.quantity));
      const sellable = [...byGroup.values()].reduce((a, b) => a + b, 0);
      if (sellable > broker.trueQuantity(symbol)) pastFlat.push(`${event.kind} ${event.ref}: sells ${sellable} > held ${broker.trueQuantity(symbol)}`);
    });
  };
  const working = async (symbol: string): Promise<BrokerOrder[]> => (await broker.openOrders('own')).filter((o) => o.symbol === symbol);

  /** The entry filled at 10.00 and is booked; the claim's levels still come from a quote of 11.00 (never moved). */
  const enteredOnStaleLevels = () => {
    const claim = repos.positions.claimSymbol({
      symbol: 'GAP', tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: 1_000, stopLossPrice: 10.9, profitTargetPrice: 11.2,
    });
    if (!claim.ok) throw new Error(claim.reason);
    repos.ledger.recordEntryFill(claim.position.id, { execId: '0000e.GAP.000001.01', symbol: 'GAP', side: 'BUY', quantity: 1_000, price: 10, commission: 5, executedAtMs: clock.now() });
    repos.ledger.recordEntryStatus(claim.position.id, 1_000, false);
    broker.setPosition('GAP', 1_000, 10);
    return claim.position.id;
  };

  beforeEach(async () => {
    ({ db, repos, clock, broker } = await openFakeMarketDay(temp.dir, `t-${n++}.db`, { app: 'exit-manager', clientId: 12 }));
    broker.setPrice('GAP', 10);
    pastFlat = [];
    watchPastFlat('GAP');
  });
  afterEach(() => {
    for (const m of managers.splice(0)) m.stop();
    db.close();
  });
  afterAll(() => temp.cleanup());

  it('stop and target from a stale pre-trade quote are rebased on the real entry: nothing sells as it arrives', async () => {
    const positionId = enteredOnStaleLevels();
    const m = manager();
    await m.resync('start');
    await flush();
    expect((await working('GAP')).map((o) => [o.orderRef, o.type, o.stopPrice ?? o.limitPrice, o.quantity])).toEqual([
      [`${positionId}:SL:1`, 'STP', 9.91, 1_000],
      [`${positionId}:TP:1`, 'LMT', 10.18, 1_000],
    ]);
    expect(broker.trueQuantity('GAP')).toBe(1_000);
    expect(pastFlat).toEqual([]);
  });

  it('a stop that trades as it arrives gets no take-profit beside it', async () => {
    const positionId = enteredOnStaleLevels();
    repos.positions.updateActivePosition(positionId, { stopLossPrice: 9.91, profitTargetPrice: 10.18 });
    broker.setPrice('GAP', 9.5); // the market fell after the fill; the exit manager has no live quote to know it
    broker.eventsAfterPlacementReturns = true; // the stop's fill is reported after the next order could leave
    const m = manager();
    await m.resync('start');
    await flush();
    await flush();
    expect(broker.sent.map((s) => s.request.orderRef)).toEqual([`${positionId}:SL:1`]);
    expect(broker.trueQuantity('GAP')).toBe(0);
    expect(await working('GAP')).toEqual([]);
    expect(pastFlat).toEqual([]);
  });

  it('closes at market, instead of placing a pair, when a live quote shows the stop is through the market', async () => {
    const positionId = enteredOnStaleLevels();
    repos.positions.updateActivePosition(positionId, { stopLossPrice: 9.91, profitTargetPrice: 10.18 });
    const m = manager({ trailingStopPct: 5 }); // the trailing stop keeps live quotes of held symbols
    await m.resync('start');
    await flush();
    expect(await working('GAP')).toHaveLength(2);
    await broker.globalCancel(); // the pair is gone (cancelled in TWS)...
    broker.setPrice('GAP', 9.8); // ...and the market falls through where its stop was
    await waitUntil(async () => {
      await m.checkAll();
      return repos.closed.getClosedToday(DAY).length === 1;
    }, 5_000, 'the position closed');
    expect(broker.sent.slice(2).map((s) => [s.request.orderRef, s.request.type, s.request.quantity])).toEqual([[`${positionId}:X-STOP_LOSS:2`, 'MKT', 1_000]]);
    expect(repos.closed.getClosedToday(DAY)).toEqual([expect.objectContaining({ positionId, exitReason: 'STOP_LOSS', quantity: 1_000 })]);
    expect(broker.trueQuantity('GAP')).toBe(0);
    expect(pastFlat).toEqual([]);
  });
});
