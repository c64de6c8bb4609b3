import { SystemHarness } from '../../scripts/harness/system-harness';
import { makeTempDir } from '../helpers/temp-dir';
import { waitUntil } from '../helpers/wait-until';

interface BrokerState {
  positions: Array<{ symbol: string; quantity: number }>;
  orders: Array<{ clientId: number; orderId: number; orderRef: string; symbol: string; status: string; orderType: string }>;
  executions: Array<{ execId: string; clientId: number; orderRef: string; symbol: string; side: string; timeMs: number }>;
}
interface Row { id: string; symbol: string; status: string; quantity: number }

const working = (o: { status: string }) => o.status === 'Submitted' || o.status === 'PreSubmitted';

/**
 * A whole compressed trading day under a private PM2, against sim-gateway: entries, a day-trader crash
 * between order and DB update, the exit manager and the supervisor SIGKILLed with positions open, exits by
 * take-profit and stop-loss (forced with price jumps) and at the end of the day; then the invariants.
 */
describe('a simulated trading day under PM2', () => {
  const temp = makeTempDir('e2e');
  let system: SystemHarness;

  beforeAll(async () => {
    system = await SystemHarness.start({
      dir: temp.dir, speed: 150, dayStart: '09:20', dayEnd: '16:15', startDay: '2026-11-23', seed: 42,
      // Wide stops and targets so that the exits this test wants happen when it moves the price.
      env: { STOP_LOSS_PCT: '10', TAKE_PROFIT_PCT: '20', SCANNER_REFRESH_S: '300', HEARTBEAT_STALE_MS: '3000' },
    });
    system.armCrashPoint('day-trader:after-entry-order-sent');
  }, 200_000);

  afterAll(async () => {
    await system?.stop();
    temp.cleanup();
  }, 60_000);

  it('trades, survives kills, exits three ways, and ends flat with the DB equal to the broker', async () => {
    const dayTraderPid = system.pidOf('day-trader');
    // 1. Entries: the first one crashes the day-trader right after its order left; PM2 restarts it.
    const protectedRows = await waitUntil(() => {
      const rows = system.query<Row>("SELECT id, symbol, status, quantity FROM active_positions WHERE status = 'PROTECTED'");
      return rows.length >= 3 ? rows : undefined;
    }, 150_000, 'three protected positions');
    expect(system.pidOf('day-trader')).not.toBe(dayTraderPid);
    // The restarted day-trader found the claim it crashed on, and settled it from the broker by orderRef (the
    // fill itself may have been booked by the reconciler meanwhile): one order, one fill, no release.
    expect(system.logLines('day-trader').some((l) => l.event === 'entries_resolved' && Number(l.rows) >= 1)).toBe(true);
    const [crashedRef] = system.query<{ order_ref: string }>("SELECT order_ref FROM orders WHERE purpose = 'ENTRY' ORDER BY created_at LIMIT 1").map((r) => r.order_ref);
    const firstBroker = await system.admin<BrokerState>('GET /state');
    expect(firstBroker.orders.filter((o) => o.orderRef === crashedRef)).toHaveLength(1);
    // The entry is a marketable limit: usually filled, but on a loaded machine the price can run past the
    // limit before it arrives. Either way the restart explains it: each fill booked once, or the claim released.
    await waitUntil(async () => {
      const broker = await system.admin<BrokerState>('GET /state');
      const fills = broker.executions.filter((e) => e.orderRef === crashedRef).length;
      const entryOrder = broker.orders.find((o) => o.orderRef === crashedRef)!;
      if (fills > 0) return system.query("SELECT 1 FROM trades WHERE purpose = 'ENTRY' AND position_id = ?", crashedRef).length === fills;
      return !working(entryOrder) && system.query('SELECT 1 FROM active_positions WHERE id = ?', crashedRef).length === 0
        && system.query("SELECT 1 FROM events WHERE event = 'claim_released' AND data LIKE ?", `%${crashedRef}%`).length === 1;
    }, 60_000, `the crashed entry ${crashedRef} booked once, or released`);

    // 2. The exit manager dies with positions open; PM2 brings it back and it verifies (no duplicates).
    const emPid = system.pidOf('exit-manager')!;
    process.kill(emPid, 'SIGKILL');
    await waitUntil(() => {
      const hb = system.query<{ pid: number; state: string; detail: string }>("SELECT pid, state, detail FROM heartbeats WHERE app = 'exit-manager'")[0];
      return hb && hb.pid !== emPid && hb.state === 'ready' && JSON.parse(hb.detail).protecting === true;
    }, 30_000, 'the exit manager back and protecting');
    const afterKill = await system.admin<BrokerState>('GET /state');
    for (const row of protectedRows) {
      const legs = afterKill.orders.filter((o) => working(o) && o.orderRef.startsWith(`${row.id}:`));
      expect(legs.map((o) => o.orderType).sort()).toEqual(['LMT', 'STP']);
    }

    // 3. The supervisor dies; PM2 restarts it.
    const supervisorPid = system.pidOf('supervisor')!;
    process.kill(supervisorPid, 'SIGKILL');
    await waitUntil(() => { const pid = system.pidOf('supervisor'); return pid !== undefined && pid !== supervisorPid; }, 30_000, 'supervisor restarted by PM2');

    // 3b. A hung bot (SIGSTOP: the process exists, its heartbeat stops): the supervisor kills it, PM2 restarts it.
    const reconcilerPid = system.pidOf('reconciler')!;
    process.kill(reconcilerPid, 'SIGSTOP');
    await waitUntil(() => { const pid = system.pidOf('reconciler'); return pid !== undefined && pid !== reconcilerPid; }, 20_000, 'hung reconciler replaced');
    expect(system.logLines('supervisor').some((l) => l.event === 'bot_unhealthy' && l.target === 'reconciler' && /heartbeat stale/.test(String(l.reason)))).toBe(true);

    // 4. Force a take-profit and a stop-loss with price jumps; the third waits for the end of the day.
    const [winner, loser, holder] = protectedRows;
    await system.admin('POST /faults/jump', { symbol: winner!.symbol, pct: 25 });
    await system.admin('POST /faults/jump', { symbol: loser!.symbol, pct: -13 });
    await waitUntil(() => system.query("SELECT 1 FROM closed_positions_today WHERE symbol = ? AND exit_reason = 'PROFIT_TARGET'", winner!.symbol).length === 1, 30_000, 'take-profit exit');
    await waitUntil(() => system.query("SELECT 1 FROM closed_positions_today WHERE symbol = ? AND exit_reason = 'STOP_LOSS'", loser!.symbol).length === 1, 30_000, 'stop-loss exit');

    // 5. End of day: everything flattened, the post-close reconciliation ran.
    await waitUntil(() => system.query("SELECT 1 FROM reconciliation_log WHERE trigger LIKE 'schedule:%'").length > 0, 200_000, 'post-close reconciliation');
    const closedRows = system.query<{ symbol: string; exit_reason: string; close_date: string; timestamp: string }>(
      "SELECT symbol, exit_reason, close_date, timestamp FROM closed_positions_today WHERE close_date = '2026-11-23' UNION ALL SELECT symbol, exit_reason, close_date, timestamp FROM closed_positions_archive WHERE close_date = '2026-11-23'");
    const reasons = new Map(closedRows.map((r) => [r.symbol, r.exit_reason]));
    expect(reasons.get(winner!.symbol)).toBe('PROFIT_TARGET');
    expect(reasons.get(loser!.symbol)).toBe('STOP_LOSS');
    expect(reasons.get(holder!.symbol)).toBe('EOD_LIQUIDATION');

    // 6. Invariants against the simulator's own books.
    const broker = await system.admin<BrokerState>('GET /state');
    expect(broker.positions).toEqual([]); // flat after the close
    expect(system.query('SELECT * FROM active_positions')).toEqual([]);
    const refs = broker.orders.filter((o) => o.clientId !== 0).map((o) => o.orderRef);
    expect(new Set(refs).size).toBe(refs.length); // no order sent twice
    const entryTrades = system.query<{ symbol: string; position_id: string; executed_at: string }>("SELECT symbol, position_id, executed_at FROM trades WHERE purpose = 'ENTRY'");
    const positionsBySymbol = new Map<string, Set<string>>();
    for (const t of entryTrades) positionsBySymbol.set(t.symbol, (positionsBySymbol.get(t.symbol) ?? new Set()).add(t.position_id));
    for (const [symbol, ids] of positionsBySymbol) expect({ symbol, positions: ids.size }).toEqual({ symbol, positions: 1 }); // never held twice, never re-entered
    for (const closed of closedRows) {
      const later = entryTrades.filter((t) => t.symbol === closed.symbol && t.executed_at > closed.timestamp);
      expect(later).toEqual([]);
    }
    const booked = system.query<{ exec_id: string }>('SELECT exec_id FROM trades').map((t) => t.exec_id).sort();
    const ours = broker.executions.filter((e) => e.clientId !== 0).map((e) => e.execId).sort();
    expect(booked).toEqual(ours); // every fill recorded, exactly once
  }, 420_000);
});
