import { freePort } from '../../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../../helpers/sim-gateway-process';
import { makeTempDir } from '../../helpers/temp-dir';
import path from 'node:path';
import { query, readLog, startBot, systemEnv, type BotApp } from './bot-process';

/**
 * Live-money safety at process start (architecture.md, "Modes"): every bot refuses LIVE without the arming
 * flag, with a paper account or on a paper port, with exit 78 (PM2's stop_exit_codes: no restart loop) and
 * the fix in the message. And a bot whose gateway manages another account than IB_ACCOUNT refuses to trade.
 */
describe('live-mode and account refusals of the real bots', () => {
  const temp = makeTempDir('bad-live');
  let env: Record<string, string>;
  let gateway: SimGatewayProcess | undefined;

  beforeAll(async () => {
    env = systemEnv(temp.dir, { ib: await freePort(), admin: await freePort() });
  });

  afterAll(async () => {
    await gateway?.kill();
    temp.cleanup();
  });

  async function refusal(app: BotApp, extra: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const bot = startBot(app, { ...env, ...extra });
    const { code } = await bot.exit;
    return { code, stderr: bot.stderr() };
  }

  it.each(['exit-manager', 'day-trader', 'reconciler', 'supervisor'] as const)('%s refuses MODE=LIVE without ARM_LIVE_TRADING=yes (exit 78)', async (app) => {
    const { code, stderr } = await refusal(app, { MODE: 'LIVE', IB_ACCOUNT: 'U1234567', IB_PORT: '4001', ARM_LIVE_TRADING: '' });
    expect(code).toBe(78);
    expect(stderr).toMatch(new RegExp(`^${app}: invalid configuration`));
    expect(stderr).toMatch(/MODE=LIVE trades real money and needs ARM_LIVE_TRADING=yes set on purpose/);
    expect(stderr).toMatch(/Fix the values above/);
  }, 20_000);

  it('refuses LIVE with a paper account, and LIVE on a paper port, naming each problem', async () => {
    const paperAccount = await refusal('exit-manager', { MODE: 'LIVE', ARM_LIVE_TRADING: 'yes', IB_ACCOUNT: 'DU1234567', IB_PORT: '4001' });
    expect(paperAccount.code).toBe(78);
    expect(paperAccount.stderr).toMatch(/IB_ACCOUNT=DU1234567 is a paper account \(DU prefix\) but MODE=LIVE/);
    const paperPort = await refusal('day-trader', { MODE: 'LIVE', ARM_LIVE_TRADING: 'yes', IB_ACCOUNT: 'U1234567', IB_PORT: '7497' });
    expect(paperPort.code).toBe(78);
    expect(paperPort.stderr).toMatch(/IB_PORT=7497 is a paper-trading port .* but MODE=LIVE/);
    const everything = await refusal('reconciler', { MODE: 'LIVE', IB_ACCOUNT: 'DU1234567', IB_PORT: '4002', ARM_LIVE_TRADING: 'no' });
    expect(everything.stderr).toMatch(/invalid configuration \(3 problems\)/);
  }, 30_000);

  it.each(['exit-manager', 'day-trader'] as const)('%s refuses to trade when the gateway manages another account than IB_ACCOUNT (exit 78)', async (app) => {
    gateway ??= await startSimGateway({ dir: temp.dir, port: Number(env.IB_PORT), adminPort: Number(env.SIM_ADMIN_PORT), speed: 60, dayStart: env.SIM_DAY_START, startDay: env.SIM_START_DAY, seed: 7, startingCash: 100_000 });
    // PAPER pointed at the simulator (a DU paper account, loopback, not a live port): only the account differs.
    const { code, stderr } = await refusal(app, { MODE: 'PAPER', IB_ACCOUNT: 'DU9999999' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/startup failed: refusing to trade: IB_ACCOUNT=DU9999999 but the gateway manages DU1000007: log in with the right user or fix IB_ACCOUNT/);
    const lines = readLog(path.join(env.LOG_DIR!, `${app}.log`)).filter((l) => l.event === 'broker_account_mismatch' || l.event === 'startup_failed');
    expect(lines.map((l) => l.event)).toEqual(expect.arrayContaining(['broker_account_mismatch', 'startup_failed']));
    expect((await gateway.admin<{ orders: unknown[] }>('GET /state')).orders).toEqual([]);
    expect(query(env.DB_PATH!, 'SELECT * FROM orders')).toEqual([]);
  }, 30_000);
});
