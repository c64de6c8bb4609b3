/**
 * npm start: builds (via the npm script), then starts the whole system under PM2. In SIM mode it also
 * opens a fresh compressed trading day on the simulator, so a newcomer sees a whole day happen.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../shared/config/load-config';
import { ConfigError, errorMessage } from '../shared/errors/errors';
import { openDatabase } from '../shared/db/open-database';
import { HeartbeatsRepository } from '../shared/db/repositories/heartbeats-repository';
import { CompressedClock } from '../shared/time/compressed-clock';
import { readClockAnchor, writeClockAnchor } from '../shared/time/sim-clock-file';
import { calendarDayInNewYork, nextTradingDay, tradingDayOf, tradingDayOnOrAfter } from '../shared/time/trading-calendar';
import { connectPm2, ecosystemPath, listSystem, pm2, pm2Call } from './pm2-control';

const READY_TIMEOUT_MS = Number(process.env.START_READY_TIMEOUT_MS ?? 90_000);

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
  await connectPm2(true);
  const running = (await listSystem()).filter((p) => p.pm2_env?.status === 'online');
  if (running.length > 0) {
    console.log(`Already running under PM2 (${running.map((p) => p.name).join(', ')}). Status below; \`npm stop\` stops it.\n`);
  } else {
    if (config.mode === 'SIM' && config.sim.speed > 1) {
      // A fresh compressed day: continue after the last simulated day so broker history stays in order.
      const previous = readClockAnchor(config.paths.simClock);
      const lastDay = previous ? tradingDayOf(new CompressedClock(previous).now()) : undefined;
      const startDay = config.sim.startDay ?? (lastDay ? nextTradingDay(lastDay) : tradingDayOnOrAfter(calendarDayInNewYork(Date.now())));
      writeClockAnchor(config.paths.simClock, { epochRealMs: Date.now(), startDay, speed: config.sim.speed, dayStart: config.sim.dayStart, dayEnd: config.sim.dayEnd });
      const minutes = Math.round(((toMinutes(config.sim.dayEnd) - toMinutes(config.sim.dayStart)) * 60) / config.sim.speed / 60 * 10) / 10;
      console.log(`SIM mode: simulated trading day ${startDay} from ${config.sim.dayStart} to ${config.sim.dayEnd} New York time at x${config.sim.speed} (about ${minutes} real minutes per day; the next trading day follows).`);
    }
    if (config.mode !== 'SIM') {
      // No simulator in PAPER/LIVE (ecosystem.config.js leaves it out): say exactly what the bots will reach.
      const ids = config.ib.clientIds;
      console.log(`${config.mode} mode: the simulator is not started. The bots connect to IB Gateway/TWS at ${config.ib.host}:${config.ib.port}`
        + ` (account ${config.ib.account ?? 'the one the gateway reports'}; client ids ${ids.exitManager} exit-manager, ${ids.dayTrader} day-trader, ${ids.reconciler} reconciler).`);
      if (process.env.ENV_FILE) console.log(`Configuration: environment over ENV_FILE ${path.resolve(process.env.ENV_FILE)}${process.env.CONFIG_FILE ? ` over CONFIG_FILE ${process.env.CONFIG_FILE}` : ''}.`);
      console.log('Check the gateway first if unsure: npm run doctor (same variables).');
    }
    await pm2Call<unknown>((cb) => pm2.start(ecosystemPath(), cb as (error: Error | null) => void));
    console.log('Started under PM2; waiting for every process to report ready...');
    const ready = await waitForReady(config.paths.db, config.mode === 'SIM');
    if (!ready.ok) {
      console.error(`Not everything became ready within ${READY_TIMEOUT_MS / 1000} s: ${ready.missing.join(', ')}. See logs/ and \`npx pm2 logs\`.`);
    }
  }
  const dashboard = await dashboardAnswer(config.dashboard.host, config.dashboard.port, config.dashboard.token);
  pm2.disconnect();
  const status = spawnSync(process.execPath, [path.join(__dirname, 'status.js')], { stdio: 'inherit', env: process.env });
  void status;
  console.log(`\nDashboard: ${dashboard}`);
  console.log('Watch it: npm run status -- --watch    Logs: npx pm2 logs    Stop: npm stop    Flatten everything: npm run liquidate');
  return 0;
}

/** The dashboard's URL once it answers (it has no heartbeat: it never writes to the DB), or why it does not. */
async function dashboardAnswer(host: string, port: number, token: string | undefined): Promise<string> {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
  const deadline = Date.now() + 15_000;
  let problem = 'not answering';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}healthz`, { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(2_000) });
      if (response.ok) return `${url}${token ? ' (token required: open it once with ?token=<DASHBOARD_TOKEN>)' : ''}`;
      problem = `HTTP ${response.status}`;
    } catch (error) {
      problem = errorMessage(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return `${url} is ${problem}: see logs/dashboard.log (DASHBOARD_PORT in use? set another)`;
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

async function waitForReady(dbPath: string, sim: boolean): Promise<{ ok: boolean; missing: string[] }> {
  const wanted = ['exit-manager', 'day-trader', 'reconciler', 'supervisor', 'notifier'];
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let missing = wanted;
  while (Date.now() < deadline) {
    const online = new Set((await listSystem()).filter((p) => p.pm2_env?.status === 'online').map((p) => p.name));
    if (sim && !online.has('sim-gateway')) missing = ['sim-gateway'];
    else {
      try {
        const db = openDatabase(dbPath, { readonly: true });
        const beats = new HeartbeatsRepository(db).getAll();
        db.close();
        missing = wanted.filter((app) => !beats.some((b) => b.app === app && b.state === 'ready' && Date.now() - b.beatAtMs < 5_000));
      } catch (error) {
        missing = [`database (${errorMessage(error)})`];
      }
    }
    if (missing.length === 0) return { ok: true, missing };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { ok: false, missing };
}

main().then((code) => process.exit(code), (error) => {
  console.error(`npm start failed: ${errorMessage(error)}`);
  process.exit(1);
});
