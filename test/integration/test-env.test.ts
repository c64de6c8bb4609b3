import path from 'node:path';
import { ENV_VARIABLES } from '../../shared/config/env-variables';
import { freePort } from '../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../helpers/sim-gateway-process';
import { makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';
import { waitUntil } from '../helpers/wait-until';
import { heartbeat, startBot, systemEnv, type BotProcess } from './bad-input/bot-process';

/**
 * A developer's shell exports configuration (a CONFIG_FILE for their paper account, MODE=LIVE, a replay
 * market, their own DB): none of it may reach the processes a test starts. Each of these, leaked, stops the
 * system under test from coming up (a missing config file and a replay market without bars are config
 * errors, LIVE is refused without arming) or points it at someone else's files.
 */
const DEVELOPER_SHELL: Record<string, string> = {
  CONFIG_FILE: '/nonexistent/ib-daytrader.json',
  MODE: 'LIVE',
  SIM_MARKET: 'replay',
  SIM_PROFILE: 'ideal',
  DB_PATH: '/nonexistent/trading.db',
  LOG_CONSOLE: 'false',
  IB_LIVENESS_TIMEOUT_MS: 'not a number',
  PM2_HOME: '/nonexistent/pm2',
  CRASH_POINTS_FILE: '/nonexistent/crash-points',
  START_READY_TIMEOUT_MS: '1',
  SIM_TICK_REAL_TIMESTAMPS: '1',
};

describe('processes started by tests ignore the configuration exported in the developer\'s shell', () => {
  const temp = makeTempDir('test-env');
  const saved: Record<string, string | undefined> = {};
  let gateway: SimGatewayProcess | undefined;
  let bot: BotProcess | undefined;

  beforeAll(() => {
    for (const [name, value] of Object.entries(DEVELOPER_SHELL)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });

  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await bot?.stop();
    await gateway?.kill();
    temp.cleanup();
  });

  it('testEnv keeps the rest of the environment and drops every configuration variable', () => {
    const env = testEnv({ DB_PATH: '/tmp/mine.db' });
    expect(env.PATH).toBe(process.env.PATH);
    expect(env.DB_PATH).toBe('/tmp/mine.db');
    const leaked = [...ENV_VARIABLES.map((v) => v.name), ...Object.keys(DEVELOPER_SHELL)].filter((name) => name !== 'DB_PATH' && name in env);
    expect(leaked).toEqual([]);
  });

  it('a sim-gateway and a bot still come up in SIM mode, on the synthetic market, with the files the test chose', async () => {
    const env = systemEnv(temp.dir, { ib: await freePort(), admin: await freePort() });
    gateway = await startSimGateway({ dir: temp.dir, port: Number(env.IB_PORT), adminPort: Number(env.SIM_ADMIN_PORT), speed: 60, dayStart: env.SIM_DAY_START, startDay: env.SIM_START_DAY, seed: 7 });
    // The console log is on (LOG_CONSOLE=false did not leak: startSimGateway waits for its `listening` line).
    expect(gateway.output()).toMatch(/ listening .*profile=realistic/);
    expect(gateway.output()).not.toMatch(/replay/);

    bot = startBot('exit-manager', env);
    await bot.ready;
    const starting = await waitUntil(() => bot!.log().find((l) => l.event === 'starting'), 10_000, 'the bot\'s starting line');
    expect(starting).toMatchObject({ mode: 'SIM', db: path.join(temp.dir, 'trading.db') });
    await waitUntil(() => bot!.log().some((l) => l.event === 'broker_connected'), 20_000, 'the bot connected to the sim-gateway');
    await waitUntil(() => heartbeat(env.DB_PATH!, 'exit-manager')?.broker_connected === 1, 10_000, 'its heartbeat in the test\'s DB');
  }, 60_000);
});
