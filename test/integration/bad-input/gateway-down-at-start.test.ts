import { freePort } from '../../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../../helpers/sim-gateway-process';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';
import { heartbeat, loopRounds, query, startBot, systemEnv, type BotProcess } from './bot-process';

interface SimState { orders: Array<{ clientId: number; orderRef: string }> }

/**
 * The bots started while the gateway is down (IB Gateway not logged in yet, sim-gateway not started): they
 * must come up, say clearly what is wrong, show the link down in their heartbeat, send nothing, and connect
 * by themselves once the gateway appears. Then a second exit manager with the same client id is refused.
 */
describe('bots started with the gateway down', () => {
  const temp = makeTempDir('bad-gw-down');
  const bots: BotProcess[] = [];
  let gateway: SimGatewayProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    env = systemEnv(temp.dir, { ib: await freePort(), admin: await freePort() });
  });

  afterAll(async () => {
    for (const bot of bots) await bot.stop();
    await gateway?.kill();
    temp.cleanup();
  });

  it('retry with a clear message, report the link down, send nothing, and connect when the gateway comes up', async () => {
    const exitManager = startBot('exit-manager', env);
    const dayTrader = startBot('day-trader', env);
    bots.push(exitManager, dayTrader);
    await Promise.all([exitManager.ready, dayTrader.ready]);

    for (const bot of [exitManager, dayTrader]) {
      const line = await waitUntil(() => bot.log().find((l) => l.event === 'broker_unavailable_at_start'), 10_000, `${bot.app} broker_unavailable_at_start`);
      expect(line.level).toBe('error');
      expect(String(line.error)).toMatch(new RegExp(`cannot reach the gateway at 127\\.0\\.0\\.1:${env.IB_PORT} .*Is it running`));
      expect(String(line.what)).toMatch(/retrying in the background/);
      expect(heartbeat(env.DB_PATH!, bot.app)).toMatchObject({ pid: bot.pid, state: 'ready', broker_connected: 0 });
    }
    expect(JSON.parse(heartbeat(env.DB_PATH!, 'exit-manager')!.detail)).toMatchObject({ protecting: false });
    // Alive and working while the broker stays away: three more rounds of each bot's loop (the day-trader's
    // would scan each second if it ignored the missing broker), still down, and nothing was decided.
    await Promise.all([loopRounds(env.DB_PATH!, exitManager, 3), loopRounds(env.DB_PATH!, dayTrader, 3)]);
    expect(exitManager.child.exitCode).toBeNull();
    expect(dayTrader.child.exitCode).toBeNull();
    for (const bot of [exitManager, dayTrader]) expect(heartbeat(env.DB_PATH!, bot.app)).toMatchObject({ pid: bot.pid, broker_connected: 0 });
    expect(query(env.DB_PATH!, 'SELECT * FROM orders')).toEqual([]);
    expect(query(env.DB_PATH!, 'SELECT * FROM active_positions')).toEqual([]);
    expect(query(env.DB_PATH!, 'SELECT * FROM pipeline_runs')).toEqual([]);

    gateway = await startSimGateway({ dir: temp.dir, port: Number(env.IB_PORT), adminPort: Number(env.SIM_ADMIN_PORT), speed: 60, dayStart: env.SIM_DAY_START, startDay: env.SIM_START_DAY, seed: 7, startingCash: 100_000 });
    // Connected by themselves: the same processes (the log is filtered by pid), never restarted.
    for (const bot of [exitManager, dayTrader]) {
      await waitUntil(() => bot.log().find((l) => l.event === 'broker_connected'), 30_000, `${bot.app} connected`);
      await waitUntil(() => heartbeat(env.DB_PATH!, bot.app)?.broker_connected === 1, 10_000, `${bot.app} heartbeat connected`);
      expect(bot.child.exitCode).toBeNull();
    }
    await waitUntil(() => JSON.parse(heartbeat(env.DB_PATH!, 'exit-manager')!.detail).protecting === true, 20_000, 'exit manager protecting');
    // In-flight entries settled from the broker before anything new.
    await waitUntil(() => dayTrader.log().some((l) => l.event === 'entries_resolved'), 20_000, 'the day-trader settles its entries on connecting');
    // Once connected the day-trader trades normally, and every order it sends is at the broker exactly once.
    const state = await waitUntil(async () => {
      const s = await gateway!.admin<SimState>('GET /state');
      return s.orders.some((o) => o.clientId === 11) ? s : undefined;
    }, 30_000, 'a first entry after the gateway came up');
    const refs = state.orders.filter((o) => o.clientId !== 0).map((o) => o.orderRef);
    expect(new Set(refs).size).toBe(refs.length);
  }, 90_000);

  it('refuses a second exit manager with the same client id, and the first keeps protecting', async () => {
    const first = bots[0]!;
    const second = startBot('exit-manager', env);
    bots.push(second);
    const line = await waitUntil(() => second.log().find((l) => l.event === 'broker_unavailable_at_start'), 15_000, 'the duplicate refused');
    expect(String(line.error)).toMatch(/client id 12 is already in use \(IB 326\): another process with the same CLIENT_ID is connected/);
    await second.stop();
    // The first was never disconnected by the duplicate's attempts.
    expect(first.log().filter((l) => l.event === 'broker_disconnected')).toEqual([]);
    expect(first.child.exitCode).toBeNull();
    const refs = (await gateway!.admin<SimState>('GET /state')).orders.filter((o) => o.clientId !== 0).map((o) => o.orderRef);
    expect(new Set(refs).size).toBe(refs.length);
  }, 60_000);
});
