import { freePort } from '../../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../../helpers/sim-gateway-process';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';
import { heartbeat, loopRounds, query, startBot, systemEnv, type BotProcess } from './bot-process';
import { startScannerBlankingProxy } from './scanner-blanking-proxy';

interface SimState { orders: Array<{ clientId: number }> }
interface PipelineRun { status: string; candidates: number; taken: number; error: string | null }

async function withSystem(name: string, extraEnv: Record<string, string>, body: (ctx: { env: Record<string, string>; gateway: SimGatewayProcess; bots: BotProcess[] }) => Promise<void>, dayTraderPort?: (gatewayPort: number) => Promise<number>): Promise<void> {
  const temp = makeTempDir(name);
  const env = systemEnv(temp.dir, { ib: await freePort(), admin: await freePort() }, extraEnv);
  const gateway = await startSimGateway({ dir: temp.dir, port: Number(env.IB_PORT), adminPort: Number(env.SIM_ADMIN_PORT), speed: Number(env.SIM_SPEED), dayStart: env.SIM_DAY_START, dayEnd: env.SIM_DAY_END, startDay: env.SIM_START_DAY, seed: 7, startingCash: 100_000 });
  const bots: BotProcess[] = [];
  try {
    bots.push(startBot('exit-manager', env));
    const dtPort = dayTraderPort ? await dayTraderPort(Number(env.IB_PORT)) : Number(env.IB_PORT);
    bots.push(startBot('day-trader', { ...env, IB_PORT: String(dtPort) }));
    await Promise.all(bots.map((b) => b.ready));
    await body({ env, gateway, bots });
  } finally {
    for (const bot of bots) await bot.stop();
    await gateway.kill();
    temp.cleanup();
  }
}

const errorLines = (bots: BotProcess[]) => bots.flatMap((b) => b.log().filter((l) => l.level === 'error').map((l) => `${b.app}: ${l.event} ${String(l.error ?? '')}`));

describe('a quiet market', () => {
  it('a scanner that returns nothing: each run is recorded with 0 candidates, nothing is entered, nothing breaks', async () => {
    let proxy: Awaited<ReturnType<typeof startScannerBlankingProxy>> | undefined;
    try {
      await withSystem('bad-empty-scan', { SCANNER_REFRESH_S: '60' }, async ({ env, gateway, bots }) => {
        const runs = await waitUntil(() => {
          const rows = query<PipelineRun>(env.DB_PATH!, "SELECT status, candidates, taken, error FROM pipeline_runs WHERE status != 'RUNNING'");
          return rows.length >= 3 ? rows : undefined;
        }, 30_000, 'three finished scans');
        expect(proxy!.blanked()).toBeGreaterThan(0);
        for (const run of runs) expect(run).toEqual({ status: 'COMPLETED', candidates: 0, taken: 0, error: null });
        expect(query(env.DB_PATH!, 'SELECT * FROM signals')).toEqual([]);
        expect(query(env.DB_PATH!, 'SELECT * FROM active_positions')).toEqual([]);
        expect((await gateway.admin<SimState>('GET /state')).orders.filter((o) => o.clientId === 11)).toEqual([]);
        expect(errorLines(bots)).toEqual([]);
        expect(heartbeat(env.DB_PATH!, 'day-trader')).toMatchObject({ state: 'ready', broker_connected: 1 });
      }, async (gatewayPort) => {
        proxy = await startScannerBlankingProxy(gatewayPort);
        return proxy.port;
      });
    } finally {
      await proxy?.close();
    }
  }, 90_000);

  it('a clock outside market hours (a pre-market-only day, started on a Saturday): no scan, no entry, no error', async () => {
    // The compressed day plays 05:00-09:00 New York time only; the first trading day on or after Saturday 11-28 is Monday 11-30.
    await withSystem('bad-closed-market', { SIM_DAY_START: '05:00', SIM_DAY_END: '09:00', SIM_SPEED: '30', SIM_START_DAY: '2026-11-28', SCANNER_REFRESH_S: '60' }, async ({ env, gateway, bots }) => {
      const starting = bots[1]!.log().find((l) => l.event === 'starting')!;
      expect(String(starting.clock)).toMatch(/from 2026-11-30 05:00-09:00/);
      await waitUntil(() => bots.every((b) => b.log().some((l) => l.event === 'broker_connected')), 30_000, 'both connected');
      // Four scan intervals (SCANNER_REFRESH_S=60) of market time pass with the bots connected, and the
      // day-trader's loop keeps going meanwhile: every chance to scan was there, and none was taken.
      const marketMs = async () => (await gateway.admin<{ marketTimeMs: number }>('GET /clock')).marketTimeMs;
      const connectedAtMarketMs = await marketMs();
      await waitUntil(async () => (await marketMs()) >= connectedAtMarketMs + 4 * 60_000, 60_000, 'four market minutes with the bots connected', 200);
      await loopRounds(env.DB_PATH!, bots[1]!, 2);
      expect(query(env.DB_PATH!, 'SELECT * FROM pipeline_runs')).toEqual([]);
      expect(query(env.DB_PATH!, 'SELECT * FROM active_positions')).toEqual([]);
      expect((await gateway.admin<SimState>('GET /state')).orders).toEqual([]);
      expect(errorLines(bots)).toEqual([]);
      for (const app of ['exit-manager', 'day-trader'] as const) expect(heartbeat(env.DB_PATH!, app)).toMatchObject({ state: 'ready', broker_connected: 1 });
    });
  }, 90_000);
});
