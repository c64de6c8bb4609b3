import { freePort } from '../../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../../helpers/sim-gateway-process';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';
import { query, startBot, systemEnv, type BotProcess } from './bot-process';

interface SimOrder { clientId: number; orderRef: string; symbol: string; status: string; orderType: string; auxPrice?: number }
interface SimExecution { execId: string; clientId: number; orderRef: string; symbol: string; side: string; shares: number }
interface SimState { orders: SimOrder[]; executions: SimExecution[]; positions: Array<{ symbol: string; quantity: number }> }
interface ActiveRow { id: string; symbol: string; status: string; quantity: number }

const working = (o: SimOrder) => o.status === 'Submitted' || o.status === 'PreSubmitted';

/**
 * The gateway failing while an order is on its way: an entry whose gateway goes silent right after the claim
 * (the order may or may not have reached it, its fill report is lost), an exit that fills while the gateway is
 * silent, a gateway restart replaying every execution, and an entry the broker rejects. Nothing may be sent
 * twice, every fill is booked exactly once after the reconnect, and nothing is left half-done.
 */
describe('the gateway going down with orders in flight', () => {
  const temp = makeTempDir('bad-mid-order');
  const bots: BotProcess[] = [];
  let gateway: SimGatewayProcess;
  let env: Record<string, string>;
  const state = () => gateway.admin<SimState>('GET /state');

  /** Every execution of our clients booked once in trades, and no orderRef sent twice. */
  async function expectBooksConsistent(): Promise<SimState> {
    const s = await state();
    const refs = s.orders.filter((o) => o.clientId !== 0).map((o) => o.orderRef);
    expect(refs.filter((r, i) => refs.indexOf(r) !== i)).toEqual([]);
    const booked = query<{ exec_id: string }>(env.DB_PATH!, 'SELECT exec_id FROM trades').map((t) => t.exec_id).sort();
    expect(booked).toEqual(s.executions.filter((e) => e.clientId !== 0).map((e) => e.execId).sort());
    return s;
  }

  beforeAll(async () => {
    env = systemEnv(temp.dir, { ib: await freePort(), admin: await freePort() }, { MAX_OPEN_POSITIONS: '3' });
    gateway = await startSimGateway({ dir: temp.dir, port: Number(env.IB_PORT), adminPort: Number(env.SIM_ADMIN_PORT), speed: 60, dayStart: env.SIM_DAY_START, startDay: env.SIM_START_DAY, seed: 7, startingCash: 100_000 });
    // The first order of the day is rejected by the broker (as for lack of buying power): see the last test.
    await gateway.admin('POST /faults/reject-next', { count: 1 });
    for (const app of ['exit-manager', 'day-trader', 'reconciler'] as const) bots.push(startBot(app, env));
    await Promise.all(bots.map((b) => b.ready));
  }, 60_000);

  afterAll(async () => {
    for (const bot of bots) await bot.stop();
    await gateway?.kill();
    temp.cleanup();
  });

  it('an entry rejected by the broker leaves no claim, no position, and a reason', async () => {
    const rejected = await waitUntil(() => query<{ order_ref: string; symbol: string; last_error: string }>(env.DB_PATH!, "SELECT order_ref, symbol, last_error FROM orders WHERE purpose = 'ENTRY' AND status = 'REJECTED'")[0], 30_000, 'the rejected entry');
    expect(rejected.last_error).toMatch(/^201: Order rejected/);
    await waitUntil(() => query(env.DB_PATH!, 'SELECT 1 FROM active_positions WHERE id = ?', rejected.order_ref).length === 0, 5_000, 'claim released');
    expect(query<{ data: string }>(env.DB_PATH!, "SELECT data FROM events WHERE event = 'claim_released'").map((e) => JSON.parse(e.data))).toContainEqual(expect.objectContaining({ positionId: rejected.order_ref, reason: 'rejected_201' }));
    expect((await state()).executions.filter((e) => e.orderRef === rejected.order_ref)).toEqual([]);
    // A rejection is not a close: the symbol may be entered again today.
    expect(query(env.DB_PATH!, 'SELECT 1 FROM closed_positions_today WHERE symbol = ?', rejected.symbol)).toEqual([]);
  }, 45_000);

  it('an entry whose gateway goes silent right after the claim is settled from the broker, once', async () => {
    const known = new Set(query<ActiveRow>(env.DB_PATH!, 'SELECT id FROM active_positions').map((r) => r.id));
    // The claim row is written just before the order leaves: silence the gateway the moment it appears.
    const claim = await waitUntil(() => query<ActiveRow>(env.DB_PATH!, "SELECT id, symbol, status, quantity FROM active_positions WHERE status = 'PENDING_ENTRY'").find((r) => !known.has(r.id)), 60_000, 'a new claim', 1);
    await gateway.admin('POST /faults/silence', { on: true, seconds: 5 });
    const silencedAt = Date.now();
    const dayTrader = bots[1]!;
    await waitUntil(() => dayTrader.log().some((l) => l.event === 'broker_disconnected' && Date.parse(l.timestamp) >= silencedAt), 15_000, 'the day-trader declares the gateway dead');
    await waitUntil(() => dayTrader.log().some((l) => l.event === 'broker_connected' && Date.parse(l.timestamp) >= silencedAt), 20_000, 'the day-trader reconnects');
    // Settled from the broker: no claim left pending, and every held position is in the DB with the broker's
    // quantity (the claim's order either never reached the gateway and was released, or filled and was booked).
    const settled = await waitUntil(async () => {
      const s = await state();
      const rows = query<ActiveRow>(env.DB_PATH!, 'SELECT id, symbol, status, quantity FROM active_positions');
      if (rows.some((r) => r.status === 'PENDING_ENTRY')) return undefined;
      const held = s.positions.filter((p) => p.quantity !== 0);
      if (held.length !== rows.filter((r) => r.status !== 'PENDING_ENTRY').length) return undefined;
      if (!held.every((p) => rows.find((r) => r.symbol === p.symbol)?.quantity === p.quantity)) return undefined;
      const fills = s.executions.filter((e) => e.orderRef === claim.id);
      return { s, outcome: fills.length === 0 ? 'never reached the broker: claim released' : 'filled: booked from the broker' };
    }, 30_000, `claim ${claim.id} and its neighbours settled from the broker`);
    expect(settled.s.orders.filter((o) => o.orderRef === claim.id).length).toBeLessThanOrEqual(1);
    await waitUntil(async () => {
      const s = await state();
      const booked = new Set(query<{ exec_id: string }>(env.DB_PATH!, 'SELECT exec_id FROM trades').map((t) => t.exec_id));
      return s.executions.filter((e) => e.clientId !== 0).every((e) => booked.has(e.execId));
    }, 20_000, 'every fill booked');
    await expectBooksConsistent();
    process.stdout.write(`entry ${claim.id} (${claim.symbol}) around the silence: ${settled.outcome}\n`);
  }, 120_000);

  it('a stop that fills while the gateway is silent is booked once after the reconnect, and a replay books nothing twice', async () => {
    const target = await waitUntil(() => query<ActiveRow>(env.DB_PATH!, "SELECT id, symbol, status, quantity FROM active_positions WHERE status = 'PROTECTED'")[0], 60_000, 'a protected position');
    const stop = (await state()).orders.find((o) => o.orderRef.startsWith(`${target.id}:SL:`) && working(o))!;
    await gateway.admin('POST /faults/silence', { on: true, seconds: 5 });
    const silencedAt = Date.now();
    // The admin port answers while the TWS port is silent: gap the price through the stop. The fill happens at
    // the broker; its report to the exit manager is lost with the silence.
    const { snapshot } = await gateway.admin<{ snapshot: { last: number } }>('POST /faults/jump', { symbol: target.symbol, pct: 0 });
    await gateway.admin('POST /faults/jump', { symbol: target.symbol, pct: Math.round(((stop.auxPrice! * 0.98) / snapshot.last - 1) * 10_000) / 100 });
    // The stop now works as a market order: it fills against the quotes (in several fills if the size needs it).
    await waitUntil(async () => !(await state()).positions.some((p) => p.symbol === target.symbol), 20_000, 'flat at the broker');
    const closed = await waitUntil(() => query<{ exit_reason: string }>(env.DB_PATH!, 'SELECT exit_reason FROM closed_positions_today WHERE position_id = ?', target.id)[0], 30_000, 'the exit booked after the reconnect');
    expect(closed.exit_reason).toBe('STOP_LOSS');
    // Booked by whoever reconnected first (exit manager resync or reconciler), once; the exit manager is back too.
    for (const bot of bots) await waitUntil(() => bot.log().some((l) => l.event === 'broker_connected' && Date.parse(l.timestamp) >= silencedAt), 20_000, `${bot.app} reconnected`);
    const stopFills = (await state()).executions.filter((e) => e.orderRef === stop.orderRef);
    expect(stopFills.length).toBeGreaterThanOrEqual(1);
    for (const fill of stopFills) expect(query(env.DB_PATH!, 'SELECT 1 FROM trades WHERE exec_id = ?', fill.execId)).toHaveLength(1);

    // A gateway restart that replays every execution to each reconnecting client: nothing is booked twice.
    const tradesBefore = query(env.DB_PATH!, 'SELECT exec_id FROM trades').length;
    await gateway.admin('POST /quirks/replay-executions', { on: true });
    const restartedAt = Date.now();
    await gateway.admin('POST /faults/restart', { downMs: 1_000 });
    await gateway.admin('POST /quirks/replay-executions', { on: false });
    for (const bot of bots) await waitUntil(() => bot.log().some((l) => l.event === 'broker_connected' && Date.parse(l.timestamp) >= restartedAt), 15_000, `${bot.app} back after the restart`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const s = await expectBooksConsistent();
    expect(query(env.DB_PATH!, 'SELECT exec_id FROM trades').length).toBe(s.executions.filter((e) => e.clientId !== 0).length);
    expect(query(env.DB_PATH!, 'SELECT exec_id FROM trades').length).toBeGreaterThanOrEqual(tradesBefore);
    // DB and broker agree on what is held.
    const rows = query<ActiveRow>(env.DB_PATH!, "SELECT id, symbol, status, quantity FROM active_positions WHERE status != 'PENDING_ENTRY'");
    for (const row of rows) expect({ symbol: row.symbol, quantity: row.quantity }).toEqual({ symbol: row.symbol, quantity: s.positions.find((p) => p.symbol === row.symbol)?.quantity ?? 0 });
  }, 120_000);
});
