import type { BrokerEngine } from '../../../../apps/sim-gateway/engine/broker-engine';
import { EngineHarness } from './engine-harness';

/** What a real account keeps across a gateway restart: a new engine on the same BrokerStore folder. */
describe('BrokerEngine persistence', () => {
  let h: EngineHarness;
  beforeEach(() => {
    h = new EngineHarness({ startingCash: 250_000 });
    h.market.set('AAA', { last: 10.0, bid: 9.98, ask: 10.02, bidSize: 10_000, askSize: 10_000 });
    h.market.set('BBB', { last: 40.0, bid: 39.97, ask: 40.03, bidSize: 10_000, askSize: 10_000 });
  });
  afterEach(() => h.close());

  const second = () => h.clock.advance(1_000);

  /** A day's worth of state: fills, a partial, a ratcheted trail, a stop, a staged bracket, a cancel, a manual trade. */
  function buildState(): void {
    h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 300, orderRef: 'pos-a' });
    second();
    h.tick('AAA', { last: 10.05, bid: 10.04, ask: 10.06, askSize: 200 });
    h.place(1, 2, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 10.1, totalQuantity: 500, orderRef: 'pos-a-add' }); // 200 of 500
    second();
    h.place(1, 3, 'AAA', { action: 'SELL', orderType: 'TRAIL', auxPrice: 0.3, totalQuantity: 300, tif: 'GTC', orderRef: 'trail-a' });
    second();
    h.tick('AAA', { last: 10.4, bid: 10.39, ask: 10.41, askSize: 0 });
    second();
    h.place(2, 100, 'BBB', { action: 'SELL', orderType: 'MKT', totalQuantity: 150, orderRef: 'short-b' });
    second();
    h.place(2, 101, 'BBB', { action: 'BUY', orderType: 'STP', auxPrice: 42, totalQuantity: 150, orderRef: 'stop-b', ocaGroup: 'oca-b', ocaType: 1 });
    h.place(1, 10, 'BBB', { action: 'BUY', orderType: 'LMT', lmtPrice: 38, totalQuantity: 100, transmit: false, orderRef: 'bracket' });
    h.place(1, 11, 'BBB', { action: 'BUY', orderType: 'LMT', lmtPrice: 37, totalQuantity: 100 });
    h.engine.cancelOrder(1, 11);
    second();
    h.engine.manualTrade('BBB', 50);
    second();
  }

  function stateOf(engine: BrokerEngine) {
    return {
      orders: engine.getOrders().map((o) => ({ ...o })),
      positions: engine.getPositions(),
      executions: engine.getExecutions().map((e) => ({ ...e })),
      cash: engine.getCash(),
      lastIds: [engine.lastOrderId(1), engine.lastOrderId(2), engine.lastOrderId(3)],
      working: engine.workingOrders().map((o) => o.permId),
      account: engine.accountValues(),
    };
  }

  it('reloads orders, positions, executions, cash and id counters exactly', () => {
    buildState();
    const before = stateOf(h.engine);
    expect(before.orders).toHaveLength(8);
    expect(before.executions).toHaveLength(4);
    expect(before.positions).toEqual([
      { symbol: 'AAA', quantity: 500, averageCost: expect.any(Number) },
      { symbol: 'BBB', quantity: -100, averageCost: expect.any(Number) },
    ]);
    expect(before.lastIds).toEqual([11, 101, 0]);
    expect(h.order(1, 3).trailStopPrice).toBe(10.1);

    const engine = h.reopen();
    expect(stateOf(engine)).toEqual(before);
    // Bit for bit, not just close: cash and average costs are the same doubles.
    expect(engine.getCash()).toBe(before.cash);
    expect(engine.getPositions().map((p) => p.averageCost)).toEqual(before.positions.map((p) => p.averageCost));
  });

  it('carries on where it stopped: id rules, perm ids, execution ids, partial fills, trails and staged brackets', () => {
    buildState();
    const permIds = h.engine.getOrders().map((o) => o.permId);
    const execIds = new Set(h.engine.getExecutions().map((e) => e.execId));
    const executionsBefore = h.executions.length;
    h.reopen();

    expect(h.place(1, 9, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 1 })?.code).toBe(103);
    expect(h.place(2, 50, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: 1 })?.code).toBe(103);
    expect(h.place(1, 12, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 20, totalQuantity: 10 })).toBeUndefined();
    expect(h.order(1, 12).permId).toBe(Math.max(...permIds) + 1);

    // The partial order fills its remaining 300 and pays only the per-share rest of its commission.
    second();
    h.tick('AAA', { last: 10.11, bid: 10.09, ask: 10.1, askSize: 1_000 });
    const afterRestart = h.executions.slice(executionsBefore);
    const rest = afterRestart.filter((e) => e.orderId === 2 && e.clientId === 1);
    expect(rest.map((e) => [e.shares, e.price, e.cumQty, e.commission])).toEqual([[300, 10.1, 500, 1.5]]);
    for (const e of afterRestart) expect(execIds.has(e.execId)).toBe(false);

    // The trail kept its ratcheted level (10.10), so a trade at 10.10 triggers it.
    expect(h.order(1, 3).trailStopPrice).toBe(10.1);
    h.tick('AAA', { last: 10.1, bid: 10.09, ask: 10.11 });
    expect(h.fillsOf(3)).toEqual([{ shares: 300, price: 10.09 }]);

    // The staged bracket parent is still staged; its child transmits it.
    expect(h.order(1, 10)).toMatchObject({ status: 'PreSubmitted', transmitted: false });
    h.place(1, 13, 'BBB', { action: 'SELL', orderType: 'STP', auxPrice: 35, totalQuantity: 100, parentId: 10, transmit: true });
    expect(h.order(1, 10)).toMatchObject({ status: 'Submitted', transmitted: true });
    expect(h.order(1, 13)).toMatchObject({ status: 'PreSubmitted', whyHeld: 'child' });
  });
});
